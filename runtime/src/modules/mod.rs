//! Where module bytes come from, and each module compiled once.
//!
//! A step names a module (bundled, then `--modules-dir DIR/NAME.wasm`) or carries it inline. Bytes
//! are hashed, checked against an optional sha256 pin, and compiled once per digest: from the
//! `.cwasm` cache when one is configured, else with Cranelift. The prepared module is shared by
//! every later call with the same digest.

mod bundled;
mod cache;
mod digest;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tokio::sync::OnceCell;

pub use bundled::names as bundled_names;
pub use cache::CompileCache;
pub use digest::parse_pin;
pub(crate) use digest::sha256_hex;

use crate::host::{self, Host, LoadedModule, ModuleId};

/// Prepared modules kept in memory; past this, the oldest-looking entries are dropped and
/// recompiled (or reloaded from the cache) on their next use.
const MAX_PREPARED: usize = 128;

/// Which module a step wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleSource {
    /// A bundled module or `NAME.wasm` in `--modules-dir`.
    Named(String),
    /// The module's bytes, carried in the step Input.
    Inline(Vec<u8>),
}

/// A step's module request: the source and an optional sha256 pin (lowercase hex).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleRequest {
    /// Where the bytes come from.
    pub source: ModuleSource,
    /// The digest the bytes must have.
    pub sha256: Option<String>,
}

/// Why a module could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No bundled module and no file in the modules directory has this name.
    #[error("module \"{name}\" not found: not bundled ({}), {}", bundled.join(", "), match dir {
        Some(dir) => format!("not in --modules-dir {}", dir.display()),
        None => "and no --modules-dir is set".to_owned(),
    })]
    NotFound {
        /// The name asked for.
        name: String,
        /// The bundled modules' names.
        bundled: Vec<&'static str>,
        /// The modules directory, when configured.
        dir: Option<PathBuf>,
    },
    /// The module file exists but cannot be read.
    #[error("module \"{name}\": cannot read {}", path.display())]
    Read {
        /// The name asked for.
        name: String,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The bytes do not have the pinned digest.
    #[error(
        "module \"{name}\": its sha256 is sha256:{actual}, but input.sha256 pins sha256:{pinned}; update the pin or the module"
    )]
    DigestMismatch {
        /// The name asked for.
        name: String,
        /// The digest of the bytes.
        actual: String,
        /// The pin.
        pinned: String,
    },
    /// A modules-dir file changed between finding its digest and reading it for compilation.
    #[error("module \"{name}\": {} changed while it was being loaded; the next call will use the new file", path.display())]
    Changed {
        /// The name asked for.
        name: String,
        /// The file.
        path: PathBuf,
    },
    /// Compiling or preparing the module failed.
    #[error(transparent)]
    Host(#[from] host::Error),
}

/// Results of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Resolves module requests to prepared modules, compiling each digest once.
pub struct ModuleRegistry {
    host: Arc<Host>,
    modules_dir: Option<PathBuf>,
    cache: Option<CompileCache>,
    prepared: Mutex<HashMap<String, Arc<OnceCell<Arc<LoadedModule>>>>>,
    dir_digests: Mutex<HashMap<PathBuf, (SystemTime, u64, String)>>,
}

/// A module's bytes, read only when the module must be compiled.
enum ModuleBytes {
    /// Embedded in the binary.
    Static(&'static [u8]),
    /// Already in memory.
    Owned(Vec<u8>),
    /// A modules-dir file whose digest is known from an earlier read.
    File(PathBuf),
}

impl ModuleBytes {
    /// The bytes, checked against `id`'s digest when they come from a file that may have changed.
    fn load(self, id: &ModuleId) -> Result<std::borrow::Cow<'static, [u8]>> {
        match self {
            ModuleBytes::Static(bytes) => Ok(std::borrow::Cow::Borrowed(bytes)),
            ModuleBytes::Owned(bytes) => Ok(std::borrow::Cow::Owned(bytes)),
            ModuleBytes::File(path) => {
                let bytes = std::fs::read(&path).map_err(|source| Error::Read {
                    name: id.name.clone(),
                    path: path.clone(),
                    source,
                })?;
                let actual = digest::sha256_hex(&bytes);
                if actual != id.digest {
                    return Err(Error::Changed {
                        name: id.name.clone(),
                        path,
                    });
                }
                Ok(std::borrow::Cow::Owned(bytes))
            }
        }
    }
}

impl ModuleRegistry {
    /// A registry over the bundled modules, `modules_dir` when given, compiling with `host` and
    /// caching compiled code in `cache` when given.
    pub fn new(
        host: Arc<Host>,
        modules_dir: Option<PathBuf>,
        cache: Option<CompileCache>,
    ) -> ModuleRegistry {
        ModuleRegistry {
            host,
            modules_dir,
            cache,
            prepared: Mutex::new(HashMap::new()),
            dir_digests: Mutex::new(HashMap::new()),
        }
    }

    /// The host modules run on.
    pub fn host(&self) -> &Arc<Host> {
        &self.host
    }

    /// Finds, verifies and prepares the module `request` names.
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::Read`], [`Error::DigestMismatch`], or [`Error::Host`] when the
    /// bytes are not a module that fits the ABI.
    pub async fn resolve(&self, request: &ModuleRequest) -> Result<Arc<LoadedModule>> {
        let (name, digest, bytes) = match &request.source {
            ModuleSource::Named(name) => self.locate(name)?,
            ModuleSource::Inline(bytes) => (
                "inline".to_owned(),
                digest::sha256_hex(bytes),
                ModuleBytes::Owned(bytes.clone()),
            ),
        };
        if let Some(pinned) = &request.sha256
            && *pinned != digest
        {
            return Err(Error::DigestMismatch {
                name,
                actual: digest,
                pinned: pinned.clone(),
            });
        }
        let id = ModuleId { name, digest };
        self.prepare(id, bytes).await
    }

    /// Compiles every bundled module now, so the first request for one does not wait.
    ///
    /// # Errors
    /// The first bundled module that fails to prepare (a build problem).
    pub async fn warm_bundled(&self) -> Result<()> {
        for name in bundled::names() {
            self.resolve(&ModuleRequest {
                source: ModuleSource::Named(name.to_owned()),
                sha256: None,
            })
            .await?;
        }
        Ok(())
    }

    /// Finds a named module's digest without reading or hashing bytes it has seen before: bundled
    /// digests are computed once, modules-dir files are re-hashed only when their mtime or size change.
    fn locate(&self, name: &str) -> Result<(String, String, ModuleBytes)> {
        if let Some((bytes, digest)) = bundled::find(name) {
            return Ok((
                name.to_owned(),
                digest.to_owned(),
                ModuleBytes::Static(bytes),
            ));
        }
        let not_found = || Error::NotFound {
            name: name.to_owned(),
            bundled: bundled::names(),
            dir: self.modules_dir.clone(),
        };
        let path = self
            .modules_dir
            .as_ref()
            .ok_or_else(not_found)?
            .join(format!("{name}.wasm"));
        let read_error = |source| Error::Read {
            name: name.to_owned(),
            path: path.clone(),
            source,
        };
        let metadata = match std::fs::metadata(&path) {
            Ok(metadata) if metadata.is_file() => metadata,
            Ok(_) => return Err(not_found()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
            Err(error) => return Err(read_error(error)),
        };
        let stamp = metadata
            .modified()
            .ok()
            .map(|modified| (modified, metadata.len()));
        let mut known = self
            .dir_digests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let (Some(stamp), Some((seen_modified, seen_len, digest))) = (stamp, known.get(&path))
            && stamp == (*seen_modified, *seen_len)
        {
            return Ok((name.to_owned(), digest.clone(), ModuleBytes::File(path)));
        }
        let bytes = std::fs::read(&path).map_err(read_error)?;
        let digest = digest::sha256_hex(&bytes);
        if let Some((modified, len)) = stamp {
            known.insert(path, (modified, len, digest.clone()));
        }
        Ok((name.to_owned(), digest, ModuleBytes::Owned(bytes)))
    }

    async fn prepare(&self, id: ModuleId, bytes: ModuleBytes) -> Result<Arc<LoadedModule>> {
        let cell = {
            let mut prepared = self
                .prepared
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if prepared.len() >= MAX_PREPARED && !prepared.contains_key(&id.digest) {
                let victim = prepared.keys().next().cloned();
                if let Some(victim) = victim {
                    prepared.remove(&victim);
                }
            }
            prepared.entry(id.digest.clone()).or_default().clone()
        };
        let loaded = cell
            .get_or_try_init(|| async {
                let bytes = bytes.load(&id)?;
                let host = self.host.clone();
                let cache = self.cache.clone();
                let compile_id = id.clone();
                tokio::task::spawn_blocking(move || {
                    compile(&host, cache.as_ref(), compile_id, &bytes)
                })
                .await
                .unwrap_or_else(|join| {
                    Err(host::Error::Internal {
                        module: id.clone(),
                        reason: join.to_string(),
                    })
                })
                .map(Arc::new)
                .map_err(Error::from)
            })
            .await?;
        if loaded.id().name == id.name {
            return Ok(loaded.clone());
        }
        // The same bytes under another name: share the compiled code, keep the caller's name.
        Ok(Arc::new(self.host.prepare(id, loaded.module())?))
    }
}

fn compile(
    host: &Host,
    cache: Option<&CompileCache>,
    id: ModuleId,
    bytes: &[u8],
) -> host::Result<LoadedModule> {
    let started = std::time::Instant::now();
    let cached = cache.and_then(|cache| cache.load(host.engine(), &id.digest));
    let from_cache = cached.is_some();
    let module = match cached {
        Some(module) => module,
        None => {
            let module = host.compile(&id, bytes)?;
            if let Some(cache) = cache {
                cache.store(host.engine(), &id.digest, &module);
            }
            module
        }
    };
    let loaded = host.prepare(id, &module)?;
    tracing::info!(
        module = %loaded.id(),
        abi = %loaded.abi(),
        from_cache,
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "module ready"
    );
    Ok(loaded)
}
