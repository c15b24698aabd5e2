//! What a step's response may hold: no more than Crossplane accepts, and no unbounded text.

use serde_json::json;
use xfn_tests::{TestServer, greeting_xr, inline_id, inline_input, request, runner};

/// A reactor that answers `{"context":{"a":"xxx…"}}` with `len` x's, built in memory at run time.
fn big_answer(len: u32) -> String {
    let end = 17 + len;
    format!(
        r#"(module
  (import "xfn" "set_output" (func $set_output (param i32 i32)))
  (memory (export "memory") 100)
  (data (i32.const 0) "{{\"context\":{{\"a\":\"")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 6000000)
  (func (export "xfn_run_v1") (param i32 i32) (result i32)
    (memory.fill (i32.const 17) (i32.const 120) (i32.const {len}))
    (i32.store8 (i32.const {end}) (i32.const 34))
    (i32.store8 (i32.const {}) (i32.const 125))
    (i32.store8 (i32.const {}) (i32.const 125))
    (call $set_output (i32.const 0) (i32.const {}))
    i32.const 0))"#,
        end + 1,
        end + 2,
        end + 3
    )
}

#[tokio::test]
async fn a_response_over_4_mib_is_fatal_and_one_near_it_warns() {
    let server = TestServer::start(runner(), None).await;
    let mut client = server.client().await;

    let over = big_answer(4_200_000);
    let request = request("over", greeting_xr("World"), inline_input(&over, json!({})));
    let response = client
        .run_function(request.clone())
        .await
        .expect("an answer")
        .into_inner();
    let message = &response.results[0].message;
    assert!(
        message.starts_with(&format!("{}: its response is 4200", inline_id(&over)))
            && message.ends_with(" bytes, over the 4194304 bytes (4 MiB) that Crossplane accepts; compose fewer or smaller resources in this step, or split it into several steps"),
        "{message}"
    );
    xfn_tests::assert_fatal(&request, &response, message);

    let near = big_answer(4_000_000);
    let request = xfn_tests::request("near", greeting_xr("World"), inline_input(&near, json!({})));
    let response = client
        .run_function(request)
        .await
        .expect("an answer")
        .into_inner();
    server.stop().await;
    assert_eq!(response.results.len(), 1, "{:?}", response.results);
    assert_eq!(response.results[0].severity, 2);
    assert!(
        response.results[0]
            .message
            .starts_with("the response is 4000"),
        "{}",
        response.results[0].message
    );
    assert!(
        response
            .context
            .is_some_and(|c| c.fields["a"].kind.is_some())
    );
}

#[tokio::test]
async fn a_long_failure_message_is_cut_to_4_kib() {
    let wat = r#"(module
  (import "xfn" "set_output" (func $set_output (param i32 i32)))
  (memory (export "memory") 2)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 100000)
  (func (export "xfn_run_v1") (param i32 i32) (result i32)
    (memory.fill (i32.const 0) (i32.const 97) (i32.const 60000))
    (call $set_output (i32.const 0) (i32.const 60000))
    i32.const 7))"#;
    let request = request("long", greeting_xr("World"), inline_input(wat, json!({})));
    let server = TestServer::start(runner(), None).await;
    let response = server
        .client()
        .await
        .run_function(request.clone())
        .await
        .expect("an answer")
        .into_inner();
    server.stop().await;

    let prefix = format!("{}: failed with status 7: ", inline_id(wat));
    let message = &response.results[0].message;
    let kept = 4096 - 64 - prefix.len();
    let expected = format!(
        "{prefix}{}… ({} more bytes cut)",
        "a".repeat(kept),
        60000 - kept
    );
    assert_eq!(message, &expected);
    xfn_tests::assert_fatal(&request, &response, &expected);
}
