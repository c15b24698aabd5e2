//! The `/metrics` endpoint: a minimal HTTP/1.1 responder for Prometheus scrapes.
//!
//! One GET per connection, then close; anything else gets 404 or 400. Small on purpose: it
//! serves one text document and needs no HTTP framework.

use std::future::Future;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::step::StepRunner;

/// Largest request head read, in bytes; scrapers send a few hundred.
const MAX_REQUEST_HEAD_BYTES: usize = 8 * 1024;

/// Serves `runner`'s metrics at `/metrics` on `listener` until `shutdown` completes.
pub async fn serve_metrics(
    listener: TcpListener,
    runner: Arc<StepRunner>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let runner = runner.clone();
                    tokio::spawn(async move {
                        if let Err(error) = answer(stream, &runner).await {
                            tracing::debug!("metrics request failed: {error}");
                        }
                    });
                }
                Err(error) => tracing::warn!("cannot accept a metrics connection: {error}"),
            },
        }
    }
}

async fn answer(mut stream: TcpStream, runner: &StepRunner) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST_HEAD_BYTES {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..read]);
    }
    let request_line = head.split(|b| *b == b'\r').next().unwrap_or_default();
    let mut parts = request_line.split(|b| *b == b' ');
    let (status, content_type, body) = match (parts.next(), parts.next()) {
        (Some(b"GET"), Some(b"/metrics")) => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            runner.metrics().render(),
        ),
        (Some(_), Some(_)) => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "only /metrics is served here\n".to_owned(),
        ),
        _ => (
            "400 Bad Request",
            "text/plain; charset=utf-8",
            "not an HTTP request\n".to_owned(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
