//! The epoch ticker: a thread that advances the engine's epoch so deadlines fire.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Engine, EngineWeak};

/// How often the epoch advances. A deadline is rounded up to whole ticks, so a call may run up to
/// one tick longer than its timeout.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// Advances the epoch of one engine every [`TICK`] until dropped; dropping stops and joins the thread.
///
/// The thread holds the engine weakly, so the ticker never keeps an engine alive on its own. A plain
/// thread, not a tokio interval: a busy runtime can delay or burst ticks, and bursts fire deadlines early.
pub(crate) struct EpochTicker {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    /// Starts the ticker thread for `engine`.
    pub(crate) fn start(engine: &Engine) -> std::io::Result<EpochTicker> {
        let weak: EngineWeak = engine.weak();
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("epoch-ticker".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => return,
                    }
                }
            })?;
        Ok(EpochTicker {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The number of ticks that covers `timeout`, at least one.
pub(crate) fn ticks_for(timeout: Duration) -> u64 {
    let tick = TICK.as_nanos();
    let ticks = timeout.as_nanos().div_ceil(tick).max(1);
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_round_up_and_never_reach_zero() {
        assert_eq!(ticks_for(Duration::ZERO), 1);
        assert_eq!(ticks_for(Duration::from_millis(1)), 1);
        assert_eq!(ticks_for(Duration::from_millis(10)), 1);
        assert_eq!(ticks_for(Duration::from_millis(11)), 2);
        assert_eq!(ticks_for(Duration::from_secs(2)), 200);
    }
}
