//! Connection details: extracted from observed composed resources into the XR's, and for
//! Crossplane v2 XRs (which have no connection details) written to a composed `Secret`, as
//! upstream's `connection.go`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::fieldpath;
use crate::input::{ConnectionDetail, WriteConnectionSecretToRef, patch_type};
use crate::patches::{apply_combine, apply_from_field_path};
use crate::value::go_json;

/// The Secret type Crossplane gives connection secrets.
const SECRET_TYPE: &str = "connection.crossplane.io/v1alpha1";

/// The connection details `details` take from an observed resource; `connection` holds its own
/// (decoded). Missing keys and fields are skipped: they may appear later.
pub fn extract(
    observed: &Map<String, Value>,
    connection: &BTreeMap<String, Vec<u8>>,
    details: &[ConnectionDetail],
) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for detail in details {
        let value = match detail.type_.as_str() {
            "FromValue" => detail.value.as_ref().map(|v| v.clone().into_bytes()),
            // protobuf-go decodes an empty value as nil, which upstream skips as missing.
            "FromConnectionSecretKey" => detail
                .from_connection_secret_key
                .as_ref()
                .and_then(|key| connection.get(key).filter(|v| !v.is_empty()).cloned()),
            "FromFieldPath" => detail
                .from_field_path
                .as_ref()
                .and_then(|path| fieldpath::get(observed, path).ok())
                .map(|value| match value {
                    Value::String(s) => s.clone().into_bytes(),
                    other => go_json(other).into_bytes(),
                }),
            _ => None,
        };
        if let Some(value) = value {
            out.insert(detail.name.clone(), value);
        }
    }
    out
}

/// Whether the XR has connection details of its own: Crossplane v2 XRs have `spec.crossplane`
/// and none.
pub fn supports_connection_details(xr: &Map<String, Value>) -> bool {
    fieldpath::get(xr, "spec.crossplane").is_err()
}

/// The composed Secret holding a v2 XR's connection details.
///
/// # Errors
/// A failing `writeConnectionSecretToRef` patch.
pub fn compose_secret(
    xr: &Map<String, Value>,
    details: &BTreeMap<String, Option<Vec<u8>>>,
    input: Option<&WriteConnectionSecretToRef>,
) -> Result<Map<String, Value>> {
    let (name, namespace) =
        secret_ref(xr, input).map_err(|e| e.wrap("cannot generate connection secret reference"))?;
    let mut metadata = Map::new();
    if !name.is_empty() {
        metadata.insert("name".into(), Value::String(name));
    }
    if !namespace.is_empty() {
        metadata.insert("namespace".into(), Value::String(namespace));
    }
    // Go marshals []byte as base64, and a nil one as null.
    let data: Map<String, Value> = details
        .iter()
        .map(|(k, v)| {
            let value = v
                .as_ref()
                .map_or(Value::Null, |v| Value::String(xfn_sdk::base64::encode(v)));
            (k.clone(), value)
        })
        .collect();
    let mut secret =
        json!({"apiVersion": "v1", "kind": "Secret", "data": data, "type": SECRET_TYPE});
    if !metadata.is_empty() {
        secret["metadata"] = Value::Object(metadata);
    }
    let Value::Object(secret) = secret else {
        unreachable!("a json! object literal is an object")
    };
    Ok(secret)
}

/// The Secret's name and namespace: the XR's `spec.writeConnectionSecretToRef`, else the input's
/// (when it names either), else `<xr>-connection` in the XR's namespace; then the input's
/// patches.
fn secret_ref(
    xr: &Map<String, Value>,
    input: Option<&WriteConnectionSecretToRef>,
) -> Result<(String, String)> {
    let text = |value: Option<&Value>| value.and_then(Value::as_str).unwrap_or("").to_owned();
    let from_xr = fieldpath::get(xr, "spec.writeConnectionSecretToRef")
        .ok()
        .and_then(|r| match r {
            Value::Object(r)
                if r.values().all(|v| v.is_string() || v.is_null()) || r.is_empty() =>
            {
                Some((text(r.get("name")), text(r.get("namespace"))))
            }
            _ => None,
        });
    let (name, namespace) = match (from_xr, input) {
        (Some(reference), _) => reference,
        (None, Some(r)) if !r.name.is_empty() || !r.namespace.is_empty() => {
            (r.name.clone(), r.namespace.clone())
        }
        (None, _) => {
            let metadata = xr.get("metadata");
            (
                format!("{}-connection", text(metadata.and_then(|m| m.get("name")))),
                text(metadata.and_then(|m| m.get("namespace"))),
            )
        }
    };
    let Some(input) = input.filter(|i| !i.patches.is_empty()) else {
        return Ok((name, namespace));
    };
    let mut reference = Map::new();
    reference.insert("apiVersion".into(), json!("v1"));
    reference.insert("kind".into(), json!("SecretReference"));
    reference.insert("name".into(), Value::String(name.clone()));
    reference.insert("namespace".into(), Value::String(namespace.clone()));
    for (i, p) in input.patches.iter().enumerate() {
        let kind = p.type_name();
        let result = match kind {
            patch_type::FROM_COMPOSITE => match apply_from_field_path(p, xr, &mut reference) {
                // Any error of an Optional patch is skipped, not only a missing field.
                Err(_) if !p.is_required() => Ok(()),
                other => other,
            },
            patch_type::COMBINE_FROM_COMPOSITE => apply_combine(p, xr, &mut reference),
            _ => {
                return Err(
                    Error::new(format!("unsupported patch type {kind} at index {i}"))
                        .wrap("cannot apply connection secret patches"),
                );
            }
        };
        result.map_err(|e| {
            e.wrap(format!("cannot apply patch type {kind} at index {i}"))
                .wrap("cannot apply connection secret patches")
        })?;
    }
    let name = reference
        .get("name")
        .and_then(Value::as_str)
        .map_or(name, str::to_owned);
    let namespace = reference
        .get("namespace")
        .and_then(Value::as_str)
        .map_or(namespace, str::to_owned);
    Ok((name, namespace))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::object;

    #[test]
    fn extracts_each_type_and_skips_missing_sources() {
        let observed = object(json!({"status": {"endpoint": "db.example", "port": 5432}}));
        let connection = BTreeMap::from([("password".to_owned(), b"s3cret".to_vec())]);
        let details: Vec<ConnectionDetail> = serde_json::from_value(json!([
            {"name": "password", "type": "FromConnectionSecretKey", "fromConnectionSecretKey": "password"},
            {"name": "missing", "type": "FromConnectionSecretKey", "fromConnectionSecretKey": "nope"},
            {"name": "endpoint", "type": "FromFieldPath", "fromFieldPath": "status.endpoint"},
            {"name": "port", "type": "FromFieldPath", "fromFieldPath": "status.port"},
            {"name": "absent", "type": "FromFieldPath", "fromFieldPath": "status.absent"},
            {"name": "user", "type": "FromValue", "value": "admin"},
        ]))
        .unwrap();
        let out = extract(&observed, &connection, &details);
        let text: BTreeMap<&str, &str> = out
            .iter()
            .map(|(k, v)| (k.as_str(), std::str::from_utf8(v).unwrap()))
            .collect();
        assert_eq!(
            text,
            BTreeMap::from([
                ("endpoint", "db.example"),
                ("password", "s3cret"),
                ("port", "5432"),
                ("user", "admin")
            ])
        );
    }

    #[test]
    fn v2_xrs_are_recognised_by_spec_crossplane() {
        assert!(!supports_connection_details(&object(
            json!({"spec": {"crossplane": {}}})
        )));
        assert!(supports_connection_details(&object(json!({"spec": {}}))));
    }

    #[test]
    fn secret_ref_precedence_and_patches() {
        let xr = object(
            json!({"metadata": {"name": "xr", "namespace": "ns"}, "spec": {"crossplane": {}, "env": "prod"}}),
        );
        assert_eq!(
            secret_ref(&xr, None).unwrap(),
            ("xr-connection".into(), "ns".into())
        );
        let input: WriteConnectionSecretToRef = serde_json::from_value(json!({
            "name": "from-input",
            "patches": [{
                "type": "CombineFromComposite",
                "combine": {"variables": [{"fromFieldPath": "metadata.name"}, {"fromFieldPath": "spec.env"}], "strategy": "string", "string": {"fmt": "%s-%s"}},
                "toFieldPath": "name",
            }, {"fromFieldPath": "spec.missing", "toFieldPath": "namespace"}],
        }))
        .unwrap();
        assert_eq!(
            secret_ref(&xr, Some(&input)).unwrap(),
            ("xr-prod".into(), String::new())
        );
        let mut with_ref = xr.clone();
        with_ref["spec"]["writeConnectionSecretToRef"] =
            json!({"name": "mine", "namespace": "there"});
        assert_eq!(
            secret_ref(&with_ref, None).unwrap(),
            ("mine".into(), "there".into())
        );
    }
}
