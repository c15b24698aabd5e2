//! `--xrd`: the CompositeResourceDefinition that defines the XR. Render applies its schema's
//! defaults to the XR, as the API server would (Kubernetes' structural defaulting over the CRD
//! Crossplane derives from the XRD), and takes from it whether the XR is a legacy
//! (`LegacyCluster`) one, whose Crossplane fields sit directly under `spec`, or a modern one,
//! with them under `spec.crossplane`. Without `--xrd` the XR is modern and gets no defaults.

use serde_json::{Map, Value};

use super::documents::Document;
use super::error::Result;
use super::names::split_api_version;
use super::store::text;

/// The XRD's API group.
const GROUP: &str = "apiextensions.crossplane.io";
/// The scope of XRs whose Crossplane fields sit directly under `spec`.
const LEGACY_CLUSTER: &str = "LegacyCluster";

/// Where an XR keeps Crossplane's fields (`compositionRef`, `resourceRefs`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum XrSchema {
    /// Crossplane v2 XRs (`Namespaced`, `Cluster`): under `spec.crossplane`.
    #[default]
    Modern,
    /// `LegacyCluster` XRs: directly under `spec`.
    Legacy,
}

impl XrSchema {
    /// The JSON pointer of the object holding Crossplane's fields.
    pub fn crossplane_fields(self) -> &'static str {
        match self {
            XrSchema::Modern => "/spec/crossplane",
            XrSchema::Legacy => "/spec",
        }
    }
}

/// Applies the XRD's defaults to `xr`, then says which schema the XR has, each as Crossplane
/// does (the CLI's `ApplyXRDDefaults`, then the render engine's `selectSchema`).
///
/// # Errors
/// An XRD that is not one, has no version or schema for the XR's apiVersion, or defines another
/// group or kind.
pub(crate) fn apply(xrd: &Document, xr: &mut Value) -> Result<XrSchema> {
    let api_version = text(&xrd.value, "/apiVersion");
    let name = text(&xrd.value, "/metadata/name");
    let kind = text(&xrd.value, "/kind");
    if split_api_version(api_version).0 != GROUP || kind != "CompositeResourceDefinition" {
        return Err(xrd.invalid(format!(
            "expected a CompositeResourceDefinition ({GROUP}/v1 or /v2), found {api_version} {kind}"
        )));
    }
    let versions = xrd
        .value
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (index, version) in versions.iter().enumerate() {
        if !version
            .pointer("/schema/openAPIV3Schema")
            .is_some_and(Value::is_object)
        {
            return Err(xrd.invalid(format!(
                "spec.versions[{index}] ({}) has no schema.openAPIV3Schema; Crossplane needs one to derive the XR's CRD",
                text(version, "/name")
            )));
        }
    }
    let group = text(&xrd.value, "/spec/group");
    let xr_api_version = text(xr, "/apiVersion").to_owned();
    let version = versions
        .iter()
        .find(|version| format!("{group}/{}", text(version, "/name")) == xr_api_version)
        .ok_or_else(|| {
            xrd.invalid(format!(
                "the XR's apiVersion {xr_api_version} is not among the XRD's versions; add it to spec.versions or render an XR of a version it defines"
            ))
        })?;
    let schema = defaulting_schema(&xrd.value, &version["schema"]["openAPIV3Schema"]);
    default(xr, &schema);

    // The scope as the v1 type reads it (absent is LegacyCluster) decides where the defaults
    // above go; the render engine decides the schema from the apiVersion the file says.
    let scope = text(&xrd.value, "/spec/scope");
    let is_legacy = match split_api_version(api_version).1 {
        "v1" => scope.is_empty() || scope == LEGACY_CLUSTER,
        "v2" => scope == LEGACY_CLUSTER,
        other => {
            return Err(xrd.invalid(format!(
                "CompositeResourceDefinition \"{name}\" has unrecognized apiVersion {GROUP}/{other}; use {GROUP}/v1 or {GROUP}/v2"
            )));
        }
    };
    let (xr_group, _) = split_api_version(&xr_api_version);
    let xrd_kind = text(&xrd.value, "/spec/names/kind");
    if group != xr_group || xrd_kind != text(xr, "/kind") {
        return Err(xrd.invalid(format!(
            "CompositeResourceDefinition \"{name}\" defines group {group} kind {xrd_kind}, but the XR is group {xr_group} kind {}; pass the XRD of the XR's type",
            text(xr, "/kind")
        )));
    }
    Ok(if is_legacy {
        XrSchema::Legacy
    } else {
        XrSchema::Modern
    })
}

/// The schema Kubernetes defaults the XR with: the version's `spec` and `status` properties,
/// with the fields Crossplane adds (which carry no defaults but `compositionUpdatePolicy` when
/// the XRD sets `spec.defaultCompositionUpdatePolicy`) replacing any of the same name
/// (crossplane-runtime `xcrd.ForCompositeResource`).
fn defaulting_schema(xrd: &Value, version_schema: &Value) -> Value {
    let properties = |name: &str| -> Map<String, Value> {
        version_schema
            .pointer(&format!("/properties/{name}/properties"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let mut spec = properties("spec");
    let mut status = properties("status");
    let is_legacy_scope = matches!(text(xrd, "/spec/scope"), "" | LEGACY_CLUSTER);
    let update_policy = xrd
        .pointer("/spec/defaultCompositionUpdatePolicy")
        .and_then(Value::as_str)
        .map_or_else(
            || serde_json::json!({"type": "string"}),
            |policy| serde_json::json!({"type": "string", "default": policy}),
        );
    if is_legacy_scope {
        for field in [
            "compositionRef",
            "compositionSelector",
            "compositionRevisionRef",
            "compositionRevisionSelector",
            "resourceRefs",
            "claimRef",
            "writeConnectionSecretToRef",
        ] {
            spec.insert(field.to_owned(), serde_json::json!({"type": "object"}));
        }
        spec.insert("compositionUpdatePolicy".to_owned(), update_policy);
        status.insert("claimConditionTypes".to_owned(), serde_json::json!({}));
    } else {
        spec.insert(
            "crossplane".to_owned(),
            serde_json::json!({"type": "object", "properties": {"compositionUpdatePolicy": update_policy}}),
        );
    }
    for field in ["conditions", "connectionDetails"] {
        status.insert(field.to_owned(), serde_json::json!({}));
    }
    serde_json::json!({"properties": {
        "spec": {"properties": spec},
        "status": {"properties": status},
    }})
}

/// Kubernetes' structural defaulting (`apiserver/schema/defaulting.Default`): a property with a
/// `default` that is missing, or null without `nullable`, gets a copy of it; then every property,
/// `additionalProperties` value and `items` element is defaulted by its own schema.
fn default(value: &mut Value, schema: &Value) {
    match value {
        Value::Object(object) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            for (key, property) in properties.into_iter().flatten() {
                if let Some(default) = property.get("default")
                    && object
                        .get(key)
                        .is_none_or(|v| is_non_nullable_null(v, property))
                {
                    object.insert(key.clone(), default.clone());
                }
            }
            let additional = schema.get("additionalProperties").filter(|s| s.is_object());
            for (key, child) in object.iter_mut() {
                match properties.and_then(|properties| properties.get(key)) {
                    Some(property) => default(child, property),
                    None => {
                        if let Some(additional) = additional {
                            if is_non_nullable_null(child, additional)
                                && let Some(default) = additional.get("default")
                            {
                                *child = default.clone();
                            }
                            default(child, additional);
                        }
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items").filter(|s| s.is_object()) {
                for item in items {
                    if is_non_nullable_null(item, item_schema)
                        && let Some(default) = item_schema.get("default")
                    {
                        *item = default.clone();
                    }
                    default(item, item_schema);
                }
            }
        }
        _ => {}
    }
}

fn is_non_nullable_null(value: &Value, schema: &Value) -> bool {
    value.is_null()
        && schema.get("default").is_some()
        && schema.get("nullable").and_then(Value::as_bool) != Some(true)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;

    fn xrd(value: Value) -> Document {
        Document {
            path: PathBuf::from("xrd.yaml"),
            index: 1,
            value,
        }
    }

    fn bucket_xrd(api_version: &str, scope: Option<&str>) -> Value {
        let mut xrd = json!({
            "apiVersion": api_version, "kind": "CompositeResourceDefinition",
            "metadata": {"name": "xbuckets.example.org"},
            "spec": {"group": "example.org", "names": {"kind": "XBucket"},
                     "defaultCompositionUpdatePolicy": "Manual",
                     "versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                         "spec": {"type": "object", "properties": {
                             "versioning": {"type": "boolean", "default": true},
                             "tags": {"type": "object", "additionalProperties": {"type": "object", "properties": {"owner": {"type": "string", "default": "ops"}}}},
                             "rules": {"type": "array", "items": {"type": "object", "properties": {"days": {"type": "integer", "default": 30}}}},
                             "note": {"type": "string", "default": "x", "nullable": true},
                             "size": {"type": "string", "default": "small"}}},
                         "metadata": {"type": "object", "properties": {"labels": {"default": {"a": "b"}}}}}}}}]}});
        if let Some(scope) = scope {
            xrd["spec"]["scope"] = json!(scope);
        }
        xrd
    }

    #[test]
    fn defaults_fill_missing_and_null_fields_at_every_depth() {
        let mut xr = json!({"apiVersion": "example.org/v1", "kind": "XBucket", "metadata": {"name": "b"},
            "spec": {"tags": {"t": {}}, "rules": [{}, {"days": 7}], "note": null, "size": null}});
        let schema = apply(
            &xrd(bucket_xrd(
                "apiextensions.crossplane.io/v2",
                Some("Namespaced"),
            )),
            &mut xr,
        )
        .unwrap();
        assert_eq!(schema, XrSchema::Modern);
        assert_eq!(
            xr,
            json!({"apiVersion": "example.org/v1", "kind": "XBucket", "metadata": {"name": "b"},
                "spec": {"versioning": true, "tags": {"t": {"owner": "ops"}}, "rules": [{"days": 30}, {"days": 7}],
                         "note": null, "size": "small"}})
        );
        // Defaults go only into objects that exist: spec.crossplane has no default of its own.
        let mut xr =
            json!({"apiVersion": "example.org/v1", "kind": "XBucket", "spec": {"crossplane": {}}});
        apply(
            &xrd(bucket_xrd(
                "apiextensions.crossplane.io/v2",
                Some("Namespaced"),
            )),
            &mut xr,
        )
        .unwrap();
        assert_eq!(
            xr["spec"]["crossplane"],
            json!({"compositionUpdatePolicy": "Manual"})
        );
    }

    #[test]
    fn legacy_xrds_default_under_spec_and_choose_the_legacy_schema() {
        let mut xr = json!({"apiVersion": "example.org/v1", "kind": "XBucket", "spec": {}});
        let schema = apply(
            &xrd(bucket_xrd("apiextensions.crossplane.io/v1", None)),
            &mut xr,
        )
        .unwrap();
        assert_eq!(schema, XrSchema::Legacy);
        assert_eq!(xr["spec"]["compositionUpdatePolicy"], "Manual");
        // A v2 XRD without a scope: defaults as the v1 type reads it, schema as v2 says.
        let mut xr = json!({"apiVersion": "example.org/v1", "kind": "XBucket", "spec": {}});
        let schema = apply(
            &xrd(bucket_xrd("apiextensions.crossplane.io/v2", None)),
            &mut xr,
        )
        .unwrap();
        assert_eq!(schema, XrSchema::Modern);
        assert_eq!(xr["spec"]["compositionUpdatePolicy"], "Manual");
    }

    #[test]
    fn a_mismatched_xrd_names_what_differs() {
        let error = |definition: Value, mut xr: Value| {
            apply(&xrd(definition), &mut xr).unwrap_err().to_string()
        };
        let v2 = || bucket_xrd("apiextensions.crossplane.io/v2", None);
        assert_eq!(
            error(
                v2(),
                json!({"apiVersion": "example.org/v2", "kind": "XBucket"})
            ),
            "xrd.yaml: document 1 (CompositeResourceDefinition \"xbuckets.example.org\"): the XR's apiVersion example.org/v2 is not among the XRD's versions; add it to spec.versions or render an XR of a version it defines"
        );
        assert_eq!(
            error(
                v2(),
                json!({"apiVersion": "example.org/v1", "kind": "XQueue"})
            ),
            "xrd.yaml: document 1 (CompositeResourceDefinition \"xbuckets.example.org\"): CompositeResourceDefinition \"xbuckets.example.org\" defines group example.org kind XBucket, but the XR is group example.org kind XQueue; pass the XRD of the XR's type"
        );
        assert_eq!(
            error(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
                json!({"apiVersion": "example.org/v1", "kind": "XBucket"})
            ),
            "xrd.yaml: document 1 (ConfigMap \"c\"): expected a CompositeResourceDefinition (apiextensions.crossplane.io/v1 or /v2), found v1 ConfigMap"
        );
    }
}
