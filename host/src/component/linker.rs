//! What a component is linked against: WASI 0.2 with nothing granted and waits bounded by the
//! call's deadline, and the world's `log` import.

use std::time::Instant;

use wasmtime::component::{ComponentType, HasData, Lift, Linker, Resource, ResourceTable, WasmStr};
use wasmtime::{Engine, StoreContextMut, Trap};
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::io::poll as async_poll;
use wasmtime_wasi::p2::bindings::sync::io::poll;
use wasmtime_wasi::runtime::in_tokio;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::guest::{LogSink, MAX_LOG_MESSAGE_BYTES};
use crate::limits::MemoryLimiter;

/// The interface of the world's import, at ABI version 1; the linker's semver matching also
/// serves components built against a later 1.x.
pub(crate) const LOG_INTERFACE: &str = "wasmtime:function/log@1.0.0";

/// Everything one component call's [`wasmtime::Store`] owns; dropped with the store.
pub(crate) struct ComponentState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) log: LogSink,
    /// When the call's time is up; host functions never wait past it.
    pub(crate) deadline: Instant,
}

impl WasiView for ComponentState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// `wasmtime:function/log.level`, in the order the WIT declares it, which is also the core ABI's
/// numbering of `xfn.log` levels (0 error … 4 trace): `level as i32` is that number.
#[derive(ComponentType, Lift, Clone, Copy, Debug)]
#[expect(
    dead_code,
    reason = "the variants are made by lifting the guest's value, not in Rust"
)]
#[component(enum)]
#[repr(u8)]
enum Level {
    #[component(name = "error")]
    Error,
    #[component(name = "warn")]
    Warn,
    #[component(name = "info")]
    Info,
    #[component(name = "debug")]
    Debug,
    #[component(name = "trace")]
    Trace,
}

/// The linker every component is prepared with: all of WASI 0.2 (what the context grants decides
/// what works), `wasi:io/poll` replaced by [`BoundedPoll`], and `log`.
pub(crate) fn new(engine: &Engine) -> wasmtime::Result<Linker<ComponentState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    linker.allow_shadowing(true);
    poll::add_to_linker::<ComponentState, BoundedPollData>(&mut linker, |state| BoundedPoll {
        table: &mut state.table,
        deadline: state.deadline,
    })?;
    linker.allow_shadowing(false);
    linker.instance(LOG_INTERFACE)?.func_wrap(
        "log",
        |mut store: StoreContextMut<'_, ComponentState>,
         (level, message): (Level, WasmStr)|
         -> wasmtime::Result<()> {
            // Only the part the log can keep is copied out of the guest's memory.
            let text = message.to_str(&store)?;
            let head = text.as_bytes()[..text.len().min(MAX_LOG_MESSAGE_BYTES)].to_vec();
            let len = text.len();
            store.data_mut().log.emit_head(level as i32, &head, len);
            Ok(())
        },
    )?;
    Ok(linker)
}

/// `wasi:io/poll` whose waits end at the call's deadline.
///
/// Epoch interruption stops wasm code only; wasmtime-wasi's `poll` and `pollable.block` wait in
/// the host for as long as the guest asks, so a component subscribing to a clock an hour ahead
/// would hold its call, and its concurrency slot, for an hour. These wait at most until the
/// deadline, then fail the call with [`Trap::Interrupt`], which the host reports as the exceeded
/// deadline. Nothing else in the sandbox can wait: stdin is empty, stdout and stderr are
/// in-memory pipes that are always ready, and there are no files or sockets.
struct BoundedPoll<'a> {
    table: &'a mut ResourceTable,
    deadline: Instant,
}

/// Ties [`BoundedPoll`] to the linker.
struct BoundedPollData;

impl HasData for BoundedPollData {
    type Data<'a> = BoundedPoll<'a>;
}

impl BoundedPoll<'_> {
    /// Runs `wait` on the tokio runtime until it ends or the deadline passes.
    fn until_deadline<F: Future>(deadline: Instant, wait: F) -> wasmtime::Result<F::Output> {
        in_tokio(tokio::time::timeout_at(deadline.into(), wait))
            .map_err(|_| wasmtime::Error::new(Trap::Interrupt))
    }
}

impl poll::Host for BoundedPoll<'_> {
    fn poll(&mut self, pollables: Vec<Resource<DynPollable>>) -> wasmtime::Result<Vec<u32>> {
        Self::until_deadline(
            self.deadline,
            async_poll::Host::poll(&mut *self.table, pollables),
        )?
    }
}

impl poll::HostPollable for BoundedPoll<'_> {
    fn ready(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<bool> {
        poll::HostPollable::ready(&mut *self.table, pollable)
    }

    fn block(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<()> {
        Self::until_deadline(
            self.deadline,
            async_poll::HostPollable::block(&mut *self.table, pollable),
        )?
    }

    fn drop(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<()> {
        poll::HostPollable::drop(&mut *self.table, pollable)
    }
}
