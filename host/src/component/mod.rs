//! The component ABI (`wit/function.wit`): the request passed to
//! `wasmtime:function/handler@1.x`'s `run`, its `result` taken as the response or the module's
//! error, with WASI 0.2 granting nothing.

mod exports;
mod linker;

use std::time::Instant;

use wasmtime::Store;
use wasmtime::component::{ComponentExportIndex, InstancePre, ResourceTable};
use wasmtime_wasi::WasiCtxBuilder;

pub(crate) use exports::detect;
pub(crate) use linker::{ComponentState, new as new_linker};

use super::guest::{LogSink, OutputTooLarge, utf8_boundary};
use super::limits::{Limits, MemoryLimiter};
use super::poll::CallClock;
use super::stdio::{CappedPipe, Overflow};
use super::{CallFailure, Failure, ModuleId, instantiation_failure, ticker};

/// A component ready to run: its instantiation prepared and its `run` export found.
pub(crate) struct PreparedComponent {
    pub(crate) pre: InstancePre<ComponentState>,
    pub(crate) run: ComponentExportIndex,
}

/// What `run` returns: the response or the module's error.
///
/// Copied out while it is lifted: wasmtime calls the component's post-return function before
/// `call` returns, and that frees the guest's buffers, so a `WasmList` or `WasmStr` would be read
/// after its memory is freed (a componentize-js response then began with allocator bytes).
/// The copy is at most the guest's memory, which the call's memory limit bounds.
type RunResult = Result<Vec<u8>, String>;

/// Runs one call of `component` on `request` in a fresh instance under `limits`.
///
/// The component's stdout and stderr become log lines (it has no other use for them: the response
/// is `run`'s result); `ok` is the response, `err` the module's own error message.
pub(super) fn call(
    component: &PreparedComponent,
    id: &ModuleId,
    limits: Limits,
    request: &[u8],
) -> Result<Vec<u8>, CallFailure> {
    let output = CappedPipe::new(limits.max_log_bytes, Overflow::Drop);
    let started = Instant::now();
    let wasi = WasiCtxBuilder::new()
        .stdout(output.clone())
        .stderr(output.clone())
        .monotonic_clock(CallClock::new(started))
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build();
    let state = ComponentState {
        wasi,
        table: ResourceTable::new(),
        limiter: MemoryLimiter::new(limits.memory_bytes),
        log: LogSink::new(id.name.as_str().into(), limits.max_log_bytes),
        deadline: started.checked_add(limits.timeout).unwrap_or(started),
    };
    let mut store = Store::new(component.pre.engine(), state);
    store.limiter(|state| &mut state.limiter);
    store.set_epoch_deadline(ticker::ticks_for(limits.timeout));
    store.epoch_deadline_trap();

    let outcome = component
        .pre
        .instantiate(&mut store)
        .map_err(instantiation_failure)
        .and_then(|instance| {
            let run =
                instance.get_typed_func::<(&[u8],), (RunResult,)>(&mut store, &component.run)?;
            let (result,) = run.call(&mut store, (request,))?;
            let max = limits.max_output_bytes;
            match result {
                Ok(response) if response.len() > max => {
                    Err(CallFailure::Wasm(wasmtime::Error::new(OutputTooLarge {
                        len: response.len(),
                        max,
                    })))
                }
                Ok(response) => Ok(response),
                Err(mut message) => {
                    message.truncate(utf8_boundary(message.as_bytes(), message.len().min(max)));
                    Err(Failure::Returned(message).into())
                }
            }
        });
    let lines = output.contents();
    store.data_mut().log.emit_stderr(&lines);
    outcome
}
