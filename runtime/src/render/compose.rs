//! From the pipeline's desired composed resources to the objects Crossplane applies
//! (crossplane `FunctionComposer.Compose` after the pipeline): an existing resource keeps its
//! name, namespace and generateName; a namespaced XR's resources move to its namespace; each gets
//! the `crossplane.io/composite` label, the composition-resource-name annotation and a controller
//! reference to the XR, and a name derived from the XR's UID when it has none.

use serde_json::{Map, Value, json};
use xfn_proto::v1::{Ready, State};

use super::ANNOTATION_RESOURCE_NAME;
use super::composite::{Composite, set_in};
use super::error::{Error, Result};
use super::events::Event;
use super::names;
use super::pipeline::to_json;
use super::store::text;

/// The label naming the (root) composite a resource belongs to.
pub(crate) const LABEL_COMPOSITE: &str = "crossplane.io/composite";
/// Claim labels, copied from the XR when it has both.
const LABEL_CLAIM_NAME: &str = "crossplane.io/claim-name";
const LABEL_CLAIM_NAMESPACE: &str = "crossplane.io/claim-namespace";

/// One composed resource as Crossplane applies it.
#[derive(Debug, Clone)]
pub(crate) struct Composed {
    /// Its composition resource name.
    pub name: String,
    /// The object.
    pub object: Map<String, Value>,
    /// Whether its step said `READY_TRUE`.
    pub is_ready: bool,
}

/// The composed resources of the desired state, in name order, with their metadata rendered.
/// A namespaced XR's resource asked for in another namespace adds a warning to `events`.
///
/// # Errors
/// [`Error::OtherController`] for a resource another owner controls, [`Error::InvalidName`] for
/// a name that is not an RFC 1123 subdomain.
pub(crate) fn compose(
    desired: &State,
    observed: &std::collections::BTreeMap<String, Value>,
    xr: &Composite,
    events: &mut Vec<Event>,
) -> Result<Vec<Composed>> {
    let mut names: Vec<&String> = desired.resources.keys().collect();
    names.sort();
    let mut composed = Vec::with_capacity(names.len());
    for name in names {
        let resource = &desired.resources[name];
        let mut object = match resource.resource.as_ref().map(to_json) {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        if let Some(existing) = observed.get(name) {
            for field in ["namespace", "name", "generateName"] {
                set_metadata(
                    &mut object,
                    field,
                    text(existing, &format!("/metadata/{field}")),
                );
            }
        }
        let namespace = text_in(&object, "namespace").to_owned();
        if !xr.namespace().is_empty() && !namespace.is_empty() && namespace != xr.namespace() {
            events.push(Event::warning(
                "NamespaceOverridden",
                format!(
                    "cannot create composed resource \"{name}\" in namespace \"{namespace}\", using XR namespace \"{}\" instead",
                    xr.namespace()
                ),
            ));
        }
        render_metadata(&mut object, xr, name)?;
        if text_in(&object, "name").is_empty() && !text_in(&object, "generateName").is_empty() {
            let child = names::child_name(text_in(&object, "generateName"), xr.uid(), name);
            set_metadata(&mut object, "name", &child);
        }
        let value = Value::Object(object);
        if !names::is_valid_name(
            text(&value, "/metadata/name"),
            text(&value, "/apiVersion"),
            text(&value, "/kind"),
        ) {
            return Err(Error::InvalidName {
                resource: name.clone(),
                name: text(&value, "/metadata/name").to_owned(),
            });
        }
        let Value::Object(object) = value else {
            unreachable!("it was an object a moment ago")
        };
        composed.push(Composed {
            name: name.clone(),
            object,
            is_ready: resource.ready == Ready::True as i32,
        });
    }
    Ok(composed)
}

/// The XR's `resourceRefs` for these resources, sorted as Crossplane sorts them (by apiVersion,
/// kind, name and namespace run together); without namespaces for a namespaced XR.
pub(crate) fn resource_refs(composed: &[Composed], is_namespaced: bool) -> Value {
    let mut refs: Vec<(String, Value)> = composed
        .iter()
        .map(|composed| {
            let object = Value::Object(composed.object.clone());
            let mut reference = Map::new();
            for (key, pointer) in [
                ("apiVersion", "/apiVersion"),
                ("kind", "/kind"),
                ("namespace", "/metadata/namespace"),
                ("name", "/metadata/name"),
                ("uid", "/metadata/uid"),
            ] {
                let value = text(&object, pointer);
                // A namespaced XR's references name no namespace: its resources are in its own.
                let is_implied = key == "namespace" && is_namespaced;
                if !value.is_empty() && !is_implied {
                    reference.insert(key.to_owned(), value.into());
                }
            }
            let field = |key: &str| reference.get(key).and_then(Value::as_str).unwrap_or("");
            let sort_key = [
                field("apiVersion"),
                field("kind"),
                field("name"),
                field("namespace"),
            ]
            .concat();
            (sort_key, Value::Object(reference))
        })
        .filter(|(_, reference)| reference.as_object().is_some_and(|r| !r.is_empty()))
        .collect();
    refs.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Array(refs.into_iter().map(|(_, reference)| reference).collect())
}

/// `RenderComposedResourceMetadata`: generateName, namespace, annotation, labels and the
/// controller reference.
fn render_metadata(object: &mut Map<String, Value>, xr: &Composite, name: &str) -> Result<()> {
    let prefix = xr.label(LABEL_COMPOSITE).to_owned();
    if text_in(object, "name").is_empty() && text_in(object, "generateName").is_empty() {
        set_metadata(object, "generateName", &format!("{prefix}-"));
    }
    if !xr.namespace().is_empty() {
        set_metadata(object, "namespace", xr.namespace());
    }
    set_in(
        object,
        &["metadata", "annotations", ANNOTATION_RESOURCE_NAME],
        name.into(),
    );
    set_in(
        object,
        &["metadata", "labels", LABEL_COMPOSITE],
        prefix.into(),
    );
    let (claim, claim_namespace) = (xr.label(LABEL_CLAIM_NAME), xr.label(LABEL_CLAIM_NAMESPACE));
    if !claim.is_empty() && !claim_namespace.is_empty() {
        set_in(
            object,
            &["metadata", "labels", LABEL_CLAIM_NAME],
            claim.into(),
        );
        set_in(
            object,
            &["metadata", "labels", LABEL_CLAIM_NAMESPACE],
            claim_namespace.into(),
        );
    }
    let mut references = owner_references(object);
    if let Some(other) = references
        .iter()
        .find(|r| r.get("controller") == Some(&Value::Bool(true)))
        .filter(|r| r.get("uid").and_then(Value::as_str).unwrap_or("") != xr.uid())
    {
        let field = |key: &str| {
            other
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        return Err(Error::OtherController {
            name: name.to_owned(),
            owner: format!("{} {} (UID {})", field("kind"), field("name"), field("uid")),
        });
    }
    let controller = json!({
        "apiVersion": xr.api_version(),
        "kind": xr.kind(),
        "name": xr.name(),
        "uid": xr.uid(),
        "controller": true,
        "blockOwnerDeletion": true,
    });
    match references
        .iter_mut()
        .find(|r| r.get("uid").and_then(Value::as_str).unwrap_or("") == xr.uid())
    {
        Some(existing) => *existing = controller,
        None => references.push(controller),
    }
    set_in(
        object,
        &["metadata", "ownerReferences"],
        Value::Array(references),
    );
    Ok(())
}

/// `metadata.ownerReferences` as Kubernetes' unstructured accessors read them: apiVersion, kind,
/// name, uid and the two flags; unreadable references are dropped.
fn owner_references(object: &Map<String, Value>) -> Vec<Value> {
    let Some(Value::Array(references)) = object
        .get("metadata")
        .and_then(|metadata| metadata.get("ownerReferences"))
    else {
        return Vec::new();
    };
    if !references.iter().all(Value::is_object) {
        return Vec::new();
    }
    references
        .iter()
        .map(|reference| {
            let mut clean = Map::new();
            for key in ["apiVersion", "kind", "name", "uid"] {
                let value = reference.get(key).and_then(Value::as_str).unwrap_or("");
                clean.insert(key.to_owned(), value.into());
            }
            for key in ["controller", "blockOwnerDeletion"] {
                if let Some(flag) = reference.get(key).and_then(Value::as_bool) {
                    clean.insert(key.to_owned(), flag.into());
                }
            }
            Value::Object(clean)
        })
        .collect()
}

fn text_in<'a>(object: &'a Map<String, Value>, field: &str) -> &'a str {
    object
        .get("metadata")
        .and_then(|metadata| metadata.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Kubernetes' unstructured `SetName`/`SetNamespace`/`SetGenerateName`: an empty value removes
/// the field.
fn set_metadata(object: &mut Map<String, Value>, field: &str, value: &str) {
    if value.is_empty() {
        if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
            metadata.remove(field);
        }
    } else {
        set_in(object, &["metadata", field], value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn composed(api_version: &str, kind: &str, name: &str) -> Composed {
        let object = match json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": "ns"}})
        {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        Composed {
            name: name.to_owned(),
            object,
            is_ready: true,
        }
    }

    #[test]
    fn resource_refs_sort_by_apiversion_kind_and_name_run_together() {
        let refs = resource_refs(
            &[
                composed("s3.aws.m.upbound.io/v1beta1", "Bucket", "photos-7xq2d"),
                composed(
                    "s3.aws.m.upbound.io/v1beta1",
                    "BucketVersioning",
                    "photos-6aa",
                ),
                composed("iam.aws.m.upbound.io/v1beta1", "Policy", "photos-482"),
            ],
            true,
        );
        assert_eq!(
            refs,
            json!([
                {"apiVersion": "iam.aws.m.upbound.io/v1beta1", "kind": "Policy", "name": "photos-482"},
                {"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "BucketVersioning", "name": "photos-6aa"},
                {"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "Bucket", "name": "photos-7xq2d"},
            ])
        );
        let cluster = resource_refs(&[composed("v1", "ConfigMap", "c")], false);
        assert_eq!(
            cluster,
            json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "c", "namespace": "ns"}])
        );
    }
}
