//! The `string` transform: Format, Convert (case, base64, JSON, hashes), TrimPrefix,
//! TrimSuffix, Regexp, Join and Replace.

use std::fmt::Write as _;

use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::error::{Error, Result};
use crate::gofmt::{sprint_element, sprint_piped, sprintf};
use crate::goregex;
use crate::gostrconv::quote;
use crate::input::{StringRegexp, StringTransform};
use crate::value::{Piped, go_json};

/// Runs a `string` transform on `input`.
///
/// # Errors
/// Missing configuration (`string transform of type Format fmt is not set`), an unknown type,
/// invalid base64, a regexp that does not compile or match, or `Join` on a non-array.
pub fn resolve_string(transform: &StringTransform, input: &Piped) -> Result<String> {
    let kind = transform.type_.as_str();
    let unset = |field: &str| {
        Error::new(format!(
            "string transform of type {kind} {field} is not set"
        ))
    };
    match kind {
        "Format" => Ok(sprintf(
            transform.fmt.as_deref().ok_or_else(|| unset("fmt"))?,
            std::slice::from_ref(input),
        )),
        "Convert" => convert(
            transform
                .convert
                .as_deref()
                .ok_or_else(|| unset("convert"))?,
            input,
        ),
        "TrimPrefix" | "TrimSuffix" => {
            let trim = transform.trim.as_deref().ok_or_else(|| unset("trim"))?;
            let text = sprint_piped(input);
            let trimmed = if kind == "TrimPrefix" {
                text.strip_prefix(trim)
            } else {
                text.strip_suffix(trim)
            };
            Ok(trimmed.map_or_else(|| text.clone(), str::to_owned))
        }
        "Regexp" => regexp(
            transform.regexp.as_ref().ok_or_else(|| unset("regexp"))?,
            input,
        ),
        "Join" => join(
            &transform
                .join
                .as_ref()
                .ok_or_else(|| unset("join"))?
                .separator,
            input,
        ),
        "Replace" => {
            let replace = transform.replace.as_ref().ok_or_else(|| unset("replace"))?;
            Ok(sprint_piped(input).replace(&replace.search, &replace.replace))
        }
        other => Err(Error::new(format!(
            "type {other} is not supported for string transform type"
        ))),
    }
}

/// `Regexp`: the match of `group` (0, the whole match, by default) in the input's `%v`.
fn regexp(regexp: &StringRegexp, input: &Piped) -> Result<String> {
    let regex = goregex::compile(&regexp.match_)
        .map_err(|e| Error::new(e).wrap("could not compile regexp"))?;
    let group = regexp.group.unwrap_or(0);
    let text = sprint_piped(input);
    let found = regex.captures(&text).and_then(|captures| {
        let index = usize::try_from(group).ok()?;
        if index >= captures.len() {
            return None;
        }
        Some(captures.get(index).map_or("", |m| m.as_str()).to_owned())
    });
    found.ok_or_else(|| {
        Error::new(format!(
            "regexp {} had no matches for group {group}",
            quote(&regexp.match_)
        ))
    })
}

/// `Join`: the `%v` of each element of an array, each followed by `separator`, less the final
/// byte.
fn join(separator: &str, input: &Piped) -> Result<String> {
    let Piped::Json(Value::Array(items)) = input else {
        return Err(Error::new("could not parse input array"));
    };
    if items.is_empty() {
        return Ok(String::new());
    }
    let mut joined = String::new();
    for item in items {
        joined.push_str(&sprint_element(item));
        joined.push_str(separator);
    }
    // Upstream drops one byte of the trailing separator, whatever its length.
    let mut bytes = joined.into_bytes();
    if !separator.is_empty() {
        bytes.pop();
    }
    Ok(go_lossy(&bytes))
}

fn convert(kind: &str, input: &Piped) -> Result<String> {
    let text = sprint_piped(input);
    // Go's json.Marshal, which fails on NaN and infinities.
    let marshal = || match input {
        Piped::Json(value) => Ok(go_json(value)),
        Piped::NonFinite(_) => {
            Err(Error::new(input.clone().into_json().unwrap_err()).wrap("cannot marshal to JSON"))
        }
    };
    // Hashes read a string's bytes and the JSON of anything else.
    let hashed = |context: &str| match input {
        Piped::Json(Value::String(s)) => Ok(s.clone().into_bytes()),
        _ => marshal()
            .map(String::into_bytes)
            .map_err(|e| e.wrap(context)),
    };
    const HASH: &str = "cannot generate hash";
    match kind {
        "ToUpper" => Ok(text.chars().map(go_to_upper).collect()),
        "ToLower" => Ok(text.chars().map(go_to_lower).collect()),
        "ToJson" => marshal(),
        "ToBase64" => Ok(xfn_sdk::base64::encode(text.as_bytes())),
        "FromBase64" => decode_base64(&text)
            .map(|bytes| go_lossy(&bytes))
            .map_err(|e| e.wrap("string is not valid base64")),
        "ToSha1" => Ok(hex(&Sha1::digest(hashed(HASH)?))),
        "ToSha256" => Ok(hex(&Sha256::digest(hashed(HASH)?))),
        "ToSha512" => Ok(hex(&Sha512::digest(hashed(HASH)?))),
        "ToAdler32" => Ok(adler32(&hashed("unable to generate Adler checksum")?).to_string()),
        other => Err(Error::new(format!(
            "type {other} is not supported for string convert"
        ))),
    }
}

/// Bytes as text the way upstream's output ends up: Go strings may hold invalid UTF-8 (a `Join`
/// cut inside its separator, a decoded base64), and `encoding/json` writes each invalid byte as
/// U+FFFD. (Rust's lossy decoding would write one U+FFFD for a cut character.)
fn go_lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(error) => {
                let (valid, after) = rest.split_at(error.valid_up_to());
                out.push_str(std::str::from_utf8(valid).expect("valid up to here"));
                let invalid = error.error_len().unwrap_or(after.len());
                out.extend(std::iter::repeat_n('\u{fffd}', invalid));
                rest = &after[invalid..];
            }
        }
    }
}

/// Go's `unicode.ToUpper` of one character: the simple case mapping, never several characters
/// (`ß` stays `ß`; Rust's full mapping gives `SS`).
fn go_to_upper(c: char) -> char {
    let mut upper = c.to_uppercase();
    if let (Some(single), None) = (upper.next(), upper.next()) {
        return single;
    }
    // Where the full mapping has several characters, a few have a simple one: Greek letters
    // with ypogegrammeni take the form with prosgegrammeni.
    let simple = match u32::from(c) {
        code @ (0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7) => char::from_u32(code + 8),
        0x1FB3 => Some('\u{1FBC}'),
        0x1FC3 => Some('\u{1FCC}'),
        0x1FF3 => Some('\u{1FFC}'),
        _ => None,
    };
    simple.unwrap_or(c)
}

/// Go's `unicode.ToLower` of one character: the simple case mapping (`İ` becomes `i`; no final
/// sigma).
fn go_to_lower(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(single), None) => single,
        _ if c == '\u{130}' => 'i',
        _ => c,
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// RFC 1950's Adler-32, as Go's `hash/adler32`.
fn adler32(bytes: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 is the most bytes before b can overflow u32 without a reduction.
    for chunk in bytes.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// Go's `base64.StdEncoding.DecodeString`: standard alphabet, padding required, `\r` and `\n`
/// skipped.
fn decode_base64(text: &str) -> Result<Vec<u8>> {
    let illegal = |offset: usize| Error::new(format!("illegal base64 data at input byte {offset}"));
    let chars: Vec<(usize, u8)> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b != b'\r' && *b != b'\n')
        .collect();
    let is_alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    for (quantum, group) in chars.chunks(4).enumerate() {
        let is_last = (quantum + 1) * 4 >= chars.len();
        for (j, &(offset, byte)) in group.iter().enumerate() {
            if byte == b'=' {
                let ok = is_last && group.len() == 4 && (j == 3 || (j == 2 && group[3].1 == b'='));
                if !ok {
                    return Err(illegal(offset));
                }
                break;
            }
            if !is_alphabet(byte) {
                return Err(illegal(offset));
            }
        }
        if group.len() < 4 {
            return Err(illegal(group[0].0));
        }
    }
    let clean: String = chars.iter().map(|&(_, b)| char::from(b)).collect();
    xfn_sdk::base64::decode(&clean).map_err(|e| illegal(e.offset))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::value::{int64, parsed};

    fn run(t: Value, input: Value) -> Result<String> {
        resolve_string(
            &serde_json::from_value(t).unwrap(),
            &Piped::Json(parsed(input)),
        )
    }

    fn convert_to(kind: &str, input: Value) -> Result<String> {
        run(json!({"type": "Convert", "convert": kind}), input)
    }

    #[test]
    fn formats_with_go_fmt() {
        assert_eq!(
            run(json!({"type": "Format", "fmt": "size-%s"}), json!("large")).unwrap(),
            "size-large"
        );
        assert_eq!(
            run(json!({"type": "Format", "fmt": "%d"}), json!(5)).unwrap(),
            "%!d(float64=5)"
        );
        let t = serde_json::from_value(json!({"type": "Format", "fmt": "%d"})).unwrap();
        assert_eq!(resolve_string(&t, &Piped::Json(int64(5))).unwrap(), "5");
    }

    #[test]
    fn a_join_cut_inside_a_character_leaves_a_replacement_per_byte() {
        let t = json!({"type": "Join", "join": {"separator": "→"}});
        assert_eq!(run(t, json!(["a", "b"])).unwrap(), "a→b\u{fffd}\u{fffd}");
    }

    #[test]
    fn cases_map_one_character_at_a_time_as_go_does() {
        // Checked against Go 1.26's strings.ToUpper and strings.ToLower.
        assert_eq!(convert_to("ToUpper", json!("ᾳᾀßﬁǅ")).unwrap(), "ᾼᾈßﬁǄ");
        assert_eq!(convert_to("ToLower", json!("İΣΑΣᾈ")).unwrap(), "iσασᾀ");
    }

    #[test]
    fn nan_cannot_be_marshalled_or_hashed() {
        let t = |kind: &str| {
            serde_json::from_value(json!({"type": "Convert", "convert": kind})).unwrap()
        };
        let nan = Piped::NonFinite(f64::NAN);
        assert_eq!(
            resolve_string(&t("ToJson"), &nan).unwrap_err().to_string(),
            "cannot marshal to JSON: json: unsupported value: NaN"
        );
        assert_eq!(
            resolve_string(&t("ToSha256"), &nan)
                .unwrap_err()
                .to_string(),
            "cannot generate hash: cannot marshal to JSON: json: unsupported value: NaN"
        );
        assert_eq!(
            resolve_string(&t("ToAdler32"), &nan)
                .unwrap_err()
                .to_string(),
            "unable to generate Adler checksum: cannot marshal to JSON: json: unsupported value: NaN"
        );
        assert_eq!(resolve_string(&t("ToUpper"), &nan).unwrap(), "NAN");
    }

    #[test]
    fn converts_case_base64_and_json() {
        assert_eq!(
            convert_to("ToUpper", json!("crossplane")).unwrap(),
            "CROSSPLANE"
        );
        assert_eq!(
            convert_to("ToLower", json!("CrossPlane")).unwrap(),
            "crossplane"
        );
        assert_eq!(
            convert_to("ToBase64", json!("Crossplane")).unwrap(),
            "Q3Jvc3NwbGFuZQ=="
        );
        assert_eq!(
            convert_to("FromBase64", json!("Q3Jvc3NwbGFuZQ==")).unwrap(),
            "Crossplane"
        );
        assert_eq!(
            convert_to("FromBase64", json!("Q3Jvc3NwbGFuZQ"))
                .unwrap_err()
                .to_string(),
            "string is not valid base64: illegal base64 data at input byte 12"
        );
        assert_eq!(
            convert_to("ToJson", json!({"b": 1, "a": "x"})).unwrap(),
            r#"{"a":"x","b":1}"#
        );
        assert_eq!(
            convert_to("ToUpper", json!({"a": "x"})).unwrap(),
            "MAP[A:X]"
        );
        assert_eq!(
            convert_to("ToCamel", json!("a")).unwrap_err().to_string(),
            "type ToCamel is not supported for string convert"
        );
    }

    #[test]
    fn hashes_strings_and_json() {
        let sha256 = convert_to("ToSha256", json!("Crossplane")).unwrap();
        assert!(
            sha256.starts_with("19c8a7c2") && sha256.ends_with("18e31224"),
            "{sha256}"
        );
        assert_eq!(
            convert_to("ToAdler32", json!("Crossplane")).unwrap(),
            "373097499"
        );
        assert_eq!(
            convert_to("ToSha512", json!(1234)).unwrap(),
            convert_to("ToSha512", json!("1234")).unwrap()
        );
        assert_eq!(
            convert_to("ToSha1", json!("")).unwrap(),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
    }

    #[test]
    fn trims_replaces_and_joins() {
        assert_eq!(
            run(
                json!({"type": "TrimPrefix", "trim": "https://"}),
                json!("https://crossplane.io")
            )
            .unwrap(),
            "crossplane.io"
        );
        assert_eq!(
            run(
                json!({"type": "TrimSuffix", "trim": ".io"}),
                json!("crossplane.io")
            )
            .unwrap(),
            "crossplane"
        );
        assert_eq!(
            run(
                json!({"type": "Replace", "replace": {"search": "Cr", "replace": "B"}}),
                json!("Crossplane")
            )
            .unwrap(),
            "Bossplane"
        );
        assert_eq!(
            run(
                json!({"type": "Join", "join": {"separator": "-"}}),
                json!(["cross", "plane", 42])
            )
            .unwrap(),
            "cross-plane-42"
        );
        assert_eq!(
            run(
                json!({"type": "Join", "join": {"separator": ""}}),
                json!(["cross", "plane"])
            )
            .unwrap(),
            "crossplane"
        );
        assert_eq!(
            run(
                json!({"type": "Join", "join": {"separator": ", "}}),
                json!(["a", "b"])
            )
            .unwrap(),
            "a, b,"
        );
        assert_eq!(
            run(
                json!({"type": "Join", "join": {"separator": "-"}}),
                json!("a")
            )
            .unwrap_err()
            .to_string(),
            "could not parse input array"
        );
    }

    #[test]
    fn regexp_returns_a_group() {
        let t = json!({"type": "Regexp", "regexp": {"match": "my-([a-z]+)-(\\d+)", "group": 2}});
        assert_eq!(run(t, json!("my-bucket-42")).unwrap(), "42");
        let t = json!({"type": "Regexp", "regexp": {"match": "x(y)?"}});
        assert_eq!(run(t, json!("axb")).unwrap(), "x");
        let t = json!({"type": "Regexp", "regexp": {"match": "z", "group": 1}});
        assert_eq!(
            run(t, json!("z")).unwrap_err().to_string(),
            "regexp \"z\" had no matches for group 1"
        );
    }
}
