//! Reading everything the command line names, as `crossplane render` reads it: the XR (with its
//! XRD's defaults applied), the Composition, the Functions (with `-a` annotations applied), the
//! observed and required resources, the credentials, the OpenAPI schemas and the context.

use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Secret;
use kube_core::DynamicObject;
use serde_json::{Map, Value};

use super::composition::{self, Composition};
use super::documents::{Document, read_stream};
use super::error::{Error, Result};
use super::schemas::Schemas;
use super::store::text;
use super::xrd::{self, XrSchema};
use super::{ANNOTATION_RESOURCE_NAME, Config};

/// The annotation that selects how render runs a Function.
pub(crate) const ANNOTATION_RUNTIME: &str = "render.crossplane.io/runtime";
/// The annotation with a Development-mode Function's gRPC target.
pub(crate) const ANNOTATION_DEVELOPMENT_TARGET: &str =
    "render.crossplane.io/runtime-development-target";

/// The composite resource (XR) being rendered.
#[derive(Debug, Clone)]
pub(crate) struct Xr {
    /// The file it came from.
    pub path: PathBuf,
    /// The object as read, with the XRD's defaults applied.
    pub value: Value,
}

impl Xr {
    /// The XR's `apiVersion`.
    pub fn api_version(&self) -> &str {
        text(&self.value, "/apiVersion")
    }

    /// The XR's `kind`.
    pub fn kind(&self) -> &str {
        text(&self.value, "/kind")
    }

    /// The XR's `metadata.name`.
    pub fn name(&self) -> &str {
        text(&self.value, "/metadata/name")
    }

    /// The XR's `metadata.namespace`, `""` for a cluster-scoped XR.
    pub fn namespace(&self) -> &str {
        text(&self.value, "/metadata/namespace")
    }
}

/// A Function from the functions file.
#[derive(Debug, Clone)]
pub(crate) struct Function {
    /// Where it was defined; its value carries the `-a` annotations.
    pub document: Document,
}

impl Function {
    /// `metadata.name`.
    pub fn name(&self) -> &str {
        text(&self.document.value, "/metadata/name")
    }

    /// One of its annotations.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.document
            .value
            .pointer("/metadata/annotations")
            .and_then(|annotations| annotations.get(key))
            .and_then(Value::as_str)
    }

    /// `spec.package`, if set.
    pub fn package(&self) -> Option<&str> {
        self.document
            .value
            .pointer("/spec/package")
            .and_then(Value::as_str)
    }
}

/// Everything a render reads, loaded and checked.
#[derive(Debug)]
pub(crate) struct Inputs {
    pub xr: Xr,
    /// Where the XR keeps Crossplane's fields, from `--xrd`.
    pub schema: XrSchema,
    pub composition_path: PathBuf,
    pub composition: Composition,
    pub functions_path: PathBuf,
    pub functions: Vec<Function>,
    /// Observed composed resources, in the order given.
    pub observed: Vec<Document>,
    pub required: Vec<Value>,
    /// `--function-credentials` Secrets, as objects.
    pub secrets: Vec<Value>,
    pub schemas: Schemas,
    /// The context `--context-files` and `--context-values` seed, if any.
    pub context: Option<Map<String, Value>>,
}

/// Reads and checks every file `config` names.
///
/// # Errors
/// A missing file, bad YAML, an object of the wrong kind, a Composition for another XR type or
/// not in Pipeline mode, an XRD for another type: each an [`Error`] naming the file and document.
pub(crate) fn load(config: &Config) -> Result<Inputs> {
    let mut xr = load_xr(&config.xr)?;
    let composition = composition::load(&config.composition)?;
    composition::check(&xr, &config.composition, &composition)?;
    let mut functions = read_stream(&config.functions, "functions file")?
        .into_iter()
        .map(|document| {
            document.object_of("pkg.crossplane.io", "Function", "a Function")?;
            Ok(Function { document })
        })
        .collect::<Result<Vec<_>>>()?;
    for function in &mut functions {
        annotate(&mut function.document.value, &config.function_annotations);
    }
    let schema = match &config.xrd {
        Some(path) => xrd::apply(&single(path, "XRD file", "XRD")?, &mut xr.value)?,
        None => XrSchema::default(),
    };
    let mut observed = Vec::new();
    if let Some(path) = &config.observed_resources {
        for document in read_stream(path, "observed resources")? {
            let object: DynamicObject = document.parse()?;
            let has_name = object
                .metadata
                .annotations
                .as_ref()
                .is_some_and(|annotations| annotations.contains_key(ANNOTATION_RESOURCE_NAME));
            if !has_name {
                return Err(document.invalid(format!("an observed composed resource needs the annotation {ANNOTATION_RESOURCE_NAME}: the name its pipeline step gives it")));
            }
            observed.push(document);
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
            document.parse::<Secret>()?;
            let mut secret = document.value;
            if text(&secret, "/kind").is_empty() {
                secret["apiVersion"] = "v1".into();
                secret["kind"] = "Secret".into();
            }
            secrets.push(secret);
        }
    }
    let schemas = match &config.required_schemas {
        Some(dir) => Schemas::load(dir)?,
        None => Schemas::default(),
    };
    Ok(Inputs {
        xr,
        schema,
        composition_path: config.composition.clone(),
        composition,
        functions_path: config.functions.clone(),
        functions,
        observed,
        required,
        secrets,
        schemas,
        context: load_context(config)?,
    })
}

/// The only document of a file that must hold exactly one.
fn single(path: &Path, what: &'static str, expected: &str) -> Result<Document> {
    let mut documents = read_stream(path, what)?;
    if documents.len() != 1 {
        return Err(Error::Invalid {
            path: path.to_owned(),
            document: documents.len(),
            object: None,
            message: format!(
                "expected exactly one {expected}, found {} documents",
                documents.len()
            ),
        });
    }
    Ok(documents.remove(0))
}

fn load_xr(path: &Path) -> Result<Xr> {
    let document = single(path, "XR file", "composite resource")?;
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
    })
}

/// Sets `-a` annotations on a Function, replacing those it has.
fn annotate(function: &mut Value, annotations: &[(String, String)]) {
    if annotations.is_empty() {
        return;
    }
    let Some(object) = function.as_object_mut() else {
        return;
    };
    let metadata = object
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !metadata.is_object() {
        *metadata = Value::Object(Map::new());
    }
    let existing = &mut metadata["annotations"];
    if !existing.is_object() {
        *existing = Value::Object(Map::new());
    }
    for (key, value) in annotations {
        existing[key] = value.clone().into();
    }
}

/// The context to seed: `--context-files`, then `--context-values` (values win); `None` when
/// neither is given.
fn load_context(config: &Config) -> Result<Option<Map<String, Value>>> {
    if config.context_files.is_empty() && config.context_values.is_empty() {
        return Ok(None);
    }
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
    Ok(Some(context))
}

fn parse_value(key: &str, origin: &str, text: &str) -> Result<Value> {
    serde_yaml_ng::from_str(text).map_err(|source| Error::ContextValue {
        key: key.to_owned(),
        origin: origin.to_owned(),
        source,
    })
}
