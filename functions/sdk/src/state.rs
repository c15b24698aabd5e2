//! `State` and `Resource`: the observed and desired composite and composed resources.

use std::collections::BTreeMap;
use std::fmt;
use std::mem;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::de::message_fields;
use crate::path::{FieldPath, PathError};
use crate::read::{ReadError, json_kind, read_object_or_empty, read_path, read_value};
use crate::{Lazy, Ready, Status, base64};

/// A composite or composed resource (`Resource`).
///
/// `resource` is the Kubernetes object as plain JSON (the protocol's `google.protobuf.Struct`).
/// `connection_details` keep the protojson form of `bytes`: base64 strings, so that a module
/// passes secrets through without decoding them; [`Resource::connection_detail`] and
/// [`Resource::set_connection_detail`] convert.
///
/// # Examples
/// ```
/// use serde_json::json;
/// use xfn_sdk::{Ready, Resource};
///
/// let mut bucket = Resource::from_value(json!({
///     "apiVersion": "s3.aws.upbound.io/v1beta1",
///     "kind": "Bucket",
///     "spec": {"forProvider": {"region": "eu-west-1"}},
/// }))
/// .unwrap();
/// bucket.ready = Ready::True;
/// assert_eq!(bucket.kind(), Some("Bucket"));
/// assert_eq!(bucket.get_str("spec.forProvider.region"), Some("eu-west-1"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// The Kubernetes object: `apiVersion`, `kind`, `metadata`, `spec`, `status`... Read from
    /// the request only when first used; see [`Lazy`].
    #[serde(skip_serializing_if = "is_empty_body")]
    pub resource: Lazy<Map<String, Value>>,
    /// Connection details, each value base64 as in protojson. Crossplane fills them on observed
    /// resources; on desired ones it uses only the composite's, and only for legacy XRs.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub connection_details: BTreeMap<String, String>,
    /// Whether the resource is ready; see [`Ready`].
    #[serde(skip_serializing_if = "is_unspecified")]
    pub ready: Ready,
    /// Fields this SDK does not know, kept so that a resource passed through loses nothing.
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

/// A value given as a resource body was not a JSON object.
///
/// # Examples
/// ```
/// let error = xfn_sdk::Resource::from_value(serde_json::json!(42)).unwrap_err();
/// assert_eq!(error.found, "a number");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAnObject {
    /// What it was instead: `"an array"`, `"a string"`...
    pub found: &'static str,
}

impl fmt::Display for NotAnObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a resource must be a JSON object with apiVersion and kind, got {}",
            self.found
        )
    }
}

impl std::error::Error for NotAnObject {}

impl Resource {
    /// A resource with body `resource`, no connection details and readiness unspecified.
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::{Ready, Resource};
    ///
    /// let body = json!({"apiVersion": "v1", "kind": "ConfigMap"}).as_object().cloned().unwrap();
    /// let cm = Resource::new(body);
    /// assert_eq!(cm.kind(), Some("ConfigMap"));
    /// assert_eq!(cm.ready, Ready::Unspecified);
    /// ```
    pub fn new(resource: Map<String, Value>) -> Resource {
        Resource {
            resource: Lazy::new(resource),
            ..Resource::default()
        }
    }

    /// A resource whose body is `value`, typically built with [`serde_json::json!`].
    ///
    /// # Errors
    /// [`NotAnObject`] when `value` is not a JSON object.
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::Resource;
    ///
    /// let cm = Resource::from_value(json!({"apiVersion": "v1", "kind": "ConfigMap"})).unwrap();
    /// assert_eq!(cm.api_version(), Some("v1"));
    /// assert!(Resource::from_value(json!([1])).is_err());
    /// ```
    pub fn from_value(value: Value) -> Result<Resource, NotAnObject> {
        match value {
            Value::Object(resource) => Ok(Resource::new(resource)),
            other => Err(NotAnObject {
                found: json_kind(&other),
            }),
        }
    }

    /// The value at the field path `path` in the body (see [`get_path`](crate::get_path)).
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::Resource;
    ///
    /// let svc = Resource::from_value(json!({"spec": {"ports": [{"port": 80}]}})).unwrap();
    /// assert_eq!(svc.get_path("spec.ports[0].port"), Some(&json!(80)));
    /// assert_eq!(svc.get_path("spec.ports[1].port"), None);
    /// ```
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        FieldPath::parse(path).ok()?.get_in(&self.resource)
    }

    /// The string at the field path `path` in the body; `None` when missing or not a string.
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::Resource;
    ///
    /// let xr = Resource::from_value(json!({"spec": {"who": "world", "count": 3}})).unwrap();
    /// assert_eq!(xr.get_str("spec.who"), Some("world"));
    /// assert_eq!(xr.get_str("spec.count"), None);
    /// ```
    pub fn get_str(&self, path: &str) -> Option<&str> {
        self.get_path(path)?.as_str()
    }

    /// Sets the value at the field path `path` in the body, creating objects and arrays on the
    /// way (see [`FieldPath::set`]).
    ///
    /// # Errors
    /// [`PathError`] for an invalid path or a value of another type in the way.
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::Resource;
    ///
    /// let mut xr = Resource::default();
    /// xr.set_path("status.region", json!("eu-west-1")).unwrap();
    /// assert_eq!(xr.get_str("status.region"), Some("eu-west-1"));
    /// ```
    pub fn set_path(&mut self, path: &str, value: Value) -> Result<(), PathError> {
        let path = FieldPath::parse(path)?;
        let mut body = Value::Object(mem::take(&mut *self.resource));
        let result = path.set(&mut body, value);
        if let Value::Object(resource) = body {
            *self.resource = resource;
        }
        result
    }

    /// The whole body read into the author's type `T`.
    ///
    /// # Errors
    /// [`ReadError`] naming the resource (by kind and name) and the field path that does not
    /// fit `T`.
    ///
    /// # Examples
    /// ```
    /// use serde::Deserialize;
    /// use serde_json::json;
    /// use xfn_sdk::Resource;
    ///
    /// #[derive(Deserialize)]
    /// #[serde(rename_all = "camelCase")]
    /// struct ConfigMap {
    ///     api_version: String,
    ///     data: std::collections::BTreeMap<String, String>,
    /// }
    ///
    /// let cm = Resource::from_value(json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}})).unwrap();
    /// let typed: ConfigMap = cm.to_typed().unwrap();
    /// assert_eq!(typed.api_version, "v1");
    /// assert_eq!(typed.data["a"], "b");
    /// ```
    pub fn to_typed<T: DeserializeOwned>(&self) -> Result<T, ReadError> {
        self.to_typed_as(&self.describe())
    }

    /// The value at the field path `path` of the body read into `T`.
    ///
    /// # Errors
    /// [`ReadError`] when nothing is at `path` ([`ReadError::is_missing`]) or the value there
    /// does not fit `T`; the message names the resource and the full field path.
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::Resource;
    ///
    /// let db = Resource::from_value(json!({"kind": "Instance", "metadata": {"name": "db"},
    ///     "spec": {"forProvider": {"storageGB": "lots"}}})).unwrap();
    /// assert_eq!(
    ///     db.get_as::<u32>("spec.forProvider.storageGB").unwrap_err().to_string(),
    ///     r#"Instance "db" spec.forProvider.storageGB: invalid type: string "lots", expected u32"#
    /// );
    /// assert_eq!(
    ///     db.get_as::<u32>("spec.forProvider.size").unwrap_err().to_string(),
    ///     r#"Instance "db" has no spec.forProvider.size"#
    /// );
    /// ```
    pub fn get_as<T: DeserializeOwned>(&self, path: &str) -> Result<T, ReadError> {
        read_path(&self.describe(), &self.resource, path)
    }

    /// `spec` read into `T`. A resource without `spec` reads as if it had `spec: {}`, so a `T`
    /// whose fields all have defaults (`#[serde(default)]`) reads without one.
    ///
    /// # Errors
    /// [`ReadError`] naming the resource and the field path of `spec` that does not fit `T`,
    /// e.g. `XBucket "photos" spec: missing field `region``.
    ///
    /// # Examples
    /// ```
    /// use serde::Deserialize;
    /// use serde_json::json;
    /// use xfn_sdk::Resource;
    ///
    /// #[derive(Debug, Deserialize)]
    /// struct Spec {
    ///     replicas: u32,
    /// }
    ///
    /// let deploy = Resource::from_value(json!({"kind": "Deployment", "spec": {"replicas": 3}})).unwrap();
    /// assert_eq!(deploy.spec_as::<Spec>().unwrap().replicas, 3);
    /// assert_eq!(
    ///     Resource::default().spec_as::<Spec>().unwrap_err().to_string(),
    ///     "resource spec: missing field `replicas`"
    /// );
    /// ```
    pub fn spec_as<T: DeserializeOwned>(&self) -> Result<T, ReadError> {
        self.object_as(&self.describe(), "spec")
    }

    /// `status` read into `T`. An observed resource Crossplane has not reconciled yet often has
    /// no `status`; it reads as `status: {}`, so a `T` whose fields all have defaults (or are
    /// `Option`s) reads without one.
    ///
    /// # Errors
    /// [`ReadError`] naming the resource and the field path of `status` that does not fit `T`.
    ///
    /// # Examples
    /// ```
    /// use serde::Deserialize;
    /// use serde_json::json;
    /// use xfn_sdk::Resource;
    ///
    /// #[derive(Debug, Deserialize)]
    /// struct Status {
    ///     endpoint: Option<String>,
    /// }
    ///
    /// let db = Resource::from_value(json!({"kind": "DB", "status": {"endpoint": "db.local"}})).unwrap();
    /// assert_eq!(db.status_as::<Status>().unwrap().endpoint.as_deref(), Some("db.local"));
    /// assert_eq!(Resource::default().status_as::<Status>().unwrap().endpoint, None);
    /// ```
    pub fn status_as<T: DeserializeOwned>(&self) -> Result<T, ReadError> {
        self.object_as(&self.describe(), "status")
    }

    /// The condition of type `type_` in `status.conditions`, as the object Kubernetes writes
    /// (`type`, `status`, `reason`, `message`, `lastTransitionTime`).
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::Resource;
    ///
    /// let db = Resource::from_value(json!({"status": {"conditions": [
    ///     {"type": "Ready", "status": "False", "reason": "Creating"}]}})).unwrap();
    /// assert_eq!(db.condition("Ready").unwrap()["reason"], "Creating");
    /// assert_eq!(db.condition("Synced"), None);
    /// ```
    pub fn condition(&self, type_: &str) -> Option<&serde_json::Map<String, Value>> {
        self.resource
            .get("status")?
            .get("conditions")?
            .as_array()?
            .iter()
            .filter_map(Value::as_object)
            .find(|condition| condition.get("type").and_then(Value::as_str) == Some(type_))
    }

    /// The status of the condition `type_`: `"True"`, `"False"` and `"Unknown"` read as
    /// [`Status::True`], [`Status::False`] and [`Status::Unknown`]; `None` when the resource has
    /// no such condition or its status is something else.
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::{Ready, Resource, Status};
    ///
    /// let db = Resource::from_value(json!({"status": {"conditions": [
    ///     {"type": "Ready", "status": "True"}]}})).unwrap();
    /// let ready = if db.condition_status("Ready") == Some(Status::True) { Ready::True } else { Ready::False };
    /// assert_eq!(ready, Ready::True);
    /// ```
    pub fn condition_status(&self, type_: &str) -> Option<Status> {
        match self.condition(type_)?.get("status")?.as_str()? {
            "True" => Some(Status::True),
            "False" => Some(Status::False),
            "Unknown" => Some(Status::Unknown),
            _ => None,
        }
    }

    /// [`Resource::to_typed`] with `what` naming the resource in errors.
    pub(crate) fn to_typed_as<T: DeserializeOwned>(&self, what: &str) -> Result<T, ReadError> {
        read_value(what, "", &Value::Object((*self.resource).clone()))
    }

    /// The object under `key` (`spec`, `status`) read into `T`, a missing one as `{}`; `what`
    /// names the resource in errors.
    pub(crate) fn object_as<T: DeserializeOwned>(
        &self,
        what: &str,
        key: &str,
    ) -> Result<T, ReadError> {
        read_object_or_empty(what, &self.resource, key)
    }

    /// How errors name this resource: `Bucket "name"`, `Bucket`, or `resource`.
    pub(crate) fn describe(&self) -> String {
        match (self.kind(), self.name()) {
            (Some(kind), Some(name)) => format!("{kind} {name:?}"),
            (Some(kind), None) => kind.to_owned(),
            (None, Some(name)) => format!("resource {name:?}"),
            (None, None) => "resource".to_owned(),
        }
    }

    /// `apiVersion`, if it is a string.
    ///
    /// # Examples
    /// ```
    /// let resource = xfn_sdk::Resource::from_value(serde_json::json!({"apiVersion": "v1"})).unwrap();
    /// assert_eq!(resource.api_version(), Some("v1"));
    /// assert_eq!(xfn_sdk::Resource::default().api_version(), None);
    /// ```
    pub fn api_version(&self) -> Option<&str> {
        self.resource.get("apiVersion")?.as_str()
    }

    /// `kind`, if it is a string.
    ///
    /// # Examples
    /// ```
    /// let resource = xfn_sdk::Resource::from_value(serde_json::json!({"kind": "ConfigMap"})).unwrap();
    /// assert_eq!(resource.kind(), Some("ConfigMap"));
    /// assert_eq!(xfn_sdk::Resource::default().kind(), None);
    /// ```
    pub fn kind(&self) -> Option<&str> {
        self.resource.get("kind")?.as_str()
    }

    /// `metadata.name`, if it is a string.
    ///
    /// # Examples
    /// ```
    /// let resource = xfn_sdk::Resource::from_value(serde_json::json!({"metadata": {"name": "cm"}})).unwrap();
    /// assert_eq!(resource.name(), Some("cm"));
    /// assert_eq!(xfn_sdk::Resource::default().name(), None);
    /// ```
    pub fn name(&self) -> Option<&str> {
        get_path_in(&self.resource, "metadata", "name")
    }

    /// `metadata.namespace`, if it is a string. Namespaced (Crossplane v2) XRs have one; their
    /// composed resources must live in the same namespace.
    ///
    /// # Examples
    /// ```
    /// let resource = xfn_sdk::Resource::from_value(serde_json::json!({"metadata": {"namespace": "team-a"}})).unwrap();
    /// assert_eq!(resource.namespace(), Some("team-a"));
    /// assert_eq!(xfn_sdk::Resource::default().namespace(), None);
    /// ```
    pub fn namespace(&self) -> Option<&str> {
        get_path_in(&self.resource, "metadata", "namespace")
    }

    /// The connection detail `key`, decoded from base64; `None` when there is no such key or its
    /// value is not base64 (the host always sends valid base64).
    ///
    /// # Examples
    /// ```
    /// let resource: xfn_sdk::Resource = serde_json::from_str(
    ///     r#"{"connectionDetails": {"password": "aHVudGVyMg=="}}"#).unwrap();
    /// assert_eq!(resource.connection_detail("password").unwrap(), b"hunter2");
    /// assert_eq!(resource.connection_detail("user"), None);
    /// ```
    pub fn connection_detail(&self, key: &str) -> Option<Vec<u8>> {
        base64::decode(self.connection_details.get(key)?).ok()
    }

    /// Sets the connection detail `key` to `value`, encoding it as base64.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::Resource;
    ///
    /// let mut xr = Resource::default();
    /// xr.set_connection_detail("password", b"hunter2");
    /// assert_eq!(xr.connection_details["password"], "aHVudGVyMg==");
    /// assert_eq!(xr.connection_detail("password").unwrap(), b"hunter2");
    /// ```
    pub fn set_connection_detail(&mut self, key: impl Into<String>, value: &[u8]) {
        self.connection_details
            .insert(key.into(), base64::encode(value));
    }
}

message_fields!(Resource, "a Resource", {
    "resource" => resource,
    "connectionDetails" | "connection_details" => connection_details,
    "ready" => ready,
});

/// Observed or desired state (`State`): the composite resource and the composed resources by
/// name.
///
/// The names are the composition resource names (the `crossplane.io/composition-resource-name`
/// annotation), not `metadata.name`. Composed resources are kept sorted by name, so output is
/// deterministic.
///
/// # Examples
/// ```
/// let state: xfn_sdk::State = serde_json::from_str(
///     r#"{"composite": {"resource": {"kind": "XR"}}, "resources": {"b": {}, "a": {}}}"#).unwrap();
/// assert_eq!(state.composite.unwrap().kind(), Some("XR"));
/// assert_eq!(state.resources.keys().collect::<Vec<_>>(), ["a", "b"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct State {
    /// The composite resource (XR). Absent from the desired state the first step sees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub composite: Option<Resource>,
    /// Composed resources by composition resource name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub resources: BTreeMap<String, Resource>,
    /// Fields this SDK does not know, kept so that a state passed through loses nothing.
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

impl State {
    /// Whether the state has no composite, no composed resources and no unknown fields.
    ///
    /// # Examples
    /// ```
    /// assert!(xfn_sdk::State::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.composite.is_none() && self.resources.is_empty() && self.unknown_fields.is_empty()
    }
}

message_fields!(State, "a State", {
    "composite" => composite,
    "resources" => resources,
});

fn is_empty_body(body: &Lazy<Map<String, Value>>) -> bool {
    match body.raw_json() {
        Some(text) => text == "{}" || text == "null",
        None => body.is_empty(),
    }
}

fn is_unspecified(ready: &Ready) -> bool {
    *ready == Ready::Unspecified
}

fn get_path_in<'a>(object: &'a Map<String, Value>, outer: &str, inner: &str) -> Option<&'a str> {
    object.get(outer)?.get(inner)?.as_str()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn resource_reads_camel_and_snake_case_and_keeps_unknown_fields() {
        let resource: Resource = serde_json::from_value(json!({
            "resource": {"kind": "Bucket"},
            "connection_details": {"user": "YWRtaW4="},
            "ready": "READY_TRUE",
            "futureField": {"x": 1},
        }))
        .unwrap();
        assert_eq!(resource.kind(), Some("Bucket"));
        assert_eq!(resource.connection_detail("user").unwrap(), b"admin");
        assert_eq!(resource.ready, Ready::True);
        assert_eq!(
            serde_json::to_value(&resource).unwrap(),
            json!({
                "resource": {"kind": "Bucket"},
                "connectionDetails": {"user": "YWRtaW4="},
                "ready": "READY_TRUE",
                "futureField": {"x": 1},
            })
        );
    }

    #[test]
    fn null_fields_read_as_defaults() {
        let state: State = serde_json::from_value(json!({
            "composite": null,
            "resources": {"a": {"resource": null, "ready": null, "connectionDetails": null}},
        }))
        .unwrap();
        assert_eq!(state.composite, None);
        assert_eq!(state.resources["a"], Resource::default());
    }

    #[test]
    fn empty_fields_are_omitted() {
        assert_eq!(serde_json::to_string(&Resource::default()).unwrap(), "{}");
        assert_eq!(serde_json::to_string(&State::default()).unwrap(), "{}");
    }

    #[test]
    fn state_keeps_unknown_fields() {
        let input = json!({"composite": {"resource": {"kind": "XR"}}, "somethingNew": [1, 2]});
        let state: State = serde_json::from_value(input.clone()).unwrap();
        assert_eq!(serde_json::to_value(&state).unwrap(), input);
    }

    #[test]
    fn from_value_rejects_non_objects() {
        let error = Resource::from_value(json!(["a"])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "a resource must be a JSON object with apiVersion and kind, got an array"
        );
    }

    #[test]
    fn metadata_accessors() {
        let resource = Resource::from_value(json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cm", "namespace": "team-a"},
        }))
        .unwrap();
        assert_eq!(resource.api_version(), Some("v1"));
        assert_eq!(resource.name(), Some("cm"));
        assert_eq!(resource.namespace(), Some("team-a"));
        assert_eq!(Resource::default().namespace(), None);
    }

    #[test]
    fn set_path_on_the_body() {
        let mut resource = Resource::default();
        resource
            .set_path("metadata.labels[app.kubernetes.io/name]", json!("x"))
            .unwrap();
        assert_eq!(
            Value::Object((*resource.resource).clone()),
            json!({"metadata": {"labels": {"app.kubernetes.io/name": "x"}}})
        );
        let error = resource.set_path("[0]", json!(1)).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"cannot set "[0]": (root) is an object, not an array; remove or replace it first"#
        );
    }
}
