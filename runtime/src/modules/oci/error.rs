//! Why a module could not be pulled from (or pushed to) a registry: each message names the
//! reference and the cause, then says what to do.

use std::path::PathBuf;
use std::time::Duration;

use crate::error_chain;
use crate::units::format_duration;

/// A cause from a library, printed in the message (not exposed as a `source`, so it is not
/// printed twice).
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A failure of the OCI layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A tag without a digest, and the server pins modules.
    #[error(
        "module \"{reference}\" is not pinned: the reference has no digest and input.sha256 is not set; write it as <repository>@sha256:<manifest digest> (module push prints it), or set input.sha256 to the module's sha256, or start the server with --allow-unpinned-modules"
    )]
    Unpinned {
        /// The reference as written.
        reference: String,
    },
    /// The registry could not be reached (connection refused, DNS, TLS).
    #[error(
        "module \"{reference}\": cannot reach the registry {registry} ({attempts} attempts): {}; check the address and that the registry runs (a registry serving plain HTTP needs --insecure-registry {registry}; one with a private CA, --registry-ca-file)",
        error_chain(cause.as_ref())
    )]
    Unreachable {
        /// The reference as written.
        reference: String,
        /// The registry's host and port.
        registry: String,
        /// How many times it was tried.
        attempts: u32,
        /// Why.
        cause: Cause,
    },
    /// Each attempt ran out of time.
    #[error(
        "module \"{reference}\": the registry {registry} did not answer within {} ({attempts} attempts); retry later, or raise --registry-timeout",
        format_duration(*timeout)
    )]
    Timeout {
        /// The reference as written.
        reference: String,
        /// The registry's host and port.
        registry: String,
        /// How many times it was tried.
        attempts: u32,
        /// The limit per attempt.
        timeout: Duration,
    },
    /// The registry has no such repository, tag or manifest.
    #[error(
        "module \"{reference}\": not found in the registry ({registry_says}); check the repository, the tag and the digest (module push prints the digest)"
    )]
    NotFound {
        /// The reference as written.
        reference: String,
        /// The registry's own words.
        registry_says: String,
    },
    /// The registry refused the request for lack of (right) credentials.
    #[error(
        "module \"{reference}\": the registry {registry} refused {}; {}",
        if *has_credentials { "the credentials --registry-config gives for it" } else { "to serve it without credentials" },
        if *has_credentials { "check the user name and password there" } else { "add them to the file --registry-config names (a kubernetes.io/dockerconfigjson Secret)" }
    )]
    Unauthorized {
        /// The reference as written.
        reference: String,
        /// The registry's host and port.
        registry: String,
        /// Whether credentials were sent.
        has_credentials: bool,
    },
    /// The registry answered with an error this layer has no better word for.
    #[error("module \"{reference}\": the registry failed: {}; retry later", error_chain(cause.as_ref()))]
    Registry {
        /// The reference as written.
        reference: String,
        /// Why.
        cause: Cause,
        /// Whether trying again may help (a 5xx or 429 answer).
        is_transient: bool,
    },
    /// The reference names an image index, not one artifact.
    #[error(
        "module \"{reference}\": is an image index, not a single artifact; name one of its manifests by digest, or publish the module with function-wasmtime module push"
    )]
    Index {
        /// The reference as written.
        reference: String,
    },
    /// The manifest does not parse as an image manifest.
    #[error(
        "module \"{reference}\": its manifest is not an OCI image manifest: {cause}; publish the module with function-wasmtime module push"
    )]
    BadManifest {
        /// The reference as written.
        reference: String,
        /// The parser's words.
        cause: String,
    },
    /// No layer has a WebAssembly media type.
    #[error(
        "module \"{reference}\": has no WebAssembly layer (its layers: {}); publish the module with function-wasmtime module push, whose layer is application/wasm",
        if media_types.is_empty() { "none".to_owned() } else { media_types.join(", ") }
    )]
    NotWasm {
        /// The reference as written.
        reference: String,
        /// The layers' media types.
        media_types: Vec<String>,
    },
    /// More than one WebAssembly layer, so which one to run is unclear.
    #[error(
        "module \"{reference}\": has {count} WebAssembly layers; a module artifact has exactly one"
    )]
    SeveralWasm {
        /// The reference as written.
        reference: String,
        /// How many.
        count: usize,
    },
    /// The layer is over the size cap.
    #[error(
        "module \"{reference}\": its layer is {size} bytes, over the {max}-byte limit for pulled modules; make the module smaller, or start the server with a larger --max-module-size"
    )]
    TooLarge {
        /// The reference as written.
        reference: String,
        /// Its size, as the manifest says or as far as it was read.
        size: u64,
        /// The cap.
        max: u64,
    },
    /// The layer's bytes do not have the digest its manifest names.
    #[error(
        "module \"{reference}\": the registry sent a layer whose sha256 is sha256:{actual}, not the sha256:{expected} its manifest names; the registry or a proxy corrupted it, retry later"
    )]
    LayerDigest {
        /// The reference as written.
        reference: String,
        /// The manifest's digest, hex.
        expected: String,
        /// The bytes' digest, hex.
        actual: String,
    },
    /// The credentials file cannot be read or parsed.
    #[error(
        "--registry-config {}: {problem}; it must be a docker config JSON like {{\"auths\": {{\"HOST\": {{\"auth\": \"<base64 of user:password>\"}}}}}}, as in a kubernetes.io/dockerconfigjson Secret",
        path.display()
    )]
    Credentials {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The CA bundle cannot be read or holds no certificate.
    #[error("--registry-ca-file {}: {problem}; it must hold PEM certificates", path.display())]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot set up the registry client: {}", error_chain(cause.as_ref()))]
    Client {
        /// Why.
        cause: Cause,
    },
    /// `module push` was given a reference that pins a digest.
    #[error(
        "{reference}: pins a digest; push to a tag (host/repository:tag), and the digest is printed"
    )]
    PushToDigest {
        /// The reference as written.
        reference: String,
    },
}

impl Error {
    /// Whether trying again soon may succeed.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            Error::Unreachable { .. } | Error::Timeout { .. } => true,
            Error::Registry { is_transient, .. } => *is_transient,
            _ => false,
        }
    }

    /// The same error, saying it came after `tried` attempts.
    pub(crate) fn after_attempts(self, tried: u32) -> Error {
        match self {
            Error::Unreachable {
                reference,
                registry,
                cause,
                ..
            } => Error::Unreachable {
                reference,
                registry,
                attempts: tried,
                cause,
            },
            Error::Timeout {
                reference,
                registry,
                timeout,
                ..
            } => Error::Timeout {
                reference,
                registry,
                attempts: tried,
                timeout,
            },
            error => error,
        }
    }

    /// Whether the same content-addressed manifest would fail the same way again.
    pub(crate) fn is_lasting(&self) -> bool {
        matches!(
            self,
            Error::Index { .. }
                | Error::BadManifest { .. }
                | Error::NotWasm { .. }
                | Error::SeveralWasm { .. }
                | Error::TooLarge { .. }
        )
    }
}

/// Results of the OCI layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;
