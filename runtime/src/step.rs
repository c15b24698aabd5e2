//! One pipeline step: request bytes → Input → module → response bytes.
//!
//! Both the gRPC server and `render` call [`StepRunner`]; neither touches the host directly. Every
//! user-facing failure (bad Input, unknown module, a module that traps, loops, bloats or writes
//! garbage) becomes a response with one `SEVERITY_FATAL` result and the request's `desired` and
//! `context` unchanged, so nothing earlier steps produced is lost.

use std::sync::Arc;
use std::time::{Duration, Instant};

use prost::Message;
use xfn_proto::pbjson_types;
use xfn_proto::v1::{
    ResponseMeta, Result as StepResult, RunFunctionRequest, RunFunctionResponse, Severity,
};

use crate::host::{self, ModuleId};
use crate::input::{self, DEFAULT_TTL};
use crate::metrics::{Metrics, Outcome};
use crate::modules::{self, ModuleRegistry, ModuleSource};
use crate::transcode::guest_request;

/// Crossplane's gRPC client refuses responses over 4 MiB; past this size a step adds a warning.
pub const WARN_RESPONSE_BYTES: usize = 3584 * 1024;

/// The request body is not a protobuf `RunFunctionRequest`; the server answers INVALID_ARGUMENT.
#[derive(Debug, thiserror::Error)]
#[error("the request body is not a RunFunctionRequest: {0}")]
pub struct DecodeError(#[from] prost::DecodeError);

/// Why a step failed; the message becomes the FATAL result.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Input(#[from] input::Error),
    #[error(transparent)]
    Module(#[from] modules::Error),
    #[error(transparent)]
    Host(#[from] host::Error),
    #[error("{module}: its output is not a RunFunctionResponse: {reason}; see docs/ABI.md")]
    BadOutput {
        module: ModuleId,
        reason: serde_json::Error,
    },
}

/// Runs steps: resolves the module an Input names and calls it on the request.
pub struct StepRunner {
    registry: Arc<ModuleRegistry>,
    metrics: Metrics,
}

/// What a step learns about itself on the way, for the response and the metrics.
struct StepFacts {
    ttl: Duration,
    module: String,
}

impl StepRunner {
    /// A runner resolving modules through `registry`.
    pub fn new(registry: Arc<ModuleRegistry>) -> StepRunner {
        StepRunner {
            registry,
            metrics: Metrics::default(),
        }
    }

    /// Counts and latencies of the steps run so far.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The registry modules come from.
    pub fn registry(&self) -> &Arc<ModuleRegistry> {
        &self.registry
    }

    /// Runs one step on a protobuf-encoded `RunFunctionRequest` and returns the encoded response.
    ///
    /// # Errors
    /// [`DecodeError`] only when `body` is not a `RunFunctionRequest`; every other failure is a FATAL
    /// result inside the response.
    pub async fn run_bytes(&self, body: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let request = RunFunctionRequest::decode(body)?;
        Ok(self.run(request).await.encode_to_vec())
    }

    /// Runs one step. Always returns a response: failures become one FATAL result, with `desired`
    /// and `context` copied from the request. `meta.tag` is always echoed and `meta.ttl` set.
    pub async fn run(&self, mut request: RunFunctionRequest) -> RunFunctionResponse {
        let started = Instant::now();
        let mut facts = StepFacts {
            ttl: DEFAULT_TTL,
            module: "unknown".to_owned(),
        };
        let outcome = self.try_run(&mut request, &mut facts).await;
        let mut metric = Outcome::Failed;
        let tag = request
            .meta
            .as_ref()
            .map(|meta| meta.tag.clone())
            .unwrap_or_default();
        let mut response = match outcome {
            Ok(response) => {
                let is_fatal = response
                    .results
                    .iter()
                    .any(|r| r.severity == i32::from(Severity::Fatal));
                metric = if is_fatal {
                    Outcome::FatalResult
                } else {
                    Outcome::Ok
                };
                response
            }
            Err(failure) => {
                let message = error_chain(&failure);
                tracing::warn!(tag, "step failed: {message}");
                RunFunctionResponse {
                    desired: request.desired.take(),
                    context: request.context.take(),
                    results: vec![result(Severity::Fatal, message)],
                    ..RunFunctionResponse::default()
                }
            }
        };
        let meta = response.meta.get_or_insert_with(ResponseMeta::default);
        meta.tag = tag;
        meta.ttl.get_or_insert_with(|| to_proto_duration(facts.ttl));
        if response.desired.is_none() {
            response.desired = request.desired.take();
        }
        if response.context.is_none() {
            response.context = request.context.take();
        }
        let size = response.encoded_len();
        if size > WARN_RESPONSE_BYTES {
            response.results.push(result(
                Severity::Warning,
                format!("the response is {size} bytes, close to the 4 MiB that Crossplane accepts; compose fewer or smaller resources in this step"),
            ));
        }
        self.metrics
            .record_step(&facts.module, metric, started.elapsed());
        response
    }

    async fn try_run(
        &self,
        request: &mut RunFunctionRequest,
        facts: &mut StepFacts,
    ) -> Result<RunFunctionResponse, Failure> {
        let input = request.input.as_ref().map(|input| {
            serde_json::to_value(input).expect("a protobuf Struct always serialises to JSON")
        });
        let step = input::validate(input, self.registry.host().maxima())?;
        facts.ttl = step.ttl;
        facts.module = match &step.module.source {
            ModuleSource::Named(name) => name.clone(),
            ModuleSource::Inline(_) => "inline".to_owned(),
        };
        let module = self.registry.resolve(&step.module).await?;

        // The module sees the step's config as its input, exactly like a standalone function would.
        let guest_request = guest_request(request, step.config);

        let output = self
            .registry
            .host()
            .call(module.clone(), guest_request, step.limits)
            .await?;
        serde_json::from_slice::<RunFunctionResponse>(&output).map_err(|reason| {
            Failure::BadOutput {
                module: module.id().clone(),
                reason,
            }
        })
    }
}

/// An error and its sources, joined with ": ", as one message.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

fn result(severity: Severity, message: String) -> StepResult {
    StepResult {
        severity: severity.into(),
        message,
        ..StepResult::default()
    }
}

fn to_proto_duration(duration: Duration) -> pbjson_types::Duration {
    pbjson_types::Duration {
        seconds: i64::try_from(duration.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(duration.subsec_nanos()).unwrap_or(0),
    }
}
