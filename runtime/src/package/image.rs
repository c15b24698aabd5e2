//! The image config (how Crossplane runs the package) and the manifest whose digest names it,
//! both in oci-spec's model, the one module pulls and `module push` use too.
//!
//! The config carries no timestamps, so equal inputs give equal bytes.

use std::collections::HashMap;

use oci_spec::image::{
    Arch, ConfigBuilder, HistoryBuilder, ImageConfigurationBuilder, ImageManifestBuilder,
    MediaType, Os, RootFsBuilder,
};

use super::layers::Layer;
use crate::modules::oci::descriptor;
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

/// The config of an image made of `layers` (bottom first) whose layer `package_layer` holds
/// `package.yaml`: runs [`ENTRYPOINT`] as [`USER`], exposes [`GRPC_PORT`], points the server at
/// [`MODULES_DIR`], and labels the package layer as `crossplane xpkg build` does. oci-spec's
/// image configuration, which Docker's extends; it keeps its labels in a hash map, so the one
/// label keeps the bytes deterministic.
pub(crate) fn config(layers: &[ImageLayer], package_layer: &Layer) -> Config {
    let strings = |items: &[&str]| items.iter().map(|item| (*item).to_owned()).collect::<Vec<_>>();
    let run = ConfigBuilder::default()
        .user(USER)
        .exposed_ports(vec![format!("{GRPC_PORT}/tcp")])
        .env(vec![format!("FUNCTION_WASMTIME_MODULES_DIR={MODULES_DIR}")])
        .entrypoint(strings(&ENTRYPOINT))
        .working_dir("/")
        .labels(HashMap::from([(
            format!("{LAYER_LABEL_PREFIX}:{}", package_layer.digest),
            PACKAGE_LAYER_ANNOTATION.to_owned(),
        )]))
        .build()
        .expect("every field is set");
    let rootfs = RootFsBuilder::default()
        .typ("layers")
        .diff_ids(
            layers
                .iter()
                .map(|l| l.layer.diff_id.clone())
                .collect::<Vec<_>>(),
        )
        .build()
        .expect("every field is set");
    let history = layers
        .iter()
        .map(|l| {
            HistoryBuilder::default()
                .created_by(l.created_by.clone())
                .build()
                .expect("the optional fields default")
        })
        .collect::<Vec<_>>();
    let file = ImageConfigurationBuilder::default()
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .config(run)
        .rootfs(rootfs)
        .history(history)
        .build()
        .expect("every required field is set");
    let bytes = serde_json::to_vec(&file).expect("an image configuration serialises");
    Config {
        digest: format!("sha256:{}", sha256_hex(&bytes)),
        bytes,
    }
}

/// The image's manifest (Docker schema 2 media types, which the tarball format implies), in
/// oci-spec's model, and its digest `sha256:<hex>`: the digest the package file is named after.
///
/// Go tools (go-containerregistry, skopeo) write a descriptor's `size` before its `digest`,
/// oci-spec the other way round, so the bytes, and the digest, differ from what `crossplane xpkg
/// build` would print for the same image; the file name only needs to be stable and unique.
pub(crate) fn manifest(config: &Config, layers: &[ImageLayer]) -> (Vec<u8>, String) {
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::from(MANIFEST_MEDIA_TYPE))
        .config(descriptor(CONFIG_MEDIA_TYPE, config.bytes.len(), &config.digest))
        .layers(
            layers
                .iter()
                .map(|l| descriptor(LAYER_MEDIA_TYPE, l.layer.blob.len(), &l.layer.digest))
                .collect::<Vec<_>>(),
        )
        .build()
        .expect("every required field is set");
    let bytes = serde_json::to_vec(&manifest).expect("a manifest serialises");
    let digest = format!("sha256:{}", sha256_hex(&bytes));
    (bytes, digest)
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
    fn the_manifest_names_the_config_and_layers_with_docker_media_types() {
        let layers = [image_layer("package.yaml")];
        let config = config(&layers, &layers[0].layer);
        let (bytes, digest) = manifest(&config, &layers);
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(
            json,
            serde_json::json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": config.bytes.len(), "digest": config.digest},
                "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": layers[0].layer.blob.len(), "digest": layers[0].layer.digest}]
            })
        );
        assert_eq!(digest, format!("sha256:{}", sha256_hex(&bytes)));
    }
}
