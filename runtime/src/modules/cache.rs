//! The on-disk cache of compiled modules (`.cwasm`): native code, so kept like code.
#![allow(
    unsafe_code,
    reason = "loading precompiled native code is unsafe; see the SAFETY note"
)]

use std::fs::DirBuilder;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use wasmtime::component::Component;
use wasmtime::{Engine, Module, Precompiled};

use super::{Error, Result, atomic};
use crate::host::Compiled;

/// Bytes of the sha256 of its contents that ends every cache file.
const CHECKSUM_BYTES: usize = 32;
/// Permission bits that let a group or other users change a directory's entries.
const WRITABLE_BY_OTHERS: u32 = 0o022;
/// The subdirectory of `--modules-dir` where `package build` puts the modules it precompiled.
pub const PRECOMPILED_DIR: &str = "precompiled";

/// A directory of compiled modules that only this server's user (or, for precompiled modules,
/// root) can write.
///
/// A `.cwasm` is native code the server maps and runs, so:
/// - [`CompileCache::open`] refuses a directory another user owns or that its group or others can
///   write, and creates a missing one as 0700;
/// - a file is written 0600 under a unique temporary name, synced, then renamed into place, so a
///   reader never sees half a file, even in another replica sharing the volume;
/// - a file ends with the sha256 of the rest, checked before wasmtime sees it: a truncated or
///   corrupted file is compiled again, never run;
/// - a file is named after the module's sha256 and this engine's compatibility hash, and is never
///   taken from a request or a registry.
///
/// The registry stores bundled, `--modules-dir` and pulled modules (never inline ones, which
/// requests could vary without end), so the directory holds at most one file per such module and
/// engine version.
///
/// [`CompileCache::open_precompiled`] opens the read-only variant `package build` fills: files
/// named `<sha256>.cwasm`, made by `module compile` with the same binary, checked the same way.
#[derive(Clone, Debug)]
pub struct CompileCache {
    dir: PathBuf,
    is_precompiled: bool,
}

impl CompileCache {
    /// Uses `dir`, creating it (mode 0700) when missing.
    ///
    /// # Errors
    /// [`Error::CacheDirUnusable`] when it cannot be created or read,
    /// [`Error::CacheDirOwnedByOther`] when another user owns it, and
    /// [`Error::CacheDirWritableByOthers`] when its group or others may write to it.
    pub fn open(dir: &Path) -> Result<CompileCache> {
        let unusable = |source| Error::CacheDirUnusable {
            dir: dir.to_owned(),
            source,
        };
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(unusable)?;
        let metadata = std::fs::metadata(dir).map_err(unusable)?;
        let uid = rustix::process::geteuid().as_raw();
        check_private(dir, metadata.uid(), metadata.mode(), uid)?;
        Ok(CompileCache {
            dir: dir.to_owned(),
            is_precompiled: false,
        })
    }

    /// The modules `package build` precompiled into `modules_dir/precompiled`, read only; `None`
    /// when there is no such directory.
    ///
    /// # Errors
    /// [`Error::PrecompiledDirUnsafe`] when someone but root or this server's user owns it, or its
    /// group or others may write to it.
    pub fn open_precompiled(modules_dir: &Path) -> Result<Option<CompileCache>> {
        let dir = modules_dir.join(PRECOMPILED_DIR);
        let Ok(metadata) = std::fs::metadata(&dir) else {
            return Ok(None);
        };
        let uid = rustix::process::geteuid().as_raw();
        let problem = if metadata.uid() != 0 && metadata.uid() != uid {
            format!("belongs to uid {}", metadata.uid())
        } else if metadata.mode() & WRITABLE_BY_OTHERS != 0 {
            format!(
                "can be written by its group or by others (mode {:04o})",
                metadata.mode() & 0o7777
            )
        } else {
            return Ok(Some(CompileCache {
                dir,
                is_precompiled: true,
            }));
        };
        Err(Error::PrecompiledDirUnsafe { dir, problem, uid })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where modules pulled from registries are kept (`oci/` in this directory), so that what
    /// shares the compiled code (a cache volume across replicas, renders on one machine) shares
    /// the pulled manifests and layers too.
    pub fn pulled_dir(&self) -> PathBuf {
        self.dir.join("oci")
    }

    /// The cached compilation of the module with `digest`, or `None` when it is absent, or
    /// truncated or corrupted (then the caller compiles again and [`CompileCache::store`] replaces it).
    pub(crate) fn load(&self, engine: &Engine, digest: &str) -> Option<Compiled> {
        let path = self.path(engine, digest);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => {
                tracing::warn!(path = %path.display(), "cannot read compiled module, compiling again: {error}");
                return None;
            }
        };
        let Some((code, _)) = bytes
            .len()
            .checked_sub(CHECKSUM_BYTES)
            .map(|split| bytes.split_at(split))
            .filter(|(code, checksum)| Sha256::digest(code).as_slice() == *checksum)
        else {
            tracing::warn!(path = %path.display(), "compiled module is truncated or corrupted; compiling again");
            return None;
        };
        // SAFETY: `code` is what `store` below wrote from `Compiled::serialize` for the same
        // digest: its checksum matches, and the directory belongs to this user (or, read-only
        // precompiled modules, to root) and no one else may write to it (checked by `open` and
        // `open_precompiled`). wasmtime also checks the header, its version and the engine
        // settings, and refuses anything that does not match.
        let loaded = match Engine::detect_precompiled(code) {
            Some(Precompiled::Component) => {
                unsafe { Component::deserialize(engine, code) }.map(Compiled::Component)
            }
            _ => unsafe { Module::deserialize(engine, code) }.map(Compiled::Core),
        };
        match loaded {
            Ok(compiled) => Some(compiled),
            Err(error) => {
                tracing::warn!(path = %path.display(), "ignoring unusable compiled module: {error:#}");
                None
            }
        }
    }

    /// Writes the compiled form of `module` for `digest`; failures are logged, not returned, since
    /// the cache only saves time. A precompiled directory is never written.
    pub(crate) fn store(&self, engine: &Engine, digest: &str, compiled: &Compiled) {
        if self.is_precompiled {
            return;
        }
        let path = self.path(engine, digest);
        if let Err(error) = write_compiled(&path, compiled) {
            tracing::warn!(path = %path.display(), "cannot cache compiled module: {error}");
        }
    }

    fn path(&self, engine: &Engine, digest: &str) -> PathBuf {
        if self.is_precompiled {
            return self.dir.join(format!("{digest}.cwasm"));
        }
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        self.dir
            .join(format!("{digest}-{:016x}.cwasm", hasher.finish()))
    }
}

/// Writes `module`'s compiled code to `path` as the cache keeps it: the code, then its sha256;
/// whole or not at all, mode 0600. `module compile` writes what `package build` precompiles this way.
///
/// # Errors
/// When the module cannot be serialised or the file written.
pub(crate) fn write_compiled(path: &Path, compiled: &Compiled) -> std::io::Result<()> {
    let code = compiled
        .serialize()
        .map_err(|e| std::io::Error::other(format!("{e:#}")))?;
    atomic::write(path, &[&code, &Sha256::digest(&code)], 0o600)
}

/// Refuses a cache directory owned by anyone but `uid`, or that its group or others can write.
fn check_private(dir: &Path, owner: u32, mode: u32, uid: u32) -> Result<()> {
    if owner != uid {
        return Err(Error::CacheDirOwnedByOther {
            dir: dir.to_owned(),
            owner,
            uid,
        });
    }
    if mode & WRITABLE_BY_OTHERS != 0 {
        return Err(Error::CacheDirWritableByOthers {
            dir: dir.to_owned(),
            mode: mode & 0o7777,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_of_another_user_or_writable_by_others_is_refused() {
        let dir = Path::new("/var/cache/fn");
        assert!(check_private(dir, 1000, 0o40700, 1000).is_ok());
        assert!(check_private(dir, 1000, 0o40755, 1000).is_ok());
        assert_eq!(
            check_private(dir, 0, 0o40700, 1000)
                .expect_err("root's directory")
                .to_string(),
            "--cache-dir /var/cache/fn belongs to uid 0, not to uid 1000 that this server runs as; compiled modules are native code the server runs, so use a directory of its own"
        );
        assert_eq!(
            check_private(dir, 1000, 0o40775, 1000)
                .expect_err("group-writable")
                .to_string(),
            "--cache-dir /var/cache/fn can be written by its group or by others (mode 0775); compiled modules are native code the server runs, so run chmod go-w /var/cache/fn or use another directory"
        );
    }
}
