//! How each pipeline step's Crossplane Function (of the functions file, not a WebAssembly module
//! of `functions/`) runs: function-wasmtime in process through the [`StepRunner`], other
//! Functions over gRPC when they carry `render.crossplane.io/runtime: Development`, like
//! `crossplane render`'s Development runtime (insecure, v1 first, v1beta1 when v1 answers
//! UNIMPLEMENTED).

use std::collections::BTreeMap;

use prost::Message as _;
use tonic::transport::{Channel, Endpoint};
use tracing::Instrument as _;
use xfn_proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
use xfn_proto::v1::{RunFunctionRequest, RunFunctionResponse};
use xfn_proto::v1beta1;
use xfn_proto::v1beta1::function_runner_service_client::FunctionRunnerServiceClient as BetaClient;

use super::error::{Error, Result};
use super::load::{ANNOTATION_DEVELOPMENT_TARGET, ANNOTATION_RUNTIME, Function, Inputs};
use crate::step::StepRunner;

/// This function's name; a Function with it (or whose package repository ends with it) runs in
/// process.
const THIS_FUNCTION: &str = "function-wasmtime";

/// The Development runtime's default target, as in `crossplane render`.
const DEFAULT_DEVELOPMENT_TARGET: &str = "localhost:9443";

enum Runtime {
    InProcess,
    Development(Channel),
}

/// The runtimes of the Functions a Composition's pipeline uses, connected.
pub(crate) struct Runtimes<'a> {
    runner: &'a StepRunner,
    by_name: BTreeMap<String, Runtime>,
}

impl<'a> Runtimes<'a> {
    /// Finds the Function of every step and connects to those in Development mode.
    ///
    /// # Errors
    /// A step whose Function is not in the functions file, a Function render cannot run, or an
    /// unreachable Development target.
    pub async fn start(inputs: &Inputs, runner: &'a StepRunner) -> Result<Runtimes<'a>> {
        let mut by_name = BTreeMap::new();
        for step in &inputs.composition.spec.pipeline {
            let name = &step.function_ref.name;
            if by_name.contains_key(name) {
                continue;
            }
            let function = inputs
                .functions
                .iter()
                .find(|function| function.name() == name)
                .ok_or_else(|| Error::UnknownFunction {
                    path: inputs.composition_path.clone(),
                    step: step.step.clone(),
                    function: name.clone(),
                    functions_path: inputs.functions_path.clone(),
                })?;
            by_name.insert(name.clone(), runtime(function).await?);
        }
        Ok(Runtimes { runner, by_name })
    }

    /// Calls `function` for `step`.
    ///
    /// # Errors
    /// [`Error::Call`] when a Development Function answers with a gRPC error.
    pub async fn call(
        &self,
        step: &str,
        function: &str,
        request: RunFunctionRequest,
    ) -> Result<RunFunctionResponse> {
        let channel = match self.by_name.get(function) {
            Some(Runtime::Development(channel)) => channel.clone(),
            // `start` resolved every step's Function; a step always finds its runtime.
            _ => {
                let span = tracing::warn_span!("step", name = step);
                return Ok(self.runner.run(request).instrument(span).await);
            }
        };
        call_development(channel, request)
            .await
            .map_err(|source| Error::Call {
                step: step.to_owned(),
                function: function.to_owned(),
                source,
            })
    }
}

async fn runtime(function: &Function) -> Result<Runtime> {
    if is_this_function(function) {
        return Ok(Runtime::InProcess);
    }
    let unsupported = || Error::UnsupportedRuntime {
        path: function.document.path.clone(),
        function: function.name().to_owned(),
    };
    if function.annotation(ANNOTATION_RUNTIME) != Some("Development") {
        return Err(unsupported());
    }
    let target = function
        .annotation(ANNOTATION_DEVELOPMENT_TARGET)
        .unwrap_or(DEFAULT_DEVELOPMENT_TARGET);
    let unreachable = |error: tonic::transport::Error| Error::Unreachable {
        path: function.document.path.clone(),
        function: function.name().to_owned(),
        target: target.to_owned(),
        reason: crate::error_chain(&error),
    };
    let channel = Endpoint::from_shared(endpoint_uri(target))
        .map_err(unreachable)?
        .connect()
        .await
        .map_err(unreachable)?;
    Ok(Runtime::Development(channel))
}

/// Whether a Function is function-wasmtime: by name, or by its package's repository.
fn is_this_function(function: &Function) -> bool {
    function.name() == THIS_FUNCTION
        || function
            .package()
            .is_some_and(|package| repository(package).ends_with(THIS_FUNCTION))
}

/// An OCI reference without its `@digest` and `:tag`.
fn repository(package: &str) -> &str {
    let without_digest = package.split('@').next().unwrap_or(package);
    match without_digest.rfind(':') {
        Some(colon) if colon > without_digest.rfind('/').unwrap_or(0) => &without_digest[..colon],
        _ => without_digest,
    }
}

/// An `http://host:port` URI from a gRPC target (`host:port`, `dns:///host:port`).
fn endpoint_uri(target: &str) -> String {
    let address = target
        .strip_prefix("dns:")
        .or_else(|| target.strip_prefix("passthrough:"))
        .map_or(target, |rest| {
            rest.trim_start_matches("//")
                .split_once('/')
                .map_or(rest, |(_, address)| address)
        });
    format!("http://{address}")
}

/// Calls v1, and v1beta1 when the server does not implement v1 (as Crossplane does).
async fn call_development(
    channel: Channel,
    request: RunFunctionRequest,
) -> Result<RunFunctionResponse, tonic::Status> {
    let beta_request = v1beta1::RunFunctionRequest::decode(request.encode_to_vec().as_slice())
        .expect("v1 and v1beta1 messages are wire-identical");
    match FunctionRunnerServiceClient::new(channel.clone())
        .run_function(request)
        .await
    {
        Ok(response) => Ok(response.into_inner()),
        Err(status) if status.code() == tonic::Code::Unimplemented => {
            let response = BetaClient::new(channel)
                .run_function(beta_request)
                .await?
                .into_inner();
            Ok(
                RunFunctionResponse::decode(response.encode_to_vec().as_slice())
                    .expect("v1 and v1beta1 messages are wire-identical"),
            )
        }
        Err(status) => Err(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_drops_tag_and_digest_but_keeps_a_registry_port() {
        assert_eq!(
            repository("xpkg.example.org/acme/function-wasmtime:v0.1.0"),
            "xpkg.example.org/acme/function-wasmtime"
        );
        assert_eq!(
            repository("localhost:5000/function-wasmtime@sha256:00"),
            "localhost:5000/function-wasmtime"
        );
        assert_eq!(
            repository("localhost:5000/function-wasmtime"),
            "localhost:5000/function-wasmtime"
        );
    }

    #[test]
    fn endpoint_uri_accepts_plain_and_dns_targets() {
        assert_eq!(endpoint_uri("localhost:9443"), "http://localhost:9443");
        assert_eq!(
            endpoint_uri("dns:///example.org:7443"),
            "http://example.org:7443"
        );
        assert_eq!(
            endpoint_uri("dns://8.8.8.8/example.org:7443"),
            "http://example.org:7443"
        );
    }
}
