//! Log lines for the host's log, through the `xfn.log` import.
//!
//! The host forwards each line under the module's name, up to a budget per call (64 KiB by
//! default); lines beyond it are dropped. Natively (in `cargo test`), lines go to stderr with
//! the level's name: `INFO: composed a bucket in eu-west-1`.
//!
//! Use the functions for plain text and the macros for formatting:
//!
//! ```no_run
//! xfn_sdk::log::info("composing");
//! xfn_sdk::log::warn!("{} resources are not ready", 3);
//! ```

use std::fmt;

/// How important a log line is. The numbers are the `level` argument of `xfn.log`; the names
/// (`Display`) are the upper-case ones the host's log and `cargo test`'s stderr show.
///
/// # Examples
/// ```
/// use xfn_sdk::log::Level;
///
/// assert!(Level::Error < Level::Debug);
/// assert_eq!(Level::Info.to_string(), "INFO");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Something failed (0).
    Error,
    /// Something looks wrong (1).
    Warn,
    /// Normal operation (2).
    Info,
    /// Detail for debugging (3).
    Debug,
    /// Even more detail (4).
    Trace,
}

impl Level {
    /// The `level` number `xfn.log` takes: 0 error, 1 warn, 2 info, 3 debug, 4 trace.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(xfn_sdk::log::Level::Debug.number(), 3);
    /// ```
    pub const fn number(self) -> i32 {
        match self {
            Level::Error => 0,
            Level::Warn => 1,
            Level::Info => 2,
            Level::Debug => 3,
            Level::Trace => 4,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        })
    }
}

/// Logs `message` at `level`.
///
/// # Examples
/// ```no_run
/// use xfn_sdk::log::{Level, log};
///
/// log(Level::Debug, "reading the XR");
/// ```
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::abi::log(level.number(), message.as_bytes());
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{level}: {message}");
}

/// Logs `message` at error level. [`error!`](crate::log::error!) formats.
///
/// # Examples
/// ```no_run
/// xfn_sdk::log::error("reading the XR");
/// ```
pub fn error(message: &str) {
    log(Level::Error, message);
}

/// Logs `message` at warn level. [`warn!`](crate::log::warn!) formats.
///
/// # Examples
/// ```no_run
/// xfn_sdk::log::warn("reading the XR");
/// ```
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// Logs `message` at info level. [`info!`](crate::log::info!) formats.
///
/// # Examples
/// ```no_run
/// xfn_sdk::log::info("reading the XR");
/// ```
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Logs `message` at debug level. [`debug!`](crate::log::debug!) formats.
///
/// # Examples
/// ```no_run
/// xfn_sdk::log::debug("reading the XR");
/// ```
pub fn debug(message: &str) {
    log(Level::Debug, message);
}

/// Logs `message` at trace level. [`trace!`](crate::log::trace!) formats.
///
/// # Examples
/// ```no_run
/// xfn_sdk::log::trace("reading the XR");
/// ```
pub fn trace(message: &str) {
    log(Level::Trace, message);
}

/// Formats and logs at error level: `xfn_sdk::log::error!("{name} failed")`.
#[doc(hidden)]
#[macro_export]
macro_rules! __log_error {
    ($($arg:tt)+) => { $crate::log::log($crate::log::Level::Error, &::std::format!($($arg)+)) };
}

/// Formats and logs at warn level: `xfn_sdk::log::warn!("{count} not ready")`.
#[doc(hidden)]
#[macro_export]
macro_rules! __log_warn {
    ($($arg:tt)+) => { $crate::log::log($crate::log::Level::Warn, &::std::format!($($arg)+)) };
}

/// Formats and logs at info level: `xfn_sdk::log::info!("composed {name}")`.
#[doc(hidden)]
#[macro_export]
macro_rules! __log_info {
    ($($arg:tt)+) => { $crate::log::log($crate::log::Level::Info, &::std::format!($($arg)+)) };
}

/// Formats and logs at debug level: `xfn_sdk::log::debug!("input {input:?}")`.
#[doc(hidden)]
#[macro_export]
macro_rules! __log_debug {
    ($($arg:tt)+) => { $crate::log::log($crate::log::Level::Debug, &::std::format!($($arg)+)) };
}

/// Formats and logs at trace level: `xfn_sdk::log::trace!("step {i}")`.
#[doc(hidden)]
#[macro_export]
macro_rules! __log_trace {
    ($($arg:tt)+) => { $crate::log::log($crate::log::Level::Trace, &::std::format!($($arg)+)) };
}

#[doc(inline)]
pub use crate::__log_debug as debug;
#[doc(inline)]
pub use crate::__log_error as error;
#[doc(inline)]
pub use crate::__log_info as info;
#[doc(inline)]
pub use crate::__log_trace as trace;
#[doc(inline)]
pub use crate::__log_warn as warn;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_numbers_match_the_abi() {
        let levels = [
            Level::Error,
            Level::Warn,
            Level::Info,
            Level::Debug,
            Level::Trace,
        ];
        let numbers: Vec<i32> = levels.iter().map(|l| l.number()).collect();
        assert_eq!(numbers, [0, 1, 2, 3, 4]);
        assert_eq!(Level::Warn.to_string(), "WARN");
    }

    #[test]
    fn functions_and_macros_both_work_natively() {
        info("plain");
        info!("formatted {}", 1);
        crate::log::warn!("path {}", "form");
    }
}
