//! The names Crossplane's render engine gives: the XR's deterministic UID, composed resources'
//! names derived from it, and the check that a name is a valid RFC 1123 subdomain.

use sha1::{Digest as _, Sha1};
use sha2::Sha256;

/// Length of the hex suffix of a composed resource's name (`<xr>-<12 hex>`).
const CHILD_SUFFIX_LENGTH: usize = 12;
/// Kubernetes' longest object name that is also a label value.
const MAX_CHILD_NAME_LENGTH: usize = 63;
/// Longest RFC 1123 subdomain.
const MAX_SUBDOMAIN_LENGTH: usize = 253;

/// The UID the render engine gives an XR without one: a version 5 (SHA-1) UUID in the nil
/// namespace of `"<group>/<version>, Kind=<kind>\0<namespace>\0<name>"`, so every run of the same
/// XR gives the same UID (crossplane `internal/render/composite`, `uuid.NewSHA1`).
pub(crate) fn xr_uid(api_version: &str, kind: &str, namespace: &str, name: &str) -> String {
    let (group, version) = split_api_version(api_version);
    let key = format!("{group}/{version}, Kind={kind}\0{namespace}\0{name}");
    let mut hasher = Sha1::new();
    hasher.update([0u8; 16]);
    hasher.update(key.as_bytes());
    let hash = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// `(group, version)` of an apiVersion as Go's `schema.ParseGroupVersion` splits it: `v1` is the
/// core group, `apps/v1` is group `apps`.
pub(crate) fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// A composed resource's name: `generate_name` (ending in one `-`) and 12 hex digits of
/// sha256(owner UID + composition resource name), the prefix cut so the whole fits 63 characters
/// (Crossplane's `names.ChildName`).
pub(crate) fn child_name(generate_name: &str, owner_uid: &str, resource_name: &str) -> String {
    let hash = Sha256::digest(format!("{owner_uid}{resource_name}").as_bytes());
    let suffix = &hex::encode(hash)[..CHILD_SUFFIX_LENGTH];
    let mut prefix = generate_name.to_owned();
    if !prefix.is_empty() && !prefix.ends_with('-') {
        prefix.push('-');
    }
    if prefix.len() + CHILD_SUFFIX_LENGTH <= MAX_CHILD_NAME_LENGTH {
        return format!("{prefix}{suffix}");
    }
    // Byte offsets, as Go slices strings; a cut inside a character is replaced like Go's
    // invalid UTF-8 would print.
    let mut keep = MAX_CHILD_NAME_LENGTH - CHILD_SUFFIX_LENGTH;
    let bytes = prefix.as_bytes();
    if bytes[keep - 1] != b'-' {
        keep -= 1;
        let cut = String::from_utf8_lossy(&bytes[..keep]);
        return format!("{cut}-{suffix}");
    }
    format!("{}{suffix}", String::from_utf8_lossy(&bytes[..keep]))
}

/// Whether `name` is an RFC 1123 subdomain (Kubernetes' `IsDNS1123Subdomain`): at most 253
/// characters, dot-separated labels of lowercase letters, digits and `-` that start and end with
/// a letter or digit. RBAC kinds may also use `:`.
pub(crate) fn is_valid_name(name: &str, api_version: &str, kind: &str) -> bool {
    let is_rbac = split_api_version(api_version).0 == "rbac.authorization.k8s.io"
        && matches!(
            kind,
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
        );
    let name: String = if is_rbac {
        name.replace(':', "")
    } else {
        name.to_owned()
    };
    let is_label = |label: &str| {
        let bytes = label.as_bytes();
        let is_alphanumeric = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        !bytes.is_empty()
            && bytes.first().is_some_and(is_alphanumeric)
            && bytes.last().is_some_and(is_alphanumeric)
            && bytes.iter().all(|b| is_alphanumeric(b) || *b == b'-')
    };
    name.len() <= MAX_SUBDOMAIN_LENGTH && name.split('.').all(is_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xr_uids_are_the_render_engines() {
        // Printed by the pinned `crossplane render` (examples/storage-bucket, examples/web-app).
        assert_eq!(
            xr_uid(
                "storage.example.org/v1alpha1",
                "XBucket",
                "team-a",
                "photos"
            ),
            "d6182994-f720-5190-aeee-40f2c1ebc252"
        );
        assert_eq!(
            xr_uid("apps.example.org/v1alpha1", "XWebApp", "shop", "storefront"),
            "1368e412-2e3c-59fa-9505-cdc7fdb9966e"
        );
    }

    #[test]
    fn child_names_hash_the_owner_and_the_resource_name() {
        assert_eq!(
            child_name(
                "photos-",
                "d6182994-f720-5190-aeee-40f2c1ebc252",
                "read-policy"
            ),
            "photos-482fb9dfe221"
        );
        assert_eq!(
            child_name("photos", "u", "r"),
            child_name("photos-", "u", "r")
        );
        let long = child_name(&format!("{}-", "a".repeat(60)), "u", "r");
        assert_eq!(long.len(), 63);
        assert!(long.starts_with(&format!("{}-", "a".repeat(50))), "{long}");
        let dash_at_cut = child_name(&format!("{}-{}", "a".repeat(50), "b".repeat(20)), "u", "r");
        assert_eq!(&dash_at_cut[..51], format!("{}-", "a".repeat(50)));
        assert_eq!(dash_at_cut.len(), 63);
    }

    #[test]
    fn names_must_be_rfc_1123_subdomains() {
        assert!(is_valid_name("photos-482fb9dfe221", "v1", "ConfigMap"));
        assert!(is_valid_name("a.b-c.d", "v1", "ConfigMap"));
        assert!(!is_valid_name("Photos", "v1", "ConfigMap"));
        assert!(!is_valid_name("-a", "v1", "ConfigMap"));
        assert!(!is_valid_name("a..b", "v1", "ConfigMap"));
        assert!(!is_valid_name("system:admin", "v1", "ConfigMap"));
        assert!(is_valid_name(
            "system:admin",
            "rbac.authorization.k8s.io/v1",
            "ClusterRole"
        ));
        assert!(!is_valid_name(&"a".repeat(254), "v1", "ConfigMap"));
    }
}
