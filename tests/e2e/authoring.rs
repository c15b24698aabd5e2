//! docs/authoring.md followed as a new author would, from an empty temporary folder outside the
//! repository to what a cluster installs. The SDK is packaged (by `cargo publish --dry-run`, which
//! also checks what crates.io would) and unpacked there, beside a link to this checkout as the
//! guide's `function-wasmtime/` (nothing else of the repository goes there); the guide's files are
//! written from its code blocks marked `file=PATH`; the crates' unit tests run; `my-function` is
//! built for wasm32-wasip1 and called through the host; the guide's `render` and `package build`
//! commands run as written, in `my-function/` (render's output against the guide's, the package
//! read back with skopeo and umoci); and its cluster manifests are checked against each other.
//!
//! The nested builds share `target/authoring`, so only the first run compiles the dependencies
//! (about 3 minutes of CPU: the SDK's dependencies natively and for wasm32, and k8s-openapi for
//! `deploy-fn`); later runs recompile the SDK and the two small crates. The package needs the
//! musl runtime that tests/e2e/package.rs uses.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use function_wasmtime::host::Limits;
use function_wasmtime::render::UPDATE_GOLDEN;
use serde::Deserialize as _;
use serde_json::{Value, json};
use xfn_tests::{cargo, module_input, request, root, runner_with, to_json};

use super::package::{files_below, musl_binary, package_files, sha256_hex, unpack};

/// How the guide runs the server it built, from `my-function/`.
const SERVER: &str = "../function-wasmtime/target/debug/function-wasmtime";

/// A fenced code block of the guide.
struct Block {
    /// What follows the opening fence: the language, and `file=PATH` for a file to write.
    info: String,
    body: String,
}

impl Block {
    /// The `PATH` of `file=PATH` in the info string.
    fn file(&self) -> Option<&str> {
        self.info
            .split_whitespace()
            .find_map(|word| word.strip_prefix("file="))
    }
}

/// The guide's fenced code blocks, in order.
fn guide_blocks() -> Vec<Block> {
    let guide = std::fs::read_to_string(root().join("docs/authoring.md"))
        .expect("docs/authoring.md is readable");
    let mut blocks = Vec::new();
    let mut lines = guide.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        blocks.push(Block {
            info: info.to_owned(),
            body: body.join("\n") + "\n",
        });
    }
    blocks
}

/// The commands of the guide's `sh` blocks, each as its words (a trailing `\` continues a line,
/// a `#` after a space starts a comment), with the index of its block.
fn guide_commands(blocks: &[Block]) -> Vec<(usize, Vec<String>)> {
    let mut commands = Vec::new();
    for (index, block) in blocks.iter().enumerate().filter(|(_, b)| b.info == "sh") {
        let mut words = Vec::new();
        for line in block.body.lines() {
            let line = line.split_once(" #").map_or(line, |(code, _)| code);
            let (line, continues) = line
                .trim_end()
                .strip_suffix('\\')
                .map_or((line, false), |line| (line, true));
            words.extend(line.split_whitespace().map(str::to_owned));
            if !continues && !words.is_empty() {
                commands.push((index, std::mem::take(&mut words)));
            }
        }
    }
    commands
}

/// The YAML documents of `path`, as JSON values.
fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("the guide's file is written");
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|document| {
            Value::deserialize(document)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        })
        .collect()
}

/// The keys of an object, sorted; none for anything else.
fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .map(|object| object.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    keys
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

/// Runs the guide's `render` and `package build` commands as written, in `my-function/`, with
/// the server the tests build and, for `--binary`, the musl runtime of the package tests instead
/// of a release one. A render without `--expect` prints the guide's next file (what the guide
/// says it prints); one with it matches; the package holds the module, read back with skopeo and
/// umoci.
fn run_the_guides_server_commands(
    blocks: &[Block],
    commands: &[(usize, Vec<String>)],
    my_function: &Path,
) {
    let server: Vec<&(usize, Vec<String>)> = commands
        .iter()
        .filter(|(_, words)| {
            words[0] == SERVER && ["render", "package"].contains(&words[1].as_str())
        })
        .collect();
    let shapes: Vec<String> = server
        .iter()
        .map(|(_, words)| words[1..].join(" "))
        .collect();
    assert_eq!(
        shapes,
        [
            "render xr.yaml composition.yaml functions.yaml --modules-dir modules",
            "render xr.yaml composition.yaml functions.yaml --modules-dir modules --expect expected.yaml",
            "render xr.yaml composition.yaml functions.yaml --modules-dir modules -o observed.yaml --expect expected-observed.yaml",
            "render xr.yaml composition.yaml functions.yaml --modules-dir modules -o observed.yaml --xrd xrd.yaml --expect expected-observed.yaml",
            "package build --binary ../function-wasmtime/target/x86_64-unknown-linux-musl/release/function-wasmtime --package-root ../function-wasmtime/package --module my-function=modules/my-function.wasm --output function-wasmtime-team.xpkg",
        ]
    );
    let flag = |words: &[String], name: &str| {
        let at = words.iter().position(|word| word == name)?;
        words.get(at + 1).cloned()
    };
    let binary = super::render::binary();
    for (index, words) in server {
        let mut args = words[1..].to_vec();
        if let Some(at) = args.iter().position(|arg| arg == "--binary") {
            // A relative path, as the guide's is, to a link to the musl build.
            let link = "function-wasmtime-musl";
            std::os::unix::fs::symlink(musl_binary(), my_function.with_file_name(link))
                .expect("the temporary folder is writable");
            args[at + 1] = format!("../{link}");
        }
        let output = Command::new(&binary)
            .current_dir(my_function)
            .args(&args)
            .env(
                "FUNCTION_WASMTIME_CACHE_DIR",
                root().join("target/test-cache"),
            )
            .env_remove(UPDATE_GOLDEN)
            .output()
            .expect("the server runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{words:?} failed:\n{stderr}");
        if let Some(xpkg) = flag(words, "--output") {
            assert_eq!(stdout, format!("{xpkg}\n"));
            check_the_package(&my_function.join(xpkg));
        } else if let Some(expected) = flag(words, "--expect") {
            assert_eq!(
                (stdout.as_ref(), stderr.as_ref()),
                ("", format!("the output matches {expected}\n").as_str()),
                "{words:?}"
            );
        } else {
            let printed = blocks[index + 1..]
                .iter()
                .find(|block| block.file().is_some())
                .expect("the guide shows what the render prints");
            assert_eq!(stdout, printed.body, "{words:?}");
        }
    }
}

/// The package `xpkg`, converted and unpacked: the runtime, `my-function` from
/// `modules/my-function.wasm` with its code precompiled, the bundled modules' code and
/// package.yaml.
fn check_the_package(xpkg: &Path) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let rootfs = unpack(xpkg, dir.path()).join("rootfs");
    let my_function = xpkg.parent().expect("the package is in my-function/");
    let module =
        std::fs::read(my_function.join("modules/my-function.wasm")).expect("the module is built");
    assert_eq!(
        files_below(&rootfs),
        package_files(&[("my-function", &module)])
    );
    assert!(
        std::fs::read(rootfs.join("modules/my-function.wasm")).expect("the packaged module")
            == module,
        "the package holds the module the guide built"
    );
    let list = std::fs::read_to_string(rootfs.join("modules/modules.json")).expect("the list");
    assert_eq!(
        serde_json::from_str::<Value>(&list).expect("modules.json is JSON"),
        json!({"modules": [{
            "name": "my-function",
            "sha256": format!("sha256:{}", sha256_hex(&module)),
            "source": "modules/my-function.wasm",
        }]})
    );
}

/// What a cluster gets from the guide agrees: the XRD defines the XR's type, which the
/// Composition composes; it declares exactly the spec fields the XR sets and the status fields
/// the module writes in the guide's renders; the Functions are the one the Composition names,
/// the team's from the image the guide pushes, the stock one with a DeploymentRuntimeConfig that
/// mounts the ConfigMap the guide creates from `modules/` where `--modules-dir` points.
fn check_the_cluster_manifests(commands: &[(usize, Vec<String>)], my_function: &Path) {
    let read = |name: &str| documents(&my_function.join(name));
    let [xr] = &read("xr.yaml")[..] else {
        panic!("xr.yaml holds one document")
    };
    let [composition] = &read("composition.yaml")[..] else {
        panic!("composition.yaml holds one document")
    };
    let [xrd] = &read("xrd.yaml")[..] else {
        panic!("xrd.yaml holds one document")
    };
    let [functions] = &read("functions.yaml")[..] else {
        panic!("functions.yaml holds one Function")
    };
    let [team] = &read("function.yaml")[..] else {
        panic!("function.yaml holds one Function")
    };
    let [runtime, stock] = &read("runtime.yaml")[..] else {
        panic!("runtime.yaml holds a DeploymentRuntimeConfig and a Function")
    };

    let spec = &xrd["spec"];
    let group = spec["group"].as_str().expect("spec.group");
    let [version] = &spec["versions"].as_array().expect("spec.versions")[..] else {
        panic!("the XRD defines one version")
    };
    assert_eq!(
        (
            &xrd["apiVersion"],
            &xrd["metadata"]["name"],
            &version["referenceable"]
        ),
        (
            &json!("apiextensions.crossplane.io/v2"),
            &json!(format!(
                "{}.{group}",
                spec["names"]["plural"].as_str().expect("a plural")
            )),
            &json!(true),
        )
    );
    let xr_type = json!({
        "apiVersion": format!("{group}/{}", version["name"].as_str().expect("a version name")),
        "kind": spec["names"]["kind"],
    });
    assert_eq!(composition["spec"]["compositeTypeRef"], xr_type);
    assert_eq!(
        json!({"apiVersion": xr["apiVersion"], "kind": xr["kind"]}),
        xr_type
    );
    let schema = &version["schema"]["openAPIV3Schema"]["properties"];
    assert_eq!(keys(&schema["spec"]["properties"]), keys(&xr["spec"]));
    // The status fields the module writes, in the guide's renders.
    let mut written = BTreeSet::new();
    for expected in ["expected.yaml", "expected-observed.yaml"] {
        let rendered_xr = &read(expected)[0];
        written.extend(
            keys(&rendered_xr["status"])
                .into_iter()
                .filter(|field| *field != "conditions")
                .map(str::to_owned),
        );
    }
    assert_eq!(written, BTreeSet::from(["bucketArn".to_owned()]));
    assert_eq!(
        keys(&schema["status"]["properties"]),
        written.iter().map(String::as_str).collect::<Vec<_>>()
    );

    let [step] = &composition["spec"]["pipeline"]
        .as_array()
        .expect("a pipeline")[..]
    else {
        panic!("the Composition has one step")
    };
    for function in [functions, team, stock] {
        assert_eq!(
            (&function["kind"], &function["metadata"]["name"]),
            (&json!("Function"), &step["functionRef"]["name"])
        );
    }
    let words = |program: &str| {
        commands
            .iter()
            .map(|(_, words)| words)
            .find(|words| words.join(" ").starts_with(program))
            .unwrap_or_else(|| panic!("the guide runs {program}"))
    };
    let push = words("crossplane xpkg push");
    let [_, _, _, flag, file, image] = &push[..] else {
        panic!("the guide pushes with crossplane xpkg push -f FILE IMAGE: {push:?}")
    };
    assert_eq!(
        (flag.as_str(), file.as_str(), &team["spec"]["package"]),
        ("-f", "function-wasmtime-team.xpkg", &json!(image))
    );

    assert_eq!(stock["spec"]["package"], functions["spec"]["package"]);
    assert_eq!(
        (&runtime["kind"], &stock["spec"]["runtimeConfigRef"]["name"]),
        (
            &json!("DeploymentRuntimeConfig"),
            &runtime["metadata"]["name"]
        )
    );
    let pod = &runtime["spec"]["deploymentTemplate"]["spec"]["template"]["spec"];
    let [container] = &pod["containers"].as_array().expect("containers")[..] else {
        panic!("the DeploymentRuntimeConfig changes one container")
    };
    let [mount] = &container["volumeMounts"].as_array().expect("volumeMounts")[..] else {
        panic!("the container mounts one volume")
    };
    let [volume] = &pod["volumes"].as_array().expect("volumes")[..] else {
        panic!("the pod has one volume")
    };
    let mount_path = mount["mountPath"].as_str().expect("a mountPath");
    assert_eq!(
        (&container["name"], &container["args"], &mount["name"]),
        (
            &json!("package-runtime"),
            &json!([format!("--modules-dir={mount_path}")]),
            &volume["name"],
        )
    );
    let create = words("kubectl create configmap");
    assert_eq!(
        create[..9].iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "kubectl",
            "create",
            "configmap",
            volume["configMap"]["name"].as_str().expect("a ConfigMap"),
            "--namespace",
            "crossplane-system",
            "--from-file=modules/",
            "--dry-run=client",
            "--output=yaml",
        ]
    );
    let module = format!(
        "{}.wasm",
        step["input"]["module"]
            .as_str()
            .expect("the step names a module")
    );
    let in_modules = files_below(&my_function.join("modules"));
    let size = std::fs::metadata(my_function.join("modules").join(&module))
        .expect("the module is built")
        .len();
    assert_eq!(
        (in_modules, size < 1024 * 1024),
        (vec![module], true),
        "the ConfigMap holds the module, within its 1 MiB (the module is {size} bytes)"
    );
}

#[tokio::test]
async fn the_guide_goes_from_an_empty_folder_to_a_package_with_the_packaged_sdk_alone() {
    let target_dir = root().join("target/authoring");
    let folder = tempfile::tempdir().expect("a temporary folder");
    let crate_file = package_sdk(&target_dir);
    run(Command::new("tar")
        .arg("-xzf")
        .arg(&crate_file)
        .arg("-C")
        .arg(folder.path()));
    std::os::unix::fs::symlink(root(), folder.path().join("function-wasmtime"))
        .expect("the temporary folder is writable");

    let blocks = guide_blocks();
    let paths: Vec<&str> = blocks.iter().filter_map(Block::file).collect();
    assert_eq!(
        paths,
        [
            "my-function/Cargo.toml",
            "my-function/src/lib.rs",
            "deploy-fn/Cargo.toml",
            "deploy-fn/src/lib.rs",
            "my-function/xr.yaml",
            "my-function/composition.yaml",
            "my-function/functions.yaml",
            "my-function/expected.yaml",
            "my-function/observed.yaml",
            "my-function/expected-observed.yaml",
            "my-function/xrd.yaml",
            "my-function/function.yaml",
            "my-function/runtime.yaml",
        ]
    );
    for block in &blocks {
        let Some(path) = block.file() else {
            continue;
        };
        let path = folder.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a file in a crate"))
            .expect("the temporary folder is writable");
        std::fs::write(&path, &block.body).expect("the temporary folder is writable");
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
    let my_function = folder.path().join("my-function");
    let modules = my_function.join("modules");
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
                "apiVersion": "s3.aws.m.upbound.io/v1beta1",
                "kind": "Bucket",
                "metadata": {"annotations": {"example.org/versioning": "enabled"}},
                "spec": {"forProvider": {"region": "eu-west-1"}},
            },
            "ready": "READY_FALSE",
        })
    );

    let commands = guide_commands(&blocks);
    run_the_guides_server_commands(&blocks, &commands, &my_function);
    check_the_cluster_manifests(&commands, &my_function);
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
