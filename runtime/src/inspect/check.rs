//! `module check`: the module run once as the server runs it, on a sample request or a given one.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use xfn_proto::v1::{RunFunctionRequest, Severity};

use super::{Error, ModuleArg, Result, file_name, host, tool_pulls};
use crate::FileError;
use crate::input::{API_VERSION, KIND};
use crate::modules::ModuleRegistry;
use crate::modules::oci::RegistryAccess;
use crate::step::StepRunner;

/// The request `module check` sends when it is given none: an XR with an empty spec, nothing
/// desired yet.
fn sample_request() -> Value {
    json!({
        "meta": {"tag": "module-check"},
        "observed": {"composite": {"resource": {
            "apiVersion": "example.crossplane.io/v1",
            "kind": "XExample",
            "metadata": {"name": "example"},
            "spec": {}
        }}},
        "desired": {},
        "context": {}
    })
}

/// What one run gave.
pub struct Checked {
    /// The response, as protojson in YAML.
    pub yaml: String,
    /// The FATAL result's message, when the step failed.
    pub fatal: Option<String>,
}

/// Runs the module `arg` names once through the step runner, as `serve` would run it for a step
/// naming it, on the request in `request` (YAML or JSON protojson; its `input` becomes the
/// module's config) or on a sample.
///
/// # Errors
/// [`Error::Request`] for a request that does not parse; the engine failing to start. A module
/// that fails is a [`Checked`] with `fatal` set, not an error.
pub async fn check(
    arg: &ModuleArg,
    request: Option<&Path>,
    access: &RegistryAccess,
) -> Result<Checked> {
    let dir = tempfile::tempdir().map_err(FileError::write(std::env::temp_dir()))?;
    let mut request = match request {
        Some(path) => read_request(path)?,
        None => sample_request(),
    };
    let config = request
        .as_object_mut()
        .and_then(|fields| fields.remove("input"))
        .unwrap_or_else(|| json!({}));
    let mut input = json!({"apiVersion": API_VERSION, "kind": KIND, "config": config});
    let registry = ModuleRegistry::new(Arc::new(host()?), Some(dir.path().to_owned()), None);
    let registry = match arg {
        ModuleArg::File(path) => {
            let name = file_name(path);
            let copy = dir.path().join(format!("{name}.wasm"));
            std::fs::copy(path, &copy).map_err(FileError::read(path))?;
            input["module"] = json!(name);
            registry
        }
        ModuleArg::Bundled(name) => {
            input["module"] = json!(name);
            registry
        }
        ModuleArg::Oci(reference) => {
            input["source"] = json!({"oci": reference.as_str()});
            registry.with_pulls(tool_pulls(access))?
        }
    };
    request["input"] = input;
    let request: RunFunctionRequest =
        serde_json::from_value(request).map_err(|error| Error::Request {
            path: Path::new("-").to_owned(),
            problem: error.to_string(),
        })?;
    let response = StepRunner::new(Arc::new(registry)).run(request).await;
    let fatal = response
        .results
        .iter()
        .find(|result| result.severity == i32::from(Severity::Fatal))
        .map(|result| result.message.clone());
    let json = serde_json::to_value(&response).expect("a response serialises to JSON");
    Ok(Checked {
        yaml: serde_yaml_ng::to_string(&json).expect("JSON values serialise to YAML"),
        fatal,
    })
}

/// The request in `path`, YAML or JSON, checked to be a `RunFunctionRequest`.
fn read_request(path: &Path) -> Result<Value> {
    let problem = |problem: String| Error::Request {
        path: path.to_owned(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(FileError::read(path))?;
    let value: Value =
        serde_yaml_ng::from_str(&text).map_err(|error| problem(error.to_string()))?;
    serde_json::from_value::<RunFunctionRequest>(value.clone())
        .map_err(|error| problem(error.to_string()))?;
    Ok(value)
}
