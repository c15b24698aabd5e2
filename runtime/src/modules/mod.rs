//! Where module bytes come from, and each module compiled once.
//!
//! A step names a module (bundled, then `--modules-dir DIR/NAME.wasm`), carries it inline
//! (unless the server turned inline modules off), or names it by OCI reference ([`oci`]). Bytes
//! are hashed, checked against an optional sha256 pin, and prepared once per name and digest
//! (`compile.rs`): from the modules `package build` precompiled or the `.cwasm` cache when there
//! are some, else with Cranelift; inline and pulled modules after a cheap check of their size
//! (`validate.rs`), a bounded number at a time. The prepared module, or why it cannot be one, is
//! shared by every later call for it.

mod atomic;
mod bundled;
mod cache;
mod compile;
mod digest;
pub mod oci;
mod packaged;
mod validate;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

pub use bundled::names as bundled_names;
pub(crate) use cache::write_compiled;
pub use cache::{CompileCache, PRECOMPILED_DIR};
pub use compile::{MAX_INLINE_KEPT, default_inline_compiles};
pub use digest::Sha256;
pub(crate) use digest::sha256_hex;
pub use packaged::{PACKAGED_MODULES_FILE, PackagedModule, PackagedModules};
pub use validate::{
    Complexity, MAX_INLINE_FUNCTION_BYTES, MAX_INLINE_FUNCTION_LOCALS, MAX_INLINE_FUNCTIONS,
};

use crate::host::{self, Host, LinkedModule, ModuleId};
use compile::{Compiler, Origin};
use oci::{OciRef, PullConfig, Puller};

/// Which module a step wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleSource {
    /// A bundled module or `NAME.wasm` in `--modules-dir`.
    Named(String),
    /// The module's bytes, carried in the step Input.
    Inline(Vec<u8>),
    /// A module published to an OCI registry.
    Oci(OciRef),
}

/// A step's module request: the source and an optional sha256 pin (lowercase hex).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleRequest {
    /// Where the bytes come from.
    pub source: ModuleSource,
    /// The digest the bytes must have.
    pub sha256: Option<Sha256>,
}

/// Why a module could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No bundled module and no file in the modules directory has this name.
    #[error("module \"{name}\" not found: not bundled ({}), {}", bundled.join(", "), match dir {
        Some(dir) => format!("not in --modules-dir {}{}", dir.display(), found_hint(name, found)),
        None => "and no --modules-dir is set".to_owned(),
    })]
    NotFound {
        /// The name asked for.
        name: String,
        /// The bundled modules' names.
        bundled: Vec<&'static str>,
        /// The modules directory, when configured.
        dir: Option<PathBuf>,
        /// The module names (`NAME.wasm`) the modules directory holds, sorted.
        found: Vec<String>,
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
    /// The step carries its module inline, and this server runs only the modules its operator
    /// installed.
    #[error(
        "input.source.inline: this server does not run inline modules (--allow-inline-modules=false); ask its operator to add the module to --modules-dir, then name it in input.module"
    )]
    InlineNotAllowed,
    /// An inline module is over a cap that bounds the cost of compiling it.
    #[error(
        "{module}: {problem}; make it smaller, or ask the server's operator to add it to --modules-dir, where these limits do not apply"
    )]
    TooComplex {
        /// The module.
        module: ModuleId,
        /// Which cap, by how much.
        problem: Complexity,
    },
    /// Compiling or preparing the module failed.
    #[error(transparent)]
    Host(#[from] host::Error),
    /// The module could not be pulled from its registry.
    #[error(transparent)]
    Pull(Arc<oci::Error>),
    /// How an earlier attempt to prepare the module failed, shared by every request for it.
    #[error(transparent)]
    Shared(Arc<Error>),
    /// The `.cwasm` cache directory cannot be created or read.
    #[error("--cache-dir {}: cannot be created or read", dir.display())]
    CacheDirUnusable {
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The `.cwasm` cache directory belongs to another user, who could plant native code in it.
    #[error("--cache-dir {} belongs to uid {owner}, not to uid {uid} that this server runs as; compiled modules are native code the server runs, so use a directory of its own", dir.display())]
    CacheDirOwnedByOther {
        /// The directory.
        dir: PathBuf,
        /// Its owner.
        owner: u32,
        /// This process's effective user.
        uid: u32,
    },
    /// Someone but root or this server's user could have written the precompiled modules.
    #[error("{}: {problem}; precompiled modules are native code the server runs, so only root or uid {uid} that this server runs as may write there: fix its ownership and mode, or remove it", dir.display())]
    PrecompiledDirUnsafe {
        /// The directory.
        dir: PathBuf,
        /// Who else could write there.
        problem: String,
        /// This process's effective user.
        uid: u32,
    },
    /// Others may write to the `.cwasm` cache directory, and so plant native code in it.
    #[error("--cache-dir {} can be written by its group or by others (mode {mode:04o}); compiled modules are native code the server runs, so run chmod go-w {} or use another directory", dir.display(), dir.display())]
    CacheDirWritableByOthers {
        /// The directory.
        dir: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
}

/// Results of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Resolves module requests to prepared modules, preparing each module once.
pub struct ModuleRegistry {
    host: Arc<Host>,
    modules_dir: Option<PathBuf>,
    is_inline_allowed: bool,
    compiler: Compiler,
    puller: Puller,
    dir_digests: Mutex<HashMap<PathBuf, (SystemTime, u64, String)>>,
}

/// A module's bytes, read (or copied) only when the module must be compiled.
enum ModuleBytes<'a> {
    /// Embedded in the binary.
    Static(&'static [u8]),
    /// In the request, copied only for a compile.
    Borrowed(&'a [u8]),
    /// Already read.
    Owned(Vec<u8>),
    /// Pulled, and shared with other callers of the pull.
    Shared(Arc<[u8]>),
    /// A modules-dir file whose digest is known from an earlier read.
    File(PathBuf),
}

impl ModuleBytes<'_> {
    /// The same bytes, owned, for a compile that outlives the request.
    fn into_owned(self) -> ModuleBytes<'static> {
        match self {
            ModuleBytes::Static(bytes) => ModuleBytes::Static(bytes),
            ModuleBytes::Borrowed(bytes) => ModuleBytes::Owned(bytes.to_vec()),
            ModuleBytes::Owned(bytes) => ModuleBytes::Owned(bytes),
            ModuleBytes::Shared(bytes) => ModuleBytes::Shared(bytes),
            ModuleBytes::File(path) => ModuleBytes::File(path),
        }
    }
}

impl ModuleBytes<'static> {
    /// The bytes, checked against `id`'s digest when they come from a file that may have changed.
    fn load(self, id: &ModuleId) -> Result<Cow<'static, [u8]>> {
        match self {
            ModuleBytes::Static(bytes) => Ok(Cow::Borrowed(bytes)),
            ModuleBytes::Borrowed(bytes) => Ok(Cow::Owned(bytes.to_vec())),
            ModuleBytes::Owned(bytes) => Ok(Cow::Owned(bytes)),
            ModuleBytes::Shared(bytes) => Ok(Cow::Owned(bytes.to_vec())),
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
                Ok(Cow::Owned(bytes))
            }
        }
    }
}

impl ModuleRegistry {
    /// A registry over the bundled modules, `modules_dir` when given, inline modules and modules
    /// pulled with the default [`PullConfig`] (pinned only, anonymous, kept in memory), compiling
    /// with `host`, at most [`default_inline_compiles`] inline or pulled modules at once, and
    /// caching compiled code of all but inline modules in `cache` when given.
    pub fn new(
        host: Arc<Host>,
        modules_dir: Option<PathBuf>,
        cache: Option<CompileCache>,
    ) -> ModuleRegistry {
        ModuleRegistry {
            compiler: Compiler::new(host.clone(), cache, default_inline_compiles()),
            puller: Puller::new(PullConfig::default())
                .expect("without a store, making a puller touches no file"),
            host,
            modules_dir,
            is_inline_allowed: true,
            dir_digests: Mutex::new(HashMap::new()),
        }
    }

    /// The same registry, pulling modules as `config` says.
    ///
    /// # Errors
    /// [`Error::CacheDirUnusable`] when `config.store` cannot be created.
    pub fn with_pulls(mut self, config: PullConfig) -> Result<ModuleRegistry> {
        let store = config.store.clone();
        self.puller = Puller::new(config).map_err(|source| Error::CacheDirUnusable {
            dir: store.unwrap_or_default(),
            source,
        })?;
        Ok(self)
    }

    /// The same registry, loading compiled code from `precompiled` (see
    /// [`CompileCache::open_precompiled`]) before the cache or Cranelift.
    #[must_use]
    pub fn with_precompiled(mut self, precompiled: Option<CompileCache>) -> ModuleRegistry {
        if let Some(precompiled) = precompiled {
            self.compiler.add_precompiled(precompiled);
        }
        self
    }

    /// The same registry, running inline modules only when `is_allowed`
    /// (`--allow-inline-modules`); a step with an inline module then fails with
    /// [`Error::InlineNotAllowed`].
    #[must_use]
    pub fn with_inline_modules(mut self, is_allowed: bool) -> ModuleRegistry {
        self.is_inline_allowed = is_allowed;
        self
    }

    /// Cranelift compiles this registry has started: loads from the `.cwasm` cache, modules
    /// refused by the inline caps and modules prepared before are not counted.
    pub fn compiles(&self) -> u64 {
        self.compiler.compiles()
    }

    /// The host modules run on.
    pub fn host(&self) -> &Arc<Host> {
        &self.host
    }

    /// Finds, verifies and prepares the module `request` names.
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::Read`], [`Error::DigestMismatch`],
    /// [`Error::InlineNotAllowed`], or, shared with every request for the same module,
    /// [`Error::TooComplex`] or a [`host::Error`] when the bytes are not a module that fits the ABI.
    pub async fn resolve(&self, request: &ModuleRequest) -> Result<Arc<LinkedModule>> {
        let (name, digest, bytes, origin) = match &request.source {
            ModuleSource::Named(name) => {
                let (name, digest, bytes) = self.locate(name)?;
                (name, digest, bytes, Origin::Named)
            }
            ModuleSource::Inline(_) if !self.is_inline_allowed => {
                return Err(Error::InlineNotAllowed);
            }
            ModuleSource::Inline(bytes) => (
                "inline".to_owned(),
                digest::sha256_hex(bytes),
                ModuleBytes::Borrowed(bytes),
                Origin::Inline,
            ),
            ModuleSource::Oci(reference) => return self.pull(reference, request).await,
        };
        check_pin(&name, &digest, request)?;
        let id = ModuleId { name, digest };
        self.compiler.prepare(id, origin, bytes).await
    }

    /// Resolves `reference`, checks the pin before anything is downloaded, and pulls the layer
    /// only when the module is not prepared already.
    async fn pull(&self, reference: &OciRef, request: &ModuleRequest) -> Result<Arc<LinkedModule>> {
        let resolved = self
            .puller
            .resolve(reference, request.sha256.as_ref().map(Sha256::hex))
            .await
            .map_err(Error::Pull)?;
        let digest = resolved.module_digest().to_owned();
        check_pin(&resolved.name, &digest, request)?;
        let id = ModuleId {
            name: resolved.name.clone(),
            digest,
        };
        if let Some(outcome) = self.compiler.finished(&id) {
            return outcome;
        }
        let bytes = self.puller.fetch(&resolved).await.map_err(Error::Pull)?;
        self.compiler
            .prepare(id, Origin::Pulled, ModuleBytes::Shared(bytes))
            .await
    }

    /// Prepares the named modules (bundled ones, or in `--modules-dir`) at once, each compile on a
    /// blocking thread of its own, so the first request for one does not wait; failures are
    /// logged.
    pub async fn warm(self: &Arc<Self>, names: Vec<String>) {
        let mut compiles = tokio::task::JoinSet::new();
        for name in names {
            let registry = self.clone();
            compiles.spawn(async move {
                let request = ModuleRequest {
                    source: ModuleSource::Named(name),
                    sha256: None,
                };
                if let Err(error) = registry.resolve(&request).await {
                    tracing::error!("cannot prepare a module at start: {error}");
                }
            });
        }
        compiles.join_all().await;
    }

    /// The modules to prepare at start: the bundled ones and those `package build` put in
    /// `--modules-dir` (listed in its [`PACKAGED_MODULES_FILE`]).
    pub fn startup_modules(&self) -> Vec<String> {
        let mut names: Vec<String> = bundled::names().into_iter().map(str::to_owned).collect();
        if let Some(packaged) = self.modules_dir.as_deref().and_then(PackagedModules::read) {
            names.extend(packaged.modules.into_iter().map(|module| module.name));
        }
        names
    }

    /// Finds a named module's digest without reading or hashing bytes it has seen before: bundled
    /// digests are computed once, modules-dir files are re-hashed only when their mtime or size change.
    fn locate(&self, name: &str) -> Result<(String, String, ModuleBytes<'static>)> {
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
            found: self
                .modules_dir
                .as_deref()
                .map(wasm_names)
                .unwrap_or_default(),
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
}

/// The bytes of the bundled module `name`, if there is one.
pub fn bundled_bytes(name: &str) -> Option<&'static [u8]> {
    bundled::find(name).map(|(bytes, _)| bytes)
}

/// Fails unless `digest` is the sha256 `request` pins, if it pins one.
fn check_pin(name: &str, digest: &str, request: &ModuleRequest) -> Result<()> {
    match &request.sha256 {
        Some(pinned) if pinned.hex() != digest => Err(Error::DigestMismatch {
            name: name.to_owned(),
            actual: digest.to_owned(),
            pinned: pinned.hex().to_owned(),
        }),
        _ => Ok(()),
    }
}

/// The names of the `NAME.wasm` files in `dir`, sorted; empty when it cannot be read.
fn wasm_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let file_name = entry.file_name().into_string().ok()?;
            file_name.strip_suffix(".wasm").map(str::to_owned)
        })
        .collect();
    names.sort_unstable();
    names
}

/// What a modules directory holds instead of `name`, and the likely fix when cargo's underscores
/// are the difference (cargo names `deploy-fn`'s file `deploy_fn.wasm`).
fn found_hint(name: &str, found: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut hint = if found.is_empty() {
        " (it holds no .wasm files)".to_owned()
    } else {
        let more = found.len().saturating_sub(SHOWN);
        let shown = found[..found.len().min(SHOWN)].join(", ");
        if more > 0 {
            format!(" (it holds {shown} and {more} more)")
        } else {
            format!(" (it holds {shown})")
        }
    };
    let underscored = name.replace('-', "_");
    if underscored != name && found.contains(&underscored) {
        hint.push_str(&format!(
            "; cargo names the file after the crate with underscores: rename {underscored}.wasm to {name}.wasm"
        ));
    }
    hint
}
