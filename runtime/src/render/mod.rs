//! `render`: run a Composition's function pipeline offline and print what Crossplane would
//! apply, in the YAML stream the pinned `crossplane render` (crossplane/cli v2.5.0 with the
//! Crossplane v2.4.0 render engine) prints. No Docker, no cluster.
//!
//! The files follow the data: `documents` reads YAML streams; `load` reads everything the
//! command line names (`composition`, `xrd` and `schemas` the parts with rules of their own);
//! `functions` decides how each step's Function runs (function-wasmtime in process through
//! [`StepRunner`], others over gRPC in `render.crossplane.io/runtime: Development` mode);
//! `reconcile` runs one reconcile of the XR as Crossplane's render engine does, with its
//! `composite` XR, its in-memory `store`, the `pipeline`, `compose` for the composed resources,
//! `conditions`, `events` and `names`; `output` and `yaml` print the result; `diff` compares it
//! with a golden file for `--expect`.
//!
//! Where this render still differs from upstream's is listed in docs/compatibility.md.

mod compose;
mod composite;
mod composition;
mod conditions;
mod diff;
mod documents;
mod error;
mod events;
mod load;
mod names;
mod output;
mod pipeline;
mod reconcile;
mod runtimes;
mod schemas;
mod store;
mod xrd;
mod yaml;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use error::{Error, Result};

use crate::FileError;
use crate::host::{Host, HostConfig, Limits};
use crate::modules::oci::{PullConfig, RegistryAccess};
use crate::modules::{CompileCache, ModuleRegistry};
use crate::step::StepRunner;

/// The annotation naming a composed resource within its Composition.
pub(crate) const ANNOTATION_RESOURCE_NAME: &str = "crossplane.io/composition-resource-name";

/// `crossplane render`'s default `--timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The environment variable that makes [`check_expected`] write the golden file instead of
/// comparing.
pub const UPDATE_GOLDEN: &str = "UPDATE_GOLDEN";

/// What to render and how to print it; the validated form of the command line.
#[derive(Debug, Clone)]
pub struct Config {
    /// The composite resource (XR), one document.
    pub xr: PathBuf,
    /// The Composition, `mode: Pipeline`.
    pub composition: PathBuf,
    /// A file or directory of `pkg.crossplane.io` Functions.
    pub functions: PathBuf,
    /// A file or directory of observed composed resources.
    pub observed_resources: Option<PathBuf>,
    /// Files or directories of resources that steps may require.
    pub required_resources: Vec<PathBuf>,
    /// A directory of OpenAPI v3 documents (JSON) that answer the schemas steps require.
    pub required_schemas: Option<PathBuf>,
    /// The XRD of the XR: its defaults are applied to the XR, and its scope says whether the XR
    /// is a legacy one.
    pub xrd: Option<PathBuf>,
    /// A file or directory of Secrets for steps' `credentials`.
    pub function_credentials: Option<PathBuf>,
    /// Annotations set on every Function, replacing those it has (`-a KEY=VALUE`).
    pub function_annotations: Vec<(String, String)>,
    /// Initial context entries read from files (YAML or JSON).
    pub context_files: Vec<(String, PathBuf)>,
    /// Initial context entries given inline (YAML or JSON); they win over `context_files`.
    pub context_values: Vec<(String, String)>,
    /// Print every event recorded on the XR (the steps' non-fatal results among them) as
    /// `kind: Result` documents.
    pub include_function_results: bool,
    /// Print the final context as a `kind: Context` document.
    pub include_context: bool,
    /// Print the rendered XR merged over the input XR.
    pub include_full_xr: bool,
    /// How long the whole render may take.
    pub timeout: Duration,
    /// Compare the output with this golden file instead of printing it.
    pub expect: Option<PathBuf>,
    /// Where modules that are not bundled come from, as for `serve`.
    pub modules_dir: Option<PathBuf>,
    /// Where compiled modules are kept between renders; `None` for the user's cache directory.
    /// Modules pulled from registries are kept in its `oci/`.
    pub cache_dir: Option<PathBuf>,
    /// How `source.oci` modules' registries are reached, as for `serve`.
    pub registry: RegistryAccess,
    /// Whether a `source.oci` tag without a digest or an `input.sha256` pin may be used.
    pub is_unpinned_allowed: bool,
}

impl Config {
    /// A config for the three positional files with every option at its default.
    pub fn new(
        xr: impl Into<PathBuf>,
        composition: impl Into<PathBuf>,
        functions: impl Into<PathBuf>,
    ) -> Config {
        Config {
            xr: xr.into(),
            composition: composition.into(),
            functions: functions.into(),
            observed_resources: None,
            required_resources: Vec::new(),
            required_schemas: None,
            xrd: None,
            function_credentials: None,
            function_annotations: Vec::new(),
            context_files: Vec::new(),
            context_values: Vec::new(),
            include_function_results: false,
            include_context: false,
            include_full_xr: false,
            timeout: DEFAULT_TIMEOUT,
            expect: None,
            modules_dir: None,
            cache_dir: None,
            registry: RegistryAccess::default(),
            is_unpinned_allowed: false,
        }
    }
}

/// Renders as the `render` command does: starts a WebAssembly host for function-wasmtime's
/// steps, renders, and prints the YAML stream on stdout, or with [`Config::expect`] checks it
/// against that file and says so on stderr.
///
/// # Errors
/// Any [`Error`]: a host that cannot start, a `--cache-dir` that cannot be used, unreadable or invalid files, a Function that cannot
/// run, a FATAL result (nothing is printed then, as `crossplane render` prints nothing), a
/// timeout, an output that differs from the expected one.
pub fn run(config: &Config) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let output = runtime.block_on(async {
        let host = Host::new(HostConfig {
            maxima: Limits::DEFAULT_MAXIMA,
            max_concurrency: 1,
        })
        .map_err(Error::Host)?;
        // A --cache-dir that cannot be used is an error; the default one only saves compile
        // time, so render goes on without it.
        let cache = match &config.cache_dir {
            Some(dir) => Some(CompileCache::open(dir).map_err(Error::Cache)?),
            None => default_cache_dir().and_then(|dir| CompileCache::open(&dir).ok()),
        };
        let pulls = PullConfig {
            access: config.registry.clone(),
            is_unpinned_allowed: config.is_unpinned_allowed,
            store: cache.as_ref().map(CompileCache::pulled_dir),
            ..PullConfig::default()
        };
        let registry = ModuleRegistry::new(Arc::new(host), config.modules_dir.clone(), cache)
            .with_pulls(pulls)
            .map_err(Error::Cache)?;
        run_with(config, &StepRunner::new(Arc::new(registry))).await
    })?;
    match &config.expect {
        Some(path) => {
            check_expected(path, &output)?;
            eprintln!("the output matches {}", path.display());
        }
        None => print!("{output}"),
    }
    Ok(())
}

/// Where `render` keeps compiled modules when no cache directory is given:
/// `$XDG_CACHE_HOME/function-wasmtime`, else `~/.cache/function-wasmtime`.
fn default_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .map(|dir| dir.join("function-wasmtime"))
}

/// Renders with function-wasmtime's steps on `runner` and returns the YAML stream `crossplane
/// render` would print; [`Config::expect`], [`Config::modules_dir`] and [`Config::cache_dir`]
/// are not used (the runner has its modules).
///
/// # Errors
/// As [`run`], but for the host and the expected output.
pub async fn run_with(config: &Config, runner: &StepRunner) -> Result<String> {
    tokio::time::timeout(config.timeout, render(config, runner))
        .await
        .map_err(|_| Error::Timeout {
            timeout: config.timeout,
        })?
}

async fn render(config: &Config, runner: &StepRunner) -> Result<String> {
    let inputs = load::load(config)?;
    let runtimes = runtimes::Runtimes::start(&inputs, runner).await?;
    let rendered = reconcile::reconcile(&inputs, &runtimes).await?;
    Ok(output::stream(&inputs, rendered, config))
}

/// The unified diff from `expected` to `actual` under `---`/`+++` headers with these names, or
/// `None` when the texts are equal; what `--expect` prints.
pub fn unified_diff(
    expected: &str,
    actual: &str,
    expected_name: &str,
    actual_name: &str,
) -> Option<String> {
    diff::unified(expected, actual, expected_name, actual_name)
}

/// Compares `output` with the golden file at `path`; with `UPDATE_GOLDEN=1` in the environment,
/// writes it instead.
///
/// # Errors
/// [`Error::Mismatch`] with a unified diff when they differ; [`Error::Read`]/[`Error::File`]
/// when the file cannot be read or written.
pub fn check_expected(path: &Path, output: &str) -> Result<()> {
    if std::env::var_os(UPDATE_GOLDEN).is_some_and(|value| value == "1") {
        return Ok(std::fs::write(path, output).map_err(FileError::write(path))?);
    }
    let expected = std::fs::read_to_string(path).map_err(|source| Error::Read {
        what: "expected output",
        path: path.to_owned(),
        source,
    })?;
    match unified_diff(&expected, output, &path.display().to_string(), "rendered") {
        None => Ok(()),
        Some(diff) => Err(Error::Mismatch {
            path: path.to_owned(),
            diff,
        }),
    }
}
