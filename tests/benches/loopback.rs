//! Latency, throughput, start-up time and idle memory of the bundled `hello` module, in process and
//! over loopback gRPC, next to a native Rust function doing the same work.
//!
//! Run it with `cargo bench -p xfn-tests --bench loopback`. It builds the release binary itself
//! (`cargo build --release -p function-wasmtime --bin function-wasmtime`, a no-op when it is
//! fresh), prints progress on stderr and one markdown report on stdout; docs/performance.md explains
//! the rows. Every loop is bounded and every socket is on 127.0.0.1.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use function_wasmtime::host::{Host, HostConfig, Limits};
use function_wasmtime::modules::{CompileCache, ModuleRegistry, ModuleRequest, ModuleSource};
use function_wasmtime::step::StepRunner;
use function_wasmtime::transcode::Transcoder;
use serde_json::{Value, json};
use sha2::Digest as _;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};
use xfn_proto::pbjson_types::{self, Struct, value::Kind};
use xfn_proto::prost::Message as _;
use xfn_proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
use xfn_proto::v1::function_runner_service_server::{
    FunctionRunnerService, FunctionRunnerServiceServer,
};
use xfn_proto::v1::{
    Ready, Resource, ResponseMeta, Result as StepResult, RunFunctionRequest, RunFunctionResponse,
    Severity,
};
use xfn_tests::{TestServer, built_module, greeting_xr, inline_input, module_input, request, root};

/// The bundled patch-and-transform module on 1, 10 and 100 composed resources.
mod pt;

/// The protojson a module reads for `request`, its `input` as is: what the step hands a module
/// whose config is `request.input`.
fn to_protojson(request: &RunFunctionRequest) -> Vec<u8> {
    static TRANSCODER: std::sync::LazyLock<Transcoder> = std::sync::LazyLock::new(Transcoder::new);
    let input = request.input.as_ref().map(|input| {
        TRANSCODER
            .struct_json(&input.encode_to_vec(), "input")
            .expect("bench inputs transcode")
    });
    TRANSCODER
        .request_json(&request.encode_to_vec(), input.as_deref())
        .expect("bench requests transcode")
}

/// Calls made and thrown away before each measured in-process loop: compile, caches.
const WARM_UP: usize = 100;
/// Calls made and thrown away before each measured gRPC loop: connection set-up, HTTP/2 windows.
const GRPC_WARM_UP: usize = 24;
/// Measured in-process calls per scenario with the small request.
const SMALL_CALLS: usize = 2000;
/// Measured in-process calls per scenario with the large request.
const LARGE_CALLS: usize = 400;
/// Measured gRPC calls per scenario with the small request.
const GRPC_SMALL_CALLS: usize = 2000;
/// Measured gRPC calls per scenario with the large request.
const GRPC_LARGE_CALLS: usize = 400;
/// Measured calls of the native server without TCP_NODELAY, the row that shows what Nagle costs.
const NAGLE_CALLS: usize = 50;
/// Concurrent callers in the concurrency scenarios.
const CALLERS: usize = 8;
/// Observed composed resources in the large request (about 1 KB each).
const LARGE_RESOURCES: usize = 100;
/// Starts of the release binary per configuration; the report shows the median and every run.
const STARTS: usize = 3;
/// How long a started binary may take to accept a connection, answer, or prepare every bundled
/// module, before the bench gives up.
const START_DEADLINE: Duration = Duration::from_secs(120);
/// How long the server sits idle, after it has answered and prepared every bundled module, before
/// its RSS is read.
const SETTLE: Duration = Duration::from_secs(1);
/// How long a SIGTERMed server may take to drain and exit.
const STOP_DEADLINE: Duration = Duration::from_secs(10);

/// A reactor that does no work: it answers `{}` whatever the request. Through the step runner it
/// costs only what the host adds to every call (Input, transcode, instantiate, limits, response).
const EMPTY_REACTOR: &str = r#"(module
  (import "xfn" "set_output" (func $set_output (param i32 i32)))
  (memory (export "memory") 8)
  (data (i32.const 0) "{}")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func (export "xfn_run_v1") (param i32 i32) (result i32)
    (call $set_output (i32.const 0) (i32.const 2))
    i32.const 0))"#;

fn main() {
    let machine = Machine::read();
    eprintln!("loopback: building the release binary");
    let binary = build_binary();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let report = runtime.block_on(run_all(&binary));
    print!("{}", report.markdown(&machine));
}

async fn run_all(binary: &Path) -> Report {
    let mut report = Report::default();
    let runner = bench_runner();
    let small = request(
        "bench",
        greeting_xr("World"),
        module_input("hello", json!({})),
    );
    let large = with_observed_resources(small.clone(), LARGE_RESOURCES);
    let empty_small = with_input(small.clone(), inline_input(EMPTY_REACTOR, json!({})));
    let empty_large = with_input(large.clone(), inline_input(EMPTY_REACTOR, json!({})));

    eprintln!("loopback: in process");
    for (name, request, calls) in [
        ("small", &small, SMALL_CALLS),
        ("large", &large, LARGE_CALLS),
    ] {
        let samples = time_calls(
            calls,
            || request.clone(),
            |request| step(&runner, request, Expect::Hello),
        )
        .await;
        report.latency(
            format!("in process, `StepRunner::run`, hello, {name}"),
            request,
            &samples,
            None,
        );
        let samples = time_calls(
            calls,
            || request.clone(),
            |request| async { expect(&native_hello(request), Expect::Hello) },
        )
        .await;
        report.latency(
            format!("in process, native Rust hello, {name}"),
            request,
            &samples,
            None,
        );
    }
    for (name, request, calls) in [
        ("small", &empty_small, SMALL_CALLS),
        ("large", &empty_large, LARGE_CALLS),
    ] {
        let samples = time_calls(
            calls,
            || request.clone(),
            |request| step(&runner, request, Expect::Empty),
        )
        .await;
        report.latency(
            format!("in process, `StepRunner::run`, empty reactor, {name}"),
            request,
            &samples,
            None,
        );
    }
    breakdown(&mut report, &runner, &small, &large).await;

    eprintln!("loopback: gRPC");
    let server = TestServer::start(runner.clone(), None).await;
    let native = NativeServer::start(NativeHello, true).await;
    for (name, request, calls) in [
        ("small", &small, GRPC_SMALL_CALLS),
        ("large", &large, GRPC_LARGE_CALLS),
    ] {
        for (who, channel) in [
            ("hello module", server.channel().await),
            ("native Rust hello", native.channel().await),
        ] {
            let samples = sequential(&channel, request, calls).await;
            report.latency(
                format!("gRPC sequential, {who}, {name}"),
                request,
                &samples,
                None,
            );
            let (samples, wall) = concurrent(&channel, request, calls).await;
            let rate = throughput(samples.len(), wall);
            report.latency(
                format!("gRPC {CALLERS} callers, {who}, {name}"),
                request,
                &samples,
                Some(rate),
            );
        }
    }
    pt::run(&mut report, &runner, &server).await;
    server.stop().await;
    native.stop().await;
    // The same native server, its accepted sockets left with Nagle's algorithm on, as tonic leaves
    // an incoming stream it is handed (it ignores `tcp_nodelay` then): what `server::serve` would
    // cost if it stopped setting TCP_NODELAY itself.
    let nagle = NativeServer::start(NativeHello, false).await;
    let samples = sequential(&nagle.channel().await, &small, NAGLE_CALLS).await;
    report.latency(
        "gRPC sequential, native Rust hello without TCP_NODELAY, small".to_owned(),
        &small,
        &samples,
        None,
    );
    nagle.stop().await;

    eprintln!("loopback: the release binary");
    let cold: Vec<Start> = bounded_starts(binary, None, &small).await;
    let cache_dir = tempfile::tempdir().expect("a temporary directory");
    // The first start with an empty --cache-dir compiles every bundled module and writes it there
    // (a start waits for that); the measured ones load them.
    start_binary(binary, Some(cache_dir.path()), &small).await;
    let warm: Vec<Start> = bounded_starts(binary, Some(cache_dir.path()), &small).await;
    report.starts.push((
        "no `--cache-dir` (Cranelift compiles the bundled modules)".to_owned(),
        cold,
    ));
    report
        .starts
        .push(("`--cache-dir` already filled".to_owned(), warm));
    report.binary_bytes = std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0);
    report
}

/// A step runner sized like `serve` (one call slot per CPU) with default maxima, its compiled
/// modules cached under the target directory so reruns skip Cranelift.
fn bench_runner() -> Arc<StepRunner> {
    let max_concurrency = std::thread::available_parallelism().map_or(2, usize::from);
    let host = Host::new(HostConfig {
        maxima: Limits::DEFAULT_MAXIMA,
        max_concurrency,
    })
    .expect("the host starts");
    let cache = CompileCache::open(&target_dir().join("bench-cache"))
        .expect("the cache directory can be created");
    Arc::new(StepRunner::new(Arc::new(ModuleRegistry::new(
        Arc::new(host),
        None,
        Some(cache),
    ))))
}

/// Times the parts of a hello call that the public API exposes, to show where the host's time goes.
async fn breakdown(
    report: &mut Report,
    runner: &StepRunner,
    small: &RunFunctionRequest,
    large: &RunFunctionRequest,
) {
    let registry = runner.registry();
    let hello = ModuleRequest {
        source: ModuleSource::Named("hello".to_owned()),
        sha256: None,
    };
    let samples = time_calls(
        SMALL_CALLS,
        || (),
        |()| async {
            registry.resolve(&hello).await.expect("hello is bundled");
        },
    )
    .await;
    report.part(
        "`ModuleRegistry::resolve(\"hello\")` (bundled, already compiled)",
        &samples,
    );

    let wasm = std::fs::read(built_module("hello")).expect("the build script built hello.wasm");
    let samples = time_calls(
        SMALL_CALLS,
        || (),
        |()| async {
            std::hint::black_box(sha2::Sha256::digest(&wasm));
        },
    )
    .await;
    report.part(
        &format!("sha256 of hello.wasm ({} bytes)", wasm.len()),
        &samples,
    );

    let mut guest_request = small.clone();
    guest_request.input = None;
    let samples = time_calls(
        SMALL_CALLS,
        || (),
        |()| async {
            std::hint::black_box(to_protojson(&guest_request));
        },
    )
    .await;
    report.part(
        "`to_protojson` of the request (host → guest transcode)",
        &samples,
    );

    let module = registry.resolve(&hello).await.expect("hello is bundled");
    let bytes = to_protojson(&guest_request);
    let output = registry
        .host()
        .call(module.clone(), bytes.clone(), Limits::DEFAULT)
        .await
        .expect("hello runs");
    let samples = time_calls(
        SMALL_CALLS,
        || (),
        |()| async {
            registry
                .host()
                .call(module.clone(), bytes.clone(), Limits::DEFAULT)
                .await
                .expect("hello runs");
        },
    )
    .await;
    report.part(
        "`Host::call` of hello, small request (queue, blocking thread, instantiate, run)",
        &samples,
    );

    let samples = time_calls(
        SMALL_CALLS,
        || (),
        |()| async {
            std::hint::black_box(
                serde_json::from_slice::<RunFunctionResponse>(&output)
                    .expect("hello's output parses"),
            );
        },
    )
    .await;
    report.part("parse hello's response (guest → host transcode)", &samples);

    let mut guest_request = large.clone();
    guest_request.input = None;
    let size = to_protojson(&guest_request).len();
    let samples = time_calls(
        LARGE_CALLS,
        || (),
        |()| async {
            std::hint::black_box(to_protojson(&guest_request));
        },
    )
    .await;
    report.part(
        &format!("`to_protojson` of the large request ({size} bytes of JSON)"),
        &samples,
    );
    let samples = time_calls(
        LARGE_CALLS,
        || (),
        |()| async {
            std::hint::black_box(serde_json::to_vec(&guest_request).expect("serialisable"));
        },
    )
    .await;
    report.part(
        "`serde_json::to_vec` of the large request (no `Value` in between)",
        &samples,
    );
    let encoded = large.encode_to_vec();
    let samples = time_calls(
        LARGE_CALLS,
        || (),
        |()| async {
            std::hint::black_box(RunFunctionRequest::decode(encoded.as_slice()).expect("decodes"));
        },
    )
    .await;
    report.part(
        &format!(
            "protobuf decode of the large request ({} bytes)",
            encoded.len()
        ),
        &samples,
    );

    // hello on the large request through the host alone: mostly the guest parsing what it is given.
    let module = registry.resolve(&hello).await.expect("hello is bundled");
    let bytes = to_protojson(&guest_request);
    let samples = time_calls(
        LARGE_CALLS,
        || bytes.clone(),
        |bytes| async {
            registry
                .host()
                .call(module.clone(), bytes, Limits::DEFAULT)
                .await
                .expect("hello runs");
        },
    )
    .await;
    report.part("`Host::call` of hello, large request", &samples);

    // The empty reactor through the host alone: queue, blocking thread, a fresh instance, the
    // request copied into its memory, limits; no step, no transcode, no guest work.
    let empty = ModuleRequest {
        source: ModuleSource::Inline(wat::parse_str(EMPTY_REACTOR).expect("valid WAT")),
        sha256: None,
    };
    let module = registry
        .resolve(&empty)
        .await
        .expect("the empty reactor compiles");
    for (name, request, calls) in [("small", small, SMALL_CALLS), ("large", large, LARGE_CALLS)] {
        let bytes = to_protojson(request);
        let samples = time_calls(
            calls,
            || bytes.clone(),
            |bytes| async {
                registry
                    .host()
                    .call(module.clone(), bytes, Limits::DEFAULT)
                    .await
                    .expect("the empty reactor runs");
            },
        )
        .await;
        report.part(
            &format!(
                "`Host::call` of the empty reactor, {name} request ({} bytes of JSON)",
                bytes.len()
            ),
            &samples,
        );
    }
}

/// What a response must hold for the call to count.
#[derive(Clone, Copy)]
enum Expect {
    /// hello's ConfigMap and its Normal result.
    Hello,
    /// The empty reactor: no results.
    Empty,
}

fn expect(response: &RunFunctionResponse, expect: Expect) {
    let fine = match expect {
        Expect::Hello => {
            response
                .desired
                .as_ref()
                .is_some_and(|d| d.resources.contains_key("hello"))
                && response
                    .results
                    .first()
                    .is_some_and(|r| r.severity == i32::from(Severity::Normal))
        }
        Expect::Empty => response.results.is_empty(),
    };
    assert!(
        fine,
        "unexpected response: {}",
        serde_json::to_string(response).unwrap_or_default()
    );
}

async fn step(runner: &StepRunner, request: RunFunctionRequest, what: Expect) {
    expect(&runner.run(request).await, what);
}

async fn grpc_call(
    client: &mut FunctionRunnerServiceClient<Channel>,
    request: RunFunctionRequest,
    what: Expect,
) {
    let response = client
        .run_function(request)
        .await
        .expect("the call succeeds")
        .into_inner();
    expect(&response, what);
}

/// Runs `call` [`WARM_UP`] times, then `calls` times, timing each call but not `prepare`, which
/// makes its argument (a request clone costs tens of µs for the large request).
async fn time_calls<I, P, F, Fut>(calls: usize, mut prepare: P, mut call: F) -> Vec<Duration>
where
    P: FnMut() -> I,
    F: FnMut(I) -> Fut,
    Fut: Future<Output = ()>,
{
    for _ in 0..WARM_UP {
        call(prepare()).await;
    }
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let argument = prepare();
        let started = Instant::now();
        call(argument).await;
        samples.push(started.elapsed());
    }
    samples
}

/// One client on `channel` makes [`GRPC_WARM_UP`] calls, then `calls` timed ones, one after another.
async fn sequential(
    channel: &Channel,
    request: &RunFunctionRequest,
    calls: usize,
) -> Vec<Duration> {
    let mut client = FunctionRunnerServiceClient::new(channel.clone());
    for _ in 0..GRPC_WARM_UP {
        grpc_call(&mut client, request.clone(), Expect::Hello).await;
    }
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let request = request.clone();
        let started = Instant::now();
        grpc_call(&mut client, request, Expect::Hello).await;
        samples.push(started.elapsed());
    }
    samples
}

/// [`CALLERS`] tasks, each with its own client on a clone of `channel`, share `calls` calls; returns
/// every call's latency and the wall time of the whole run.
async fn concurrent(
    channel: &Channel,
    request: &RunFunctionRequest,
    calls: usize,
) -> (Vec<Duration>, Duration) {
    let per_caller = calls.div_ceil(CALLERS);
    let caller = |measured: usize| {
        let mut client = FunctionRunnerServiceClient::new(channel.clone());
        let request = request.clone();
        tokio::spawn(async move {
            let mut samples = Vec::with_capacity(measured);
            for _ in 0..measured {
                let request = request.clone();
                let started = Instant::now();
                grpc_call(&mut client, request, Expect::Hello).await;
                samples.push(started.elapsed());
            }
            samples
        })
    };
    let warm_ups: Vec<_> = (0..CALLERS)
        .map(|_| caller(GRPC_WARM_UP.div_ceil(CALLERS)))
        .collect();
    for task in warm_ups {
        task.await.expect("a warm-up caller does not panic");
    }
    let started = Instant::now();
    let tasks: Vec<_> = (0..CALLERS).map(|_| caller(per_caller)).collect();
    let mut samples = Vec::with_capacity(per_caller * CALLERS);
    for task in tasks {
        samples.extend(task.await.expect("a caller does not panic"));
    }
    (samples, started.elapsed())
}

fn throughput(calls: usize, wall: Duration) -> f64 {
    f64::from(u32::try_from(calls).unwrap_or(u32::MAX)) / wall.as_secs_f64()
}

/// `request` with its step Input replaced by `input`.
fn with_input(mut request: RunFunctionRequest, input: Value) -> RunFunctionRequest {
    request.input = Some(serde_json::from_value(input).expect("the Input is a JSON object"));
    request
}

/// `request` with `count` observed composed resources, each a Deployment of about 1 KB as the
/// API server returns it (labels, annotations, spec, status conditions).
fn with_observed_resources(mut request: RunFunctionRequest, count: usize) -> RunFunctionRequest {
    let resources: serde_json::Map<String, Value> = (0..count)
        .map(|i| {
            let name = format!("app-{i:03}");
            let deployment = json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": name,
                    "namespace": "default",
                    "uid": format!("6c1d2f3e-8a4b-4c5d-9e6f-{i:012}"),
                    "resourceVersion": format!("{}", 100_000 + i),
                    "generation": 3,
                    "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "greeting", "crossplane.io/composite": "world"},
                    "annotations": {"crossplane.io/composition-resource-name": name, "deployment.kubernetes.io/revision": "3"},
                    "ownerReferences": [{"apiVersion": "example.crossplane.io/v1", "kind": "XGreeting", "name": "world", "uid": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "controller": true}]
                },
                "spec": {
                    "replicas": 3,
                    "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                    "template": {
                        "metadata": {"labels": {"app.kubernetes.io/name": name}},
                        "spec": {"containers": [{
                            "name": "app",
                            "image": "ghcr.io/example/greeter:v1.2.3",
                            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}
                        }]}
                    }
                },
                "status": {
                    "observedGeneration": 3, "replicas": 3, "readyReplicas": 3, "availableReplicas": 3,
                    "conditions": [
                        {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "lastTransitionTime": "2025-11-27T07:00:00Z"},
                        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "lastTransitionTime": "2025-11-27T07:00:00Z"}
                    ]
                }
            });
            (name, json!({"resource": deployment}))
        })
        .collect();
    let observed: xfn_proto::v1::State = serde_json::from_value(json!({"resources": resources}))
        .expect("the resources are valid protojson");
    request.observed.get_or_insert_default().resources = observed.resources;
    request
}

/// hello written natively against the prost types, as a Rust function built with
/// function-sdk-rust would be: the baseline the wasm module is compared with.
fn native_hello(mut request: RunFunctionRequest) -> RunFunctionResponse {
    let xr = request
        .observed
        .as_ref()
        .and_then(|o| o.composite.as_ref())
        .and_then(|c| c.resource.as_ref());
    let who = xr
        .and_then(|xr| string_at(xr, &["spec", "who"]))
        .map(str::to_owned);
    let namespace = xr
        .and_then(|xr| string_at(xr, &["metadata", "namespace"]))
        .map(str::to_owned);
    let tag = request
        .meta
        .as_ref()
        .map(|meta| meta.tag.clone())
        .unwrap_or_default();
    let mut response = RunFunctionResponse {
        meta: Some(ResponseMeta {
            tag,
            ttl: Some(pbjson_types::Duration {
                seconds: 60,
                nanos: 0,
            }),
        }),
        desired: request.desired.take(),
        context: request.context.take(),
        ..RunFunctionResponse::default()
    };
    let Some(who) = who else {
        response.results.push(result(
            Severity::Fatal,
            "hello: the composite resource has no spec.who".to_owned(),
        ));
        return response;
    };
    let mut fields: HashMap<String, pbjson_types::Value> = HashMap::from([
        ("apiVersion".to_owned(), "v1".into()),
        ("kind".to_owned(), "ConfigMap".into()),
        (
            "data".to_owned(),
            HashMap::from([("greeting".to_owned(), format!("Hello, {who}!").into())]).into(),
        ),
    ]);
    if let Some(namespace) = namespace {
        fields.insert(
            "metadata".to_owned(),
            HashMap::from([("namespace".to_owned(), namespace.into())]).into(),
        );
    }
    let config_map = Resource {
        resource: Some(Struct { fields }),
        ready: Ready::True.into(),
        ..Resource::default()
    };
    response
        .desired
        .get_or_insert_default()
        .resources
        .insert("hello".to_owned(), config_map);
    response.results.push(result(
        Severity::Normal,
        format!("composed ConfigMap \"hello\" for {who}"),
    ));
    response
}

fn string_at<'a>(object: &'a Struct, path: &[&str]) -> Option<&'a str> {
    let (last, parents) = path.split_last()?;
    let mut object = object;
    for key in parents {
        match object.fields.get(*key)?.kind.as_ref()? {
            Kind::StructValue(inner) => object = inner,
            _ => return None,
        }
    }
    match object.fields.get(*last)?.kind.as_ref()? {
        Kind::StringValue(text) => Some(text),
        _ => None,
    }
}

fn result(severity: Severity, message: String) -> StepResult {
    StepResult {
        severity: severity.into(),
        message,
        ..StepResult::default()
    }
}

/// [`native_hello`] as a tonic service.
struct NativeHello;

#[tonic::async_trait]
impl FunctionRunnerService for NativeHello {
    async fn run_function(
        &self,
        request: tonic::Request<RunFunctionRequest>,
    ) -> Result<tonic::Response<RunFunctionResponse>, tonic::Status> {
        Ok(tonic::Response::new(native_hello(request.into_inner())))
    }
}

/// A tonic server of a native function (e.g. [`NativeHello`]) on `127.0.0.1:0`, bound before it serves.
struct NativeServer {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
}

impl NativeServer {
    /// Serves `function`; `nodelay` sets TCP_NODELAY on accepted sockets, as tonic's own
    /// `Server::serve` does by default.
    async fn start<F: FunctionRunnerService>(function: F, nodelay: bool) -> NativeServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("loopback has free ports");
        let address = listener
            .local_addr()
            .expect("a bound listener has an address");
        let (stop, stopped) = oneshot::channel::<()>();
        let service =
            FunctionRunnerServiceServer::new(function).max_decoding_message_size(64 * 1024 * 1024);
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(nodelay));
        let task = tokio::spawn(
            Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = stopped.await;
                }),
        );
        NativeServer {
            address,
            stop,
            task,
        }
    }

    async fn channel(&self) -> Channel {
        connect(self.address).await
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task
            .await
            .expect("the native server does not panic")
            .expect("the native server stops cleanly");
    }
}

async fn connect(address: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{address}"))
        .expect("a valid URI")
        .connect()
        .await
        .expect("the server accepts connections")
}

/// The workspace's target directory.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// Builds (or finds fresh) `target/release/function-wasmtime` with the cargo running this bench.
fn build_binary() -> PathBuf {
    xfn_tests::build_binary("release")
}

/// One start of the release binary.
struct Start {
    /// From spawn until a TCP connection to its port succeeds.
    accepting: Duration,
    /// From spawn until the first hello call has been answered.
    answered: Duration,
    /// From spawn until the log says every bundled module is ready (compiled or loaded).
    warmed: Duration,
    /// VmRSS once every bundled module is ready and [`SETTLE`] has passed, in KiB.
    rss_kib: u64,
    /// From SIGTERM until the process has exited.
    stopped: Duration,
}

async fn bounded_starts(
    binary: &Path,
    cache_dir: Option<&Path>,
    request: &RunFunctionRequest,
) -> Vec<Start> {
    let mut starts = Vec::with_capacity(STARTS);
    for _ in 0..STARTS {
        starts.push(start_binary(binary, cache_dir, request).await);
    }
    starts
}

/// Starts `function-wasmtime serve --insecure` on free loopback ports, times it to its first
/// answer and to the end of its bundled-module warm-up, reads its idle RSS, then stops it with
/// SIGTERM.
async fn start_binary(
    binary: &Path,
    cache_dir: Option<&Path>,
    request: &RunFunctionRequest,
) -> Start {
    // The binary binds its ports itself, so ask the kernel for two free ones and release them
    // (holding both until both are known, so they differ). Another process could take one in
    // between; on a bench machine nothing does.
    let bind = || std::net::TcpListener::bind("127.0.0.1:0").expect("loopback has free ports");
    let (server, metrics) = (bind(), bind());
    let local = |listener: &std::net::TcpListener| {
        listener
            .local_addr()
            .expect("a bound listener has an address")
    };
    let (address, metrics_address) = (local(&server), local(&metrics));
    drop((server, metrics));
    // The server appends to the log; the bench reads it by path, with an offset of its own.
    let log = tempfile::NamedTempFile::new().expect("a temporary file for the server's log");
    let stderr = std::fs::OpenOptions::new()
        .append(true)
        .open(log.path())
        .expect("the log file opens for appending");
    let mut command = Command::new(binary);
    command.args(["serve", "--insecure", "--address", &address.to_string()]);
    command.args(["--metrics-address", &metrics_address.to_string()]);
    if let Some(dir) = cache_dir {
        command.arg("--cache-dir").arg(dir);
    }
    command
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    let spawned = Instant::now();
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));

    let accepting = loop {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            break spawned.elapsed();
        }
        assert_running(&mut child, log.path(), spawned, "start serving");
        tokio::time::sleep(Duration::from_micros(200)).await;
    };
    let answered = tokio::time::timeout(START_DEADLINE, async {
        let mut client = FunctionRunnerServiceClient::new(connect(address).await);
        grpc_call(&mut client, request.clone(), Expect::Hello).await;
        spawned.elapsed()
    })
    .await
    .expect("the server answers its first call within the deadline");

    // `serve` prepares every bundled module in the background and logs "module ready" for each;
    // until then it is compiling (or loading .cwasm files), which is neither idle nor finished.
    let bundled = function_wasmtime::modules::bundled_names().len();
    let warmed = loop {
        let text = std::fs::read_to_string(log.path()).unwrap_or_default();
        if text.matches("module ready").count() >= bundled {
            break spawned.elapsed();
        }
        assert_running(
            &mut child,
            log.path(),
            spawned,
            "prepare every bundled module",
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    tokio::time::sleep(SETTLE).await;
    let rss_kib = vm_rss_kib(child.id());

    let signalled = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("cannot run kill");
    assert!(status.success(), "kill -TERM {} failed", child.id());
    let stopped = loop {
        if let Some(exit) = child.try_wait().expect("the child can be waited for") {
            assert!(
                exit.success(),
                "the server exited with {exit} after SIGTERM"
            );
            break signalled.elapsed();
        }
        if signalled.elapsed() > STOP_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not exit within {STOP_DEADLINE:?} of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    Start {
        accepting,
        answered,
        warmed,
        rss_kib,
        stopped,
    }
}

/// Panics with the server's log when it has exited, or has not done `what` within
/// [`START_DEADLINE`] (then it is killed first).
fn assert_running(child: &mut Child, log: &Path, spawned: Instant, what: &str) {
    let exited = child.try_wait().expect("the child can be waited for");
    let late = spawned.elapsed() > START_DEADLINE;
    if exited.is_none() && !late {
        return;
    }
    if late {
        let _ = child.kill();
        let _ = child.wait();
    }
    let text = std::fs::read_to_string(log).unwrap_or_default();
    panic!("the server did not {what} (exit: {exited:?}); its log:\n{text}");
}

/// `VmRSS` of process `pid`, in KiB.
fn vm_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("/proc/<pid>/status is readable");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("/proc/<pid>/status has a VmRSS line in kB")
}

/// What the numbers ran on.
struct Machine {
    cpus: usize,
    cpu_model: String,
    kernel: String,
    memory: String,
    load: String,
}

impl Machine {
    fn read() -> Machine {
        let proc_file = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpuinfo = proc_file("/proc/cpuinfo");
        let field = |text: &str, name: &str| {
            text.lines()
                .find(|line| line.starts_with(name))
                .and_then(|line| line.split_once(':'))
                .map(|(_, value)| value.trim().to_owned())
                .unwrap_or_else(|| "unknown".to_owned())
        };
        Machine {
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            cpu_model: field(&cpuinfo, "model name"),
            kernel: proc_file("/proc/sys/kernel/osrelease").trim().to_owned(),
            memory: field(&proc_file("/proc/meminfo"), "MemTotal"),
            load: proc_file("/proc/loadavg")
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// p50, p99 and mean of a set of latencies.
struct Summary {
    calls: usize,
    p50: Duration,
    p99: Duration,
    mean: Duration,
}

impl Summary {
    fn of(samples: &[Duration]) -> Summary {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let at = |percent: usize| sorted[(sorted.len() * percent).div_ceil(100).saturating_sub(1)];
        let total: Duration = sorted.iter().sum();
        Summary {
            calls: sorted.len(),
            p50: at(50),
            p99: at(99),
            mean: total / u32::try_from(sorted.len()).expect("fewer than 2^32 samples"),
        }
    }
}

/// Everything measured, printed as markdown at the end.
#[derive(Default)]
struct Report {
    latencies: Vec<(String, usize, Summary, Option<f64>)>,
    parts: Vec<(String, Summary)>,
    starts: Vec<(String, Vec<Start>)>,
    binary_bytes: u64,
}

impl Report {
    fn latency(
        &mut self,
        scenario: String,
        request: &RunFunctionRequest,
        samples: &[Duration],
        rate: Option<f64>,
    ) {
        let summary = Summary::of(samples);
        eprintln!("  {scenario}: p50 {}", micros(summary.p50));
        self.latencies
            .push((scenario, request.encoded_len(), summary, rate));
    }

    fn part(&mut self, part: &str, samples: &[Duration]) {
        self.parts.push((part.to_owned(), Summary::of(samples)));
    }

    fn p50(&self, scenario: &str) -> Option<Duration> {
        self.latencies
            .iter()
            .find(|(name, ..)| name == scenario)
            .map(|(_, _, summary, _)| summary.p50)
    }

    fn markdown(&self, machine: &Machine) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let w = &mut out;
        let _ = writeln!(w, "### Machine\n");
        let _ = writeln!(w, "| | |\n| --- | --- |");
        let _ = writeln!(
            w,
            "| CPU | {} ({} logical CPUs) |",
            machine.cpu_model, machine.cpus
        );
        let _ = writeln!(w, "| memory | {} |", machine.memory);
        let _ = writeln!(w, "| kernel | {} |", machine.kernel);
        let _ = writeln!(w, "| load average at start | {} |", machine.load);
        let _ = writeln!(w, "| release binary | {} bytes |", self.binary_bytes);

        let _ = writeln!(w, "\n### Per-call latency\n");
        let _ = writeln!(
            w,
            "| scenario | request bytes | calls | p50 µs | p99 µs | mean µs | calls/s |"
        );
        let _ = writeln!(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (scenario, bytes, s, rate) in &self.latencies {
            let rate = rate.map(|r| format!("{r:.0}")).unwrap_or_default();
            let _ = writeln!(
                w,
                "| {scenario} | {bytes} | {} | {} | {} | {} | {rate} |",
                s.calls,
                micros(s.p50),
                micros(s.p99),
                micros(s.mean)
            );
        }

        let _ = writeln!(w, "\n### Where the host's time goes (in process)\n");
        let _ = writeln!(w, "| part | calls | p50 µs | p99 µs | mean µs |");
        let _ = writeln!(w, "| --- | ---: | ---: | ---: | ---: |");
        for (part, s) in &self.parts {
            let _ = writeln!(
                w,
                "| {part} | {} | {} | {} | {} |",
                s.calls,
                micros(s.p50),
                micros(s.p99),
                micros(s.mean)
            );
        }

        let _ = writeln!(
            w,
            "\n### The release binary: `serve --insecure`, {STARTS} starts each (median, then every run)\n"
        );
        let _ = writeln!(
            w,
            "| start | accepting connections ms | first call answered ms | bundled modules ready ms | idle RSS MiB | SIGTERM → exit ms |"
        );
        let _ = writeln!(w, "| --- | ---: | ---: | ---: | ---: | ---: |");
        for (name, starts) in &self.starts {
            let column = |value: &dyn Fn(&Start) -> f64, digits: usize| {
                let mut values: Vec<f64> = starts.iter().map(value).collect();
                let runs = values
                    .iter()
                    .map(|v| format!("{v:.digits$}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                values.sort_by(f64::total_cmp);
                let median = values.get(values.len() / 2).copied().unwrap_or(f64::NAN);
                format!("{median:.digits$} ({runs})")
            };
            let _ = writeln!(
                w,
                "| {name} | {} | {} | {} | {} | {} |",
                column(&|s| millis(s.accepting), 1),
                column(&|s| millis(s.answered), 1),
                column(&|s| millis(s.warmed), 0),
                column(&|s| kib_as_mib(s.rss_kib), 1),
                column(&|s| millis(s.stopped), 1),
            );
        }

        let _ = writeln!(w, "\n### Derived\n");
        let _ = writeln!(w, "| quantity | value |\n| --- | ---: |");
        let empty = |size: &str| {
            self.p50(&format!(
                "in process, `StepRunner::run`, empty reactor, {size}"
            ))
        };
        if let Some(small) = empty("small") {
            let _ = writeln!(
                w,
                "| host overhead, small request (empty reactor p50) | {} µs |",
                micros(small)
            );
        }
        let bytes_of = |size: &str| {
            self.latencies
                .iter()
                .find(|(name, ..)| name.ends_with(&format!("empty reactor, {size}")))
                .map(|(_, bytes, ..)| *bytes)
        };
        if let (Some(small), Some(large), Some(small_bytes), Some(large_bytes)) = (
            empty("small"),
            empty("large"),
            bytes_of("small"),
            bytes_of("large"),
        ) {
            let extra_ms = large.saturating_sub(small).as_secs_f64() * 1000.0;
            let extra_mb = f64::from(
                u32::try_from(large_bytes.saturating_sub(small_bytes)).unwrap_or(u32::MAX),
            ) / 1e6;
            let _ = writeln!(
                w,
                "| host overhead per MB of request (empty reactor, large − small) | {:.2} ms/MB |",
                extra_ms / extra_mb
            );
        }
        for scenario in ["sequential", &format!("{CALLERS} callers")] {
            for size in ["small", "large"] {
                let wasm = self.p50(&format!("gRPC {scenario}, hello module, {size}"));
                let native = self.p50(&format!("gRPC {scenario}, native Rust hello, {size}"));
                if let (Some(wasm), Some(native)) = (wasm, native) {
                    let ratio = wasm.as_secs_f64() / native.as_secs_f64();
                    let _ = writeln!(
                        w,
                        "| gRPC {scenario}, {size}: hello module p50 ÷ native p50 | {ratio:.2}× |"
                    );
                }
            }
        }
        out
    }
}

fn micros(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1e6)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn kib_as_mib(kib: u64) -> f64 {
    f64::from(u32::try_from(kib).unwrap_or(u32::MAX)) / 1024.0
}
