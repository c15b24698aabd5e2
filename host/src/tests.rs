//! The host's own tests: what needs its private parts (the instance pool).

use std::sync::Arc;
use std::time::Instant;

use wasmtime::{Module, Store};
use wasmtime_wasi::WasiCtxBuilder;

use super::guest::{GuestState, LogSink};
use super::limits::MemoryLimiter;
use super::{Compiled, Failure, Host, HostConfig, Limits, ModuleId, Prepared};

/// A reactor that answers `{}`.
const PASS_THROUGH: &str = include_str!("../../tests/fixtures/wat/pass-through.wat");

fn host(max_concurrency: usize) -> Host {
    Host::new(HostConfig {
        maxima: Limits::DEFAULT_MAXIMA,
        max_concurrency,
    })
    .expect("the host starts")
}

/// A store holding nothing, as a call would make it.
fn idle_store(host: &Host) -> Store<GuestState> {
    let started = Instant::now();
    let state = GuestState {
        wasi: WasiCtxBuilder::new().build_p1(),
        limiter: MemoryLimiter::new(Limits::DEFAULT.memory_bytes),
        output: None,
        max_output_bytes: Limits::DEFAULT.max_output_bytes,
        log: LogSink::new("test".into(), Limits::DEFAULT.max_log_bytes),
        started,
        deadline: started,
    };
    Store::new(host.engine(), state)
}

#[tokio::test]
async fn a_call_that_finds_every_instance_slot_taken_is_unavailable_not_a_module_failure() {
    let host = host(1);
    let id = ModuleId {
        name: "pass-through".to_owned(),
        digest: "0".repeat(64),
    };
    let wasm = wat::parse_str(PASS_THROUGH).expect("valid WAT");
    let module = Module::from_binary(host.engine(), &wasm).expect("compiles");
    let loaded = Arc::new(
        host.prepare(id, &Compiled::Core(module))
            .expect("fits the ABI"),
    );

    let output = host
        .call(loaded.clone(), b"{}".to_vec(), Limits::DEFAULT)
        .await
        .expect("a call with free slots runs");
    assert_eq!(output, b"{}");

    // Only calls instantiate, one per permit, so nothing but this test can fill the pool. Each
    // instance of this module takes a memory; the pool has room for the memories of the largest
    // call (a component's) in every slot.
    let Prepared::Core(pre) = &loaded.pre else {
        panic!("a core module is prepared as one");
    };
    let mut holders = Vec::new();
    while holders.len() < 100 {
        let mut store = idle_store(&host);
        if pre.instantiate(&mut store).is_err() {
            break;
        }
        holders.push(store);
    }
    assert_eq!(
        holders.len(),
        2 * host.slots as usize,
        "two memories per slot"
    );
    let error = host
        .call(loaded.clone(), b"{}".to_vec(), Limits::DEFAULT)
        .await
        .expect_err("no slot is free");
    assert!(
        matches!(error.failure(), Failure::Unavailable { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "module \"pass-through\" (sha256:000000000000): cannot start an instance: all 3 instance slots of this server are in use; retry the call"
    );
    assert_eq!(
        host.calls_in_flight(),
        0,
        "the failed call returned its permit"
    );
}
