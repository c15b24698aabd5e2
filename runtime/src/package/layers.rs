//! Image layers: deterministic tar archives, gzip-compressed, with the two digests an image needs.
//!
//! Determinism is what makes the package digest reproducible: entries are sorted by path, every
//! entry is owned by uid/gid 0 with no user or group name, and every mtime is the one given
//! (0, or `SOURCE_DATE_EPOCH`). gzip writes no file name and an mtime of 0.

use std::io::Write as _;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::modules::sha256_hex;

/// One entry of a layer; paths are relative to the image's root, without a leading `/`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Entry<'a> {
    /// A directory, mode 0755.
    Dir {
        /// Its path, e.g. `modules`.
        path: &'a str,
    },
    /// A regular file.
    File {
        /// Its path, e.g. `modules/hello.wasm`.
        path: &'a str,
        /// Permission bits, e.g. 0o755 for an executable.
        mode: u32,
        /// Its content.
        bytes: &'a [u8],
    },
}

impl Entry<'_> {
    fn path(&self) -> &str {
        match self {
            Entry::Dir { path } | Entry::File { path, .. } => path,
        }
    }
}

/// A layer ready to be written: the compressed blob and its digests.
#[derive(Debug)]
pub(crate) struct Layer {
    /// The gzip-compressed tar, as stored in the archive and pushed to a registry.
    pub(crate) blob: Vec<u8>,
    /// `sha256:<hex>` of `blob`: the layer's digest in a manifest.
    pub(crate) digest: String,
    /// `sha256:<hex>` of the uncompressed tar: the layer's `rootfs.diff_ids` entry in the config.
    pub(crate) diff_id: String,
}

impl Layer {
    /// Builds the layer holding `entries` (in any order), each stamped with `mtime` (seconds
    /// since 1970).
    pub(crate) fn new(entries: &[Entry<'_>], mtime: u64) -> Layer {
        let tar = tar(entries, mtime);
        let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
        gzip.write_all(&tar)
            .expect("compressing into memory cannot fail");
        let blob = gzip.finish().expect("compressing into memory cannot fail");
        Layer {
            digest: format!("sha256:{}", sha256_hex(&blob)),
            diff_id: format!("sha256:{}", sha256_hex(&tar)),
            blob,
        }
    }
}

/// A tar archive of `entries` sorted by path, each owned by root and stamped with `mtime`.
pub(crate) fn tar(entries: &[Entry<'_>], mtime: u64) -> Vec<u8> {
    let mut sorted = entries.to_vec();
    sorted.sort_by(|a, b| a.path().cmp(b.path()));
    let mut builder = tar::Builder::new(Vec::new());
    for entry in sorted {
        let mut header = tar::Header::new_gnu();
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        let (path, bytes): (String, &[u8]) = match entry {
            Entry::Dir { path } => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                (format!("{path}/"), &[])
            }
            Entry::File { path, mode, bytes } => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(mode);
                (path.to_owned(), bytes)
            }
        };
        header.set_size(bytes.len() as u64);
        builder
            .append_data(&mut header, &path, bytes)
            .expect("paths are relative, validated names, so appending to memory cannot fail");
    }
    builder
        .into_inner()
        .expect("finishing a tar in memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(tar: &[u8]) -> Vec<(String, u32, u64, u64, u64)> {
        let mut archive = tar::Archive::new(tar);
        archive
            .entries()
            .expect("a tar")
            .map(|entry| {
                let entry = entry.expect("an entry");
                let header = entry.header();
                (
                    entry.path().expect("a path").display().to_string(),
                    header.mode().expect("a mode"),
                    header.uid().expect("a uid"),
                    header.gid().expect("a gid"),
                    header.mtime().expect("an mtime"),
                )
            })
            .collect()
    }

    #[test]
    fn entries_are_sorted_owned_by_root_and_stamped_with_the_given_mtime() {
        let entries = [
            Entry::File {
                path: "modules/b.wasm",
                mode: 0o644,
                bytes: b"b",
            },
            Entry::Dir { path: "modules" },
            Entry::File {
                path: "modules/a.wasm",
                mode: 0o644,
                bytes: b"a",
            },
        ];
        assert_eq!(
            listing(&tar(&entries, 1_700_000_000)),
            [
                ("modules/".to_owned(), 0o755, 0, 0, 1_700_000_000),
                ("modules/a.wasm".to_owned(), 0o644, 0, 0, 1_700_000_000),
                ("modules/b.wasm".to_owned(), 0o644, 0, 0, 1_700_000_000),
            ]
        );
    }

    #[test]
    fn a_name_longer_than_ustar_allows_is_kept_whole() {
        let path = format!("modules/{}.wasm", "a".repeat(200));
        let entries = [Entry::File {
            path: &path,
            mode: 0o644,
            bytes: b"x",
        }];
        assert_eq!(listing(&tar(&entries, 0))[0].0, path);
    }

    #[test]
    fn the_same_entries_give_the_same_digests_and_the_diff_id_is_of_the_tar() {
        let entries = [Entry::File {
            path: "package.yaml",
            mode: 0o644,
            bytes: b"---\n",
        }];
        let (first, second) = (Layer::new(&entries, 0), Layer::new(&entries, 0));
        assert_eq!(
            (&first.digest, &first.diff_id),
            (&second.digest, &second.diff_id)
        );
        assert_eq!(first.blob, second.blob);
        assert_eq!(
            first.diff_id,
            format!("sha256:{}", sha256_hex(&tar(&entries, 0)))
        );
        assert_ne!(Layer::new(&entries, 1).digest, first.digest);
    }
}
