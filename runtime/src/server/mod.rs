//! The gRPC edge: Crossplane's `FunctionRunnerService` (v1 and v1beta1), gRPC health and reflection,
//! optional mTLS, graceful drain. Bytes in, bytes out: the step does the rest.

mod codec;
mod connections;
mod metrics;
mod run;
mod service;
pub mod tls;

pub use codec::BytesCodec;
pub use connections::{FIRST_BYTES_TIMEOUT, MAX_CONNECTIONS};
pub use metrics::serve_metrics;
pub use run::{Config, run};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic_health::ServingStatus;

use crate::step::StepRunner;
use service::{FunctionRunner, ProtocolVersion, V1, V1Beta1};

/// The address Crossplane dials: every interface, port 9443.
pub const DEFAULT_ADDRESS: &str = "0.0.0.0:9443";
/// Where Prometheus scrapes `/metrics`: every interface, port 8080, as Crossplane's Deployment expects.
pub const DEFAULT_METRICS_ADDRESS: &str = "0.0.0.0:8080";
/// Default largest request, in bytes: 16 MiB. What Crossplane sends is bounded by what it got:
/// the desired state is the previous step's response, which Crossplane's own 4 MiB receive limit
/// caps, and the observed state mirrors it with status added; 16 MiB leaves room for both and
/// for required resources. grpc-go's 4 MiB default, which Go functions keep, is too small.
pub const DEFAULT_MAX_RECV_BYTES: usize = 16 * 1024 * 1024;

/// How the gRPC server listens: TLS or plaintext, and the largest request.
#[derive(Clone, Debug)]
pub struct ListenConfig {
    /// `Some(dir)` serves mTLS with `tls.crt`, `tls.key` and `ca.crt` from `dir`; `None` serves plaintext.
    pub tls_certs_dir: Option<PathBuf>,
    /// Largest request accepted, in bytes; larger ones get RESOURCE_EXHAUSTED.
    pub max_recv_bytes: usize,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file of the certificates directory cannot be read.
    #[error("cannot read {}; the TLS certificates directory must hold tls.crt, tls.key and ca.crt (or use --insecure)", path.display())]
    TlsFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The certificates do not form a usable TLS configuration.
    #[error("cannot use the TLS certificates")]
    Tls(#[source] tonic::transport::Error),
    /// The reflection service cannot read the protocol descriptors (a build problem).
    #[error("cannot build the gRPC reflection service")]
    Reflection(#[source] tonic_reflection::server::Error),
    /// The server failed while serving.
    #[error("the gRPC server failed")]
    Transport(#[source] tonic::transport::Error),
}

/// Streams one connection may run at once; Crossplane sends one call per XR at a time.
pub const MAX_STREAMS_PER_CONNECTION: u32 = 256;
/// How often an HTTP/2 ping checks that a quiet client is still there.
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(60);
/// How long a ping may go unanswered before the connection is closed.
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Serves `runner` on `listener` until `shutdown` completes, then drains in-flight calls and returns.
///
/// The listener is bound by the caller (tests bind `127.0.0.1:0`), so connections made before this
/// future is polled wait in the kernel's queue.
///
/// # Errors
/// [`Error`] when TLS or reflection cannot be set up, or serving fails.
pub async fn serve(
    listener: TcpListener,
    runner: Arc<StepRunner>,
    config: ListenConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Error> {
    let mut builder = Server::builder()
        .max_concurrent_streams(Some(MAX_STREAMS_PER_CONNECTION))
        .http2_keepalive_interval(Some(KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT));
    if let Some(dir) = &config.tls_certs_dir {
        builder = builder.tls_config(tls::load(dir)?).map_err(Error::Tls)?;
    }
    let (health, health_service) = tonic_health::server::health_reporter();
    for service in [V1::SERVICE, V1Beta1::SERVICE] {
        health
            .set_service_status(service, ServingStatus::Serving)
            .await;
    }
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(xfn_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(Error::Reflection)?;
    let max = config.max_recv_bytes;
    builder
        .add_service(health_service)
        .add_service(reflection)
        .add_service(FunctionRunner::<V1>::new(runner.clone(), max))
        .add_service(FunctionRunner::<V1Beta1>::new(runner, max))
        .serve_with_incoming_shutdown(connections::incoming(listener), shutdown)
        .await
        .map_err(Error::Transport)
}
