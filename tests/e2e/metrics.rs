//! The Prometheus endpoint counts steps by module and outcome.

use function_wasmtime::host::Limits;
use function_wasmtime::server::serve_metrics;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use xfn_tests::{greeting_xr, module_input, request, runner_with};

async fn get(address: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(address)
        .await
        .expect("the metrics server accepts");
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
        .await
        .expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("the response is read");
    response
}

#[tokio::test]
async fn metrics_count_steps_by_module_and_outcome() {
    let runner = runner_with(None, Limits::DEFAULT_MAXIMA);
    runner
        .run(request(
            "m1",
            greeting_xr("World"),
            module_input("hello", json!({})),
        ))
        .await;
    runner
        .run(request(
            "m2",
            greeting_xr("World"),
            module_input("nope", json!({})),
        ))
        .await;
    let no_who = json!({"apiVersion": "example.crossplane.io/v1", "kind": "XGreeting", "spec": {}});
    runner
        .run(request("m3", no_who, module_input("hello", json!({}))))
        .await;

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("bound");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_metrics(listener, runner, async {
        let _ = stopped.await;
    }));

    let metrics = get(address, "/metrics").await;
    let not_found = get(address, "/other").await;
    let _ = stop.send(());
    server.await.expect("the metrics server stops");

    assert!(
        metrics.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4"),
        "{metrics}"
    );
    for line in [
        "function_wasmtime_steps_total{module=\"hello\",outcome=\"fatal_result\"} 1\n",
        "function_wasmtime_steps_total{module=\"hello\",outcome=\"ok\"} 1\n",
        "function_wasmtime_steps_total{module=\"unknown\",outcome=\"failed\"} 1\n",
        "function_wasmtime_step_duration_seconds_count 3\n",
    ] {
        assert!(metrics.contains(line), "missing {line:?} in:\n{metrics}");
    }
    assert!(
        !metrics.contains("nope"),
        "a name that is no module must not become a series:\n{metrics}"
    );
    assert!(
        not_found.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{not_found}"
    );
}
