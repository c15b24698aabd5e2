//! Modules published to OCI registries: `source: {oci: REF}` in a step, `module push`, and
//! `package build --module NAME=REF`.
//!
//! - **Pinned by default.** A reference that carries a manifest digest (`repo@sha256:…`), or a
//!   step that pins the module's sha256 (`input.sha256`), is content-addressed: once pulled it is
//!   never asked for again, and a pin the registry does not honour is a failure. A bare tag is
//!   refused unless the server runs with `--allow-unpinned-modules`; then it is resolved at most
//!   every `--module-refresh`, the digest it resolved to is logged and named in every message.
//! - **Verified.** The manifest's digest is checked against the reference, the layer's against the
//!   manifest, before a byte is compiled; layers over `--max-module-size` are refused from the
//!   manifest, and a download that runs past its declared size is cut off.
//! - **Off the call path.** A pull runs as a task of its own, with a time limit per attempt and a
//!   few attempts for failures that may pass; callers that want the same manifest or layer wait
//!   for the same pull, and a caller that goes away does not stop it. Steps with other modules
//!   never wait for it.
//! - **Kept on disk** (with `--cache-dir`) by digest, whole or not at all, so replicas sharing the
//!   volume and restarts take them from there.

mod access;
mod artifact;
mod error;
mod flights;
mod push;
mod reference;
mod store;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oci_client::errors::{OciDistributionError, OciEnvelope, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use sha2::{Digest as _, Sha256};
use tokio_stream::StreamExt as _;

pub use access::{DEFAULT_REGISTRY_TIMEOUT, RegistryAccess};
pub use artifact::{LEGACY_WASM_LAYER, WASM_CONFIG, WASM_LAYER};
pub use error::Error;
pub use push::push;
pub use reference::OciRef;

use artifact::Layer;
use flights::{Flights, Shared};
use store::BlobStore;

/// How often a tag is resolved again, by default (`--module-refresh`).
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(300);
/// The largest layer pulled, by default (`--max-module-size`): room for a language runtime
/// compiled to wasm (an interpreter is tens of MiB), far below what would strain a pod.
pub const DEFAULT_MAX_MODULE_BYTES: u64 = 64 * 1024 * 1024;
/// Attempts at a manifest or layer when a failure may pass (unreachable, timed out, 5xx, 429).
pub const PULL_ATTEMPTS: u32 = 3;
/// The wait before the second attempt; it doubles before each later one.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Digest references whose outcome is remembered; past this, the oldest is forgotten.
const MAX_REMEMBERED: usize = 1024;

/// How modules are pulled.
#[derive(Clone, Debug)]
pub struct PullConfig {
    /// How registries are reached.
    pub access: RegistryAccess,
    /// Whether a tag without a digest or an `input.sha256` pin may be used.
    pub is_unpinned_allowed: bool,
    /// How long a tag's resolution is used before it is resolved again.
    pub refresh: Duration,
    /// The largest layer pulled, in bytes.
    pub max_module_bytes: u64,
    /// Where pulled manifests and layers are kept (`<cache-dir>/oci`); in memory only when `None`.
    pub store: Option<PathBuf>,
}

impl Default for PullConfig {
    fn default() -> PullConfig {
        PullConfig {
            access: RegistryAccess::default(),
            is_unpinned_allowed: false,
            refresh: DEFAULT_REFRESH,
            max_module_bytes: DEFAULT_MAX_MODULE_BYTES,
            store: None,
        }
    }
}

/// What a reference resolved to: the module's name in messages and its layer.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    /// The reference as written, with `@sha256:<manifest digest>` added to a tag.
    pub(crate) name: String,
    /// The reference as written, for messages about it.
    reference: OciRef,
    /// The module's layer.
    layer: Layer,
}

impl Resolved {
    /// The module's sha256 (its layer's digest), hex.
    pub(crate) fn module_digest(&self) -> &str {
        self.layer.hex()
    }
}

/// A tag's resolution and when it was made.
struct TagResolution {
    at: Instant,
    resolved: Resolved,
}

/// Pulls modules, each manifest and layer once.
#[derive(Clone)]
pub(crate) struct Puller {
    inner: Arc<Inner>,
}

struct Inner {
    config: PullConfig,
    store: Option<BlobStore>,
    /// Digest references' outcomes: resolutions, and failures that would repeat.
    pinned: Mutex<HashMap<String, Shared<Resolved>>>,
    tags: Mutex<HashMap<String, TagResolution>>,
    manifests: Flights<Resolved>,
    layers: Flights<Arc<[u8]>>,
}

impl Puller {
    /// A puller with `config`.
    ///
    /// # Errors
    /// When the store directory cannot be created.
    pub(crate) fn new(config: PullConfig) -> std::io::Result<Puller> {
        let store = config.store.as_deref().map(BlobStore::open).transpose()?;
        Ok(Puller {
            inner: Arc::new(Inner {
                config,
                store,
                pinned: Mutex::new(HashMap::new()),
                tags: Mutex::new(HashMap::new()),
                manifests: Flights::default(),
                layers: Flights::default(),
            }),
        })
    }

    /// Resolves `reference` to its module layer; `module_pin` is the step's `input.sha256`.
    ///
    /// # Errors
    /// [`Error::Unpinned`] for a bare tag the server may not use, else why the manifest could not
    /// be pulled or is not a module artifact.
    pub(crate) async fn resolve(
        &self,
        reference: &OciRef,
        module_pin: Option<&str>,
    ) -> Shared<Resolved> {
        if reference.digest().is_some() {
            self.resolve_digest(reference).await
        } else {
            self.resolve_tag(reference, module_pin).await
        }
    }

    /// Resolves a reference by digest: once, then from memory unless the pull failed for a
    /// reason that may pass.
    async fn resolve_digest(&self, reference: &OciRef) -> Shared<Resolved> {
        let inner = &self.inner;
        let known = lock(&inner.pinned).get(reference.as_str()).cloned();
        if let Some(known) = known {
            return known;
        }
        let outcome = self.pull_manifest(reference).await;
        let is_lasting = outcome
            .as_ref()
            .err()
            .is_none_or(|error| error.is_lasting());
        if is_lasting {
            let mut pinned = lock(&inner.pinned);
            if pinned.len() >= MAX_REMEMBERED
                && let Some(oldest) = pinned.keys().next().cloned()
            {
                pinned.remove(&oldest);
            }
            pinned.insert(reference.as_str().to_owned(), outcome.clone());
        }
        outcome
    }

    /// Resolves a reference by tag: from the store when `module_pin` names a module kept there,
    /// else from memory until the refresh interval passes, then from the registry (keeping the
    /// last resolution while the registry is down).
    async fn resolve_tag(&self, reference: &OciRef, module_pin: Option<&str>) -> Shared<Resolved> {
        let inner = &self.inner;
        // A tag pinned by the module's sha256: a module kept on disk needs no registry at all.
        if let Some(pin) = module_pin
            && inner.store.as_ref().is_some_and(|store| store.has(pin))
        {
            return Ok(Resolved {
                name: reference.as_str().to_owned(),
                reference: reference.clone(),
                layer: Layer {
                    digest: format!("sha256:{pin}"),
                    size: 0,
                },
            });
        }
        if module_pin.is_none() && !inner.config.is_unpinned_allowed {
            return Err(Arc::new(Error::Unpinned {
                reference: reference.as_str().to_owned(),
            }));
        }
        let previous = lock(&inner.tags).get(reference.as_str()).map(|known| {
            (
                known.at.elapsed() < inner.config.refresh,
                known.resolved.clone(),
            )
        });
        if let Some((true, resolved)) = previous {
            return Ok(resolved);
        }
        match self.pull_manifest(reference).await {
            Ok(resolved) => {
                let changed = previous
                    .as_ref()
                    .is_none_or(|(_, old)| old.name != resolved.name);
                if changed {
                    tracing::info!(reference = %reference, resolved = %resolved.name, "resolved a module tag");
                }
                remember_tag(inner, reference, resolved.clone());
                Ok(resolved)
            }
            // A registry that is down does not stop a module that was running: the last
            // resolution stays until the next refresh.
            Err(error) if previous.is_some() && error.is_transient() => {
                let (_, resolved) = previous.expect("checked just above");
                tracing::warn!(reference = %reference, resolved = %resolved.name, "cannot resolve the tag again, keeping the last digest: {error}");
                remember_tag(inner, reference, resolved.clone());
                Ok(resolved)
            }
            Err(error) => Err(error),
        }
    }

    /// The module's bytes: from the store, or pulled, verified and stored.
    ///
    /// # Errors
    /// Why the layer could not be pulled, or [`Error::LayerDigest`] / [`Error::TooLarge`] when the
    /// bytes are not what the manifest promised.
    pub(crate) async fn fetch(&self, resolved: &Resolved) -> Shared<Arc<[u8]>> {
        let hex = resolved.module_digest().to_owned();
        let key = hex.clone();
        let inner = self.inner.clone();
        let resolved = resolved.clone();
        self.inner
            .layers
            .join(&key, move || async move {
                if let Some(store) = inner.store.clone() {
                    let hex = hex.clone();
                    let kept = tokio::task::spawn_blocking(move || store.get(&hex))
                        .await
                        .ok()
                        .flatten();
                    if let Some(bytes) = kept {
                        return Ok(Arc::from(bytes));
                    }
                }
                let bytes = with_retries(&inner.config.access, &resolved.reference, || {
                    download(&inner, &resolved)
                })
                .await?;
                if let Some(store) = inner.store.clone() {
                    let bytes = bytes.clone();
                    let _ = tokio::task::spawn_blocking(move || store.put(&hex, &bytes)).await;
                }
                Ok(Arc::from(bytes))
            })
            .await
    }

    /// Pulls and checks the manifest `reference` names, once however many callers ask.
    async fn pull_manifest(&self, reference: &OciRef) -> Shared<Resolved> {
        let inner = self.inner.clone();
        let key = reference.as_str().to_owned();
        let reference = reference.clone();
        self.inner
            .manifests
            .join(&key, move || async move {
                let pinned = reference
                    .digest()
                    .map(|digest| digest.trim_start_matches("sha256:").to_owned());
                let kept = match (&inner.store, &pinned) {
                    (Some(store), Some(hex)) => {
                        let (store, hex) = (store.clone(), hex.clone());
                        tokio::task::spawn_blocking(move || store.get(&hex))
                            .await
                            .ok()
                            .flatten()
                    }
                    _ => None,
                };
                let body = match kept {
                    Some(body) => body,
                    None => {
                        let body = with_retries(&inner.config.access, &reference, || {
                            manifest(&inner.config.access, &reference)
                        })
                        .await?;
                        if let (Some(store), Some(hex)) = (&inner.store, &pinned) {
                            store.put(hex, &body);
                        }
                        body
                    }
                };
                let digest = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
                let layer =
                    artifact::wasm_layer(reference.as_str(), &body, inner.config.max_module_bytes)?;
                let name = match reference.digest() {
                    Some(_) => reference.as_str().to_owned(),
                    None => format!("{reference}@{digest}"),
                };
                Ok(Resolved {
                    name,
                    reference,
                    layer,
                })
            })
            .await
    }
}

/// Pulls the module `reference` names once, for tools and `package build`: its name (with the
/// digest a tag resolved to) and its verified bytes.
///
/// # Errors
/// Why it could not be pulled.
pub async fn pull(reference: &OciRef, config: PullConfig) -> Shared<(String, Arc<[u8]>)> {
    let puller = Puller::new(config).map_err(|error| {
        Arc::new(Error::Client {
            cause: Box::new(error),
        })
    })?;
    let resolved = puller.resolve(reference, None).await?;
    let bytes = puller.fetch(&resolved).await?;
    Ok((resolved.name, bytes))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn remember_tag(inner: &Inner, reference: &OciRef, resolved: Resolved) {
    lock(&inner.tags).insert(
        reference.as_str().to_owned(),
        TagResolution {
            at: Instant::now(),
            resolved,
        },
    );
}

/// One attempt at the manifest `reference` names: its bytes, their digest checked against the
/// reference's pin.
async fn manifest(access: &RegistryAccess, reference: &OciRef) -> Result<Vec<u8>, Error> {
    let (client, auth) = connect(access, reference)?;
    let (body, digest) = client
        .pull_manifest_raw(reference.reference(), &auth, artifact::ACCEPTED_MANIFESTS)
        .await
        .map_err(|error| classify(access, reference, &auth, error))?;
    let actual = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
    if let Some(pinned) = reference.digest()
        && (pinned != actual || digest != actual)
    {
        return Err(Error::Registry {
            reference: reference.as_str().to_owned(),
            cause: format!("it sent a manifest whose digest is {actual}, not the pinned {pinned}")
                .into(),
            is_transient: false,
        });
    }
    Ok(body.to_vec())
}

/// One attempt at the layer `resolved` names: streamed, cut off past the size cap or the declared
/// size, and checked against its digest.
async fn download(inner: &Inner, resolved: &Resolved) -> Result<Vec<u8>, Error> {
    let reference = &resolved.reference;
    let (client, auth) = connect(&inner.config.access, reference)?;
    client
        .store_auth_if_needed(reference.registry(), &auth)
        .await;
    let layer = &resolved.layer;
    let at = reference.at_digest(&layer.digest);
    let mut stream = client
        .pull_blob_stream(&at, layer.digest.as_str())
        .await
        .map_err(|error| classify(&inner.config.access, reference, &auth, error))?;
    let max = inner.config.max_module_bytes;
    let too_large = |size: u64| Error::TooLarge {
        reference: reference.as_str().to_owned(),
        size,
        max,
    };
    if let Some(length) = stream.content_length.filter(|length| *length > max) {
        return Err(too_large(length));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(layer.size.min(max)).unwrap_or(0));
    let mut hasher = Sha256::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| Error::Unreachable {
            reference: reference.as_str().to_owned(),
            registry: reference.registry().to_owned(),
            attempts: 1,
            cause: Box::new(error),
        })?;
        let read = u64::try_from(bytes.len() + chunk.len()).unwrap_or(u64::MAX);
        if read > max {
            return Err(too_large(read));
        }
        hasher.update(&chunk);
        bytes.extend_from_slice(&chunk);
    }
    let actual = hex::encode(hasher.finalize());
    if actual != layer.hex() {
        return Err(Error::LayerDigest {
            reference: reference.as_str().to_owned(),
            expected: layer.hex().to_owned(),
            actual,
        });
    }
    Ok(bytes)
}

/// A client and the credentials for `reference`'s registry.
fn connect(
    access: &RegistryAccess,
    reference: &OciRef,
) -> Result<(oci_client::Client, RegistryAuth), Error> {
    Ok((
        access.client()?,
        access.credentials_for(reference.registry())?,
    ))
}

/// Runs `attempt` until it succeeds, fails for good, or [`PULL_ATTEMPTS`] are spent; each
/// attempt gets `access.timeout`.
async fn with_retries<T, F>(
    access: &RegistryAccess,
    reference: &OciRef,
    mut attempt: impl FnMut() -> F,
) -> Result<T, Error>
where
    F: Future<Output = Result<T, Error>>,
{
    let mut backoff = FIRST_BACKOFF;
    let mut tried = 0;
    loop {
        tried += 1;
        let outcome = match tokio::time::timeout(access.timeout, attempt()).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Error::Timeout {
                reference: reference.as_str().to_owned(),
                registry: reference.registry().to_owned(),
                attempts: tried,
                timeout: access.timeout,
            }),
        };
        match outcome {
            Err(error) if error.is_transient() && tried < PULL_ATTEMPTS => {
                tracing::debug!(reference = %reference, "pull attempt {tried} failed, retrying: {error}");
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
            outcome => return outcome.map_err(|error| error.after_attempts(tried)),
        }
    }
}

/// The OCI client's error, told as what happened to `reference`.
fn classify(
    access: &RegistryAccess,
    reference: &OciRef,
    auth: &RegistryAuth,
    error: OciDistributionError,
) -> Error {
    let text = reference.as_str().to_owned();
    let registry = reference.registry().to_owned();
    let unauthorized = || Error::Unauthorized {
        reference: text.clone(),
        registry: registry.clone(),
        has_credentials: !matches!(auth, RegistryAuth::Anonymous),
    };
    match error {
        OciDistributionError::RequestError(error) if error.is_timeout() => Error::Timeout {
            reference: text,
            registry,
            attempts: 1,
            timeout: access.timeout,
        },
        OciDistributionError::RequestError(error) => Error::Unreachable {
            reference: text,
            registry,
            attempts: 1,
            cause: Box::new(error),
        },
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => unauthorized(),
        OciDistributionError::RegistryError { envelope, .. } => {
            classify_envelope(&text, &envelope, unauthorized)
        }
        OciDistributionError::ServerError { code, message, .. } => match code {
            401 | 403 => unauthorized(),
            404 => Error::NotFound {
                reference: text,
                registry_says: format!("HTTP 404 {}", message.trim()),
            },
            code => Error::Registry {
                reference: text,
                cause: format!("HTTP {code} {}", message.trim()).into(),
                is_transient: code == 429 || code >= 500,
            },
        },
        error => Error::Registry {
            reference: text,
            cause: Box::new(error),
            is_transient: false,
        },
    }
}

/// The error codes a registry answered with, told as what happened to `reference`: unauthorized
/// (through `unauthorized`), not found, or another registry error, transient only for
/// TOOMANYREQUESTS.
fn classify_envelope(
    reference: &str,
    envelope: &OciEnvelope,
    unauthorized: impl FnOnce() -> Error,
) -> Error {
    let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
    let says = envelope
        .errors
        .iter()
        .map(|e| format!("{:?}: {}", e.code, e.message))
        .collect::<Vec<_>>()
        .join("; ");
    if codes
        .iter()
        .any(|code| matches!(code, OciErrorCode::Unauthorized | OciErrorCode::Denied))
    {
        unauthorized()
    } else if codes.iter().any(|code| {
        matches!(
            code,
            OciErrorCode::ManifestUnknown
                | OciErrorCode::NameUnknown
                | OciErrorCode::BlobUnknown
                | OciErrorCode::NotFound
        )
    }) {
        Error::NotFound {
            reference: reference.to_owned(),
            registry_says: says,
        }
    } else {
        Error::Registry {
            reference: reference.to_owned(),
            cause: says.into(),
            is_transient: codes.contains(&&OciErrorCode::Toomanyrequests),
        }
    }
}
