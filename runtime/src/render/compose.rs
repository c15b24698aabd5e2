//! From the pipeline's desired state to the objects Crossplane would apply: composed resource
//! metadata (generateName, labels, the composition-resource-name annotation, a controller owner
//! reference to the XR), and the XR's status with its `Ready` condition computed from READY_TRUE
//! only, as classic `crossplane render` (v2.2) prints them.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube_core::DynamicObject;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use xfn_proto::v1::{Ready, Status};

use super::ANNOTATION_RESOURCE_NAME;
use super::error::{Error, Result};
use super::load::{Inputs, Xr};
use super::pipeline::{Outcome, to_json};

/// The label naming the (root) composite a resource belongs to.
const LABEL_COMPOSITE: &str = "crossplane.io/composite";
/// Claim labels, propagated from the XR.
const LABEL_CLAIM_NAME: &str = "crossplane.io/claim-name";
const LABEL_CLAIM_NAMESPACE: &str = "crossplane.io/claim-namespace";

/// `lastTransitionTime` of every condition render sets: a fixed time, so output is stable.
const CONDITION_TIME: &str = "2024-01-01T00:00:00Z";

/// How many unready resources the `Ready` message names before "and N more".
const UNREADY_NAMED: usize = 3;

/// Condition types Crossplane owns; functions cannot set them.
const SYSTEM_CONDITIONS: [&str; 3] = ["Ready", "Synced", "Healthy"];

/// The objects render prints.
#[derive(Debug)]
pub(crate) struct Rendered {
    /// The XR: identity plus the desired status.
    pub xr: Value,
    /// Composed resources, sorted by composition resource name.
    pub composed: Vec<Value>,
}

/// Builds the rendered XR and composed resources.
///
/// # Errors
/// A desired resource that is not a Kubernetes object, or one controlled by another owner.
pub(crate) fn compose(inputs: &Inputs, outcome: &Outcome) -> Result<Rendered> {
    let mut unready = Vec::new();
    let mut composed = BTreeMap::new();
    for (name, desired) in &outcome.desired.resources {
        if desired.ready != Ready::True as i32 {
            unready.push(name.clone());
        }
        let value = desired.resource.as_ref().map_or(Value::Null, to_json);
        let mut object: DynamicObject =
            serde_json::from_value(value).map_err(|source| Error::BadDesired {
                what: format!("composed resource \"{name}\""),
                source,
            })?;
        // A resource that already exists keeps its name, namespace and generateName.
        if let Some(observed) = inputs.observed.get(name) {
            let field = |key: &str| {
                observed
                    .pointer(&format!("/metadata/{key}"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            object.metadata.namespace = field("namespace");
            object.metadata.name = field("name");
            object.metadata.generate_name = field("generateName");
        }
        set_composed_metadata(&mut object, &inputs.xr, name)?;
        let value = serde_json::to_value(&object).map_err(|source| Error::BadDesired {
            what: format!("composed resource \"{name}\""),
            source,
        })?;
        composed.insert(name.clone(), value);
    }

    let composite = outcome.desired.composite.as_ref();
    let mut xr = match composite.and_then(|c| c.resource.as_ref()).map(to_json) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    set_identity(&mut xr, &inputs.xr);
    let ready = match composite.map_or(Ready::Unspecified as i32, |c| c.ready) {
        r if r == Ready::False as i32 => creating(None),
        r if r == Ready::Unspecified as i32 && !unready.is_empty() => creating(Some(format!(
            "Unready resources: {}",
            some_names(&mut unready)
        ))),
        _ => Condition::new("Ready", "True", "Available", None),
    };
    let mut conditions = existing_conditions(&xr);
    set_condition(&mut conditions, ready);
    for condition in &outcome.conditions {
        if SYSTEM_CONDITIONS.contains(&condition.r#type.as_str()) {
            continue;
        }
        let status = match Status::try_from(condition.status) {
            Ok(Status::ConditionTrue) => "True",
            Ok(Status::ConditionFalse) => "False",
            _ => "Unknown",
        };
        set_condition(
            &mut conditions,
            Condition::new(
                &condition.r#type,
                status,
                &condition.reason,
                condition.message.clone(),
            ),
        );
    }
    let status = xr
        .entry("status")
        .or_insert_with(|| Value::Object(Map::new()));
    if !status.is_object() {
        *status = Value::Object(Map::new());
    }
    status["conditions"] =
        serde_json::to_value(conditions).expect("conditions always serialise to JSON");

    Ok(Rendered {
        xr: Value::Object(xr),
        composed: composed.into_values().collect(),
    })
}

/// The XR's apiVersion, kind, name and namespace: functions only return its status.
fn set_identity(xr: &mut Map<String, Value>, input: &Xr) {
    xr.insert("apiVersion".into(), input.api_version().into());
    xr.insert("kind".into(), input.kind().into());
    let metadata = xr
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !metadata.is_object() {
        *metadata = Value::Object(Map::new());
    }
    let metadata = metadata
        .as_object_mut()
        .expect("metadata was just made an object");
    metadata.insert("name".into(), input.name().into());
    match &input.object.metadata.namespace {
        Some(namespace) if !namespace.is_empty() => {
            metadata.insert("namespace".into(), namespace.clone().into());
        }
        _ => {
            metadata.remove("namespace");
        }
    }
}

/// Crossplane's standard composed resource metadata.
fn set_composed_metadata(object: &mut DynamicObject, xr: &Xr, name: &str) -> Result<()> {
    let xr_labels = xr.object.metadata.labels.clone().unwrap_or_default();
    // Nested XRs carry their root's name in the composite label; use it as the prefix.
    let prefix = xr_labels
        .get(LABEL_COMPOSITE)
        .filter(|prefix| !prefix.is_empty())
        .map_or_else(|| xr.name().to_owned(), String::clone);
    let metadata = &mut object.metadata;
    if metadata.name.as_deref().unwrap_or("").is_empty()
        && metadata.generate_name.as_deref().unwrap_or("").is_empty()
    {
        metadata.generate_name = Some(format!("{prefix}-"));
    }
    // A namespaced XR composes only in its own namespace.
    if let Some(namespace) = xr
        .object
        .metadata
        .namespace
        .as_ref()
        .filter(|ns| !ns.is_empty())
    {
        metadata.namespace = Some(namespace.clone());
    }
    metadata
        .annotations
        .get_or_insert_default()
        .insert(ANNOTATION_RESOURCE_NAME.into(), name.into());
    let labels = metadata.labels.get_or_insert_default();
    labels.insert(LABEL_COMPOSITE.into(), prefix);
    let claim = match (
        xr_labels.get(LABEL_CLAIM_NAME),
        xr_labels.get(LABEL_CLAIM_NAMESPACE),
    ) {
        (Some(name), Some(namespace)) if !name.is_empty() && !namespace.is_empty() => {
            Some((name.clone(), namespace.clone()))
        }
        _ => xr.value.pointer("/spec/claimRef").map(|claim| {
            let field = |key| {
                claim
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            (field("name"), field("namespace"))
        }),
    };
    if let Some((claim_name, claim_namespace)) = claim {
        labels.insert(LABEL_CLAIM_NAMESPACE.into(), claim_namespace);
        labels.insert(LABEL_CLAIM_NAME.into(), claim_name);
    }

    let owner = OwnerReference {
        api_version: xr.api_version().to_owned(),
        kind: xr.kind().to_owned(),
        name: xr.name().to_owned(),
        uid: xr.object.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    };
    let references = metadata.owner_references.get_or_insert_default();
    if let Some(other) = references
        .iter()
        .find(|r| r.controller == Some(true) && r.uid != owner.uid)
    {
        return Err(Error::OtherController {
            name: name.to_owned(),
            owner: format!("{} {}", other.kind, other.name),
        });
    }
    match references.iter_mut().find(|r| r.uid == owner.uid) {
        Some(existing) => *existing = owner,
        None => references.push(owner),
    }
    Ok(())
}

/// A condition as Crossplane writes it on the XR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Condition {
    #[serde(rename = "type")]
    kind: String,
    status: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    observed_generation: i64,
    #[serde(default)]
    last_transition_time: String,
    #[serde(default)]
    reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    message: String,
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

impl Condition {
    fn new(kind: &str, status: &str, reason: &str, message: Option<String>) -> Condition {
        Condition {
            kind: kind.to_owned(),
            status: status.to_owned(),
            observed_generation: 0,
            last_transition_time: CONDITION_TIME.to_owned(),
            reason: reason.to_owned(),
            message: message.unwrap_or_default(),
        }
    }

    /// Equal but for `lastTransitionTime`.
    fn is_same(&self, other: &Condition) -> bool {
        self.kind == other.kind
            && self.status == other.status
            && self.reason == other.reason
            && self.message == other.message
            && self.observed_generation == other.observed_generation
    }
}

fn creating(message: Option<String>) -> Condition {
    Condition::new("Ready", "False", "Creating", message)
}

/// Conditions the desired XR status already has; unreadable ones are dropped, as Crossplane does.
fn existing_conditions(xr: &Map<String, Value>) -> Vec<Condition> {
    xr.get("status")
        .and_then(|status| status.get("conditions"))
        .and_then(|conditions| serde_json::from_value(conditions.clone()).ok())
        .unwrap_or_default()
}

/// Replaces the condition of the same type (unless it only differs in time) or appends it.
fn set_condition(conditions: &mut Vec<Condition>, condition: Condition) {
    let mut exists = false;
    for existing in conditions.iter_mut().filter(|c| c.kind == condition.kind) {
        exists = true;
        if !existing.is_same(&condition) {
            *existing = condition.clone();
        }
    }
    if !exists {
        conditions.push(condition);
    }
}

/// Sorted names, the first few and "and N more", like crossplane-runtime's
/// `StableNAndSomeMore`.
fn some_names(names: &mut [String]) -> String {
    names.sort();
    match names.len() {
        n if n > UNREADY_NAMED => format!(
            "{}, and {} more",
            names[..UNREADY_NAMED].join(", "),
            n - UNREADY_NAMED
        ),
        n if n == UNREADY_NAMED => format!("{}, and {}", names[..n - 1].join(", "), names[n - 1]),
        _ => names.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn some_names_sorts_and_shortens_like_crossplane() {
        assert_eq!(some_names(&mut names(&["b", "a"])), "a, b");
        assert_eq!(some_names(&mut names(&["c", "a", "b"])), "a, b, and c");
        assert_eq!(
            some_names(&mut names(&["e", "d", "c", "b", "a"])),
            "a, b, c, and 2 more"
        );
    }

    #[test]
    fn set_condition_replaces_the_same_type_and_appends_new_ones() {
        let mut conditions = vec![creating(Some("x".into()))];
        set_condition(
            &mut conditions,
            Condition::new("Ready", "True", "Available", None),
        );
        set_condition(
            &mut conditions,
            Condition::new("DatabaseReady", "True", "Ok", None),
        );
        assert_eq!(
            conditions,
            vec![
                Condition::new("Ready", "True", "Available", None),
                Condition::new("DatabaseReady", "True", "Ok", None),
            ]
        );
    }
}
