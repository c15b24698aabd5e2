//! sha256 digests of module bytes and the pins a step may set.

use sha2::{Digest, Sha256};

/// The lowercase hex sha256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Normalises a pin written as `sha256:<hex>` or `<hex>` to lowercase hex; `None` when it is not
/// 64 hex digits.
pub fn parse_pin(pin: &str) -> Option<String> {
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
