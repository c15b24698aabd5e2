//! The on-disk cache of compiled modules (`.cwasm`), keyed by module digest and engine.
#![allow(
    unsafe_code,
    reason = "loading precompiled native code is unsafe; see the SAFETY note"
)]

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::{Engine, Module};

/// A directory of `.cwasm` files that only this process family writes.
///
/// A `.cwasm` is native code. It is only ever read from the directory the operator configured
/// (`--cache-dir`), under a name that binds it to the module's sha256 and to this engine's
/// compatibility hash, and it is never accepted from a request or a registry.
#[derive(Clone, Debug)]
pub struct CompileCache {
    dir: PathBuf,
}

impl CompileCache {
    /// Uses `dir`, creating it when missing.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn open(dir: &Path) -> std::io::Result<CompileCache> {
        std::fs::create_dir_all(dir)?;
        Ok(CompileCache {
            dir: dir.to_owned(),
        })
    }

    /// The cached compilation of the module with `digest`, or `None` when it is absent or unusable.
    pub(crate) fn load(&self, engine: &Engine, digest: &str) -> Option<Module> {
        let path = self.path(engine, digest);
        if !path.is_file() {
            return None;
        }
        // SAFETY: the file was written by `store` below from `Engine::precompile_module` output for
        // the same digest and engine compatibility hash, in a directory only the operator controls;
        // wasmtime still checks the header and engine settings and rejects anything that does not match.
        match unsafe { Module::deserialize_file(engine, &path) } {
            Ok(module) => Some(module),
            Err(error) => {
                tracing::warn!(path = %path.display(), "ignoring unusable compiled module: {error:#}");
                None
            }
        }
    }

    /// Writes the compiled form of `module` for `digest`; failures are logged, not returned, since
    /// the cache only saves time.
    pub(crate) fn store(&self, engine: &Engine, digest: &str, module: &Module) {
        let path = self.path(engine, digest);
        let temporary = path.with_extension(format!("tmp{}", std::process::id()));
        let written = module
            .serialize()
            .map_err(|e| std::io::Error::other(format!("{e:#}")))
            .and_then(|bytes| std::fs::write(&temporary, bytes))
            .and_then(|()| std::fs::rename(&temporary, &path));
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            tracing::warn!(path = %path.display(), "cannot cache compiled module: {error}");
        }
    }

    fn path(&self, engine: &Engine, digest: &str) -> PathBuf {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        self.dir
            .join(format!("{digest}-{:016x}.cwasm", hasher.finish()))
    }
}
