//! The command line: `serve` (the container's entrypoint), `render`, `crd`, `package` and `module`.

mod module;
mod registry;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::host::Limits;
use crate::input::{GoDuration, Quantity};
use crate::server::{self, ListenConfig};
pub use module::ModuleCommand;
pub use registry::RegistryArgs;

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
    /// Run a Composition's pipeline offline and print what Crossplane would create, like
    /// `crossplane render` (no Docker, no cluster).
    Render(RenderCommand),
    /// Print the CustomResourceDefinition of the step Input (wasmtime.fn.crossplane.io/v1alpha1 Module).
    Crd,
    /// Build this function's Crossplane package (.xpkg) without Docker.
    #[command(subcommand)]
    Package(PackageCommand),
    /// Write, publish, inspect, check and compile modules.
    #[command(subcommand)]
    Module(ModuleCommand),
}

impl Cli {
    /// Runs the chosen command.
    ///
    /// # Errors
    /// Any failure, with its chain of causes, for `main` to print.
    pub fn execute(self) -> anyhow::Result<()> {
        match self.command {
            Command::Serve(serve) => serve.execute(),
            Command::Render(render) => render.execute(),
            Command::Crd => {
                print!("{}", crate::input::crd_yaml());
                Ok(())
            }
            Command::Package(PackageCommand::Build(build)) => build.execute(),
            Command::Module(module) => module.execute(),
        }
    }
}

/// Flags of `serve`; each can also come from the environment variable shown in `--help`.
#[derive(Debug, Args)]
pub struct ServeCommand {
    /// Address to listen on.
    #[arg(long, env = "FUNCTION_WASMTIME_ADDRESS", default_value = server::DEFAULT_ADDRESS)]
    address: SocketAddr,
    /// Address of the Prometheus endpoint (`/metrics`, plain HTTP).
    #[arg(long, env = "FUNCTION_WASMTIME_METRICS_ADDRESS", default_value = server::DEFAULT_METRICS_ADDRESS)]
    metrics_address: SocketAddr,
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
    /// Directory for compiled modules (.cwasm), so restarts skip compilation. It must belong to the
    /// server's user and be writable by no one else; a missing one is created 0700.
    #[arg(long, env = "FUNCTION_WASMTIME_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Run modules that steps carry inline (input.source.inline). With false, only bundled and
    /// --modules-dir modules run, and a step with an inline module fails.
    #[arg(
        long,
        env = "FUNCTION_WASMTIME_ALLOW_INLINE_MODULES",
        default_value_t = true,
        num_args = 0..=1,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new(),
    )]
    allow_inline_modules: bool,
    /// Largest request accepted, in MB (2^20 bytes).
    #[arg(
        long,
        env = "FUNCTION_WASMTIME_MAX_RECV_MESSAGE_SIZE",
        default_value_t = server::DEFAULT_MAX_RECV_BYTES >> 20
    )]
    max_recv_message_size: usize,
    /// Memory the requests in progress may hold, in MB; past it, new calls get RESOURCE_EXHAUSTED
    /// (Crossplane retries them) instead of waiting in memory.
    #[arg(
        long,
        env = "FUNCTION_WASMTIME_MAX_REQUEST_MEMORY",
        default_value_t = crate::step::DEFAULT_MAX_REQUEST_MEMORY >> 20
    )]
    max_request_memory: usize,
    /// Largest `limits.timeout` a step may ask for.
    #[arg(long, env = "FUNCTION_WASMTIME_MAX_TIMEOUT", default_value = "30s", value_parser = duration)]
    max_timeout: Duration,
    /// Largest `limits.memory` a step may ask for.
    #[arg(long, env = "FUNCTION_WASMTIME_MAX_MEMORY", default_value = "512Mi", value_parser = quantity)]
    max_memory: u64,
    /// How long SIGTERM/SIGINT waits for in-flight calls and open connections before exiting anyway.
    #[arg(long, env = "FUNCTION_WASMTIME_DRAIN_TIMEOUT", default_value = "20s", value_parser = duration)]
    drain_timeout: Duration,
    /// Module calls that run at once; more wait in a queue. Defaults to the number of CPUs.
    #[arg(long, env = "FUNCTION_WASMTIME_MAX_CONCURRENCY")]
    max_concurrency: Option<usize>,
    /// Run modules a step names by an OCI tag without a digest or an input.sha256 pin; the tag is
    /// resolved at most every --module-refresh.
    #[arg(long, env = "FUNCTION_WASMTIME_ALLOW_UNPINNED_MODULES")]
    allow_unpinned_modules: bool,
    /// How long a tag's resolution is used before the registry is asked again.
    #[arg(long, env = "FUNCTION_WASMTIME_MODULE_REFRESH", default_value = "5m", value_parser = duration)]
    module_refresh: Duration,
    /// The largest module layer pulled from a registry.
    #[arg(
        long,
        env = "FUNCTION_WASMTIME_MAX_MODULE_SIZE",
        default_value = "64Mi",
        value_parser = quantity
    )]
    max_module_size: u64,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// A flag's duration, read as the Input's durations are ([`GoDuration`]).
fn duration(text: &str) -> Result<Duration, String> {
    text.parse::<GoDuration>().map(|duration| duration.0)
}

/// A flag's number of bytes, read as the Input's quantities are ([`Quantity`]).
fn quantity(text: &str) -> Result<u64, String> {
    text.parse::<Quantity>().map(|bytes| bytes.0)
}

impl ServeCommand {
    /// Hands the validated flags to [`server::run`], which blocks until SIGTERM or SIGINT has
    /// drained the server.
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
        server::run(server::Config {
            address: self.address,
            metrics_address: self.metrics_address,
            server: ListenConfig {
                tls_certs_dir,
                max_recv_bytes: self.max_recv_message_size.saturating_mul(1024 * 1024),
            },
            maxima: Limits {
                timeout: self.max_timeout,
                memory_bytes: self.max_memory,
                ..Limits::DEFAULT_MAXIMA
            },
            max_concurrency,
            max_request_memory: self.max_request_memory.saturating_mul(1024 * 1024),
            modules_dir: self.modules_dir,
            cache_dir: self.cache_dir,
            allow_inline_modules: self.allow_inline_modules,
            registry: self.registry.access()?,
            allow_unpinned_modules: self.allow_unpinned_modules,
            module_refresh: self.module_refresh,
            max_module_size: self.max_module_size,
            drain_timeout: self.drain_timeout,
        })
    }
}

/// Subcommands of `package`.
#[derive(Debug, Subcommand)]
pub enum PackageCommand {
    /// Write an .xpkg: the static runtime, --module files and package.yaml on an empty base, in
    /// the format `crossplane xpkg push -f FILE REF` reads.
    Build(PackageBuildCommand),
}

/// Flags of `package build`.
#[derive(Debug, Args)]
pub struct PackageBuildCommand {
    /// The statically linked runtime: `cargo build --release --target x86_64-unknown-linux-musl -p function-wasmtime`.
    #[arg(long, default_value = crate::package::DEFAULT_BINARY)]
    binary: PathBuf,
    /// The directory with crossplane.yaml and the Input CRDs.
    #[arg(long, default_value = "package")]
    package_root: PathBuf,
    /// A module to add as /modules/NAME.wasm, so a step can say `module: NAME`: a .wasm file, or
    /// an OCI reference pulled now. Every module is precompiled into the package. Repeatable.
    #[arg(long = "module", value_name = "NAME=FILE|REF", value_parser = user_module)]
    modules: Vec<crate::package::UserModule>,
    /// The file to write. Default: NAME-<12 hex of the image digest>.xpkg in the current directory.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The mtime of every file in the package, in seconds since 1970.
    #[arg(long, env = "SOURCE_DATE_EPOCH", default_value_t = 0)]
    source_date_epoch: u64,
    #[command(flatten)]
    registry: RegistryArgs,
}

fn user_module(text: &str) -> Result<crate::package::UserModule, String> {
    use crate::modules::oci::OciRef;
    use crate::package::ModuleSource;
    match text.split_once('=') {
        Some((name, from)) if !name.is_empty() && !from.is_empty() => {
            let source = if !std::path::Path::new(from).exists() && OciRef::is_reference_like(from)
            {
                ModuleSource::Oci(from.parse()?)
            } else {
                ModuleSource::File(PathBuf::from(from))
            };
            Ok(crate::package::UserModule {
                name: name.to_owned(),
                source,
            })
        }
        _ => Err(format!(
            "{text:?} is not NAME=FILE or NAME=REF; write it like --module greeter=greeter.wasm or --module greeter=ghcr.io/team/greeter@sha256:<digest>"
        )),
    }
}

impl PackageBuildCommand {
    /// Builds the package and writes it; progress on stderr, the file's path on stdout.
    ///
    /// # Errors
    /// See [`crate::package::build`]; also a file that cannot be written.
    pub fn execute(self) -> anyhow::Result<()> {
        let config = crate::package::BuildConfig {
            binary: self.binary,
            package_root: self.package_root,
            modules: self.modules,
            registry: self.registry.access()?,
            mtime: self.source_date_epoch,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let package = runtime.block_on(crate::package::build(&config, &mut |line| {
            eprintln!("{line}")
        }))?;
        let output = self
            .output
            .unwrap_or_else(|| PathBuf::from(package.file_name()));
        package.write(&output)?;
        eprintln!("wrote {} (image {})", output.display(), package.digest);
        println!("{}", output.display());
        Ok(())
    }
}

/// Arguments of `render`: `crossplane render`'s, plus `--expect`, `--modules-dir` and
/// `--cache-dir`.
#[derive(Debug, Args)]
pub struct RenderCommand {
    /// The composite resource (XR) to render: a YAML file.
    xr: PathBuf,
    /// The Composition to render it with (spec.mode: Pipeline): a YAML file.
    composition: PathBuf,
    /// The Functions the pipeline uses: a YAML file or a directory of YAML files.
    functions: PathBuf,
    /// Observed composed resources (with the crossplane.io/composition-resource-name annotation): a YAML file or directory.
    #[arg(short = 'o', long, value_name = "PATH")]
    observed_resources: Option<PathBuf>,
    /// Resources pipeline steps may require: a YAML file or directory. Repeatable.
    #[arg(
        short = 'e',
        long,
        value_name = "PATH",
        visible_alias = "extra-resources"
    )]
    required_resources: Vec<PathBuf>,
    /// OpenAPI v3 schemas pipeline steps may require: a directory of JSON files, each what `kubectl get --raw /openapi/v3/<group-version>` prints.
    #[arg(short = 's', long, value_name = "DIR")]
    required_schemas: Option<PathBuf>,
    /// The XRD of the XR: its schema's defaults are applied to the XR, and its scope decides whether the XR is a legacy one.
    #[arg(long, value_name = "PATH")]
    xrd: Option<PathBuf>,
    /// A context entry from a file of YAML or JSON. Repeatable.
    #[arg(long, value_name = "KEY=FILE", value_parser = key_value)]
    context_files: Vec<(String, String)>,
    /// A context entry of YAML or JSON; wins over --context-files. Repeatable.
    #[arg(long, value_name = "KEY=VALUE", value_parser = key_value)]
    context_values: Vec<(String, String)>,
    /// Secrets that steps' credentials name: a YAML file or directory.
    #[arg(long, value_name = "PATH")]
    function_credentials: Option<PathBuf>,
    /// An annotation set on every Function, replacing its own (e.g. render.crossplane.io/runtime=Development). Repeatable.
    #[arg(short = 'a', long, value_name = "KEY=VALUE", value_parser = key_value)]
    function_annotations: Vec<(String, String)>,
    /// Print every event recorded on the XR, the Functions' normal and warning results among them, as kind: Result documents.
    #[arg(short = 'r', long)]
    include_function_results: bool,
    /// Print the final context as a kind: Context document.
    #[arg(short = 'c', long)]
    include_context: bool,
    /// Print the rendered XR merged over the input XR (its spec and metadata included).
    #[arg(short = 'x', long)]
    include_full_xr: bool,
    /// How long the whole render may take.
    #[arg(long, default_value = "1m", value_parser = duration)]
    timeout: Duration,
    /// Compare the output with this golden file instead of printing it; on a difference print a
    /// diff and fail. With UPDATE_GOLDEN=1 the file is rewritten.
    #[arg(long, value_name = "FILE")]
    expect: Option<PathBuf>,
    /// Directory of extra modules, as for `serve`.
    #[arg(long, env = "FUNCTION_WASMTIME_MODULES_DIR")]
    modules_dir: Option<PathBuf>,
    /// Directory for compiled modules (.cwasm), so later renders skip compilation. Default:
    /// $XDG_CACHE_HOME/function-wasmtime, else ~/.cache/function-wasmtime.
    #[arg(long, env = "FUNCTION_WASMTIME_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Run `source.oci` modules named by a tag without a digest or an input.sha256 pin.
    #[arg(long, env = "FUNCTION_WASMTIME_ALLOW_UNPINNED_MODULES")]
    allow_unpinned_modules: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The least severe module log lines (and this host's messages) to print on stderr, each
    /// with its step: error, warn, info or debug. Libraries log warnings and errors only.
    #[arg(long, default_value = "warn", value_parser = ["error", "warn", "info", "debug"])]
    log_level: String,
}

fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

impl RenderCommand {
    /// Hands the validated flags to [`crate::render::run`].
    ///
    /// # Errors
    /// Any [`crate::render::Error`].
    pub fn execute(self) -> anyhow::Result<()> {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(format!(
                "warn,function_wasmtime={}",
                self.log_level
            )))
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .without_time()
            .with_target(false)
            .with_writer(std::io::stderr)
            .init();
        let config = crate::render::Config {
            observed_resources: self.observed_resources,
            required_resources: self.required_resources,
            required_schemas: self.required_schemas,
            xrd: self.xrd,
            function_credentials: self.function_credentials,
            function_annotations: self.function_annotations,
            context_files: self
                .context_files
                .into_iter()
                .map(|(key, path)| (key, PathBuf::from(path)))
                .collect(),
            context_values: self.context_values,
            include_function_results: self.include_function_results,
            include_context: self.include_context,
            include_full_xr: self.include_full_xr,
            timeout: self.timeout,
            expect: self.expect,
            modules_dir: self.modules_dir,
            cache_dir: self.cache_dir,
            registry: self.registry.access()?,
            is_unpinned_allowed: self.allow_unpinned_modules,
            ..crate::render::Config::new(self.xr, self.composition, self.functions)
        };
        Ok(crate::render::run(&config)?)
    }
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
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
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

    #[test]
    fn inline_modules_are_allowed_unless_turned_off() {
        let allowed = |args: &[&str]| {
            let mut argv = vec!["function-wasmtime", "serve", "--insecure"];
            argv.extend_from_slice(args);
            let cli = <super::Cli as clap::Parser>::try_parse_from(argv).expect("valid flags");
            match cli.command {
                super::Command::Serve(serve) => serve.allow_inline_modules,
                _ => unreachable!("serve was parsed"),
            }
        };
        assert!(allowed(&[]));
        assert!(allowed(&["--allow-inline-modules"]));
        assert!(!allowed(&["--allow-inline-modules=false"]));
        assert!(!allowed(&["--allow-inline-modules", "no"]));
    }
}
