//! One call: the order of operations of upstream's `RunFunction`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use xfn_sdk::{Ready, Request, Resource, Response, State, Target};

use crate::connection;
use crate::error::Error;
use crate::gojson;
use crate::input::{self, ComposedTemplate, Patch, Resources, WriteConnectionSecretToRef};
use crate::patches::{self, Objects};
use crate::readiness;
use crate::validate;

/// The context key of the Composition environment.
pub const ENVIRONMENT_KEY: &str = "apiextensions.crossplane.io/environment";

/// Renders the input's resources: see the crate docs.
///
/// Failures are fatal results; the desired state and context then stay as the request had them.
/// Results target the composite, as upstream's. The response sets no `ttl`, so the host applies
/// the step's (60s by default, upstream's fixed value).
pub fn compose(mut req: Request) -> Response {
    // Upstream reads observed state from protobuf Structs: every number is a float64.
    let observed = &mut req.observed;
    for resource in observed
        .composite
        .iter_mut()
        .chain(observed.resources.values_mut())
    {
        float_numbers(&mut resource.resource);
    }
    let mut rsp = Response::from_request(&req);
    match render(&req) {
        Ok(rendered) => {
            for message in rendered.warnings {
                rsp.warning(message).target = Some(Target::Composite);
            }
            rsp.desired = Some(rendered.desired);
            rsp.set_context(ENVIRONMENT_KEY, Value::Object(rendered.environment));
        }
        Err(Failure {
            warnings,
            fatal,
            xr_connection,
        }) => {
            for message in warnings {
                rsp.warning(message).target = Some(Target::Composite);
            }
            rsp.fatal(fatal).target = Some(Target::Composite);
            // Upstream's desired XR writes its connection details into the request's own map
            // when the request has any (function-sdk-go's GetDesiredCompositeResource keeps it,
            // and response.To returns the request's desired state), so a failed call still
            // returns the details extracted before it failed.
            if let Some(composite) = rsp.desired.as_mut().and_then(|d| d.composite.as_mut())
                && !composite.connection_details.is_empty()
            {
                composite.connection_details = encode_details(&xr_connection);
            }
            // Upstream copies the request's desired state, which a first step does not have.
            if req.desired.is_empty() {
                rsp.desired = None;
            }
        }
    }
    rsp
}

/// What a successful call returns.
struct Rendered {
    desired: State,
    environment: Map<String, Value>,
    warnings: Vec<String>,
}

/// A fatal error, after the warnings emitted before it.
struct Failure {
    warnings: Vec<String>,
    fatal: String,
    /// The desired XR's connection details when it failed: the request's, plus those extracted
    /// from the resources rendered so far.
    xr_connection: XrConnection,
}

/// Runs the call; a failure keeps what was gathered before it.
fn render(req: &Request) -> Result<Rendered, Failure> {
    let empty = Map::new();
    let observed_composite = req.observed_composite().map_or(&empty, |xr| &xr.resource);
    let mut call = Call::start(req, observed_composite);
    match call.run() {
        Ok(skipped) => Ok(call.finish(skipped)),
        Err(fatal) => Err(Failure {
            warnings: call.warnings,
            fatal,
            xr_connection: call.xr_connection,
        }),
    }
}

/// One call's state, read from the request and then changed step by step as upstream's
/// `RunFunction` changes it.
struct Call<'a> {
    req: &'a Request,
    observed_composite: &'a Map<String, Value>,
    desired_composite: Resource,
    /// The desired composed resources: the request's, then those rendered so far.
    desired: BTreeMap<String, Resource>,
    environment: Map<String, Value>,
    warnings: Vec<String>,
    /// The desired XR's connection details: the request's, plus those extracted so far.
    xr_connection: XrConnection,
}

impl<'a> Call<'a> {
    /// The state before the input is read: nothing here can fail.
    fn start(req: &'a Request, observed_composite: &'a Map<String, Value>) -> Call<'a> {
        let xr_connection = req
            .desired_composite()
            .map(|xr| {
                decode_details(&xr.connection_details)
                    .into_iter()
                    .map(|(key, value)| (key, (!value.is_empty()).then_some(value)))
                    .collect()
            })
            .unwrap_or_default();
        let mut desired_composite = req.desired_composite().cloned().unwrap_or_default();
        float_numbers(&mut desired_composite.resource);
        for key in ["apiVersion", "kind"] {
            let value = observed_composite
                .get(key)
                .cloned()
                .unwrap_or(Value::String(String::new()));
            desired_composite.resource.insert(key.into(), value);
        }
        // Desired composed resources pass through as body and readiness; upstream drops their
        // connection details and unknown fields.
        let desired = req
            .desired_resources()
            .iter()
            .map(|(name, r)| {
                (
                    name.clone(),
                    Resource {
                        resource: r.resource.clone(),
                        ready: r.ready,
                        ..Resource::default()
                    },
                )
            })
            .collect();
        Call {
            req,
            observed_composite,
            desired_composite,
            desired,
            environment: read_environment(req),
            warnings: Vec::new(),
            xr_connection,
        }
    }

    /// Reads the input and runs it: environment patches, resources, the connection Secret.
    /// Returns how many resources were left out of the desired state.
    ///
    /// # Errors
    /// The fatal message.
    fn run(&mut self) -> Result<usize, String> {
        let input = input::decode(self.req.input())
            .map_err(|e| format!("cannot get Function input: {e}"))?;
        validate::resources(&input).map_err(|e| format!("invalid Function input: {e}"))?;
        let templates = input
            .resources
            .iter()
            .map(|template| {
                patches::inline_patch_sets(&input.patch_sets, &template.patches)
                    .map(|resolved| (template, resolved))
                    .map_err(|e| format!("cannot resolve PatchSets: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.apply_environment_patches(&input)?;
        let mut skipped = 0;
        for (template, patches) in templates {
            match self.render_resource(template, &patches)? {
                Some(resource) => {
                    self.desired.insert(template.name.clone(), resource);
                }
                None => skipped += 1,
            }
        }
        self.compose_connection_secret(input.write_connection_secret_to_ref.as_ref())?;
        Ok(skipped)
    }

    /// Runs `environment.patches`; a missing source skips a patch unless it is required.
    fn apply_environment_patches(&mut self, input: &Resources) -> Result<(), String> {
        for (i, p) in input
            .environment
            .iter()
            .flat_map(|e| e.patches.iter())
            .enumerate()
        {
            if let Err(e) = patches::apply_environment(
                p,
                &mut self.environment,
                self.observed_composite,
                &mut self.desired_composite.resource,
            ) {
                if e.is_not_found() && !p.is_required() {
                    continue;
                }
                return Err(format!(
                    "cannot apply the {:?} environment patch at index {i}: {e}",
                    p.type_name()
                ));
            }
        }
        Ok(())
    }

    /// Renders one template; `None` when a required patch leaves a new resource out.
    fn render_resource(
        &mut self,
        template: &ComposedTemplate,
        patches: &[&Patch],
    ) -> Result<Option<Resource>, String> {
        let mut rendered = self.start_resource(template)?;
        let observed = self.req.observed_resource(&template.name);
        let ready = match observed {
            Some(observed) => self.observe(template, observed, &mut rendered),
            None => Ready::Unspecified,
        };
        if !self.patch_resource(&template.name, patches, observed, &mut rendered)? {
            return Ok(None);
        }
        Ok(Some(Resource {
            resource: rendered.into(),
            ready,
            ..Resource::default()
        }))
    }

    /// The object a template starts from: its `base`, or else the desired resource an earlier
    /// step (or template) produced.
    fn start_resource(&self, template: &ComposedTemplate) -> Result<Map<String, Value>, String> {
        let name = &template.name;
        match &template.base {
            None => match self.desired.get(name) {
                Some(previous) => {
                    let mut previous = (*previous.resource).clone();
                    float_numbers(&mut previous);
                    Ok(previous)
                }
                None => Err(format!(
                    "composed resource {name:?} has no base template, and was not produced by a previous Function in the pipeline"
                )),
            },
            Some(base) => parse_base(base).map_err(|e| {
                format!("cannot parse base template of composed resource {name:?}: {e}")
            }),
        }
    }

    /// What an observed resource gives: its name and namespace, connection details for the XR,
    /// and whether it is ready (a failed check is a warning).
    fn observe(
        &mut self,
        template: &ComposedTemplate,
        observed: &Resource,
        rendered: &mut Map<String, Value>,
    ) -> Ready {
        set_or_remove_metadata(rendered, "namespace", observed.namespace());
        set_or_remove_metadata(rendered, "name", observed.name());
        let connection = decode_details(&observed.connection_details);
        let extracted = connection::extract(
            &observed.resource,
            &connection,
            &template.connection_details,
        );
        self.xr_connection
            .extend(extracted.into_iter().map(|(key, value)| (key, Some(value))));
        match readiness::is_ready(&observed.resource, &template.readiness_checks) {
            Ok(true) => Ready::True,
            Ok(false) => Ready::Unspecified,
            Err(e) => {
                self.warnings.push(format!(
                    "cannot check readiness of composed resource {:?}: {e}",
                    template.name
                ));
                Ready::Unspecified
            }
        }
    }

    /// Runs a template's patches on `rendered`. Returns false when a required patch with a
    /// missing source leaves a new resource out; other missing sources are skipped, with a
    /// warning when the patch is required.
    fn patch_resource(
        &mut self,
        name: &str,
        patches: &[&Patch],
        observed: Option<&Resource>,
        rendered: &mut Map<String, Value>,
    ) -> Result<bool, String> {
        let mut objects = Objects {
            observed_composite: self.observed_composite,
            desired_composite: &mut self.desired_composite.resource,
            observed: observed.map(|o| &*o.resource),
            desired: rendered,
            environment: &mut self.environment,
        };
        for (i, p) in patches.iter().enumerate() {
            let Err(e) = patches::apply_composed(p, &mut objects) else {
                continue;
            };
            if !e.is_not_found() {
                return Err(format!(
                    "cannot render composed resource {name:?} {:?} patch at index {i}: {e}",
                    p.type_name()
                ));
            }
            if p.is_required() {
                if patches::is_to_composed(p) && observed.is_none() {
                    self.warnings.push(required_warning(name, p, i, &e));
                    return Ok(false);
                }
                self.warnings.push(format!(
                    "cannot render composed resource {name:?} {:?} patch at index {i}: ignoring 'policy.fromFieldPath: Required' because 'to' resource already exists: {e}",
                    p.type_name()
                ));
            }
        }
        Ok(true)
    }

    /// For an XR without connection details of its own (Crossplane v2), composes the connection
    /// `Secret` as a desired resource named `<xr>-connection-secret`.
    fn compose_connection_secret(
        &mut self,
        write_to: Option<&WriteConnectionSecretToRef>,
    ) -> Result<(), String> {
        if connection::supports_connection_details(self.observed_composite)
            || self.xr_connection.is_empty()
        {
            return Ok(());
        }
        let secret =
            connection::compose_secret(self.observed_composite, &self.xr_connection, write_to)
                .map_err(|e| format!("cannot compose connection secret: {e}"))?;
        let xr_name = self
            .observed_composite
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        self.desired.insert(
            format!("{xr_name}-connection-secret"),
            Resource {
                resource: secret.into(),
                ready: Ready::True,
                ..Resource::default()
            },
        );
        Ok(())
    }

    /// The desired state after a successful run; the XR is not ready while `skipped` resources
    /// are left out.
    fn finish(self, skipped: usize) -> Rendered {
        let composite = Resource {
            resource: self.desired_composite.resource,
            connection_details: encode_details(&self.xr_connection),
            ready: if skipped > 0 {
                Ready::False
            } else {
                Ready::Unspecified
            },
            ..Resource::default()
        };
        Rendered {
            desired: State {
                composite: Some(composite),
                resources: self.desired,
                ..State::default()
            },
            environment: self.environment,
            warnings: self.warnings,
        }
    }
}

/// The Composition environment from the context: upstream reads the value's Struct (a value that
/// is not one reads as empty) and gives an empty one its own apiVersion and kind.
fn read_environment(req: &Request) -> Map<String, Value> {
    let mut environment = match req.context_value(ENVIRONMENT_KEY) {
        Some(Value::Object(environment)) => environment.clone(),
        _ => Map::new(),
    };
    float_numbers(&mut environment);
    if is_gvk_empty(&environment) {
        environment.insert(
            "apiVersion".into(),
            Value::String("internal.crossplane.io/v1alpha1".into()),
        );
        environment.insert("kind".into(), Value::String("Environment".into()));
    }
    environment
}

fn required_warning(name: &str, p: &Patch, i: usize, e: &Error) -> String {
    format!(
        "not adding new composed resource {name:?} to desired state because {:?} patch at index {i} has 'policy.fromFieldPath: Required': {e}",
        p.type_name()
    )
}

/// Kubernetes' `GroupVersionKind().Empty()` of an object: no group, version or kind, or an
/// `apiVersion` that does not parse (more than one `/`).
fn is_gvk_empty(object: &Map<String, Value>) -> bool {
    let text = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or("");
    let (api_version, kind) = (text("apiVersion"), text("kind"));
    match api_version.matches('/').count() {
        0 => api_version.is_empty() && kind.is_empty(),
        1 => api_version == "/" && kind.is_empty(),
        _ => true,
    }
}

/// Numbers of an object read from the request become `float64`, as upstream reads them.
fn float_numbers(object: &mut Map<String, Value>) {
    object.values_mut().for_each(crate::value::to_float_numbers);
}

/// The XR's connection details as upstream holds them: `None` is a nil value, what protobuf-go
/// decodes an empty value of the request into (a Secret writes it as `null`, not `""`).
type XrConnection = BTreeMap<String, Option<Vec<u8>>>;

/// Connection details decoded from base64; values that are not base64 (the host never sends
/// those) are skipped.
fn decode_details(details: &BTreeMap<String, String>) -> BTreeMap<String, Vec<u8>> {
    details
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), xfn_sdk::base64::decode(v).ok()?)))
        .collect()
}

/// Connection details as the protocol carries them: base64 (nil is empty).
fn encode_details(details: &XrConnection) -> BTreeMap<String, String> {
    details
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                xfn_sdk::base64::encode(v.as_deref().unwrap_or_default()),
            )
        })
        .collect()
}

/// A base template as Kubernetes' unstructured decoder reads it: an object (whole numbers
/// become `int64`) with a `kind`. Upstream's messages quote the base as protojson wrote it.
fn parse_base(base: &Value) -> Result<Map<String, Value>, String> {
    let Value::Object(object) = base else {
        let kind = match base {
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            _ => "array",
        };
        return Err(format!(
            "json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
        ));
    };
    let mut object = object.clone();
    crate::value::settle_written(&mut object)
        .map_err(|_| format!("Object 'Kind' is missing in '{}'", gojson::protojson(base)))?;
    Ok(object)
}

/// Copies `metadata.<key>` from the observed resource; an empty value removes it, as
/// Kubernetes' `SetName("")` and `SetNamespace("")` do. A `metadata` that is not an object
/// (a patch may write anything there) stays as it is: `SetNestedField` refuses to write through
/// it, and `SetName` ignores that error.
fn set_or_remove_metadata(resource: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    match value.filter(|v| !v.is_empty()) {
        Some(value) => {
            let metadata = resource
                .entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(metadata) = metadata {
                metadata.insert(key.into(), Value::String(value.into()));
            }
        }
        None => {
            if let Some(Value::Object(metadata)) = resource.get_mut("metadata") {
                metadata.remove(key);
            }
        }
    }
}
