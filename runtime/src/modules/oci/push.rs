//! `module push`: a module published in the CNCF Wasm OCI artifact layout.

use http::HeaderValue;
use oci_client::RegistryOperation;

use super::access::RegistryAccess;
use super::artifact;
use super::error::Error;
use super::reference::OciRef;
use super::{classify, connect};

/// Pushes `module` to `target` (a tag) as a Wasm OCI artifact created at `created` (RFC 3339)
/// and returns the manifest digest, `sha256:<hex>`, that pins it. The same module and time give
/// the same digest.
///
/// # Errors
/// [`Error::PushToDigest`] when `target` pins a digest, else why the registry refused the push.
pub async fn push(
    access: &RegistryAccess,
    module: &[u8],
    target: &OciRef,
    created: String,
) -> Result<String, Error> {
    if target.digest().is_some() {
        return Err(Error::PushToDigest {
            reference: target.as_str().to_owned(),
        });
    }
    let artifact = artifact::pack(module, created);
    let (client, auth) = connect(access, target)?;
    let reference = target.reference();
    let failed = |error| classify(access, target, &auth, error);
    client
        .auth(reference, &auth, RegistryOperation::Push)
        .await
        .map_err(failed)?;
    client
        .push_blob(reference, module.to_vec(), &artifact.layer_digest)
        .await
        .map_err(failed)?;
    client
        .push_blob(reference, artifact.config, &artifact.config_digest)
        .await
        .map_err(failed)?;
    client
        .push_manifest_raw(
            reference,
            artifact.manifest,
            HeaderValue::from_static("application/vnd.oci.image.manifest.v1+json"),
        )
        .await
        .map_err(failed)?;
    Ok(artifact.digest)
}
