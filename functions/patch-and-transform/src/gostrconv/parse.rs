//! Go's `strconv` parsers as the `convert` transform uses them, with their error messages:
//! `ParseInt(s, 10, 64)`, `ParseBool` and `ParseFloat(s, 64)`.
//!
//! `ParseFloat` reads more than Rust's `f64::from_str`: `_` between digits (`1_000`),
//! hexadecimal floats (`0x1.8p1`), and it refuses a sign before NaN (`+NaN`). A finite number
//! too large for a `float64` is an error ("value out of range").

use super::quote;

/// `strconv.ParseInt(s, 10, 64)`: digits are read left to right, so an overflow before a bad
/// character is "value out of range".
///
/// # Errors
/// `strconv.ParseInt: parsing "a": invalid syntax`, or `... value out of range`.
pub fn parse_int(s: &str) -> Result<i64, String> {
    let syntax = || error("ParseInt", s, "invalid syntax");
    let range = || error("ParseInt", s, "value out of range");
    let (is_negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(syntax());
    }
    let mut magnitude: u64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return Err(syntax());
        }
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or_else(range)?;
    }
    let limit = 1u64 << 63;
    match (is_negative, magnitude) {
        (false, n) if n < limit => Ok(i64::try_from(n).expect("below 2^63")),
        (true, n) if n <= limit => Ok(0i64.wrapping_sub_unsigned(n)),
        _ => Err(range()),
    }
}

/// `strconv.ParseBool`.
///
/// # Errors
/// `strconv.ParseBool: parsing "maybe": invalid syntax`.
pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(error("ParseBool", s, "invalid syntax")),
    }
}

/// `strconv.ParseFloat(s, 64)`: NaN and infinities are values, not errors.
///
/// # Errors
/// `strconv.ParseFloat: parsing "x": invalid syntax`, or `... value out of range` for a finite
/// number beyond `float64`.
pub fn parse_float(s: &str) -> Result<f64, String> {
    let syntax = || error("ParseFloat", s, "invalid syntax");
    if let Some(special) = special(s) {
        return Ok(special);
    }
    let (is_negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let value = match body.get(..2) {
        Some("0x" | "0X") => hex_float(&body[2..]),
        _ => decimal_float(body),
    }
    .ok_or_else(syntax)?;
    if !underscores_ok(s) {
        return Err(syntax());
    }
    if value.is_infinite() {
        return Err(error("ParseFloat", s, "value out of range"));
    }
    Ok(if is_negative { -value } else { value })
}

fn error(function: &str, s: &str, reason: &str) -> String {
    format!("strconv.{function}: parsing {}: {reason}", quote(s))
}

/// Go's `special`: `[+-]inf`, `[+-]infinity` and `nan` (no sign), any case, the whole string.
fn special(s: &str) -> Option<f64> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1.0, &s[1..]),
        b'-' => (-1.0, &s[1..]),
        _ if s.eq_ignore_ascii_case("nan") => return Some(f64::NAN),
        _ => (1.0, s),
    };
    (rest.eq_ignore_ascii_case("inf") || rest.eq_ignore_ascii_case("infinity"))
        .then_some(sign * f64::INFINITY)
}

/// Digits with at most one `.`, then an optional exponent; `_` may appear among the digits.
fn decimal_float(s: &str) -> Option<f64> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let (mut has_digits, mut has_dot) = (false, false);
    while let Some(&b) = bytes.get(i) {
        match b {
            b'0'..=b'9' => has_digits = true,
            b'_' => {}
            b'.' if !has_dot => has_dot = true,
            _ => break,
        }
        i += 1;
    }
    if !has_digits {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i = exponent_end(bytes, i + 1)?;
    }
    if i != bytes.len() {
        return None;
    }
    s.replace('_', "").parse().ok()
}

/// Where the exponent's digits starting at `i` end: an optional sign, then a digit first.
fn exponent_end(bytes: &[u8], mut i: usize) -> Option<usize> {
    if matches!(bytes.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    if !bytes.get(i)?.is_ascii_digit() {
        return None;
    }
    while matches!(bytes.get(i), Some(b'0'..=b'9' | b'_')) {
        i += 1;
    }
    Some(i)
}

/// A hexadecimal float after its `0x`: hex digits with at most one `.`, then a required `p`
/// exponent; rounded to nearest even as Go does.
fn hex_float(s: &str) -> Option<f64> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let (mut has_digits, mut has_dot) = (false, false);
    // The first 15 significant hex digits (60 bits); later ones only shift the exponent and
    // mark the value inexact.
    let (mut mantissa, mut exponent, mut is_inexact, mut significant) = (0u64, 0i64, false, 0);
    while let Some(&b) = bytes.get(i) {
        match b {
            b'_' => {}
            b'.' if !has_dot => has_dot = true,
            _ => {
                let Some(digit) = char::from(b).to_digit(16) else {
                    break;
                };
                has_digits = true;
                if mantissa == 0 && digit == 0 {
                    if has_dot {
                        exponent -= 4;
                    }
                } else if significant < 15 {
                    mantissa = mantissa * 16 + u64::from(digit);
                    significant += 1;
                    if has_dot {
                        exponent -= 4;
                    }
                } else {
                    is_inexact |= digit != 0;
                    if !has_dot {
                        exponent += 4;
                    }
                }
            }
        }
        i += 1;
    }
    if !has_digits || !matches!(bytes.get(i), Some(b'p' | b'P')) {
        return None;
    }
    let start = i + 1;
    let end = exponent_end(bytes, start)?;
    if end != bytes.len() {
        return None;
    }
    let written: String = s[start..end].chars().filter(|&c| c != '_').collect();
    // Beyond ±10^5 the value is 0 or infinite anyway; clamping keeps the sum in range.
    let power: i64 = written
        .parse::<i64>()
        .unwrap_or(if written.starts_with('-') {
            -100_000
        } else {
            100_000
        });
    Some(round_binary(
        mantissa,
        exponent + power.clamp(-100_000, 100_000),
        is_inexact,
    ))
}

/// `mantissa × 2^exponent` (plus a little when `is_inexact`) rounded to the nearest `f64`, ties
/// to even.
fn round_binary(mantissa: u64, exponent: i64, is_inexact: bool) -> f64 {
    if mantissa == 0 {
        return 0.0;
    }
    let leading = i64::from(mantissa.leading_zeros());
    let normalized = u128::from(mantissa << leading);
    // normalized has its top bit at 63; the f64 keeps 53 bits: value = kept × 2^low.
    let mut low = exponent - leading + 11;
    let mut shift: i64 = 11;
    if low < -1074 {
        shift += -1074 - low;
        low = -1074;
    }
    let Ok(shift @ 1..=64) = u32::try_from(shift) else {
        // Less than half the smallest subnormal.
        return 0.0;
    };
    let dropped = normalized & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    let mut kept = u64::try_from(normalized >> shift).unwrap_or(u64::MAX);
    if dropped > half || (dropped == half && (is_inexact || kept & 1 == 1)) {
        kept += 1;
    }
    if kept == 1 << 53 {
        kept >>= 1;
        low += 1;
    }
    if low + 52 > 1023 {
        return f64::INFINITY;
    }
    #[expect(clippy::cast_precision_loss, reason = "kept has at most 53 bits")]
    let kept = kept as f64;
    kept * power_of_two(low)
}

/// 2^e exactly, for e in -1074..=1023.
fn power_of_two(e: i64) -> f64 {
    let bits = if e >= -1022 {
        u64::try_from(e + 1023).unwrap_or(0) << 52
    } else {
        1u64 << u64::try_from(e + 1074).unwrap_or(0)
    };
    f64::from_bits(bits)
}

/// Go's `underscoreOK`: each `_` sits between digits (or after a base prefix).
fn underscores_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let bytes = s.as_bytes();
    let is_hex = matches!(bytes.get(..2), Some(b"0x" | b"0X"));
    let (mut i, mut last) = if is_hex { (2, b'0') } else { (0, b'^') };
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii_digit() || (is_hex && b.is_ascii_hexdigit()) {
            last = b'0';
        } else if b == b'_' {
            if last != b'0' {
                return false;
            }
            last = b'_';
        } else if last == b'_' {
            return false;
        } else {
            last = b'!';
        }
        i += 1;
    }
    last != b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_as_go_parses_them() {
        // Checked against Go 1.26's strconv.ParseInt(s, 10, 64).
        assert_eq!(parse_int("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_int("+42"), Ok(42));
        let range = |s: &str| {
            Err(format!(
                "strconv.ParseInt: parsing {}: value out of range",
                quote(s)
            ))
        };
        let syntax = |s: &str| {
            Err(format!(
                "strconv.ParseInt: parsing {}: invalid syntax",
                quote(s)
            ))
        };
        for s in ["9223372036854775808", "99999999999999999999Ei"] {
            assert_eq!(parse_int(s), range(s));
        }
        for s in ["", "+", "1_000", " 1", "12a99999999999999999999", "0x1F"] {
            assert_eq!(parse_int(s), syntax(s));
        }
    }

    #[test]
    fn floats_parse_as_go_parses_them() {
        // Checked against Go 1.26's strconv.ParseFloat.
        let ok = [
            ("Inf", f64::INFINITY),
            ("+inf", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("1e-400", 0.0),
            ("0x1p-2", 0.25),
            ("0x1.8p1", 3.0),
            ("0X1P-2", 0.25),
            ("0x_1p0", 1.0),
            ("1_000", 1000.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("+.5e1", 5.0),
            ("00012", 12.0),
            ("0x1p-1074", 5e-324),
            ("0x1.fffffffffffff8p1", 4.0),
            ("0x1.fffffffffffff7p1", 3.999_999_999_999_999_6),
        ];
        for (input, value) in ok {
            assert_eq!(parse_float(input), Ok(value), "{input}");
        }
        assert!(parse_float("nan").unwrap().is_nan());
        for input in [
            "+NaN", "-nan", "infin", "1e", "0x", " 1", "1 ", "١", "0x1", "1__0", "_1", "1_",
        ] {
            assert_eq!(
                parse_float(input),
                Err(format!(
                    "strconv.ParseFloat: parsing {}: invalid syntax",
                    quote(input)
                )),
                "{input}"
            );
        }
        for input in ["1e400", "-1e400", "0x1p1024"] {
            assert_eq!(
                parse_float(input),
                Err(format!(
                    "strconv.ParseFloat: parsing {}: value out of range",
                    quote(input)
                )),
                "{input}"
            );
        }
    }
}
