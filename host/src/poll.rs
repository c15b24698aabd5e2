//! WASI `poll_oneoff` for a sandbox with nothing to wait for but time, bounded by the deadline.
//!
//! Epoch interruption stops wasm code only. wasmtime-wasi's `poll_oneoff` sleeps in the host for as
//! long as the module asks, so a module asking for a 60 s sleep under a 100 ms deadline would hold
//! its call, and its concurrency slot, for 60 s. This module replaces the import. With nothing
//! granted a module has no files and no sockets, and its stdin, stdout and stderr are in-memory
//! pipes that are always ready, so the only thing `poll_oneoff` can wait for is a clock:
//!
//! - a subscription to stdin (`fd_read` on 0) or stdout/stderr (`fd_write` on 1, 2) is ready at
//!   once, as in wasmtime-wasi; any other descriptor is `errno.badf`;
//! - when nothing is ready, the call sleeps until the earliest clock subscription, on the blocking
//!   thread the call runs on;
//! - a sleep that would end after the call's deadline fails the call at once with
//!   [`Trap::Interrupt`], which the host reports as the exceeded deadline it is bound to become.
//!
//! No other WASI function can block: reads and writes go to the in-memory pipes.

use std::ops::Range;
use std::time::{Duration, Instant, SystemTime};

use wasmtime::{Caller, Extern, Linker, Trap};
use wasmtime_wasi::HostMonotonicClock;

use super::abi::MEMORY_EXPORT;
use super::guest::{GuestState, OutOfBounds};

/// The WASI preview 1 import module.
const WASI_MODULE: &str = "wasi_snapshot_preview1";
/// The import this module replaces.
const POLL_ONEOFF: &str = "poll_oneoff";

/// Layout of a `subscription` (48 bytes): `userdata: u64` at 0, the union's tag (`u8`) at 8, then
/// for a clock `id: u32` at 16, `timeout: u64` at 24, `precision: u64` at 32, `flags: u16` at 40,
/// and for a descriptor `fd: u32` at 16.
const SUBSCRIPTION_BYTES: usize = 48;
const TAG_OFFSET: usize = 8;
const CLOCK_ID_OFFSET: usize = 16;
const FD_OFFSET: usize = 16;
const TIMEOUT_OFFSET: usize = 24;
const FLAGS_OFFSET: usize = 40;
/// Layout of an `event` (32 bytes): `userdata: u64` at 0, `error: u16` at 8, `type: u8` at 10,
/// `nbytes: u64` at 16, `flags: u16` at 24.
const EVENT_BYTES: usize = 32;
const EVENT_ERROR_OFFSET: usize = 8;
const EVENT_TYPE_OFFSET: usize = 10;
const EVENT_NBYTES_OFFSET: usize = 16;

/// `eventtype`, also the subscription union's tag.
const TAG_CLOCK: u8 = 0;
const TAG_FD_READ: u8 = 1;
const TAG_FD_WRITE: u8 = 2;
/// `clockid`s a subscription may name.
const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
/// `subclockflags.subscription_clock_abstime` (in the flags' low byte): the timeout is a point in
/// time, not a duration.
const FLAG_ABSTIME: u8 = 1;
/// The descriptors a module has.
const STDIN: u32 = 0;
const STDOUT: u32 = 1;
const STDERR: u32 = 2;
/// `errno` values.
const ERRNO_SUCCESS: u16 = 0;
const ERRNO_BADF: u16 = 8;
const ERRNO_INVAL: u16 = 28;

/// The guest's monotonic clock: nanoseconds since its call started.
///
/// Starting every call at zero keeps one call's timing out of the next, and lets `poll_oneoff`
/// turn an absolute monotonic time into the time left until it.
pub(crate) struct CallClock {
    start: Instant,
}

impl CallClock {
    pub(crate) fn new(start: Instant) -> CallClock {
        CallClock { start }
    }
}

impl HostMonotonicClock for CallClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        nanos(self.start.elapsed())
    }
}

/// Replaces wasmtime-wasi's `poll_oneoff` in `linker` by this module's.
pub(crate) fn add_to_linker(linker: &mut Linker<GuestState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let defined = linker
        .func_wrap(
            WASI_MODULE,
            POLL_ONEOFF,
            |mut caller: Caller<'_, GuestState>,
             subscriptions: i32,
             events: i32,
             count: i32,
             stored: i32|
             -> wasmtime::Result<i32> {
                let call = Poll {
                    subscriptions: subscriptions.cast_unsigned(),
                    events: events.cast_unsigned(),
                    count: count.cast_unsigned(),
                    stored: stored.cast_unsigned(),
                };
                call.run(&mut caller).map(i32::from)
            },
        )
        .map(|_| ());
    linker.allow_shadowing(false);
    defined
}

/// One `poll_oneoff(subscriptions, events, count, stored) -> errno` call.
struct Poll {
    subscriptions: u32,
    events: u32,
    count: u32,
    stored: u32,
}

/// When the call began, on both clocks a subscription may name.
struct Now {
    instant: Instant,
    monotonic: u64,
    realtime: u64,
}

impl Poll {
    /// Waits as WASI says, within the deadline; returns the errno, or a trap.
    fn run(&self, caller: &mut Caller<'_, GuestState>) -> wasmtime::Result<u16> {
        let Some(Extern::Memory(memory)) = caller.get_export(MEMORY_EXPORT) else {
            return Err(wasmtime::format_err!(
                "{POLL_ONEOFF} was called by a module that exports no memory"
            ));
        };
        let (started, deadline) = (caller.data().started, caller.data().deadline);
        let now = Now {
            instant: Instant::now(),
            monotonic: CallClock::new(started).now(),
            realtime: nanos(
                SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default(),
            ),
        };
        if self.count == 0 {
            // WASI preview 1 cannot express sleeping forever.
            return Ok(ERRNO_INVAL);
        }
        let array = self.array(memory.data_size(&*caller))?;
        let mut earliest: Option<Duration> = None;
        let (subscriptions, _) = memory
            .data(&*caller)
            .get(array.clone())
            .unwrap_or_default()
            .as_chunks::<SUBSCRIPTION_BYTES>();
        for subscription in subscriptions {
            match readiness(subscription, &now) {
                Err(errno) => return Ok(errno),
                Ok(wait) => earliest = Some(earliest.map_or(wait, |e| e.min(wait))),
            }
        }
        let slept = earliest.unwrap_or_default();
        if !slept.is_zero() {
            if now
                .instant
                .checked_add(slept)
                .is_none_or(|end| end > deadline)
            {
                return Err(wasmtime::Error::new(Trap::Interrupt));
            }
            std::thread::sleep(slept);
        }
        // Subscriptions are read one at a time, in place: the module may have made the array
        // most of its memory, and events may overwrite subscriptions already answered.
        let data = memory.data_mut(&mut *caller);
        let mut written = 0u32;
        for start in array.step_by(SUBSCRIPTION_BYTES) {
            let mut subscription = [0u8; SUBSCRIPTION_BYTES];
            if let Some(bytes) = data.get(start..start + SUBSCRIPTION_BYTES) {
                subscription.copy_from_slice(bytes);
            }
            if readiness(&subscription, &now).is_ok_and(|wait| wait <= slept) {
                self.write_event(data, written, &subscription)?;
                written += 1;
            }
        }
        let stored = self.guest_bytes(data, self.stored, 4)?;
        stored.copy_from_slice(&written.to_le_bytes());
        Ok(ERRNO_SUCCESS)
    }

    /// Where the subscription array lies in a memory of `memory_len` bytes; a trap when outside.
    fn array(&self, memory_len: usize) -> wasmtime::Result<Range<usize>> {
        let len = usize::try_from(self.count)
            .ok()
            .and_then(|count| count.checked_mul(SUBSCRIPTION_BYTES));
        usize::try_from(self.subscriptions)
            .ok()
            .zip(len)
            .and_then(|(start, len)| Some(start..start.checked_add(len)?))
            .filter(|range| range.end <= memory_len)
            .ok_or_else(|| self.out_of_bounds(self.subscriptions, SUBSCRIPTION_BYTES))
    }

    /// Writes the event for a ready `subscription` as event number `index`.
    fn write_event(
        &self,
        memory: &mut [u8],
        index: u32,
        subscription: &[u8],
    ) -> wasmtime::Result<()> {
        let at = usize::try_from(index)
            .ok()
            .and_then(|index| index.checked_mul(EVENT_BYTES))
            .and_then(|offset| u32::try_from(offset).ok())
            .and_then(|offset| self.events.checked_add(offset))
            .ok_or_else(|| self.out_of_bounds(self.events, EVENT_BYTES))?;
        let event = self.guest_bytes(memory, at, EVENT_BYTES)?;
        let tag = subscription[TAG_OFFSET];
        event.fill(0);
        event[..8].copy_from_slice(&subscription[..8]);
        event[EVENT_ERROR_OFFSET..EVENT_ERROR_OFFSET + 2]
            .copy_from_slice(&ERRNO_SUCCESS.to_le_bytes());
        event[EVENT_TYPE_OFFSET] = tag;
        if tag != TAG_CLOCK {
            // One byte can be read or written, as wasmtime-wasi reports for stdio.
            event[EVENT_NBYTES_OFFSET..EVENT_NBYTES_OFFSET + 8]
                .copy_from_slice(&1u64.to_le_bytes());
        }
        Ok(())
    }

    /// `len` guest bytes at `pointer`, which must lie inside memory.
    fn guest_bytes<'m>(
        &self,
        memory: &'m mut [u8],
        pointer: u32,
        len: usize,
    ) -> wasmtime::Result<&'m mut [u8]> {
        usize::try_from(pointer)
            .ok()
            .and_then(|start| memory.get_mut(start..start.checked_add(len)?))
            .ok_or_else(|| self.out_of_bounds(pointer, len))
    }

    fn out_of_bounds(&self, pointer: u32, len: usize) -> wasmtime::Error {
        wasmtime::Error::new(OutOfBounds {
            function: POLL_ONEOFF,
            ptr: pointer,
            len: u32::try_from(len).unwrap_or(u32::MAX),
        })
    }
}

/// How long from `now` until `subscription` is ready (zero for stdio), or the errno WASI gives it.
fn readiness(subscription: &[u8; SUBSCRIPTION_BYTES], now: &Now) -> Result<Duration, u16> {
    let u32_at = |offset: usize| {
        let mut bytes = [0u8; 4];
        bytes.copy_from_slice(&subscription[offset..offset + 4]);
        u32::from_le_bytes(bytes)
    };
    match subscription[TAG_OFFSET] {
        TAG_CLOCK => {
            let mut timeout = [0u8; 8];
            timeout.copy_from_slice(&subscription[TIMEOUT_OFFSET..TIMEOUT_OFFSET + 8]);
            let is_absolute = subscription[FLAGS_OFFSET] & FLAG_ABSTIME != 0;
            let start = match (u32_at(CLOCK_ID_OFFSET), is_absolute) {
                (CLOCK_REALTIME | CLOCK_MONOTONIC, false) => 0,
                (CLOCK_MONOTONIC, true) => now.monotonic,
                (CLOCK_REALTIME, true) => now.realtime,
                _ => return Err(ERRNO_INVAL),
            };
            Ok(Duration::from_nanos(
                u64::from_le_bytes(timeout).saturating_sub(start),
            ))
        }
        TAG_FD_READ if u32_at(FD_OFFSET) == STDIN => Ok(Duration::ZERO),
        TAG_FD_WRITE if matches!(u32_at(FD_OFFSET), STDOUT | STDERR) => Ok(Duration::ZERO),
        TAG_FD_READ | TAG_FD_WRITE => Err(ERRNO_BADF),
        _ => Err(ERRNO_INVAL),
    }
}

/// `duration` in whole nanoseconds, saturating at `u64::MAX` (584 years).
fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
