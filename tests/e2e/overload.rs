//! A server that is full refuses calls it cannot hold instead of queueing them in memory.

use std::sync::Arc;

use function_wasmtime::step::{Refusal, StepRunner};
use serde_json::json;
use xfn_proto::prost::Message as _;
use xfn_tests::{greeting_xr, inline_input, registry, request};

/// A reactor that spins until its deadline.
const SPINNER: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func (export "xfn_run_v1") (param i32 i32) (result i32) (loop $spin (br $spin)) i32.const 0))"#;

/// A request of about `kib` KiB for the spinner: its XR carries a padding string.
fn request_of(tag: &str, kib: usize) -> bytes::Bytes {
    let mut xr = greeting_xr("World");
    xr["spec"]["padding"] = json!("x".repeat(kib * 1024));
    let input = inline_input(SPINNER, json!({"limits": {"timeout": "2s"}}));
    request(tag, xr, input).encode_to_vec().into()
}

#[tokio::test]
async fn a_request_past_the_request_memory_is_refused_while_earlier_ones_run() {
    let runner = Arc::new(StepRunner::with_request_memory(
        Arc::new(registry(1)),
        1024 * 1024,
    ));
    let first = request_of("first", 600);
    let running = {
        let (runner, first) = (runner.clone(), first.clone());
        tokio::spawn(async move { runner.run_bytes(first).await })
    };
    // The first call holds its request from the start of the step; wait until it does.
    while runner.request_memory_held() < first.len() {
        tokio::task::yield_now().await;
    }

    let second = request_of("second", 600);
    let refusal = runner.run_bytes(second.clone()).await.expect_err("no room");
    running.abort();

    assert!(matches!(refusal, Refusal::Overloaded { .. }), "{refusal}");
    assert_eq!(
        refusal.to_string(),
        format!(
            "the server is handling {} bytes of requests, and this one of {} bytes would pass its --max-request-memory of 1048576 bytes; retry, or give the server more replicas or memory",
            first.len(),
            second.len()
        )
    );
}
