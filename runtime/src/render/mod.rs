//! `render`: run a Composition's function pipeline offline and print what Crossplane would
//! apply, in the YAML stream classic `crossplane render` (v2.2) prints. No Docker, no cluster.
//!
//! The files follow the data: `load` reads the XR, Composition, Functions and the optional
//! observed resources, required resources, credentials and context; `functions` decides how each
//! step's Function runs (function-wasmtime in process through [`StepRunner`], others over gRPC in
//! `render.crossplane.io/runtime: Development` mode); `pipeline` runs the steps as Crossplane
//! does; `compose` turns the desired state into composed resources and the XR's status;
//! `output` and `yaml` print them; `diff` compares them with a golden file for `--expect`.

mod compose;
mod diff;
mod error;
mod functions;
mod load;
mod output;
mod pipeline;
mod yaml;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::{Error, Result};

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
    /// A file or directory of Secrets for steps' `credentials`.
    pub function_credentials: Option<PathBuf>,
    /// Initial context entries read from files (YAML or JSON).
    pub context_files: Vec<(String, PathBuf)>,
    /// Initial context entries given inline (YAML or JSON); they win over `context_files`.
    pub context_values: Vec<(String, String)>,
    /// Print non-fatal results as `kind: Result` documents.
    pub include_function_results: bool,
    /// Print the final context as a `kind: Context` document.
    pub include_context: bool,
    /// Copy the input XR's spec and metadata into the printed XR.
    pub include_full_xr: bool,
    /// How long the whole render may take.
    pub timeout: Duration,
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
            function_credentials: None,
            context_files: Vec::new(),
            context_values: Vec::new(),
            include_function_results: false,
            include_context: false,
            include_full_xr: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Renders: loads the files, runs the pipeline (function-wasmtime steps on `runner`) and returns
/// the YAML stream `crossplane render` would print.
///
/// # Errors
/// Any [`Error`]: unreadable or invalid files, a Function that cannot run, a FATAL result, a
/// timeout.
pub async fn run(config: &Config, runner: &StepRunner) -> Result<String> {
    tokio::time::timeout(config.timeout, render(config, runner))
        .await
        .map_err(|_| Error::Timeout {
            timeout: config.timeout,
        })?
}

async fn render(config: &Config, runner: &StepRunner) -> Result<String> {
    let inputs = load::load(config)?;
    let runtimes = functions::Runtimes::start(&inputs, runner).await?;
    let outcome = pipeline::run(&inputs, &runtimes).await?;
    let rendered = compose::compose(&inputs, &outcome)?;
    Ok(output::stream(&inputs, rendered, &outcome, config))
}

/// Compares `output` with the golden file at `path`; with `UPDATE_GOLDEN=1` in the environment,
/// writes it instead.
///
/// # Errors
/// [`Error::Mismatch`] with a unified diff when they differ; [`Error::Read`]/[`Error::Write`]
/// when the file cannot be read or written.
pub fn check_expected(path: &Path, output: &str) -> Result<()> {
    if std::env::var_os(UPDATE_GOLDEN).is_some_and(|value| value == "1") {
        return std::fs::write(path, output).map_err(|source| Error::Write {
            path: path.to_owned(),
            source,
        });
    }
    let expected = std::fs::read_to_string(path).map_err(|source| Error::Read {
        what: "expected output",
        path: path.to_owned(),
        source,
    })?;
    match diff::unified(&expected, output, &path.display().to_string(), "rendered") {
        None => Ok(()),
        Some(diff) => Err(Error::Mismatch {
            path: path.to_owned(),
            diff,
        }),
    }
}
