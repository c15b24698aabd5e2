//! The Wasm OCI artifact: the CNCF layout `module push` writes (config
//! `application/vnd.wasm.config.v0+json`, one `application/wasm` layer), and what a pull accepts
//! (that layout, or the `application/vnd.wasm.content.layer.v1+wasm` layer Kubewarden and
//! wasm-to-oci publish), in oci-spec's types.

use oci_spec::image::{Descriptor, ImageManifest, ImageManifestBuilder, MediaType};
use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use crate::modules::sha256_hex;

/// The layer media type of the CNCF Wasm OCI artifact.
pub const WASM_LAYER: &str = "application/wasm";
/// The layer media type Kubewarden and wasm-to-oci publish.
pub const LEGACY_WASM_LAYER: &str = "application/vnd.wasm.content.layer.v1+wasm";
/// The config media type of the CNCF Wasm OCI artifact.
pub const WASM_CONFIG: &str = "application/vnd.wasm.config.v0+json";
/// Manifest media types a pull asks for; indexes are asked for only to refuse them by name.
pub(crate) const ACCEPTED_MANIFESTS: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// The artifact's config, as the CNCF layout defines it (`layerDigests` makes each config unique).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WasmConfig {
    created: String,
    architecture: &'static str,
    os: &'static str,
    layer_digests: Vec<String>,
}

/// The module layer a manifest names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layer {
    /// `sha256:<hex>`, which is also the module's sha256.
    pub(crate) digest: String,
    /// Its size in bytes, as the manifest says.
    pub(crate) size: u64,
}

impl Layer {
    /// The digest's hex, the module's sha256 as pins write it.
    pub(crate) fn hex(&self) -> &str {
        self.digest.strip_prefix("sha256:").unwrap_or(&self.digest)
    }
}

/// A module packed as an artifact, ready to push: blobs and the manifest that names them.
pub(crate) struct Artifact {
    /// The config blob.
    pub(crate) config: Vec<u8>,
    /// The config's descriptor.
    pub(crate) config_digest: String,
    /// The layer's digest.
    pub(crate) layer_digest: String,
    /// The manifest, serialised.
    pub(crate) manifest: Vec<u8>,
    /// `sha256:<hex>` of the manifest: what a reference pins.
    pub(crate) digest: String,
}

/// Packs `module` in the CNCF layout with `created` (RFC 3339) as its creation time; equal inputs
/// give equal bytes, so pushing the same module twice gives the same digest.
pub(crate) fn pack(module: &[u8], created: String) -> Artifact {
    let layer_digest = format!("sha256:{}", sha256_hex(module));
    let config = serde_json::to_vec(&WasmConfig {
        created,
        architecture: "wasm",
        os: "wasip1",
        layer_digests: vec![layer_digest.clone()],
    })
    .expect("the config is plain strings");
    let config_digest = format!("sha256:{}", sha256_hex(&config));
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(descriptor(WASM_CONFIG, config.len(), &config_digest))
        .layers(vec![descriptor(WASM_LAYER, module.len(), &layer_digest)])
        .build()
        .expect("every required field is set");
    let manifest = serde_json::to_vec(&manifest).expect("a manifest serialises");
    Artifact {
        digest: format!("sha256:{}", sha256_hex(&manifest)),
        config,
        config_digest,
        layer_digest,
        manifest,
    }
}

/// A descriptor of `size` bytes of `media_type` with `digest` (`sha256:<hex>` made here).
pub(crate) fn descriptor(media_type: &str, size: usize, digest: &str) -> Descriptor {
    Descriptor::new(
        MediaType::from(media_type),
        u64::try_from(size).unwrap_or(u64::MAX),
        digest
            .parse::<oci_spec::image::Digest>()
            .expect("digests made here are sha256:<64 hex>"),
    )
}

/// The module layer of the manifest `body` that `reference` resolved to, checked against the
/// layouts above and the size cap `max_bytes`.
///
/// # Errors
/// [`Error::Index`], [`Error::BadManifest`], [`Error::NotWasm`], [`Error::SeveralWasm`] or
/// [`Error::TooLarge`], each lasting for the manifest.
pub(crate) fn wasm_layer(reference: &str, body: &[u8], max_bytes: u64) -> Result<Layer> {
    /// Only the field that tells an index from a manifest.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Kind {
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
    }
    let bad = |cause: serde_json::Error| Error::BadManifest {
        reference: reference.to_owned(),
        cause: cause.to_string(),
    };
    let kind: Kind = serde_json::from_slice(body).map_err(bad)?;
    let is_index = kind.manifests.is_some()
        || kind
            .media_type
            .as_deref()
            .is_some_and(|media_type| media_type.contains("index") || media_type.contains("list"));
    if is_index {
        return Err(Error::Index {
            reference: reference.to_owned(),
        });
    }
    let manifest: ImageManifest = serde_json::from_slice(body).map_err(bad)?;
    let wasm: Vec<&Descriptor> = manifest
        .layers()
        .iter()
        .filter(|layer| [WASM_LAYER, LEGACY_WASM_LAYER].contains(&layer.media_type().as_ref()))
        .collect();
    let layer = match wasm.as_slice() {
        [layer] => *layer,
        [] => {
            return Err(Error::NotWasm {
                reference: reference.to_owned(),
                media_types: manifest
                    .layers()
                    .iter()
                    .map(|layer| layer.media_type().to_string())
                    .collect(),
            });
        }
        several => {
            return Err(Error::SeveralWasm {
                reference: reference.to_owned(),
                count: several.len(),
            });
        }
    };
    if layer.size() > max_bytes {
        return Err(Error::TooLarge {
            reference: reference.to_owned(),
            size: layer.size(),
            max: max_bytes,
        });
    }
    Ok(Layer {
        digest: layer.digest().to_string(),
        size: layer.size(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_module_is_the_cncf_layout_and_its_layer_is_found_again() {
        let artifact = pack(b"\0asm\x01\0\0\0", "1970-01-01T00:00:00Z".to_owned());
        let manifest: serde_json::Value = serde_json::from_slice(&artifact.manifest).expect("JSON");
        assert_eq!(
            manifest,
            serde_json::json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": WASM_CONFIG, "digest": artifact.config_digest, "size": artifact.config.len()},
                "layers": [{"mediaType": "application/wasm", "digest": artifact.layer_digest, "size": 8}]
            })
        );
        let config: serde_json::Value = serde_json::from_slice(&artifact.config).expect("JSON");
        assert_eq!(
            config,
            serde_json::json!({"created": "1970-01-01T00:00:00Z", "architecture": "wasm", "os": "wasip1", "layerDigests": [artifact.layer_digest]})
        );
        let layer = wasm_layer("r", &artifact.manifest, 8).expect("a wasm layer");
        assert_eq!((layer.digest, layer.size), (artifact.layer_digest, 8));
    }

    #[test]
    fn indexes_other_layers_and_large_layers_are_refused_by_name() {
        let artifact = pack(b"\0asm\x01\0\0\0", String::new());
        assert_eq!(
            wasm_layer("r", &artifact.manifest, 7)
                .expect_err("too large")
                .to_string(),
            "module \"r\": its layer is 8 bytes, over the 7-byte limit for pulled modules; make the module smaller, or start the server with a larger --max-module-size"
        );
        let index = br#"{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}"#;
        assert!(matches!(
            wasm_layer("r", index, 8),
            Err(Error::Index { .. })
        ));
        let text = String::from_utf8(artifact.manifest)
            .expect("UTF-8")
            .replace(
                "application/wasm",
                "application/vnd.oci.image.layer.v1.tar+gzip",
            );
        assert_eq!(
            wasm_layer("r", text.as_bytes(), 8)
                .expect_err("not wasm")
                .to_string(),
            "module \"r\": has no WebAssembly layer (its layers: application/vnd.oci.image.layer.v1.tar+gzip); publish the module with function-wasmtime module push, whose layer is application/wasm"
        );
    }
}
