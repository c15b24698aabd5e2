//! The WASI command ABI: request on stdin, response on stdout, exit status.

use wasmtime::{Instance, Store};
use wasmtime_wasi::I32Exit;

use super::abi::START_EXPORT;
use super::guest::GuestState;
use super::stdio::CappedPipe;
use super::{CallFailure, Failure};

/// How much of a failed command's stderr goes into its error message, in bytes.
const STDERR_TAIL_BYTES: usize = 2048;

/// Runs `_start` on a fresh `instance` whose stdin already holds the request.
///
/// Exit status 0 (or returning from `_start`) means stdout holds the response; any other status
/// fails the call with the tail of stderr.
pub(super) fn call(
    store: &mut Store<GuestState>,
    instance: &Instance,
    stdout: &CappedPipe,
    stderr: &CappedPipe,
) -> Result<Vec<u8>, CallFailure> {
    let start = instance.get_typed_func::<(), ()>(&mut *store, START_EXPORT)?;
    let code = match start.call(&mut *store, ()) {
        Ok(()) => 0,
        Err(error) => match error.downcast_ref::<I32Exit>() {
            Some(exit) => exit.0,
            None => return Err(CallFailure::Wasm(error)),
        },
    };
    if code != 0 {
        return Err(Failure::Exit {
            code,
            stderr_tail: tail(&stderr.contents(), STDERR_TAIL_BYTES),
        }
        .into());
    }
    let output = stdout.contents();
    if output.is_empty() {
        return Err(Failure::NoOutput.into());
    }
    Ok(output.to_vec())
}

/// The last `max` bytes of `bytes` as text, starting at a line boundary when there is one.
fn tail(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end();
    if text.len() <= max {
        return text.to_owned();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let cut = &text[start..];
    cut.split_once('\n')
        .map_or(cut, |(_, rest)| rest)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::tail;

    #[test]
    fn tail_keeps_whole_lines_from_the_end() {
        assert_eq!(tail(b"one\ntwo\nthree\n", 100), "one\ntwo\nthree");
        assert_eq!(tail(b"one\ntwo\nthree\n", 9), "three");
        assert_eq!(tail(b"", 10), "");
    }
}
