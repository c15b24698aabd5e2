//! Everything that stops a render, each naming the file (and document) it is about.

use std::path::PathBuf;

use super::ANNOTATION_RESOURCE_NAME as ANNOTATION;

/// Why a render failed. Each message is one line that names the file, the document (1-based)
/// and, for YAML syntax errors, the line; `main` joins the sources with ": ".
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory named on the command line cannot be read.
    #[error("cannot read {what} {}", path.display())]
    Read {
        /// What the file should hold, e.g. "XR file".
        what: &'static str,
        /// The path as given.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A directory given for a YAML stream holds no `.yaml` or `.yml` file.
    #[error("{}: no .yaml or .yml files in this directory", path.display())]
    EmptyDirectory {
        /// The directory.
        path: PathBuf,
    },
    /// A document is not valid YAML; the source carries the line and column.
    #[error("{}: document {document} is not valid YAML", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The document's position in the stream, from 1.
        document: usize,
        /// The parser's message with its line and column.
        #[source]
        source: serde_yaml_ng::Error,
    },
    /// A document parses but is not what the file should hold.
    #[error("{}: document {document}{}: {message}", path.display(), describe(object))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The document's position in the stream, from 1.
        document: usize,
        /// `Kind "name"` of the object, when it has one.
        object: Option<String>,
        /// What is wrong and what to do.
        message: String,
    },
    /// The Composition is for another type of composite resource.
    #[error(
        "{}: Composition \"{composition}\" is for {wanted} (spec.compositeTypeRef), but the XR in {} is {found}; render it with a Composition for {found}",
        path.display(), xr_path.display()
    )]
    WrongCompositeType {
        /// The Composition file.
        path: PathBuf,
        /// The Composition's name.
        composition: String,
        /// `apiVersion kind` from `spec.compositeTypeRef`.
        wanted: String,
        /// The XR file.
        xr_path: PathBuf,
        /// `apiVersion kind` of the XR.
        found: String,
    },
    /// The XR's composition selector does not select this Composition.
    #[error(
        "{}: Composition \"{composition}\" has label {label}={}, but the XR's compositionSelector wants {label}={wanted}",
        path.display(), found.as_deref().map_or_else(|| "(none)".to_owned(), |v| format!("{v:?}"))
    )]
    NotSelected {
        /// The Composition file.
        path: PathBuf,
        /// The Composition's name.
        composition: String,
        /// The label key.
        label: String,
        /// The value the XR selects.
        wanted: String,
        /// The Composition's value, if it has the label.
        found: Option<String>,
    },
    /// The Composition is not in Pipeline mode.
    #[error(
        "{}: Composition \"{composition}\" uses spec.mode: {mode}; render runs only spec.mode: Pipeline compositions",
        path.display()
    )]
    NotPipeline {
        /// The Composition file.
        path: PathBuf,
        /// The Composition's name.
        composition: String,
        /// The mode it has.
        mode: String,
    },
    /// A step references a Function that the functions file does not define.
    #[error(
        "{}: pipeline step \"{step}\" uses Function \"{function}\", which is not in {}; add a pkg.crossplane.io/v1 Function named {function} there",
        path.display(), functions_path.display()
    )]
    UnknownFunction {
        /// The Composition file.
        path: PathBuf,
        /// The step.
        step: String,
        /// The Function's name.
        function: String,
        /// The functions file or directory.
        functions_path: PathBuf,
    },
    /// A Function that is neither this one nor in Development mode.
    #[error(
        "{}: Function \"{function}\" cannot run here: render runs function-wasmtime in process and calls other Functions only with the annotation render.crossplane.io/runtime: Development (it does not use Docker); add that annotation and start the function with --insecure",
        path.display()
    )]
    UnsupportedRuntime {
        /// The functions file or directory.
        path: PathBuf,
        /// The Function's name.
        function: String,
    },
    /// A Development-mode Function's target cannot be reached.
    #[error(
        "{}: Function \"{function}\": cannot connect to its Development target {target}: {reason}; start the function there with --insecure, or set render.crossplane.io/runtime-development-target",
        path.display()
    )]
    Unreachable {
        /// The functions file or directory.
        path: PathBuf,
        /// The Function's name.
        function: String,
        /// The gRPC target.
        target: String,
        /// Why, as one line: tonic's transport errors repeat a cause in both their message and
        /// their source ("tcp connect error: tcp connect error: ..."), so the chain is joined
        /// here without repeats rather than kept as a source.
        reason: String,
    },
    /// A Development-mode Function answered RunFunction with a gRPC error.
    #[error("pipeline step \"{step}\": Function \"{function}\" failed")]
    Call {
        /// The step.
        step: String,
        /// The Function's name.
        function: String,
        /// The gRPC status.
        #[source]
        source: tonic::Status,
    },
    /// A step returned a FATAL result; later steps did not run.
    #[error("pipeline step \"{step}\" returned a fatal result: {message}")]
    Fatal {
        /// The step.
        step: String,
        /// The result's message.
        message: String,
    },
    /// A step kept changing its requirements.
    #[error(
        "pipeline step \"{step}\": requirements didn't stabilize after the maximum number of iterations ({max}); the function must return the same requirements once they are met"
    )]
    Unstable {
        /// The step.
        step: String,
        /// The iteration limit.
        max: usize,
    },
    /// A step asks for a credentials Secret that `--function-credentials` does not hold.
    #[error(
        "pipeline step \"{step}\": credentials \"{name}\" use Secret {secret}, which is not in --function-credentials"
    )]
    MissingSecret {
        /// The step.
        step: String,
        /// The credentials' name.
        name: String,
        /// `namespace/name` of the Secret.
        secret: String,
    },
    /// A composed resource would get a name Kubernetes refuses.
    #[error(
        "desired composed resource \"{resource}\" has the invalid name \"{name}\": it must be a valid RFC 1123 subdomain (lowercase letters, digits, '-' and '.'); fix metadata.name or metadata.generateName in the step that composes it"
    )]
    InvalidName {
        /// The composition resource name.
        resource: String,
        /// The name it would get.
        name: String,
    },
    /// Observed resources the XR cannot own; one problem per line.
    #[error("invalid observed resources:\n{problems}")]
    ObservedResources {
        /// Each problem, naming its file and document.
        problems: String,
    },
    /// A resource the XR references has no composition resource name.
    #[error(
        "composed resource {name}, referenced by the XR's resourceRefs, has no {} annotation; add it, or remove the reference",
        ANNOTATION
    )]
    AnonymousComposed {
        /// Its `metadata.name`.
        name: String,
    },
    /// `--required-schemas` names a directory without JSON files.
    #[error("{}: no .json files in this directory or below; put there what kubectl get --raw /openapi/v3/<group-version> prints", path.display())]
    NoSchemas {
        /// The directory.
        path: PathBuf,
    },
    /// A file under `--required-schemas` is not JSON.
    #[error("{}: not an OpenAPI v3 document in JSON", path.display())]
    BadSchema {
        /// The file.
        path: PathBuf,
        /// The parser's message with its line and column.
        #[source]
        source: serde_json::Error,
    },
    /// A step requires a schema with an apiVersion that is not one.
    #[error("apiVersion {api_version:?} is not GROUP/VERSION or VERSION")]
    BadApiVersion {
        /// What the step asked for.
        api_version: String,
    },
    /// The WebAssembly host cannot start.
    #[error("cannot start the WebAssembly host")]
    Host(#[source] crate::host::Error),
    /// The `--cache-dir` given cannot be used (the error names the directory).
    #[error(transparent)]
    Cache(crate::modules::Error),
    /// The async runtime cannot start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    /// A desired composed resource is already controlled by another owner.
    #[error(
        "desired composed resource \"{name}\" is already controlled by {owner}; remove its controller ownerReference"
    )]
    OtherController {
        /// The composition resource name.
        name: String,
        /// `Kind name (UID uid)` of the other controller.
        owner: String,
    },
    /// A `--context-files`/`--context-values` value is not YAML or JSON.
    #[error("context key \"{key}\" ({origin}) is not valid YAML or JSON")]
    ContextValue {
        /// The context key.
        key: String,
        /// `--context-values` or the file.
        origin: String,
        /// The parser's message.
        #[source]
        source: serde_yaml_ng::Error,
    },
    /// The render took longer than `--timeout`.
    #[error("render did not finish within {}s; raise --timeout", .timeout.as_secs_f64())]
    Timeout {
        /// The limit.
        timeout: std::time::Duration,
    },
    /// `--expect` found a difference; the diff follows on the next lines.
    #[error("the output differs from {}; re-run with UPDATE_GOLDEN=1 to accept it\n{diff}", path.display())]
    Mismatch {
        /// The golden file.
        path: PathBuf,
        /// A unified diff, expected → actual.
        diff: String,
    },
    /// `--expect` with UPDATE_GOLDEN=1 could not write the golden file.
    #[error(transparent)]
    File(#[from] crate::FileError),
}

/// Results of `render`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn describe(object: &Option<String>) -> String {
    object
        .as_ref()
        .map_or_else(String::new, |object| format!(" ({object})"))
}
