//! `RunFunctionResponse`, results and conditions, with the helpers that build them.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::de::{message_fields, nullable};
use crate::{
    Lazy, NotAnObject, Ready, Request, Requirements, Resource, ResourceSelector, SchemaSelector,
    Severity, State, Status, Target, duration,
};

/// What a function returns (`RunFunctionResponse`).
///
/// Crossplane replaces its desired state and context with the response's, so a response built
/// from scratch would delete every resource earlier steps composed. Always start from
/// [`Response::from_request`] (or [`Request::into_response`]) rather than from an empty
/// response.
///
/// # Examples
/// ```
/// use serde_json::json;
/// use xfn_sdk::{Ready, Request, Response};
///
/// let req: Request = serde_json::from_str(r#"{"meta": {"tag": "t"}}"#).unwrap();
/// let mut rsp = Response::from_request(&req);
/// rsp.set_desired_resource("cm", json!({"apiVersion": "v1", "kind": "ConfigMap"}))
///     .unwrap()
///     .ready = Ready::True;
/// rsp.normal("composed a ConfigMap");
/// let json = serde_json::to_value(&rsp).unwrap();
/// assert_eq!(json["meta"]["tag"], "t");
/// assert_eq!(json["desired"]["resources"]["cm"]["ready"], "READY_TRUE");
/// assert_eq!(json["results"][0]["severity"], "SEVERITY_NORMAL");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Response {
    /// The echoed tag and the time to live.
    #[serde(skip_serializing_if = "ResponseMeta::is_empty")]
    pub meta: ResponseMeta,
    /// The desired state after this step. `None` tells the host to return the request's desired
    /// state unchanged; `Some` replaces it, so `Some(State::default())` deletes everything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<State>,
    /// Results: events on the XR, or a fatal error that stops the pipeline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<FunctionResult>,
    /// The context for later steps. `None` tells the host to pass the request's on unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Map<String, Value>>,
    /// Resources and schemas the function needs; Crossplane fetches them and calls again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirements: Option<Requirements>,
    /// Conditions to set on the XR (and its claim).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Output of an Operation step; composition pipelines discard it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Map<String, Value>>,
    /// Fields this SDK does not know yet; written out as they are.
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

impl Response {
    /// The response a function starts from: `req`'s tag echoed, its desired state and context
    /// copied, no results.
    ///
    /// Always start from this function rather than an empty response: Crossplane replaces its
    /// desired state with the response's, and a function must pass through the resources it has
    /// no opinion on. [`Request::into_response`] does the same without copying.
    ///
    /// `meta.ttl` stays unset, so the host applies the step's `ttl` (60s by default).
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::{Request, Response};
    ///
    /// let req: Request = serde_json::from_str(r#"{"meta": {"tag": "t"}, "desired": {"resources": {"a": {}}}}"#).unwrap();
    /// let rsp = Response::from_request(&req);
    /// assert_eq!(rsp.meta.tag, "t");
    /// assert_eq!(rsp.desired.unwrap().resources.len(), 1);
    /// ```
    pub fn from_request(req: &Request) -> Response {
        Response::start(
            req.meta.tag.clone(),
            req.desired.clone(),
            req.context.clone(),
        )
    }

    /// A response echoing `tag` with `desired` and `context`, no results.
    pub(crate) fn start(
        tag: String,
        desired: State,
        context: Option<Map<String, Value>>,
    ) -> Response {
        Response {
            meta: ResponseMeta { tag, ttl: None },
            desired: Some(desired),
            context,
            ..Response::default()
        }
    }

    /// Adds a result of `severity` with `message` and returns it, so that `reason` or `target`
    /// can be set.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::{Response, Severity};
    ///
    /// let mut rsp = Response::default();
    /// rsp.push_result(Severity::Warning, "bucket is public").with_reason("PublicBucket");
    /// assert_eq!(rsp.results[0].severity, Severity::Warning);
    /// ```
    pub fn push_result(
        &mut self,
        severity: Severity,
        message: impl Into<String>,
    ) -> &mut FunctionResult {
        self.results.push(FunctionResult {
            severity,
            message: message.into(),
            reason: None,
            target: None,
        });
        self.results.last_mut().expect("a result was just pushed")
    }

    /// Adds a fatal result: Crossplane stops the pipeline, reports `message` on the XR and marks
    /// it not synced. Keep the desired state as it came so that nothing is deleted.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::{Request, Response, Severity};
    ///
    /// let mut rsp = Response::from_request(&Request::default());
    /// rsp.fatal("my-function: spec.size is missing; set spec.size").reason = Some("MissingSize".into());
    /// assert_eq!(rsp.results[0].severity, Severity::Fatal);
    /// assert!(rsp.has_fatal());
    /// ```
    pub fn fatal(&mut self, message: impl Into<String>) -> &mut FunctionResult {
        self.push_result(Severity::Fatal, message)
    }

    /// Adds a warning result: a Warning event on the XR; the pipeline goes on.
    ///
    /// # Examples
    /// ```
    /// let mut rsp = xfn_sdk::Response::default();
    /// rsp.warning("3 resources are not ready");
    /// assert_eq!(rsp.results[0].severity, xfn_sdk::Severity::Warning);
    /// ```
    pub fn warning(&mut self, message: impl Into<String>) -> &mut FunctionResult {
        self.push_result(Severity::Warning, message)
    }

    /// Adds a normal result: a Normal event on the XR. Emit it when something changes, not on
    /// every call.
    ///
    /// # Examples
    /// ```
    /// let mut rsp = xfn_sdk::Response::default();
    /// rsp.normal("composed a bucket");
    /// assert_eq!(rsp.results[0].message, "composed a bucket");
    /// ```
    pub fn normal(&mut self, message: impl Into<String>) -> &mut FunctionResult {
        self.push_result(Severity::Normal, message)
    }

    /// Whether a fatal result has been added.
    ///
    /// # Examples
    /// ```
    /// let mut rsp = xfn_sdk::Response::default();
    /// rsp.warning("careful");
    /// assert!(!rsp.has_fatal());
    /// rsp.fatal("broken");
    /// assert!(rsp.has_fatal());
    /// ```
    pub fn has_fatal(&self) -> bool {
        self.results.iter().any(|r| r.severity == Severity::Fatal)
    }

    /// The desired state, created empty if the response has none.
    ///
    /// # Examples
    /// ```
    /// let mut rsp = xfn_sdk::Response::default();
    /// assert!(rsp.desired_mut().resources.is_empty());
    /// assert!(rsp.desired.is_some());
    /// ```
    pub fn desired_mut(&mut self) -> &mut State {
        self.desired.get_or_insert_with(State::default)
    }

    /// Sets the body of the desired composed resource `name` to `body` and returns the resource.
    ///
    /// An existing resource keeps its `ready` and connection details; a new one starts with
    /// readiness unspecified. Don't set `metadata.name`: Crossplane generates it.
    ///
    /// # Errors
    /// [`NotAnObject`] when `body` is not a JSON object; the response is unchanged.
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::{Ready, Response};
    ///
    /// let mut rsp = Response::default();
    /// let cm = rsp.set_desired_resource("cm", json!({"apiVersion": "v1", "kind": "ConfigMap"})).unwrap();
    /// cm.ready = Ready::True;
    /// assert!(rsp.set_desired_resource("bad", json!("text")).is_err());
    /// ```
    pub fn set_desired_resource(
        &mut self,
        name: impl Into<String>,
        body: Value,
    ) -> Result<&mut Resource, NotAnObject> {
        let Resource { resource, .. } = Resource::from_value(body)?;
        Ok(self.set_desired_body(name.into(), resource))
    }

    /// Sets the body of the desired composed resource `name`, keeping the readiness and
    /// connection details of an existing one.
    pub(crate) fn set_desired_body(
        &mut self,
        name: String,
        body: Lazy<Map<String, Value>>,
    ) -> &mut Resource {
        let entry = self.desired_mut().resources.entry(name).or_default();
        entry.resource = body;
        entry
    }

    /// The desired composed resource `name`, if there is one.
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::Response;
    ///
    /// let mut rsp = Response::default();
    /// rsp.set_desired_resource("cm", json!({"kind": "ConfigMap"})).unwrap();
    /// rsp.desired_resource_mut("cm").unwrap().set_path("data.a", json!("b")).unwrap();
    /// assert!(rsp.desired_resource_mut("other").is_none());
    /// ```
    pub fn desired_resource_mut(&mut self, name: &str) -> Option<&mut Resource> {
        self.desired.as_mut()?.resources.get_mut(name)
    }

    /// Removes the desired composed resource `name`; Crossplane then deletes it. Returns it.
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::Response;
    ///
    /// let mut rsp = Response::default();
    /// rsp.set_desired_resource("cm", json!({"kind": "ConfigMap"})).unwrap();
    /// assert_eq!(rsp.remove_desired_resource("cm").unwrap().kind(), Some("ConfigMap"));
    /// assert!(rsp.desired.unwrap().resources.is_empty());
    /// ```
    pub fn remove_desired_resource(&mut self, name: &str) -> Option<Resource> {
        self.desired.as_mut()?.resources.remove(name)
    }

    /// The desired composite resource, created empty if there is none.
    ///
    /// Set only its `status` (and `ready`): Crossplane ignores the rest of a desired XR.
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    ///
    /// let mut rsp = xfn_sdk::Response::default();
    /// rsp.desired_composite_mut().set_path("status.endpoint", json!("db.local")).unwrap();
    /// assert_eq!(rsp.desired.unwrap().composite.unwrap().get_str("status.endpoint"), Some("db.local"));
    /// ```
    pub fn desired_composite_mut(&mut self) -> &mut Resource {
        self.desired_mut()
            .composite
            .get_or_insert_with(Resource::default)
    }

    /// Marks the desired composed resource `name` as `ready`; returns `false` (and changes
    /// nothing) when there is no such resource.
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::{Ready, Response};
    ///
    /// let mut rsp = Response::default();
    /// rsp.set_desired_resource("cm", json!({"kind": "ConfigMap"})).unwrap();
    /// assert!(rsp.set_ready("cm", Ready::True));
    /// assert!(!rsp.set_ready("missing", Ready::True));
    /// ```
    pub fn set_ready(&mut self, name: &str, ready: Ready) -> bool {
        match self.desired_resource_mut(name) {
            Some(resource) => {
                resource.ready = ready;
                true
            }
            None => false,
        }
    }

    /// Sets the readiness of the desired composite resource (XR), overriding what Crossplane
    /// would compute from the composed resources. Leave it unset to let Crossplane decide.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::{Ready, Response};
    ///
    /// let mut rsp = Response::default();
    /// rsp.set_composite_ready(Ready::False);
    /// assert_eq!(rsp.desired.unwrap().composite.unwrap().ready, Ready::False);
    /// ```
    pub fn set_composite_ready(&mut self, ready: Ready) {
        self.desired_composite_mut().ready = ready;
    }

    /// Sets the condition `type_` to `status` with `reason`, replacing an earlier condition of
    /// the same type in this response, and returns it so that `message` or `target` can be set.
    ///
    /// Crossplane ignores its own types (`Ready`, `Synced`, `Healthy`, `UpToDate`, `Responsive`).
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::{Response, Status};
    ///
    /// let mut rsp = Response::default();
    /// rsp.set_condition("DatabaseReady", Status::False, "Creating").message =
    ///     Some("waiting for the instance".into());
    /// rsp.set_condition("DatabaseReady", Status::True, "Available");
    /// assert_eq!(rsp.conditions.len(), 1);
    /// assert_eq!(rsp.conditions[0].message, None);
    /// ```
    pub fn set_condition(
        &mut self,
        type_: impl Into<String>,
        status: Status,
        reason: impl Into<String>,
    ) -> &mut Condition {
        let condition = Condition {
            type_: type_.into(),
            status,
            reason: reason.into(),
            message: None,
            target: None,
        };
        let index = match self
            .conditions
            .iter()
            .position(|c| c.type_ == condition.type_)
        {
            Some(index) => {
                self.conditions[index] = condition;
                index
            }
            None => {
                self.conditions.push(condition);
                self.conditions.len() - 1
            }
        };
        &mut self.conditions[index]
    }

    /// Sets the context value `key` for later steps, creating the context if there is none.
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    ///
    /// let mut rsp = xfn_sdk::Response::default();
    /// rsp.set_context("example.org/region", json!("eu-west-1"));
    /// assert_eq!(rsp.context.unwrap()["example.org/region"], "eu-west-1");
    /// ```
    pub fn set_context(&mut self, key: impl Into<String>, value: Value) {
        self.context
            .get_or_insert_with(Map::new)
            .insert(key.into(), value);
    }

    /// Sets how long Crossplane may consider this response fresh; left unset, the host applies
    /// the step's `ttl` (60s by default).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut rsp = xfn_sdk::Response::default();
    /// rsp.set_ttl(Duration::from_secs(30));
    /// assert_eq!(serde_json::to_value(&rsp).unwrap()["meta"]["ttl"], "30s");
    /// ```
    pub fn set_ttl(&mut self, ttl: Duration) {
        self.meta.ttl = Some(ttl);
    }

    /// Requires the resources `selector` matches, under `name`; Crossplane fetches them into
    /// [`Request::required_resources`] and calls the function again.
    ///
    /// Return the same requirements on every call until they are satisfied: Crossplane calls
    /// again while they change, at most five times.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::{ResourceSelector, Response};
    ///
    /// let mut rsp = Response::default();
    /// rsp.require_resources("vpc", ResourceSelector::by_name("ec2.aws.upbound.io/v1beta1", "VPC", "main"));
    /// assert_eq!(rsp.requirements.unwrap().resources["vpc"].match_name.as_deref(), Some("main"));
    /// ```
    pub fn require_resources(&mut self, name: impl Into<String>, selector: ResourceSelector) {
        self.requirements
            .get_or_insert_with(Requirements::default)
            .resources
            .insert(name.into(), selector);
    }

    /// Requires the OpenAPI schema of the kind `selector` names, under `name`; Crossplane
    /// fetches it into [`Request::required_schema`] and calls the function again.
    ///
    /// As with [`Response::require_resources`], return the same requirements on every call.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::{Response, SchemaSelector};
    ///
    /// let mut rsp = Response::default();
    /// rsp.require_schema("bucket", SchemaSelector::new("s3.aws.upbound.io/v1beta1", "Bucket"));
    /// assert_eq!(rsp.requirements.unwrap().schemas["bucket"].kind, "Bucket");
    /// ```
    pub fn require_schema(&mut self, name: impl Into<String>, selector: SchemaSelector) {
        self.requirements
            .get_or_insert_with(Requirements::default)
            .schemas
            .insert(name.into(), selector);
    }
}

message_fields!(Response, "a RunFunctionResponse", {
    "meta" => meta,
    "desired" => desired,
    "results" => results,
    "context" => context,
    "requirements" => requirements,
    "conditions" => conditions,
    "output" => output,
});

/// Response metadata (`ResponseMeta`).
///
/// # Examples
/// ```
/// let rsp: xfn_sdk::Response = serde_json::from_str(r#"{"meta": {"tag": "t", "ttl": "1.500s"}}"#).unwrap();
/// assert_eq!(rsp.meta.ttl, Some(std::time::Duration::from_millis(1500)));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseMeta {
    /// The request's tag, echoed. The host echoes it whatever the module writes.
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub tag: String,
    /// How long the response stays fresh, written as protojson (`"60s"`). `None` lets the host
    /// apply the step's `ttl`.
    #[serde(with = "duration::option", skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Duration>,
}

impl ResponseMeta {
    fn is_empty(&self) -> bool {
        self.tag.is_empty() && self.ttl.is_none()
    }
}

/// One result of a step (the protocol's `Result` message; renamed so that it does not shadow
/// [`std::result::Result`]).
///
/// # Examples
/// ```
/// use xfn_sdk::{Response, Severity};
///
/// let mut rsp = Response::default();
/// rsp.fatal("spec.size is missing").with_reason("MissingSize");
/// assert_eq!(
///     serde_json::to_value(&rsp.results[0]).unwrap(),
///     serde_json::json!({"severity": "SEVERITY_FATAL", "message": "spec.size is missing", "reason": "MissingSize"})
/// );
/// assert_eq!(rsp.results[0].severity, Severity::Fatal);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FunctionResult {
    /// How severe it is; [`Severity::Fatal`] stops the pipeline.
    #[serde(deserialize_with = "nullable")]
    pub severity: Severity,
    /// What happened and what to do about it.
    #[serde(deserialize_with = "nullable")]
    pub message: String,
    /// A CamelCase reason for the event; Crossplane uses `ComposeResources` when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the event is about; unset means the XR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
}

impl FunctionResult {
    /// Sets the CamelCase `reason` of the event and returns the result, for chaining.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::{Response, Target};
    ///
    /// let mut rsp = Response::default();
    /// rsp.warning("bucket is public").with_reason("PublicBucket").with_target(Target::CompositeAndClaim);
    /// assert_eq!(rsp.results[0].reason.as_deref(), Some("PublicBucket"));
    /// assert_eq!(rsp.results[0].target, Some(Target::CompositeAndClaim));
    /// ```
    pub fn with_reason(&mut self, reason: impl Into<String>) -> &mut FunctionResult {
        self.reason = Some(reason.into());
        self
    }

    /// Sets what the event is about (the XR, or the XR and its claim) and returns the result.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::{Response, Target};
    ///
    /// let mut rsp = Response::default();
    /// rsp.normal("composed").with_target(Target::Composite);
    /// assert_eq!(rsp.results[0].target, Some(Target::Composite));
    /// ```
    pub fn with_target(&mut self, target: Target) -> &mut FunctionResult {
        self.target = Some(target);
        self
    }
}

/// A condition to set on the XR (`Condition`).
///
/// # Examples
/// ```
/// use xfn_sdk::{Response, Status};
///
/// let mut rsp = Response::default();
/// rsp.set_condition("DatabaseReady", Status::True, "Available");
/// assert_eq!(
///     serde_json::to_value(&rsp.conditions[0]).unwrap(),
///     serde_json::json!({"type": "DatabaseReady", "status": "STATUS_CONDITION_TRUE", "reason": "Available"})
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Condition {
    /// The condition type, e.g. `DatabaseReady`.
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub type_: String,
    /// Its status.
    #[serde(deserialize_with = "nullable")]
    pub status: Status,
    /// A CamelCase reason.
    #[serde(deserialize_with = "nullable")]
    pub reason: String,
    /// A human-readable message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the condition is about; unset means the XR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
}

impl Condition {
    /// Sets the human-readable `message` and returns the condition, for chaining.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::{Response, Status, Target};
    ///
    /// let mut rsp = Response::default();
    /// rsp.set_condition("DatabaseReady", Status::False, "Creating")
    ///     .with_message("waiting for the instance")
    ///     .with_target(Target::CompositeAndClaim);
    /// assert_eq!(rsp.conditions[0].message.as_deref(), Some("waiting for the instance"));
    /// ```
    pub fn with_message(&mut self, message: impl Into<String>) -> &mut Condition {
        self.message = Some(message.into());
        self
    }

    /// Sets what the condition is about (the XR, or the XR and its claim) and returns it.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::{Response, Status, Target};
    ///
    /// let mut rsp = Response::default();
    /// rsp.set_condition("Healthy", Status::True, "Fine").with_target(Target::Composite);
    /// assert_eq!(rsp.conditions[0].target, Some(Target::Composite));
    /// ```
    pub fn with_target(&mut self, target: Target) -> &mut Condition {
        self.target = Some(target);
        self
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request() -> Request {
        serde_json::from_value(json!({
            "meta": {"tag": "abc"},
            "observed": {"composite": {"resource": {"kind": "XR"}}},
            "desired": {
                "composite": {"resource": {"kind": "XR"}, "futureField": 1},
                "resources": {"keep": {"resource": {"kind": "Keep"}, "ready": "READY_TRUE"}},
                "futureStateField": "x",
            },
            "context": {"from": "earlier"},
            "input": {"ignored": true},
        }))
        .unwrap()
    }

    #[test]
    fn from_request_copies_tag_desired_and_context_and_nothing_else() {
        let rsp = Response::from_request(&request());
        assert_eq!(
            serde_json::to_value(&rsp).unwrap(),
            json!({
                "meta": {"tag": "abc"},
                "desired": {
                    "composite": {"resource": {"kind": "XR"}, "futureField": 1},
                    "resources": {"keep": {"resource": {"kind": "Keep"}, "ready": "READY_TRUE"}},
                    "futureStateField": "x",
                },
                "context": {"from": "earlier"},
            })
        );
        assert_eq!(request().into_response(), rsp);
    }

    #[test]
    fn from_an_empty_request_still_sets_desired() {
        let rsp = Response::from_request(&Request::default());
        assert_eq!(serde_json::to_string(&rsp).unwrap(), r#"{"desired":{}}"#);
    }

    #[test]
    fn adding_a_resource_keeps_the_others() {
        let mut rsp = Response::from_request(&request());
        rsp.set_desired_resource("new", json!({"kind": "New"}))
            .unwrap();
        assert!(rsp.set_ready("new", Ready::True));
        assert!(!rsp.set_ready("absent", Ready::True));
        let desired = rsp.desired.as_ref().unwrap();
        assert_eq!(desired.resources.len(), 2);
        assert_eq!(desired.resources["keep"].ready, Ready::True);
        assert_eq!(desired.resources["new"].ready, Ready::True);
        assert_eq!(desired.unknown_fields["futureStateField"], "x");
    }

    #[test]
    fn replacing_a_body_keeps_readiness() {
        let mut rsp = Response::from_request(&request());
        rsp.set_desired_resource("keep", json!({"kind": "Changed"}))
            .unwrap();
        let keep = rsp.desired_resource_mut("keep").unwrap();
        assert_eq!(keep.kind(), Some("Changed"));
        assert_eq!(keep.ready, Ready::True);
    }

    #[test]
    fn a_non_object_body_changes_nothing() {
        let mut rsp = Response::from_request(&request());
        let before = rsp.clone();
        assert_eq!(
            rsp.set_desired_resource("keep", json!(null)),
            Err(NotAnObject { found: "null" })
        );
        assert_eq!(rsp, before);
    }

    #[test]
    fn results_serialise_in_protojson() {
        let mut rsp = Response::default();
        rsp.fatal("boom").reason = Some("Broken".into());
        rsp.warning("careful").target = Some(Target::CompositeAndClaim);
        rsp.normal("fine");
        assert!(rsp.has_fatal());
        assert_eq!(
            serde_json::to_value(&rsp.results).unwrap(),
            json!([
                {"severity": "SEVERITY_FATAL", "message": "boom", "reason": "Broken"},
                {"severity": "SEVERITY_WARNING", "message": "careful", "target": "TARGET_COMPOSITE_AND_CLAIM"},
                {"severity": "SEVERITY_NORMAL", "message": "fine"},
            ])
        );
    }

    #[test]
    fn ttl_context_conditions_and_requirements() {
        let mut rsp = Response::default();
        rsp.set_ttl(Duration::from_secs(30));
        rsp.set_context("k", json!(1));
        rsp.set_condition("Ok", Status::True, "Fine").target = Some(Target::Composite);
        rsp.require_resources(
            "s",
            ResourceSelector::by_labels("v1", "Secret", [("a", "b")]).in_namespace("ns"),
        );
        rsp.desired_composite_mut()
            .set_path("status.x", json!(1))
            .unwrap();
        assert_eq!(
            serde_json::to_value(&rsp).unwrap(),
            json!({
                "meta": {"ttl": "30s"},
                "desired": {"composite": {"resource": {"status": {"x": 1}}}},
                "context": {"k": 1},
                "conditions": [{"type": "Ok", "status": "STATUS_CONDITION_TRUE", "reason": "Fine", "target": "TARGET_COMPOSITE"}],
                "requirements": {"resources": {"s": {
                    "apiVersion": "v1", "kind": "Secret", "matchLabels": {"labels": {"a": "b"}}, "namespace": "ns",
                }}},
            })
        );
    }

    #[test]
    fn a_response_round_trips() {
        let json = json!({
            "meta": {"tag": "t", "ttl": "1.500s"},
            "desired": {"resources": {"a": {"resource": {"kind": "A"}}}},
            "results": [{"severity": "SEVERITY_WARNING", "message": "m"}],
            "context": {},
            "requirements": {"schemas": {"s": {"apiVersion": "v1", "kind": "Pod"}}},
            "conditions": [{"type": "T", "status": "STATUS_CONDITION_UNKNOWN", "reason": "R", "message": "m"}],
            "output": {"o": 1},
            "future": 2,
        });
        let rsp: Response = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(rsp.meta.ttl, Some(Duration::from_millis(1500)));
        assert_eq!(serde_json::to_value(&rsp).unwrap(), json);
    }

    #[test]
    fn remove_desired_resource() {
        let mut rsp = Response::from_request(&request());
        assert_eq!(
            rsp.remove_desired_resource("keep").unwrap().kind(),
            Some("Keep")
        );
        assert_eq!(rsp.remove_desired_resource("keep"), None);
    }
}
