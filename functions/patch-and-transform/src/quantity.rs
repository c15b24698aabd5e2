//! Kubernetes' `resource.ParseQuantity(s).AsApproximateFloat64()` (apimachinery v0.34), which
//! the `convert` transform's `quantity` format uses: `"1500m"` is 1.5, `"1.5Gi"` 1610612736.
//!
//! Kubernetes keeps a quantity as an `int64` and a decimal scale when it fits (at most 18
//! digits, no finer than nano units), else as a big decimal rounded up to nano units
//! (`"0.0000000001"` becomes `1n`) and, for binary suffixes, capped at `2^63 - 1`. The float is
//! then the integer times the nearest double of 10^scale, not the nearest double of the
//! quantity, and may be infinite (`"1e400"`).

/// `resource.ErrFormatWrong`.
pub const FORMAT_ERROR: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// `resource.ErrSuffix`.
const SUFFIX_ERROR: &str = "unable to parse quantity's suffix";

/// `resource.ErrNumeric`.
const NUMERIC_ERROR: &str = "unable to parse numeric part of quantity";

/// The largest quantity with a binary suffix, `2^63 - 1`, as a decimal at nano scale.
const MAX_BINARY_NANOS: &str = "9223372036854775807000000000";

/// How a quantity's suffix reads: `k`, `Ki` or `e3`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    DecimalSi,
    BinarySi,
    DecimalExponent,
}

/// A quantity split as Kubernetes' `parseQuantityString` splits it.
struct Parts<'a> {
    is_positive: bool,
    /// The number with its sign, as written (leading zeros included).
    value: &'a str,
    /// The integer digits without leading zeros (`"0"` when there are none).
    num: &'a str,
    /// The fraction's digits.
    denom: &'a str,
    suffix: &'a str,
}

/// `resource.ParseQuantity(s).AsApproximateFloat64()`.
///
/// # Errors
/// Kubernetes' messages: [`FORMAT_ERROR`], `unable to parse quantity's suffix`.
pub fn approximate_f64(s: &str) -> Result<f64, &'static str> {
    if s.is_empty() {
        return Err(FORMAT_ERROR);
    }
    if s == "0" {
        return Ok(0.0);
    }
    let parts = split(s)?;
    let (base, exponent, format) = interpret(parts.suffix).ok_or(SUFFIX_ERROR)?;
    if let Some(value) = as_int64(&parts, exponent, format)? {
        return Ok(value);
    }
    as_big_decimal(&parts, base, exponent, format)
}

fn split(s: &str) -> Result<Parts<'_>, &'static str> {
    let bytes = s.as_bytes();
    let end = bytes.len();
    let (is_positive, mut pos) = match bytes[0] {
        b'-' => (false, 1),
        b'+' => (true, 1),
        _ => (true, 0),
    };
    let mut parts = Parts {
        is_positive,
        value: "0",
        num: "0",
        denom: "",
        suffix: "",
    };
    while pos < end && bytes[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        return Ok(parts);
    }
    let digits_end = |from: usize| {
        bytes[from..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .map_or(end, |i| from + i)
    };
    let num_end = digits_end(pos);
    if num_end > pos {
        parts.num = &s[pos..num_end];
    }
    pos = num_end;
    if pos < end && bytes[pos] == b'.' {
        let denom_end = digits_end(pos + 1);
        parts.denom = &s[pos + 1..denom_end];
        pos = denom_end;
    }
    parts.value = &s[..pos];
    let suffix_start = pos;
    while pos < end && b"eEinumkKMGTP".contains(&bytes[pos]) {
        pos += 1;
    }
    if pos < end && matches!(bytes[pos], b'-' | b'+') {
        pos += 1;
    }
    if digits_end(pos) < end {
        return Err(FORMAT_ERROR);
    }
    parts.suffix = &s[suffix_start..];
    Ok(parts)
}

/// The suffix's base, exponent and format; `None` when Kubernetes does not know it.
fn interpret(suffix: &str) -> Option<(u32, i32, Format)> {
    let decimal = |exponent| Some((10, exponent, Format::DecimalSi));
    let binary = |exponent| Some((2, exponent, Format::BinarySi));
    match suffix {
        "" => decimal(0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ => {
            let exponent: i64 = suffix.strip_prefix(['e', 'E'])?.parse().ok()?;
            // Go's int32(int64) keeps the low 32 bits.
            #[expect(clippy::cast_possible_truncation, reason = "Go truncates too")]
            let exponent = exponent as i32;
            Some((10, exponent, Format::DecimalExponent))
        }
    }
}

/// The fast path: a quantity that fits an `int64` with a scale of nano units or coarser.
fn as_int64(parts: &Parts<'_>, exponent: i32, format: Format) -> Result<Option<f64>, &'static str> {
    let digit_count = i32::try_from(parts.num.len() + parts.denom.len()).unwrap_or(i32::MAX);
    let (precision, mut scale, mantissa) = match format {
        Format::DecimalSi | Format::DecimalExponent => (18 - digit_count, exponent, 1i64),
        Format::BinarySi if exponent >= 0 && parts.denom.is_empty() => {
            let num_len = i32::try_from(parts.num.len()).unwrap_or(i32::MAX);
            // Go's int32(float32(exponent)*3/10).
            #[expect(clippy::cast_possible_truncation, reason = "as Go computes it")]
            let digits_of_suffix = (exponent as f32 * 3.0 / 10.0) as i32;
            (15 - num_len - digits_of_suffix - 1, 0, 1i64 << exponent)
        }
        Format::BinarySi => (-1, 0, 1),
    };
    if precision < 0 {
        return Ok(None);
    }
    scale -= i32::try_from(parts.denom.len()).unwrap_or(i32::MAX);
    if scale < -9 {
        return Ok(None);
    }
    let value: i64 = format!("{}{}", parts.num, parts.denom)
        .parse()
        .map_err(|_| NUMERIC_ERROR)?;
    let Some(result) = value.checked_mul(mantissa) else {
        return Ok(None);
    };
    let result = if parts.is_positive { result } else { -result };
    #[expect(clippy::cast_precision_loss, reason = "Go's float64(int64)")]
    let base = result as f64;
    Ok(Some(times_power_of_ten(base, scale)))
}

/// The slow path: the exact decimal, rounded up to nano units.
fn as_big_decimal(
    parts: &Parts<'_>,
    base: u32,
    exponent: i32,
    format: Format,
) -> Result<f64, &'static str> {
    let unsigned = parts.value.trim_start_matches(['+', '-']);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if whole.is_empty() && fraction.is_empty() {
        return Err(NUMERIC_ERROR);
    }
    let mut digits: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes())
        .map(|b| b - b'0')
        .collect();
    let mut scale = i64::try_from(fraction.len()).unwrap_or(i64::MAX);
    if base == 10 {
        scale -= i64::from(exponent);
    } else {
        multiply(&mut digits, 1u64 << exponent);
    }
    trim_leading_zeros(&mut digits);
    let is_zero = digits == [0];
    if !is_zero {
        round_up_to_nano(&mut digits, &mut scale);
    }
    if format == Format::BinarySi && !is_zero && greater(&digits, MAX_BINARY_NANOS) {
        digits = b"9223372036854775807".iter().map(|b| b - b'0').collect();
        scale = 0;
    }
    let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    let magnitude: f64 = text.parse().unwrap_or(f64::INFINITY);
    let signed = if parts.is_positive || is_zero {
        magnitude
    } else {
        -magnitude
    };
    let exponent = i32::try_from(-scale).unwrap_or(if scale > 0 { i32::MIN } else { i32::MAX });
    Ok(times_power_of_ten(signed, exponent))
}

/// Rounds `digits × 10^-scale` up (away from zero) to scale 9: nano units.
fn round_up_to_nano(digits: &mut Vec<u8>, scale: &mut i64) {
    if *scale > 9 {
        let drop = usize::try_from(*scale - 9).unwrap_or(usize::MAX);
        let keep = digits.len().saturating_sub(drop);
        let had_remainder = digits[keep..].iter().any(|&d| d != 0);
        digits.truncate(keep);
        if digits.is_empty() {
            digits.push(0);
        }
        if had_remainder {
            increment(digits);
        }
    } else {
        // More zeros than a float can tell apart only make the value infinite.
        let zeros = usize::try_from(9 - *scale).unwrap_or(usize::MAX).min(400);
        digits.extend(std::iter::repeat_n(0, zeros));
    }
    *scale = 9;
}

/// Go's `base * math.Pow10(exponent)`, or `base` for exponent 0.
fn times_power_of_ten(base: f64, exponent: i32) -> f64 {
    if exponent == 0 {
        return base;
    }
    // math.Pow10 is exact where 10^n has a nearest double, 0 below and +Inf above.
    let power: f64 = format!("1e{exponent}").parse().unwrap_or(0.0);
    base * power
}

/// `digits × factor`, in place (most significant digit first).
fn multiply(digits: &mut Vec<u8>, factor: u64) {
    let mut carry: u128 = 0;
    for digit in digits.iter_mut().rev() {
        let product = u128::from(*digit) * u128::from(factor) + carry;
        *digit = u8::try_from(product % 10).expect("a digit");
        carry = product / 10;
    }
    while carry > 0 {
        digits.insert(0, u8::try_from(carry % 10).expect("a digit"));
        carry /= 10;
    }
}

fn increment(digits: &mut Vec<u8>) {
    for digit in digits.iter_mut().rev() {
        if *digit < 9 {
            *digit += 1;
            return;
        }
        *digit = 0;
    }
    digits.insert(0, 1);
}

fn trim_leading_zeros(digits: &mut Vec<u8>) {
    let zeros = digits.iter().take_while(|&&d| d == 0).count();
    digits.drain(..zeros.min(digits.len().saturating_sub(1)));
    if digits.is_empty() {
        digits.push(0);
    }
}

/// Whether the digits (no leading zeros) exceed the decimal `limit`.
fn greater(digits: &[u8], limit: &str) -> bool {
    let limit: Vec<u8> = limit.bytes().map(|b| b - b'0').collect();
    digits.len() > limit.len() || (digits.len() == limit.len() && digits > limit.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_as_kubernetes_reads_them() {
        // Checked against apimachinery v0.34.
        let cases = [
            ("1000m", 1.0),
            ("1.5Gi", 1_610_612_736.0),
            ("2k", 2000.0),
            ("1e3", 1000.0),
            ("-5M", -5_000_000.0),
            ("0.0000000001", 1e-9),
            ("-0.0000000001", -1e-9),
            ("0.1", 0.1),
            (".5", 0.5),
            ("1.", 1.0),
            ("12345678901234567890", 1.234_567_890_123_457e19),
            ("9Ei", 9.223_372_036_854_776e18),
            ("1e400", f64::INFINITY),
            ("+000", 0.0),
            ("1E", 1e18),
            ("1.5e-7", 1.5e-7),
            ("123456789.123456789123", 1.234_567_891_234_567_9e8),
            ("0.5Ki", 512.0),
            ("1e-20", 1e-9),
            ("7.5Pi", 8.444_249_301_319_681e15),
            ("99999999999999999999Ei", 9.223_372_036_854_776e18),
        ];
        for (input, value) in cases {
            assert_eq!(approximate_f64(input), Ok(value), "{input}");
        }
        assert_eq!(approximate_f64("100 blabla"), Err(FORMAT_ERROR));
        assert_eq!(approximate_f64(""), Err(FORMAT_ERROR));
        assert_eq!(approximate_f64("1e"), Err(SUFFIX_ERROR));
        assert_eq!(approximate_f64("1Xi"), Err(FORMAT_ERROR));
        assert_eq!(approximate_f64("1ki"), Err(SUFFIX_ERROR));
    }
}
