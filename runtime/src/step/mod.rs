//! One pipeline step: request bytes → Input → module → response bytes.
//!
//! Both the gRPC server and `render` call [`StepRunner`]; neither touches the host directly. Every
//! user-facing failure (bad Input, unknown module, a module that traps, loops, bloats or writes
//! garbage) becomes a response with one `SEVERITY_FATAL` result and the request's `desired` and
//! `context` unchanged, so nothing earlier steps produced is lost.
//!
//! The step never decodes the request into messages: it reads the few fields it needs on the
//! wire (`envelope.rs`) and lets the [`Transcoder`] turn the rest into the module's JSON and the
//! module's JSON into the response, in one pass each.

mod envelope;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use prost::Message;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use xfn_proto::v1::{
    ResponseMeta, Result as StepResult, RunFunctionRequest, RunFunctionResponse, Severity,
};

use crate::host::{self, ModuleId};
use crate::input::{self, DEFAULT_TTL};
use crate::metrics::{Metrics, Outcome};
use crate::modules::{self, ModuleRegistry};
use crate::transcode::{self, Transcoder};
use envelope::Request;

/// The largest response Crossplane accepts: its gRPC client keeps grpc-go's default receive limit
/// of 4 MiB. A larger response is a FATAL result, since Crossplane would refuse it anyway.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
/// Past this size a response gets a warning that it nears [`MAX_RESPONSE_BYTES`].
pub const WARN_RESPONSE_BYTES: usize = 3584 * 1024;
/// The longest FATAL message a step writes; longer ones (a module's own message, a deep backtrace)
/// are cut, so a module cannot make the step copy megabytes into every result and log line.
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// The request body is not a protobuf `RunFunctionRequest`; the server answers INVALID_ARGUMENT.
#[derive(Debug, thiserror::Error)]
#[error("the request body is not a RunFunctionRequest: {0}")]
pub struct DecodeError(transcode::Error);

/// Why a step has no response to give; the server answers with a gRPC status instead.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The body is not a `RunFunctionRequest`: INVALID_ARGUMENT.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The host has no room for the call right now ([`host::Failure::Unavailable`]). Not the
    /// module's fault, so not a FATAL result: UNAVAILABLE, which Crossplane retries.
    #[error(transparent)]
    Unavailable(host::Error),
    /// The requests being handled already hold the server's request memory: RESOURCE_EXHAUSTED,
    /// which Crossplane retries.
    #[error(
        "the server is handling {held} bytes of requests, and this one of {size} bytes would pass its --max-request-memory of {max} bytes; retry, or give the server more replicas or memory"
    )]
    Overloaded {
        /// Bytes of requests held when this one came.
        held: usize,
        /// This request's size.
        size: usize,
        /// The budget.
        max: usize,
    },
}

/// Why a step failed: its message becomes the step's FATAL result.
#[derive(Debug, thiserror::Error)]
enum Fatal {
    #[error(transparent)]
    Input(#[from] input::Error),
    #[error("the step's input cannot be read: {0}")]
    InputJson(transcode::Error),
    #[error("the request cannot be handed to the module: {0}")]
    Request(transcode::Error),
    #[error(transparent)]
    Module(#[from] modules::Error),
    #[error(transparent)]
    Host(#[from] host::Error),
    #[error("{module}: its output is not a RunFunctionResponse: {reason}; see docs/ABI.md")]
    BadOutput {
        module: ModuleId,
        reason: transcode::Error,
    },
}

/// How many bytes of requests the steps in progress may hold by default (waiting for a call slot
/// or running): 64 requests of Crossplane's largest likely size, 4 MiB of desired and observed
/// state each, in memory at once.
pub const DEFAULT_MAX_REQUEST_MEMORY: usize = 256 * 1024 * 1024;

/// Runs steps: resolves the module an Input names and calls it on the request.
pub struct StepRunner {
    registry: Arc<ModuleRegistry>,
    transcoder: Arc<Transcoder>,
    metrics: Metrics,
    /// Bytes of requests the steps in progress may still take; one permit per byte.
    request_memory: Arc<Semaphore>,
    max_request_memory: usize,
}

/// What a step learns about itself on the way, for the response and the metrics.
struct StepFacts {
    ttl: Duration,
    /// The module, once resolved.
    module: Option<ModuleId>,
}

impl StepFacts {
    /// The metrics label: the resolved module's name, `inline`, or `unknown` when no module was
    /// resolved, so a name that is not a module never becomes a series.
    fn label(&self) -> &str {
        self.module
            .as_ref()
            .map_or("unknown", |id| id.name.as_str())
    }
}

impl StepRunner {
    /// A runner resolving modules through `registry`.
    pub fn new(registry: Arc<ModuleRegistry>) -> StepRunner {
        StepRunner::with_request_memory(registry, DEFAULT_MAX_REQUEST_MEMORY)
    }

    /// A runner whose steps in progress hold at most `max_request_memory` bytes of requests;
    /// past that, new calls are refused with [`Refusal::Overloaded`] rather than queued.
    pub fn with_request_memory(
        registry: Arc<ModuleRegistry>,
        max_request_memory: usize,
    ) -> StepRunner {
        // Semaphore permits are bounded; so is the budget (far above any real server's memory).
        let max_request_memory = max_request_memory.clamp(1, Semaphore::MAX_PERMITS);
        StepRunner {
            registry,
            transcoder: Arc::new(Transcoder::new()),
            metrics: Metrics::default(),
            request_memory: Arc::new(Semaphore::new(max_request_memory)),
            max_request_memory,
        }
    }

    /// Bytes of requests the steps in progress hold now.
    pub fn request_memory_held(&self) -> usize {
        self.max_request_memory - self.request_memory.available_permits()
    }

    /// Takes `body`'s share of the request memory until the returned permit is dropped.
    fn hold(&self, body: &[u8]) -> Result<OwnedSemaphorePermit, Refusal> {
        let size = body.len();
        let permits = u32::try_from(size.clamp(1, self.max_request_memory)).unwrap_or(u32::MAX);
        self.request_memory
            .clone()
            .try_acquire_many_owned(permits)
            .map_err(|_| Refusal::Overloaded {
                held: self.request_memory_held(),
                size,
                max: self.max_request_memory,
            })
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
    /// The response always echoes `meta.tag` and sets `meta.ttl`; when the step fails it holds one
    /// FATAL result and the request's `desired` and `context` unchanged.
    ///
    /// # Errors
    /// [`Refusal::Decode`] when `body` is not a `RunFunctionRequest`, [`Refusal::Unavailable`] when
    /// the host has no room for the call; every other failure is a FATAL result inside the response.
    pub async fn run_bytes(&self, body: Bytes) -> Result<Vec<u8>, Refusal> {
        let started = Instant::now();
        let held = self.hold(&body)?;
        let request = envelope::read_request(&body).map_err(|problem| {
            DecodeError(transcode::Error::Malformed {
                path: String::new(),
                problem,
            })
        })?;
        let mut facts = StepFacts {
            ttl: DEFAULT_TTL,
            module: None,
        };
        let outcome = self.try_run(&body, held, &request, &mut facts).await;
        let (mut response, mut metric) = match outcome {
            Ok(response) => {
                let metric = if response.has_fatal {
                    Outcome::FatalResult
                } else {
                    Outcome::Ok
                };
                (response, metric)
            }
            Err(Fatal::Request(error) | Fatal::InputJson(error))
                if matches!(
                    error,
                    transcode::Error::Malformed { .. } | transcode::Error::Decode(_)
                ) =>
            {
                return Err(DecodeError(error).into());
            }
            Err(Fatal::Host(error))
                if matches!(error.failure(), host::Failure::Unavailable { .. }) =>
            {
                return Err(Refusal::Unavailable(error));
            }
            Err(failure) => {
                let message = capped(crate::error_chain(&failure));
                tracing::warn!(tag = request.tag, "step failed: {message}");
                (
                    envelope::failure_response(&request, facts.ttl, &message),
                    Outcome::Failed,
                )
            }
        };
        let size = response.bytes.len();
        if size > MAX_RESPONSE_BYTES {
            let who = facts
                .module
                .as_ref()
                .map_or_else(|| "the step".to_owned(), ToString::to_string);
            let message = format!(
                "{who}: its response is {size} bytes, over the {MAX_RESPONSE_BYTES} bytes (4 MiB) that Crossplane accepts; compose fewer or smaller resources in this step, or split it into several steps"
            );
            tracing::warn!(tag = request.tag, "step failed: {message}");
            response = envelope::failure_response(&request, facts.ttl, &message);
            metric = Outcome::Failed;
        } else if size > WARN_RESPONSE_BYTES {
            response.push_result(
                envelope::Severity::Warning,
                &format!("the response is {size} bytes, close to the {MAX_RESPONSE_BYTES} bytes (4 MiB) that Crossplane accepts; compose fewer or smaller resources in this step"),
            );
        }
        self.metrics
            .record_step(facts.label(), metric, started.elapsed());
        Ok(response.bytes)
    }

    /// Runs one step on a request message (`render` builds them); as [`StepRunner::run_bytes`],
    /// with a request that is not protobuf answered by a FATAL result.
    pub async fn run(&self, request: RunFunctionRequest) -> RunFunctionResponse {
        let body = Bytes::from(request.encode_to_vec());
        let error = match self.run_bytes(body).await {
            Ok(bytes) => match RunFunctionResponse::decode(bytes.as_slice()) {
                Ok(response) => return response,
                Err(error) => error.to_string(),
            },
            Err(error) => error.to_string(),
        };
        RunFunctionResponse {
            meta: Some(ResponseMeta {
                tag: request.meta.map(|meta| meta.tag).unwrap_or_default(),
                ttl: Some(xfn_proto::pbjson_types::Duration {
                    seconds: 60,
                    nanos: 0,
                }),
            }),
            desired: request.desired,
            context: request.context,
            results: vec![StepResult {
                severity: Severity::Fatal.into(),
                message: error,
                ..StepResult::default()
            }],
            ..RunFunctionResponse::default()
        }
    }

    /// `held` is `body`'s share of the request memory; it moves into the call, so a call whose
    /// caller went away keeps it while its blocking thread still holds the body.
    async fn try_run(
        &self,
        body: &Bytes,
        held: OwnedSemaphorePermit,
        request: &Request<'_>,
        facts: &mut StepFacts,
    ) -> Result<envelope::Response, Fatal> {
        let input = match &request.input {
            Some(bytes) => Some(
                self.transcoder
                    .struct_json(bytes, "input")
                    .map_err(Fatal::InputJson)?,
            ),
            None => None,
        };
        let step = input::validate(input.as_deref(), self.registry.host().maxima())?;
        facts.ttl = step.ttl;
        let module = self.registry.resolve(&step.module).await?;
        facts.module = Some(module.id().clone());

        // The transcoding runs on the call's blocking thread, under its permit (Host::call_with).
        let make_request = {
            let (transcoder, body, config) = (self.transcoder.clone(), body.clone(), step.config);
            // The module sees the step's config as its input, as a standalone function would.
            move || {
                let config = config.as_ref().map(|config| config.get().as_bytes());
                transcoder
                    .request_json(&body, config)
                    .map_err(Fatal::Request)
            }
        };
        let read_output = {
            let (transcoder, body, id) =
                (self.transcoder.clone(), body.clone(), module.id().clone());
            let ttl = step.ttl;
            move |output: Vec<u8>| {
                let _held = held;
                let bad_output = |reason| Fatal::BadOutput {
                    module: id.clone(),
                    reason,
                };
                let wire = transcoder.response_wire(&output).map_err(bad_output)?;
                let request = envelope::read_request(&body).expect(
                    "the request was read before the call, and reading it again gives the same",
                );
                envelope::complete_response(wire, &request, ttl).map_err(|problem| {
                    bad_output(transcode::Error::Malformed {
                        path: String::new(),
                        problem,
                    })
                })
            }
        };
        self.registry
            .host()
            .call_with(module, step.limits, make_request, read_output)
            .await
    }
}

/// `message`, cut to at most [`MAX_MESSAGE_BYTES`] at a character boundary, saying how much was cut.
fn capped(mut message: String) -> String {
    if message.len() <= MAX_MESSAGE_BYTES {
        return message;
    }
    let mut end = MAX_MESSAGE_BYTES - 64;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    let cut = message.len() - end;
    message.truncate(end);
    message.push_str(&format!("… ({cut} more bytes cut)"));
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_at_a_character_boundary_saying_how_much() {
        assert_eq!(capped("short".to_owned()), "short");
        let long = "é".repeat(5000);
        let cut = capped(long);
        assert!(cut.len() <= MAX_MESSAGE_BYTES, "{}", cut.len());
        assert!(
            cut.ends_with("… (5968 more bytes cut)"),
            "{}",
            &cut[cut.len() - 40..]
        );
    }
}
