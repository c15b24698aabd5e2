//! The metrics and probe endpoint: steps counted by module and outcome, probes, and a server that
//! keeps answering while a client holds a thousand idle connections.

use std::net::SocketAddr;

use function_wasmtime::host::Limits;
use function_wasmtime::server::serve_metrics;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use xfn_tests::{TestServer, greeting_xr, module_input, request, runner, runner_with};

/// One GET over a new connection, asking the server to close it, and the whole response.
async fn get(address: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(address)
        .await
        .expect("the metrics server accepts");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("the response is read");
    response
}

/// A metrics endpoint on `127.0.0.1:0` for `runner`, readiness from `ready`; stop it with the sender.
async fn start(
    runner: std::sync::Arc<function_wasmtime::step::StepRunner>,
    ready: watch::Receiver<bool>,
) -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("bound");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_metrics(listener, runner, ready, async {
        let _ = stopped.await;
    }));
    (address, stop, server)
}

#[tokio::test]
async fn metrics_count_steps_by_module_and_outcome() {
    let runner = runner_with(None, Limits::DEFAULT_MAXIMA);
    let hello = module_input("hello", json!({}));
    runner
        .run(request("m1", greeting_xr("World"), hello.clone()))
        .await;
    runner
        .run(request(
            "m2",
            greeting_xr("World"),
            module_input("nope", json!({})),
        ))
        .await;
    let no_who = json!({"apiVersion": "example.crossplane.io/v1", "kind": "XGreeting", "spec": {}});
    runner.run(request("m3", no_who, hello)).await;
    let (_ready, readiness) = watch::channel(true);
    let (address, stop, server) = start(runner, readiness).await;

    let metrics = get(address, "/metrics").await;
    let not_found = get(address, "/other").await;
    let _ = stop.send(());
    server.await.expect("the metrics server stops");

    assert!(
        metrics.starts_with("HTTP/1.1 200 OK\r\ncontent-type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n"),
        "{metrics}"
    );
    for line in [
        "function_wasmtime_steps_total{module=\"hello\",outcome=\"fatal_result\"} 1\n",
        "function_wasmtime_steps_total{module=\"hello\",outcome=\"ok\"} 1\n",
        "function_wasmtime_steps_total{module=\"unknown\",outcome=\"failed\"} 1\n",
        "function_wasmtime_step_duration_seconds_count 3\n",
        "# TYPE process_resident_memory_bytes gauge\n",
    ] {
        assert!(metrics.contains(line), "missing {line:?} in:\n{metrics}");
    }
    assert!(
        !metrics.contains("nope"),
        "a name that is no module must not become a series:\n{metrics}"
    );
    assert!(metrics.ends_with("# EOF\n"), "{metrics}");
    assert!(
        not_found.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{not_found}"
    );
}

#[tokio::test]
async fn probes_say_healthy_and_ready_until_the_drain_starts() {
    let (ready, readiness) = watch::channel(true);
    let (address, stop, server) = start(runner(), readiness).await;

    let healthy = get(address, "/healthz").await;
    let serving = get(address, "/readyz").await;
    ready.send(false).expect("the endpoint watches readiness");
    let draining = get(address, "/readyz").await;
    let still_healthy = get(address, "/healthz").await;
    let _ = stop.send(());
    server.await.expect("the metrics server stops");

    assert!(
        healthy.starts_with("HTTP/1.1 200 OK\r\n") && healthy.ends_with("\r\n\r\nok\n"),
        "{healthy}"
    );
    assert!(
        serving.starts_with("HTTP/1.1 200 OK\r\n") && serving.ends_with("\r\n\r\nready\n"),
        "{serving}"
    );
    assert!(
        draining.starts_with("HTTP/1.1 503 Service Unavailable\r\n")
            && draining.ends_with("\r\n\r\nnot ready: draining\n"),
        "{draining}"
    );
    assert!(
        still_healthy.starts_with("HTTP/1.1 200 OK\r\n"),
        "{still_healthy}"
    );
}

/// Idle connections a client opens and never uses.
const IDLE_CONNECTIONS: usize = 1000;

#[tokio::test]
async fn a_thousand_idle_connections_stop_neither_metrics_nor_run_function() {
    let (_ready, readiness) = watch::channel(true);
    let (metrics_address, stop, metrics_server) = start(runner(), readiness).await;
    let grpc = TestServer::start(runner(), None).await;
    let mut idle = Vec::with_capacity(2 * IDLE_CONNECTIONS);
    for address in [metrics_address, grpc.address] {
        for _ in 0..IDLE_CONNECTIONS {
            idle.push(
                TcpStream::connect(address)
                    .await
                    .expect("the server accepts"),
            );
        }
    }

    let metrics = get(metrics_address, "/metrics").await;
    let response = grpc
        .client()
        .await
        .run_function(request(
            "busy",
            greeting_xr("World"),
            module_input("hello", json!({})),
        ))
        .await
        .expect("RunFunction is served")
        .into_inner();
    drop(idle);
    let _ = stop.send(());
    metrics_server.await.expect("the metrics server stops");
    grpc.stop().await;

    assert!(metrics.starts_with("HTTP/1.1 200 OK\r\n"), "{metrics}");
    assert_eq!(
        response.results[0].message,
        "composed ConfigMap \"hello\" for World"
    );
}

/// Reads from `stream` until the server closes it; under paused time the server's timers fire as
/// soon as nothing else can run, so this returns at once when the server closes silent
/// connections, and fails after an hour of virtual time when it does not.
async fn closed_by_server(mut stream: TcpStream) -> bool {
    let mut buffer = [0u8; 64];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(3600), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    });
    closed.await.is_ok()
}

#[tokio::test(start_paused = true)]
async fn silent_connections_are_closed_so_they_free_their_slots() {
    let (_ready, readiness) = watch::channel(true);
    let (metrics_address, stop, metrics_server) = start(runner(), readiness).await;
    let grpc = TestServer::start(runner(), None).await;

    let silent_metrics = TcpStream::connect(metrics_address).await.expect("accepted");
    let silent_grpc = TcpStream::connect(grpc.address).await.expect("accepted");
    assert!(
        closed_by_server(silent_metrics).await,
        "the metrics endpoint kept a silent connection"
    );
    assert!(
        closed_by_server(silent_grpc).await,
        "the gRPC server kept a silent connection"
    );

    let _ = stop.send(());
    metrics_server.await.expect("the metrics server stops");
    grpc.stop().await;
}
