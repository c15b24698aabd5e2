//! `render`: every example in `examples/` against its `expected.yaml`, a Development-mode
//! Function over real gRPC, the one-line errors for bad input, and the built binary with
//! `--expect`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, LazyLock};

use function_wasmtime::host::Limits;
use function_wasmtime::render::{self, Config};
use function_wasmtime::step::StepRunner;
use xfn_proto::v1::{
    Condition, Ready, Requirements, Resource, ResourceSelector, Result as StepResult,
    RunFunctionRequest, RunFunctionResponse, Severity, State, Status, credentials,
    resource_selector,
};
use xfn_tests::{TestServer, built_module, root, runner_with};

use super::scripted::{self, Scripted};

/// One runner for every render test, with the example modules of `functions/examples` (such as
/// `environment_configs`) in its modules directory.
pub(super) fn runner() -> Arc<StepRunner> {
    static RUNNER: LazyLock<Arc<StepRunner>> =
        LazyLock::new(|| runner_with(Some(modules_dir()), Limits::DEFAULT_MAXIMA));
    RUNNER.clone()
}

/// Where cargo puts the modules built from `functions/`.
pub(super) fn modules_dir() -> PathBuf {
    built_module("hello")
        .parent()
        .expect("a module file is in a directory")
        .to_owned()
}

fn example(name: &str) -> PathBuf {
    root().join("examples").join(name)
}

pub(super) fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/render").join(name)
}

/// The config for `examples/NAME` with the flags its README line shows.
fn example_config(name: &str) -> Config {
    let dir = example(name);
    let mut config = Config::new(
        dir.join("xr.yaml"),
        dir.join("composition.yaml"),
        dir.join("functions.yaml"),
    );
    match name {
        "storage-bucket" => {
            config.observed_resources = Some(dir.join("observed.yaml"));
        }
        "web-app" => {
            config.observed_resources = Some(dir.join("observed.yaml"));
            config.include_function_results = true;
        }
        "database-environment" => {
            config.required_resources = vec![dir.join("environment-configs.yaml")];
            config.context_values = vec![(
                "apiextensions.crossplane.io/environment".to_owned(),
                r#"{"owner": "payments-team", "backup": {"retentionDays": 7}}"#.to_owned(),
            )];
            config.include_context = true;
        }
        other => panic!("no flags known for example {other}"),
    }
    config
}

/// Renders, or returns the error with its sources joined by ": " and the workspace root removed
/// from paths, as the binary prints it.
async fn render(config: &Config) -> Result<String, String> {
    render::run_with(config, &runner()).await.map_err(|error| {
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        message.replace(&format!("{}/", root().display()), "")
    })
}

/// Renders an example and compares it with its `expected.yaml` (`UPDATE_GOLDEN=1` rewrites it).
async fn check_example(name: &str) {
    let output = render(&example_config(name))
        .await
        .unwrap_or_else(|error| panic!("examples/{name} does not render: {error}"));
    if let Err(error) = render::check_expected(&example(name).join("expected.yaml"), &output) {
        panic!("examples/{name}: {error}");
    }
}

#[tokio::test]
async fn storage_bucket_example_renders_its_expected_output() {
    check_example("storage-bucket").await;
}

#[tokio::test]
async fn web_app_example_chains_hello_patch_and_transform_and_auto_ready() {
    check_example("web-app").await;
}

#[tokio::test]
async fn database_environment_example_uses_required_resources_and_context() {
    check_example("database-environment").await;
}

#[tokio::test]
async fn a_development_function_is_called_over_grpc_like_an_in_process_one() {
    let server = TestServer::start(runner(), None).await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let functions = dir.path().join("functions.yaml");
    std::fs::write(
        &functions,
        format!(
            "apiVersion: pkg.crossplane.io/v1\nkind: Function\nmetadata:\n  name: function-remote\n  annotations:\n    render.crossplane.io/runtime: Development\n    render.crossplane.io/runtime-development-target: dns:///{}\n",
            server.address
        ),
    )
    .expect("the functions file can be written");
    let remote = render(&Config::new(
        fixture("hello-xr.yaml"),
        fixture("remote-composition.yaml"),
        &functions,
    ))
    .await;
    server.stop().await;
    let local = render(&Config::new(
        fixture("hello-xr.yaml"),
        fixture("hello-composition.yaml"),
        fixture("functions.yaml"),
    ))
    .await;
    assert_eq!(remote, local);
    assert!(
        local
            .as_deref()
            .is_ok_and(|yaml| yaml.contains("greeting: Hello, Ada!")),
        "{local:?}"
    );
}

/// Asserts that rendering these files fails with exactly `expected`.
async fn assert_fails(config: Config, expected: &str) {
    assert_eq!(render(&config).await, Err(expected.to_owned()));
}

#[tokio::test]
async fn a_missing_file_is_named() {
    assert_fails(
        Config::new(
            fixture("no-such-xr.yaml"),
            fixture("hello-composition.yaml"),
            fixture("functions.yaml"),
        ),
        "cannot read XR file tests/fixtures/render/no-such-xr.yaml: No such file or directory (os error 2)",
    )
    .await;
}

#[tokio::test]
async fn bad_yaml_names_the_file_document_and_line() {
    assert_fails(
        Config::new(
            fixture("hello-xr.yaml"),
            fixture("bad-yaml-composition.yaml"),
            fixture("functions.yaml"),
        ),
        "tests/fixtures/render/bad-yaml-composition.yaml: document 1 is not valid YAML: did not find expected key at line 14 column 6, while parsing a block mapping at line 11 column 5",
    )
    .await;
}

#[tokio::test]
async fn an_object_of_the_wrong_kind_names_its_document() {
    assert_fails(
        Config::new(
            fixture("hello-xr.yaml"),
            fixture("hello-composition.yaml"),
            fixture("not-a-function.yaml"),
        ),
        "tests/fixtures/render/not-a-function.yaml: document 2 (ConfigMap \"oops\"): expected a Function (pkg.crossplane.io Function), found v1 ConfigMap",
    )
    .await;
}

#[tokio::test]
async fn a_missing_field_names_its_path() {
    assert_fails(
        Config::new(
            fixture("hello-xr.yaml"),
            fixture("missing-field-composition.yaml"),
            fixture("functions.yaml"),
        ),
        "tests/fixtures/render/missing-field-composition.yaml: document 1 (Composition \"greetings\"): spec.pipeline[0].functionRef: missing field `name`",
    )
    .await;
}

#[tokio::test]
async fn a_composition_for_another_type_is_refused() {
    assert_fails(
        Config::new(
            fixture("hello-xr.yaml"),
            fixture("wrong-type-composition.yaml"),
            fixture("functions.yaml"),
        ),
        "tests/fixtures/render/wrong-type-composition.yaml: Composition \"buckets\" is for storage.example.org/v1alpha1 XBucket (spec.compositeTypeRef), but the XR in tests/fixtures/render/hello-xr.yaml is example.org/v1alpha1 XGreeting; render it with a Composition for example.org/v1alpha1 XGreeting",
    )
    .await;
}

#[tokio::test]
async fn a_composition_not_in_pipeline_mode_is_refused() {
    assert_fails(
        Config::new(
            fixture("hello-xr.yaml"),
            fixture("resources-mode-composition.yaml"),
            fixture("functions.yaml"),
        ),
        "tests/fixtures/render/resources-mode-composition.yaml: Composition \"greetings-classic\" uses spec.mode: Resources; render runs only spec.mode: Pipeline compositions",
    )
    .await;
}

#[tokio::test]
async fn a_function_missing_from_the_functions_file_is_named() {
    assert_fails(
        Config::new(
            fixture("hello-xr.yaml"),
            fixture("hello-composition.yaml"),
            fixture("other-functions.yaml"),
        ),
        "tests/fixtures/render/hello-composition.yaml: pipeline step \"greet\" uses Function \"function-wasmtime\", which is not in tests/fixtures/render/other-functions.yaml; add a pkg.crossplane.io/v1 Function named function-wasmtime there",
    )
    .await;
}

#[tokio::test]
async fn a_function_that_needs_docker_is_refused() {
    assert_fails(
        Config::new(
            fixture("hello-xr.yaml"),
            fixture("remote-composition.yaml"),
            fixture("other-functions.yaml"),
        ),
        "tests/fixtures/render/other-functions.yaml: Function \"function-remote\" cannot run here: render runs function-wasmtime in process and calls other Functions only with the annotation render.crossplane.io/runtime: Development (it does not use Docker); add that annotation and start the function with --insecure",
    )
    .await;
}

#[tokio::test]
async fn an_unreachable_development_target_is_named() {
    // A port that was free a moment ago and has nothing listening now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("loopback has free ports")
        .port();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let functions = dir.path().join("functions.yaml");
    std::fs::write(
        &functions,
        format!(
            "apiVersion: pkg.crossplane.io/v1\nkind: Function\nmetadata:\n  name: function-remote\n  annotations:\n    render.crossplane.io/runtime: Development\n    render.crossplane.io/runtime-development-target: 127.0.0.1:{port}\n"
        ),
    )
    .expect("the functions file can be written");
    let error = render(&Config::new(
        fixture("hello-xr.yaml"),
        fixture("remote-composition.yaml"),
        &functions,
    ))
    .await
    .expect_err("nothing listens there");
    assert_eq!(
        error.replace(&dir.path().display().to_string(), "TMP"),
        format!(
            "TMP/functions.yaml: Function \"function-remote\": cannot connect to its Development target 127.0.0.1:{port}: transport error: tcp connect error: Connection refused (os error 111); start the function there with --insecure, or set render.crossplane.io/runtime-development-target"
        )
    );
}

#[tokio::test]
async fn a_fatal_result_stops_the_pipeline_with_crossplanes_message() {
    assert_fails(
        Config::new(
            fixture("hello-xr-without-who.yaml"),
            fixture("hello-composition.yaml"),
            fixture("functions.yaml"),
        ),
        "pipeline step \"greet\" returned a fatal result: hello: the composite resource has no spec.who; set spec.who to the name to greet",
    )
    .await;
}

/// The `function-wasmtime` binary, built by cargo into the workspace's target directory.
pub(super) fn binary() -> PathBuf {
    xfn_tests::build_binary("dev")
}

fn run_binary(binary: &Path, args: &[PathBuf]) -> (bool, String, String) {
    let output = Command::new(binary)
        .current_dir(root())
        .args(args)
        .env_remove(render::UPDATE_GOLDEN)
        .output()
        .expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_binary_checks_an_example_with_expect_and_prints_a_diff_on_a_difference() {
    let binary = binary();
    let dir = example("storage-bucket");
    let expected = dir.join("expected.yaml");
    let args = |golden: &Path| {
        vec![
            PathBuf::from("render"),
            dir.join("xr.yaml"),
            dir.join("composition.yaml"),
            dir.join("functions.yaml"),
            PathBuf::from("-o"),
            dir.join("observed.yaml"),
            PathBuf::from("--expect"),
            golden.to_owned(),
        ]
    };

    let (is_success, stdout, stderr) = run_binary(&binary, &args(&expected));
    assert_eq!(
        (is_success, stdout.as_str(), stderr),
        (
            true,
            "",
            format!("the output matches {}\n", expected.display())
        )
    );

    let temp = tempfile::tempdir().expect("a temporary directory");
    let golden = temp.path().join("expected.yaml");
    let text = std::fs::read_to_string(&expected).expect("the example has expected.yaml");
    std::fs::write(
        &golden,
        text.replace("region: eu-central-1", "region: us-east-1"),
    )
    .expect("the golden copy can be written");
    let (is_success, stdout, stderr) = run_binary(&binary, &args(&golden));
    assert_eq!((is_success, stdout.as_str()), (false, ""));
    let header = format!(
        "function-wasmtime: the output differs from {golden}; re-run with UPDATE_GOLDEN=1 to accept it\n--- {golden}\n+++ rendered\n",
        golden = golden.display()
    );
    assert!(stderr.starts_with(&header), "{stderr}");
    assert!(
        stderr.contains("-    region: us-east-1\n+    region: eu-central-1\n"),
        "{stderr}"
    );
}

#[tokio::test]
async fn requirements_that_never_settle_stop_after_five_more_calls() {
    let scripted = Scripted::new(unsettled_requirements);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = scripted::serve(scripted.clone(), false, dir.path()).await;
    let result = render(&Config::new(
        fixture("hello-xr.yaml"),
        fixture("remote-composition.yaml"),
        &server.functions,
    ))
    .await;
    drop(server);
    assert_eq!(
        result,
        Err("pipeline step \"greet-remotely\": requirements didn't stabilize after the maximum number of iterations (5); the function must return the same requirements once they are met".to_owned())
    );
    let requests = scripted.requests();
    assert_eq!(requests.len(), 6);
    // Each re-call carries what the previous call required; none exists, so an empty list.
    assert_eq!(
        requests[5].required_resources.keys().collect::<Vec<_>>(),
        vec!["config"]
    );
    assert!(requests[5].required_resources["config"].items.is_empty());
}

/// A function that requires another ConfigMap on every call.
pub(super) fn unsettled_requirements(
    call: usize,
    request: &RunFunctionRequest,
) -> RunFunctionResponse {
    RunFunctionResponse {
        desired: request.desired.clone(),
        context: request.context.clone(),
        requirements: Some(Requirements {
            resources: HashMap::from([(
                "config".to_owned(),
                ResourceSelector {
                    api_version: "v1".to_owned(),
                    kind: "ConfigMap".to_owned(),
                    namespace: None,
                    r#match: Some(resource_selector::Match::MatchName(format!(
                        "config-{call}"
                    ))),
                },
            )]),
            ..Requirements::default()
        }),
        ..RunFunctionResponse::default()
    }
}

#[tokio::test]
async fn a_v1beta1_only_function_gets_the_whole_request_and_its_answer_is_printed() {
    let scripted = Scripted::new(everything);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = scripted::serve(scripted.clone(), true, dir.path()).await;
    let config = everything_config(dir.path(), &server.functions);
    let output = render(&config).await;
    drop(server);
    let output = output.expect("the scripted pipeline renders");
    if let Err(error) = render::check_expected(&fixture("scripted-expected.yaml"), &output) {
        panic!("{error}");
    }
    let requests = scripted.requests();
    let [request] = requests.as_slice() else {
        panic!("one call expected, got {}", requests.len());
    };
    let meta = request.meta.as_ref().expect("render sends meta");
    assert_eq!(
        (meta.tag.as_str(), meta.capabilities.as_slice()),
        ("", &[1, 2, 3, 4, 5][..])
    );
    let Some(credentials::Source::CredentialData(data)) = &request.credentials["api"].source else {
        panic!("credentials from the Secret expected");
    };
    assert_eq!(data.data["token"], b"s3cr3t");
    assert_eq!(
        request
            .observed
            .as_ref()
            .and_then(|o| o.composite.as_ref())
            .and_then(|c| c.resource.as_ref())
            .map(|r| r.fields.contains_key("spec")),
        Some(true)
    );
}

/// The flags of the scripted render that uses everything: credentials, context from a file and
/// a value, results, context and the full XR; the credentials file is written to `dir`.
pub(super) fn everything_config(dir: &Path, functions: &Path) -> Config {
    let credentials = dir.join("credentials.yaml");
    std::fs::write(
        &credentials,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\n  namespace: crossplane-system\ndata:\n  token: czNjcjN0\n",
    )
    .expect("the credentials file can be written");
    let mut config = Config::new(
        fixture("hello-xr.yaml"),
        fixture("credentials-composition.yaml"),
        functions,
    );
    config.function_credentials = Some(credentials);
    config.context_files = vec![("seed".to_owned(), fixture("context.json"))];
    config.context_values = vec![("override".to_owned(), "[1, 2.5, three]".to_owned())];
    config.include_function_results = true;
    config.include_context = true;
    config.include_full_xr = true;
    config
}

/// A function that answers with a status, two composed resources (one ready), results of both
/// kinds, a custom and a system condition, and the context it got.
pub(super) fn everything(_: usize, request: &RunFunctionRequest) -> RunFunctionResponse {
    let object = |json: serde_json::Value| serde_json::from_value(json).expect("an object");
    RunFunctionResponse {
                desired: Some(State {
                    composite: Some(Resource {
                        resource: Some(object(serde_json::json!({"status": {"phase": "Provisioning"}}))),
                        ..Resource::default()
                    }),
                    resources: HashMap::from([
                        (
                            "b-secret".to_owned(),
                            Resource {
                                resource: Some(object(serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "fixed"}}))),
                                ready: Ready::True as i32,
                                ..Resource::default()
                            },
                        ),
                        (
                            "a-map".to_owned(),
                            Resource {
                                resource: Some(object(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"multi": "line one\nline two\n"}}))),
                                ..Resource::default()
                            },
                        ),
                    ]),
                }),
                context: request.context.clone(),
                results: vec![
                    StepResult { severity: Severity::Normal as i32, message: "all good".to_owned(), ..StepResult::default() },
                    StepResult { severity: Severity::Warning as i32, message: "almost: a long warning that goes on and on past the eightieth column, so that go-yaml folds it".to_owned(), ..StepResult::default() },
                ],
                conditions: vec![
                    Condition { r#type: "DatabaseReady".to_owned(), status: Status::ConditionFalse as i32, reason: "Waiting".to_owned(), message: Some("no endpoint yet".to_owned()), ..Condition::default() },
                    Condition { r#type: "Synced".to_owned(), status: Status::ConditionTrue as i32, reason: "Ignored".to_owned(), ..Condition::default() },
                ],
                ..RunFunctionResponse::default()
            }
}

/// A render case of `tests/fixtures/render/cases.yaml`.
#[derive(Debug, serde::Deserialize)]
pub(super) struct Case {
    /// What the case is called in failure messages.
    pub(super) name: String,
    /// The arguments after `render`, paths relative to the workspace root, the functions file
    /// third.
    pub(super) args: Vec<String>,
    /// For a case that renders: the file holding what `crossplane render` prints for it.
    #[serde(default)]
    pub(super) expected: Option<String>,
    /// For a case that must fail: what upstream's stderr says.
    #[serde(default)]
    pub(super) fails: Option<String>,
}

/// Every case of `tests/fixtures/render/cases.yaml`.
pub(super) fn cases() -> Vec<Case> {
    let path = fixture("cases.yaml");
    let text =
        std::fs::read_to_string(&path).expect("tests/fixtures/render/cases.yaml is readable");
    let cases: Vec<Case> = serde_yaml_ng::from_str(&text)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    for case in &cases {
        assert!(
            case.expected.is_some() != case.fails.is_some(),
            "{}: case {} needs exactly one of expected and fails",
            path.display(),
            case.name
        );
    }
    cases
}

/// `function-wasmtime render ARGS` with this repository's modules and a compile cache under
/// target/.
pub(super) fn our_command(binary: &Path, args: &[String]) -> Command {
    let mut command = Command::new(binary);
    command
        .current_dir(root())
        .arg("render")
        .args(args)
        .arg(format!("--modules-dir={}", modules_dir().display()))
        .arg(format!(
            "--cache-dir={}",
            root().join("target/test-cache").display()
        ))
        .arg("--timeout=60s")
        .env_remove(render::UPDATE_GOLDEN);
    command
}

/// The differences docs/compatibility.md allows, removed from an output: Crossplane records
/// the events of a loop over a Go map (each composed resource that is not ready yet, each
/// namespace it overrode) in random order, so runs of those Result documents are sorted.
pub(super) fn normalise(stream: &str) -> String {
    let mut documents: Vec<&str> = stream.split("---\n").collect();
    let is_map_ordered = |document: &str| {
        document.starts_with("apiVersion: render.crossplane.io/v1beta1\nkind: Result\n")
            && (document.contains("message: Composed resource \"")
                || document.contains("reason: NamespaceOverridden"))
    };
    let mut start = 0;
    while start < documents.len() {
        let mut end = start;
        while end < documents.len() && is_map_ordered(documents[end]) {
            end += 1;
        }
        documents[start..end].sort_unstable();
        start = end.max(start + 1);
    }
    documents.join("---\n")
}

/// Every render case through the binary: a case that renders prints its golden file (what the
/// pinned `crossplane render` printed, kept so by scripts/render-upstream), after [`normalise`];
/// a case that fails exits non-zero and prints nothing, as upstream does (the exact messages are
/// the tests above).
#[test]
fn every_render_case_prints_what_crossplane_render_printed() {
    let binary = binary();
    let mut mismatches = Vec::new();
    for case in cases() {
        let output = our_command(&binary, &case.args)
            .output()
            .expect("the binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        match (&case.expected, output.status.success()) {
            (Some(golden), true) => {
                if let Err(error) =
                    render::check_expected(&root().join(golden), &normalise(&stdout))
                {
                    mismatches.push(format!("case {}: {error}", case.name));
                }
            }
            (None, false) if stdout.is_empty() => {}
            _ => mismatches.push(format!(
                "case {}: exit {}, stdout:\n{stdout}stderr:\n{stderr}",
                case.name, output.status
            )),
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
}
