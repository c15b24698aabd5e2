//! `function-wasmtime render` against the real `crossplane render`: the pinned crossplane CLI
//! (v2.5.0, with Crossplane v2.4.0 as its render engine through `--crossplane-binary`, both built
//! by `scripts/upstream`) renders every case of tests/fixtures/render/cases.yaml with this test's
//! server as its `Development`-runtime function-wasmtime, our binary renders the same files, and
//! the two must print the same bytes and both succeed or both fail; upstream's output must also
//! be the case's golden file, which the normal suite holds our render to. The only differences
//! allowed are the ones docs/compatibility.md lists ("render"), applied by [`normalise`] to both
//! outputs. Cases with a scripted function also compare the requests each render sent it.
//!
//! These tests are ignored: `scripts/render-upstream` runs them. A Go program that cannot be built
//! fails them with the command and its output, never skips. Cost: building the two Go programs
//! once per machine (about 6.5 minutes cold on 2 cores, cached under target/upstream), then about
//! 5 s for every case.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use function_wasmtime::render;
use serde_json::Value;
use xfn_proto::v1::{RunFunctionRequest, RunFunctionResponse};
use xfn_tests::{TestServer, root, upstream};

use super::render::{
    binary, cases, everything, everything_config, normalise, our_command, runner,
    unsettled_requirements,
};
use super::scripted::{self, Respond, Scripted};

/// How long either render may take; generous, only a hang is cut short.
const TIMEOUT: &str = "60s";

#[tokio::test(flavor = "multi_thread")]
#[ignore = "builds the crossplane CLI (~6.5 min cold): scripts/render-upstream runs it"]
async fn every_render_case_prints_what_the_pinned_crossplane_render_prints() {
    let upstream = Upstream::build();
    let server = TestServer::start(runner(), None).await;
    let ours = binary();
    let mut mismatches = Vec::new();
    for case in cases() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let theirs_args = with_development_target(&case.args, server.address, dir.path());
        let (theirs, mine) = tokio::join!(
            run(upstream.command(&theirs_args)),
            run(our_command(&ours, &case.args))
        );
        let failure = case.fails.as_deref();
        if let Some(mismatch) = compare(&case.name, failure, &theirs, &mine) {
            mismatches.push(mismatch);
        }
        if let Some(golden) = &case.expected {
            // The golden file the normal suite checks our render against is what upstream prints.
            let path = root().join(golden);
            let printed = normalise(&String::from_utf8_lossy(&theirs.1.stdout));
            if let Err(error) = render::check_expected(&path, &printed) {
                mismatches.push(format!(
                    "case {}: crossplane render does not print {golden}: {error}",
                    case.name
                ));
            }
        }
    }
    server.stop().await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "builds the crossplane CLI (~6.5 min cold): scripts/render-upstream runs it"]
async fn scripted_functions_get_the_same_requests_and_render_the_same() {
    let upstream = Upstream::build();
    let ours = binary();
    let scripts: [(&str, Respond, bool); 3] = [
        ("everything", everything, true),
        ("unsettled-requirements", unsettled_requirements, false),
        ("edge-cases", edge_cases, false),
    ];
    let mut mismatches = Vec::new();
    for (name, respond, is_beta) in scripts {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (theirs_dir, mine_dir) = (dir.path().join("theirs"), dir.path().join("mine"));
        for side in [&theirs_dir, &mine_dir] {
            std::fs::create_dir(side).expect("a directory for each side");
        }
        let (their_function, my_function) = (Scripted::new(respond), Scripted::new(respond));
        let their_server = scripted::serve(their_function.clone(), is_beta, &theirs_dir).await;
        let my_server = scripted::serve(my_function.clone(), is_beta, &mine_dir).await;
        let args = |dir: &Path, functions: &Path| match name {
            "everything" => config_args(&everything_config(dir, functions)),
            "edge-cases" => [
                "tests/fixtures/render/edge-xr.yaml",
                "tests/fixtures/render/remote-composition.yaml",
                &functions.display().to_string(),
                "-e",
                "tests/fixtures/render/required.yaml",
                "-s",
                "tests/fixtures/render/schemas",
                "-r",
                "-x",
                "-c",
            ]
            .map(str::to_owned)
            .to_vec(),
            _ => vec![
                "tests/fixtures/render/hello-xr.yaml".to_owned(),
                "tests/fixtures/render/remote-composition.yaml".to_owned(),
                functions.display().to_string(),
            ],
        };
        let (theirs, mine) = tokio::join!(
            run(upstream.command(&args(&theirs_dir, &their_server.functions))),
            run(our_command(&ours, &args(&mine_dir, &my_server.functions)))
        );
        drop((their_server, my_server));
        let failure = (name == "unsettled-requirements").then_some("requirements didn't stabilize");
        if let Some(mismatch) = compare(name, failure, &theirs, &mine) {
            mismatches.push(mismatch);
        }
        let (their_requests, my_requests) = (
            requests_json(&their_function.requests()),
            requests_json(&my_function.requests()),
        );
        if let Some(diff) = render::unified_diff(
            &their_requests,
            &my_requests,
            "crossplane render's requests",
            "function-wasmtime render's requests",
        ) {
            mismatches.push(format!(
                "{name}: the scripted function got different requests\n{diff}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
}

/// A function that exercises what the examples do not: required resources listed by labels in
/// every namespace, required schemas (one found, one not), a composed resource asked for in
/// another namespace, composed resources with and without status conditions, the XR's
/// readiness set explicitly, a result of unknown severity, a result with its own reason, and
/// conditions of a system and a custom type.
fn edge_cases(_: usize, request: &RunFunctionRequest) -> RunFunctionResponse {
    let mut response: RunFunctionResponse = serde_json::from_value(serde_json::json!({
        "requirements": {
            "resources": {"red": {"apiVersion": "v1", "kind": "ConfigMap", "matchLabels": {"labels": {"team": "red"}}}},
            "schemas": {
                "configmap": {"apiVersion": "v1", "kind": "ConfigMap"},
                "missing": {"apiVersion": "example.org/v1", "kind": "Nope"}
            }
        },
        "desired": {
            "composite": {
                "resource": {"status": {"phase": "Waiting", "conditions": [
                    {"type": "FromStatus", "status": "True", "reason": "Set", "lastTransitionTime": "2026-03-01T00:00:00Z"}
                ]}},
                "ready": "READY_FALSE"
            },
            "resources": {
                "moved": {
                    "resource": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "elsewhere"}, "status": {"atProvider": {}}},
                    "ready": "READY_TRUE"
                },
                "with-conditions": {"resource": {
                    "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "explicit-name"},
                    "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Available", "extra": "dropped", "lastTransitionTime": "2026-03-01T00:00:00Z"}]}
                }}
            }
        },
        "results": [
            {"severity": "SEVERITY_UNSPECIFIED", "message": "huh"},
            {"severity": "SEVERITY_NORMAL", "reason": "Counted", "message": "two required ConfigMaps"}
        ],
        "conditions": [
            {"type": "Ready", "status": "STATUS_CONDITION_TRUE", "reason": "Ignored"},
            {"type": "Custom", "status": "STATUS_CONDITION_UNKNOWN", "reason": "Checking", "message": "not yet"}
        ]
    }))
    .expect("the scripted response is valid protojson");
    response.context = request.context.clone();
    response
}

/// The command-line arguments of a render config (files and the flags the scripted cases use).
fn config_args(config: &render::Config) -> Vec<String> {
    let path = |path: &Path| path.display().to_string();
    let mut args = vec![
        path(&config.xr),
        path(&config.composition),
        path(&config.functions),
    ];
    if let Some(credentials) = &config.function_credentials {
        args.extend(["--function-credentials".to_owned(), path(credentials)]);
    }
    for (key, file) in &config.context_files {
        args.push(format!("--context-files={key}={}", file.display()));
    }
    for (key, value) in &config.context_values {
        args.push(format!("--context-values={key}={value}"));
    }
    for (flag, is_set) in [
        ("-r", config.include_function_results),
        ("-c", config.include_context),
        ("-x", config.include_full_xr),
    ] {
        if is_set {
            args.push(flag.to_owned());
        }
    }
    args
}

/// The requests as pretty protojson, `meta.tag` removed (Crossplane hashes the request; we
/// send an empty tag, see docs/compatibility.md) and every condition time in the observed XR
/// pinned (Crossplane stamps them with the time of the render).
fn requests_json(requests: &[RunFunctionRequest]) -> String {
    let mut json = serde_json::to_value(requests).expect("requests serialise to JSON");
    for request in json.as_array_mut().into_iter().flatten() {
        if let Some(meta) = request.get_mut("meta").and_then(Value::as_object_mut) {
            meta.remove("tag");
        }
        let conditions = request.pointer_mut("/observed/composite/resource/status/conditions");
        for condition in conditions
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            condition["lastTransitionTime"] = "(time of the render)".into();
        }
    }
    serde_json::to_string_pretty(&json).expect("JSON prints")
}

/// The pinned crossplane CLI and the Crossplane it renders with.
struct Upstream {
    cli: PathBuf,
    core: PathBuf,
}

impl Upstream {
    fn build() -> Upstream {
        Upstream {
            cli: upstream::binary("crossplane"),
            core: upstream::binary("crossplane-core"),
        }
    }

    fn command(&self, args: &[String]) -> Command {
        let mut command = Command::new(&self.cli);
        command
            .current_dir(root())
            .arg("render")
            .args(args)
            .arg(format!("--crossplane-binary={}", self.core.display()))
            .arg(format!("--timeout={TIMEOUT}"));
        command
    }
}

/// Runs a command off the async threads (the server the upstream render calls runs on them).
async fn run(mut command: Command) -> (String, Output) {
    let line = format!("{command:?}");
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the command's thread does not panic")
        .unwrap_or_else(|error| panic!("cannot run {line}: {error}"));
    (line, output)
}

/// The arguments for upstream: the functions file (third argument) copied with every
/// function-wasmtime Function pointed at `address` in Development mode, as upstream runs it
/// only that way.
fn with_development_target(
    args: &[String],
    address: std::net::SocketAddr,
    dir: &Path,
) -> Vec<String> {
    let mut args = args.to_vec();
    let source = root().join(&args[2]);
    let Ok(text) = std::fs::read_to_string(&source) else {
        return args;
    };
    let mut documents = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(&text) {
        let Ok(mut value) = <Value as serde::Deserialize>::deserialize(document) else {
            // Not YAML: upstream should fail on it as we do.
            return args;
        };
        if value.is_null() {
            continue;
        }
        let is_ours =
            value.pointer("/metadata/name").and_then(Value::as_str) == Some("function-wasmtime");
        if is_ours {
            let annotations = &mut value["metadata"]["annotations"];
            if !annotations.is_object() {
                *annotations = Value::Object(serde_json::Map::new());
            }
            annotations["render.crossplane.io/runtime"] = "Development".into();
            annotations["render.crossplane.io/runtime-development-target"] =
                address.to_string().into();
        }
        documents.push(serde_yaml_ng::to_string(&value).expect("JSON values print as YAML"));
    }
    let copy = dir.join("functions.yaml");
    std::fs::write(&copy, documents.join("---\n")).expect("the functions copy can be written");
    args[2] = copy.display().to_string();
    args
}

/// `None` when both renders agree: both succeed with the same output after [`normalise`], or,
/// when the case must fail with `failure` on upstream's stderr, both fail so and print nothing.
/// Otherwise a report with both commands, a diff and both stderrs.
fn compare(
    name: &str,
    failure: Option<&str>,
    theirs: &(String, Output),
    mine: &(String, Output),
) -> Option<String> {
    let ((their_command, their_output), (my_command, my_output)) = (theirs, mine);
    let stdout = |output: &Output| normalise(&String::from_utf8_lossy(&output.stdout));
    let (their_stdout, my_stdout) = (stdout(their_output), stdout(my_output));
    let is_expected = |output: &Output| match failure {
        None => output.status.success(),
        Some(message) => {
            !output.status.success()
                && output.stdout.is_empty()
                && (!std::ptr::eq(output, their_output)
                    || String::from_utf8_lossy(&output.stderr).contains(message))
        }
    };
    let is_same = is_expected(their_output) && is_expected(my_output) && their_stdout == my_stdout;
    if is_same {
        return None;
    }
    let diff = render::unified_diff(
        &their_stdout,
        &my_stdout,
        "crossplane render",
        "function-wasmtime render",
    )
    .unwrap_or_else(|| "(the same stdout)\n".to_owned());
    Some(format!(
        "case {name}: the renders differ\n$ {their_command}\n  exit: {}\n$ {my_command}\n  exit: {}\n{diff}--- crossplane render's stderr\n{}--- function-wasmtime render's stderr\n{}",
        their_output.status,
        my_output.status,
        String::from_utf8_lossy(&their_output.stderr),
        String::from_utf8_lossy(&my_output.stderr)
    ))
}

#[test]
#[ignore = "builds function-patch-and-transform (~3 min cold): scripts/render-upstream runs it"]
fn the_shipped_pt_input_crd_is_function_patch_and_transforms_byte_for_byte() {
    let shipped_path = root().join("package/input/pt.fn.crossplane.io_resources.yaml");
    let shipped = std::fs::read_to_string(&shipped_path).expect("the P&T Input CRD is shipped");
    // Comment lines, then upstream's file without its leading `---` line.
    let crd: String = shipped
        .split_inclusive('\n')
        .skip_while(|line| line.starts_with('#'))
        .collect();
    let upstream_path = upstream::module_source("patch-and-transform")
        .join("package/input/pt.fn.crossplane.io_resources.yaml");
    let original = std::fs::read_to_string(&upstream_path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", upstream_path.display()));
    let original = original.strip_prefix("---\n").unwrap_or(&original);
    if let Some(diff) = render::unified_diff(
        original,
        &crd,
        &upstream_path.display().to_string(),
        &shipped_path.display().to_string(),
    ) {
        panic!("the shipped P&T Input CRD is not upstream's:\n{diff}");
    }
}
