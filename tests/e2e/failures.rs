//! Bad input of every kind becomes one FATAL result that names the module and says what happened,
//! with desired state and context unchanged, and the server keeps serving.

use serde_json::{Value, json};
use xfn_tests::{
    TestServer, assert_fatal, greeting_xr, inline_id, inline_input, module_input, request, runner,
};

/// A reactor whose `xfn_run_v1` body is `run`; memory, allocator and imports are always there.
fn reactor(run: &str) -> String {
    format!(
        r#"(module
  (import "xfn" "set_output" (func $set_output (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "not json")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func $explode unreachable)
  (func (export "xfn_run_v1") (param i32 i32) (result i32) {run}))"#
    )
}

/// One failure case: the Input (inline module or not) and the exact FATAL message.
struct Case {
    name: &'static str,
    input: Value,
    message: String,
}

fn inline_case(name: &'static str, wat: &str, extra: Value, what: &str) -> Case {
    Case {
        name,
        input: inline_input(wat, extra),
        message: format!("{}{what}", inline_id(wat)),
    }
}

fn cases() -> Vec<Case> {
    let garbage = reactor("(call $set_output (i32.const 0) (i32.const 8)) i32.const 0");
    let huge = reactor("(call $set_output (i32.const 0) (i32.const 0x7fffffff)) i32.const 0");
    let status = reactor("(call $set_output (i32.const 4) (i32.const 4)) i32.const 7");
    let silent = reactor("i32.const 0");
    let looping = reactor("(loop $spin (br $spin)) i32.const 0");
    let bomb = reactor("(loop $grow (drop (memory.grow (i32.const 16))) (br $grow)) i32.const 0");
    let no_exports = r#"(module (memory (export "memory") 1))"#;
    let wrong_signature = r#"(module (memory (export "memory") 1) (func (export "xfn_run_v1")))"#;
    let no_realloc = r#"(module (memory (export "memory") 1) (func (export "xfn_run_v1") (param i32 i32) (result i32) i32.const 0))"#;
    vec![
        Case {
            name: "unknown module",
            input: module_input("pandt", json!({})),
            message: format!(
                "module \"pandt\" not found: not bundled ({}), and no --modules-dir is set",
                function_wasmtime::modules::bundled_names().join(", ")
            ),
        },
        Case {
            name: "malformed input",
            input: module_input("hello", json!({"limits": {"memory": "64Mo"}})),
            message: "input.limits.memory: \"64Mo\" is not a quantity; write it like 64Mi".to_owned(),
        },
        Case {
            name: "missing input field",
            input: json!({"apiVersion": "wasmtime.fn.crossplane.io/v1alpha1", "kind": "Module"}),
            message: "input: names no module; set input.module to a module name, input.source.inline to its base64 bytes, or input.source.oci to its OCI reference".to_owned(),
        },
        Case {
            name: "pinned digest differs",
            input: module_input("hello", json!({"sha256": format!("sha256:{}", "0".repeat(64))})),
            message: String::new(), // checked by prefix below: the digest of hello changes with its code
        },
        inline_case("infinite loop", &looping, json!({"limits": {"timeout": "100ms"}}),
            ": exceeded its 100ms deadline; raise input.limits.timeout (server maximum 30s)"),
        inline_case("memory bomb", &bomb, json!({"limits": {"memory": "16Mi"}}),
            ": exceeded its memory limit of 16Mi; raise input.limits.memory (server maximum 512Mi)"),
        inline_case("garbage output", &garbage, json!({}),
            ": its output is not a RunFunctionResponse: expected ident at line 1 column 2; see docs/ABI.md"),
        inline_case("oversized output", &huge, json!({}),
            ": its output of 2147483647 bytes is over the 16777216-byte limit; return a smaller response"),
        inline_case("non-zero status", &status, json!({}), ": failed with status 7: json"),
        inline_case("no output", &silent, json!({}),
            ": finished without output; a reactor must call xfn.set_output, a command must write the response to stdout"),
        inline_case("no entry point", no_exports, json!({}),
            " exports neither xfn_run_v1 (reactor) nor _start (WASI command); export one of them as docs/ABI.md describes"),
        inline_case("wrong signature", wrong_signature, json!({}),
            " exports xfn_run_v1 as func() -> (), the ABI needs func(i32, i32) -> i32"),
        inline_case("missing allocator", no_realloc, json!({}),
            " is a reactor but does not export cabi_realloc; export it as docs/ABI.md describes"),
    ]
}

#[tokio::test]
async fn every_bad_input_is_a_fatal_result_and_the_server_keeps_serving() {
    let server = TestServer::start(runner(), None).await;
    let mut client = server.client().await;
    for case in cases() {
        let request = request(case.name, greeting_xr("World"), case.input);
        let response = client
            .run_function(request.clone())
            .await
            .expect(case.name)
            .into_inner();
        if case.message.is_empty() {
            let message = &response.results[0].message;
            assert!(
                message.starts_with("module \"hello\": its sha256 is sha256:")
                    && message.ends_with(&format!(
                        "but input.sha256 pins sha256:{}; update the pin or the module",
                        "0".repeat(64)
                    )),
                "{}: {message}",
                case.name
            );
            continue;
        }
        assert_fatal(&request, &response, &case.message);

        let good = xfn_tests::request(
            "good",
            greeting_xr("World"),
            module_input("hello", json!({})),
        );
        let response = client
            .run_function(good)
            .await
            .expect("the next call is served")
            .into_inner();
        assert_eq!(
            response.results[0].severity, 3,
            "after {}: {:?}",
            case.name, response.results
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_trap_names_the_module_and_carries_the_wasm_backtrace() {
    let wat = reactor("call $explode i32.const 0");
    let request = request("trap", greeting_xr("World"), inline_input(&wat, json!({})));
    let response = runner().run(request).await;
    let message = &response.results[0].message;
    let first_line = format!(
        "{}: trapped: wasm trap: wasm `unreachable` instruction executed",
        inline_id(&wat)
    );
    assert_eq!(
        message.lines().next(),
        Some(first_line.as_str()),
        "{message}"
    );
    assert!(
        message.contains("explode"),
        "the backtrace names the trapping function: {message}"
    );
    assert_eq!(response.results.len(), 1);
    assert_eq!(response.results[0].severity, 1);
}

#[tokio::test]
async fn a_pointer_outside_memory_traps_without_harming_the_host() {
    let wat = reactor("(call $set_output (i32.const 131072) (i32.const 10)) i32.const 0");
    let request = request(
        "bounds",
        greeting_xr("World"),
        inline_input(&wat, json!({})),
    );
    let response = runner().run(request.clone()).await;
    let message = &response.results[0].message;
    let first_line = format!(
        "{}: trapped: set_output was given bytes 131072..+10, which lie outside the module's memory",
        inline_id(&wat)
    );
    assert_eq!(
        message.lines().next(),
        Some(first_line.as_str()),
        "{message}"
    );
}

#[tokio::test]
async fn bytes_that_are_not_wasm_are_a_compile_error() {
    let input = json!({"apiVersion": "wasmtime.fn.crossplane.io/v1alpha1", "kind": "Module", "source": {"inline": "AAAA"}});
    let response = runner()
        .run(request("not-wasm", greeting_xr("World"), input))
        .await;
    let message = &response.results[0].message;
    assert!(
        message.starts_with(
            "module \"inline\" (sha256:709e80c88487): is not a valid WebAssembly module: "
        ),
        "{message}"
    );
}

#[tokio::test]
async fn an_import_the_host_lacks_is_a_link_error() {
    let wat = r#"(module (import "env" "open_socket" (func)) (memory (export "memory") 1)
        (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
        (func (export "xfn_run_v1") (param i32 i32) (result i32) i32.const 0))"#;
    let response = runner()
        .run(request(
            "link",
            greeting_xr("World"),
            inline_input(wat, json!({})),
        ))
        .await;
    let message = &response.results[0].message;
    assert!(
        message.starts_with(&format!("{}: cannot be linked: ", inline_id(wat))),
        "{message}"
    );
    assert!(message.contains("env::open_socket"), "{message}");
    assert!(
        message.ends_with("; modules may import only wasi_snapshot_preview1 and xfn"),
        "{message}"
    );
}
