//! A module's OCI reference as a step or a command writes it: `host[:port]/repo:tag` or
//! `host[:port]/repo@sha256:<64 hex>`, the registry always named.

use std::fmt;
use std::str::FromStr;

use oci_spec::distribution::Reference;

/// A parsed reference to a module published as an OCI artifact.
///
/// The registry must be named (`ghcr.io/team/module:v1`, `127.0.0.1:5000/module@sha256:…`): a
/// bare `team/module` would silently mean Docker Hub. A manifest digest, when given, must be a
/// sha256 and pins the reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OciRef {
    text: String,
    reference: Reference,
}

impl OciRef {
    /// The reference as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The pinned manifest digest, `sha256:<hex>`, when the reference has one.
    pub fn digest(&self) -> Option<&str> {
        self.reference.digest()
    }

    /// The registry's host and port, as credentials and `--insecure-registry` name it.
    pub fn registry(&self) -> &str {
        self.reference.resolve_registry()
    }

    /// The parsed form, for the OCI client.
    pub(crate) fn reference(&self) -> &Reference {
        &self.reference
    }

    /// The same repository at manifest `digest`.
    pub(crate) fn at_digest(&self, digest: &str) -> Reference {
        Reference::with_digest(
            self.reference.registry().to_owned(),
            self.reference.repository().to_owned(),
            digest.to_owned(),
        )
    }

    /// Whether `text` looks like a reference rather than a file or a module name: its first
    /// component names a registry (has a `.` or a `:`, or is `localhost`) and a repository follows.
    pub fn is_reference_like(text: &str) -> bool {
        text.split_once('/').is_some_and(|(host, rest)| {
            !rest.is_empty()
                && !host.starts_with('.')
                && (host.contains(['.', ':']) || host == "localhost")
        })
    }
}

impl FromStr for OciRef {
    type Err = String;

    /// Parses `text`; the error says what is wrong and how to write it.
    fn from_str(text: &str) -> Result<OciRef, String> {
        const HOW: &str =
            "write it like ghcr.io/team/module@sha256:<64 hex digits> or ghcr.io/team/module:v1";
        if !OciRef::is_reference_like(text) {
            return Err(format!("{text:?} does not name a registry; {HOW}"));
        }
        let reference = Reference::from_str(text)
            .map_err(|error| format!("{text:?} is not an OCI reference ({error}); {HOW}"))?;
        if let Some(digest) = reference.digest() {
            let is_sha256 = digest
                .strip_prefix("sha256:")
                .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
            if !is_sha256 {
                return Err(format!(
                    "{text:?} pins {digest:?}, which is not a sha256 digest; {HOW}"
                ));
            }
        }
        Ok(OciRef {
            text: text.to_owned(),
            reference,
        })
    }
}

impl fmt::Display for OciRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_their_registry_and_may_pin_a_sha256() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let pinned: OciRef = format!("127.0.0.1:5000/team/hello@{digest}")
            .parse()
            .expect("a pinned reference");
        assert_eq!(
            (pinned.registry(), pinned.digest()),
            ("127.0.0.1:5000", Some(digest.as_str()))
        );
        let tagged: OciRef = "ghcr.io/team/hello:v1".parse().expect("a tag");
        assert_eq!((tagged.registry(), tagged.digest()), ("ghcr.io", None));
        assert_eq!(tagged.to_string(), "ghcr.io/team/hello:v1");
    }

    #[test]
    fn bad_references_say_how_to_write_one() {
        let error = |text: &str| text.parse::<OciRef>().expect_err("refused");
        assert_eq!(
            error("team/hello:v1"),
            "\"team/hello:v1\" does not name a registry; write it like ghcr.io/team/module@sha256:<64 hex digits> or ghcr.io/team/module:v1"
        );
        assert_eq!(
            error("ghcr.io/team/hello@sha256:abc"),
            "\"ghcr.io/team/hello@sha256:abc\" is not an OCI reference (invalid reference format); write it like ghcr.io/team/module@sha256:<64 hex digits> or ghcr.io/team/module:v1"
        );
        assert!(!OciRef::is_reference_like("hello.wasm"));
        assert!(!OciRef::is_reference_like("./hello.wasm"));
        assert!(OciRef::is_reference_like("localhost/hello"));
    }
}
