//! Module sources: --modules-dir, the command ABI, the compiled-module cache.

use function_wasmtime::host::Limits;
use serde_json::json;
use xfn_tests::{
    assert_fatal, built_module, greeting_xr, module_input, request, runner_with, to_json,
};

fn modules_dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    for (stem, name) in files {
        std::fs::copy(built_module(stem), dir.path().join(format!("{name}.wasm")))
            .expect("the example module was built");
    }
    dir
}

#[tokio::test]
async fn a_module_in_the_modules_dir_runs_under_its_file_name() {
    let dir = modules_dir_with(&[("hello", "greeter")]);
    let runner = runner_with(Some(dir.path().to_owned()), Limits::DEFAULT_MAXIMA);
    let response = runner
        .run(request(
            "dir",
            greeting_xr("Dir"),
            module_input("greeter", json!({})),
        ))
        .await;
    assert_eq!(
        to_json(&response)["desired"]["resources"]["hello"]["resource"]["data"]["greeting"],
        "Hello, Dir!"
    );

    let missing = runner
        .run(request(
            "dir",
            greeting_xr("Dir"),
            module_input("absent", json!({})),
        ))
        .await;
    assert_eq!(
        missing.results[0].message,
        format!(
            "module \"absent\" not found: not bundled ({}), not in --modules-dir {} (it holds greeter)",
            function_wasmtime::modules::bundled_names().join(", "),
            dir.path().display()
        )
    );
}

#[tokio::test]
async fn a_missing_module_names_what_the_dir_holds_and_cargo_underscores() {
    let dir = modules_dir_with(&[("hello", "deploy_fn"), ("hello", "other")]);
    let runner = runner_with(Some(dir.path().to_owned()), Limits::DEFAULT_MAXIMA);
    let missing = runner
        .run(request(
            "dir",
            greeting_xr("Dir"),
            module_input("deploy-fn", json!({})),
        ))
        .await;
    assert_eq!(
        missing.results[0].message,
        format!(
            "module \"deploy-fn\" not found: not bundled ({}), not in --modules-dir {} (it holds \
             deploy_fn, other); cargo names the file after the crate with underscores: rename \
             deploy_fn.wasm to deploy-fn.wasm",
            function_wasmtime::modules::bundled_names().join(", "),
            dir.path().display()
        )
    );
}

#[tokio::test]
async fn a_wasi_command_module_reads_stdin_and_writes_stdout() {
    let dir = modules_dir_with(&[("echo-command", "echo-command")]);
    let runner = runner_with(Some(dir.path().to_owned()), Limits::DEFAULT_MAXIMA);
    let request = request(
        "cmd",
        greeting_xr("World"),
        module_input("echo-command", json!({})),
    );
    let expected_desired = serde_json::to_value(&request.desired).unwrap();
    let response = runner.run(request).await;
    let json = to_json(&response);
    assert_eq!(
        json["results"],
        json!([{"severity": "SEVERITY_NORMAL", "message": "echo-command saw 0 observed composed resources"}])
    );
    assert_eq!(json["desired"], expected_desired);
    assert_eq!(json["meta"], json!({"tag": "cmd", "ttl": "60s"}));
}

#[tokio::test]
async fn a_command_that_exits_non_zero_is_fatal_with_its_stderr() {
    let dir = modules_dir_with(&[("echo-command", "echo-command")]);
    let runner = runner_with(Some(dir.path().to_owned()), Limits::DEFAULT_MAXIMA);
    let request = request(
        "exit",
        greeting_xr("World"),
        module_input("echo-command", json!({"config": {"exitCode": 3}})),
    );
    let response = runner.run(request.clone()).await;
    let message = response.results[0].message.clone();
    assert!(
        message.starts_with("module \"echo-command\" (sha256:"),
        "{message}"
    );
    let (_, what) = message
        .split_once("): ")
        .expect("the message names the module");
    assert_eq!(
        what,
        "exited with status 3; stderr ends with:\nexiting with 3 as asked"
    );
    assert_fatal(&request, &response, &message);
}

#[tokio::test]
async fn compiled_modules_are_cached_on_disk_by_digest() {
    let _ = runner_with(None, Limits::DEFAULT_MAXIMA)
        .run(request(
            "cache",
            greeting_xr("World"),
            module_input("hello", json!({})),
        ))
        .await;
    let cache = xfn_tests::root().join("target/test-cache");
    let cached: Vec<_> = std::fs::read_dir(&cache)
        .expect("the cache directory exists")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert!(!cached.is_empty(), "no .cwasm in {}", cache.display());
}
