//! `serve` from start to exit: the wasmtime host, the module registry and the step runner built
//! from a [`Config`], the gRPC and metrics listeners bound, modules compiled in the background,
//! and a drain with a deadline on SIGTERM or SIGINT.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use super::{ListenConfig, serve, serve_metrics};
use crate::host::{Host, HostConfig, Limits};
use crate::modules::oci::{PullConfig, RegistryAccess};
use crate::modules::{CompileCache, ModuleRegistry};
use crate::step::StepRunner;

/// Everything `serve` runs with, as its flags give it.
#[derive(Debug)]
pub struct Config {
    /// Where RunFunction is served.
    pub address: SocketAddr,
    /// Where `/metrics` and the readiness probe are served, plain HTTP.
    pub metrics_address: SocketAddr,
    /// TLS (`Some` certificates directory) or plaintext, and the largest request.
    pub server: ListenConfig,
    /// The largest limits a step may ask for.
    pub maxima: Limits,
    /// Module calls that run at once.
    pub max_concurrency: usize,
    /// Bytes the requests in progress may hold before new calls get RESOURCE_EXHAUSTED.
    pub max_request_memory: usize,
    /// Extra modules by name, and their precompiled code in its `.precompiled/`.
    pub modules_dir: Option<PathBuf>,
    /// Compiled code (and pulled OCI artifacts, under `oci/`) kept across restarts.
    pub cache_dir: Option<PathBuf>,
    /// Whether steps may carry their module inline.
    pub allow_inline_modules: bool,
    /// Registry credentials and CA for `source.oci` modules.
    pub registry: RegistryAccess,
    /// Whether a tag without a digest pin may run.
    pub allow_unpinned_modules: bool,
    /// How long a tag's resolution is used.
    pub module_refresh: Duration,
    /// The largest module layer pulled.
    pub max_module_size: u64,
    /// How long a drain may wait for open connections before the process exits anyway.
    pub drain_timeout: Duration,
}

/// Serves until SIGTERM or SIGINT, then drains (within `drain_timeout`) and returns.
///
/// # Errors
/// An unusable cache directory, a host that cannot start, a port in use, unusable certificates
/// or a failing server; each says which and how to fix it.
pub fn run(config: Config) -> anyhow::Result<()> {
    use anyhow::Context;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let served = runtime.block_on(serve_until_drained(config));
    // Tasks still holding connections or compiling modules must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_secs(1));
    served
}

/// The step runner the flags describe: host, registry (modules dir, caches, OCI pulls), runner.
fn runner(config: &Config) -> anyhow::Result<(Arc<ModuleRegistry>, Arc<StepRunner>)> {
    let cache = config
        .cache_dir
        .as_deref()
        .map(CompileCache::open)
        .transpose()?;
    let precompiled = config
        .modules_dir
        .as_deref()
        .map(CompileCache::open_precompiled)
        .transpose()?
        .flatten();
    let pulls = PullConfig {
        access: config.registry.clone(),
        is_unpinned_allowed: config.allow_unpinned_modules,
        refresh: config.module_refresh,
        max_module_bytes: config.max_module_size,
        store: cache.as_ref().map(CompileCache::pulled_dir),
    };
    let host = Arc::new(Host::new(HostConfig {
        maxima: config.maxima,
        max_concurrency: config.max_concurrency,
    })?);
    let registry = Arc::new(
        ModuleRegistry::new(host, config.modules_dir.clone(), cache)
            .with_inline_modules(config.allow_inline_modules)
            .with_precompiled(precompiled)
            .with_pulls(pulls)?,
    );
    let runner = Arc::new(StepRunner::with_request_memory(
        registry.clone(),
        config.max_request_memory,
    ));
    Ok((registry, runner))
}

async fn serve_until_drained(config: Config) -> anyhow::Result<()> {
    use anyhow::Context;
    let (registry, runner) = runner(&config)?;
    let address = config.address;
    let listener = TcpListener::bind(address).await.with_context(|| {
        format!("cannot listen on {address}; is another server using the port? Choose another with --address")
    })?;
    tracing::info!(%address, tls = config.server.tls_certs_dir.is_some(),
        max_concurrency = config.max_concurrency, allow_inline_modules = config.allow_inline_modules,
        "serving RunFunction");
    let metrics_address = config.metrics_address;
    let metrics_listener = TcpListener::bind(metrics_address).await.with_context(|| {
        format!(
            "cannot listen on {metrics_address} for metrics; choose another with --metrics-address"
        )
    })?;
    // Off the serving path: calls are answered while modules compile, each on its own thread; a
    // call that needs one still compiling waits for it.
    tokio::spawn(async move { registry.warm(registry.startup_modules()).await });
    let (stopping, stopped) = tokio::sync::watch::channel(false);
    let (ready, readiness) = tokio::sync::watch::channel(true);
    let (metrics_done, metrics_stop) = tokio::sync::oneshot::channel::<()>();
    let metrics = tokio::spawn(serve_metrics(
        metrics_listener,
        runner.clone(),
        readiness,
        async move {
            let _ = metrics_stop.await;
        },
    ));
    let shutdown = async move {
        shutdown_signal().await;
        // Not ready from now on, so Kubernetes stops sending calls while the drain runs.
        let _ = ready.send(false);
        let _ = stopping.send(true);
    };
    let serving = serve(listener, runner, config.server, shutdown);
    // Draining waits for clients to close their connections; one that never does must not keep
    // the pod from terminating, so the drain gets a deadline.
    let drain_timeout = config.drain_timeout;
    let mut drain_started = stopped;
    let drain_deadline = async move {
        let _ = drain_started.changed().await;
        tokio::time::sleep(drain_timeout).await;
    };
    tokio::select! {
        served = serving => {
            served?;
            tracing::info!("drained; exiting");
        }
        () = drain_deadline => {
            tracing::warn!("drain did not finish within {}; exiting with connections still open",
                crate::units::format_duration(drain_timeout));
        }
    }
    let _ = metrics_done.send(());
    let _ = metrics.await;
    Ok(())
}

/// Completes on SIGTERM (Kubernetes stopping the pod) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!("cannot watch for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: draining in-flight calls");
}
