//! The `.xpkg` file: an image tarball as go-containerregistry's `tarball.Write` lays it out, which
//! is what `crossplane xpkg build` writes and `crossplane xpkg push` reads
//! (`tarball.ImageFromPath`), and what `docker load` and `skopeo`'s `docker-archive:` read too.
//!
//! Entries: the config as `sha256:<hex>`, each layer as `<hex of its digest>.tar.gz`, and
//! `manifest.json`: `[{"Config": …, "RepoTags": null, "Layers": [… bottom first]}]`.

use serde::Serialize;

use super::image::{Config, ImageLayer};
use super::layers::{Entry, tar};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestItem<'a> {
    config: &'a str,
    /// Untagged, as `crossplane xpkg build` writes it; the tag is given when pushing.
    repo_tags: Option<Vec<String>>,
    layers: &'a [String],
}

/// The archive of an image with `config` and `layers` (bottom first), every entry stamped with
/// `mtime` (seconds since 1970).
pub(crate) fn archive(config: &Config, layers: &[ImageLayer], mtime: u64) -> Vec<u8> {
    let layer_files: Vec<String> = layers
        .iter()
        .map(|l| format!("{}.tar.gz", hex_of(&l.layer.digest)))
        .collect();
    let manifest = serde_json::to_vec(&[ManifestItem {
        config: &config.digest,
        repo_tags: None,
        layers: &layer_files,
    }])
    .expect("the manifest is plain strings");
    let mut entries = vec![
        Entry::File {
            path: &config.digest,
            mode: 0o644,
            bytes: &config.bytes,
        },
        Entry::File {
            path: "manifest.json",
            mode: 0o644,
            bytes: &manifest,
        },
    ];
    entries.extend(
        layers
            .iter()
            .zip(&layer_files)
            .map(|(l, file)| Entry::File {
                path: file,
                mode: 0o644,
                bytes: &l.layer.blob,
            }),
    );
    tar(&entries, mtime)
}

fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}
