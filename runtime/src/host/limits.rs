//! Per-call limits and the memory limiter that enforces them.

use std::time::Duration;

/// What one guest call may use. Every field is a hard cap: going past it ends the call with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock budget for the whole call (`_initialize`, the run, writing the output).
    pub timeout: Duration,
    /// Largest linear memory the guest may grow to, in bytes.
    pub memory_bytes: u64,
    /// Largest response the guest may hand back, in bytes.
    pub max_output_bytes: usize,
    /// Largest total of log messages and stderr kept per call, in bytes; the rest is dropped.
    pub max_log_bytes: usize,
}

impl Limits {
    /// The limits a step gets when its Input names none: 5 s, 64 MiB, 16 MiB of output, 64 KiB of logs.
    pub const DEFAULT: Limits = Limits {
        timeout: Duration::from_secs(5),
        memory_bytes: 64 * 1024 * 1024,
        max_output_bytes: 16 * 1024 * 1024,
        max_log_bytes: 64 * 1024,
    };

    /// The server-wide maxima when none are configured: 30 s and 512 MiB per call.
    pub const DEFAULT_MAXIMA: Limits = Limits {
        timeout: Duration::from_secs(30),
        memory_bytes: 512 * 1024 * 1024,
        max_output_bytes: 16 * 1024 * 1024,
        max_log_bytes: 64 * 1024,
    };
}

/// The guest tried to grow its memory past [`Limits::memory_bytes`].
///
/// Returned from the limiter, so wasmtime turns it into a trap that carries this value; the host
/// downcasts the trap to tell a memory bomb from other failures.
#[derive(Debug, thiserror::Error)]
#[error("memory limit reached: the module asked for {desired} bytes, its limit is {limit} bytes")]
pub(crate) struct MemoryLimitReached {
    pub(crate) desired: usize,
    pub(crate) limit: usize,
}

/// A [`wasmtime::ResourceLimiter`] that traps on growth past the memory cap instead of failing the
/// `memory.grow` quietly, so the caller learns what happened.
pub(crate) struct MemoryLimiter {
    limit: usize,
}

impl MemoryLimiter {
    pub(crate) fn new(limit_bytes: u64) -> MemoryLimiter {
        MemoryLimiter {
            limit: usize::try_from(limit_bytes).unwrap_or(usize::MAX),
        }
    }
}

/// Most tables a module may hold elements for; Rust and C modules use one small table.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            return Err(wasmtime::Error::new(MemoryLimitReached {
                desired,
                limit: self.limit,
            }));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
