//! The Composition: the types render reads from it, and the checks `crossplane render` makes
//! before running its pipeline (the XR's type, its composition selector, Pipeline mode).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::documents::read_stream;
use super::error::{Error, Result};
use super::load::Xr;

/// `spec.compositeTypeRef` of a Composition.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TypeRef {
    pub api_version: String,
    pub kind: String,
}

/// A Composition, as far as render needs it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Composition {
    #[serde(default)]
    pub metadata: kube_core::ObjectMeta,
    pub spec: CompositionSpec,
}

/// A Composition's `spec`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CompositionSpec {
    pub composite_type_ref: TypeRef,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub pipeline: Vec<PipelineStep>,
    /// Where legacy XRs write connection secrets when they name none.
    #[serde(default)]
    pub write_connection_secrets_to_namespace: Option<String>,
}

/// One `spec.pipeline` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PipelineStep {
    pub step: String,
    pub function_ref: FunctionRef,
    #[serde(default)]
    pub input: Option<Map<String, Value>>,
    #[serde(default)]
    pub credentials: Vec<StepCredentials>,
    #[serde(default)]
    pub requirements: Option<StepRequirements>,
}

/// `functionRef` of a step.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct FunctionRef {
    pub name: String,
}

/// One `credentials` entry of a step.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StepCredentials {
    pub name: String,
    pub source: String,
    #[serde(default)]
    pub secret_ref: Option<SecretRef>,
}

/// Which Secret holds a step's credentials.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SecretRef {
    #[serde(default)]
    pub namespace: String,
    pub name: String,
}

/// A step's bootstrap `requirements`, fetched before its first call.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StepRequirements {
    #[serde(default)]
    pub required_resources: Vec<RequiredResourceSelector>,
    #[serde(default)]
    pub required_schemas: Vec<RequiredSchemaSelector>,
}

/// One bootstrap required-schema selector.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RequiredSchemaSelector {
    pub requirement_name: String,
    pub api_version: String,
    pub kind: String,
}

/// One bootstrap required-resource selector.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RequiredResourceSelector {
    pub requirement_name: String,
    pub api_version: String,
    pub kind: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub match_labels: Option<BTreeMap<String, String>>,
}

/// Reads the Composition file: one `apiextensions.crossplane.io` Composition.
///
/// # Errors
/// An unreadable file, several documents, another kind, a field of the wrong type.
pub(crate) fn load(path: &Path) -> Result<Composition> {
    let documents = read_stream(path, "Composition file")?;
    let [document] = documents.as_slice() else {
        return Err(Error::Invalid {
            path: path.to_owned(),
            document: documents.len(),
            object: None,
            message: format!(
                "expected exactly one Composition, found {} documents",
                documents.len()
            ),
        });
    };
    document.object_of(
        "apiextensions.crossplane.io",
        "Composition",
        "a Composition",
    )?;
    document.parse()
}

/// Checks the Composition can render the XR, as `crossplane render` does before it runs anything.
///
/// # Errors
/// A Composition for another XR type, one the XR's `spec.crossplane.compositionSelector` does not
/// select, or one not in Pipeline mode.
pub(crate) fn check(xr: &Xr, path: &Path, composition: &Composition) -> Result<()> {
    let name = composition.metadata.name.clone().unwrap_or_default();
    let wanted = &composition.spec.composite_type_ref;
    if wanted.api_version != xr.api_version() || wanted.kind != xr.kind() {
        return Err(Error::WrongCompositeType {
            path: path.to_owned(),
            composition: name,
            wanted: format!("{} {}", wanted.api_version, wanted.kind),
            xr_path: xr.path.clone(),
            found: format!("{} {}", xr.api_version(), xr.kind()),
        });
    }
    // The CLI reads the XR before it knows its XRD, so only a modern XR's selector counts.
    let selector = xr
        .value
        .pointer("/spec/crossplane/compositionSelector/matchLabels")
        .and_then(Value::as_object);
    let labels = composition.metadata.labels.clone().unwrap_or_default();
    for (label, wanted) in selector.into_iter().flatten() {
        let wanted = wanted.as_str().unwrap_or_default();
        let found = labels.get(label);
        if found.map(String::as_str) != Some(wanted) {
            return Err(Error::NotSelected {
                path: path.to_owned(),
                composition: name,
                label: label.clone(),
                wanted: wanted.to_owned(),
                found: found.cloned(),
            });
        }
    }
    let mode = composition.spec.mode.as_deref().unwrap_or("Pipeline");
    if mode != "Pipeline" {
        return Err(Error::NotPipeline {
            path: path.to_owned(),
            composition: name,
            mode: mode.to_owned(),
        });
    }
    Ok(())
}
