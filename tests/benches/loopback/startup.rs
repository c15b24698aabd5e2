//! The release binary's start-up and memory: start to first answer, idle RSS, RSS under 64
//! concurrent callers, SIGTERM to exit.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::client::Caller;
use crate::process::{ServerProcess, free_address};
use crate::requests;

/// Starts with a filled `--cache-dir`; the report shows the median and every run. A start that
/// compiles takes seconds, so there is one of those.
const STARTS: usize = 3;
/// Concurrent callers in the memory-under-load reading.
pub const LOAD_CALLERS: usize = 64;
/// Calls each of the [`LOAD_CALLERS`] makes.
const LOAD_CALLS_PER_CALLER: usize = 2;
/// Observed resources in the P&T request the [`LOAD_CALLERS`] send.
pub const LOAD_RESOURCES: usize = 100;
/// How long the server sits idle, once every bundled module is ready, before its RSS is read.
const SETTLE: Duration = Duration::from_secs(1);
/// How often RSS is sampled while the [`LOAD_CALLERS`] call.
const RSS_SAMPLE: Duration = Duration::from_millis(5);

/// One start of the release binary.
pub struct Start {
    /// From spawn until a TCP connection succeeds.
    pub accepting: Duration,
    /// From spawn until the first `hello` call has been answered.
    pub answered: Duration,
    /// From spawn until the log says every bundled module is ready (compiled or loaded).
    pub warmed: Duration,
    /// VmRSS once every bundled module is ready and [`SETTLE`] has passed, in KiB.
    pub idle_rss_kib: u64,
    /// The anonymous part of [`Start::idle_rss_kib`] (`RssAnon`; the rest maps files: the binary,
    /// compiled modules), in KiB.
    pub idle_anon_kib: u64,
    /// The largest VmRSS sampled while [`LOAD_CALLERS`] called P&T, in KiB.
    pub load_rss_kib: u64,
    /// From SIGTERM until the process has exited.
    pub stopped: Duration,
}

/// One start with an empty `--cache-dir` (Cranelift compiles the bundled modules and writes them
/// there), then [`STARTS`] that load them from it.
pub async fn run(binary: &Path) -> Vec<(String, Vec<Start>)> {
    let cache_dir = tempfile::tempdir().expect("a temporary directory");
    let cold = vec![start(binary, cache_dir.path()).await];
    let mut cached = Vec::with_capacity(STARTS);
    for _ in 0..STARTS {
        cached.push(start(binary, cache_dir.path()).await);
    }
    vec![
        (
            "empty `--cache-dir` (Cranelift compiles the bundled modules)".to_owned(),
            cold,
        ),
        ("`--cache-dir` filled by that start".to_owned(), cached),
    ]
}

/// Waits until `server`'s log says every bundled module is ready.
///
/// # Panics
/// With the log, when the server exits or takes too long.
pub async fn wait_bundled_ready(server: &mut ServerProcess) -> Duration {
    let bundled = function_wasmtime::modules::bundled_names().len();
    loop {
        if server.log().matches("module ready").count() >= bundled {
            return server.uptime();
        }
        server.assert_running("prepare every bundled module");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// One measured start of `function-wasmtime serve --insecure` on free loopback ports.
async fn start(binary: &Path, cache_dir: &Path) -> Start {
    let hello = requests::encode(&requests::deployments("hello", 0));
    let load = requests::encode(&requests::pt(LOAD_RESOURCES));
    let address = free_address();
    let mut command = Command::new(binary);
    command.args(["serve", "--insecure", "--address", &address.to_string()]);
    command.args(["--metrics-address", &free_address().to_string()]);
    command.arg("--cache-dir").arg(cache_dir);
    command.env_remove("RUST_LOG");
    let mut server = ServerProcess::spawn("function-wasmtime", command, address);
    let accepting = server.wait_accepting().await;
    let caller = Caller::connect(address).await;
    caller.clone().call(hello).await;
    let answered = server.uptime();
    let warmed = wait_bundled_ready(&mut server).await;
    tokio::time::sleep(SETTLE).await;
    let idle_rss_kib = server.status_kib("VmRSS");
    let idle_anon_kib = server.status_kib("RssAnon");
    let load_rss_kib = rss_under_load(&server, &caller, &load).await;
    Start {
        accepting,
        answered,
        warmed,
        idle_rss_kib,
        idle_anon_kib,
        load_rss_kib,
        stopped: server.terminate().await,
    }
}

/// [`LOAD_CALLERS`] callers on one connection each call `request` [`LOAD_CALLS_PER_CALLER`]
/// times; returns the largest VmRSS sampled meanwhile, in KiB.
async fn rss_under_load(server: &ServerProcess, caller: &Caller, request: &Bytes) -> u64 {
    let callers: Vec<_> = (0..LOAD_CALLERS)
        .map(|_| {
            let mut caller = caller.clone();
            let request = request.clone();
            tokio::spawn(async move {
                for _ in 0..LOAD_CALLS_PER_CALLER {
                    caller.call(request.clone()).await;
                }
            })
        })
        .collect();
    let mut peak = 0;
    let started = Instant::now();
    while !callers.iter().all(tokio::task::JoinHandle::is_finished) {
        peak = peak.max(server.status_kib("VmRSS"));
        assert!(
            started.elapsed() < crate::process::START_DEADLINE,
            "the {LOAD_CALLERS} callers did not finish"
        );
        tokio::time::sleep(RSS_SAMPLE).await;
    }
    for caller in callers {
        caller.await.expect("a caller does not panic");
    }
    peak.max(server.status_kib("VmRSS"))
}
