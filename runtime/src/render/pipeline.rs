//! Running a Composition's pipeline the way Crossplane's function composer does: desired state
//! starts empty, each step's `desired` and `context` REPLACE what came before, the first FATAL
//! result stops the pipeline, other results become events, and a step is called again while its
//! requirements change (at most [`MAX_REQUIREMENTS_ITERATIONS`] times after the first call),
//! with required resources read from the engine's [`Store`] and schemas from `--required-schemas`.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};
use xfn_proto::pbjson_types::Struct;
use xfn_proto::v1::{
    Capability, CredentialData, Credentials, RequestMeta, Requirements, Resource, ResourceSelector,
    Resources, RunFunctionRequest, RunFunctionResponse, Schema, Severity, State, Status,
    credentials, resource_selector,
};

use super::composition::PipelineStep;
use super::conditions::Condition;
use super::error::{Error, Result};
use super::events::Event;
use super::load::Inputs;
use super::runtimes::Runtimes;
use super::store::Store;

/// Calls of one step after the first while its requirements keep changing; Crossplane's
/// `MaxRequirementsIterations`.
const MAX_REQUIREMENTS_ITERATIONS: usize = 5;

/// Every capability, as Crossplane advertises them (`xfn.SupportedCapabilities`).
const CAPABILITIES: [Capability; 5] = [
    Capability::Capabilities,
    Capability::RequiredResources,
    Capability::Credentials,
    Capability::Conditions,
    Capability::RequiredSchemas,
];

/// The event reason of a result that names none.
const REASON_COMPOSE: &str = "ComposeResources";

/// What the whole pipeline produced.
#[derive(Debug, Default)]
pub(crate) struct PipelineOutput {
    /// The last step's desired state.
    pub desired: State,
    /// The last step's context, as the step after it would receive it.
    pub context: Option<Map<String, Value>>,
    /// Non-fatal results as the events Crossplane records, in step order.
    pub events: Vec<Event>,
    /// Conditions returned by the steps, in order.
    pub conditions: Vec<Condition>,
}

/// What every step's request shares.
pub(crate) struct Pipeline<'a> {
    pub inputs: &'a Inputs,
    pub store: &'a Store,
    pub runtimes: &'a Runtimes<'a>,
}

impl Pipeline<'_> {
    /// Runs every step of the Composition's pipeline on the `observed` state.
    ///
    /// # Errors
    /// [`Error::Fatal`] for the first FATAL result, [`Error::Unstable`] when a step's
    /// requirements never settle, [`Error::MissingSecret`] for credentials not given,
    /// [`Error::Call`] when a Development Function fails, [`Error::BadApiVersion`] for a schema
    /// required with an unparseable apiVersion.
    pub async fn run(&self, observed: State) -> Result<PipelineOutput> {
        let mut output = PipelineOutput::default();
        let mut desired = Some(State::default());
        // Crossplane starts with an empty context; the CLI's seed step adds the given values.
        let mut context = Some(to_struct(Value::Object(
            self.inputs.context.clone().unwrap_or_default(),
        )));
        for step in &self.inputs.composition.spec.pipeline {
            let request = self.request(step, observed.clone(), desired, context)?;
            let response = self.call(step, request).await?;
            desired = response.desired;
            context = response.context;
            output
                .conditions
                .extend(response.conditions.iter().map(condition));
            for result in response.results {
                output.events.push(event(step, result)?);
            }
        }
        output.desired = desired.unwrap_or_default();
        output.context = context.map(|context| match to_json(&context) {
            Value::Object(map) => map,
            _ => Map::new(),
        });
        Ok(output)
    }

    /// The first request to `step`: the `observed` state, the `desired` state and `context` the
    /// step before it returned, the step's input, credentials and bootstrap requirements.
    fn request(
        &self,
        step: &PipelineStep,
        observed: State,
        desired: Option<State>,
        context: Option<Struct>,
    ) -> Result<RunFunctionRequest> {
        let (required_resources, required_schemas) = self.bootstrap(step)?;
        Ok(RunFunctionRequest {
            meta: Some(RequestMeta {
                tag: String::new(),
                capabilities: CAPABILITIES.iter().map(|c| *c as i32).collect(),
            }),
            observed: Some(observed),
            desired,
            input: step
                .input
                .clone()
                .map(|input| to_struct(Value::Object(input))),
            context,
            credentials: self.credentials(step)?,
            required_resources,
            required_schemas,
            ..RunFunctionRequest::default()
        })
    }

    /// Calls a step, then again with what it requires while its requirements change
    /// (Crossplane's `FetchingFunctionRunner`).
    async fn call(
        &self,
        step: &PipelineStep,
        mut request: RunFunctionRequest,
    ) -> Result<RunFunctionResponse> {
        let bootstrap_resources = request.required_resources.clone();
        let bootstrap_schemas = request.required_schemas.clone();
        let mut previous: Option<Requirements> = None;
        for iteration in 0..=MAX_REQUIREMENTS_ITERATIONS {
            let response = self
                .runtimes
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
            let mut resources = bootstrap_resources.clone();
            resources.extend(self.fetch_all(&requirements.resources));
            let extra = self.fetch_all(&requirements.extra_resources);
            let mut schemas = bootstrap_schemas.clone();
            for (name, selector) in &requirements.schemas {
                schemas.insert(
                    name.clone(),
                    self.schema(&selector.api_version, &selector.kind)?,
                );
            }
            // The first request may already hold everything the step asks for (bootstrap
            // requirements): then its answer is final.
            if iteration == 0
                && request.required_resources == resources
                && request.extra_resources == extra
                && request.required_schemas == schemas
            {
                return Ok(response);
            }
            previous = response.requirements;
            request.required_resources = resources;
            request.extra_resources = extra;
            request.required_schemas = schemas;
            request.context = response.context;
        }
        Err(Error::Unstable {
            step: step.step.clone(),
            max: MAX_REQUIREMENTS_ITERATIONS,
        })
    }

    /// The step's bootstrap `requirements`: resources from the store, schemas from
    /// `--required-schemas`.
    fn bootstrap(
        &self,
        step: &PipelineStep,
    ) -> Result<(HashMap<String, Resources>, HashMap<String, Schema>)> {
        let Some(requirements) = &step.requirements else {
            return Ok(Default::default());
        };
        let resources = requirements
            .required_resources
            .iter()
            .map(|declared| {
                let r#match = match (&declared.name, &declared.match_labels) {
                    (Some(name), _) => Some(resource_selector::Match::MatchName(name.clone())),
                    (None, Some(labels)) => Some(resource_selector::Match::MatchLabels(
                        xfn_proto::v1::MatchLabels {
                            labels: labels.clone().into_iter().collect(),
                        },
                    )),
                    (None, None) => None,
                };
                let selector = ResourceSelector {
                    api_version: declared.api_version.clone(),
                    kind: declared.kind.clone(),
                    namespace: declared.namespace.clone(),
                    r#match,
                };
                (declared.requirement_name.clone(), self.fetch(&selector))
            })
            .collect();
        let schemas = requirements
            .required_schemas
            .iter()
            .map(|selector| {
                Ok((
                    selector.requirement_name.clone(),
                    self.schema(&selector.api_version, &selector.kind)?,
                ))
            })
            .collect::<Result<_>>()?;
        Ok((resources, schemas))
    }

    fn fetch_all(
        &self,
        selectors: &HashMap<String, ResourceSelector>,
    ) -> HashMap<String, Resources> {
        selectors
            .iter()
            .map(|(name, selector)| (name.clone(), self.fetch(selector)))
            .collect()
    }

    /// What a selector selects in the store (Crossplane's `ExistingRequiredResourcesFetcher`):
    /// by name, the one object of that apiVersion, kind and namespace (none is an empty list);
    /// otherwise every object of the kind in the namespace (all namespaces when it has none)
    /// with the labels.
    fn fetch(&self, selector: &ResourceSelector) -> Resources {
        let namespace = selector.namespace.as_deref().unwrap_or("");
        let items: Vec<&Value> = match &selector.r#match {
            Some(resource_selector::Match::MatchName(name)) => self
                .store
                .get(&selector.api_version, &selector.kind, namespace, name)
                .into_iter()
                .collect(),
            other => {
                let labels: BTreeMap<String, String> = match other {
                    Some(resource_selector::Match::MatchLabels(labels)) => {
                        labels.labels.clone().into_iter().collect()
                    }
                    _ => BTreeMap::new(),
                };
                self.store
                    .list(&selector.api_version, &selector.kind, namespace, &labels)
            }
        };
        Resources {
            items: items.into_iter().map(resource).collect(),
        }
    }

    fn schema(&self, api_version: &str, kind: &str) -> Result<Schema> {
        Ok(Schema {
            openapi_v3: self.inputs.schemas.fetch(api_version, kind)?.map(to_struct),
        })
    }

    /// The step's credentials: each `source: Secret` entry's Secret data, from the store.
    fn credentials(&self, step: &PipelineStep) -> Result<HashMap<String, Credentials>> {
        let mut out = HashMap::new();
        for entry in &step.credentials {
            let Some(secret_ref) = entry
                .secret_ref
                .as_ref()
                .filter(|_| entry.source == "Secret")
            else {
                continue;
            };
            let secret = self
                .store
                .get("v1", "Secret", &secret_ref.namespace, &secret_ref.name)
                .ok_or_else(|| Error::MissingSecret {
                    step: step.step.clone(),
                    name: entry.name.clone(),
                    secret: format!("{}/{}", secret_ref.namespace, secret_ref.name),
                })?;
            out.insert(
                entry.name.clone(),
                Credentials {
                    source: Some(credentials::Source::CredentialData(CredentialData {
                        data: secret_data(secret),
                    })),
                },
            );
        }
        Ok(out)
    }
}

/// A condition a step returned, as the XR's condition.
fn condition(condition: &xfn_proto::v1::Condition) -> Condition {
    let status = match Status::try_from(condition.status) {
        Ok(Status::ConditionTrue) => "True",
        Ok(Status::ConditionFalse) => "False",
        _ => "Unknown",
    };
    Condition::new(
        &condition.r#type,
        status,
        &condition.reason,
        condition.message.as_deref().unwrap_or(""),
    )
}

/// The event Crossplane records for a result of `step`.
///
/// # Errors
/// [`Error::Fatal`] for a FATAL result: it stops the pipeline.
fn event(step: &PipelineStep, result: xfn_proto::v1::Result) -> Result<Event> {
    let reason = match result.reason.as_deref() {
        None | Some("") => REASON_COMPOSE,
        Some(reason) => reason,
    };
    let detailed = |message: &str| format!("Pipeline step \"{}\": {message}", step.step);
    Ok(match Severity::try_from(result.severity) {
        Ok(Severity::Fatal) => {
            return Err(Error::Fatal {
                step: step.step.clone(),
                message: result.message,
            });
        }
        Ok(Severity::Warning) => Event::warning(reason, detailed(&result.message)),
        Ok(Severity::Normal) => Event::normal(reason, detailed(&result.message)),
        Ok(Severity::Unspecified) => Event::warning(
            reason,
            format!(
                "Pipeline step \"{}\" returned a result of unknown severity (assuming warning): {}",
                step.step, result.message
            ),
        ),
        // A severity newer than Crossplane's protobuf: Go records a zero event.
        Err(_) => Event::default(),
    })
}

/// A Secret's `data`, base64-decoded; entries that are not base64 are left out.
pub(crate) fn secret_data(secret: &Value) -> HashMap<String, Vec<u8>> {
    use base64::Engine as _;
    secret
        .get("data")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(key, value)| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(value.as_str()?)
                .ok()?;
            Some((key.clone(), bytes))
        })
        .collect()
}

/// A protocol `Resource` holding `value`.
pub(crate) fn resource(value: &Value) -> Resource {
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
