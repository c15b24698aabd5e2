//! Guest stdout and stderr: in-memory buffers with a byte cap.
//!
//! wasmtime-wasi's `MemoryOutputPipe` traps a write past its capacity, which would turn a chatty
//! stderr into a crash. [`CappedPipe`] either drops the excess (stderr: logs are best effort) or
//! traps with [`OutputTooLarge`] (a command's stdout: the response must be whole).

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

use super::guest::OutputTooLarge;

/// What a [`CappedPipe`] does with bytes past its cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Overflow {
    /// Keep the first `cap` bytes and drop the rest silently.
    Drop,
    /// Fail the write with a trap carrying [`OutputTooLarge`].
    Trap,
}

/// A shared in-memory buffer that a guest writes to; clones see the same bytes.
#[derive(Clone)]
pub(crate) struct CappedPipe {
    buffer: Arc<Mutex<Vec<u8>>>,
    cap: usize,
    overflow: Overflow,
}

impl CappedPipe {
    pub(crate) fn new(cap: usize, overflow: Overflow) -> CappedPipe {
        CappedPipe {
            buffer: Arc::default(),
            cap,
            overflow,
        }
    }

    /// Everything written so far, up to the cap.
    pub(crate) fn contents(&self) -> Vec<u8> {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.buffer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends what fits; returns the length the guest tried to reach when it did not all fit.
    fn append(&self, bytes: &[u8]) -> Result<(), usize> {
        let mut buffer = self.lock();
        let room = self.cap.saturating_sub(buffer.len());
        if bytes.len() <= room {
            buffer.extend_from_slice(bytes);
            return Ok(());
        }
        let wanted = buffer.len().saturating_add(bytes.len());
        if self.overflow == Overflow::Drop {
            buffer.extend_from_slice(&bytes[..room]);
        }
        Err(wanted)
    }
}

impl IsTerminal for CappedPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CappedPipe {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }

    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for CappedPipe {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        match (self.append(&bytes), self.overflow) {
            (Ok(()), _) | (Err(_), Overflow::Drop) => Ok(()),
            (Err(len), Overflow::Trap) => {
                Err(StreamError::Trap(wasmtime::Error::new(OutputTooLarge {
                    len,
                    max: self.cap,
                })))
            }
        }
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        // Always accept a write: it is `write` that drops or traps, so the guest sees why.
        Ok(64 * 1024)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CappedPipe {
    async fn ready(&mut self) {}
}

impl AsyncWrite for CappedPipe {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = match (self.append(bytes), self.overflow) {
            (Ok(()), _) | (Err(_), Overflow::Drop) => Ok(bytes.len()),
            (Err(len), Overflow::Trap) => {
                Err(io::Error::other(OutputTooLarge { len, max: self.cap }))
            }
        };
        Poll::Ready(written)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_mode_keeps_the_first_bytes_and_accepts_the_rest() {
        let mut pipe = CappedPipe::new(5, Overflow::Drop);
        assert!(pipe.write(Bytes::from_static(b"abc")).is_ok());
        assert!(pipe.write(Bytes::from_static(b"defgh")).is_ok());
        assert_eq!(pipe.contents(), b"abcde");
    }

    #[test]
    fn trap_mode_refuses_the_write_that_overflows() {
        let mut pipe = CappedPipe::new(5, Overflow::Trap);
        assert!(pipe.write(Bytes::from_static(b"abc")).is_ok());
        let Err(StreamError::Trap(error)) = pipe.write(Bytes::from_static(b"def")) else {
            panic!("an overflowing write must trap");
        };
        assert_eq!(
            error.to_string(),
            "output of 6 bytes is over the 5-byte limit"
        );
        assert_eq!(pipe.contents(), b"abc");
    }
}
