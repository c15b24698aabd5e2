//! The command line: `serve` (the container's entrypoint) and `crd`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;

use crate::host::{Host, HostConfig, Limits};
use crate::modules::{CompileCache, ModuleRegistry};
use crate::server::{self, ServerConfig};
use crate::step::StepRunner;
use crate::units::{parse_duration, parse_quantity};

/// A Crossplane composition function that runs its logic in sandboxed WebAssembly modules.
#[derive(Debug, Parser)]
#[command(name = "function-wasmtime", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve Crossplane's RunFunction over gRPC (the container entrypoint).
    Serve(ServeCommand),
    /// Print the CustomResourceDefinition of the step Input (wasmtime.fn.crossplane.io/v1alpha1 Module).
    Crd,
}

impl Cli {
    /// Runs the chosen command.
    ///
    /// # Errors
    /// Any failure, with its chain of causes, for `main` to print.
    pub fn execute(self) -> anyhow::Result<()> {
        match self.command {
            Command::Serve(serve) => serve.execute(),
            Command::Crd => {
                print!("{}", crate::input::crd_yaml());
                Ok(())
            }
        }
    }
}

/// Flags of `serve`; each can also come from the environment variable shown in `--help`.
#[derive(Debug, Args)]
pub struct ServeCommand {
    /// Address to listen on.
    #[arg(long, env = "FUNCTION_WASMTIME_ADDRESS", default_value = server::DEFAULT_ADDRESS)]
    address: SocketAddr,
    /// Serve without TLS. Wins over --tls-certs-dir, as Crossplane's function spec requires.
    #[arg(long, env = "FUNCTION_WASMTIME_INSECURE")]
    insecure: bool,
    /// Directory with tls.crt, tls.key and ca.crt: serve mTLS, requiring client certificates signed by ca.crt.
    #[arg(long, env = "TLS_SERVER_CERTS_DIR")]
    tls_certs_dir: Option<PathBuf>,
    /// Human-readable debug logs instead of JSON info logs.
    #[arg(short, long, env = "FUNCTION_WASMTIME_DEBUG")]
    debug: bool,
    /// Directory of extra modules: a step's `module: NAME` loads NAME.wasm from here when no bundled module has that name.
    #[arg(long, env = "FUNCTION_WASMTIME_MODULES_DIR")]
    modules_dir: Option<PathBuf>,
    /// Directory for compiled modules (.cwasm), so restarts skip compilation. Only this server writes it.
    #[arg(long, env = "FUNCTION_WASMTIME_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Largest request accepted, in MB.
    #[arg(
        long,
        env = "FUNCTION_WASMTIME_MAX_RECV_MESSAGE_SIZE",
        default_value_t = 64
    )]
    max_recv_message_size: usize,
    /// Largest `limits.timeout` a step may ask for.
    #[arg(long, env = "FUNCTION_WASMTIME_MAX_TIMEOUT", default_value = "30s", value_parser = duration)]
    max_timeout: Duration,
    /// Largest `limits.memory` a step may ask for.
    #[arg(long, env = "FUNCTION_WASMTIME_MAX_MEMORY", default_value = "512Mi", value_parser = quantity)]
    max_memory: u64,
    /// Module calls that run at once; more wait in a queue. Defaults to the number of CPUs.
    #[arg(long, env = "FUNCTION_WASMTIME_MAX_CONCURRENCY")]
    max_concurrency: Option<usize>,
}

fn duration(text: &str) -> Result<Duration, String> {
    parse_duration(text)
        .ok_or_else(|| format!("{text:?} is not a duration; write it like 30s or 2m"))
}

fn quantity(text: &str) -> Result<u64, String> {
    parse_quantity(text).ok_or_else(|| format!("{text:?} is not a quantity; write it like 512Mi"))
}

impl ServeCommand {
    /// Starts the server and blocks until SIGTERM or SIGINT has drained it.
    ///
    /// # Errors
    /// Bad flags, a port in use, unreadable certificates.
    pub fn execute(self) -> anyhow::Result<()> {
        init_logging(self.debug);
        let tls_certs_dir = match (self.insecure, self.tls_certs_dir) {
            (true, _) => None,
            (false, Some(dir)) => Some(dir),
            (false, None) => bail!(
                "no transport security configured; supply --tls-certs-dir (or TLS_SERVER_CERTS_DIR) or use --insecure"
            ),
        };
        let max_concurrency = self
            .max_concurrency
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
        let maxima = Limits {
            timeout: self.max_timeout,
            memory_bytes: self.max_memory,
            ..Limits::DEFAULT_MAXIMA
        };
        let server_config = ServerConfig {
            tls_certs_dir,
            max_recv_bytes: self.max_recv_message_size.saturating_mul(1024 * 1024),
        };
        let cache = self
            .cache_dir
            .map(|dir| {
                CompileCache::open(&dir)
                    .with_context(|| format!("cannot use --cache-dir {}", dir.display()))
            })
            .transpose()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        runtime.block_on(async move {
            let host = Arc::new(Host::new(HostConfig { maxima, max_concurrency })?);
            let registry = Arc::new(ModuleRegistry::new(host, self.modules_dir, cache));
            let runner = Arc::new(StepRunner::new(registry.clone()));
            let listener = TcpListener::bind(self.address)
                .await
                .with_context(|| format!("cannot listen on {}; is another server using the port? Choose another with --address", self.address))?;
            tracing::info!(address = %self.address, tls = server_config.tls_certs_dir.is_some(), max_concurrency, "serving RunFunction");
            tokio::spawn(async move {
                if let Err(error) = registry.warm_bundled().await {
                    tracing::error!("cannot prepare a bundled module: {error}");
                }
            });
            server::serve(listener, runner, server_config, shutdown_signal()).await?;
            tracing::info!("drained; exiting");
            anyhow::Ok(())
        })
    }
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

fn init_logging(debug: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(if debug {
            "debug,h2=info,hyper=info,tower=info,cranelift=info,wasmtime=info"
        } else {
            "info"
        })
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if debug {
        builder.init();
    } else {
        builder.json().flatten_event(true).init();
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
