//! Kubernetes timestamps read as function-auto-ready reads them: Go's
//! `time.Parse(time.RFC3339, text)` (through `metav1.Time`), which is stricter than RFC 3339 in
//! some places (an upper-case `T` and `Z`, a two-digit offset hour below 24 in its fast path) and
//! looser in others (a one-digit hour, a comma before the fraction, any number of fraction
//! digits, of which the first nine count, an offset of up to `+24:60`).

/// An instant as seconds and nanoseconds since the Unix epoch.
pub(crate) type Instant = (i64, u32);

/// Parses `text` as Go's `time.Parse(time.RFC3339, text)` does; `None` where Go fails.
pub(crate) fn parse_rfc3339(text: &str) -> Option<Instant> {
    let mut rest = text.as_bytes();
    let year = fixed_digits(&mut rest, 4)?;
    literal(&mut rest, b'-')?;
    let month = fixed_digits(&mut rest, 2)?;
    literal(&mut rest, b'-')?;
    let day = fixed_digits(&mut rest, 2)?;
    literal(&mut rest, b'T')?;
    let hour = hour_digits(&mut rest)?;
    literal(&mut rest, b':')?;
    let minute = fixed_digits(&mut rest, 2)?;
    literal(&mut rest, b':')?;
    let second = fixed_digits(&mut rest, 2)?;
    let nanos = fraction(&mut rest)?;
    let offset = zone_offset(rest)?;
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((
        days * 86_400 + hour * 3600 + minute * 60 + second - offset,
        nanos,
    ))
}

/// Exactly `count` ASCII digits.
fn fixed_digits(rest: &mut &[u8], count: usize) -> Option<i64> {
    let digits = rest.get(..count)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    *rest = &rest[count..];
    Some(
        digits
            .iter()
            .fold(0, |number, digit| number * 10 + i64::from(digit - b'0')),
    )
}

/// Go's layout element `15`: one digit, or two.
fn hour_digits(rest: &mut &[u8]) -> Option<i64> {
    let count = if rest.get(1).is_some_and(u8::is_ascii_digit) {
        2
    } else {
        1
    };
    fixed_digits(rest, count)
}

fn literal(rest: &mut &[u8], expected: u8) -> Option<()> {
    let (&first, tail) = rest.split_first()?;
    (first == expected).then(|| *rest = tail)
}

/// An optional fraction of a second after `.` or `,`, in nanoseconds: digits beyond the ninth
/// are read and dropped.
fn fraction(rest: &mut &[u8]) -> Option<u32> {
    let starts =
        matches!(rest.first(), Some(b'.' | b',')) && rest.get(1).is_some_and(u8::is_ascii_digit);
    if !starts {
        return Some(0);
    }
    let count = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
    let kept = &rest[1..1 + count.min(9)];
    let nanos = kept
        .iter()
        .fold(0u32, |n, digit| n * 10 + u32::from(digit - b'0'))
        * 10u32.pow(u32::try_from(9 - kept.len()).ok()?);
    *rest = &rest[1 + count..];
    Some(nanos)
}

/// The zone at the end of the text: `Z`, or `+hh:mm`/`-hh:mm`, in seconds east of UTC.
fn zone_offset(rest: &[u8]) -> Option<i64> {
    if rest == b"Z" {
        return Some(0);
    }
    let (&sign, mut rest) = rest.split_first()?;
    let sign = match sign {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = fixed_digits(&mut rest, 2)?;
    literal(&mut rest, b':')?;
    let minutes = fixed_digits(&mut rest, 2)?;
    (rest.is_empty() && hours <= 24 && minutes <= 60)
        .then_some(sign * (hours * 3600 + minutes * 60))
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_go_accepts() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(
            parse_rfc3339("2024-02-29T12:30:15.25Z"),
            Some((1_709_209_815, 250_000_000))
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T14:30:15+02:00"),
            Some((1_709_209_815, 0))
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T12:30:15,1234567891Z"),
            Some((1_709_209_815, 123_456_789)),
            "a comma, and digits past the ninth dropped"
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T2:30:15Z"),
            parse_rfc3339("2024-02-29T02:30:15Z"),
            "a one-digit hour"
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00+24:00"),
            Some((1_709_164_800 - 86_400, 0))
        );
    }

    #[test]
    fn what_go_refuses() {
        for text in [
            "yesterday",
            "2024-02-29 12:30:15Z",
            "2024-02-29t12:30:15Z",
            "2024-02-29T12:30:15z",
            "2023-02-29T12:30:15Z",
            "2024-04-31T12:30:15Z",
            "2024-13-01T12:30:15Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T12:60:00Z",
            "2024-01-01T12:00:60Z",
            "2024-01-01T12:00:00",
            "2024-01-01T12:00:00.Z",
            "2024-01-01T12:00:00+0200",
            "2024-01-01T12:00:00+25:00",
            "2024-01-01T12:00:00Z ",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text}");
        }
    }
}
