//! The image config (how Crossplane runs the package) and the manifest whose digest names it.
//!
//! The config is Docker's image config (`application/vnd.docker.container.image.v1+json`), which
//! OCI's image config extends. It carries no timestamps, so equal inputs give equal bytes.
//!
//! These are this module's own serde types rather than `oci-spec`'s: `oci-spec` serialises the
//! config and manifest to other bytes than go-containerregistry, which
//! `crossplane xpkg build` uses, so the package digest (and the file name docs/operations.md
//! promises to match `crossplane xpkg build`'s) would change. Module pulls use `oci-client`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::layers::Layer;
use crate::modules::sha256_hex;

/// The port Crossplane dials a function on (its function spec: "MUST serve on TCP port 9443").
pub(crate) const GRPC_PORT: u16 = 9443;

/// The user and group the image runs as (distroless's `nonroot`); nothing in the image needs writing.
pub(crate) const USER: &str = "65532:65532";

/// The command the image runs. Crossplane adds no arguments and mounts certificates at
/// `TLS_SERVER_CERTS_DIR`; `crossplane render`'s Docker runtime appends `--insecure` (as CMD).
pub(crate) const ENTRYPOINT: [&str; 2] = ["/function-wasmtime", "serve"];

/// Where user modules live inside the image (`--module NAME=FILE` → `/modules/NAME.wasm`).
pub(crate) const MODULES_DIR: &str = "/modules";

/// The config label key `crossplane xpkg build` uses to mark a layer, followed by `:<layer digest>`.
/// `crossplane xpkg push` turns such labels into the layer annotation `io.crossplane.xpkg`, since
/// the tarball format has nowhere to keep layer annotations.
pub(crate) const LAYER_LABEL_PREFIX: &str = "io.crossplane.xpkg";

/// The label value that marks the layer holding `package.yaml`.
pub(crate) const PACKAGE_LAYER_ANNOTATION: &str = "base";

/// Media type of the config blob in a Docker schema 2 manifest.
const CONFIG_MEDIA_TYPE: &str = "application/vnd.docker.container.image.v1+json";
/// Media type of a gzip-compressed layer in a Docker schema 2 manifest.
const LAYER_MEDIA_TYPE: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// Media type of the manifest itself.
const MANIFEST_MEDIA_TYPE: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// A layer of the image and the line `docker history` shows for it.
pub(crate) struct ImageLayer {
    /// The layer.
    pub(crate) layer: Layer,
    /// What made it.
    pub(crate) created_by: String,
}

/// The serialized config and its digest.
pub(crate) struct Config {
    /// The JSON bytes, written to the archive as they are.
    pub(crate) bytes: Vec<u8>,
    /// `sha256:<hex>` of `bytes`.
    pub(crate) digest: String,
}

#[derive(Serialize)]
struct ConfigFile<'a> {
    architecture: &'static str,
    os: &'static str,
    config: RunConfig,
    rootfs: RootFs<'a>,
    history: Vec<History<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RunConfig {
    user: &'static str,
    exposed_ports: BTreeMap<String, Empty>,
    env: Vec<String>,
    entrypoint: [&'static str; 2],
    working_dir: &'static str,
    labels: BTreeMap<String, &'static str>,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct RootFs<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    diff_ids: Vec<&'a str>,
}

#[derive(Serialize)]
struct History<'a> {
    created_by: &'a str,
}

/// The config of an image made of `layers` (bottom first) whose layer `package_layer` holds
/// `package.yaml`: runs [`ENTRYPOINT`] as [`USER`], exposes [`GRPC_PORT`], points the server at
/// [`MODULES_DIR`], and labels the package layer as `crossplane xpkg build` does.
pub(crate) fn config(layers: &[ImageLayer], package_layer: &Layer) -> Config {
    let file = ConfigFile {
        architecture: "amd64",
        os: "linux",
        config: RunConfig {
            user: USER,
            exposed_ports: BTreeMap::from([(format!("{GRPC_PORT}/tcp"), Empty {})]),
            env: vec![format!("FUNCTION_WASMTIME_MODULES_DIR={MODULES_DIR}")],
            entrypoint: ENTRYPOINT,
            working_dir: "/",
            labels: BTreeMap::from([(
                format!("{LAYER_LABEL_PREFIX}:{}", package_layer.digest),
                PACKAGE_LAYER_ANNOTATION,
            )]),
        },
        rootfs: RootFs {
            kind: "layers",
            diff_ids: layers.iter().map(|l| l.layer.diff_id.as_str()).collect(),
        },
        history: layers
            .iter()
            .map(|l| History {
                created_by: &l.created_by,
            })
            .collect(),
    };
    let bytes = serde_json::to_vec(&file).expect("the config is plain strings and maps");
    Config {
        digest: format!("sha256:{}", sha256_hex(&bytes)),
        bytes,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Manifest<'a> {
    schema_version: u32,
    media_type: &'static str,
    config: Descriptor<'a>,
    layers: Vec<Descriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    media_type: &'static str,
    size: usize,
    digest: &'a str,
}

/// The image digest (`sha256:<hex>`): the digest of the Docker schema 2 manifest that
/// go-containerregistry derives from the archive, byte for byte (field order as its `v1.Manifest`
/// marshals), so the file name matches what `crossplane xpkg build` would print for these bytes.
/// `crossplane xpkg push` adds layer annotations before pushing, so the pushed digest differs.
pub(crate) fn digest(config: &Config, layers: &[ImageLayer]) -> String {
    let manifest = Manifest {
        schema_version: 2,
        media_type: MANIFEST_MEDIA_TYPE,
        config: Descriptor {
            media_type: CONFIG_MEDIA_TYPE,
            size: config.bytes.len(),
            digest: &config.digest,
        },
        layers: layers
            .iter()
            .map(|l| Descriptor {
                media_type: LAYER_MEDIA_TYPE,
                size: l.layer.blob.len(),
                digest: &l.layer.digest,
            })
            .collect(),
    };
    let bytes = serde_json::to_vec(&manifest).expect("the manifest is plain strings and numbers");
    format!("sha256:{}", sha256_hex(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::layers::Entry;

    fn image_layer(path: &str) -> ImageLayer {
        ImageLayer {
            layer: Layer::new(
                &[Entry::File {
                    path,
                    mode: 0o644,
                    bytes: b"x",
                }],
                0,
            ),
            created_by: format!("test: {path}"),
        }
    }

    #[test]
    fn the_config_runs_the_server_as_nonroot_on_9443_and_labels_the_package_layer() {
        let layers = [image_layer("a"), image_layer("package.yaml")];
        let config = config(&layers, &layers[1].layer);
        let json: serde_json::Value = serde_json::from_slice(&config.bytes).expect("JSON");
        assert_eq!(
            json,
            serde_json::json!({
                "architecture": "amd64",
                "os": "linux",
                "config": {
                    "User": "65532:65532",
                    "ExposedPorts": {"9443/tcp": {}},
                    "Env": ["FUNCTION_WASMTIME_MODULES_DIR=/modules"],
                    "Entrypoint": ["/function-wasmtime", "serve"],
                    "WorkingDir": "/",
                    "Labels": {format!("io.crossplane.xpkg:{}", layers[1].layer.digest): "base"}
                },
                "rootfs": {"type": "layers", "diff_ids": [layers[0].layer.diff_id, layers[1].layer.diff_id]},
                "history": [{"created_by": "test: a"}, {"created_by": "test: package.yaml"}]
            })
        );
        assert_eq!(
            config.digest,
            format!("sha256:{}", sha256_hex(&config.bytes))
        );
    }

    #[test]
    fn the_digest_is_of_the_manifest_go_containerregistry_derives() {
        let layers = [image_layer("package.yaml")];
        let config = config(&layers, &layers[0].layer);
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":{},"digest":"{}"}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":{},"digest":"{}"}}]}}"#,
            config.bytes.len(),
            config.digest,
            layers[0].layer.blob.len(),
            layers[0].layer.digest
        );
        assert_eq!(
            digest(&config, &layers),
            format!("sha256:{}", sha256_hex(manifest.as_bytes()))
        );
    }
}
