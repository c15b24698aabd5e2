//! The performance bench: our server next to its peers, on the same requests, over loopback gRPC.
//!
//! Run it with `scripts/bench`, which prepares the peers (a venv with Crossplane's Python SDK, the
//! real function-patch-and-transform built from the Go module proxy) and then runs
//! `cargo bench -p xfn-tests --bench loopback`. The bench builds the release binary itself, starts
//! every server as a process of its own on a 127.0.0.1 port, and stops each one (also when it
//! panics). Progress goes to stderr, one markdown report to stdout; docs/performance.md explains
//! the rows. Every loop is bounded in calls and time.
//!
//! The peers:
//! - `function-wasmtime serve --insecure` running the bundled `hello` and `patch-and-transform`
//!   modules and `functions/examples/deployment-status` from `--modules-dir`;
//! - the same transform written with Crossplane's Python SDK (`tests/benches/python`);
//! - the real function-patch-and-transform (Go) on the same P&T composition;
//! - our P&T code built natively behind a tonic server: this executable run again ([`native`]).

mod client;
mod inprocess;
mod measure;
mod native;
mod peers;
mod process;
mod report;
mod requests;
mod startup;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use peers::Programs;
use report::{Facts, Report};
use xfn_tests::root;

/// The Python interpreter of a venv with the pinned SDK; `scripts/bench` sets it.
const PYTHON_VAR: &str = "XFN_BENCH_PYTHON";
/// The real function-patch-and-transform binary; `scripts/bench` sets it.
const GO_PT_VAR: &str = "XFN_BENCH_GO_PT";

fn main() {
    if let Ok(address) = std::env::var(native::ADDRESS_VAR) {
        native::serve(&address);
        return;
    }
    let python = required_env(PYTHON_VAR);
    let go_pt = required_env(GO_PT_VAR);
    let mut machine = machine_facts();

    eprintln!("loopback: building the release binary");
    let bench_dir = root().join("target/bench");
    std::fs::create_dir_all(&bench_dir).expect("target/bench can be created");
    // A copy, so that a build in a shared target directory cannot swap the binary mid-run.
    let binary = bench_dir.join("function-wasmtime");
    std::fs::copy(xfn_tests::build_binary("release"), &binary)
        .expect("the release binary can be copied to target/bench");
    let binary_bytes = std::fs::metadata(&binary).map_or(0, |m| m.len());
    machine.push(("release binary".into(), format!("{binary_bytes} bytes")));
    machine.push(("peers".into(), peer_versions(&python, &go_pt)));

    let modules_dir = tempfile::tempdir().expect("a temporary directory");
    let module = xfn_tests::built_module("deployment_status");
    std::fs::copy(&module, modules_dir.path().join("deployment-status.wasm")).unwrap_or_else(
        |error| {
            panic!(
                "{} cannot be copied (runtime/build.rs builds it): {error}",
                module.display()
            )
        },
    );
    let programs = Programs {
        binary: binary.clone(),
        bench: std::env::current_exe().expect("the bench knows its executable"),
        python,
        python_function: root().join("tests/benches/python/deployment_status.py"),
        go_pt,
        modules_dir: modules_dir.path().to_owned(),
        cache_dir: bench_dir.join("cache"),
    };

    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let (data_path, peers, starts) = runtime.block_on(async {
        let data_path = inprocess::run().await;
        let peers = peers::run(&programs).await;
        eprintln!("loopback: start-up and memory of the release binary");
        let starts = startup::run(&binary).await;
        (data_path, peers, starts)
    });
    let report = Report {
        facts: Facts {
            machine,
            load_at_end: load_average(),
            took: started.elapsed(),
        },
        peers,
        data_path,
        starts,
    };
    print!("{}", report.markdown());
}

/// The path in environment variable `name`.
///
/// # Panics
/// When it is unset: the bench needs what `scripts/bench` prepares.
fn required_env(name: &str) -> PathBuf {
    std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!("{name} is not set; run the bench with scripts/bench, which prepares the peers")
        })
}

/// What the numbers ran on, and when.
fn machine_facts() -> Vec<(String, String)> {
    let proc_file = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let field = |text: &str, name: &str| {
        text.lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_once(':'))
            .map_or_else(
                || "unknown".to_owned(),
                |(_, value)| value.trim().to_owned(),
            )
    };
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let dirty = !output(Command::new("git").args(["status", "--porcelain"])).is_empty();
    let commit = output(Command::new("git").args(["rev-parse", "--short", "HEAD"]));
    vec![
        (
            "date (UTC)".into(),
            output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M"])),
        ),
        (
            "commit".into(),
            format!(
                "{commit}{}",
                if dirty {
                    " with uncommitted changes"
                } else {
                    ""
                }
            ),
        ),
        (
            "CPU".into(),
            format!(
                "{} ({cpus} logical CPUs)",
                field(&proc_file("/proc/cpuinfo"), "model name")
            ),
        ),
        (
            "memory".into(),
            field(&proc_file("/proc/meminfo"), "MemTotal"),
        ),
        (
            "kernel".into(),
            proc_file("/proc/sys/kernel/osrelease").trim().to_owned(),
        ),
        ("rustc".into(), output(Command::new("rustc").arg("-V"))),
        ("load average at start".into(), load_average()),
    ]
}

/// The 1, 5 and 15 minute load averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The versions of the Python SDK peer and the Go peer.
fn peer_versions(python: &Path, go_pt: &Path) -> String {
    let sdk = output(Command::new(python).args([
        "-c",
        "import importlib.metadata as m, platform; \
         print(platform.python_version(), m.version('crossplane-function-sdk-python'), m.version('grpcio'), m.version('protobuf'))",
    ]));
    let sdk: Vec<&str> = sdk.split_whitespace().collect();
    let go = go_pt
        .parent()
        .and_then(Path::file_name)
        .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
    format!(
        "Python {} with crossplane-function-sdk-python {}, grpcio {}, protobuf {}; {go} (Go)",
        sdk.first().unwrap_or(&"?"),
        sdk.get(1).unwrap_or(&"?"),
        sdk.get(2).unwrap_or(&"?"),
        sdk.get(3).unwrap_or(&"?"),
    )
}

/// What `command` prints, trimmed; empty when it cannot run.
fn output(command: &mut Command) -> String {
    command
        .current_dir(root())
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default()
}
