//! `RunFunctionRequest` and the messages only a request carries.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::de::{known_capabilities, message_fields, nullable};
use crate::read::{ReadError, read_value};
use crate::{Capability, Resource, State, base64};

/// What Crossplane sends a function (`RunFunctionRequest`), as the host hands it to a module.
///
/// `input` is the step's `config` from the `Module` input, not the `Module` input itself, so a
/// module sees exactly what a standalone Crossplane function would see.
///
/// # Examples
/// ```
/// use xfn_sdk::Request;
///
/// let req: Request = serde_json::from_str(r#"{
///     "meta": {"tag": "abc"},
///     "observed": {"composite": {"resource": {"kind": "XBucket", "spec": {"region": "eu"}}}},
///     "input": {"greeting": "Hi"}
/// }"#).unwrap();
/// assert_eq!(req.tag(), "abc");
/// let xr = req.observed_composite().unwrap();
/// assert_eq!(xr.get_str("spec.region"), Some("eu"));
/// assert_eq!(req.input().unwrap()["greeting"], "Hi");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// The tag and the caller's capabilities.
    #[serde(skip_serializing_if = "RequestMeta::is_empty")]
    pub meta: RequestMeta,
    /// The observed state, as of the start of the pipeline; the same for every step.
    #[serde(skip_serializing_if = "State::is_empty")]
    pub observed: State,
    /// The desired state accumulated by earlier steps; empty for the first step.
    #[serde(skip_serializing_if = "State::is_empty")]
    pub desired: State,
    /// The step's configuration: the `config` of the `Module` input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Map<String, Value>>,
    /// Context shared by the steps of the pipeline, as earlier steps left it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Map<String, Value>>,
    /// Resources required through the deprecated `requirements.extraResources`
    /// (Crossplane before 2.0); [`Request::required_resources`] reads both maps.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_resources: BTreeMap<String, Resources>,
    /// Credentials by the name the pipeline step gives them.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub credentials: BTreeMap<String, Credentials>,
    /// Resources the step required, by requirement name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub required_resources: BTreeMap<String, Resources>,
    /// Schemas the step required, by requirement name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub required_schemas: BTreeMap<String, Schema>,
    /// Fields this SDK does not know yet.
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

impl Request {
    /// The request's tag; [`Response::from_request`](crate::Response::from_request) echoes it.
    ///
    /// # Examples
    /// ```
    /// let req: xfn_sdk::Request = serde_json::from_str(r#"{"meta": {"tag": "abc"}}"#).unwrap();
    /// assert_eq!(req.tag(), "abc");
    /// ```
    pub fn tag(&self) -> &str {
        &self.meta.tag
    }

    /// Whether the caller advertises `capability`.
    ///
    /// Callers older than Crossplane 2.2 advertise nothing. When this returns `false` for
    /// something other than [`Capability::Capabilities`], check
    /// `has_capability(Capability::Capabilities)` to tell "not supported" from "not told".
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::{Capability, Request};
    ///
    /// let req: Request = serde_json::from_str(r#"{"meta": {"capabilities": ["CAPABILITY_CAPABILITIES", "CAPABILITY_CONDITIONS"]}}"#).unwrap();
    /// assert!(req.has_capability(Capability::Conditions));
    /// assert!(!req.has_capability(Capability::RequiredSchemas));
    /// ```
    pub fn has_capability(&self, capability: Capability) -> bool {
        self.meta.capabilities.contains(&capability)
    }

    /// The observed composite resource (XR), if the request has one.
    ///
    /// Composition pipelines always send it; Operations do not.
    ///
    /// # Examples
    /// ```
    /// let req: xfn_sdk::Request = serde_json::from_str(r#"{"observed": {"composite": {"resource": {"kind": "XBucket"}}}}"#).unwrap();
    /// assert_eq!(req.observed_composite().unwrap().kind(), Some("XBucket"));
    /// ```
    pub fn observed_composite(&self) -> Option<&Resource> {
        self.observed.composite.as_ref()
    }

    /// The observed composite resource (XR) read into the author's type `T`.
    ///
    /// # Errors
    /// [`ReadError`] when the request has no observed XR, or naming the field path of the XR
    /// that does not fit `T`: `observed composite resource spec.size: invalid type: ...`.
    ///
    /// # Examples
    /// ```
    /// use serde::Deserialize;
    /// use xfn_sdk::Request;
    ///
    /// #[derive(Deserialize)]
    /// struct XBucket {
    ///     spec: BucketSpec,
    /// }
    /// #[derive(Deserialize)]
    /// struct BucketSpec {
    ///     region: String,
    /// }
    ///
    /// let req: Request = serde_json::from_str(r#"{"observed": {"composite": {"resource":
    ///     {"kind": "XBucket", "spec": {"region": "eu-west-1"}}}}}"#).unwrap();
    /// let xr: XBucket = req.observed_composite_as().unwrap();
    /// assert_eq!(xr.spec.region, "eu-west-1");
    /// ```
    pub fn observed_composite_as<T: DeserializeOwned>(&self) -> Result<T, ReadError> {
        const WHAT: &str = "observed composite resource";
        self.observed_composite()
            .ok_or_else(|| ReadError::missing(WHAT))?
            .to_typed_as(WHAT)
    }

    /// The observed XR's `spec` read into `T`, the usual way to read what the user asked for.
    ///
    /// An XR without `spec` reads as if it had `spec: {}`, so a `T` whose fields all have
    /// defaults (`#[serde(default)]`) reads from it; a required field is then missing.
    ///
    /// # Errors
    /// [`ReadError`] when there is no observed XR ([`ReadError::is_missing`]), or naming the
    /// field path that does not fit `T`.
    ///
    /// # Examples
    /// ```
    /// use serde::Deserialize;
    /// use xfn_sdk::{Request, Response};
    ///
    /// #[derive(Deserialize)]
    /// struct Spec {
    ///     size: u32,
    /// }
    ///
    /// fn compose(req: Request) -> Response {
    ///     let mut rsp = Response::from_request(&req);
    ///     match req.spec_as::<Spec>() {
    ///         Ok(spec) => { rsp.normal(format!("size {}", spec.size)); }
    ///         Err(error) => { rsp.fatal(format!("my-function: {error}; fix the XR")); }
    ///     }
    ///     rsp
    /// }
    ///
    /// let req: Request = serde_json::from_str(r#"{"observed": {"composite": {"resource": {"kind": "XR"}}}}"#).unwrap();
    /// assert_eq!(
    ///     compose(req).results[0].message,
    ///     "my-function: observed composite resource spec: missing field `size`; fix the XR"
    /// );
    /// ```
    pub fn spec_as<T: DeserializeOwned>(&self) -> Result<T, ReadError> {
        const WHAT: &str = "observed composite resource";
        self.observed_composite()
            .ok_or_else(|| ReadError::missing(WHAT))?
            .object_as(WHAT, "spec")
    }

    /// The observed composed resource `name` read into `T`.
    ///
    /// # Errors
    /// [`ReadError`] when there is no such observed resource (it has not been created yet) or
    /// naming the field path that does not fit `T`.
    ///
    /// # Examples
    /// ```
    /// use serde::Deserialize;
    /// use xfn_sdk::Request;
    ///
    /// #[derive(Debug, Deserialize)]
    /// struct Instance {
    ///     status: serde_json::Value,
    /// }
    ///
    /// let req = Request::default();
    /// assert_eq!(
    ///     req.observed_resource_as::<Instance>("db").unwrap_err().to_string(),
    ///     r#"the request has no observed resource "db""#
    /// );
    /// ```
    pub fn observed_resource_as<T: DeserializeOwned>(&self, name: &str) -> Result<T, ReadError> {
        let what = format!("observed resource {name:?}");
        self.observed_resource(name)
            .ok_or_else(|| ReadError::missing(what.clone()))?
            .to_typed_as(&what)
    }

    /// The desired composed resource `name`, as earlier steps left it, read into `T`.
    ///
    /// # Errors
    /// [`ReadError`] when no earlier step composed `name`, or naming the field path that does
    /// not fit `T`.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::Request;
    ///
    /// let req: Request = serde_json::from_str(r#"{"desired": {"resources": {"cm": {"resource":
    ///     {"kind": "ConfigMap", "data": {"a": "b"}}}}}}"#).unwrap();
    /// let body: serde_json::Value = req.desired_resource_as("cm").unwrap();
    /// assert_eq!(body["data"]["a"], "b");
    /// ```
    pub fn desired_resource_as<T: DeserializeOwned>(&self, name: &str) -> Result<T, ReadError> {
        let what = format!("desired resource {name:?}");
        self.desired_resource(name)
            .ok_or_else(|| ReadError::missing(what.clone()))?
            .to_typed_as(&what)
    }

    /// The context value `key` read into `T`, e.g. the environment under
    /// `apiextensions.crossplane.io/environment`.
    ///
    /// # Errors
    /// [`ReadError`] when the context has no `key`, or naming the field path that does not
    /// fit `T`.
    ///
    /// # Examples
    /// ```
    /// use std::collections::BTreeMap;
    /// use xfn_sdk::Request;
    ///
    /// let req: Request = serde_json::from_str(r#"{"context": {
    ///     "apiextensions.crossplane.io/environment": {"region": "eu-west-1"}}}"#).unwrap();
    /// let env: BTreeMap<String, String> =
    ///     req.context_as("apiextensions.crossplane.io/environment").unwrap();
    /// assert_eq!(env["region"], "eu-west-1");
    /// ```
    pub fn context_as<T: DeserializeOwned>(&self, key: &str) -> Result<T, ReadError> {
        let what = format!("context {key:?}");
        let value = self
            .context_value(key)
            .ok_or_else(|| ReadError::missing(what.clone()))?;
        read_value(&what, "", value)
    }

    /// The observed composed resources, by composition resource name.
    ///
    /// # Examples
    /// ```
    /// let req: xfn_sdk::Request = serde_json::from_str(r#"{"observed": {"resources": {"db": {"resource": {"kind": "DB"}}}}}"#).unwrap();
    /// assert_eq!(req.observed_resources().keys().collect::<Vec<_>>(), ["db"]);
    /// ```
    pub fn observed_resources(&self) -> &BTreeMap<String, Resource> {
        &self.observed.resources
    }

    /// The observed composed resource `name`.
    ///
    /// # Examples
    /// ```
    /// let req: xfn_sdk::Request = serde_json::from_str(r#"{"observed": {"resources": {"db": {"resource": {"kind": "DB"}}}}}"#).unwrap();
    /// assert_eq!(req.observed_resource("db").unwrap().kind(), Some("DB"));
    /// assert!(req.observed_resource("cache").is_none());
    /// ```
    pub fn observed_resource(&self, name: &str) -> Option<&Resource> {
        self.observed.resources.get(name)
    }

    /// The desired composite resource, as earlier steps left it.
    ///
    /// # Examples
    /// ```
    /// let req: xfn_sdk::Request = serde_json::from_str(r#"{"desired": {"composite": {"resource": {"status": {"phase": "x"}}}}}"#).unwrap();
    /// assert_eq!(req.desired_composite().unwrap().get_str("status.phase"), Some("x"));
    /// ```
    pub fn desired_composite(&self) -> Option<&Resource> {
        self.desired.composite.as_ref()
    }

    /// The desired composed resources, as earlier steps left them.
    ///
    /// # Examples
    /// ```
    /// let req: xfn_sdk::Request = serde_json::from_str(r#"{"desired": {"resources": {"a": {}, "b": {}}}}"#).unwrap();
    /// assert_eq!(req.desired_resources().len(), 2);
    /// ```
    pub fn desired_resources(&self) -> &BTreeMap<String, Resource> {
        &self.desired.resources
    }

    /// The desired composed resource `name`, as earlier steps left it.
    ///
    /// # Examples
    /// ```
    /// let req: xfn_sdk::Request = serde_json::from_str(r#"{"desired": {"resources": {"cm": {"resource": {"kind": "ConfigMap"}}}}}"#).unwrap();
    /// assert_eq!(req.desired_resource("cm").unwrap().kind(), Some("ConfigMap"));
    /// ```
    pub fn desired_resource(&self, name: &str) -> Option<&Resource> {
        self.desired.resources.get(name)
    }

    /// The step's configuration (the `Module` input's `config`), if it has one.
    ///
    /// # Examples
    /// ```
    /// let req: xfn_sdk::Request = serde_json::from_str(r#"{"input": {"greeting": "Hi"}}"#).unwrap();
    /// assert_eq!(req.input().unwrap()["greeting"], "Hi");
    /// ```
    pub fn input(&self) -> Option<&Map<String, Value>> {
        self.input.as_ref()
    }

    /// The step's configuration read into `T`; a missing `config` reads as `{}`, so a `T`
    /// whose fields all have defaults works without one.
    ///
    /// # Errors
    /// The [`serde_json::Error`] when the configuration does not fit `T`. Turn it into a fatal
    /// result that names the field, e.g. `"config: {error}"`.
    ///
    /// # Examples
    /// ```
    /// use serde::Deserialize;
    /// use xfn_sdk::Request;
    ///
    /// #[derive(Deserialize, Default)]
    /// #[serde(default)]
    /// struct Config {
    ///     greeting: Option<String>,
    /// }
    ///
    /// let req: Request = serde_json::from_str(r#"{"input": {"greeting": "Hi"}}"#).unwrap();
    /// let config: Config = req.input_as().unwrap();
    /// assert_eq!(config.greeting.as_deref(), Some("Hi"));
    /// let config: Config = Request::default().input_as().unwrap();
    /// assert_eq!(config.greeting, None);
    /// ```
    pub fn input_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(Value::Object(self.input.clone().unwrap_or_default()))
    }

    /// The context value `key`, as earlier steps left it.
    ///
    /// # Examples
    /// ```
    /// let req: xfn_sdk::Request = serde_json::from_str(r#"{"context": {"team": "a"}}"#).unwrap();
    /// assert_eq!(req.context_value("team"), Some(&serde_json::json!("a")));
    /// ```
    pub fn context_value(&self, key: &str) -> Option<&Value> {
        self.context.as_ref()?.get(key)
    }

    /// The resources fetched for the requirement `name`: from `requiredResources`, or from the
    /// deprecated `extraResources` that Crossplane before 2.0 fills.
    ///
    /// `None` means Crossplane has not fetched the requirement yet (return it in
    /// [`Response::requirements`](crate::Response::requirements) and wait for the next call);
    /// an empty slice means it fetched and found nothing.
    ///
    /// # Examples
    /// ```
    /// let req: xfn_sdk::Request = serde_json::from_str(r#"{"requiredResources": {"vpc": {"items": [{"resource": {"kind": "VPC"}}]}}}"#).unwrap();
    /// assert_eq!(req.required_resources("vpc").unwrap()[0].kind(), Some("VPC"));
    /// assert_eq!(req.required_resources("subnets"), None);
    /// ```
    pub fn required_resources(&self, name: &str) -> Option<&[Resource]> {
        self.required_resources
            .get(name)
            .or_else(|| self.extra_resources.get(name))
            .map(|resources| resources.items.as_slice())
    }

    /// The OpenAPI v3 schema fetched for the schema requirement `name`; `None` when it has not
    /// been fetched or the kind has no schema.
    ///
    /// # Examples
    /// ```
    /// let req: xfn_sdk::Request = serde_json::from_str(r#"{"requiredSchemas": {"pod": {"openapiV3": {"type": "object"}}}}"#).unwrap();
    /// assert_eq!(req.required_schema("pod").unwrap()["type"], "object");
    /// ```
    pub fn required_schema(&self, name: &str) -> Option<&Map<String, Value>> {
        self.required_schemas.get(name)?.openapi_v3.as_ref()
    }

    /// The credential data `name`, each value base64 as sent.
    ///
    /// # Examples
    /// ```
    /// let req: xfn_sdk::Request = serde_json::from_str(r#"{"credentials": {"aws": {"credentialData": {"data": {"token": "czNjcmV0"}}}}}"#).unwrap();
    /// assert_eq!(req.credential("aws").unwrap()["token"], "czNjcmV0");
    /// ```
    pub fn credential(&self, name: &str) -> Option<&BTreeMap<String, String>> {
        Some(&self.credentials.get(name)?.credential_data.as_ref()?.data)
    }

    /// The value `key` of the credential `name`, decoded from base64.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::Request;
    ///
    /// let req: Request = serde_json::from_str(r#"{"credentials": {"aws": {
    ///     "credentialData": {"data": {"token": "czNjcmV0"}}}}}"#).unwrap();
    /// assert_eq!(req.credential_bytes("aws", "token").unwrap(), b"s3cret");
    /// ```
    pub fn credential_bytes(&self, name: &str, key: &str) -> Option<Vec<u8>> {
        base64::decode(self.credential(name)?.get(key)?).ok()
    }

    /// Turns the request into the response a function starts from, moving `desired` and
    /// `context` instead of copying them; see [`Response::from_request`](crate::Response::from_request).
    /// Read what you need from the request first.
    ///
    /// # Examples
    /// ```
    /// let req: xfn_sdk::Request = serde_json::from_str(r#"{"meta": {"tag": "t"}, "context": {"k": 1}}"#).unwrap();
    /// let region = req.observed_composite().and_then(|xr| xr.get_str("spec.region")).map(str::to_owned);
    /// let mut rsp = req.into_response();
    /// rsp.normal(format!("region {region:?}"));
    /// assert_eq!(rsp.meta.tag, "t");
    /// assert_eq!(rsp.context.unwrap()["k"], 1);
    /// ```
    pub fn into_response(self) -> crate::Response {
        crate::Response::start(self.meta.tag, self.desired, self.context)
    }
}

message_fields!(Request, "a RunFunctionRequest", {
    "meta" => meta,
    "observed" => observed,
    "desired" => desired,
    "input" => input,
    "context" => context,
    "extraResources" | "extra_resources" => extra_resources,
    "credentials" => credentials,
    "requiredResources" | "required_resources" => required_resources,
    "requiredSchemas" | "required_schemas" => required_schemas,
});

/// Request metadata (`RequestMeta`).
///
/// # Examples
/// ```
/// let req: xfn_sdk::Request = serde_json::from_str(r#"{"meta": {"tag": "t", "capabilities": ["CAPABILITY_CREDENTIALS"]}}"#).unwrap();
/// assert_eq!(req.meta.tag, "t");
/// assert_eq!(req.meta.capabilities, [xfn_sdk::Capability::Credentials]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestMeta {
    /// An opaque tag identifying the request; echo it in the response and never depend on its
    /// value. Empty before Crossplane 1.20.
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub tag: String,
    /// What the caller supports (Crossplane 2.2 and later). Values this SDK does not know are
    /// dropped when reading.
    #[serde(
        deserialize_with = "known_capabilities",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub capabilities: Vec<Capability>,
}

impl RequestMeta {
    fn is_empty(&self) -> bool {
        self.tag.is_empty() && self.capabilities.is_empty()
    }
}

/// A list of resources fetched for one requirement (`Resources`).
///
/// # Examples
/// ```
/// let req: xfn_sdk::Request = serde_json::from_str(r#"{"requiredResources": {"vpc": {"items": [{"resource": {"kind": "VPC"}}]}}}"#).unwrap();
/// assert_eq!(req.required_resources["vpc"].items.len(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Resources {
    /// The resources; empty when none matched.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Resource>,
}

/// Credentials a step receives (`Credentials`); today only Secret data.
///
/// # Examples
/// ```
/// let req: xfn_sdk::Request = serde_json::from_str(r#"{"credentials": {"aws": {"credentialData": {"data": {"k": "dg=="}}}}}"#).unwrap();
/// assert!(req.credentials["aws"].credential_data.is_some());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Credentials {
    /// The Secret's data.
    #[serde(alias = "credential_data", skip_serializing_if = "Option::is_none")]
    pub credential_data: Option<CredentialData>,
}

/// Secret data (`CredentialData`).
///
/// # Examples
/// ```
/// let req: xfn_sdk::Request = serde_json::from_str(r#"{"credentials": {"aws": {"credentialData": {"data": {"k": "dg=="}}}}}"#).unwrap();
/// let data = &req.credentials["aws"].credential_data.as_ref().unwrap().data;
/// assert_eq!(xfn_sdk::base64::decode(&data["k"]).unwrap(), b"v");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CredentialData {
    /// Each key's value, base64 as in protojson; decode with
    /// [`Request::credential_bytes`] or [`base64::decode`].
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub data: BTreeMap<String, String>,
}

/// A schema fetched for a schema requirement (`Schema`).
///
/// # Examples
/// ```
/// let req: xfn_sdk::Request = serde_json::from_str(r#"{"requiredSchemas": {"pod": {"openapiV3": {"type": "object"}}}}"#).unwrap();
/// assert!(req.required_schemas["pod"].openapi_v3.is_some());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Schema {
    /// The kind's OpenAPI v3 schema; `None` when the kind was not found.
    #[serde(alias = "openapi_v3", skip_serializing_if = "Option::is_none")]
    pub openapi_v3: Option<Map<String, Value>>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Ready;

    fn sample() -> Value {
        json!({
            "meta": {"tag": "t1", "capabilities": ["CAPABILITY_CAPABILITIES", "CAPABILITY_TELEPATHY", 4]},
            "observed": {
                "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR"}},
                "resources": {"db": {"resource": {"kind": "DB"}, "ready": "READY_TRUE"}},
            },
            "desired": {"resources": {"cm": {"resource": {"kind": "ConfigMap"}}}},
            "input": {"x": 1},
            "context": {"k": "v"},
            "extraResources": {"old": {"items": [{"resource": {"kind": "A"}}]}},
            "requiredResources": {"new": {"items": []}},
            "requiredSchemas": {"s": {"openapiV3": {"type": "object"}}},
            "credentials": {"c": {"credentialData": {"data": {"k": "dg=="}}}},
            "somethingNew": true,
        })
    }

    #[test]
    fn reads_every_field() {
        let req: Request = serde_json::from_value(sample()).unwrap();
        assert_eq!(req.tag(), "t1");
        assert!(req.has_capability(Capability::Capabilities));
        assert!(req.has_capability(Capability::Conditions));
        assert!(!req.has_capability(Capability::Credentials));
        assert_eq!(req.observed_composite().unwrap().kind(), Some("XR"));
        assert_eq!(req.observed_resource("db").unwrap().ready, Ready::True);
        assert_eq!(
            req.desired_resource("cm").unwrap().kind(),
            Some("ConfigMap")
        );
        assert_eq!(req.desired_composite(), None);
        assert_eq!(req.input().unwrap()["x"], 1);
        assert_eq!(req.context_value("k"), Some(&json!("v")));
        assert_eq!(req.required_resources("old").unwrap().len(), 1);
        assert_eq!(req.required_resources("new").unwrap().len(), 0);
        assert_eq!(req.required_resources("missing"), None);
        assert_eq!(req.required_schema("s").unwrap()["type"], "object");
        assert_eq!(req.credential_bytes("c", "k").unwrap(), b"v");
        assert_eq!(req.unknown_fields["somethingNew"], true);
    }

    #[test]
    fn round_trips_except_unknown_capabilities_and_defaults() {
        let req: Request = serde_json::from_value(sample()).unwrap();
        let mut expected = sample();
        expected["meta"]["capabilities"] =
            json!(["CAPABILITY_CAPABILITIES", "CAPABILITY_CONDITIONS"]);
        // An empty list is protojson's default, so it is omitted.
        expected["requiredResources"]["new"] = json!({});
        assert_eq!(serde_json::to_value(&req).unwrap(), expected);
    }

    #[test]
    fn reads_snake_case_names_and_nulls() {
        let req: Request = serde_json::from_value(json!({
            "meta": null,
            "observed": null,
            "required_resources": {"r": {"items": null}},
            "extra_resources": null,
            "required_schemas": {"s": {"openapi_v3": null}},
        }))
        .unwrap();
        assert_eq!(req.required_resources("r"), Some(&[][..]));
        assert_eq!(req.required_schema("s"), None);
    }

    #[test]
    fn a_request_that_is_not_an_object_is_an_error() {
        let error = serde_json::from_str::<Request>("[1]").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid type: sequence, expected a RunFunctionRequest at line 1 column 0"
        );
    }

    #[test]
    fn spec_as_reads_a_missing_spec_as_empty() {
        #[derive(Debug, Default, Deserialize, PartialEq)]
        #[serde(default)]
        struct Spec {
            region: Option<String>,
            versioning: bool,
        }
        let req: Request = serde_json::from_value(
            json!({"observed": {"composite": {"resource": {"kind": "XR"}}}}),
        )
        .unwrap();
        assert_eq!(req.spec_as::<Spec>().unwrap(), Spec::default());
        let error = Request::default().spec_as::<Spec>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "the request has no observed composite resource"
        );
        assert!(error.is_missing());
    }

    #[test]
    fn input_as_reports_the_mismatch() {
        #[derive(Debug, Deserialize)]
        #[expect(dead_code, reason = "only the error is checked")]
        struct Config {
            count: u32,
        }
        let req: Request = serde_json::from_value(json!({"input": {"count": "three"}})).unwrap();
        let error = req.input_as::<Config>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid type: string \"three\", expected u32"
        );
    }
}
