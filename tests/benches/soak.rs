//! The soak: the release server, as a process, under a long mixed load of good and hostile calls
//! (`xfn_tests::faults`) from concurrent clients that also cancel calls mid-way. Every answer is
//! checked exactly; the report gives calls, mismatches and transport errors by kind, p50/p99, and
//! the server's resident set. It exits non-zero when any call was lost or wrong.
//!
//! `scripts/soak [DURATION]` runs it and writes the report into docs/reliability.md;
//! `cargo bench -p xfn-tests --bench soak -- --duration 60s --clients 16` runs it alone, and
//! `--only Flood,Bomb` limits the calls to those kinds (to see which one a figure comes from).

#[path = "loopback/process.rs"]
#[allow(
    dead_code,
    reason = "shared with the loopback bench, which uses all of it"
)]
mod process;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use process::{ServerProcess, free_address};
use tonic::transport::{Channel, Endpoint};
use xfn_proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
use xfn_tests::faults::Fault;
use xfn_tests::{greeting_xr, inline_input, request};

/// Calls the server runs at once: fewer than the clients, so calls queue.
const MAX_CONCURRENCY: usize = 4;
/// Every this many calls, a client starts a 400 ms call and gives up on it after 30 ms.
const CANCEL_EVERY: usize = 10;
/// How often the server's resident set is read.
const RSS_EVERY: Duration = Duration::from_millis(250);

/// What happened to the calls of one kind.
#[derive(Default)]
struct Tally {
    calls: usize,
    wrong: usize,
    lost: usize,
    latencies: Vec<Duration>,
    first_difference: Option<String>,
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|at| args.get(at + 1))
            .cloned()
    };
    let duration = flag("--duration").map_or(Duration::from_secs(60), |text| {
        function_wasmtime::units::parse_duration(&text)
            .unwrap_or_else(|| panic!("--duration {text:?} is not a duration; write it like 10m"))
    });
    let clients: usize =
        flag("--clients").map_or(16, |text| text.parse().expect("--clients is a number"));
    let kinds: Vec<Fault> = match flag("--only") {
        None => Fault::ALL.to_vec(),
        Some(names) => names
            .split(',')
            .map(|name| {
                *Fault::ALL
                    .iter()
                    .find(|fault| format!("{fault:?}").eq_ignore_ascii_case(name))
                    .unwrap_or_else(|| panic!("--only {name:?}: the kinds are {:?}", Fault::ALL))
            })
            .collect(),
    };
    eprintln!("soak: building the release binary");
    let binary = xfn_tests::build_binary("release");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let report = runtime.block_on(soak(&binary, duration, clients, kinds));
    print!("{}", report.0);
    if !report.1 {
        eprintln!("soak: calls were lost or wrong; see the report");
        std::process::exit(1);
    }
}

async fn soak(
    binary: &std::path::Path,
    duration: Duration,
    clients: usize,
    kinds: Vec<Fault>,
) -> (String, bool) {
    let cache = tempfile::tempdir().expect("a temporary cache directory");
    let address = free_address();
    let mut command = std::process::Command::new(binary);
    command
        .args(["serve", "--insecure", "--address", &address.to_string()])
        .args(["--metrics-address", &free_address().to_string()])
        .args(["--max-concurrency", &MAX_CONCURRENCY.to_string()])
        .arg("--cache-dir")
        .arg(cache.path());
    let mut server = ServerProcess::spawn("function-wasmtime", command, address);
    server.wait_accepting().await;
    let channel = Endpoint::from_shared(format!("http://{address}"))
        .expect("a valid URI")
        .connect()
        .await
        .expect("the server accepts");

    // One call of each kind first: modules compile, and the trap's backtrace is learnt.
    let mut client = FunctionRunnerServiceClient::new(channel.clone());
    let trap = client
        .run_function(Fault::Trap.request("warm-trap"))
        .await
        .expect("answered")
        .into_inner()
        .results[0]
        .message
        .clone();
    let idle_rss = server.status_kib("VmRSS");

    let tallies: Arc<Mutex<BTreeMap<String, Tally>>> = Arc::default();
    let until = Instant::now() + duration;
    eprintln!("soak: {clients} clients for {duration:?}");
    let mut tasks = Vec::new();
    for number in 0..clients {
        // Each client on its own connection, as replicas of Crossplane would be.
        let channel = Endpoint::from_shared(format!("http://{address}"))
            .expect("a valid URI")
            .connect()
            .await
            .expect("the server accepts");
        let (tallies, trap, kinds) = (tallies.clone(), trap.clone(), kinds.clone());
        tasks.push(tokio::spawn(client_loop(
            number, channel, until, trap, kinds, tallies,
        )));
    }
    let started = Instant::now();
    let mut rss_samples = Vec::new();
    while tasks.iter().any(|task| !task.is_finished()) {
        rss_samples.push((started.elapsed(), server.status_kib("VmRSS")));
        tokio::time::sleep(RSS_EVERY).await;
    }
    let peak_rss = rss_samples
        .iter()
        .map(|(_, kib)| *kib)
        .max()
        .unwrap_or(idle_rss);
    for task in tasks {
        task.await.expect("a client loop does not panic");
    }
    let end_rss = server.status_kib("VmRSS");
    let high_water = server.status_kib("VmHWM");
    let cpu = server.cpu_time();
    server.terminate().await;

    let tallies = tallies.lock().expect("no client panicked");
    let mut text = String::new();
    let total: usize = tallies.values().map(|t| t.calls).sum();
    let bad: usize = tallies.values().map(|t| t.wrong + t.lost).sum();
    let _ = writeln!(text, "| | |\n| --- | --- |");
    let _ = writeln!(text, "| duration | {duration:?} |");
    let _ = writeln!(text, "| clients (each its own connection) | {clients} |");
    let _ = writeln!(text, "| server `--max-concurrency` | {MAX_CONCURRENCY} |");
    let _ = writeln!(
        text,
        "| calls answered | {total} ({:.0}/s) |",
        total as f64 / duration.as_secs_f64()
    );
    let _ = writeln!(text, "| wrong or lost answers | {bad} |");
    let _ = writeln!(text, "| server CPU | {:.1} s |", cpu.as_secs_f64());
    let _ = writeln!(
        text,
        "| server RSS: after warm-up, peak sampled, at the end, high-water mark | {} / {} / {} / {} MiB |",
        idle_rss >> 10,
        peak_rss >> 10,
        end_rss >> 10,
        high_water >> 10
    );
    let _ = writeln!(
        text,
        "| server RSS in each tenth of the run, median (max) MiB | {} |",
        rss_by_tenth(&rss_samples, duration)
    );
    let _ = writeln!(
        text,
        "\n| call | answered | wrong | lost (transport error) | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: | ---: |"
    );
    for (kind, tally) in tallies.iter() {
        let mut latencies = tally.latencies.clone();
        latencies.sort_unstable();
        let at = |percent: usize| {
            latencies
                .get((latencies.len() * percent / 100).min(latencies.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1e3)
        };
        let _ = writeln!(
            text,
            "| {kind} | {} | {} | {} | {:.2} | {:.2} |",
            tally.calls,
            tally.wrong,
            tally.lost,
            at(50),
            at(99)
        );
    }
    for (kind, tally) in tallies.iter() {
        if let Some(difference) = &tally.first_difference {
            let _ = writeln!(text, "\nfirst wrong {kind} answer: {difference}");
        }
    }
    (text, bad == 0)
}

async fn client_loop(
    number: usize,
    channel: Channel,
    until: Instant,
    trap: String,
    kinds: Vec<Fault>,
    tallies: Arc<Mutex<BTreeMap<String, Tally>>>,
) {
    let mut client = FunctionRunnerServiceClient::new(channel);
    let spinner = Fault::Loop.wat().expect("an inline module");
    let mut call = 0;
    while Instant::now() < until {
        call += 1;
        if call % CANCEL_EVERY == 0 {
            let input = inline_input(
                &spinner,
                serde_json::json!({"limits": {"timeout": "400ms"}}),
            );
            let cancelled = request(
                &format!("cancel-{number}-{call}"),
                greeting_xr("World"),
                input,
            );
            let gave_up =
                tokio::time::timeout(Duration::from_millis(30), client.run_function(cancelled))
                    .await;
            record(
                &tallies,
                "cancelled mid-call",
                Duration::ZERO,
                gave_up
                    .is_err()
                    .then_some(())
                    .ok_or_else(|| "answered within 30 ms".to_owned()),
                false,
            );
            continue;
        }
        let fault = kinds[(number + call) % kinds.len()];
        let request = fault.request(&format!("client-{number}-call-{call}"));
        let started = Instant::now();
        let answer = client.run_function(request.clone()).await;
        let elapsed = started.elapsed();
        match answer {
            Ok(response) => {
                let verdict = fault.verdict(&request, &response.into_inner(), &trap);
                record(&tallies, &format!("{fault:?}"), elapsed, verdict, false);
            }
            Err(status) => record(
                &tallies,
                &format!("{fault:?}"),
                elapsed,
                Err(status.to_string()),
                true,
            ),
        }
    }
}

fn record(
    tallies: &Mutex<BTreeMap<String, Tally>>,
    kind: &str,
    elapsed: Duration,
    verdict: Result<(), String>,
    is_transport_error: bool,
) {
    let mut tallies = tallies.lock().expect("no client panicked");
    let tally = tallies.entry(kind.to_owned()).or_default();
    tally.calls += 1;
    tally.latencies.push(elapsed);
    if let Err(difference) = verdict {
        if is_transport_error {
            tally.lost += 1;
        } else {
            tally.wrong += 1;
        }
        tally.first_difference.get_or_insert(difference);
    }
}

/// The RSS samples (time since the load began, KiB) of each tenth of `duration`, as the median
/// and the largest in MiB: `120 (310), 131 (402), ...`. A leak shows as medians that keep rising;
/// memory-bombing calls show as maxima.
fn rss_by_tenth(samples: &[(Duration, u64)], duration: Duration) -> String {
    let mut tenths: Vec<Vec<u64>> = vec![Vec::new(); 10];
    for (at, kib) in samples {
        let tenth = ((at.as_secs_f64() / duration.as_secs_f64()) * 10.0) as usize;
        tenths[tenth.min(9)].push(*kib);
    }
    tenths
        .into_iter()
        .filter(|tenth| !tenth.is_empty())
        .map(|mut tenth| {
            tenth.sort_unstable();
            let median = tenth[tenth.len() / 2] >> 10;
            let max = tenth[tenth.len() - 1] >> 10;
            format!("{median} ({max})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}
