//! The metrics and probe endpoint, plain HTTP/1.1: `/metrics` for Prometheus, `/healthz` and
//! `/readyz` for Kubernetes probes.
//!
//! It must stay up when clients misbehave: connections are capped ([`MAX_CONNECTIONS`], further
//! ones wait in the kernel's backlog), a client must send its request head within
//! [`HEADER_READ_TIMEOUT`], and no connection lives longer than [`CONNECTION_LIFETIME`], so idle
//! connections free their slots.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::metrics::CONTENT_TYPE;
use crate::step::StepRunner;

/// Connections served at once; more wait to be accepted. Scrapers and kubelets open a few.
pub const MAX_CONNECTIONS: usize = 1024;
/// How long a client may take to send a request head before its connection is closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest a connection stays open; a scraper reconnects for its next scrape.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);
/// How long to wait before accepting again after `accept` failed (e.g. out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What the handlers read.
#[derive(Clone)]
struct Endpoint {
    runner: Arc<StepRunner>,
    ready: watch::Receiver<bool>,
}

/// Serves `/metrics` (`runner`'s metrics), `/healthz` (200 while the process runs) and `/readyz`
/// (200 while `ready` holds `true`, 503 otherwise, e.g. while draining) on `listener` until
/// `shutdown` completes.
pub async fn serve_metrics(
    listener: TcpListener,
    runner: Arc<StepRunner>,
    ready: watch::Receiver<bool>,
    shutdown: impl Future<Output = ()>,
) {
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(Endpoint { runner, ready });
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => return,
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        let stream = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!("cannot accept a metrics connection: {error}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Ok(Err(error)) = tokio::time::timeout(CONNECTION_LIFETIME, connection).await {
                tracing::debug!("metrics connection failed: {error}");
            }
        });
    }
}

async fn metrics(State(endpoint): State<Endpoint>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        endpoint.runner.metrics().render(),
    )
}

async fn readyz(State(endpoint): State<Endpoint>) -> impl IntoResponse {
    if *endpoint.ready.borrow() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready: draining\n")
    }
}
