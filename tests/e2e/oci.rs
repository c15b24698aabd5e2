//! Modules from OCI registries, against a real registry (Debian's docker-registry) started and
//! stopped by each test: published with `module push` and with skopeo, served by digest and by
//! tag, over plain HTTP and over TLS with basic auth, and every way a pull can fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, LazyLock};

use function_wasmtime::modules::oci::{PullConfig, RegistryAccess};
use function_wasmtime::step::StepRunner;
use serde_json::{Value, json};
use sha2::Digest as _;
use xfn_tests::registry::{PASSWORD, TestRegistry, USER};
use xfn_tests::{
    TestServer, assert_fatal, built_module, greeting_xr, hello_response, request, runner_on,
    to_json,
};

/// The `function-wasmtime` binary, built once for the CLI tests.
static BINARY: LazyLock<PathBuf> = LazyLock::new(|| xfn_tests::build_binary("dev"));

/// Runs the binary with `args`.
fn run(args: &[&str]) -> Output {
    Command::new(&*BINARY)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The hello module the tests publish.
fn hello() -> (PathBuf, String) {
    let path = built_module("hello");
    let digest = sha256(&std::fs::read(&path).expect("the hello module is built"));
    (path, digest)
}

/// Pushes `file` to `reference` on the plain `registry` with `module push`; returns the digest
/// it printed, after checking it is alone on its line.
fn push(registry: &TestRegistry, file: &Path, reference: &str) -> String {
    let out = stdout(&run(&[
        "module",
        "push",
        file.to_str().expect("UTF-8 path"),
        reference,
        "--insecure-registry",
        &registry.address,
    ]));
    let digest = out.strip_suffix('\n').expect("one line").to_owned();
    assert!(
        digest.len() == 71 && digest.starts_with("sha256:") && !digest.contains('\n'),
        "{out:?}"
    );
    digest
}

/// Pulls over plain HTTP from `registry`.
fn plain_pulls(registry: &TestRegistry) -> PullConfig {
    PullConfig {
        access: RegistryAccess {
            insecure: vec![registry.address.clone()],
            ..RegistryAccess::default()
        },
        ..PullConfig::default()
    }
}

fn runner_pulling(config: PullConfig) -> Arc<StepRunner> {
    runner_on(
        xfn_tests::registry(4)
            .with_pulls(config)
            .expect("the pull store can be created"),
    )
}

/// The step Input for the module at `reference`, with extra fields.
fn oci_input(reference: &str, extra: Value) -> Value {
    let mut input = json!({"apiVersion": "wasmtime.fn.crossplane.io/v1alpha1", "kind": "Module", "source": {"oci": reference}});
    if let (Some(input), Value::Object(extra)) = (input.as_object_mut(), extra) {
        input.extend(extra);
    }
    input
}

/// Runs the step on `reference` through `runner` and returns the response as protojson.
async fn call(
    runner: &StepRunner,
    tag: &str,
    input: Value,
) -> (Value, xfn_proto::v1::RunFunctionRequest) {
    let request = request(tag, greeting_xr("World"), input);
    let response = runner.run(request.clone()).await;
    (to_json(&response), request)
}

async fn assert_step_fatal(runner: &StepRunner, input: Value, message: &str) {
    let request = request("bad", greeting_xr("World"), input);
    let response = runner.run(request.clone()).await;
    assert_fatal(&request, &response, message);
}

#[tokio::test]
async fn a_module_pushed_with_module_push_runs_by_digest_over_grpc_and_a_bare_tag_needs_a_pin_or_the_flag()
 {
    let registry = TestRegistry::plain();
    let (file, module_digest) = hello();
    let tag = registry.repository("platform/greeter:v1");
    let manifest = push(&registry, &file, &tag);
    assert_eq!(
        push(&registry, &file, &tag),
        manifest,
        "the same module gives the same digest"
    );
    let by_digest = registry.repository(&format!("platform/greeter@{manifest}"));

    let server = TestServer::start(runner_pulling(plain_pulls(&registry)), None).await;
    let mut client = server.client().await;
    let response = client
        .run_function(request(
            "digest",
            greeting_xr("World"),
            oci_input(&by_digest, json!({})),
        ))
        .await
        .expect("RunFunction answers")
        .into_inner();
    assert_eq!(to_json(&response), hello_response("digest"));

    let unpinned = request("tag", greeting_xr("World"), oci_input(&tag, json!({})));
    let response = client
        .run_function(unpinned.clone())
        .await
        .expect("RunFunction answers")
        .into_inner();
    assert_fatal(
        &unpinned,
        &response,
        &format!(
            "module \"{tag}\" is not pinned: the reference has no digest and input.sha256 is not set; write it as <repository>@sha256:<manifest digest> (module push prints it), or set input.sha256 to the module's sha256, or start the server with --allow-unpinned-modules"
        ),
    );
    let pinned = oci_input(&tag, json!({"sha256": format!("sha256:{module_digest}")}));
    let response = client
        .run_function(request("pinned", greeting_xr("World"), pinned))
        .await
        .expect("RunFunction answers")
        .into_inner();
    assert_eq!(to_json(&response), hello_response("pinned"));
    drop(client);
    server.stop().await;

    let unpinned_allowed = runner_pulling(PullConfig {
        is_unpinned_allowed: true,
        ..plain_pulls(&registry)
    });
    let (response, _) = call(&unpinned_allowed, "tag", oci_input(&tag, json!({}))).await;
    assert_eq!(response, hello_response("tag"));
    // A tag's failures name the digest it resolved to.
    assert_step_fatal(
        &unpinned_allowed,
        oci_input(&tag, json!({"sha256": format!("sha256:{}", "0".repeat(64))})),
        &format!(
            "module \"{tag}@{manifest}\": its sha256 is sha256:{module_digest}, but input.sha256 pins sha256:{}; update the pin or the module",
            "0".repeat(64)
        ),
    )
    .await;
}

/// Publishes `module` to `reference` with skopeo (an independent tool): an OCI image layout
/// written here, its one layer of `layer_media_type` under `config_media_type`, copied to the
/// plain `registry`. Returns the manifest digest.
fn publish_with_skopeo(
    registry: &TestRegistry,
    module: &[u8],
    layer_media_type: &str,
    config_media_type: &str,
    reference: &str,
) -> String {
    let layout = registry
        .dir()
        .join(format!("layout-{}", sha256(reference.as_bytes())));
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("writable");
    let blob = |bytes: &[u8]| {
        let digest = sha256(bytes);
        std::fs::write(blobs.join(&digest), bytes).expect("writable");
        format!("sha256:{digest}")
    };
    let config = br#"{"created":"2024-01-01T00:00:00Z"}"#;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": config_media_type, "digest": blob(config), "size": config.len()},
        "layers": [{"mediaType": layer_media_type, "digest": blob(module), "size": module.len()}]
    })
    .to_string();
    let manifest_digest = blob(manifest.as_bytes());
    let index = json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "v1"}
        }]
    });
    std::fs::write(layout.join("index.json"), index.to_string()).expect("writable");
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("writable");
    let output = Command::new("skopeo")
        .args([
            "--insecure-policy",
            "copy",
            "--preserve-digests",
            "--dest-tls-verify=false",
            &format!("oci:{}:v1", layout.display()),
            &format!("docker://{reference}"),
        ])
        .output()
        .expect("skopeo runs; install it with `apt-get install -y skopeo` (scripts/test does)");
    assert!(
        output.status.success(),
        "skopeo copy failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    manifest_digest
}

#[tokio::test]
async fn an_artifact_published_by_skopeo_in_the_kubewarden_layout_runs() {
    let registry = TestRegistry::plain();
    let (file, _) = hello();
    let module = std::fs::read(file).expect("readable");
    let reference = registry.repository("kubewarden/greeter:v1");
    let digest = publish_with_skopeo(
        &registry,
        &module,
        "application/vnd.wasm.content.layer.v1+wasm",
        "application/vnd.wasm.config.v1+json",
        &reference,
    );
    let runner = runner_pulling(plain_pulls(&registry));
    let by_digest = registry.repository(&format!("kubewarden/greeter@{digest}"));
    let (response, _) = call(&runner, "skopeo", oci_input(&by_digest, json!({}))).await;
    assert_eq!(response, hello_response("skopeo"));
}

#[tokio::test]
async fn each_bad_reference_is_fatal_naming_it_and_the_cause_while_other_steps_run() {
    let registry = TestRegistry::plain();
    let (file, module_digest) = hello();
    let tag = registry.repository("platform/greeter:v1");
    let manifest = push(&registry, &file, &tag);
    let not_wasm = registry.repository("platform/image:v1");
    let not_wasm_digest = publish_with_skopeo(
        &registry,
        b"not a module",
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.config.v1+json",
        &not_wasm,
    );
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("an address").port()
    };
    let runner = runner_pulling(PullConfig {
        access: RegistryAccess {
            insecure: vec![registry.address.clone(), format!("127.0.0.1:{closed_port}")],
            ..RegistryAccess::default()
        },
        ..PullConfig::default()
    });
    let zeros = format!("sha256:{}", "0".repeat(64));

    let unreachable = format!("127.0.0.1:{closed_port}/platform/greeter@{manifest}");
    assert_step_fatal(
        &runner,
        oci_input(&unreachable, json!({})),
        &format!("module \"{unreachable}\": cannot reach the registry 127.0.0.1:{closed_port} (3 attempts): error sending request for url (http://127.0.0.1:{closed_port}/v2/platform/greeter/manifests/{manifest}): client error (Connect): tcp connect error: Connection refused (os error 111); check the address and that the registry runs (a registry serving plain HTTP needs --insecure-registry 127.0.0.1:{closed_port}; one with a private CA, --registry-ca-file)"),
    )
    .await;
    let unknown = registry.repository(&format!("platform/greeter@{zeros}"));
    assert_step_fatal(
        &runner,
        oci_input(&unknown, json!({})),
        &format!("module \"{unknown}\": not found in the registry (ManifestUnknown: manifest unknown); check the repository, the tag and the digest (module push prints the digest)"),
    )
    .await;
    let by_digest = registry.repository(&format!("platform/greeter@{manifest}"));
    assert_step_fatal(
        &runner,
        oci_input(&by_digest, json!({"sha256": zeros})),
        &format!("module \"{by_digest}\": its sha256 is sha256:{module_digest}, but input.sha256 pins {zeros}; update the pin or the module"),
    )
    .await;
    let image = registry.repository(&format!("platform/image@{not_wasm_digest}"));
    assert_step_fatal(
        &runner,
        oci_input(&image, json!({})),
        &format!("module \"{image}\": has no WebAssembly layer (its layers: application/vnd.oci.image.layer.v1.tar+gzip); publish the module with function-wasmtime module push, whose layer is application/wasm"),
    )
    .await;
    assert_step_fatal(
        &runner,
        oci_input(&tag, json!({})),
        &format!("module \"{tag}\" is not pinned: the reference has no digest and input.sha256 is not set; write it as <repository>@sha256:<manifest digest> (module push prints it), or set input.sha256 to the module's sha256, or start the server with --allow-unpinned-modules"),
    )
    .await;
    let capped = runner_pulling(PullConfig {
        max_module_bytes: 1024,
        ..plain_pulls(&registry)
    });
    let size = std::fs::metadata(&file).expect("the module").len();
    assert_step_fatal(
        &capped,
        oci_input(&by_digest, json!({})),
        &format!("module \"{by_digest}\": its layer is {size} bytes, over the 1024-byte limit for pulled modules; make the module smaller, or start the server with a larger --max-module-size"),
    )
    .await;

    // The same server keeps running other steps, and the good reference.
    let (response, _) = call(&runner, "good", oci_input(&by_digest, json!({}))).await;
    assert_eq!(response, hello_response("good"));
    let (response, _) = call(
        &runner,
        "bundled",
        xfn_tests::module_input("hello", json!({})),
    )
    .await;
    assert_eq!(response, hello_response("bundled"));
}

#[tokio::test]
async fn a_registry_with_basic_auth_over_tls_serves_with_the_right_credentials_only() {
    let registry = TestRegistry::with_auth_and_tls();
    let (file, _) = hello();
    let ca_file = registry.ca_file();
    let credentials = registry.credentials_file(USER, PASSWORD);
    let tag = registry.repository("platform/greeter:v1");
    let pushed = run(&[
        "module",
        "push",
        file.to_str().expect("UTF-8"),
        &tag,
        "--registry-config",
        credentials.to_str().expect("UTF-8"),
        "--registry-ca-file",
        ca_file.to_str().expect("UTF-8"),
    ]);
    let manifest = stdout(&pushed).trim_end().to_owned();
    let by_digest = registry.repository(&format!("platform/greeter@{manifest}"));
    let pulls = |credentials: Option<PathBuf>| PullConfig {
        access: RegistryAccess {
            credentials,
            ca_file: Some(ca_file.clone()),
            ..RegistryAccess::default()
        },
        ..PullConfig::default()
    };

    let runner = runner_pulling(pulls(Some(credentials.clone())));
    let (response, _) = call(&runner, "tls", oci_input(&by_digest, json!({}))).await;
    assert_eq!(response, hello_response("tls"));

    let wrong = runner_pulling(pulls(Some(registry.credentials_file(USER, "wrong"))));
    assert_step_fatal(
        &wrong,
        oci_input(&by_digest, json!({})),
        &format!("module \"{by_digest}\": the registry {} refused the credentials --registry-config gives for it; check the user name and password there", registry.address),
    )
    .await;
    let anonymous = runner_pulling(pulls(None));
    assert_step_fatal(
        &anonymous,
        oci_input(&by_digest, json!({})),
        &format!("module \"{by_digest}\": the registry {} refused to serve it without credentials; add them to the file --registry-config names (a kubernetes.io/dockerconfigjson Secret)", registry.address),
    )
    .await;
}

#[tokio::test]
async fn pulled_modules_are_kept_on_disk_and_serve_after_the_registry_is_gone() {
    let store = tempfile::tempdir().expect("a temporary directory");
    let (file, module_digest) = hello();
    let (by_digest, tag) = {
        let registry = TestRegistry::plain();
        let tag = registry.repository("platform/greeter:v1");
        let manifest = push(&registry, &file, &tag);
        let by_digest = registry.repository(&format!("platform/greeter@{manifest}"));
        let runner = runner_pulling(PullConfig {
            store: Some(store.path().to_owned()),
            ..plain_pulls(&registry)
        });
        let (response, _) = call(&runner, "first", oci_input(&by_digest, json!({}))).await;
        assert_eq!(response, hello_response("first"));
        (by_digest, tag)
    };
    // The registry is stopped: a new server (a restart, or another replica on the volume) finds
    // the manifest and the layer on disk, by the reference's digest and by the module's pin.
    let runner = runner_pulling(PullConfig {
        store: Some(store.path().to_owned()),
        ..PullConfig::default()
    });
    let (response, _) = call(&runner, "again", oci_input(&by_digest, json!({}))).await;
    assert_eq!(response, hello_response("again"));
    let pinned = oci_input(&tag, json!({"sha256": format!("sha256:{module_digest}")}));
    let (response, _) = call(&runner, "pinned", pinned).await;
    assert_eq!(response, hello_response("pinned"));
}

#[test]
fn module_inspect_check_and_compile_tell_what_the_server_would() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let module = dir.path().join("pass.wasm");
    let wasm = wat::parse_str(xfn_tests::PASS_THROUGH).expect("valid WAT");
    std::fs::write(&module, &wasm).expect("writable");
    let path = module.to_str().expect("UTF-8");
    let digest = sha256(&wasm);

    assert_eq!(
        stdout(&run(&["module", "inspect", path])),
        format!(
            "module: pass\nsha256: sha256:{digest}\nsize: {} bytes\nkind: reactor (xfn ABI v1)\nexports:\n  memory: a memory\n  cabi_realloc: func(i32, i32, i32, i32) -> (i32)\n  xfn_run_v1: func(i32, i32) -> (i32)\nimports:\n  xfn.set_output: func(i32, i32) -> ()\n",
            wasm.len()
        )
    );
    assert_eq!(
        stdout(&run(&["module", "check", path])),
        "context: {}\ndesired: {}\nmeta:\n  tag: module-check\n  ttl: 60s\n"
    );

    let trap = dir.path().join("trap.wasm");
    std::fs::write(
        &trap,
        wat::parse_str(
            r#"(module (memory (export "memory") 1)
                 (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
                 (func (export "xfn_run_v1") (param i32 i32) (result i32) unreachable))"#,
        )
        .expect("valid WAT"),
    )
    .expect("writable");
    let trapped = run(&["module", "check", trap.to_str().expect("UTF-8")]);
    assert_eq!(trapped.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&trapped.stderr);
    assert!(
        stderr.starts_with("function-wasmtime: the step failed: module \"trap\" (sha256:")
            && stderr.contains("): trapped: wasm trap: wasm `unreachable` instruction executed"),
        "{stderr}"
    );

    let cwasm = dir.path().join("pass.cwasm");
    assert_eq!(
        stdout(&run(&[
            "module",
            "compile",
            path,
            "-o",
            cwasm.to_str().expect("UTF-8")
        ])),
        format!("sha256:{digest}\n")
    );
    let compiled = std::fs::read(&cwasm).expect("written");
    let (code, checksum) = compiled.split_at(compiled.len() - 32);
    assert_eq!(
        hex::encode(checksum),
        sha256(code),
        "the code ends with its sha256"
    );

    let missing = run(&["module", "inspect", "nope"]);
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr),
        format!(
            "function-wasmtime: \"nope\" is neither a file, a bundled module ({}), nor an OCI reference (host[:port]/repository:tag or @sha256:<digest>)\n",
            function_wasmtime::modules::bundled_names().join(", ")
        )
    );
}

#[test]
fn the_registry_module_example_renders_its_expected_output_from_a_pushed_module() {
    let registry = TestRegistry::plain();
    let (file, _) = hello();
    let manifest = push(
        &registry,
        &file,
        &registry.repository("platform/greeter:v1"),
    );
    let example = xfn_tests::root().join("examples/registry-module");
    // The example names the registry of its README, 127.0.0.1:5000, and the digest `module push`
    // printed there; this registry listens elsewhere, and the module may have been built by
    // another toolchain, so the test points the step at what it pushed.
    let composition = std::fs::read_to_string(example.join("composition.yaml")).expect("readable");
    let written = composition
        .lines()
        .find_map(|line| line.trim().strip_prefix("oci: "))
        .expect("the example's step names an OCI reference")
        .to_owned();
    assert!(
        written.starts_with("127.0.0.1:5000/platform/greeter@sha256:"),
        "{written}"
    );
    let pushed = registry.repository(&format!("platform/greeter@{manifest}"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let rewritten = dir.path().join("composition.yaml");
    std::fs::write(&rewritten, composition.replace(&written, &pushed)).expect("writable");
    let path = |path: &Path| path.to_str().expect("UTF-8 path").to_owned();
    let output = Command::new(&*BINARY)
        .args([
            "render",
            &path(&example.join("xr.yaml")),
            &path(&rewritten),
            &path(&example.join("functions.yaml")),
            "--insecure-registry",
            &registry.address,
            "--cache-dir",
            &path(&dir.path().join("cache")),
            "--expect",
            &path(&example.join("expected.yaml")),
        ])
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "render failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
