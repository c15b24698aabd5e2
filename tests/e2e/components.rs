//! Components of the world in `wit/function.wit`, written in WAT: what the host does with a good
//! one, with one of another world or importing more than WASI 0.2, with malformed results, and
//! with one that sleeps past its deadline. The real component (Python) is in `languages.rs`.

use serde_json::{Value, json};
use xfn_tests::{
    TestServer, assert_fatal, assert_sleepers_end_at_their_deadline, greeting_xr, inline_id,
    inline_input, registry, request, runner, runner_on, to_json,
};

/// A component exporting `wasmtime:function/handler@1.0.0` whose core module has `extra` (data,
/// imports from `host`) and `run`'s body, which returns the address of its `result` (a tag byte
/// at 64, the list or string at 68 and its length at 72); its post-return zeroes that list or
/// string, as a guest's allocator may write over what it frees, so the host must have copied the
/// result before `call` returns. The memory and a bump allocator live in
/// a module of their own, so that the functions lowered into the core module (the world's `log`
/// as `host.log`, and `lowered`, written `name=(canon lower ...)` one per line) can use them.
/// `imports` are the component's imports besides `log`.
fn component(imports: &str, lowered: &str, extra: &str, run: &str) -> String {
    format!(
        r#"(component
  (import "wasmtime:function/log@1.0.0" (instance $log
    (type $l (enum "error" "warn" "info" "debug" "trace"))
    (export "level" (type $level (eq $l)))
    (export "log" (func (param "level" $level) (param "message" string)))))
  {imports}
  (core module $memory
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 4096))
    (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
      (local $ptr i32)
      (local.set $ptr (global.get $next))
      (global.set $next (i32.add (global.get $next) (local.get 3)))
      (if (i32.gt_u (global.get $next) (i32.shl (memory.size) (i32.const 16)))
        (then (drop (memory.grow (i32.add (i32.shr_u (local.get 3) (i32.const 16)) (i32.const 1))))))
      (local.get $ptr)))
  (core instance $mem (instantiate $memory))
  (core func $log (canon lower (func $log "log") (memory (core memory $mem "memory"))))
  {lowered_funcs}
  (core module $m
    (import "host" "memory" (memory 1))
    (import "host" "log" (func $log (param i32 i32 i32)))
    {extra}
    (func (export "run") (param $ptr i32) (param $len i32) (result i32) {run})
    (func (export "post-run") (param $result i32)
      (memory.fill (i32.load (i32.add (local.get $result) (i32.const 4))) (i32.const 0)
        (i32.load (i32.add (local.get $result) (i32.const 8))))))
  (core instance $i (instantiate $m (with "host" (instance
    (export "memory" (memory $mem "memory"))
    (export "log" (func $log)) {lowered_exports}))))
  (func $run (param "request" (list u8)) (result (result (list u8) (error string)))
    (canon lift (core func $i "run") (memory (core memory $mem "memory"))
      (realloc (core func $mem "cabi_realloc")) (post-return (core func $i "post-run"))))
  (instance $handler (export "run" (func $run)))
  (export "wasmtime:function/handler@1.0.0" (instance $handler)))"#,
        lowered_funcs = lowered_funcs(lowered),
        lowered_exports = lowered_exports(lowered),
    )
}

/// `(core func ...)` lines for the `lowered` component functions, written `name=canon-lower`.
fn lowered_funcs(lowered: &str) -> String {
    lowered
        .lines()
        .filter_map(|line| line.trim().split_once('='))
        .map(|(name, lower)| format!("(core func ${name} {lower})"))
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// The `host` instance's exports of the `lowered` functions.
fn lowered_exports(lowered: &str) -> String {
    lowered
        .lines()
        .filter_map(|line| line.trim().split_once('='))
        .map(|(name, _)| format!("(export \"{name}\" (func ${name}))"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `run`'s body returning `ok` with the `len` bytes at `ptr`.
fn ok(ptr: u32, len: u32) -> String {
    format!(
        "(i32.store8 (i32.const 64) (i32.const 0)) (i32.store (i32.const 68) (i32.const {ptr})) \
         (i32.store (i32.const 72) (i32.const {len})) (i32.const 64)"
    )
}

/// `run`'s body returning `err` with the `len` bytes at `ptr`.
fn err(ptr: u32, len: u32) -> String {
    format!(
        "(i32.store8 (i32.const 64) (i32.const 1)) (i32.store (i32.const 68) (i32.const {ptr})) \
         (i32.store (i32.const 72) (i32.const {len})) (i32.const 64)"
    )
}

/// A component that logs a line at info level and answers with a Normal result.
fn greeter() -> String {
    let response =
        r#"{"results":[{"severity":"SEVERITY_NORMAL","message":"hi from a component"}]}"#;
    component(
        "",
        "",
        &format!(
            r#"(data (i32.const 1024) "{}") (data (i32.const 2048) "greeted")"#,
            response.replace('"', "\\\"")
        ),
        &format!(
            "(call $log (i32.const 2) (i32.const 2048) (i32.const 7)) {}",
            ok(1024, u32::try_from(response.len()).expect("short"))
        ),
    )
}

/// Runs the inline component `source` with the step Input's other fields `input`, and asserts a
/// FATAL result whose message is the module's name followed by `after_name`, with the request's
/// desired state and context kept.
async fn assert_inline_fatal(tag: &str, source: &str, input: Value, after_name: &str) {
    let request = request(tag, greeting_xr("World"), inline_input(source, input));
    let response = runner().run(request.clone()).await;
    let message = format!("{}{after_name}", inline_id(source));
    assert_fatal(&request, &response, &message);
}

#[tokio::test]
async fn a_component_answers_through_the_server_with_desired_and_context_kept() {
    let source = greeter();
    let server = TestServer::start(runner(), None).await;
    let request = request(
        "c-1",
        greeting_xr("World"),
        inline_input(&source, json!({})),
    );
    let (desired, context) = xfn_tests::desired_and_context(&request);
    let response = server
        .client()
        .await
        .run_function(request)
        .await
        .expect("answered")
        .into_inner();
    assert_eq!(
        to_json(&response),
        json!({
            "meta": {"tag": "c-1", "ttl": "60s"},
            "desired": desired,
            "results": [{"severity": "SEVERITY_NORMAL", "message": "hi from a component"}],
            "context": context,
        })
    );
    server.stop().await;
}

#[tokio::test]
async fn a_component_returning_err_is_fatal_with_its_message() {
    let source = component(
        "",
        "",
        r#"(data (i32.const 1024) "cannot compose: spec.region is missing")"#,
        &err(1024, 38),
    );
    assert_inline_fatal(
        "c-2",
        &source,
        json!({}),
        ": returned an error: cannot compose: spec.region is missing",
    )
    .await;
}

#[tokio::test]
async fn a_component_of_another_world_is_refused_naming_what_it_exports() {
    let source = r#"(component
  (core module $m (func (export "run") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $cli (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $cli)))"#;
    assert_inline_fatal("c-3", source, json!({}), " is a component but does not export wasmtime:function/handler@1.x (it exports wasi:cli/run@0.2.0); build it for the world `function` of wit/function.wit").await;
}

#[tokio::test]
async fn a_run_of_another_type_is_refused_naming_both_types() {
    let source = r#"(component
  (core module $m
    (memory (export "memory") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 0))
    (func (export "run") (param i32 i32) (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (param "request" string) (result string)
    (canon lift (core func $i "run") (memory (core memory $i "memory"))
      (realloc (core func $i "realloc"))))
  (instance $handler (export "run" (func $run)))
  (export "wasmtime:function/handler@1.0.0" (instance $handler)))"#;
    assert_inline_fatal("c-4", source, json!({}), " exports run as func(request: string) -> string, the ABI needs func(request: list<u8>) -> result<list<u8>, string>").await;
}

#[tokio::test]
async fn a_component_importing_beyond_wasi_and_the_world_is_refused_naming_the_import() {
    let source = component(
        r#"(import "example:net/socket@1.0.0" (instance $net (export "connect" (func))))"#,
        r#"connect=(canon lower (func $net "connect"))"#,
        "",
        &ok(0, 0),
    );
    assert_inline_fatal("c-5", &source, json!({}), ": cannot be linked: component imports instance `example:net/socket@1.0.0`, but a matching implementation was not found in the linker: instance export `connect` has the wrong type: function implementation is missing; components may import only WASI 0.2 and wasmtime:function/log@1.x (wit/function.wit)").await;
}

#[tokio::test]
async fn malformed_results_are_fatal_naming_the_problem() {
    let outside = component("", "", "", &ok(65_000, 1_000));
    assert_inline_fatal(
        "c-6",
        &outside,
        json!({}),
        ": trapped: list pointer/length out of bounds of memory",
    )
    .await;

    let garbage = component(
        "",
        "",
        r#"(data (i32.const 1024) "{\"results\": 7}")"#,
        &ok(1024, 14),
    );
    assert_inline_fatal("c-7", &garbage, json!({}), ": its output is not a RunFunctionResponse: invalid type: integer `7`, expected an array at line 1 column 13; see docs/ABI.md").await;
}

#[tokio::test]
async fn a_response_over_the_output_cap_is_fatal() {
    // 17 MiB of zeros in a memory grown to 18 MiB, over the 16 MiB output cap.
    let source = component(
        "",
        "",
        "",
        &format!("(drop (memory.grow (i32.const 288))) {}", ok(0, 17 << 20)),
    );
    assert_inline_fatal(
        "c-8",
        &source,
        json!({}),
        ": its output of 17825792 bytes is over the 16777216-byte limit; return a smaller response",
    )
    .await;
}

#[tokio::test]
async fn a_component_growing_past_its_memory_limit_is_fatal() {
    let source = component(
        "",
        "",
        "",
        "(drop (memory.grow (i32.const 1024))) (i32.const 0)",
    );
    assert_inline_fatal(
        "c-9",
        &source,
        json!({"limits": {"memory": "32Mi"}}),
        ": exceeded its memory limit of 32Mi; raise input.limits.memory (server maximum 512Mi)",
    )
    .await;
}

/// The imports of a component that waits on the monotonic clock: `wasi:io/poll` and
/// `wasi:clocks/monotonic-clock` at 0.2.0, which the host's 0.2.x serve.
const CLOCK_IMPORTS: &str = r#"(import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type (sub resource)))
    (export "[method]pollable.block" (func (param "self" (borrow 0))))
    (export "poll" (func (param "in" (list (borrow 0))) (result (list u32))))))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
    (export "pollable" (type (eq $pollable)))
    (export "subscribe-duration" (func (param "when" u64) (result (own 0))))))"#;

/// The clock functions, lowered for the core module.
const CLOCK_LOWERED: &str = r#"subscribe=(canon lower (func $clock "subscribe-duration"))
block=(canon lower (func $poll "[method]pollable.block"))
poll=(canon lower (func $poll "poll") (memory (core memory $mem "memory")) (realloc (core func $mem "cabi_realloc")))"#;

/// A component that subscribes to the monotonic clock 60 s ahead and waits with `wait` (a call
/// of the lowered `block` or `poll` on the pollable stored at 128), then answers `{}`.
fn sleeper(wait: &str) -> String {
    component(
        CLOCK_IMPORTS,
        CLOCK_LOWERED,
        r#"(import "host" "subscribe" (func $subscribe (param i64) (result i32)))
    (import "host" "block" (func $block (param i32)))
    (import "host" "poll" (func $poll (param i32 i32 i32)))
    (data (i32.const 16) "{}")"#,
        &format!(
            "(i32.store (i32.const 128) (call $subscribe (i64.const 60000000000))) {wait} {}",
            ok(16, 2)
        ),
    )
}

#[tokio::test]
async fn components_sleeping_past_their_deadline_fail_with_the_deadline_and_hello_still_answers() {
    let server = TestServer::start(runner_on(registry(2)), None).await;
    let blocking = sleeper("(call $block (i32.load (i32.const 128)))");
    let polling = sleeper("(call $poll (i32.const 128) (i32.const 1) (i32.const 256))");
    // Twice as many sleepers as the two calls that run at once, and hello among them.
    assert_sleepers_end_at_their_deadline(&server, &[&blocking, &polling, &blocking, &polling])
        .await;
    server.stop().await;
}
