//! Faulty and hostile modules under load next to good calls, over real gRPC: every call gets its
//! exact answer, cancelled calls give their slots back, and the server's memory stays bounded.

use std::time::Duration;

use serde_json::json;
use xfn_proto::v1::{RunFunctionRequest, RunFunctionResponse};
use xfn_tests::faults::Fault;
use xfn_tests::process::{peak_rss_bytes, reset_peak_rss, rss_bytes, run_alone};
use xfn_tests::{TestServer, greeting_xr, inline_id, inline_input, registry, request, runner_on};

/// Asserts `response` is `fault`'s exact answer to `request`.
fn check(fault: Fault, request: &RunFunctionRequest, response: &RunFunctionResponse, trap: &str) {
    if let Err(difference) = fault.verdict(request, response, trap) {
        panic!("{difference}");
    }
}

/// Calls that run at once; the load keeps more than this many in flight.
const MAX_CONCURRENCY: usize = 4;
/// Clients, each on its own connection, and the calls each makes one after the other.
const CLIENTS: usize = 8;
const ROUNDS: usize = 12;
/// How far the resident set may grow over what it was before the load. Guest memory is part of
/// the process: four memory bombs at once touch 64 MiB; the rest is headroom. A host that copied
/// what modules log would go past it with one flood (500 MiB).
const MAX_RSS_GROWTH: u64 = 128 * 1024 * 1024;
/// When a cancelling client gives up on its call, which spins for 400 ms: always mid-call.
const CANCEL_AFTER: Duration = Duration::from_millis(30);

#[test]
fn faulty_modules_and_cancelling_clients_under_load_never_disturb_good_calls() {
    if !run_alone(
        "e2e::load::faulty_modules_and_cancelling_clients_under_load_never_disturb_good_calls",
    ) {
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(load());
}

async fn load() {
    let runner = runner_on(registry(MAX_CONCURRENCY));
    let host = runner.registry().host().clone();
    let server = TestServer::start(runner, None).await;

    // One call of each kind first: modules compile, and the trap's backtrace is learnt.
    let mut client = server.client().await;
    let trap_request = Fault::Trap.request("warm-trap");
    let trap_response = client
        .run_function(trap_request.clone())
        .await
        .expect("answered");
    let trap = trap_response.into_inner().results[0].message.clone();
    let first_line = format!(
        "{}: trapped: wasm trap: wasm `unreachable` instruction executed",
        inline_id(&Fault::Trap.wat().expect("inline"))
    );
    assert_eq!(trap.lines().next(), Some(first_line.as_str()), "{trap}");
    for kind in Fault::ALL {
        let request = kind.request(&format!("warm-{kind:?}"));
        let response = client
            .run_function(request.clone())
            .await
            .expect("answered");
        check(kind, &request, &response.into_inner(), &trap);
    }

    let before = rss_bytes();
    reset_peak_rss();
    let mut clients = Vec::new();
    for number in 0..CLIENTS {
        let mut client = server.client().await;
        let trap = trap.clone();
        clients.push(tokio::spawn(async move {
            let spinner = Fault::Loop.wat().expect("inline");
            let cancelled = inline_input(&spinner, json!({"limits": {"timeout": "400ms"}}));
            let call = client.run_function(request(
                &format!("cancel-{number}"),
                greeting_xr("World"),
                cancelled,
            ));
            let gave_up = tokio::time::timeout(CANCEL_AFTER, call).await;
            assert!(
                gave_up.is_err(),
                "a 400 ms call cannot be answered in {CANCEL_AFTER:?}"
            );

            let mut answered = 0;
            for round in 0..ROUNDS {
                let kind = Fault::ALL[(number + round) % Fault::ALL.len()];
                let request = kind.request(&format!("client-{number}-round-{round}-{kind:?}"));
                let response = client
                    .run_function(request.clone())
                    .await
                    .expect("answered");
                check(kind, &request, &response.into_inner(), &trap);
                answered += 1;
            }
            answered
        }));
    }
    let mut answered = 0;
    for client in clients {
        answered += client.await.expect("every check passed");
    }
    assert_eq!(answered, CLIENTS * ROUNDS, "no call was lost");

    // The cancelled calls' instances run to their deadlines, then give their permits back.
    while host.calls_in_flight() > 0 {
        tokio::task::yield_now().await;
    }
    let growth = peak_rss_bytes().saturating_sub(before);
    println!(
        "resident set before the load {} MiB, peak growth during it {} MiB (bound {} MiB)",
        before >> 20,
        growth >> 20,
        MAX_RSS_GROWTH >> 20
    );
    assert!(
        growth < MAX_RSS_GROWTH,
        "the resident set grew by {growth} bytes"
    );

    let after = Fault::Hello.request("after");
    let response = client.run_function(after.clone()).await.expect("answered");
    check(Fault::Hello, &after, &response.into_inner(), &trap);
    server.stop().await;
}
