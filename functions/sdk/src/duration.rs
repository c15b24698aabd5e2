//! `google.protobuf.Duration` in its protojson form: seconds with an `s` suffix, e.g. `"60s"`,
//! `"1.5s"`, `"0.000001s"`.

use std::time::Duration;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serializer};

/// Formats `duration` as protojson: whole seconds, then 3, 6 or 9 fractional digits if needed.
pub(crate) fn format(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let nanos = duration.subsec_nanos();
    if nanos == 0 {
        format!("{seconds}s")
    } else if nanos.is_multiple_of(1_000_000) {
        format!("{seconds}.{:03}s", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!("{seconds}.{:06}s", nanos / 1_000)
    } else {
        format!("{seconds}.{nanos:09}s")
    }
}

/// Parses a protojson duration. Negative durations are rejected: the protocol uses durations only
/// for `ttl`, where a negative value means nothing.
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let invalid =
        || format!("{text:?} is not a duration; write it in seconds like \"60s\" or \"1.5s\"");
    let number = text.strip_suffix('s').ok_or_else(invalid)?;
    if number.starts_with('-') {
        return Err(format!("{text:?} is negative; a ttl must be zero or more"));
    }
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !is_digits(whole) || !is_digits(fraction) || fraction.len() > 9 {
        return Err(invalid());
    }
    let seconds: u64 = whole.parse().map_err(|_| invalid())?;
    let nanos = if fraction.is_empty() {
        0
    } else {
        let digits: u32 = fraction.parse().map_err(|_| invalid())?;
        let scale = 10_u32.pow(9 - u32::try_from(fraction.len()).map_err(|_| invalid())?);
        digits * scale
    };
    Ok(Duration::new(seconds, nanos))
}

/// Serde for `Option<Duration>` fields in protojson form.
pub(crate) mod option {
    use super::*;

    /// Writes `Some(d)` as `"<seconds>s"`. Fields using this skip `None`.
    pub(crate) fn serialize<S: Serializer>(
        duration: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match duration {
            Some(duration) => serializer.serialize_str(&format(*duration)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `"<seconds>s"`, or `null` as `None`.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| parse(&text).map_err(de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_protojson() {
        assert_eq!(format(Duration::from_secs(60)), "60s");
        assert_eq!(format(Duration::from_millis(1500)), "1.500s");
        assert_eq!(format(Duration::from_micros(1)), "0.000001s");
        assert_eq!(format(Duration::from_nanos(1_000_000_001)), "1.000000001s");
        assert_eq!(format(Duration::ZERO), "0s");
    }

    #[test]
    fn parses_whole_and_fractional_seconds() {
        assert_eq!(parse("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("0.000000001s"), Ok(Duration::from_nanos(1)));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_what_is_not_a_protojson_duration() {
        assert_eq!(
            parse("1m"),
            Err(r#""1m" is not a duration; write it in seconds like "60s" or "1.5s""#.to_owned())
        );
        assert_eq!(
            parse("-1s"),
            Err(r#""-1s" is negative; a ttl must be zero or more"#.to_owned())
        );
        for text in ["s", ".5s", "1.s5", "1.0000000001s", "1e3s", " 1s"] {
            assert!(parse(text).is_err(), "{text:?} should not parse");
        }
    }
}
