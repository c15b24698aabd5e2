//! The peers side by side: each server a process of its own, the same requests, one size after
//! another, one caller and then [`CALLERS`](crate::measure::CALLERS).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use xfn_proto::prost::Message as _;
use xfn_proto::v1::{RunFunctionResponse, Severity};

use crate::client::Caller;
use crate::measure::{self, Expect, Run};
use crate::process::{ServerProcess, free_address};
use crate::requests::{self, SIZES, pt_composed};

/// A server and the function it runs: one row group of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Peer {
    /// Our server, the bundled `hello` module.
    Hello,
    /// Our server, the `deployment-status` module from `--modules-dir`.
    Transform,
    /// `deployment_status.py` on Crossplane's Python SDK.
    Python,
    /// Our server, the bundled `patch-and-transform` module.
    PtModule,
    /// The real function-patch-and-transform (Go).
    PtGo,
    /// Our P&T code built natively behind a tonic server.
    PtNative,
}

impl Peer {
    /// How the report names it.
    pub fn label(self) -> &'static str {
        match self {
            Peer::Hello => "`hello` module",
            Peer::Transform => "`deployment-status` module",
            Peer::Python => "deployment-status, Python SDK",
            Peer::PtModule => "`patch-and-transform` module",
            Peer::PtGo => "function-patch-and-transform (Go)",
            Peer::PtNative => "patch-and-transform, native Rust",
        }
    }

    /// The request it gets with `resources` observed resources. The Python function gets the
    /// `deployment-status` request as it is (it does not read the step Input); the Go function
    /// gets the P&T request with the config unwrapped.
    fn request(self, resources: usize) -> Bytes {
        requests::encode(&match self {
            Peer::Hello => requests::deployments("hello", resources),
            Peer::Transform | Peer::Python => requests::deployments("deployment-status", resources),
            Peer::PtModule | Peer::PtNative => requests::pt(resources),
            Peer::PtGo => requests::unwrapped(requests::pt(resources)),
        })
    }

    /// Checks the first answer to the request with `resources` observed resources: no fatal or
    /// warning result, and the resources and status this peer composes. Returns its desired state.
    fn check(self, resources: usize, response: &RunFunctionResponse) -> Value {
        let json = xfn_tests::to_json(response);
        let bad = response.results.iter().any(|result| {
            result.severity == i32::from(Severity::Fatal)
                || result.severity == i32::from(Severity::Warning)
        });
        let composed = &json["desired"]["resources"];
        let fine = !bad
            && match self {
                Peer::Hello => composed.get("hello").is_some(),
                Peer::Transform | Peer::Python => {
                    let status = &json["desired"]["composite"]["resource"]["status"];
                    // Struct numbers are doubles.
                    let count = |field: &str| status[field].as_f64();
                    composed.get("app").is_some()
                        && count("readyReplicas") == Some(3.0 * resources as f64)
                        && count("availableDeployments") == Some(resources as f64)
                }
                Peer::PtModule | Peer::PtGo | Peer::PtNative => {
                    composed.as_object().map_or(0, serde_json::Map::len) == pt_composed(resources)
                }
            };
        assert!(fine, "{}: unexpected answer: {json:#}", self.label());
        json["desired"].clone()
    }
}

/// One peer on one request size.
pub struct Row {
    /// Who answered.
    pub peer: Peer,
    /// Observed composed resources in the request.
    pub resources: usize,
    /// Bytes of the encoded request.
    pub request_bytes: usize,
    /// One caller.
    pub sequential: Run,
    /// [`CALLERS`](crate::measure::CALLERS) callers on one connection.
    pub concurrent: Run,
}

/// A server process as the report describes it.
pub struct ServerFacts {
    /// Its name.
    pub name: String,
    /// The command line, with the bench's paths shortened.
    pub command: String,
    /// From spawn until it accepted a connection.
    pub accepting: Duration,
    /// VmRSS after its last scenario, in KiB.
    pub rss_kib: u64,
    /// VmHWM (peak RSS) over its life, in KiB.
    pub peak_rss_kib: u64,
}

/// Everything the peers scenarios measured.
#[derive(Default)]
pub struct PeerResults {
    /// Every peer on every size.
    pub rows: Vec<Row>,
    /// The server processes.
    pub servers: Vec<ServerFacts>,
    /// Peers whose desired state differs from a reference's on the same request, with the size.
    pub differences: Vec<String>,
}

/// Where the peers' programs are.
pub struct Programs {
    /// `target/release/function-wasmtime`.
    pub binary: PathBuf,
    /// The bench's own executable, which serves the native P&T when asked to.
    pub bench: PathBuf,
    /// The Python interpreter of the venv with the SDK.
    pub python: PathBuf,
    /// `tests/benches/python/deployment_status.py`.
    pub python_function: PathBuf,
    /// The real function-patch-and-transform binary.
    pub go_pt: PathBuf,
    /// A directory holding `deployment-status.wasm`.
    pub modules_dir: PathBuf,
    /// A `--cache-dir` for our server, so restarts skip Cranelift.
    pub cache_dir: PathBuf,
}

/// Runs every peer on every size.
pub async fn run(programs: &Programs) -> PeerResults {
    let mut results = PeerResults::default();
    // Desired state of the reference peers by (peer, size), to compare the others with.
    let mut references: HashMap<(Peer, usize), Value> = HashMap::new();

    let address = free_address();
    let mut command = Command::new(&programs.binary);
    command.args(["serve", "--insecure", "--address", &address.to_string()]);
    command.args(["--metrics-address", &free_address().to_string()]);
    command.arg("--modules-dir").arg(&programs.modules_dir);
    command.arg("--cache-dir").arg(&programs.cache_dir);
    command.env_remove("RUST_LOG");
    let mut ours = ServerProcess::spawn("function-wasmtime", command, address);
    let accepting = ours.wait_accepting().await;
    crate::startup::wait_bundled_ready(&mut ours).await;
    for peer in [Peer::Hello, Peer::Transform, Peer::PtModule] {
        run_peer(&ours, peer, None, &mut references, &mut results).await;
    }
    results.servers.push(facts(
        ours,
        "function-wasmtime serve --insecure --modules-dir … --cache-dir …",
        accepting,
    ));

    for peer in [Peer::Python, Peer::PtGo, Peer::PtNative] {
        let address = free_address();
        let (command, line) = own_server(peer, programs, address);
        let mut server = ServerProcess::spawn(peer.label(), command, address);
        let accepting = server.wait_accepting().await;
        let reference = match peer {
            Peer::Python => Peer::Transform,
            _ => Peer::PtModule,
        };
        run_peer(
            &server,
            peer,
            Some(reference),
            &mut references,
            &mut results,
        )
        .await;
        results.servers.push(facts(server, line, accepting));
    }
    results
}

/// The command that starts `peer`'s own server on `address` (the peers that do not run in
/// function-wasmtime), and that command line as the report shows it.
fn own_server(peer: Peer, programs: &Programs, address: SocketAddr) -> (Command, &'static str) {
    let listen = ["--insecure", "--address", &address.to_string()].map(str::to_owned);
    match peer {
        Peer::Python => {
            let mut command = Command::new(&programs.python);
            command.arg(&programs.python_function).args(listen);
            (command, "python deployment_status.py --insecure")
        }
        Peer::PtGo => {
            let mut command = Command::new(&programs.go_pt);
            command.args(listen);
            (command, "function-patch-and-transform --insecure")
        }
        Peer::Hello | Peer::Transform | Peer::PtModule => {
            unreachable!("{} runs in function-wasmtime", peer.label())
        }
        Peer::PtNative => {
            let mut command = Command::new(&programs.bench);
            command.env(crate::native::ADDRESS_VAR, address.to_string());
            (
                command,
                "the bench executable with XFN_BENCH_NATIVE_PT_ADDRESS set",
            )
        }
    }
}

/// Runs `peer` on `server` at every size: the first answer checked (and compared with
/// `reference`'s, when given), then one caller, then several.
async fn run_peer(
    server: &ServerProcess,
    peer: Peer,
    reference: Option<Peer>,
    references: &mut HashMap<(Peer, usize), Value>,
    results: &mut PeerResults,
) {
    let caller = Caller::connect(server.address).await;
    for resources in SIZES {
        let request = peer.request(resources);
        let first = caller.clone().call(request.clone()).await;
        let response = RunFunctionResponse::decode(first.as_ref())
            .expect("the answer is a RunFunctionResponse");
        let desired = peer.check(resources, &response);
        match reference.and_then(|reference| references.get(&(reference, resources))) {
            Some(expected) if *expected != desired => results.differences.push(format!(
                "{} at {resources} observed resources",
                peer.label()
            )),
            _ => {}
        }
        references.insert((peer, resources), desired);
        let expect = Expect { len: first.len() };
        eprintln!(
            "loopback: {} with {resources} observed resources",
            peer.label()
        );
        let sequential = measure::sequential(server, &caller, &request, expect).await;
        let concurrent = measure::concurrent(server, &caller, &request, expect).await;
        results.rows.push(Row {
            peer,
            resources,
            request_bytes: request.len(),
            sequential,
            concurrent,
        });
    }
}

/// What the report says about `server`, which is stopped here.
fn facts(server: ServerProcess, command: &str, accepting: Duration) -> ServerFacts {
    ServerFacts {
        name: server.name.clone(),
        command: command.to_owned(),
        accepting,
        rss_kib: server.status_kib("VmRSS"),
        peak_rss_kib: server.status_kib("VmHWM"),
    }
}
