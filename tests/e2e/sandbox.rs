//! What a module cannot do to the server: sleep past its deadline, keep running without a slot
//! after its caller left, or make the host copy what it logs.

use function_wasmtime::host::Limits;
use function_wasmtime::modules::{ModuleRequest, ModuleSource};
use serde_json::json;
use tracing::Level;
use xfn_tests::faults::SLEEPER;
use xfn_tests::logs::{self, LogLine};
use xfn_tests::{
    TestServer, assert_sleepers_end_at_their_deadline, desired_and_context, greeting_xr,
    hello_response, inline_input, module_input, registry, request, runner_on, to_json,
};

/// A reactor that counts down from 2^29 (a fraction of a second) and answers `{}`. It ends by
/// itself, not by a deadline, so it ends even when a failed assertion drops the host (and with it
/// the epoch ticker) while it runs.
const COUNTER: &str = r#"(module
  (import "xfn" "set_output" (func $set_output (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "{}")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func (export "xfn_run_v1") (param i32 i32) (result i32) (local $left i32)
    (local.set $left (i32.const 0x20000000))
    (loop $count
      (local.set $left (i32.sub (local.get $left) (i32.const 1)))
      (br_if $count (local.get $left)))
    (call $set_output (i32.const 512) (i32.const 2))
    i32.const 0))"#;

#[tokio::test]
async fn a_module_sleeping_past_its_deadline_fails_with_the_deadline_and_hello_still_answers() {
    let server = TestServer::start(runner_on(registry(2)), None).await;
    // Three times as many sleepers as the two calls that run at once, and hello among them.
    assert_sleepers_end_at_their_deadline(&server, &[SLEEPER; 6]).await;
    server.stop().await;
}

#[tokio::test]
async fn a_cancelled_call_keeps_its_slot_until_its_instance_ends() {
    let runner = runner_on(registry(1));
    let host = runner.registry().host().clone();
    let counter = runner
        .registry()
        .resolve(&ModuleRequest {
            source: ModuleSource::Inline(wat::parse_str(COUNTER).expect("valid WAT")),
            sha256: None,
        })
        .await
        .expect("the counter fits the ABI");
    let held = tokio::spawn({
        let host = host.clone();
        async move { host.call(counter, b"{}".to_vec(), Limits::DEFAULT).await }
    });
    while host.calls_in_flight() == 0 {
        assert!(
            !held.is_finished(),
            "the call ended before it was seen running"
        );
        tokio::task::yield_now().await;
    }

    // The caller goes away, as a client that hangs up does; its instance counts on.
    held.abort();
    let cancelled = held.await.expect_err("the call was cancelled");
    assert!(cancelled.is_cancelled());
    assert_eq!(
        host.calls_in_flight(),
        1,
        "the running instance still holds the only permit"
    );

    // The next call waits for that permit instead of finding the instance pool exhausted.
    let after = runner
        .run(request(
            "after",
            greeting_xr("World"),
            module_input("hello", json!({})),
        ))
        .await;
    assert_eq!(to_json(&after), hello_response("after"));
    assert_eq!(host.calls_in_flight(), 0);
}

/// A reactor with 62.5 MiB of memory that fills 60 MiB with `a` after the word `flood:`, passes
/// all of it to `xfn.log` 100 times, then answers `{}`.
const LOG_FLOOD: &str = r#"(module
  (import "xfn" "log" (func $log (param i32 i32 i32)))
  (import "xfn" "set_output" (func $set_output (param i32 i32)))
  (memory (export "memory") 1000)
  (data (i32.const 0) "flood:")
  (data (i32.const 62914560) "{}")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 62914600)
  (func (export "xfn_run_v1") (param i32 i32) (result i32) (local $left i32)
    (memory.fill (i32.const 6) (i32.const 0x61) (i32.const 62914554))
    (local.set $left (i32.const 100))
    (loop $again
      (call $log (i32.const 2) (i32.const 0) (i32.const 62914560))
      (local.set $left (i32.sub (local.get $left) (i32.const 1)))
      (br_if $again (local.get $left)))
    (call $set_output (i32.const 62914560) (i32.const 2))
    i32.const 0))"#;

#[test]
fn a_module_logging_60_mib_at_a_time_gets_4_kib_lines_with_a_marker_until_the_budget_is_spent() {
    if !xfn_tests::process::run_alone(
        "e2e::sandbox::a_module_logging_60_mib_at_a_time_gets_4_kib_lines_with_a_marker_until_the_budget_is_spent",
    ) {
        return;
    }
    logs::capture();
    let request = request(
        "flood",
        greeting_xr("World"),
        inline_input(LOG_FLOOD, json!({"limits": {"memory": "64Mi"}})),
    );
    let (desired, context) = desired_and_context(&request);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let response = runtime.block_on(runner_on(registry(1)).run(request));
    assert_eq!(
        to_json(&response),
        json!({"meta": {"tag": "flood", "ttl": "60s"}, "desired": desired, "context": context})
    );

    // 64 KiB of budget is sixteen 4 KiB lines, each cut without reading the rest of its 60 MiB.
    let kept = format!(
        "flood:{}… [truncated from 62914560 bytes]",
        "a".repeat(4096 - 6)
    );
    let mut expected = vec![
        LogLine {
            level: Level::INFO,
            module: "inline".to_owned(),
            message: kept,
        };
        16
    ];
    expected.push(LogLine {
        level: Level::WARN,
        module: "inline".to_owned(),
        message: "module log budget used up; dropping further log lines".to_owned(),
    });
    assert_eq!(logs::lines("inline"), expected);
}
