//! The XR as Crossplane's render engine holds it while it reconciles: the input XR with a UID, a
//! resource version, and the fields the reconciler sets, read and written at the paths its schema
//! (legacy or modern) puts them.

use serde_json::{Map, Value};

use super::load::Xr;
use super::names;
use super::xrd::XrSchema;

/// The resource version the engine gives the XR (any non-empty one will do for its fake client).
const RESOURCE_VERSION: &str = "999";

/// The engine's XR.
#[derive(Debug, Clone)]
pub(crate) struct Composite {
    /// The object.
    pub object: Map<String, Value>,
    /// Where it keeps Crossplane's fields.
    pub schema: XrSchema,
}

impl Composite {
    /// The engine's copy of the input XR: its UID kept, or a deterministic one given, and a
    /// resource version set.
    pub fn new(xr: &Xr, schema: XrSchema) -> Composite {
        let object = match &xr.value {
            Value::Object(map) => map.clone(),
            _ => Map::new(),
        };
        let mut composite = Composite { object, schema };
        if composite.uid().is_empty() {
            let uid = names::xr_uid(xr.api_version(), xr.kind(), xr.namespace(), xr.name());
            composite.set(&["metadata", "uid"], uid.into());
        }
        composite.set(&["metadata", "resourceVersion"], RESOURCE_VERSION.into());
        composite
    }

    fn text(&self, pointer: &str) -> &str {
        self.get(pointer).and_then(Value::as_str).unwrap_or("")
    }

    /// The value at a JSON pointer.
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        pointer_in(&self.object, pointer)
    }

    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.text("/apiVersion")
    }

    /// `kind`.
    pub fn kind(&self) -> &str {
        self.text("/kind")
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.text("/metadata/name")
    }

    /// `metadata.namespace`; `""` for a cluster-scoped XR.
    pub fn namespace(&self) -> &str {
        self.text("/metadata/namespace")
    }

    /// `metadata.uid`.
    pub fn uid(&self) -> &str {
        self.text("/metadata/uid")
    }

    /// `metadata.generation`, 0 when unset.
    pub fn generation(&self) -> i64 {
        self.get("/metadata/generation")
            .and_then(|g| g.as_i64().or_else(|| g.as_f64().map(whole)))
            .unwrap_or(0)
    }

    /// A label's value, `""` when unset.
    pub fn label(&self, key: &str) -> &str {
        self.get("/metadata/labels")
            .and_then(|labels| labels.get(key))
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// An annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.get("/metadata/annotations")
            .and_then(|annotations| annotations.get(key))
            .and_then(Value::as_str)
    }

    /// One of Crossplane's fields (`compositionRef`, `resourceRefs`, ...).
    pub fn crossplane_field(&self, field: &str) -> Option<&Value> {
        self.get(&format!("{}/{field}", self.schema.crossplane_fields()))
    }

    /// Sets one of Crossplane's fields.
    pub fn set_crossplane_field(&mut self, field: &str, value: Value) {
        let mut path: Vec<&str> = self
            .schema
            .crossplane_fields()
            .trim_start_matches('/')
            .split('/')
            .collect();
        path.push(field);
        self.set(&path, value);
    }

    /// Sets the value at `path`, creating missing objects on the way; like crossplane-runtime's
    /// `fieldpath.SetValue`, nothing changes when a step of the way is not an object.
    pub fn set(&mut self, path: &[&str], value: Value) {
        set_in(&mut self.object, path, value);
    }
}

/// The value at a JSON pointer inside an object.
pub(crate) fn pointer_in<'a>(object: &'a Map<String, Value>, pointer: &str) -> Option<&'a Value> {
    let mut parts = pointer.trim_start_matches('/').split('/');
    let mut current = object.get(parts.next()?)?;
    for part in parts {
        current = match current {
            Value::Object(map) => map.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Sets `path` inside an object, creating missing objects; a non-object on the way stops it.
pub(crate) fn set_in(object: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = object;
    for part in parents {
        let next = current
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if next.is_null() {
            *next = Value::Object(Map::new());
        }
        let Value::Object(map) = next else {
            return;
        };
        current = map;
    }
    current.insert((*last).to_owned(), value);
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "generations are whole numbers far inside i64's range"
)]
fn whole(value: f64) -> i64 {
    value as i64
}
