//! Whole files or none: how the `.cwasm` cache and the pulled-module store write, so that a reader,
//! in this process or in another replica sharing the volume, never sees half a file.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// What makes this process's temporary names unique among the replicas that may share a
/// directory: the host name (a pod's name in Kubernetes) and the process id (often 1 in every
/// pod, so not enough alone).
static WRITER: LazyLock<String> = LazyLock::new(|| {
    let uname = rustix::system::uname();
    let host = uname.nodename().to_string_lossy();
    let host: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{host}-{}", std::process::id())
});

/// Writes `parts`, one after the other, to `path` with permission bits `mode`: into a temporary
/// file beside it (created exclusively, so two writers never share one), synced, then renamed over
/// `path`. A reader sees the old file, no file, or the whole new one; a writer that dies leaves
/// only its temporary file.
///
/// # Errors
/// Any I/O failure; the temporary file is removed.
pub(super) fn write(path: &Path, parts: &[&[u8]], mode: u32) -> std::io::Result<()> {
    /// Makes temporary names unique within this process.
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(
        ".{name}.{}-{}.tmp",
        *WRITER,
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&temporary)
        .and_then(|mut file| {
            for part in parts {
                file.write_all(part)?;
            }
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn a_file_is_written_whole_with_its_mode_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("a.bin");
        write(&path, &[b"ab", b"cd"], 0o600).expect("written");
        write(&path, &[b"efgh"], 0o600).expect("replaced");
        assert_eq!(std::fs::read(&path).expect("readable"), b"efgh");
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("a directory")
            .map(|entry| entry.expect("an entry").file_name())
            .collect();
        assert_eq!(names, ["a.bin"]);
    }
}
