//! Where module bytes come from, and each module compiled once.
//!
//! A step names a module (bundled, then `--modules-dir DIR/NAME.wasm`) or carries it inline
//! (unless the server turned inline modules off). Bytes are hashed, checked against an optional
//! sha256 pin, and prepared once per name and digest (`compile.rs`): bundled and modules-dir
//! modules from the `.cwasm` cache when one is configured, else with Cranelift; inline modules
//! after a cheap check of their size (`validate.rs`), a bounded number at a time. The prepared
//! module, or why it cannot be one, is shared by every later call for it.

mod bundled;
mod cache;
mod compile;
mod digest;
mod validate;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

pub use bundled::names as bundled_names;
pub use cache::CompileCache;
pub use compile::{MAX_INLINE_KEPT, default_inline_compiles};
pub use digest::parse_pin;
pub(crate) use digest::sha256_hex;
pub use validate::{
    Complexity, MAX_INLINE_FUNCTION_BYTES, MAX_INLINE_FUNCTION_LOCALS, MAX_INLINE_FUNCTIONS,
};

use crate::host::{self, Host, LoadedModule, ModuleId};
use compile::{Compiler, Origin};

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
    /// A registry over the bundled modules, `modules_dir` when given, and inline modules,
    /// compiling with `host`, at most [`default_inline_compiles`] inline modules at once, and
    /// caching compiled code of bundled and modules-dir modules in `cache` when given.
    pub fn new(
        host: Arc<Host>,
        modules_dir: Option<PathBuf>,
        cache: Option<CompileCache>,
    ) -> ModuleRegistry {
        ModuleRegistry {
            compiler: Compiler::new(host.clone(), cache, default_inline_compiles()),
            host,
            modules_dir,
            is_inline_allowed: true,
            dir_digests: Mutex::new(HashMap::new()),
        }
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
    pub async fn resolve(&self, request: &ModuleRequest) -> Result<Arc<LoadedModule>> {
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
        self.compiler.prepare(id, origin, bytes).await
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
