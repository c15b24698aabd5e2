//! YAML streams as render reads them: a file, or every `.yaml`/`.yml` file of a directory in
//! name order, split into documents that remember their file and position so that every later
//! error can point at them.

use std::path::{Path, PathBuf};

use kube_core::DynamicObject;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{Error, Result};

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
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T> {
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
    pub fn object_of(&self, api_group: &str, kind: &str, what: &str) -> Result<DynamicObject> {
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
    for (position, deserializer) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
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
