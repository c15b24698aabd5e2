//! Per-call store data and the `xfn` host imports (`set_output`, `log`).

use std::sync::Arc;

use wasmtime::{Caller, Extern, Linker};
use wasmtime_wasi::p1::WasiP1Ctx;

use super::limits::MemoryLimiter;

/// Import module name of the host functions.
pub(crate) const IMPORT_MODULE: &str = "xfn";

/// Everything one call's [`wasmtime::Store`] owns; dropped with the store after the call.
pub(crate) struct GuestState {
    pub(crate) wasi: WasiP1Ctx,
    pub(crate) limiter: MemoryLimiter,
    /// The last bytes the guest passed to `set_output`.
    pub(crate) output: Option<Vec<u8>>,
    pub(crate) max_output_bytes: usize,
    pub(crate) log: LogSink,
}

/// The guest's output passed [`super::Limits::max_output_bytes`]; carried by the trap `set_output` raises.
#[derive(Debug, thiserror::Error)]
#[error("output of {len} bytes is over the {max}-byte limit")]
pub(crate) struct OutputTooLarge {
    pub(crate) len: usize,
    pub(crate) max: usize,
}

/// A guest pointer and length that do not lie inside its memory; carried by the trap raised.
#[derive(Debug, thiserror::Error)]
#[error("{function} was given bytes {ptr}..+{len}, which lie outside the module's memory")]
pub(crate) struct OutOfBounds {
    pub(crate) function: &'static str,
    pub(crate) ptr: u32,
    pub(crate) len: u32,
}

/// Forwards guest log lines to tracing under the module's name, within a byte budget per call.
pub(crate) struct LogSink {
    module: Arc<str>,
    budget: usize,
    has_dropped: bool,
}

impl LogSink {
    pub(crate) fn new(module: Arc<str>, budget: usize) -> LogSink {
        LogSink {
            module,
            budget,
            has_dropped: false,
        }
    }

    /// Emits one guest message at `level` (0 error, 1 warn, 2 info, 3 debug, anything else trace).
    pub(crate) fn emit(&mut self, level: i32, message: &str) {
        if message.len() > self.budget {
            if !self.has_dropped {
                self.has_dropped = true;
                tracing::warn!(module = %self.module, "module log budget used up; dropping further log lines");
            }
            return;
        }
        self.budget -= message.len();
        let module = &*self.module;
        match level {
            0 => tracing::error!(module, "{message}"),
            1 => tracing::warn!(module, "{message}"),
            2 => tracing::info!(module, "{message}"),
            3 => tracing::debug!(module, "{message}"),
            _ => tracing::trace!(module, "{message}"),
        }
    }

    /// Emits each line of a guest's stderr at info level.
    pub(crate) fn emit_stderr(&mut self, stderr: &[u8]) {
        for line in String::from_utf8_lossy(stderr)
            .lines()
            .filter(|l| !l.is_empty())
        {
            self.emit(2, line);
        }
    }
}

/// Adds `xfn.set_output` and `xfn.log` to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<GuestState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        IMPORT_MODULE,
        "set_output",
        |mut caller: Caller<'_, GuestState>, ptr: i32, len: i32| -> wasmtime::Result<()> {
            let max = caller.data().max_output_bytes;
            let wanted = usize::try_from(len.cast_unsigned()).unwrap_or(usize::MAX);
            if wanted > max {
                return Err(wasmtime::Error::new(OutputTooLarge { len: wanted, max }));
            }
            let bytes = read_guest(&mut caller, "set_output", ptr, len)?;
            caller.data_mut().output = Some(bytes);
            Ok(())
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        "log",
        |mut caller: Caller<'_, GuestState>,
         level: i32,
         ptr: i32,
         len: i32|
         -> wasmtime::Result<()> {
            let bytes = read_guest(&mut caller, "log", ptr, len)?;
            caller
                .data_mut()
                .log
                .emit(level, &String::from_utf8_lossy(&bytes));
            Ok(())
        },
    )?;
    Ok(())
}

/// Copies `len` bytes at `ptr` out of the caller's exported memory, with bounds checks.
fn read_guest(
    caller: &mut Caller<'_, GuestState>,
    function: &'static str,
    ptr: i32,
    len: i32,
) -> wasmtime::Result<Vec<u8>> {
    let (ptr, len) = (ptr.cast_unsigned(), len.cast_unsigned());
    let out_of_bounds = || wasmtime::Error::new(OutOfBounds { function, ptr, len });
    let Some(Extern::Memory(memory)) = caller.get_export(super::abi::MEMORY_EXPORT) else {
        return Err(wasmtime::format_err!(
            "{function} was called by a module that exports no memory"
        ));
    };
    let start = usize::try_from(ptr).map_err(|_| out_of_bounds())?;
    let count = usize::try_from(len).map_err(|_| out_of_bounds())?;
    let end = start.checked_add(count).ok_or_else(out_of_bounds)?;
    memory
        .data(&caller)
        .get(start..end)
        .map(<[u8]>::to_vec)
        .ok_or_else(out_of_bounds)
}
