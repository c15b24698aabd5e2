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
    /// All the store's linear memory, in bytes, had the growth gone through.
    pub(crate) desired: usize,
    pub(crate) limit: usize,
}

/// A [`wasmtime::ResourceLimiter`] that traps on growth past the memory cap instead of failing the
/// `memory.grow` quietly, so the caller learns what happened.
///
/// The cap holds for all the linear memories of the store together: a core module has one, a
/// component may have several (one per core module that defines its own). wasmtime asks the
/// limiter for every memory's initial size too, so the total counts every byte from the start.
pub(crate) struct MemoryLimiter {
    limit: usize,
    /// Bytes of linear memory the store's memories hold now.
    total: usize,
}

impl MemoryLimiter {
    pub(crate) fn new(limit_bytes: u64) -> MemoryLimiter {
        MemoryLimiter {
            limit: usize::try_from(limit_bytes).unwrap_or(usize::MAX),
            total: 0,
        }
    }
}

/// Most elements one table may grow to; Rust and C modules use one small table, Go and the
/// interpreters of componentize-py and componentize-js a few thousand entries.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.total.saturating_sub(current).saturating_add(desired);
        if total > self.limit {
            return Err(wasmtime::Error::new(MemoryLimitReached {
                desired: total,
                limit: self.limit,
            }));
        }
        self.total = total;
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

#[cfg(test)]
mod tests {
    use wasmtime::ResourceLimiter as _;

    use super::*;

    #[test]
    fn the_cap_holds_for_all_memories_together() {
        let mut limiter = MemoryLimiter::new(100);
        assert!(limiter.memory_growing(0, 60, None).expect("within the cap"));
        assert!(
            limiter
                .memory_growing(60, 70, None)
                .expect("within the cap")
        );
        let error = limiter
            .memory_growing(0, 40, None)
            .expect_err("a second memory past the cap");
        assert_eq!(
            error.to_string(),
            "memory limit reached: the module asked for 110 bytes, its limit is 100 bytes"
        );
        assert!(limiter.memory_growing(0, 30, None).expect("what is left"));
    }
}
