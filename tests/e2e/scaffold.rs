//! `function-wasmtime module new` for every language: the project generated into an empty folder
//! by the real binary, its native test run where it costs little (Python, JavaScript), built with
//! its own `build.sh` (on the toolchains `scripts/build-examples` caches under
//! `target/toolchains`), and the module it builds called through the real server on the
//! project's `request.json`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::languages::as_doubles;
use function_wasmtime::host::Limits;
use serde_json::{Value, json};
use xfn_proto::v1::RunFunctionRequest;
use xfn_tests::{
    TestServer, build_binary, deployment_status_sample, module_input, root, runner_with, to_json,
};

/// The toolchains `scripts/build-examples` installs.
fn toolchains() -> PathBuf {
    root().join("target/toolchains")
}

/// Runs `command`, panicking with what it was and its output when it fails.
fn run(what: &str, command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{what}: cannot run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{what}: {command:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Generates the project `name` in `language` under `parent`, runs its native test if `test` is
/// given, builds it and returns the module it built.
fn generate_and_build(parent: &Path, language: &str, name: &str, test: &[&str]) -> PathBuf {
    let project = parent.join(name);
    run(
        &format!("module new --language {language}"),
        Command::new(build_binary("dev"))
            .args(["module", "new", "--language", language, "--checkout"])
            .arg(root())
            .arg(&project),
    );
    let go = toolchains().join("go");
    let configure = |command: &mut Command| {
        command
            .current_dir(&project)
            .env("GOMODCACHE", go.join("mod"))
            .env("GOCACHE", go.join("cache"))
            .env("GOFLAGS", "-modcacherw")
            .env(
                "COMPONENTIZE_PY",
                toolchains().join("python/bin/componentize-py"),
            )
            .env(
                "COMPONENTIZE_JS",
                toolchains().join("javascript/node_modules/.bin/componentize-js"),
            )
            // The authoring test's target directory: the same release profile and dependencies.
            .env("CARGO_TARGET_DIR", root().join("target/authoring"));
    };
    if let [program, args @ ..] = test {
        let mut command = Command::new(program);
        configure(command.args(args));
        run(&format!("{name}'s native test"), &mut command);
    }
    let mut build = Command::new(project.join("build.sh"));
    configure(&mut build);
    run(&format!("{name}'s build.sh"), &mut build);
    let module = project.join(format!("{name}.wasm"));
    assert!(
        module.exists(),
        "{name}'s build.sh wrote no {}",
        module.display()
    );
    module
}

/// The project's `request.json` with a step Input naming `module`.
fn sample_request(project: &Path, module: &str) -> RunFunctionRequest {
    let text = std::fs::read_to_string(project.join("request.json")).expect("request.json");
    let mut request: Value = serde_json::from_str(&text).expect("request.json is JSON");
    request["input"] = module_input(module, json!({}));
    serde_json::from_value(request).expect("request.json is a RunFunctionRequest")
}

/// What the deployment-status transform answers to the sample request through the server: the
/// example's response with the step's TTL.
fn deployment_status_response() -> Value {
    let (_, mut response) = deployment_status_sample();
    response["meta"]["ttl"] = json!("60s");
    response
}

#[tokio::test]
async fn a_project_of_every_language_builds_and_answers_through_the_server() {
    let parent = tempfile::tempdir().expect("a temp dir");
    let modules = tempfile::tempdir().expect("a temp dir");
    let projects: [(&str, &str, &[&str], Value); 6] = [
        ("rust", "my-rust", &[], deployment_status_response()),
        // Its `go test` is left out: it would compile function-sdk-go natively, a minute of CPU.
        ("go", "my-go", &[], deployment_status_response()),
        (
            "python",
            "my-python",
            &["python3", "-m", "unittest", "-q"],
            deployment_status_response(),
        ),
        (
            "js",
            "my-js",
            &["node", "--test"],
            deployment_status_response(),
        ),
        (
            "c",
            "my-c",
            &[],
            json!({
                "meta": {"tag": "sample", "ttl": "60s"},
                "desired": {
                    "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XApp", "status": {"phase": "Deploying"}}},
                    "resources": {"other": {"resource": {"apiVersion": "v1", "kind": "Secret", "metadata": {"labels": {"example.org/composite": "shop"}}}}},
                },
                "results": [{"severity": "SEVERITY_NORMAL", "message": "c-hello: labelled 1 composed resource with example.org/composite=shop"}],
                "context": {"example.org/team": "a"},
            }),
        ),
        (
            "assemblyscript",
            "my-assemblyscript",
            &[],
            json!({
                "meta": {"tag": "sample", "ttl": "60s"},
                "desired": {
                    "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XApp", "status": {"phase": "Deploying"}}},
                    "resources": {
                        "other": {"resource": {"apiVersion": "v1", "kind": "Secret"}},
                        "greeting": {
                            "resource": {
                                "apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"namespace": "team-a"},
                                "data": {"greeting": "Hello from AssemblyScript, shop!"}
                            },
                            "ready": "READY_TRUE"
                        },
                    },
                },
                "results": [{"severity": "SEVERITY_NORMAL", "message": "composed ConfigMap \"greeting\" for shop"}],
                "context": {"example.org/team": "a"},
            }),
        ),
    ];
    for (language, name, test, _) in &projects {
        let module = generate_and_build(parent.path(), language, name, test);
        std::fs::copy(&module, modules.path().join(format!("{name}.wasm")))
            .expect("the module can be copied");
    }
    let runner = runner_with(Some(modules.path().to_owned()), Limits::DEFAULT_MAXIMA);
    let server = TestServer::start(runner, None).await;
    for (_, name, _, expected) in projects {
        let request = sample_request(&parent.path().join(name), name);
        let response = server
            .client()
            .await
            .run_function(request)
            .await
            .unwrap_or_else(|status| panic!("{name}: {status}"))
            .into_inner();
        assert_eq!(
            as_doubles(to_json(&response)),
            as_doubles(expected),
            "{name}"
        );
    }
    server.stop().await;
}
