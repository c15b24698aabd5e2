//! Pulled manifests and layers on disk, named by their sha256 and checked against it when read:
//! a restart, or another replica sharing the volume, takes them from here instead of the registry.
//!
//! Files are written whole or not at all (a temporary name, synced, renamed), so replicas writing
//! the same blob at once each leave a whole file, and a reader never sees half of one. A file
//! whose bytes do not match its name (a disk fault, a hand edit) is removed and pulled again.

use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};

use crate::modules::{atomic, sha256_hex};

/// A directory of blobs, `sha256/<hex>`, as an OCI image layout keeps them.
#[derive(Clone, Debug)]
pub(crate) struct BlobStore {
    dir: PathBuf,
}

impl BlobStore {
    /// Uses `dir` (created 0700 when missing) for blobs.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub(crate) fn open(dir: &Path) -> std::io::Result<BlobStore> {
        let dir = dir.join("sha256");
        DirBuilder::new().recursive(true).mode(0o700).create(&dir)?;
        Ok(BlobStore { dir })
    }

    /// The blob whose sha256 is `hex`, when it is here and whole.
    pub(crate) fn get(&self, hex: &str) -> Option<Vec<u8>> {
        let path = self.path(hex)?;
        let bytes = std::fs::read(&path).ok()?;
        if sha256_hex(&bytes) == hex {
            return Some(bytes);
        }
        tracing::warn!(path = %path.display(), "a stored blob does not match its digest; removing it, it is pulled again");
        let _ = std::fs::remove_file(&path);
        None
    }

    /// Whether the blob `hex` is here (not checked; [`BlobStore::get`] checks).
    pub(crate) fn has(&self, hex: &str) -> bool {
        self.path(hex).is_some_and(|path| path.is_file())
    }

    /// Keeps `bytes`, whose sha256 is `hex`; a failure is logged, since the store only saves pulls.
    pub(crate) fn put(&self, hex: &str, bytes: &[u8]) {
        let Some(path) = self.path(hex) else {
            return;
        };
        if let Err(error) = atomic::write(&path, &[bytes], 0o600) {
            tracing::warn!(path = %path.display(), "cannot keep a pulled blob: {error}");
        }
    }

    /// The file of blob `hex`; `None` unless `hex` is 64 lowercase hex digits, so no name leaves
    /// the directory.
    fn path(&self, hex: &str) -> Option<PathBuf> {
        let is_digest =
            hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        is_digest.then(|| self.dir.join(hex))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_come_back_only_whole_and_under_their_digest() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = BlobStore::open(dir.path()).expect("created");
        let hex = sha256_hex(b"module");
        assert_eq!(store.get(&hex), None);
        store.put(&hex, b"module");
        assert_eq!(store.get(&hex).as_deref(), Some(&b"module"[..]));
        std::fs::write(dir.path().join("sha256").join(&hex), b"modul").expect("writable");
        assert_eq!(store.get(&hex), None, "a damaged blob is not returned");
        assert!(!store.has(&hex), "and is removed");
        assert_eq!(store.get("../../etc/passwd"), None);
    }
}
