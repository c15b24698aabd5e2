//! Reading the command line's files: YAML streams (a file, or a directory of `.yaml`/`.yml`
//! files) into Kubernetes objects, each remembered with its file and document number so that
//! every later error can point at it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Secret;
use kube_core::DynamicObject;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::{Error, Result};
use super::{ANNOTATION_RESOURCE_NAME, Config};

/// The annotation that selects how render runs a Function.
pub(crate) const ANNOTATION_RUNTIME: &str = "render.crossplane.io/runtime";
/// The annotation with a Development-mode Function's gRPC target.
pub(crate) const ANNOTATION_DEVELOPMENT_TARGET: &str =
    "render.crossplane.io/runtime-development-target";

/// One document of a YAML stream and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    /// The file it was read from.
    pub path: PathBuf,
    /// Its position in that file's stream, from 1.
    pub index: usize,
    /// Its content.
    pub value: Value,
}

impl Document {
    /// `Kind "name"`, when the document has them, for messages.
    fn label(&self) -> Option<String> {
        let kind = self.value.get("kind").and_then(Value::as_str)?;
        let name = self
            .value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        Some(format!("{kind} \"{name}\""))
    }

    /// An [`Error::Invalid`] about this document.
    pub fn invalid(&self, message: impl Into<String>) -> Error {
        Error::Invalid {
            path: self.path.clone(),
            document: self.index,
            object: self.label(),
            message: message.into(),
        }
    }

    /// The document as `T`; a mismatch names the field path.
    fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        serde_path_to_error::deserialize(&self.value).map_err(|error| {
            let path = error.path().to_string();
            let inner = error.into_inner();
            if path == "." {
                self.invalid(inner.to_string())
            } else {
                self.invalid(format!("{path}: {inner}"))
            }
        })
    }

    /// The document as a Kubernetes object of `api_group` and `kind` (any version).
    fn object_of(&self, api_group: &str, kind: &str, what: &str) -> Result<DynamicObject> {
        let object: DynamicObject = self.parse()?;
        let types = object.types.as_ref();
        let group = types.map_or("", |t| t.api_version.split('/').next().unwrap_or(""));
        if types.map(|t| t.kind.as_str()) != Some(kind) || group != api_group {
            let found = types.map_or_else(
                || "no apiVersion and kind".to_owned(),
                |t| format!("{} {}", t.api_version, t.kind),
            );
            return Err(self.invalid(format!(
                "expected {what} ({api_group} {kind}), found {found}"
            )));
        }
        Ok(object)
    }
}

/// The composite resource (XR) being rendered.
#[derive(Debug, Clone)]
pub(crate) struct Xr {
    /// The file it came from.
    pub path: PathBuf,
    /// The object exactly as read (what functions observe).
    pub value: Value,
    /// Its typed view.
    pub object: DynamicObject,
}

impl Xr {
    /// The XR's `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.object.types.as_ref().map_or("", |t| &t.api_version)
    }

    /// The XR's `kind`.
    pub fn kind(&self) -> &str {
        self.object.types.as_ref().map_or("", |t| &t.kind)
    }

    /// The XR's `metadata.name`.
    pub fn name(&self) -> &str {
        self.object.metadata.name.as_deref().unwrap_or("")
    }
}

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

/// A Function from the functions file.
#[derive(Debug, Clone)]
pub(crate) struct Function {
    /// Where it was defined.
    pub document: Document,
    /// Its typed view.
    pub object: DynamicObject,
}

impl Function {
    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.object.metadata.name.as_deref().unwrap_or("")
    }

    /// One of its annotations.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.object
            .metadata
            .annotations
            .as_ref()
            .and_then(|annotations| annotations.get(key))
            .map(String::as_str)
    }

    /// `spec.package`, if set.
    pub fn package(&self) -> Option<&str> {
        self.object
            .data
            .pointer("/spec/package")
            .and_then(Value::as_str)
    }
}

/// Everything a render reads, loaded and checked.
#[derive(Debug)]
pub(crate) struct Inputs {
    pub xr: Xr,
    pub composition_path: PathBuf,
    pub composition: Composition,
    pub functions_path: PathBuf,
    pub functions: Vec<Function>,
    /// Observed composed resources by composition resource name.
    pub observed: BTreeMap<String, Value>,
    pub required: Vec<Value>,
    pub secrets: Vec<Secret>,
    pub context: Map<String, Value>,
}

/// Reads and checks every file `config` names.
///
/// # Errors
/// A missing file, bad YAML, an object of the wrong kind, a Composition for another XR type or
/// not in Pipeline mode: each an [`Error`] naming the file and document.
pub(crate) fn load(config: &Config) -> Result<Inputs> {
    let xr = load_xr(&config.xr)?;
    let composition = load_composition(&config.composition)?;
    check_composition(&xr, &config.composition, &composition)?;
    let functions = read_stream(&config.functions, "functions file")?
        .into_iter()
        .map(|document| {
            let object = document.object_of("pkg.crossplane.io", "Function", "a Function")?;
            Ok(Function { document, object })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut observed = BTreeMap::new();
    if let Some(path) = &config.observed_resources {
        for document in read_stream(path, "observed resources")? {
            let object: DynamicObject = document.parse()?;
            let name = object
                .metadata
                .annotations
                .as_ref()
                .and_then(|annotations| annotations.get(ANNOTATION_RESOURCE_NAME))
                .ok_or_else(|| document.invalid(format!("an observed composed resource needs the annotation {ANNOTATION_RESOURCE_NAME}: the name its pipeline step gives it")))?;
            observed.insert(name.clone(), document.value);
        }
    }
    let mut required = Vec::new();
    for path in &config.required_resources {
        for document in read_stream(path, "required resources")? {
            document.parse::<DynamicObject>()?;
            required.push(document.value);
        }
    }
    let mut secrets = Vec::new();
    if let Some(path) = &config.function_credentials {
        for document in read_stream(path, "function credentials")? {
            let secret: Secret = document.parse()?;
            secrets.push(secret);
        }
    }
    let context = load_context(config)?;
    Ok(Inputs {
        xr,
        composition_path: config.composition.clone(),
        composition,
        functions_path: config.functions.clone(),
        functions,
        observed,
        required,
        secrets,
        context,
    })
}

fn load_xr(path: &Path) -> Result<Xr> {
    let mut documents = read_stream(path, "XR file")?;
    if documents.len() != 1 {
        return Err(Error::Invalid {
            path: path.to_owned(),
            document: documents.len(),
            object: None,
            message: format!(
                "expected exactly one composite resource, found {} documents",
                documents.len()
            ),
        });
    }
    let document = documents.remove(0);
    let object: DynamicObject = document.parse()?;
    if object.types.is_none() {
        return Err(document.invalid("the composite resource needs apiVersion and kind"));
    }
    if object.metadata.name.as_deref().unwrap_or("").is_empty() {
        return Err(document.invalid("the composite resource needs metadata.name"));
    }
    Ok(Xr {
        path: path.to_owned(),
        value: document.value,
        object,
    })
}

fn load_composition(path: &Path) -> Result<Composition> {
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

fn check_composition(xr: &Xr, path: &Path, composition: &Composition) -> Result<()> {
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
    // Modern XRs keep the selector under spec.crossplane, legacy ones directly under spec.
    let selector = xr
        .value
        .pointer("/spec/crossplane/compositionSelector/matchLabels")
        .or_else(|| xr.value.pointer("/spec/compositionSelector/matchLabels"))
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

/// The initial context: `--context-files`, then `--context-values` (values win).
fn load_context(config: &Config) -> Result<Map<String, Value>> {
    let mut context = Map::new();
    for (key, path) in &config.context_files {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            what: "context file",
            path: path.clone(),
            source,
        })?;
        context.insert(
            key.clone(),
            parse_value(key, &path.display().to_string(), &text)?,
        );
    }
    for (key, text) in &config.context_values {
        context.insert(key.clone(), parse_value(key, "--context-values", text)?);
    }
    Ok(context)
}

fn parse_value(key: &str, origin: &str, text: &str) -> Result<Value> {
    serde_yaml::from_str(text).map_err(|source| Error::ContextValue {
        key: key.to_owned(),
        origin: origin.to_owned(),
        source,
    })
}

/// The documents of a YAML file, or of every `.yaml`/`.yml` file in a directory (by name).
/// Empty documents are skipped.
pub(crate) fn read_stream(path: &Path, what: &'static str) -> Result<Vec<Document>> {
    let read_error = |source| Error::Read {
        what,
        path: path.to_owned(),
        source,
    };
    if path.is_dir() {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(path).map_err(read_error)? {
            let file = entry.map_err(read_error)?.path();
            if matches!(
                file.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                files.push(file);
            }
        }
        if files.is_empty() {
            return Err(Error::EmptyDirectory {
                path: path.to_owned(),
            });
        }
        files.sort();
        let mut documents = Vec::new();
        for file in files {
            documents.extend(read_stream(&file, what)?);
        }
        return Ok(documents);
    }
    let text = std::fs::read_to_string(path).map_err(read_error)?;
    parse_stream(path, &text)
}

fn parse_stream(path: &Path, text: &str) -> Result<Vec<Document>> {
    let mut documents = Vec::new();
    for (position, deserializer) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let index = position + 1;
        let value = Value::deserialize(deserializer).map_err(|source| Error::Syntax {
            path: path.to_owned(),
            document: index,
            source,
        })?;
        if !value.is_null() {
            documents.push(Document {
                path: path.to_owned(),
                index,
                value,
            });
        }
    }
    Ok(documents)
}
