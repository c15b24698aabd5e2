//! Writing JSON text: strings, numbers as Go's protojson writes them, base64 and durations.

use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// For each byte, what writing it in a JSON string takes: `0` nothing, `1` nothing but it is not
/// ASCII (so the string needs a UTF-8 check), `u` a `\u00XX` escape, else the letter after a
/// backslash.
const ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    byte = 0x80;
    while byte < 0x100 {
        table[byte] = 1;
        byte += 1;
    }
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Appends `text` as a JSON string: quotes, `"` and `\` escaped, control characters as `\n`-style
/// or `\u00XX` escapes, everything else (all of Unicode) as is.
pub(crate) fn write_string(out: &mut Vec<u8>, text: &str) {
    write_escaped(out, text.as_bytes());
}

/// Appends protobuf `string` bytes as a JSON string, as [`write_string`] does, checking that they
/// are UTF-8 in the same pass (ASCII, most of a Kubernetes object, needs no second look).
///
/// # Errors
/// When `bytes` are not UTF-8; `out` then ends with a partial string.
pub(crate) fn write_utf8(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), std::str::Utf8Error> {
    if write_escaped(out, bytes) {
        std::str::from_utf8(bytes)?;
    }
    Ok(())
}

/// Writes `bytes` quoted and escaped; returns whether any byte was not ASCII.
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) -> bool {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut run_start = 0;
    let mut has_non_ascii = false;
    for (at, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPES[usize::from(byte)];
        if escape <= 1 {
            has_non_ascii |= escape == 1;
            continue;
        }
        out.extend_from_slice(&bytes[run_start..at]);
        run_start = at + 1;
        if escape == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
    has_non_ascii
}

/// Largest magnitude below which every integral double is exactly an `i64` the fast path prints.
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// Appends a finite double as Go's protojson (and JavaScript) writes it: the shortest digits
/// that read back as the same double, without an exponent when `1e-6 <= |x| < 1e21` (so integral
/// values have no fraction: `3`, `1152921504606847000`), and otherwise with one, as `1e+21` or
/// `1.5e-7`.
///
/// The caller refuses NaN and the infinities, which JSON cannot hold.
pub(crate) fn write_number(out: &mut Vec<u8>, value: f64) {
    debug_assert!(value.is_finite(), "callers refuse NaN and infinities");
    if value.fract() == 0.0 && value.abs() < EXACT_INTEGERS {
        // Integral and below 2^53 in magnitude, so the conversion is exact; -0.0 keeps its sign.
        #[allow(
            clippy::cast_possible_truncation,
            reason = "integral and below 2^53, so exact"
        )]
        let integer = value as i64;
        if integer == 0 && value.is_sign_negative() {
            out.extend_from_slice(b"-0");
        } else {
            out.extend_from_slice(itoa::Buffer::new().format(integer).as_bytes());
        }
        return;
    }
    let magnitude = value.abs();
    if (1e-6..1e21).contains(&magnitude) {
        write!(out, "{value}").expect("writing to a Vec cannot fail");
        return;
    }
    let start = out.len();
    write!(out, "{value:e}").expect("writing to a Vec cannot fail");
    // Rust writes `1e21` and `1.5e-7`; Go and JavaScript write a sign on positive exponents.
    if let Some(e) = out[start..].iter().position(|b| *b == b'e')
        && out.get(start + e + 1) != Some(&b'-')
    {
        out.insert(start + e + 1, b'+');
    }
}

/// Appends `bytes` as a JSON string of standard, padded base64 (what protojson writes for `bytes`).
pub(crate) fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + bytes.len().div_ceil(3) * 4, 0);
    let written = STANDARD
        .encode_slice(bytes, &mut out[start..])
        .expect("the buffer was sized for the padded encoding");
    out.truncate(start + written);
    out.push(b'"');
}

/// Appends a `google.protobuf.Duration` as protojson writes it: seconds with 0, 3, 6 or 9
/// fractional digits and an `s`, such as `"60s"` or `"-1.500s"`.
pub(crate) fn write_duration(out: &mut Vec<u8>, seconds: i64, nanos: i32) {
    out.push(b'"');
    if seconds < 0 || nanos < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(
        itoa::Buffer::new()
            .format(seconds.unsigned_abs())
            .as_bytes(),
    );
    let mut nanos = nanos.unsigned_abs();
    if nanos != 0 {
        let mut digits = 9;
        while digits > 0 && nanos.is_multiple_of(1000) {
            nanos /= 1000;
            digits -= 3;
        }
        write!(out, ".{nanos:0digits$}").expect("writing to a Vec cannot fail");
    }
    out.extend_from_slice(b"s\"");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(value: f64) -> String {
        let mut out = Vec::new();
        write_number(&mut out, value);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_are_written_as_go_protojson_writes_them() {
        let cases = [
            (3.0, "3"),
            (-2.0, "-2"),
            (0.0, "0"),
            (-0.0, "-0"),
            (0.5, "0.5"),
            (1.5e-6, "0.0000015"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (9_007_199_254_740_992.0, "9007199254740992"),
            (9_007_199_254_740_994.0, "9007199254740994"),
            (1_152_921_504_606_846_976.0, "1152921504606847000"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (-1.25e300, "-1.25e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (0.1 + 0.2, "0.30000000000000004"),
        ];
        for (value, expected) in cases {
            assert_eq!(number(value), expected, "{value:?}");
        }
    }

    #[test]
    fn every_written_number_reads_back_as_the_same_double() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let value = f64::from_bits(state);
            if value.is_finite() {
                assert_eq!(
                    number(value).parse::<f64>().unwrap().to_bits(),
                    value.to_bits()
                );
            }
        }
    }

    #[test]
    fn strings_escape_quotes_backslashes_and_control_characters_only() {
        let mut out = Vec::new();
        write_string(&mut out, "a\"b\\c\nd\u{1}é😀\u{7f}</>");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a\\\"b\\\\c\\nd\\u0001é😀\u{7f}</>\""
        );
    }

    #[test]
    fn bytes_and_durations_have_their_protojson_forms() {
        let mut out = Vec::new();
        write_base64(&mut out, b"hunter2");
        write_duration(&mut out, 60, 0);
        write_duration(&mut out, 1, 500_000_000);
        write_duration(&mut out, 0, -1);
        write_duration(&mut out, -2, -20_000);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#""aHVudGVyMg==""60s""1.500s""-0.000000001s""-2.000020s""#
        );
    }
}
