//! Per-call store data and the `xfn` host imports (`set_output`, `log`).

use std::sync::Arc;
use std::time::Instant;

use wasmtime::{Caller, Extern, Linker, Memory};
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
    /// When the call started: zero on the guest's monotonic clock.
    pub(crate) started: Instant,
    /// When the call's time is up; host functions never wait past it.
    pub(crate) deadline: Instant,
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

/// Longest guest log message kept, in bytes. A longer one is cut at this length (or at what is
/// left of the call's log budget) and ends with a marker giving its length; the rest of it is
/// never read.
pub(crate) const MAX_LOG_MESSAGE_BYTES: usize = 4096;

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
    ///
    /// Keeps at most [`MAX_LOG_MESSAGE_BYTES`] and what is left of the budget, looking at no more
    /// of `message` than it keeps; once the budget is spent, messages are dropped with one warning.
    pub(crate) fn emit(&mut self, level: i32, message: &[u8]) {
        let head = &message[..message.len().min(MAX_LOG_MESSAGE_BYTES)];
        self.emit_head(level, head, message.len());
    }

    /// Emits a message of `len` bytes of which the caller read only `head`, its first
    /// [`MAX_LOG_MESSAGE_BYTES`] or fewer, as [`LogSink::emit`] does with the whole message.
    pub(crate) fn emit_head(&mut self, level: i32, head: &[u8], len: usize) {
        let limit = MAX_LOG_MESSAGE_BYTES.min(self.budget).min(head.len());
        if self.budget == 0 && len > 0 {
            if !self.has_dropped {
                self.has_dropped = true;
                tracing::warn!(module = %self.module, "module log budget used up; dropping further log lines");
            }
            return;
        }
        let kept = if len <= limit {
            len
        } else {
            utf8_boundary(head, limit)
        };
        self.budget -= kept;
        let text = String::from_utf8_lossy(&head[..kept]);
        let text = if kept < len {
            std::borrow::Cow::Owned(format!("{text}… [truncated from {len} bytes]"))
        } else {
            text
        };
        let module = &*self.module;
        match level {
            0 => tracing::error!(module, "{text}"),
            1 => tracing::warn!(module, "{text}"),
            2 => tracing::info!(module, "{text}"),
            3 => tracing::debug!(module, "{text}"),
            _ => tracing::trace!(module, "{text}"),
        }
    }

    /// Emits each line of a guest's stderr at info level.
    pub(crate) fn emit_stderr(&mut self, stderr: &[u8]) {
        for line in stderr
            .split(|byte| *byte == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
            .filter(|line| !line.is_empty())
        {
            self.emit(2, line);
        }
    }
}

/// The largest cut at or below `end` that does not split a UTF-8 sequence of `bytes`.
pub(crate) fn utf8_boundary(bytes: &[u8], end: usize) -> usize {
    let is_continuation = |i: usize| bytes[i] & 0b1100_0000 == 0b1000_0000;
    let lead = (end.saturating_sub(3)..end)
        .rev()
        .find(|&i| !is_continuation(i));
    let Some(lead) = lead else {
        return end;
    };
    let width = match bytes[lead] {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    };
    if lead + width > end { lead } else { end }
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
            let memory = guest_memory(&mut caller, "set_output")?;
            let bytes = guest_bytes(memory.data(&caller), "set_output", ptr, len)?.to_vec();
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
            let memory = guest_memory(&mut caller, "log")?;
            // The message is read in place: only the part the log keeps is ever copied.
            let (data, state) = memory.data_and_store_mut(&mut caller);
            state.log.emit(level, guest_bytes(data, "log", ptr, len)?);
            Ok(())
        },
    )?;
    Ok(())
}

/// The caller's exported memory, which `function` needs to read its arguments.
fn guest_memory(
    caller: &mut Caller<'_, GuestState>,
    function: &'static str,
) -> wasmtime::Result<Memory> {
    match caller.get_export(super::abi::MEMORY_EXPORT) {
        Some(Extern::Memory(memory)) => Ok(memory),
        _ => Err(wasmtime::format_err!(
            "{function} was called by a module that exports no memory"
        )),
    }
}

/// The `len` bytes at `ptr` in `memory`, with bounds checks.
fn guest_bytes<'m>(
    memory: &'m [u8],
    function: &'static str,
    ptr: i32,
    len: i32,
) -> wasmtime::Result<&'m [u8]> {
    let (ptr, len) = (ptr.cast_unsigned(), len.cast_unsigned());
    let out_of_bounds = || wasmtime::Error::new(OutOfBounds { function, ptr, len });
    let start = usize::try_from(ptr).map_err(|_| out_of_bounds())?;
    let count = usize::try_from(len).map_err(|_| out_of_bounds())?;
    let end = start.checked_add(count).ok_or_else(out_of_bounds)?;
    memory.get(start..end).ok_or_else(out_of_bounds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_never_splits_a_utf8_sequence() {
        let text = "aé€😀".as_bytes();
        assert_eq!(utf8_boundary(text, 1), 1);
        assert_eq!(utf8_boundary(text, 2), 1);
        assert_eq!(utf8_boundary(text, 3), 3);
        assert_eq!(utf8_boundary(text, 5), 3);
        assert_eq!(utf8_boundary(text, 6), 6);
        assert_eq!(utf8_boundary(text, 9), 6);
        assert_eq!(utf8_boundary(text, 10), 10);
        assert_eq!(utf8_boundary(&[0x80, 0x80, 0x80, 0x80], 4), 4);
    }
}
