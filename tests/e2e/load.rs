//! Faulty and hostile modules under load next to good calls, over real gRPC: every call gets its
//! exact answer, cancelled calls give their slots back, and the server's memory stays bounded.

use std::time::Duration;

use serde_json::{Value, json};
use xfn_proto::v1::{RunFunctionRequest, RunFunctionResponse};
use xfn_tests::process::{peak_rss_bytes, reset_peak_rss, rss_bytes, run_alone};
use xfn_tests::{
    TestServer, assert_fatal, desired_and_context, greeting_xr, hello_response, inline_id,
    inline_input, module_input, registry, request, runner_on, to_json,
};

use super::sandbox::SLEEPER;

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

/// A reactor whose `xfn_run_v1` body is `run`, with `set_output` and `log` imported and `memory`
/// pages of memory.
fn reactor(memory: u32, run: &str) -> String {
    format!(
        r#"(module
  (import "xfn" "set_output" (func $set_output (param i32 i32)))
  (import "xfn" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") {memory})
  (data (i32.const 16) "not json")
  (data (i32.const 32) "{{}}")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 4096)
  (func $explode unreachable)
  (func (export "xfn_run_v1") (param i32 i32) (result i32) {run}))"#
    )
}

/// What one call runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// The bundled hello module: a good call.
    Hello,
    /// `unreachable` in a function of its own.
    Trap,
    /// Spins until its 100 ms deadline.
    Loop,
    /// Asks WASI for 60 s of sleep under a 100 ms deadline.
    Sleep,
    /// Grows and fills its memory, 1 MiB at a time, until its 16 MiB limit.
    Bomb,
    /// Logs 500 MiB (untouched memory) three times, then answers `{}`.
    Flood,
    /// Answers bytes that are not JSON.
    Garbage,
}

const KINDS: [Kind; 7] = [
    Kind::Hello,
    Kind::Trap,
    Kind::Loop,
    Kind::Sleep,
    Kind::Bomb,
    Kind::Flood,
    Kind::Garbage,
];

impl Kind {
    /// The module's WAT, `None` for the bundled hello.
    fn wat(self) -> Option<String> {
        Some(match self {
            Kind::Hello => return None,
            Kind::Trap => reactor(1, "call $explode i32.const 0"),
            Kind::Loop => reactor(1, "(loop $spin (br $spin)) i32.const 0"),
            Kind::Sleep => SLEEPER.to_owned(),
            Kind::Bomb => reactor(
                1,
                "(loop $grow
                   (memory.fill (i32.mul (memory.grow (i32.const 16)) (i32.const 65536))
                                (i32.const 1) (i32.const 1048576))
                   (br $grow))
                 i32.const 0",
            ),
            Kind::Flood => reactor(
                8000,
                "(call $log (i32.const 2) (i32.const 0) (i32.const 524000000))
                 (call $log (i32.const 2) (i32.const 0) (i32.const 524000000))
                 (call $log (i32.const 2) (i32.const 0) (i32.const 524000000))
                 (call $set_output (i32.const 32) (i32.const 2)) i32.const 0",
            ),
            Kind::Garbage => reactor(
                1,
                "(call $set_output (i32.const 16) (i32.const 8)) i32.const 0",
            ),
        })
    }

    fn input(self) -> Value {
        let limits = match self {
            Kind::Loop | Kind::Sleep => json!({"limits": {"timeout": "100ms"}}),
            Kind::Bomb => json!({"limits": {"memory": "16Mi"}}),
            Kind::Flood => json!({"limits": {"memory": "512Mi"}}),
            Kind::Hello | Kind::Trap | Kind::Garbage => json!({}),
        };
        match self.wat() {
            None => module_input("hello", limits),
            Some(wat) => inline_input(&wat, limits),
        }
    }

    fn request(self, tag: &str) -> RunFunctionRequest {
        request(tag, greeting_xr("World"), self.input())
    }

    /// Asserts `response` is this kind's exact answer to `request`; a trap's message, backtrace
    /// included, must be `trap`.
    fn check(self, request: &RunFunctionRequest, response: &RunFunctionResponse, trap: &str) {
        let tag = &request.meta.as_ref().expect("requests carry meta").tag;
        let id = self.wat().map(|wat| inline_id(&wat)).unwrap_or_default();
        let fatal = match self {
            Kind::Hello => return assert_eq!(to_json(response), hello_response(tag)),
            Kind::Flood => {
                let (desired, context) = desired_and_context(request);
                let expected = json!({"meta": {"tag": tag, "ttl": "60s"}, "desired": desired, "context": context});
                return assert_eq!(to_json(response), expected);
            }
            Kind::Trap => trap.to_owned(),
            Kind::Loop | Kind::Sleep => format!(
                "{id}: exceeded its 100ms deadline; raise input.limits.timeout (server maximum 30s)"
            ),
            Kind::Bomb => format!(
                "{id}: exceeded its memory limit of 16Mi; raise input.limits.memory (server maximum 512Mi)"
            ),
            Kind::Garbage => format!(
                "{id}: its output is not a RunFunctionResponse: expected ident at line 1 column 2; see docs/ABI.md"
            ),
        };
        assert_fatal(request, response, &fatal);
    }
}

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
    let trap_request = Kind::Trap.request("warm-trap");
    let trap_response = client
        .run_function(trap_request.clone())
        .await
        .expect("answered");
    let trap = trap_response.into_inner().results[0].message.clone();
    let first_line = format!(
        "{}: trapped: wasm trap: wasm `unreachable` instruction executed",
        inline_id(&Kind::Trap.wat().expect("inline"))
    );
    assert_eq!(trap.lines().next(), Some(first_line.as_str()), "{trap}");
    for kind in KINDS {
        let request = kind.request(&format!("warm-{kind:?}"));
        let response = client
            .run_function(request.clone())
            .await
            .expect("answered");
        kind.check(&request, &response.into_inner(), &trap);
    }

    let before = rss_bytes();
    reset_peak_rss();
    let mut clients = Vec::new();
    for number in 0..CLIENTS {
        let mut client = server.client().await;
        let trap = trap.clone();
        clients.push(tokio::spawn(async move {
            let spinner = Kind::Loop.wat().expect("inline");
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
                let kind = KINDS[(number + round) % KINDS.len()];
                let request = kind.request(&format!("client-{number}-round-{round}-{kind:?}"));
                let response = client
                    .run_function(request.clone())
                    .await
                    .expect("answered");
                kind.check(&request, &response.into_inner(), &trap);
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

    let after = Kind::Hello.request("after");
    let response = client.run_function(after.clone()).await.expect("answered");
    Kind::Hello.check(&after, &response.into_inner(), &trap);
    server.stop().await;
}
