//! The Input's values that are text with a grammar: each is parsed where serde reads it, so a bad
//! value fails at its own field path with a message that says how to write it, and prints back
//! as users write it. In the CRD each is a string.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::modules::Sha256;
use crate::modules::oci::OciRef;
use crate::units::{format_duration, format_quantity, parse_duration, parse_quantity};

/// A duration as Go and Kubernetes write it: `2s`, `500ms`, `1h30m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoDuration(pub Duration);

impl FromStr for GoDuration {
    type Err = String;

    fn from_str(text: &str) -> Result<GoDuration, String> {
        parse_duration(text)
            .map(GoDuration)
            .ok_or_else(|| format!("{text:?} is not a duration; write it like 2s, 500ms or 5m"))
    }
}

impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

/// A number of bytes as a Kubernetes quantity: `64Mi`, `1Gi`, `500M`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity(pub u64);

impl FromStr for Quantity {
    type Err = String;

    fn from_str(text: &str) -> Result<Quantity, String> {
        parse_quantity(text)
            .map(Quantity)
            .ok_or_else(|| format!("{text:?} is not a quantity; write it like 64Mi"))
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_quantity(self.0))
    }
}

/// The name of a bundled module or of `NAME.wasm` in `--modules-dir` (see [`is_module_name`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleName(String);

impl ModuleName {
    /// The name.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl FromStr for ModuleName {
    type Err = String;

    fn from_str(name: &str) -> Result<ModuleName, String> {
        if is_module_name(name) {
            Ok(ModuleName(name.to_owned()))
        } else {
            Err(format!(
                "{name:?} is not a module name; use lowercase letters, digits, '-', '_' and '.', starting with a letter or digit"
            ))
        }
    }
}

impl fmt::Display for ModuleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `name` can name a module: lowercase letters, digits, `-`, `_` and `.`, starting with a
/// letter or digit, no `..`, at most 253 characters, so `NAME.wasm` never leaves its directory.
pub fn is_module_name(name: &str) -> bool {
    let is_allowed =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.');
    !name.is_empty()
        && name.len() <= 253
        && name.chars().all(is_allowed)
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && !name.contains("..")
}

/// Reads a string field through the type's `FromStr`, writes it through `Display`, and describes
/// it as a string in the CRD (the field's doc comment gives the description).
macro_rules! text_value {
    ($($type:ty),* $(,)?) => {$(
        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl JsonSchema for $type {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($type))
            }

            fn inline_schema() -> bool {
                true
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "type": "string" })
            }
        }
    )*};
}

text_value!(GoDuration, Quantity, ModuleName, Sha256, OciRef);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_and_print_as_users_write_them() {
        assert_eq!("1m30s".parse(), Ok(GoDuration(Duration::from_secs(90))));
        assert_eq!(GoDuration(Duration::from_millis(500)).to_string(), "500ms");
        assert_eq!("64Mi".parse(), Ok(Quantity(64 << 20)));
        assert_eq!(Quantity(1 << 30).to_string(), "1Gi");
        assert_eq!(
            "2x".parse::<GoDuration>(),
            Err(r#""2x" is not a duration; write it like 2s, 500ms or 5m"#.to_owned())
        );
        let name: ModuleName = "hello".parse().unwrap();
        assert_eq!(name.to_string(), "hello");
        assert!("../x".parse::<ModuleName>().is_err());
        let pin: Sha256 = "AB".repeat(32).parse().unwrap();
        assert_eq!(pin.to_string(), format!("sha256:{}", "ab".repeat(32)));
        assert_eq!(
            serde_json::to_string(&GoDuration(Duration::from_secs(60))).unwrap(),
            r#""1m""#
        );
    }
}
