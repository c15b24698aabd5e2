//! A loop to profile, and its CPU time per call: `cargo bench -p xfn-tests --bench profile --
//! MODE RESOURCES CALLS`, or under `perf record -g` the binary cargo built. MODE is `transcode`
//! (`Transcoder::request_json` alone), `step` (`StepRunner::run_bytes` of hello in process) or
//! `grpc` (a server and a raw-bytes client in this process); RESOURCES is the number of observed
//! Deployments in the request.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tonic::codegen::http::uri::PathAndQuery;

use function_wasmtime::host::{Host, HostConfig, Limits};
use function_wasmtime::modules::{CompileCache, ModuleRegistry};
use function_wasmtime::server::BytesCodec;
use function_wasmtime::step::StepRunner;
use serde_json::{Value, json};
use xfn_proto::prost::Message as _;
use xfn_proto::v1::RunFunctionRequest;
use xfn_tests::{TestServer, greeting_xr, module_input, request, root};

/// `request` with `count` observed Deployments of about 1 KB, as the API server returns them.
fn with_observed(mut request: RunFunctionRequest, count: usize) -> RunFunctionRequest {
    let resources: serde_json::Map<String, Value> = (0..count)
        .map(|i| {
            let name = format!("app-{i:03}");
            let deployment = json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": "default", "uid": format!("6c1d2f3e-8a4b-4c5d-9e6f-{i:012}"),
                    "resourceVersion": format!("{}", 100_000 + i), "generation": 3,
                    "labels": {"app.kubernetes.io/name": name, "crossplane.io/composite": "world"},
                    "annotations": {"crossplane.io/composition-resource-name": name}},
                "spec": {"replicas": 3, "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                    "template": {"metadata": {"labels": {"app.kubernetes.io/name": name}},
                        "spec": {"containers": [{"name": "app", "image": "ghcr.io/example/greeter:v1.2.3",
                            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}},
                "status": {"observedGeneration": 3, "replicas": 3, "readyReplicas": 3,
                    "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "lastTransitionTime": "2025-11-27T07:00:00Z"}]}
            });
            (name, json!({"resource": deployment}))
        })
        .collect();
    let observed: xfn_proto::v1::State =
        serde_json::from_value(json!({"resources": resources})).unwrap();
    request.observed.get_or_insert_default().resources = observed.resources;
    request
}

/// utime + stime of this process, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mode = args.first().map_or("step", String::as_str).to_owned();
    let resources: usize = args.get(1).map_or(10, |a| a.parse().unwrap());
    let calls: usize = args.get(2).map_or(5000, |a| a.parse().unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let host = Host::new(HostConfig {
            maxima: Limits::DEFAULT_MAXIMA,
            max_concurrency: 2,
        })
        .unwrap();
        let cache = CompileCache::open(&root().join("target/bench-cache")).unwrap();
        let runner = Arc::new(StepRunner::new(Arc::new(ModuleRegistry::new(
            Arc::new(host),
            None,
            Some(cache),
        ))));
        let request = with_observed(
            request("p", greeting_xr("World"), module_input("hello", json!({}))),
            resources,
        );
        let body = request.encode_to_vec();
        eprintln!("{} bytes", body.len());
        let cpu_before = cpu_seconds();
        let started = if mode == "transcode" {
            let transcoder = function_wasmtime::transcode::Transcoder::new();
            let started = Instant::now();
            let mut len = 0;
            for _ in 0..calls {
                len = transcoder.request_json(&body, Some(b"{}")).unwrap().len();
            }
            eprintln!("{len} bytes of JSON");
            started
        } else if mode == "step" {
            for _ in 0..100 {
                runner.run_bytes(body.clone().into()).await.unwrap();
            }
            let started = Instant::now();
            for _ in 0..calls {
                runner.run_bytes(body.clone().into()).await.unwrap();
            }
            started
        } else {
            // The client sends the encoded body as bytes, so the profile is nearly all server.
            let server = TestServer::start(runner, None).await;
            let mut client = tonic::client::Grpc::new(server.channel().await);
            let path = PathAndQuery::from_static(
                "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction",
            );
            let body = Bytes::from(body);
            let mut call = async || {
                client.ready().await.unwrap();
                let request = tonic::Request::new(body.clone());
                client
                    .unary::<Bytes, Bytes, BytesCodec>(request, path.clone(), BytesCodec)
                    .await
                    .unwrap();
            };
            for _ in 0..100 {
                call().await;
            }
            let started = Instant::now();
            for _ in 0..calls {
                call().await;
            }
            started
        };
        let cpu = cpu_seconds() - cpu_before;
        eprintln!(
            "{mode}: {:.1} µs/call wall, {:.1} µs/call CPU",
            started.elapsed().as_secs_f64() * 1e6 / calls as f64,
            cpu * 1e6 / calls as f64
        );
    });
}
