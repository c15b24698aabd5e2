//! Go duration strings (`5m`, `1h30m`, `1.5s`), the form function-auto-ready's `ttl` takes.

use std::time::Duration;

/// Parses `text` as Go's `time.ParseDuration` does, rejecting negative durations (a time to
/// live cannot be negative).
///
/// # Errors
/// Go's messages: `time: invalid duration "x"`, `time: missing unit in duration "5"`,
/// `time: unknown unit "d" in duration "5d"`; or that the duration is negative.
pub(crate) fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("time: invalid duration {text:?}");
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    // Go caps durations at i64::MAX nanoseconds (about 292 years).
    let max = u128::try_from(i64::MAX).expect("i64::MAX is positive");
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let whole_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (whole, after) = rest.split_at(whole_len);
        let (fraction, after) = match after.strip_prefix('.') {
            Some(after) => {
                let len = after.bytes().take_while(u8::is_ascii_digit).count();
                after.split_at(len)
            }
            None => ("", after),
        };
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        let unit_len = after
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {text:?}"));
        }
        let Some(unit_nanos) = unit_nanos(unit) else {
            return Err(format!("time: unknown unit {unit:?} in duration {text:?}"));
        };
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let mut nanos = whole.checked_mul(unit_nanos).ok_or_else(invalid)?;
        if !fraction.is_empty() {
            // Only the digits that can matter; Go drops the rest too.
            let digits = &fraction[..fraction.len().min(18)];
            let scale = 10u128.pow(u32::try_from(digits.len()).map_err(|_| invalid())?);
            let numerator: u128 = digits.parse().map_err(|_| invalid())?;
            nanos += numerator * unit_nanos / scale;
        }
        total = total.checked_add(nanos).ok_or_else(invalid)?;
        if total > max {
            return Err(invalid());
        }
        rest = after;
    }
    if negative && total > 0 {
        return Err(format!(
            "{text:?} is negative; a time to live must be zero or more"
        ));
    }
    let nanos = u64::try_from(total).map_err(|_| invalid())?;
    Ok(Duration::from_nanos(nanos))
}

fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_forms() {
        let secs = Duration::from_secs;
        assert_eq!(parse_go_duration("5m"), Ok(secs(300)));
        assert_eq!(parse_go_duration("1h30m"), Ok(secs(5400)));
        assert_eq!(parse_go_duration("1m0s"), Ok(secs(60)));
        assert_eq!(parse_go_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_go_duration(".5h"), Ok(secs(1800)));
        assert_eq!(parse_go_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_go_duration("3\u{b5}s"), Ok(Duration::from_micros(3)));
        assert_eq!(parse_go_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_go_duration("+2h"), Ok(secs(7200)));
        assert_eq!(parse_go_duration("-0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn go_errors() {
        assert_eq!(
            parse_go_duration("5"),
            Err(r#"time: missing unit in duration "5""#.into())
        );
        assert_eq!(
            parse_go_duration("5d"),
            Err(r#"time: unknown unit "d" in duration "5d""#.into())
        );
        assert_eq!(
            parse_go_duration("soon"),
            Err(r#"time: invalid duration "soon""#.into())
        );
        assert_eq!(
            parse_go_duration(""),
            Err(r#"time: invalid duration """#.into())
        );
        assert_eq!(
            parse_go_duration("."),
            Err(r#"time: invalid duration ".""#.into())
        );
        assert_eq!(
            parse_go_duration("3000000h"),
            Err(r#"time: invalid duration "3000000h""#.into())
        );
        assert_eq!(
            parse_go_duration("-5m"),
            Err(r#""-5m" is negative; a time to live must be zero or more"#.into())
        );
    }
}
