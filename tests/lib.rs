//! Helpers for the end-to-end tests: servers on loopback, clients, certificates, requests and
//! modules. The tests themselves are in `main.rs` and its modules.

pub mod differential;
pub mod faults;
pub mod logs;
pub mod process;
pub mod pt_fixtures;
pub mod registry;
pub mod upstream;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use base64::Engine as _;
use function_wasmtime::host::{Host, HostConfig, Limits};
use function_wasmtime::modules::{CompileCache, ModuleRegistry};
use function_wasmtime::server::{self, ListenConfig};
use function_wasmtime::step::StepRunner;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use xfn_proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
use xfn_proto::v1::{RunFunctionRequest, RunFunctionResponse};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_owned()
}

/// The guests' target directory: `target/wasm`, or `$XFN_GUEST_TARGET_DIR` as for the runtime's
/// build script.
pub fn guest_target_dir() -> PathBuf {
    std::env::var_os("XFN_GUEST_TARGET_DIR")
        .map_or_else(|| root().join("target/wasm"), PathBuf::from)
}

/// A module of `functions/` as built by the runtime's build script: `hello` (a cdylib, so `-`
/// would become `_`) or `echo-command` (a bin).
pub fn built_module(file_stem: &str) -> PathBuf {
    guest_target_dir()
        .join("wasm32-wasip1/release")
        .join(format!("{file_stem}.wasm"))
}

/// A step runner with `maxima`, a modules directory and a compiled-module cache under the target
/// directory, so reruns skip Cranelift; four calls run at once.
pub fn runner_with(modules_dir: Option<PathBuf>, maxima: Limits) -> Arc<StepRunner> {
    runner_on(ModuleRegistry::new(
        host(maxima, 4),
        modules_dir,
        Some(test_cache()),
    ))
}

/// A registry with the default maxima and the tests' compiled-module cache, over a host that runs
/// `max_concurrency` calls at once.
pub fn registry(max_concurrency: usize) -> ModuleRegistry {
    ModuleRegistry::new(
        host(Limits::DEFAULT_MAXIMA, max_concurrency),
        None,
        Some(test_cache()),
    )
}

/// A registry with the default maxima, caching compiled modules in `cache_dir`, over a host that
/// runs one call at a time.
pub fn registry_cached_in(cache_dir: &Path) -> ModuleRegistry {
    let cache = CompileCache::open(cache_dir).expect("the cache directory is usable");
    ModuleRegistry::new(host(Limits::DEFAULT_MAXIMA, 1), None, Some(cache))
}

/// A step runner resolving modules through `registry`.
pub fn runner_on(registry: ModuleRegistry) -> Arc<StepRunner> {
    Arc::new(StepRunner::new(Arc::new(registry)))
}

fn host(maxima: Limits, max_concurrency: usize) -> Arc<Host> {
    let host = Host::new(HostConfig {
        maxima,
        max_concurrency,
    })
    .expect("the host starts");
    Arc::new(host)
}

/// The compiled-module cache the tests share, under the target directory.
fn test_cache() -> CompileCache {
    let cache_dir = root().join("target/test-cache");
    CompileCache::open(&cache_dir).expect("the cache directory can be created")
}

/// One runner shared by the tests that need no special configuration, so each module compiles once.
pub fn runner() -> Arc<StepRunner> {
    static RUNNER: LazyLock<Arc<StepRunner>> =
        LazyLock::new(|| runner_with(None, Limits::DEFAULT_MAXIMA));
    RUNNER.clone()
}

/// A server on `127.0.0.1:0`, stopped (and drained) by [`TestServer::stop`].
pub struct TestServer {
    /// Where it listens.
    pub address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), server::Error>>,
}

impl TestServer {
    /// Binds first, then serves, so a client may connect at once.
    pub async fn start(runner: Arc<StepRunner>, tls_certs_dir: Option<PathBuf>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("loopback has free ports");
        let address = listener
            .local_addr()
            .expect("a bound listener has an address");
        let (stop, stopped) = oneshot::channel::<()>();
        let config = ListenConfig {
            tls_certs_dir,
            max_recv_bytes: server::DEFAULT_MAX_RECV_BYTES,
        };
        let task = tokio::spawn(server::serve(listener, runner, config, async {
            let _ = stopped.await;
        }));
        TestServer {
            address,
            stop,
            task,
        }
    }

    /// A plaintext channel to the server.
    pub async fn channel(&self) -> Channel {
        Endpoint::from_shared(format!("http://{}", self.address))
            .expect("a valid URI")
            .connect()
            .await
            .expect("the server accepts connections")
    }

    /// A plaintext v1 client.
    pub async fn client(&self) -> FunctionRunnerServiceClient<Channel> {
        FunctionRunnerServiceClient::new(self.channel().await)
    }

    /// Signals shutdown and waits until the server has drained and returned.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task
            .await
            .expect("the server task does not panic")
            .expect("the server stops cleanly");
    }
}

/// An mTLS endpoint for `server` as `localhost`, trusting `ca_pem`, presenting `identity` if any.
pub fn tls_endpoint(address: SocketAddr, ca_pem: &str, identity: Option<Identity>) -> Endpoint {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca_pem))
        .domain_name("localhost");
    if let Some(identity) = identity {
        tls = tls.identity(identity);
    }
    Endpoint::from_shared(format!("https://{address}"))
        .expect("a valid URI")
        .tls_config(tls)
        .expect("a valid client TLS config")
}

/// A certificate authority that signs server and client certificates, as Crossplane's does.
pub struct TestCa {
    /// The CA certificate, PEM.
    pub cert_pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl TestCa {
    /// A fresh CA.
    pub fn new(name: &str) -> TestCa {
        let key = rcgen::KeyPair::generate().expect("key generation");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("empty SANs");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let cert = params.self_signed(&key).expect("self-signing");
        TestCa {
            cert_pem: cert.pem(),
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    /// A leaf certificate for `localhost` and 127.0.0.1, signed by this CA: (cert PEM, key PEM).
    pub fn leaf(&self, common_name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().expect("key generation");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("valid SANs");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let cert = params.signed_by(&key, &self.issuer).expect("signing");
        (cert.pem(), key.serialize_pem())
    }

    /// Writes `tls.crt`, `tls.key` and `ca.crt` for a server into `dir`, as Crossplane mounts them.
    pub fn write_server_dir(&self, dir: &Path) {
        let (cert, key) = self.leaf("function-wasmtime");
        std::fs::write(dir.join("tls.crt"), cert).expect("writable temp dir");
        std::fs::write(dir.join("tls.key"), key).expect("writable temp dir");
        std::fs::write(dir.join("ca.crt"), &self.cert_pem).expect("writable temp dir");
    }

    /// A client identity signed by this CA.
    pub fn client_identity(&self) -> Identity {
        let (cert, key) = self.leaf("crossplane");
        Identity::from_pem(cert, key)
    }
}

/// The observed XR the tests use: a namespaced `XGreeting` asking to greet `who`.
pub fn greeting_xr(who: &str) -> Value {
    json!({
        "apiVersion": "example.crossplane.io/v1",
        "kind": "XGreeting",
        "metadata": {"name": "world", "namespace": "default"},
        "spec": {"who": who}
    })
}

/// A request with tag `tag`, observed composite `xr`, step `input`, one desired resource from an
/// earlier step and some context, all of which must come back unchanged when the step fails.
pub fn request(tag: &str, xr: Value, input: Value) -> RunFunctionRequest {
    let json = json!({
        "meta": {"tag": tag},
        "observed": {"composite": {"resource": xr}},
        "desired": {
            "composite": {"resource": {"apiVersion": "example.crossplane.io/v1", "kind": "XGreeting", "status": {"phase": "composing"}}},
            "resources": {"earlier": {"resource": {"apiVersion": "v1", "kind": "Secret"}, "ready": "READY_TRUE"}}
        },
        "input": input,
        "context": {"apiextensions.crossplane.io/environment": {"region": "eu-west-1"}}
    });
    serde_json::from_value(json).expect("the test request is valid protojson")
}

/// What the bundled `hello` module answers to `request(tag, greeting_xr("World"), …)`: a ready
/// ConfigMap greeting World next to the earlier desired state, which it keeps.
pub fn hello_response(tag: &str) -> Value {
    json!({
        "meta": {"tag": tag, "ttl": "60s"},
        "desired": {
            "composite": {"resource": {"apiVersion": "example.crossplane.io/v1", "kind": "XGreeting", "status": {"phase": "composing"}}},
            "resources": {
                "earlier": {"resource": {"apiVersion": "v1", "kind": "Secret"}, "ready": "READY_TRUE"},
                "hello": {
                    "resource": {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {"namespace": "default"},
                        "data": {"greeting": "Hello, World!"}
                    },
                    "ready": "READY_TRUE"
                }
            }
        },
        "results": [{"severity": "SEVERITY_NORMAL", "message": "composed ConfigMap \"hello\" for World"}],
        "context": {"apiextensions.crossplane.io/environment": {"region": "eu-west-1"}}
    })
}

/// The step Input naming `module`, with extra fields merged in.
pub fn module_input(module: &str, extra: Value) -> Value {
    let mut input = json!({"apiVersion": "wasmtime.fn.crossplane.io/v1alpha1", "kind": "Module", "module": module});
    merge(&mut input, extra);
    input
}

/// The deployment-status example's sample request and its exact response as the module writes
/// it (`functions/examples/deployment-status/{request,response}.json`), which every language's
/// deployment-status and every `module new` project answer alike.
pub fn deployment_status_sample() -> (Value, Value) {
    let read = |file: &str| -> Value {
        let path = root()
            .join("functions/examples/deployment-status")
            .join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    };
    (read("request.json"), read("response.json"))
}

/// A reactor, in WAT, that answers `{}`: a pass-through step that returns the request's desired
/// state and context unchanged.
pub const PASS_THROUGH: &str = include_str!("fixtures/wat/pass-through.wat");

/// The step Input carrying the module written in WAT `source` inline, with extra fields merged in.
pub fn inline_input(source: &str, extra: Value) -> Value {
    let wasm = wat::parse_str(source).expect("the test's WAT is valid");
    let inline = base64::engine::general_purpose::STANDARD.encode(wasm);
    let mut input = json!({"apiVersion": "wasmtime.fn.crossplane.io/v1alpha1", "kind": "Module", "source": {"inline": inline}});
    merge(&mut input, extra);
    input
}

fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        target.extend(extra);
    }
}

/// The protojson form of a response, for whole-value assertions with readable diffs.
pub fn to_json(response: &RunFunctionResponse) -> Value {
    serde_json::to_value(response).expect("a response serialises to JSON")
}

/// The protojson of `request`'s desired state and context, which a failed step must return unchanged.
pub fn desired_and_context(request: &RunFunctionRequest) -> (Value, Value) {
    (
        serde_json::to_value(&request.desired).expect("serialisable"),
        serde_json::to_value(&request.context).expect("serialisable"),
    )
}

/// The response of a failed step: exactly one FATAL result whose message is `message`, the tag
/// echoed, and `request`'s desired state and context returned unchanged.
pub fn fatal_response(request: &RunFunctionRequest, message: &str) -> Value {
    let (desired, context) = desired_and_context(request);
    let tag = request
        .meta
        .as_ref()
        .map(|m| m.tag.clone())
        .unwrap_or_default();
    json!({
        "meta": {"tag": tag, "ttl": "60s"},
        "desired": desired,
        "results": [{"severity": "SEVERITY_FATAL", "message": message}],
        "context": context,
    })
}

/// Asserts `response` is [`fatal_response`] with `message`.
pub fn assert_fatal(request: &RunFunctionRequest, response: &RunFunctionResponse, message: &str) {
    assert_eq!(to_json(response), fatal_response(request, message));
}

/// How messages name the inline module written in WAT `source`: `module "inline" (sha256:<12 hex>)`.
pub fn inline_id(source: &str) -> String {
    use sha2::Digest as _;
    let wasm = wat::parse_str(source).expect("the test's WAT is valid");
    let digest = hex::encode(sha2::Sha256::digest(&wasm));
    format!("module \"inline\" (sha256:{})", &digest[..12])
}

/// A command running the cargo that runs the tests (or bench), without xfn-tests' package
/// variables.
///
/// cargo runs tests with the package variables of xfn-tests set; build scripts that watch them
/// (ring's says `rerun-if-env-changed=CARGO_PKG_NAME`) would see them change and rebuild ring,
/// rustls and tonic on every run, and again on the next plain `cargo build`. So they are removed.
/// `RUSTUP_TOOLCHAIN` stays: a crate outside the repository builds with the pinned toolchain too.
pub fn cargo() -> std::process::Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        let is_package_variable = name_text.starts_with("CARGO_PKG_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_MANIFEST_LINKS",
                "CARGO_CRATE_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "OUT_DIR",
            ]
            .contains(&name_text.as_ref());
        if is_package_variable {
            command.env_remove(&name);
        }
    }
    command
}

/// Builds the `function-wasmtime` binary with [`cargo`], in `profile` (`dev` or `release`), and
/// returns its path.
pub fn build_binary(profile: &str) -> PathBuf {
    let status = cargo()
        .current_dir(root())
        .args([
            "build",
            "--quiet",
            "--locked",
            "--profile",
            profile,
            "-p",
            "function-wasmtime",
            "--bin",
            "function-wasmtime",
        ])
        .status()
        .expect("cannot run cargo to build the binary");
    assert!(
        status.success(),
        "building the function-wasmtime binary failed; see the cargo output above"
    );
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    target
        .join(if profile == "dev" { "debug" } else { profile })
        .join("function-wasmtime")
}

/// Calls the inline modules `sleepers`, each of which sleeps far past the 100 ms timeout it is
/// given, all at once on `server` with `hello` among them, and asserts that each fails with its
/// deadline and that hello answers. A host that let sleeps outlive deadlines would hang: 20 s
/// bound the whole.
pub async fn assert_sleepers_end_at_their_deadline(server: &TestServer, sleepers: &[&str]) {
    let mut calls = Vec::new();
    for (index, source) in sleepers.iter().enumerate() {
        let request = request(
            &format!("sleeper-{index}"),
            greeting_xr("World"),
            inline_input(source, json!({"limits": {"timeout": "100ms"}})),
        );
        let deadline = format!(
            "{}: exceeded its 100ms deadline; raise input.limits.timeout (server maximum 30s)",
            inline_id(source)
        );
        let mut client = server.client().await;
        let call = request.clone();
        let answer = tokio::spawn(async move { client.run_function(call).await });
        calls.push((request, deadline, answer));
    }
    let mut client = server.client().await;
    let hello_request = request(
        "hello",
        greeting_xr("World"),
        module_input("hello", json!({})),
    );
    let hello = tokio::spawn(async move { client.run_function(hello_request).await });
    let answered = tokio::time::timeout(Duration::from_secs(20), async {
        for (request, deadline, call) in calls {
            let response = call
                .await
                .expect("no panic")
                .expect("answered")
                .into_inner();
            assert_fatal(&request, &response, &deadline);
        }
        hello
            .await
            .expect("no panic")
            .expect("answered")
            .into_inner()
    })
    .await
    .expect("sleeping modules end at their deadline");
    assert_eq!(to_json(&answered), hello_response("hello"));
}

/// A runner whose `--modules-dir` holds the example modules `names`, as `scripts/build-examples`
/// builds them; the directory lives as long as the returned handle.
///
/// # Panics
/// When one is not built, saying how to build it.
pub fn runner_with_examples(names: &[&str]) -> (tempfile::TempDir, Arc<StepRunner>) {
    let dir = tempfile::tempdir().expect("a temp dir");
    for name in names {
        let built = guest_target_dir()
            .join("examples")
            .join(format!("{name}.wasm"));
        assert!(
            built.exists(),
            "{} is missing: run scripts/build-examples to build the example modules (scripts/test does)",
            built.display()
        );
        std::fs::copy(&built, dir.path().join(format!("{name}.wasm")))
            .expect("the built example can be copied");
    }
    let runner = runner_with(Some(dir.path().to_owned()), Limits::DEFAULT_MAXIMA);
    (dir, runner)
}
