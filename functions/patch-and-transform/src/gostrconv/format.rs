//! Go's `strconv.FormatFloat(f, fmt, prec, 64)` for the formats `e E f F g G x X b`, as
//! `fmt` and Go's JSON encoder use it.

use std::fmt::Write as _;

/// Go's `strconv.FormatFloat(f, verb, precision, 64)` for `e E f F g G`; `None` is `-1`, the
/// shortest representation that reads back as `f`.
pub fn format_float(f: f64, verb: char, precision: Option<usize>) -> String {
    // Go keeps the sign of a negative zero: "-0".
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let f = f.abs();
    let body = match verb {
        'f' | 'F' => match precision {
            Some(p) => format!("{f:.p$}"),
            None => format!("{f}"),
        },
        'e' | 'E' => {
            let (digits, point) = match precision {
                Some(p) => decimal_digits(&format!("{f:.p$e}")),
                None => decimal_digits(&format!("{f:e}")),
            };
            let p = precision.unwrap_or(digits.len().saturating_sub(1));
            format_e(&digits, point, p, verb)
        }
        _ => {
            let (digits, point, eprec, p) = match precision {
                None => {
                    let (digits, point) = decimal_digits(&format!("{f:e}"));
                    let len = digits.len();
                    (digits, point, 6, len)
                }
                Some(p) => {
                    let p = p.max(1);
                    let (mut digits, point) = decimal_digits(&format!("{f:.prec$e}", prec = p - 1));
                    while digits.len() > 1 && digits.ends_with('0') {
                        digits.pop();
                    }
                    let mut eprec = p;
                    if eprec > digits.len() && i64::try_from(digits.len()).unwrap_or(0) >= point {
                        eprec = digits.len();
                    }
                    (digits, point, eprec, p)
                }
            };
            let exp = point - 1;
            if exp < -4 || exp >= i64::try_from(eprec).unwrap_or(i64::MAX) {
                let p = p.min(digits.len());
                format_e(
                    &digits,
                    point,
                    p.saturating_sub(1),
                    if verb == 'G' { 'E' } else { 'e' },
                )
            } else {
                let p = if i64::try_from(p).unwrap_or(0) > point {
                    digits.len()
                } else {
                    p
                };
                let decimals =
                    usize::try_from((i64::try_from(p).unwrap_or(0) - point).max(0)).unwrap_or(0);
                format_f(&digits, point, decimals)
            }
        }
    };
    format!("{sign}{body}")
}

/// The significant digits of Rust's `{:e}` output and the decimal point position: the value is
/// `0.DIGITS × 10^point`.
fn decimal_digits(scientific: &str) -> (String, i64) {
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i64 = exponent.parse().unwrap_or(0);
    (digits, exponent + 1)
}

fn format_e(digits: &str, point: i64, precision: usize, verb: char) -> String {
    let mut out = String::new();
    let mut chars = digits.chars();
    out.push(chars.next().unwrap_or('0'));
    if precision > 0 {
        out.push('.');
        let rest: String = chars
            .chain(std::iter::repeat('0'))
            .take(precision)
            .collect();
        out.push_str(&rest);
    }
    let exp = if digits.trim_start_matches('0').is_empty() {
        0
    } else {
        point - 1
    };
    let _ = write!(
        out,
        "{}{}{:02}",
        if verb == 'E' { 'E' } else { 'e' },
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    );
    out
}

fn format_f(digits: &str, point: i64, decimals: usize) -> String {
    let digit_at = |i: i64| -> char {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.as_bytes().get(i))
            .map_or('0', |&b| char::from(b))
    };
    let mut out = String::new();
    if point > 0 {
        for i in 0..point {
            out.push(digit_at(i));
        }
    } else {
        out.push('0');
    }
    if decimals > 0 {
        out.push('.');
        for i in 0..i64::try_from(decimals).unwrap_or(0) {
            out.push(digit_at(point + i));
        }
    }
    out
}

/// Go's `strconv.FormatFloat(f, 'x', precision, 64)`: a hexadecimal mantissa `1.hhh` and a
/// binary exponent of at least two digits, e.g. `0x1.4p+02` for 5; `None` is `-1`, all digits.
pub fn format_hex_float(f: f64, upper: bool, precision: Option<usize>) -> String {
    const LEADING: u64 = 1 << 60;
    let bits = f.to_bits();
    let mut exp = i64::try_from((bits >> 52) & 0x7ff).unwrap_or(0);
    let mut mant = bits & ((1 << 52) - 1);
    if exp == 0 {
        exp = 1;
    } else {
        mant |= 1 << 52;
    }
    exp -= 1023;
    if mant == 0 {
        exp = 0;
    }
    // The leading 1 (if any) at bit 60, as Go's fmtX keeps it.
    mant <<= 8;
    while mant != 0 && mant & LEADING == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if let Some(p) = precision.filter(|p| *p < 15) {
        let shift = u32::try_from(p * 4).unwrap_or(0);
        let extra = (mant << shift) & (LEADING - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let hex: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = String::from(if bits >> 63 == 1 { "-0" } else { "0" });
    out.push(if upper { 'X' } else { 'x' });
    out.push(if mant & LEADING != 0 { '1' } else { '0' });
    mant <<= 4;
    let digits = match precision {
        None => {
            let mut digits = String::new();
            while mant != 0 {
                digits.push(char::from(
                    hex[usize::try_from((mant >> 60) & 15).unwrap_or(0)],
                ));
                mant <<= 4;
            }
            digits
        }
        Some(p) => (0..p)
            .map(|_| {
                let digit = char::from(hex[usize::try_from((mant >> 60) & 15).unwrap_or(0)]);
                mant <<= 4;
                digit
            })
            .collect(),
    };
    if !digits.is_empty() {
        out.push('.');
        out.push_str(&digits);
    }
    out.push(if upper { 'P' } else { 'p' });
    out.push(if exp < 0 { '-' } else { '+' });
    let magnitude = exp.unsigned_abs();
    if magnitude < 10 {
        out.push('0');
    }
    out.push_str(&magnitude.to_string());
    out
}

/// Go's `strconv.FormatFloat(f, 'b', -1, 64)`: the integer mantissa and the power of two,
/// `6755399441055744p-52` for 1.5.
pub fn format_binary_float(f: f64) -> String {
    let bits = f.to_bits();
    let biased = (bits >> 52) & 0x7ff;
    let mut mantissa = bits & ((1 << 52) - 1);
    let exponent = if biased == 0 {
        -1074
    } else {
        mantissa |= 1 << 52;
        i64::try_from(biased).unwrap_or(0) - 1075
    };
    let sign = if bits >> 63 == 1 { "-" } else { "" };
    format!("{sign}{mantissa}p{exponent:+}")
}
