//! Timed loops over gRPC: latency per call, calls per second, and the server's CPU per call read
//! from `/proc` around the loop.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::client::Caller;
use crate::process::{CLOCK_TICK, ServerProcess};

/// Callers in the concurrent scenario. They share one HTTP/2 connection, as Crossplane's calls
/// to one function do.
pub const CALLERS: usize = 8;

/// How long calls run, unmeasured, before a loop: connection windows, allocator pools, caches,
/// JIT warm-up of the peers that have one.
const WARM_UP: Duration = Duration::from_millis(250);
/// Calls made at least in the warm-up, however slow.
const MIN_WARM_UP_CALLS: usize = 2;
/// How long a measured loop runs. Long enough that the server's CPU time, read in clock ticks
/// (10 ms), is known to within 5% whenever the server is busy a seventh of the time or more.
const BUDGET: Duration = Duration::from_millis(1500);
/// Calls a sequential loop makes at least, however slow, so that p50 means something.
const MIN_CALLS: usize = 10;
/// Calls each concurrent caller makes at least, however slow.
const MIN_CALLS_PER_CALLER: usize = 1;
/// Calls a sequential loop makes at most, however fast.
const MAX_CALLS: usize = 50_000;

/// What one measured loop saw.
pub struct Run {
    /// Every call's latency, as the client saw it.
    pub samples: Vec<Duration>,
    /// From the first call's start to the last call's end.
    pub wall: Duration,
    /// The server's CPU time over the loop, user and system.
    pub cpu: Duration,
}

impl Run {
    /// The latency at `percent` (nearest rank).
    pub fn percentile(&self, percent: usize) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        sorted[(sorted.len() * percent).div_ceil(100).saturating_sub(1)]
    }

    /// Calls answered per second of wall time.
    pub fn calls_per_second(&self) -> f64 {
        self.samples.len() as f64 / self.wall.as_secs_f64()
    }

    /// The server's CPU time per call.
    pub fn cpu_per_call(&self) -> Duration {
        self.cpu.div_f64(self.samples.len() as f64)
    }

    /// The worst error of [`Run::cpu_per_call`] from the tick resolution of the two readings,
    /// relative to the value.
    pub fn cpu_error(&self) -> f64 {
        CLOCK_TICK.as_secs_f64() / self.cpu.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

/// What every answer to one request must be: `expected` (the first answer, checked by the
/// scenario) has the length every later answer must have. Answers are compared by length, not
/// bytes, because Go writes protobuf maps in random order.
#[derive(Clone, Copy)]
pub struct Expect {
    /// The length of a right answer.
    pub len: usize,
}

impl Expect {
    fn check(self, response: &Bytes) {
        assert_eq!(
            response.len(),
            self.len,
            "an answer differs from the first one to the same request"
        );
    }
}

/// One caller: a warm-up, then calls one after another for [`BUDGET`].
pub async fn sequential(
    server: &ServerProcess,
    caller: &Caller,
    request: &Bytes,
    expect: Expect,
) -> Run {
    let mut caller = caller.clone();
    warm_up(&mut caller, request, expect).await;
    let cpu = server.cpu_time();
    let started = Instant::now();
    let mut samples = Vec::new();
    while samples.len() < MIN_CALLS || (started.elapsed() < BUDGET && samples.len() < MAX_CALLS) {
        let call = Instant::now();
        let response = caller.call(request.clone()).await;
        samples.push(call.elapsed());
        expect.check(&response);
    }
    Run {
        wall: started.elapsed(),
        cpu: server.cpu_time().saturating_sub(cpu),
        samples,
    }
}

/// [`CALLERS`] tasks on clones of `caller`: a warm-up together, then calls for [`BUDGET`].
pub async fn concurrent(
    server: &ServerProcess,
    caller: &Caller,
    request: &Bytes,
    expect: Expect,
) -> Run {
    let spawn_callers = |measured: bool| {
        (0..CALLERS)
            .map(|_| {
                let mut caller = caller.clone();
                let request = request.clone();
                tokio::spawn(async move {
                    if !measured {
                        warm_up(&mut caller, &request, expect).await;
                        return Vec::new();
                    }
                    let started = Instant::now();
                    let mut samples = Vec::new();
                    while samples.len() < MIN_CALLS_PER_CALLER || started.elapsed() < BUDGET {
                        let call = Instant::now();
                        let response = caller.call(request.clone()).await;
                        samples.push(call.elapsed());
                        expect.check(&response);
                    }
                    samples
                })
            })
            .collect::<Vec<_>>()
    };
    for task in spawn_callers(false) {
        task.await.expect("a warm-up caller does not panic");
    }
    let cpu = server.cpu_time();
    let started = Instant::now();
    let mut samples = Vec::new();
    for task in spawn_callers(true) {
        samples.extend(task.await.expect("a caller does not panic"));
    }
    Run {
        wall: started.elapsed(),
        cpu: server.cpu_time().saturating_sub(cpu),
        samples,
    }
}

/// Calls for [`WARM_UP`], and at least [`MIN_WARM_UP_CALLS`] times.
async fn warm_up(caller: &mut Caller, request: &Bytes, expect: Expect) {
    let started = Instant::now();
    let mut calls = 0;
    while calls < MIN_WARM_UP_CALLS || started.elapsed() < WARM_UP {
        expect.check(&caller.call(request.clone()).await);
        calls += 1;
    }
}
