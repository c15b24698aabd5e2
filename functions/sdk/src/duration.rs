//! `google.protobuf.Duration` in its protojson form: seconds with an `s` suffix, e.g. `"60s"`,
//! `"1.5s"`, `"0.000001s"`, read as strictly as Go's `protojson.Unmarshal` reads it.
//!
//! # Examples
//! ```
//! use std::time::Duration;
//! use xfn_sdk::duration;
//!
//! assert_eq!(duration::parse("1.5s"), Ok(Duration::from_millis(1500)));
//! assert_eq!(duration::format(Duration::from_millis(1500)), "1.500s");
//! assert!(duration::parse("1m").is_err());
//! ```

use std::time::Duration;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serializer};

/// The largest `google.protobuf.Duration`, in seconds (10,000 years).
pub const MAX_SECONDS: u64 = 315_576_000_000;

/// Formats `duration` as protojson does: whole seconds, then 3, 6 or 9 fractional digits if
/// needed.
pub fn format(duration: Duration) -> String {
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

/// Parses a protojson duration that is not negative: digits, at most nine fractional digits
/// after a `.` that has digits on both sides, `s`; at most [`MAX_SECONDS`]. A negative zero
/// (`"-0s"`) is zero. The protocol uses durations only for `ttl`, where a negative value
/// means nothing.
///
/// # Errors
/// What is wrong with `text` and how to write it, e.g.
/// `"1m" is not a duration; write it in seconds like "60s" or "1.5s"`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let invalid =
        || format!("{text:?} is not a duration; write it in seconds like \"60s\" or \"1.5s\"");
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let number = unsigned.strip_suffix('s').ok_or_else(invalid)?;
    let (whole, fraction) = match number.split_once('.') {
        Some((_, "")) => return Err(invalid()),
        Some(parts) => parts,
        None => (number, ""),
    };
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !is_digits(whole) || !is_digits(fraction) || fraction.len() > 9 {
        return Err(invalid());
    }
    let seconds: u64 = whole.parse().map_err(|_| invalid())?;
    let nanos: u32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<9}").parse().map_err(|_| invalid())?
    };
    if seconds > MAX_SECONDS {
        return Err(format!(
            "{text:?} is longer than protobuf's 10,000-year limit"
        ));
    }
    if negative && (seconds, nanos) != (0, 0) {
        return Err(format!("{text:?} is negative; a ttl must be zero or more"));
    }
    Ok(Duration::new(seconds, nanos))
}

/// Serde for `Option<Duration>` fields in protojson form, for
/// `#[serde(with = "xfn_sdk::duration::option", skip_serializing_if = "Option::is_none")]`.
pub mod option {
    use super::*;

    /// Writes `Some(d)` as `"<seconds>s"`. Fields using this skip `None`.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<S: Serializer>(
        duration: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match duration {
            Some(duration) => serializer.serialize_str(&format(*duration)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `"<seconds>s"`, or `null` as `None`.
    ///
    /// # Errors
    /// A custom error with [`parse`]'s message.
    pub fn deserialize<'de, D: Deserializer<'de>>(
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
        assert_eq!(parse("-0s"), Ok(Duration::ZERO));
        assert_eq!(parse("-0.000s"), Ok(Duration::ZERO));
        assert_eq!(parse("315576000000s"), Ok(Duration::from_secs(MAX_SECONDS)));
    }

    #[test]
    fn rejects_what_protojson_rejects() {
        assert_eq!(
            parse("1m"),
            Err(r#""1m" is not a duration; write it in seconds like "60s" or "1.5s""#.to_owned())
        );
        assert_eq!(
            parse("-1s"),
            Err(r#""-1s" is negative; a ttl must be zero or more"#.to_owned())
        );
        assert_eq!(
            parse("315576000001s"),
            Err(r#""315576000001s" is longer than protobuf's 10,000-year limit"#.to_owned())
        );
        for text in [
            "",
            "s",
            "60",
            ".5s",
            "1.s",
            "1.s5",
            "1.0000000001s",
            "1e3s",
            " 1s",
            "+1s",
            "--1s",
        ] {
            assert!(parse(text).is_err(), "{text:?} should not parse");
        }
    }
}
