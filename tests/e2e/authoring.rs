//! docs/authoring.md §1–§5 followed as a new author would: the SDK packaged (by
//! `cargo publish --dry-run`, which also checks what crates.io would) and unpacked into an empty
//! temporary folder outside the repository (nothing else of the repository goes there), the
//! guide's crates written beside it from the guide's own code blocks (those marked `file=PATH`),
//! their unit tests run, and `my-function` built for wasm32-wasip1 and called through the host.
//!
//! The nested builds share `target/authoring`, so only the first run compiles the dependencies
//! (about 3 minutes of CPU: the SDK's dependencies natively and for wasm32, and k8s-openapi for
//! `deploy-fn`); later runs recompile the SDK and the two small crates.

use std::path::{Path, PathBuf};
use std::process::Command;

use function_wasmtime::host::Limits;
use serde_json::json;
use xfn_tests::{cargo, module_input, request, root, runner_with, to_json};

/// The guide's files: each fenced block whose info string says `file=PATH`, by `PATH`.
fn guide_files() -> Vec<(String, String)> {
    let guide = std::fs::read_to_string(root().join("docs/authoring.md"))
        .expect("docs/authoring.md is readable");
    let mut files = Vec::new();
    let mut lines = guide.lines();
    while let Some(line) = lines.next() {
        let Some(path) = line.strip_prefix("```").and_then(|info| {
            info.split_whitespace()
                .find_map(|w| w.strip_prefix("file="))
        }) else {
            continue;
        };
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        files.push((path.to_owned(), body.join("\n") + "\n"));
    }
    files
}

/// Runs `command`, panicking with what it was and its output when it fails.
fn run(command: &mut Command) -> String {
    let output = command.output().expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The SDK's `.crate`, as `cargo publish --dry-run` packages it after checking what crates.io
/// checks (without building it there: building it from the unpacked crate is the stronger check).
fn package_sdk(target_dir: &Path) -> PathBuf {
    run(cargo()
        .current_dir(root())
        .args([
            "publish",
            "--dry-run",
            "--manifest-path",
            "functions/Cargo.toml",
            "-p",
            "xfn-sdk",
            "--no-verify",
            "--allow-dirty",
            "--quiet",
            "--target-dir",
        ])
        .arg(target_dir));
    let version = sdk_manifest_value("version");
    // `cargo publish --dry-run` leaves the crate in package/tmp-crate/ (cargo 1.95); `cargo
    // package` in package/.
    let name = format!("xfn-sdk-{version}.crate");
    let dry_run = target_dir.join("package/tmp-crate").join(&name);
    if dry_run.exists() {
        dry_run
    } else {
        target_dir.join("package").join(name)
    }
}

/// A `key = "value"` line of functions/sdk/Cargo.toml.
fn sdk_manifest_value(key: &str) -> String {
    let manifest = std::fs::read_to_string(root().join("functions/sdk/Cargo.toml"))
        .expect("the SDK's manifest is readable");
    manifest
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{key} = \"")))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("functions/sdk/Cargo.toml has no {key} = \"...\" line"))
        .to_owned()
}

#[tokio::test]
async fn the_guides_modules_build_and_pass_their_tests_with_the_packaged_sdk_alone() {
    let target_dir = root().join("target/authoring");
    let folder = tempfile::tempdir().expect("a temporary folder");
    let crate_file = package_sdk(&target_dir);
    run(Command::new("tar")
        .arg("-xzf")
        .arg(&crate_file)
        .arg("-C")
        .arg(folder.path()));

    let files = guide_files();
    let paths: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "my-function/Cargo.toml",
            "my-function/src/lib.rs",
            "deploy-fn/Cargo.toml",
            "deploy-fn/src/lib.rs"
        ]
    );
    for (path, contents) in &files {
        let path = folder.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a file in a crate"))
            .expect("the temporary folder is writable");
        std::fs::write(&path, contents).expect("the temporary folder is writable");
    }

    for (name, expected) in [
        (
            "my-function",
            [
                "test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out",
                "test tests::a_spec_without_region_is_fatal ... ok",
                "test tests::composes_a_bucket_in_the_xr_region ... ok",
            ],
        ),
        (
            "deploy-fn",
            [
                "test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out",
                "test tests::an_observed_resource_of_another_kind_is_fatal ... ok",
                "test tests::composes_a_deployment_ready_once_its_replicas_are_available ... ok",
            ],
        ),
    ] {
        let output = run(cargo()
            .current_dir(folder.path().join(name))
            .args(["test", "--target-dir"])
            .arg(&target_dir));
        let mut tests: Vec<&str> = output
            .lines()
            .filter(|line| line.starts_with("test "))
            .map(|line| {
                line.split_once("; finished in")
                    .map_or(line, |(kept, _)| kept)
            })
            .collect();
        // Sorted: the summary line ("test result") comes first.
        tests.sort_unstable();
        assert_eq!(tests, expected, "{name}'s tests:\n{output}");
    }

    run(cargo()
        .current_dir(folder.path().join("my-function"))
        .args([
            "build",
            "--quiet",
            "--release",
            "--target",
            "wasm32-wasip1",
            "--target-dir",
        ])
        .arg(&target_dir));
    let modules = folder.path().join("modules");
    std::fs::create_dir(&modules).expect("the temporary folder is writable");
    std::fs::copy(
        target_dir.join("wasm32-wasip1/release/my_function.wasm"),
        modules.join("my-function.wasm"),
    )
    .expect("cargo wrote my_function.wasm");

    let xr = json!({
        "apiVersion": "example.org/v1", "kind": "XBucket", "metadata": {"name": "photos"},
        "spec": {"region": "eu-west-1", "versioning": true},
    });
    let runner = runner_with(Some(modules), Limits::DEFAULT_MAXIMA);
    let response = runner
        .run(request("t1", xr, module_input("my-function", json!({}))))
        .await;
    assert_eq!(
        to_json(&response)["desired"]["resources"]["bucket"],
        json!({
            "resource": {
                "apiVersion": "s3.aws.upbound.io/v1beta1",
                "kind": "Bucket",
                "metadata": {"annotations": {"example.org/versioning": "enabled"}},
                "spec": {"forProvider": {"region": "eu-west-1"}},
            },
            "ready": "READY_FALSE",
        })
    );
}

#[test]
fn the_sdk_states_the_rust_version_the_project_pins() {
    let toolchain = std::fs::read_to_string(root().join("rust-toolchain.toml"))
        .expect("rust-toolchain.toml is readable");
    let channel = toolchain
        .lines()
        .find_map(|line| line.strip_prefix("channel = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("rust-toolchain.toml names a channel");
    let minor = channel.rsplit_once('.').map_or(channel, |(minor, _)| minor);
    assert_eq!(sdk_manifest_value("rust-version"), minor);
}
