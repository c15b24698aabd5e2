//! Compiling modules from requests: once each, bounded, failures remembered, inline code optional.

use std::sync::Arc;

use function_wasmtime::modules::{ModuleRequest, ModuleSource};
use serde_json::json;
use xfn_tests::{
    PASS_THROUGH, TestServer, assert_fatal, greeting_xr, hello_response, inline_id, inline_input,
    module_input, registry, request, runner_on, to_json,
};

#[tokio::test]
async fn a_module_that_cannot_be_prepared_fails_the_same_way_each_time_without_compiling_again() {
    let runner = runner_on(registry(1));
    let not_valid = "(module (func (result i32)))";
    let no_entry_point = r#"(module (memory (export "memory") 1))"#;
    let cases = [
        (
            not_valid,
            ": is not a valid WebAssembly module: failed to compile: wasm[0]::function[0]: WebAssembly translation error: Invalid input WebAssembly code at offset 24: type mismatch: expected i32 but nothing on stack",
        ),
        (
            no_entry_point,
            " exports neither xfn_run_v1 (reactor) nor _start (WASI command); export one of them as docs/ABI.md describes",
        ),
    ];
    for (compiled, (wat, what)) in (1..).zip(cases) {
        for attempt in 0..3 {
            let request = request(
                &format!("attempt-{attempt}"),
                greeting_xr("World"),
                inline_input(wat, json!({})),
            );
            let response = runner.run(request.clone()).await;
            assert_fatal(&request, &response, &format!("{}{what}", inline_id(wat)));
            assert_eq!(
                runner.registry().compiles(),
                compiled,
                "{wat}, attempt {attempt}"
            );
        }
    }
}

#[tokio::test]
async fn a_compile_whose_first_caller_went_away_serves_the_next_caller_without_compiling_again() {
    let registry = Arc::new(registry(1));
    let inline = ModuleRequest {
        source: ModuleSource::Inline(wat::parse_str(PASS_THROUGH).expect("valid WAT")),
        sha256: None,
    };
    let first = tokio::spawn({
        let (registry, inline) = (registry.clone(), inline.clone());
        async move { registry.resolve(&inline).await.map(|_| ()) }
    });
    while registry.compiles() == 0 {
        assert!(!first.is_finished(), "the compile finished unseen");
        tokio::task::yield_now().await;
    }
    first.abort();
    let _ = first.await;

    let module = registry
        .resolve(&inline)
        .await
        .expect("the detached compile prepared it");
    assert_eq!(module.id().to_string(), inline_id(PASS_THROUGH));
    assert_eq!(registry.compiles(), 1);
}

#[tokio::test]
async fn inline_modules_over_the_compile_caps_are_refused_before_compiling() {
    let runner = runner_on(registry(1));
    let many_functions = format!("(module {})", "(func)".repeat(20_001));
    let large_body = format!("(module (func {}))", "nop ".repeat(300_000));
    let many_locals = format!("(module (func (local {})))", "i64 ".repeat(10_001));
    let advice = "make it smaller, or ask the server's operator to add it to --modules-dir, where these limits do not apply";
    let cases = [
        (
            many_functions,
            "defines 20001 functions, over the limit of 20000 for inline modules",
        ),
        (
            large_body,
            "function body 0 is 300002 bytes, over the limit of 262144 bytes for inline modules",
        ),
        (
            many_locals,
            "function body 0 declares 10001 locals, over the limit of 10000 for inline modules",
        ),
    ];
    for (wat, what) in cases {
        let request = request("caps", greeting_xr("World"), inline_input(&wat, json!({})));
        let response = runner.run(request.clone()).await;
        assert_fatal(
            &request,
            &response,
            &format!("{}: {what}; {advice}", inline_id(&wat)),
        );
    }
    assert_eq!(runner.registry().compiles(), 0);
}

#[tokio::test]
async fn a_server_that_does_not_allow_inline_modules_refuses_them_and_runs_named_ones() {
    let runner = runner_on(registry(1).with_inline_modules(false));
    let server = TestServer::start(runner.clone(), None).await;
    let mut client = server.client().await;

    let inline = request(
        "inline",
        greeting_xr("World"),
        inline_input(PASS_THROUGH, json!({})),
    );
    let response = client
        .run_function(inline.clone())
        .await
        .expect("answered")
        .into_inner();
    assert_fatal(
        &inline,
        &response,
        "input.source.inline: this server does not run inline modules (--allow-inline-modules=false); ask its operator to add the module to --modules-dir, then name it in input.module",
    );
    assert_eq!(runner.registry().compiles(), 0);

    let hello = request(
        "hello",
        greeting_xr("World"),
        module_input("hello", json!({})),
    );
    let response = client
        .run_function(hello)
        .await
        .expect("answered")
        .into_inner();
    assert_eq!(to_json(&response), hello_response("hello"));
    server.stop().await;
}
