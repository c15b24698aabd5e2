//! Base64 as protojson writes `bytes` fields: the standard alphabet with padding. Reading also
//! accepts the URL-safe alphabet and missing padding, as protojson parsers must.
//!
//! A small codec instead of a dependency: modules stay small, and connection details
//! and credentials are the only `bytes` fields in the protocol.

use std::fmt;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Why a string is not base64.
///
/// # Examples
/// ```
/// let error = xfn_sdk::base64::decode("ab!d").unwrap_err();
/// assert_eq!(error.offset, 2);
/// assert_eq!(error.to_string(), "not base64: unexpected character at offset 2");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidBase64 {
    /// Byte offset of the first character that cannot be decoded.
    pub offset: usize,
}

impl fmt::Display for InvalidBase64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not base64: unexpected character at offset {}",
            self.offset
        )
    }
}

impl std::error::Error for InvalidBase64 {}

/// Encodes `bytes` as standard base64 with padding.
///
/// # Examples
/// ```
/// assert_eq!(xfn_sdk::base64::encode(b"hi!"), "aGkh");
/// assert_eq!(xfn_sdk::base64::encode(b"hi"), "aGk=");
/// ```
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard or URL-safe base64, with or without padding.
///
/// # Errors
/// [`InvalidBase64`] at the first character outside both alphabets, at padding followed by
/// more data, or at a lone trailing character (one character cannot hold a byte).
///
/// # Examples
/// ```
/// assert_eq!(xfn_sdk::base64::decode("aGk=").unwrap(), b"hi");
/// assert_eq!(xfn_sdk::base64::decode("aGk").unwrap(), b"hi");
/// assert!(xfn_sdk::base64::decode("a*").is_err());
/// ```
pub fn decode(text: &str) -> Result<Vec<u8>, InvalidBase64> {
    let data = text.trim_end_matches('=');
    if text.len() - data.len() > 2 {
        return Err(InvalidBase64 { offset: data.len() });
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for (offset, byte) in data.bytes().enumerate() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return Err(InvalidBase64 { offset }),
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    // Six leftover bits mean a lone character, which cannot encode a byte.
    if bits >= 6 {
        return Err(InvalidBase64 {
            offset: data.len() - 1,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(encode(plain.as_bytes()), encoded);
            assert_eq!(decode(encoded).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn decodes_url_safe_and_unpadded() {
        assert_eq!(decode("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode("+/8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode("Zm9vYg").unwrap(), b"foob");
    }

    #[test]
    fn round_trips_every_byte() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&bytes)).unwrap(), bytes);
    }

    #[test]
    fn rejects_garbage_with_its_offset() {
        assert_eq!(decode("Zm9v!"), Err(InvalidBase64 { offset: 4 }));
        assert_eq!(decode("Z"), Err(InvalidBase64 { offset: 0 }));
        assert_eq!(decode("Zg==="), Err(InvalidBase64 { offset: 2 }));
        assert_eq!(
            InvalidBase64 { offset: 4 }.to_string(),
            "not base64: unexpected character at offset 4"
        );
    }
}
