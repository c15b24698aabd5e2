//! The bundled patch-and-transform module on a realistic composition of 1, 10 and 100 composed
//! resources: in process through `StepRunner`, and over loopback gRPC, each next to the same
//! module code built natively (the `patch-and-transform` crate as an rlib) and called on the same
//! protojson the host hands the module.

use std::time::{Duration, Instant};

use function_wasmtime::host::Limits;
use function_wasmtime::modules::{ModuleRequest, ModuleSource};
use function_wasmtime::step::StepRunner;
use serde_json::{Map, Value, json};
use tonic::transport::Channel;
use xfn_proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
use xfn_proto::v1::function_runner_service_server::FunctionRunnerService;
use xfn_proto::v1::{RunFunctionRequest, RunFunctionResponse};
use xfn_tests::{TestServer, module_input};

use super::{GRPC_WARM_UP, Report, time_calls, to_protojson};

/// Composed resources per composition in the three scenarios.
const SIZES: [usize; 3] = [1, 10, 100];

/// Measured calls per scenario, in process and over gRPC: fewer for the larger compositions, whose
/// calls take longer.
fn calls(resources: usize) -> usize {
    match resources {
        1 => 1000,
        10 => 400,
        _ => 100,
    }
}

/// Adds the patch-and-transform rows to `report`: per size, the module through `runner` and the
/// native build in process, then both over loopback gRPC (`server` serves `runner`); and the parts
/// of an in-process call: resolving the bundled module, and `Host::call` alone.
pub(super) async fn run(report: &mut Report, runner: &StepRunner, server: &TestServer) {
    eprintln!("loopback: patch-and-transform");
    let registry = runner.registry();
    let named = ModuleRequest {
        source: ModuleSource::Named("patch-and-transform".to_owned()),
        sha256: None,
    };
    let samples = time_calls(
        calls(1),
        || (),
        |()| async {
            registry
                .resolve(&named)
                .await
                .expect("patch-and-transform is bundled");
        },
    )
    .await;
    report.part(
        "`ModuleRegistry::resolve(\"patch-and-transform\")` (bundled, already compiled)",
        &samples,
    );
    let module = registry
        .resolve(&named)
        .await
        .expect("patch-and-transform is bundled");
    let native = super::NativeServer::start(NativePt, true).await;
    for resources in SIZES {
        let request = pt_request(resources);
        let calls = calls(resources);
        let bytes = to_protojson(&with_config_as_input(request.clone()));
        let samples = time_calls(
            calls,
            || (),
            |()| async {
                registry
                    .host()
                    .call(module.clone(), bytes.clone(), Limits::DEFAULT)
                    .await
                    .expect("patch-and-transform runs");
            },
        )
        .await;
        report.part(
            &format!(
                "`Host::call` of patch-and-transform, {resources} resources ({} bytes of JSON)",
                bytes.len()
            ),
            &samples,
        );
        let samples = time_calls(
            calls,
            || request.clone(),
            |request| async move { check(&runner.run(request).await, resources) },
        )
        .await;
        report.latency(
            format!("in process, `StepRunner::run`, patch-and-transform, {resources} resources"),
            &request,
            &samples,
            None,
        );
        let samples = time_calls(
            calls,
            || request.clone(),
            |request| async move { check(&native_pt(request), resources) },
        )
        .await;
        report.latency(
            format!("in process, native patch-and-transform, {resources} resources"),
            &request,
            &samples,
            None,
        );
        for (who, channel) in [
            ("patch-and-transform module", server.channel().await),
            ("native patch-and-transform", native.channel().await),
        ] {
            let samples = sequential(&channel, &request, calls, resources).await;
            report.latency(
                format!("gRPC sequential, {who}, {resources} resources"),
                &request,
                &samples,
                None,
            );
        }
    }
    native.stop().await;
}

/// The native build of the module's handler, given what the host gives the module: the request's
/// protojson with the step's `config` as its `input`, and the response parsed back.
fn native_pt(request: RunFunctionRequest) -> RunFunctionResponse {
    let bytes = to_protojson(&with_config_as_input(request));
    let outcome = xfn_sdk::run_json(&bytes, patch_and_transform::compose);
    assert_eq!(
        outcome.status,
        xfn_sdk::STATUS_OK,
        "the native handler runs"
    );
    serde_json::from_slice(&outcome.output).expect("the native handler's output is a response")
}

/// `request` as the host hands it to the module: the step Input's `config` as the `input`.
fn with_config_as_input(mut request: RunFunctionRequest) -> RunFunctionRequest {
    let config = request
        .input
        .as_ref()
        .and_then(|input| input.fields.get("config"))
        .cloned();
    request.input = config.and_then(|value| match value.kind {
        Some(xfn_proto::pbjson_types::value::Kind::StructValue(config)) => Some(config),
        _ => None,
    });
    request
}

/// A call counts when it composed every resource and reported nothing.
fn check(response: &RunFunctionResponse, resources: usize) {
    let composed = response.desired.as_ref().map_or(0, |d| d.resources.len());
    assert!(
        composed == resources && response.results.is_empty(),
        "unexpected response: {}",
        serde_json::to_string(response).unwrap_or_default()
    );
}

/// One client on `channel` makes [`GRPC_WARM_UP`] calls, then `calls` timed ones.
async fn sequential(
    channel: &Channel,
    request: &RunFunctionRequest,
    calls: usize,
    resources: usize,
) -> Vec<Duration> {
    let mut client = FunctionRunnerServiceClient::new(channel.clone());
    let mut samples = Vec::with_capacity(calls);
    for call in 0..GRPC_WARM_UP + calls {
        let request = request.clone();
        let started = Instant::now();
        let response = client
            .run_function(request)
            .await
            .expect("the call succeeds")
            .into_inner();
        let elapsed = started.elapsed();
        check(&response, resources);
        if call >= GRPC_WARM_UP {
            samples.push(elapsed);
        }
    }
    samples
}

/// A P&T composition of `resources` S3 buckets, each with a PatchSet, a map and a clamp, a
/// combine, a ToComposite patch, a readiness check and a connection detail; every bucket is
/// observed (about 0.8 KB each) and ready.
fn pt_request(resources: usize) -> RunFunctionRequest {
    let templates: Vec<Value> = (0..resources)
        .map(|i| {
            json!({
                "name": format!("bucket-{i:03}"),
                "base": {
                    "apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket",
                    "metadata": {"labels": {"app.kubernetes.io/component": "storage"}},
                    "spec": {"forProvider": {"forceDestroy": false}, "deletionPolicy": "Delete"},
                },
                "patches": [
                    {"type": "PatchSet", "patchSetName": "common"},
                    {"type": "CombineFromComposite", "toFieldPath": "metadata.annotations[crossplane.io/external-name]",
                     "combine": {"variables": [{"fromFieldPath": "spec.project"}, {"fromFieldPath": "spec.region"}], "strategy": "string", "string": {"fmt": format!("%s-%s-{i:03}")}}},
                    {"fromFieldPath": "spec.size", "toFieldPath": "spec.forProvider.storageClass", "transforms": [
                        {"type": "string", "string": {"type": "Convert", "convert": "ToLower"}},
                        {"type": "map", "map": {"small": "ONEZONE_IA", "large": "STANDARD"}},
                    ]},
                    {"fromFieldPath": "spec.retentionDays", "toFieldPath": "spec.forProvider.retentionDays", "transforms": [
                        {"type": "math", "math": {"type": "ClampMin", "clampMin": 7}},
                    ]},
                    {"type": "ToCompositeFieldPath", "fromFieldPath": "status.atProvider.arn", "toFieldPath": format!("status.buckets.bucket-{i:03}")},
                ],
                "readinessChecks": [{"type": "MatchCondition", "matchCondition": {"type": "Ready", "status": "True"}}],
                "connectionDetails": [{"name": format!("bucket-{i:03}-arn"), "type": "FromFieldPath", "fromFieldPath": "status.atProvider.arn"}],
            })
        })
        .collect();
    let config = json!({
        "apiVersion": "pt.fn.crossplane.io/v1beta1",
        "kind": "Resources",
        "patchSets": [{"name": "common", "patches": [
            {"fromFieldPath": "metadata.labels", "toFieldPath": "metadata.labels", "policy": {"toFieldPath": "MergeObjects"}},
            {"fromFieldPath": "spec.region", "toFieldPath": "spec.forProvider.region"},
        ]}],
        "resources": templates,
    });
    let observed: Map<String, Value> = (0..resources)
        .map(|i| {
            let name = format!("bucket-{i:03}");
            let arn = format!("arn:aws:s3:::acme-eu-west-1-{i:03}");
            let bucket = json!({
                "apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket",
                "metadata": {
                    "name": format!("acme-{i:03}-x7k2p"),
                    "uid": format!("6c1d2f3e-8a4b-4c5d-9e6f-{i:012}"),
                    "labels": {"app.kubernetes.io/component": "storage", "crossplane.io/composite": "acme"},
                    "annotations": {"crossplane.io/composition-resource-name": name, "crossplane.io/external-name": format!("acme-eu-west-1-{i:03}")},
                },
                "spec": {"forProvider": {"region": "eu-west-1", "forceDestroy": false}, "deletionPolicy": "Delete"},
                "status": {
                    "atProvider": {"arn": arn, "id": format!("acme-eu-west-1-{i:03}"), "region": "eu-west-1"},
                    "conditions": [
                        {"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2025-11-27T07:00:00Z"},
                        {"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "2025-11-27T07:00:00Z"},
                    ],
                },
            });
            (name, json!({"resource": bucket}))
        })
        .collect();
    let json = json!({
        "meta": {"tag": "bench"},
        "observed": {
            "composite": {"resource": {
                "apiVersion": "acme.example.org/v1", "kind": "XStorage",
                "metadata": {"name": "acme", "labels": {"team": "platform", "env": "prod"}},
                "spec": {"region": "eu-west-1", "project": "acme", "size": "Large", "retentionDays": 3},
            }},
            "resources": observed,
        },
        "input": module_input("patch-and-transform", json!({"config": config})),
        "context": {"apiextensions.crossplane.io/environment": {"apiVersion": "internal.crossplane.io/v1alpha1", "kind": "Environment"}},
    });
    serde_json::from_value(json).expect("the bench request is valid protojson")
}

/// [`native_pt`] as a tonic service.
struct NativePt;

#[tonic::async_trait]
impl FunctionRunnerService for NativePt {
    async fn run_function(
        &self,
        request: tonic::Request<RunFunctionRequest>,
    ) -> Result<tonic::Response<RunFunctionResponse>, tonic::Status> {
        Ok(tonic::Response::new(native_pt(request.into_inner())))
    }
}
