//! Running a Composition's pipeline the way Crossplane does: desired state starts empty, each
//! step's `desired` and `context` REPLACE what came before, the first FATAL result stops the
//! pipeline, and a step is called again while its requirements change (at most
//! [`MAX_REQUIREMENTS_ITERATIONS`] times after the first call).

use std::collections::HashMap;

use serde_json::{Map, Value};
use xfn_proto::pbjson_types::Struct;
use xfn_proto::v1::{
    Capability, Condition, CredentialData, Credentials, RequestMeta, Requirements, Resource,
    ResourceSelector, Resources, RunFunctionRequest, RunFunctionResponse, Schema, Severity, State,
    credentials, resource_selector,
};

use super::error::{Error, Result};
use super::functions::Runtimes;
use super::load::{Inputs, PipelineStep, RequiredResourceSelector};

/// Calls of one step after the first while its requirements keep changing; Crossplane's
/// `MaxRequirementsIterations`.
const MAX_REQUIREMENTS_ITERATIONS: usize = 5;

/// A non-fatal result of a step.
#[derive(Debug, Clone)]
pub(crate) struct StepResult {
    /// The step that returned it.
    pub step: String,
    /// Its severity.
    pub severity: Severity,
    /// Its message.
    pub message: String,
}

/// What the whole pipeline produced.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// The last step's desired state.
    pub desired: State,
    /// The last step's context (empty when it returned none).
    pub context: Map<String, Value>,
    /// Non-fatal results, in step order.
    pub results: Vec<StepResult>,
    /// Conditions returned by the steps, in order.
    pub conditions: Vec<Condition>,
}

/// Runs every step of the Composition's pipeline.
///
/// # Errors
/// [`Error::Fatal`] for the first FATAL result, [`Error::Unstable`] when a step's requirements
/// never settle, [`Error::MissingSecret`] for credentials not given, [`Error::Call`] when a
/// Development Function fails.
pub(crate) async fn run(inputs: &Inputs, runtimes: &Runtimes<'_>) -> Result<Outcome> {
    let observed = State {
        composite: Some(resource(&inputs.xr.value)),
        resources: inputs
            .observed
            .iter()
            .map(|(name, value)| (name.clone(), resource(value)))
            .collect(),
    };
    let mut outcome = Outcome::default();
    let mut desired = State::default();
    let mut context = Some(to_struct(Value::Object(inputs.context.clone())));
    for step in &inputs.composition.spec.pipeline {
        let request = RunFunctionRequest {
            meta: Some(RequestMeta {
                // Like `crossplane render` v2.2: capabilities, but no tag.
                tag: String::new(),
                capabilities: CAPABILITIES.iter().map(|c| *c as i32).collect(),
            }),
            observed: Some(observed.clone()),
            desired: Some(desired),
            input: step
                .input
                .clone()
                .map(|input| to_struct(Value::Object(input))),
            context,
            credentials: step_credentials(inputs, step)?,
            required_resources: bootstrap(inputs, step),
            ..RunFunctionRequest::default()
        };
        let response = call_step(inputs, runtimes, step, request).await?;
        desired = response.desired.unwrap_or_default();
        context = response.context;
        outcome.conditions.extend(response.conditions);
        for result in response.results {
            let severity = Severity::try_from(result.severity).unwrap_or(Severity::Unspecified);
            if severity == Severity::Fatal {
                return Err(Error::Fatal {
                    step: step.step.clone(),
                    message: result.message,
                });
            }
            outcome.results.push(StepResult {
                step: step.step.clone(),
                severity,
                message: result.message,
            });
        }
    }
    outcome.desired = desired;
    outcome.context = context
        .map(|context| match to_json(&context) {
            Value::Object(map) => map,
            _ => Map::new(),
        })
        .unwrap_or_default();
    Ok(outcome)
}

/// Every capability, as `crossplane render` advertises.
const CAPABILITIES: [Capability; 5] = [
    Capability::Capabilities,
    Capability::RequiredResources,
    Capability::Credentials,
    Capability::Conditions,
    Capability::RequiredSchemas,
];

/// Calls a step, then again with the resources it requires while its requirements change.
async fn call_step(
    inputs: &Inputs,
    runtimes: &Runtimes<'_>,
    step: &PipelineStep,
    mut request: RunFunctionRequest,
) -> Result<RunFunctionResponse> {
    let bootstrap = request.required_resources.clone();
    let mut previous: Option<Requirements> = None;
    for _ in 0..=MAX_REQUIREMENTS_ITERATIONS {
        let response = runtimes
            .call(&step.step, &step.function_ref.name, request.clone())
            .await?;
        let is_fatal = response
            .results
            .iter()
            .any(|result| result.severity == Severity::Fatal as i32);
        if is_fatal || response.requirements == previous {
            return Ok(response);
        }
        let requirements = response.requirements.clone().unwrap_or_default();
        request.extra_resources = fetch_all(inputs, &requirements.extra_resources);
        request.required_resources = bootstrap.clone();
        request
            .required_resources
            .extend(fetch_all(inputs, &requirements.resources));
        // No cluster to read OpenAPI schemas from: every schema is "not found".
        request.required_schemas = requirements
            .schemas
            .keys()
            .map(|name| (name.clone(), Schema::default()))
            .collect();
        request.context = response.context;
        previous = response.requirements;
    }
    Err(Error::Unstable {
        step: step.step.clone(),
        max: MAX_REQUIREMENTS_ITERATIONS,
    })
}

/// The step's bootstrap `requirements.requiredResources`, fetched from `--required-resources`.
fn bootstrap(inputs: &Inputs, step: &PipelineStep) -> HashMap<String, Resources> {
    let Some(requirements) = &step.requirements else {
        return HashMap::new();
    };
    requirements
        .required_resources
        .iter()
        .map(|selector| {
            (
                selector.requirement_name.clone(),
                fetch(&inputs.required, &to_selector(selector)),
            )
        })
        .collect()
}

fn to_selector(selector: &RequiredResourceSelector) -> ResourceSelector {
    let r#match = match (&selector.name, &selector.match_labels) {
        (Some(name), _) => Some(resource_selector::Match::MatchName(name.clone())),
        (None, Some(labels)) => Some(resource_selector::Match::MatchLabels(
            xfn_proto::v1::MatchLabels {
                labels: labels.clone().into_iter().collect(),
            },
        )),
        (None, None) => None,
    };
    ResourceSelector {
        api_version: selector.api_version.clone(),
        kind: selector.kind.clone(),
        namespace: selector.namespace.clone(),
        r#match,
    }
}

fn fetch_all(
    inputs: &Inputs,
    selectors: &HashMap<String, ResourceSelector>,
) -> HashMap<String, Resources> {
    selectors
        .iter()
        .map(|(name, selector)| (name.clone(), fetch(&inputs.required, selector)))
        .collect()
}

/// The required resources a selector matches, sorted by name: the one with its name, or all
/// with its labels; in its namespace when it has one. None found is an empty list, as a cluster
/// answers.
fn fetch(required: &[Value], selector: &ResourceSelector) -> Resources {
    let field = |value: &Value, pointer: &str| {
        value
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let mut candidates: Vec<&Value> = required
        .iter()
        .filter(|value| {
            field(value, "/apiVersion") == selector.api_version
                && field(value, "/kind") == selector.kind
                && selector
                    .namespace
                    .as_ref()
                    .is_none_or(|namespace| field(value, "/metadata/namespace") == *namespace)
        })
        .collect();
    candidates.sort_by_key(|value| {
        (
            field(value, "/metadata/namespace"),
            field(value, "/metadata/name"),
        )
    });
    let matches = |value: &&Value| match &selector.r#match {
        Some(resource_selector::Match::MatchName(name)) => field(value, "/metadata/name") == *name,
        Some(resource_selector::Match::MatchLabels(labels)) => {
            labels.labels.iter().all(|(key, wanted)| {
                value
                    .pointer("/metadata/labels")
                    .and_then(|labels| labels.get(key))
                    .and_then(Value::as_str)
                    == Some(wanted.as_str())
            })
        }
        None => false,
    };
    Resources {
        items: candidates
            .into_iter()
            .filter(matches)
            .map(resource)
            .collect(),
    }
}

/// The step's credentials: each `source: Secret` entry's Secret data from
/// `--function-credentials`.
fn step_credentials(inputs: &Inputs, step: &PipelineStep) -> Result<HashMap<String, Credentials>> {
    let mut out = HashMap::new();
    for entry in &step.credentials {
        let Some(secret_ref) = entry
            .secret_ref
            .as_ref()
            .filter(|_| entry.source == "Secret")
        else {
            continue;
        };
        let secret = inputs
            .secrets
            .iter()
            .find(|secret| {
                secret.metadata.name.as_deref() == Some(secret_ref.name.as_str())
                    && secret.metadata.namespace.as_deref().unwrap_or("") == secret_ref.namespace
            })
            .ok_or_else(|| Error::MissingSecret {
                step: step.step.clone(),
                name: entry.name.clone(),
                secret: format!("{}/{}", secret_ref.namespace, secret_ref.name),
            })?;
        let data = secret
            .data
            .iter()
            .flatten()
            .map(|(key, bytes)| (key.clone(), bytes.0.clone()))
            .collect();
        out.insert(
            entry.name.clone(),
            Credentials {
                source: Some(credentials::Source::CredentialData(CredentialData { data })),
            },
        );
    }
    Ok(out)
}

/// A protocol `Resource` holding `value`.
fn resource(value: &Value) -> Resource {
    Resource {
        resource: Some(to_struct(value.clone())),
        ..Resource::default()
    }
}

/// A JSON object as a protobuf `Struct`; anything else becomes an empty `Struct`.
pub(crate) fn to_struct(value: Value) -> Struct {
    serde_json::from_value(value).unwrap_or_default()
}

/// A protobuf `Struct` as JSON.
pub(crate) fn to_json(value: &Struct) -> Value {
    serde_json::to_value(value).expect("a protobuf Struct always serialises to JSON")
}
