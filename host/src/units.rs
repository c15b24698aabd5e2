//! Durations and memory quantities as Kubernetes users write them (`2s`, `500ms`, `64Mi`).

use std::time::Duration;

/// Parses a duration like Go's `time.ParseDuration` for the units a step needs: `ms`, `s`, `m`, `h`,
/// combined (`1m30s`) and fractional (`1.5s`). Returns `None` for anything else, including negatives.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * seconds_per_unit;
    }
    Duration::try_from_secs_f64(total).ok()
}

/// Formats a duration the way [`parse_duration`] reads it: `2s`, `500ms`, `1.5s`, `2m`.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        return format!("{millis}ms");
    }
    if millis.is_multiple_of(60_000) {
        return format!("{}m", millis / 60_000);
    }
    if millis.is_multiple_of(1000) {
        return format!("{}s", millis / 1000);
    }
    format!("{}s", duration.as_secs_f64())
}

/// Binary suffixes (Kubernetes quantities) with their multipliers, largest first.
const BINARY_SUFFIXES: [(&str, u64); 3] = [("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)];
/// Decimal suffixes (Kubernetes quantities) with their multipliers.
const DECIMAL_SUFFIXES: [(&str, u64); 3] = [("G", 1_000_000_000), ("M", 1_000_000), ("k", 1_000)];

/// Parses a memory quantity as Kubernetes writes it: `64Mi`, `1Gi`, `512Ki`, `100M`, `65536` (bytes).
pub fn parse_quantity(text: &str) -> Option<u64> {
    let text = text.trim();
    for (suffix, multiplier) in BINARY_SUFFIXES.iter().chain(&DECIMAL_SUFFIXES) {
        if let Some(number) = text.strip_suffix(suffix) {
            return number.parse::<u64>().ok()?.checked_mul(*multiplier);
        }
    }
    text.parse().ok()
}

/// Formats a byte count as the largest exact binary quantity: `64Mi`, `1Gi`, `1000`.
pub fn format_quantity(bytes: u64) -> String {
    for (suffix, multiplier) in BINARY_SUFFIXES {
        if bytes >= multiplier && bytes.is_multiple_of(multiplier) {
            return format!("{}{suffix}", bytes / multiplier);
        }
    }
    bytes.to_string()
}

/// Formats seconds since 1970 as an RFC 3339 UTC time, `1970-01-01T00:00:00Z`, as OCI configs
/// write their `created` time.
pub fn format_rfc3339(seconds: u64) -> String {
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    // Howard Hinnant's days-to-civil, for days since 1970-01-01 in the proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_as_rfc3339_utc() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn durations_parse_like_go() {
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2"), None);
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("2 s"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("1d"), None);
    }

    #[test]
    fn durations_format_in_their_largest_whole_unit() {
        assert_eq!(format_duration(Duration::from_secs(2)), "2s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
    }

    #[test]
    fn quantities_parse_binary_and_decimal_suffixes() {
        assert_eq!(parse_quantity("64Mi"), Some(64 << 20));
        assert_eq!(parse_quantity("1Gi"), Some(1 << 30));
        assert_eq!(parse_quantity("512Ki"), Some(512 << 10));
        assert_eq!(parse_quantity("100M"), Some(100_000_000));
        assert_eq!(parse_quantity("65536"), Some(65536));
        assert_eq!(parse_quantity("64Mo"), None);
        assert_eq!(parse_quantity("Mi"), None);
        assert_eq!(parse_quantity("-1Mi"), None);
    }

    #[test]
    fn quantities_format_as_exact_binary_units() {
        assert_eq!(format_quantity(64 << 20), "64Mi");
        assert_eq!(format_quantity(1 << 30), "1Gi");
        assert_eq!(format_quantity(1000), "1000");
        assert_eq!(format_quantity(1536 << 10), "1536Ki");
    }
}
