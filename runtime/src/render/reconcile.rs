//! One reconcile of the XR, as Crossplane's render engine runs it (crossplane
//! `internal/render/composite` driving the real composite reconciler against an in-memory API
//! server): the XR gets its UID, the `Responsive` condition, its composition reference and
//! composite label; the pipeline runs on what is observed; the desired composed resources are
//! applied; the XR's status, resource references and `Synced`/`Ready` conditions are written.
//! What it returns is what the engine's API server was last told about the XR and the composed
//! resources, plus the events it recorded.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use xfn_proto::v1::{Ready, Resource, State};

use super::ANNOTATION_RESOURCE_NAME;
use super::compose::{self, Composed, LABEL_COMPOSITE};
use super::composite::Composite;
use super::conditions::{self, Condition};
use super::error::{Error, Result};
use super::events::Event;
use super::load::Inputs;
use super::pipeline::{Pipeline, resource, secret_data, to_json, to_struct};
use super::runtimes::Runtimes;
use super::store::{Store, text};
use super::xrd::XrSchema;

/// The annotation that pauses reconciliation when `"true"`.
const ANNOTATION_PAUSED: &str = "crossplane.io/paused";
/// The annotation whose new value asks for a reconcile.
const ANNOTATION_RECONCILE_REQUESTED: &str = "crossplane.io/reconcile-requested-at";

/// What one reconcile leaves behind.
#[derive(Debug)]
pub(crate) struct Rendered {
    /// The XR as its last status update wrote it.
    pub xr: Map<String, Value>,
    /// The composed resources, in composition resource name order.
    pub composed: Vec<Map<String, Value>>,
    /// Every event recorded on the XR, in order.
    pub events: Vec<Event>,
    /// The context after the last step; `None` when the pipeline did not run or its last step
    /// returned none.
    pub context: Option<Map<String, Value>>,
}

/// Reconciles the XR once.
///
/// # Errors
/// Observed resources the XR cannot own, and everything that stops a pipeline or composes an
/// invalid resource (see [`Pipeline::run`] and [`compose::compose`]).
pub(crate) async fn reconcile(inputs: &Inputs, runtimes: &Runtimes<'_>) -> Result<Rendered> {
    let mut xr = Composite::new(&inputs.xr, inputs.schema);
    check_observed(inputs, &xr)?;
    if !inputs.observed.is_empty() {
        xr.set_crossplane_field("resourceRefs", observed_refs(inputs, &xr));
    }
    let mut store = Store::default();
    store.put(Value::Object(xr.object.clone()));
    for object in inputs.observed.iter().map(|document| &document.value) {
        store.put(object.clone());
    }
    for object in inputs.required.iter().chain(&inputs.secrets) {
        store.put(object.clone());
    }

    let mut events = Vec::new();
    let mut responsive = Condition::new("Responsive", "True", "WatchCircuitClosed", "");
    responsive.observed_generation = xr.generation();
    conditions::set(&mut xr.object, &[responsive]);

    if xr.annotation(ANNOTATION_PAUSED) == Some("true") {
        return Ok(paused(xr, events));
    }
    handle_reconcile_request(&mut xr, &mut events);
    select_composition(inputs, &mut xr, &mut events);
    configure(inputs, &mut xr, &mut store);

    let observed = observe(&xr, &store)?;
    let pipeline = Pipeline {
        inputs,
        store: &store,
        runtimes,
    };
    let output = pipeline.run(observed_state(&xr, &observed, &store)).await?;
    let mut events_of_composition = output.events;
    let composed = compose::compose(&output.desired, &observed, &xr, &mut events_of_composition)?;

    let mut rendered = applied_xr(&xr, &composed, &output.desired);
    events.extend(events_of_composition);
    let custom: Vec<Condition> = output
        .conditions
        .into_iter()
        .filter(|condition| !Condition::is_system(&condition.kind))
        .collect();
    conditions::set(&mut rendered, &custom);
    let synced = Condition::new("Synced", "True", "ReconcileSuccess", "");
    let ready = ready(&output.desired, &composed, &mut events);
    conditions::set(&mut rendered, &[synced, ready]);
    Ok(Rendered {
        xr: rendered,
        composed: composed
            .into_iter()
            .map(|resource| resource.object)
            .collect(),
        events,
        context: output.context,
    })
}

/// The XR's resource references, one per observed resource, as if the XR had composed them; a
/// reference names a namespace only for a namespaced resource of a cluster-scoped XR.
fn observed_refs(inputs: &Inputs, xr: &Composite) -> Value {
    let refs = inputs
        .observed
        .iter()
        .map(|document| {
            let mut reference = json!({
                "apiVersion": text(&document.value, "/apiVersion"),
                "kind": text(&document.value, "/kind"),
                "name": text(&document.value, "/metadata/name"),
            });
            let namespace = text(&document.value, "/metadata/namespace");
            if xr.namespace().is_empty() && !namespace.is_empty() {
                reference["namespace"] = namespace.into();
            }
            reference
        })
        .collect();
    Value::Array(refs)
}

/// The reconcile of a paused XR: an event and a `Synced: False` condition, nothing composed.
fn paused(mut xr: Composite, mut events: Vec<Event>) -> Rendered {
    events.push(Event::normal(
        "ReconciliationPaused",
        "Reconciliation is paused via the pause annotation",
    ));
    let mut paused = Condition::new(
        "Synced",
        "False",
        "ReconcilePaused",
        "Reconciliation (including deletion) is paused via the pause annotation",
    );
    paused.observed_generation = xr.generation();
    conditions::set(&mut xr.object, &[paused]);
    Rendered {
        xr: xr.object,
        composed: Vec::new(),
        events,
        context: None,
    }
}

/// Records a new reconcile request (the annotation's value differs from
/// `status.lastHandledReconcileAt`) as handled, with an event.
fn handle_reconcile_request(xr: &mut Composite, events: &mut Vec<Event>) {
    let Some(token) = xr
        .annotation(ANNOTATION_RECONCILE_REQUESTED)
        .filter(|t| !t.is_empty())
    else {
        return;
    };
    let token = token.to_owned();
    if xr
        .get("/status/lastHandledReconcileAt")
        .and_then(Value::as_str)
        != Some(token.as_str())
    {
        events.push(Event::normal(
            "ReconcileRequestHandled",
            "Handling reconcile request",
        ));
        xr.set(&["status", "lastHandledReconcileAt"], token.into());
    }
}

/// The observed state the pipeline starts from: the XR and the `observed` composed resources,
/// each with its connection details (the XR's only when it is a legacy XR).
fn observed_state(xr: &Composite, observed: &BTreeMap<String, Value>, store: &Store) -> State {
    State {
        composite: Some(Resource {
            resource: Some(to_struct(Value::Object(xr.object.clone()))),
            connection_details: connection_details(
                store,
                &xr.object,
                xr.schema == XrSchema::Legacy,
            ),
            ..Resource::default()
        }),
        resources: observed
            .iter()
            .map(|(name, object)| {
                let mut observed = resource(object);
                if let Value::Object(map) = object {
                    observed.connection_details = connection_details(store, map, true);
                }
                (name.clone(), observed)
            })
            .collect(),
    }
}

/// The XR's `Ready` condition: what the pipeline said of the XR, else whether every composed
/// resource is ready; each unready one is recorded as an event.
fn ready(desired: &State, composed: &[Composed], events: &mut Vec<Event>) -> Condition {
    let mut unready: Vec<&str> = Vec::new();
    for resource in composed.iter().filter(|resource| !resource.is_ready) {
        unready.push(&resource.name);
        events.push(Event::normal(
            "ComposeResources",
            format!("Composed resource \"{}\" is not yet ready", resource.name),
        ));
    }
    match desired.composite.as_ref().map(|c| c.ready) {
        Some(r) if r == Ready::True as i32 => Condition::new("Ready", "True", "Available", ""),
        Some(r) if r == Ready::False as i32 => Condition::new("Ready", "False", "Creating", ""),
        _ if !unready.is_empty() => Condition::new(
            "Ready",
            "False",
            "Creating",
            &format!("Unready resources: {}", some_names(&mut unready)),
        ),
        _ => Condition::new("Ready", "True", "Available", ""),
    }
}

/// `CheckObservedResources`: an observed resource must not be controlled by another owner, and
/// must be in a namespaced XR's namespace.
fn check_observed(inputs: &Inputs, xr: &Composite) -> Result<()> {
    let mut problems = Vec::new();
    for document in &inputs.observed {
        let name = text(&document.value, "/metadata/name");
        let controller = document
            .value
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("controller") == Some(&Value::Bool(true)));
        if let Some(controller) = controller
            && text(controller, "/uid") != xr.uid()
        {
            problems.push(format!(
                "{}: document {}: observed resource {name} is controlled by another owner (UID {}), not by the XR (UID {}); remove its controller ownerReference or set the XR's metadata.uid",
                document.path.display(),
                document.index,
                text(controller, "/uid"),
                xr.uid()
            ));
        }
        let namespace = text(&document.value, "/metadata/namespace");
        if !xr.namespace().is_empty() && namespace != xr.namespace() {
            problems.push(format!(
                "{}: document {}: observed resource {name} is in namespace \"{namespace}\", not in the XR's namespace \"{}\"; a namespaced XR composes only in its own namespace",
                document.path.display(),
                document.index,
                xr.namespace()
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::ObservedResources {
            problems: problems.join("\n"),
        })
    }
}

/// Points the XR at the Composition, recording an event when that changes its reference.
fn select_composition(inputs: &Inputs, xr: &mut Composite, events: &mut Vec<Event>) {
    let name = inputs.composition.metadata.name.clone().unwrap_or_default();
    let wanted = json!({"name": name});
    // Go compares the whole ObjectReference; fields other than these strings do not exist.
    let current = xr.crossplane_field("compositionRef").and_then(|current| {
        let object = current.as_object()?;
        object.values().all(Value::is_string).then(|| {
            object
                .iter()
                .filter(|(_, value)| value.as_str() != Some(""))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect::<Map<String, Value>>()
        })
    });
    if current.as_ref() != wanted.as_object() {
        events.push(Event::normal(
            "SelectComposition",
            format!("Successfully selected composition: {name}"),
        ));
    }
    xr.set_crossplane_field("compositionRef", wanted);
}

/// The configurators: the composite label (the XR's own name unless set) and, for a legacy XR
/// of a Composition with `writeConnectionSecretsToNamespace`, its connection secret reference.
/// Each change is written to the store, as the reconciler updates the XR.
fn configure(inputs: &Inputs, xr: &mut Composite, store: &mut Store) {
    if xr.label(LABEL_COMPOSITE).is_empty() {
        let name = xr.name().to_owned();
        xr.set(&["metadata", "labels", LABEL_COMPOSITE], name.into());
        store.put(Value::Object(xr.object.clone()));
    }
    let has_secret_ref = xr.schema == XrSchema::Legacy
        && xr
            .get("/spec/writeConnectionSecretToRef")
            .is_some_and(Value::is_object);
    if let Some(namespace) = &inputs
        .composition
        .spec
        .write_connection_secrets_to_namespace
        && !has_secret_ref
    {
        if xr.schema == XrSchema::Legacy {
            let reference = json!({"name": xr.uid(), "namespace": namespace});
            xr.set(&["spec", "writeConnectionSecretToRef"], reference);
        }
        store.put(Value::Object(xr.object.clone()));
    }
}

/// The existing composed resources the XR's `resourceRefs` point at, by composition resource
/// name (`ExistingComposedResourceObserver`): missing ones and those another owner controls are
/// skipped.
fn observe(xr: &Composite, store: &Store) -> Result<BTreeMap<String, Value>> {
    let mut observed = BTreeMap::new();
    let refs = xr
        .crossplane_field("resourceRefs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for reference in refs {
        let name = text(&reference, "/name");
        if name.is_empty() {
            continue;
        }
        let namespace = if xr.namespace().is_empty() {
            text(&reference, "/namespace")
        } else {
            xr.namespace()
        };
        let Some(object) = store.get(
            text(&reference, "/apiVersion"),
            text(&reference, "/kind"),
            namespace,
            name,
        ) else {
            continue;
        };
        let controller = object
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("controller") == Some(&Value::Bool(true)));
        if controller.is_some_and(|c| text(c, "/uid") != xr.uid()) {
            continue;
        }
        let resource_name = object
            .pointer("/metadata/annotations")
            .and_then(|annotations| annotations.get(ANNOTATION_RESOURCE_NAME))
            .and_then(Value::as_str)
            .unwrap_or("");
        if resource_name.is_empty() {
            return Err(Error::AnonymousComposed {
                name: name.to_owned(),
            });
        }
        observed.insert(resource_name.to_owned(), object.clone());
    }
    Ok(observed)
}

/// The connection details of an object that has `spec.writeConnectionSecretToRef`, read from the
/// Secret in the store (in the object's namespace, else the reference's); none when `has_secret`
/// is false or the Secret is not there.
fn connection_details(
    store: &Store,
    object: &Map<String, Value>,
    has_secret: bool,
) -> std::collections::HashMap<String, Vec<u8>> {
    let object = Value::Object(object.clone());
    let Some(reference) = object
        .pointer("/spec/writeConnectionSecretToRef")
        .filter(|r| has_secret && r.is_object())
    else {
        return Default::default();
    };
    let namespace = match text(&object, "/metadata/namespace") {
        "" => text(reference, "/namespace"),
        namespace => namespace,
    };
    store
        .get("v1", "Secret", namespace, text(reference, "/name"))
        .map(secret_data)
        .unwrap_or_default()
}

/// The XR as the engine's API server holds it after the composer applied its resource
/// references and its status: apiVersion, kind, name and namespace, the references, and the
/// desired status with the XR's conditions kept.
fn applied_xr(xr: &Composite, composed: &[Composed], desired: &State) -> Map<String, Value> {
    let mut applied = Composite {
        object: Map::new(),
        schema: xr.schema,
    };
    applied.set(&["apiVersion"], xr.api_version().into());
    applied.set(&["kind"], xr.kind().into());
    applied.set(&["metadata", "name"], xr.name().into());
    if !xr.namespace().is_empty() {
        applied.set(&["metadata", "namespace"], xr.namespace().into());
    }
    applied.set_crossplane_field(
        "resourceRefs",
        compose::resource_refs(composed, !xr.namespace().is_empty()),
    );
    let mut desired_xr = match desired
        .composite
        .as_ref()
        .and_then(|composite| composite.resource.as_ref())
        .map(to_json)
    {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    conditions::set(&mut desired_xr, &conditions::get(&xr.object));
    // The status patch takes only these two fields of what the pipeline desired.
    for field in ["status", "conditions"] {
        if let Some(value) = desired_xr.remove(field) {
            applied.object.insert(field.to_owned(), value);
        }
    }
    applied.object
}

/// How many unready resources the `Ready` message names before "and N more".
const UNREADY_NAMED: usize = 3;

/// Sorted names, the first few and "and N more", like crossplane-runtime's
/// `StableNAndSomeMore`.
fn some_names(names: &mut [&str]) -> String {
    names.sort_unstable();
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

    #[test]
    fn some_names_sorts_and_shortens_like_crossplane() {
        assert_eq!(some_names(&mut ["b", "a"]), "a, b");
        assert_eq!(some_names(&mut ["c", "a", "b"]), "a, b, and c");
        assert_eq!(
            some_names(&mut ["e", "d", "c", "b", "a"]),
            "a, b, c, and 2 more"
        );
    }
}
