//! sha256 digests of module bytes and the pins a step may set.

use std::fmt;
use std::str::FromStr;

use sha2::Digest as _;

/// The lowercase hex sha256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A sha256 digest a step pins its module to (`input.sha256`): 64 lowercase hex digits, written
/// `sha256:<hex>` or `<hex>` (any case) and printed `sha256:<hex>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sha256(String);

impl Sha256 {
    /// The 64 lowercase hex digits.
    pub fn hex(&self) -> &str {
        &self.0
    }
}

impl FromStr for Sha256 {
    type Err = String;

    /// Parses a pin; the error says how to write one.
    fn from_str(pin: &str) -> Result<Sha256, String> {
        parse_pin(pin).map(Sha256).ok_or_else(|| {
            format!("{pin:?} is not a sha256 digest; write it like sha256:<64 hex digits>")
        })
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.0)
    }
}

/// Normalises a pin written as `sha256:<hex>` or `<hex>` to lowercase hex; `None` when it is not
/// 64 hex digits.
fn parse_pin(pin: &str) -> Option<String> {
    let hex = pin.strip_prefix("sha256:").unwrap_or(pin);
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_accept_both_spellings_and_reject_short_ones() {
        let hex = "9F".repeat(32);
        assert_eq!(parse_pin(&format!("sha256:{hex}")), Some("9f".repeat(32)));
        assert_eq!(parse_pin(&hex), Some("9f".repeat(32)));
        assert_eq!(parse_pin("sha256:abc"), None);
        assert_eq!(parse_pin(&"zz".repeat(32)), None);
    }

    #[test]
    fn digest_of_empty_input_is_the_known_value() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
