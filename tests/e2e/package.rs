//! The Crossplane package: built from the real musl binary and a user module, then checked with
//! real tools (skopeo reads it, umoci unpacks it, tar lists it), linted, rebuilt for the same
//! digest, and run from its unpacked root filesystem as the image would run it.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{LazyLock, mpsc};
use std::time::Duration;

use function_wasmtime::modules::oci::{self, OciRef, RegistryAccess};
use function_wasmtime::package::{self, BuildConfig, ModuleSource, Package, UserModule};
use serde::Deserialize as _;
use serde_json::{Value, json};
use sha2::Digest as _;
use xfn_proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
use xfn_tests::registry::TestRegistry;
use xfn_tests::{built_module, greeting_xr, module_input, request, root, to_json};

/// The statically linked runtime the package is built from: `XFN_MUSL_BINARY`, else the dev-profile
/// musl build that scripts/test makes.
pub(super) fn musl_binary() -> PathBuf {
    let path = std::env::var_os("XFN_MUSL_BINARY").map_or_else(
        || root().join("target/x86_64-unknown-linux-musl/debug/function-wasmtime"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "{} not found: build it with `rustup target add x86_64-unknown-linux-musl && cargo build --target x86_64-unknown-linux-musl -p function-wasmtime` (Debian: apt-get install musl-tools), or point XFN_MUSL_BINARY at a static build; scripts/test does this",
        path.display()
    );
    path
}

/// Builds the package twice from the same inputs: the `hello` module from its file as `greeter`,
/// and pulled by tag as `team` from a registry this starts, where `module push` put it. Returns
/// both builds and the reference with the manifest digest the tag resolved to.
fn build_package_twice() -> (Package, Package, String) {
    let registry = TestRegistry::plain();
    let tag: OciRef = registry
        .repository("platform/greeter:v1")
        .parse()
        .expect("a reference");
    let access = RegistryAccess {
        insecure: vec![registry.address.clone()],
        ..RegistryAccess::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let hello = std::fs::read(built_module("hello")).expect("the hello module is built");
    let manifest = runtime
        .block_on(oci::push(
            &access,
            &hello,
            &tag,
            "1970-01-01T00:00:00Z".to_owned(),
        ))
        .expect("the module is pushed");
    let resolved = format!("{tag}@{manifest}");
    let config = BuildConfig {
        binary: musl_binary(),
        package_root: root().join("package"),
        modules: vec![
            UserModule {
                name: "greeter".to_owned(),
                source: ModuleSource::File(built_module("hello")),
            },
            UserModule {
                name: "team".to_owned(),
                source: ModuleSource::Oci(tag),
            },
        ],
        registry: access,
        mtime: 0,
    };
    let build = || {
        runtime
            .block_on(package::build(&config, &mut |_| {}))
            .expect("the package builds")
    };
    (build(), build(), resolved)
}

/// Runs a tool and returns its stdout; a missing tool or a failure fails the test with its stderr.
pub(super) fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run {program}: {error}; install it with `apt-get install -y skopeo umoci` (scripts/test does)")
        });
    assert!(
        output.status.success(),
        "{program} {args:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the tool prints UTF-8")
}

pub(super) fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// The package built once, written, converted to an OCI layout by skopeo and unpacked by umoci.
struct Built {
    package: Package,
    /// A second build from the same inputs.
    again: Package,
    /// The `team` module's reference with the manifest digest its tag resolved to.
    team_resolved: String,
    xpkg: PathBuf,
    /// umoci's bundle: `rootfs/` and the runtime `config.json` it derives from the image config.
    bundle: PathBuf,
}

/// A directory for this test process under cargo's `target/tmp`. A static is never dropped, so
/// instead of a `TempDir` each run removes what earlier, finished runs left behind.
fn work_dir() -> PathBuf {
    let parent = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let prefix = "package-e2e-";
    for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_finished = name
            .strip_prefix(prefix)
            .is_some_and(|pid| !Path::new("/proc").join(pid).exists());
        if is_finished {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = parent.join(format!("{prefix}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("target/tmp is writable");
    dir
}

/// Converts the package `xpkg` to an OCI layout with skopeo and unpacks it with umoci, both in
/// `dir`; returns umoci's bundle.
pub(super) fn unpack(xpkg: &Path, dir: &Path) -> PathBuf {
    let layout = dir.join("oci");
    let bundle = dir.join("bundle");
    run(
        "skopeo",
        &[
            "--insecure-policy",
            "copy",
            &format!("docker-archive:{}", path_str(xpkg)),
            &format!("oci:{}:function-wasmtime", path_str(&layout)),
        ],
    );
    run(
        "umoci",
        &[
            "unpack",
            "--image",
            &format!("{}:function-wasmtime", path_str(&layout)),
            path_str(&bundle),
        ],
    );
    bundle
}

static BUILT: LazyLock<Built> = LazyLock::new(|| {
    let dir = work_dir();
    let (package, again, team_resolved) = build_package_twice();
    let xpkg = dir.join(package.file_name());
    package.write(&xpkg).expect("the package is written");
    let bundle = unpack(&xpkg, &dir);
    Built {
        package,
        again,
        team_resolved,
        xpkg,
        bundle,
    }
});

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).expect("the tool prints JSON")
}

#[test]
fn skopeo_reads_an_image_that_runs_the_server_as_nonroot_on_9443() {
    let built = &*BUILT;
    let archive = format!("docker-archive:{}", path_str(&built.xpkg));
    let config = json_of(&run("skopeo", &["inspect", "--config", &archive]));
    let labels = &config["config"]["Labels"];
    assert_eq!(
        (
            &config["architecture"],
            &config["os"],
            &config["config"]["Entrypoint"],
            &config["config"]["Cmd"],
            &config["config"]["User"],
            &config["config"]["ExposedPorts"],
            &config["config"]["Env"],
            config["rootfs"]["diff_ids"].as_array().map(Vec::len),
        ),
        (
            &json!("amd64"),
            &json!("linux"),
            &json!(["/function-wasmtime", "serve"]),
            &Value::Null,
            &json!("65532:65532"),
            &json!({"9443/tcp": {}}),
            &json!(["FUNCTION_WASMTIME_MODULES_DIR=/modules"]),
            Some(3),
        )
    );
    assert_eq!(
        labels.as_object().map(|l| l.values().collect::<Vec<_>>()),
        Some(vec![&json!("base")]),
        "one label, marking the package layer: {labels}"
    );
    let inspect = json_of(&run("skopeo", &["inspect", &archive]));
    assert_eq!(inspect["Layers"].as_array().map(Vec::len), Some(3));
}

/// `crossplane xpkg push` annotates the layer whose digest (of its compressed blob, as
/// go-containerregistry reads the tarball) is in the `io.crossplane.xpkg:<digest>` label.
#[test]
fn the_label_names_the_digest_of_the_layer_that_holds_only_package_yaml() {
    let built = &*BUILT;
    let dir = tempfile::tempdir().expect("a temporary directory");
    run(
        "tar",
        &["-xf", path_str(&built.xpkg), "-C", path_str(dir.path())],
    );
    let sha256 = |path: &Path| sha256_hex(&std::fs::read(path).expect("an archive entry"));
    let manifest =
        json_of(&std::fs::read_to_string(dir.path().join("manifest.json")).expect("manifest.json"));
    let item = &manifest[0];
    assert_eq!(
        (manifest.as_array().map(Vec::len), &item["RepoTags"]),
        (Some(1), &Value::Null)
    );
    let config_name = item["Config"].as_str().expect("Config");
    assert_eq!(
        config_name,
        format!("sha256:{}", sha256(&dir.path().join(config_name)))
    );
    let layers: Vec<&str> = item["Layers"]
        .as_array()
        .expect("Layers")
        .iter()
        .map(|layer| layer.as_str().expect("a file name"))
        .collect();
    for layer in &layers {
        assert_eq!(
            *layer,
            format!("{}.tar.gz", sha256(&dir.path().join(layer)))
        );
    }
    let package_layer = dir.path().join(layers[2]);
    assert_eq!(
        run("tar", &["-tzf", path_str(&package_layer)]),
        "package.yaml\n"
    );
    let config =
        json_of(&std::fs::read_to_string(dir.path().join(config_name)).expect("the config"));
    assert_eq!(
        config["config"]["Labels"],
        json!({format!("io.crossplane.xpkg:sha256:{}", sha256(&package_layer)): "base"})
    );
}

/// The files below `dir`, as paths relative to it, sorted.
pub(super) fn files_below(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("a directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("below the root");
                files.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    files
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The root filesystem of a package holding the user modules `modules` (name and bytes): the
/// runtime, the modules, their list, precompiled code for them and every bundled module (one
/// file per distinct module), and package.yaml; sorted.
pub(super) fn package_files(modules: &[(&str, &[u8])]) -> Vec<String> {
    let bundled = function_wasmtime::modules::bundled_names()
        .into_iter()
        .map(|name| function_wasmtime::modules::bundled_bytes(name).expect("a bundled module"));
    let mut files: Vec<String> = bundled
        .chain(modules.iter().map(|(_, bytes)| *bytes))
        .map(|bytes| format!("modules/precompiled/{}.cwasm", sha256_hex(bytes)))
        .chain(
            modules
                .iter()
                .map(|(name, _)| format!("modules/{name}.wasm")),
        )
        .chain(["function-wasmtime", "modules/modules.json", "package.yaml"].map(str::to_owned))
        .collect();
    files.sort();
    files.dedup();
    files
}

#[test]
fn umoci_unpacks_the_runtime_the_user_modules_their_list_and_precompiled_code_and_package_yaml() {
    let rootfs = BUILT.bundle.join("rootfs");
    let read = |path: &Path| std::fs::read(path).expect("a file");
    let hello = read(&built_module("hello"));
    let hello_sha256 = sha256_hex(&hello);
    // The two user modules are the same bytes, so one precompiled file serves both.
    assert_eq!(
        files_below(&rootfs),
        package_files(&[("greeter", &hello), ("team", &hello)])
    );
    assert!(
        read(&rootfs.join("function-wasmtime")) == read(&musl_binary()),
        "the binary is the musl build"
    );
    assert!(
        read(&rootfs.join("modules/greeter.wasm")) == hello,
        "the file module is the hello build"
    );
    assert!(
        read(&rootfs.join("modules/team.wasm")) == hello,
        "the pulled module is the pushed hello build"
    );
    assert_eq!(
        json_of(&String::from_utf8(read(&rootfs.join("modules/modules.json"))).expect("UTF-8")),
        json!({"modules": [
            {"name": "greeter", "sha256": format!("sha256:{hello_sha256}"), "source": built_module("hello").display().to_string()},
            {"name": "team", "sha256": format!("sha256:{hello_sha256}"), "source": BUILT.team_resolved},
        ]})
    );
}

#[test]
fn the_unpacked_package_yaml_holds_one_function_and_only_crds() {
    let text =
        std::fs::read_to_string(BUILT.bundle.join("rootfs/package.yaml")).expect("package.yaml");
    let mut kinds = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(&text) {
        let value =
            serde_yaml_ng::Value::deserialize(document).expect("package.yaml is a YAML stream");
        if value.is_null() {
            continue;
        }
        let field = |name: &str| value[name].as_str().unwrap_or_default().to_owned();
        let name = value["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        kinds.push((field("apiVersion"), field("kind"), name));
    }
    let (functions, others): (Vec<_>, Vec<_>) = kinds.iter().partition(|(api_version, kind, _)| {
        api_version.starts_with("meta.pkg.crossplane.io/") && kind == "Function"
    });
    assert_eq!(
        functions,
        [&(
            "meta.pkg.crossplane.io/v1".to_owned(),
            "Function".to_owned(),
            "function-wasmtime".to_owned()
        )]
    );
    assert_eq!(
        kinds[0].1, "Function",
        "the meta comes first, as crossplane xpkg build writes it"
    );
    assert!(
        others.iter().all(
            |(api_version, kind, _)| api_version == "apiextensions.k8s.io/v1"
                && kind == "CustomResourceDefinition"
        ),
        "only CRDs besides the Function: {others:?}"
    );
    assert_eq!(
        others
            .iter()
            .map(|(_, _, name)| name.as_str())
            .collect::<Vec<_>>(),
        [
            "resources.pt.fn.crossplane.io",
            "modules.wasmtime.fn.crossplane.io"
        ]
    );
}

#[test]
fn the_same_inputs_give_the_same_bytes_and_digest() {
    let again = &BUILT.again;
    assert_eq!(
        (&again.digest, again.file_name()),
        (&BUILT.package.digest, BUILT.package.file_name())
    );
    assert!(
        again.archive == BUILT.package.archive,
        "the archives differ byte for byte"
    );
}

/// Kills the server if the test fails before it sends SIGTERM.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_unpacked_binary_serves_the_user_modules_as_the_image_runs_it() {
    let bundle = &BUILT.bundle;
    // umoci's runtime config is what a container runtime would run: the image's entrypoint, env
    // and user.
    let runtime =
        json_of(&std::fs::read_to_string(bundle.join("config.json")).expect("config.json"));
    let process = &runtime["process"];
    let args: Vec<&str> = process["args"]
        .as_array()
        .expect("process.args")
        .iter()
        .map(|arg| arg.as_str().expect("an argument"))
        .collect();
    assert_eq!(args, ["/function-wasmtime", "serve"]);
    let user = format!("{}:{}", process["user"]["uid"], process["user"]["gid"]);
    assert_eq!(user, "65532:65532");
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("an address").port()
    };
    let address = format!("127.0.0.1:{port}");
    let mut command = Command::new("/usr/sbin/chroot");
    command
        .arg(format!("--userspec={user}"))
        .arg(bundle.join("rootfs"))
        .args(&args)
        .args(["--insecure", "--address", &address])
        .env_clear()
        // Keep the metrics endpoint off the shared default port while other tests run.
        .env("FUNCTION_WASMTIME_METRICS_ADDRESS", "127.0.0.1:0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for variable in process["env"].as_array().expect("process.env") {
        let (key, value) = variable
            .as_str()
            .and_then(|v| v.split_once('='))
            .expect("KEY=VALUE");
        command.env(key, value);
    }
    let mut server = Server(
        command
            .spawn()
            .expect("chroot runs (the tests run as root)"),
    );

    // The server logs "serving RunFunction" once it listens; wait for that line, not for a time.
    let stderr = server.0.stderr.take().expect("piped stderr");
    let (ready, is_ready) = mpsc::channel();
    let logs = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("serving RunFunction") {
                let _ = ready.send(());
            }
            lines.push(line);
        }
        lines
    });
    if is_ready.recv_timeout(Duration::from_secs(120)).is_err() {
        let _ = server.0.kill();
        let lines = logs.join().expect("the log reader does not panic");
        panic!("the server did not start:\n{}", lines.join("\n"));
    }

    let mut client = FunctionRunnerServiceClient::connect(format!("http://{address}"))
        .await
        .expect("the server accepts connections");
    let response = client
        .run_function(request(
            "package-1",
            greeting_xr("Package"),
            module_input("greeter", json!({})),
        ))
        .await
        .expect("RunFunction answers")
        .into_inner();
    let response = to_json(&response);
    assert_eq!(
        (
            &response["meta"],
            &response["desired"]["resources"]["hello"],
            &response["results"]
        ),
        (
            &json!({"tag": "package-1", "ttl": "60s"}),
            &json!({
                "resource": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "default"}, "data": {"greeting": "Hello, Package!"}},
                "ready": "READY_TRUE"
            }),
            &json!([{"severity": "SEVERITY_NORMAL", "message": "composed ConfigMap \"hello\" for Package"}]),
        )
    );

    // The module pulled at build time answers the same, from the package alone.
    let team = client
        .run_function(request(
            "package-2",
            greeting_xr("Team"),
            module_input("team", json!({})),
        ))
        .await
        .expect("RunFunction answers")
        .into_inner();
    assert_eq!(
        to_json(&team)["desired"]["resources"]["hello"]["resource"]["data"],
        json!({"greeting": "Hello, Team!"})
    );

    // Close the connection first: the server drains open connections before it exits.
    drop(client);
    run("kill", &["-TERM", &server.0.id().to_string()]);
    // Wait off the runtime, so the closing connection's task can still run.
    let (status, lines) = tokio::task::spawn_blocking(move || {
        let status = server.0.wait().expect("the server exits");
        (status, logs.join().expect("the log reader does not panic"))
    })
    .await
    .expect("the waiting task does not panic");
    assert!(
        status.success(),
        "SIGTERM drains and exits 0, got {status}:\n{}",
        lines.join("\n")
    );
}
