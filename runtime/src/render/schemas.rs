//! `-s/--required-schemas`: OpenAPI v3 documents (what `kubectl get --raw
//! /openapi/v3/<group-version>` prints) that answer the schemas steps require, as the render
//! engine's in-memory OpenAPI client answers them: the first document that describes a
//! group/version serves it, the schema whose `x-kubernetes-group-version-kind` is exactly the
//! kind asked for is returned with every `$ref` inlined, and anything not found is an empty
//! `Schema`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::{Error, Result};

/// Where `$ref`s into a document's own schemas start.
const REF_PREFIX: &str = "#/components/schemas/";

/// The loaded documents and which serves each group/version.
#[derive(Debug, Default)]
pub(crate) struct Schemas {
    documents: Vec<Value>,
    /// `api/<version>` or `apis/<group>/<version>` → index into `documents`.
    paths: BTreeMap<String, usize>,
}

impl Schemas {
    /// Reads every `.json` file under `dir`, recursively, in name order.
    ///
    /// # Errors
    /// An unreadable directory or file, a file that is not JSON, or no JSON file at all.
    pub fn load(dir: &Path) -> Result<Schemas> {
        let mut files = Vec::new();
        find_json(dir, &mut files)?;
        if files.is_empty() {
            return Err(Error::NoSchemas {
                path: dir.to_owned(),
            });
        }
        let mut schemas = Schemas::default();
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|source| Error::Read {
                what: "OpenAPI schema file",
                path: file.clone(),
                source,
            })?;
            let document: Value = serde_json::from_str(&text)
                .map_err(|source| Error::BadSchema { path: file, source })?;
            let index = schemas.documents.len();
            for schema in components(&document).values() {
                for gvk in group_version_kinds(schema) {
                    let (group, version, _) = gvk;
                    let path = if group.is_empty() {
                        format!("api/{version}")
                    } else {
                        format!("apis/{group}/{version}")
                    };
                    schemas.paths.entry(path).or_insert(index);
                }
            }
            schemas.documents.push(document);
        }
        Ok(schemas)
    }

    /// The schema of `kind` in `api_version` with its `$ref`s inlined, or `None` when no
    /// document has it.
    ///
    /// # Errors
    /// An `api_version` with more than one `/`.
    pub fn fetch(&self, api_version: &str, kind: &str) -> Result<Option<Value>> {
        let (group, version) = match api_version.matches('/').count() {
            0 => ("", api_version),
            1 => api_version.split_once('/').expect("one '/' was counted"),
            _ => {
                return Err(Error::BadApiVersion {
                    api_version: api_version.to_owned(),
                });
            }
        };
        let path = if group.is_empty() {
            format!("api/{version}")
        } else {
            format!("apis/{api_version}")
        };
        let Some(document) = self.paths.get(&path).map(|&index| &self.documents[index]) else {
            return Ok(None);
        };
        let schemas = components(document);
        let found = schemas.iter().find(|(_, schema)| {
            let gvks = group_version_kinds(schema);
            gvks.len() == 1 && gvks[0] == (group, version, kind)
        });
        Ok(found.map(|(name, schema)| {
            let mut visited = BTreeSet::from([format!("{REF_PREFIX}{name}")]);
            inline_refs(schema, schemas, &mut visited)
        }))
    }
}

fn find_json(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    let read_error = |source| Error::Read {
        what: "required schemas directory",
        path: dir.to_owned(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(read_error)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(read_error)?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            find_json(&path, found)?;
        } else if path.extension().is_some_and(|ext| ext == "json") {
            found.push(path);
        }
    }
    Ok(())
}

/// A document's `components.schemas`, by name.
fn components(document: &Value) -> &serde_json::Map<String, Value> {
    static EMPTY: std::sync::LazyLock<serde_json::Map<String, Value>> =
        std::sync::LazyLock::new(serde_json::Map::new);
    document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&EMPTY)
}

/// A schema's `x-kubernetes-group-version-kind` entries as (group, version, kind).
fn group_version_kinds(schema: &Value) -> Vec<(&str, &str, &str)> {
    fn field<'a>(gvk: &'a Value, key: &str) -> &'a str {
        gvk.get(key).and_then(Value::as_str).unwrap_or("")
    }
    schema
        .get("x-kubernetes-group-version-kind")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|gvk| gvk.is_object())
        .map(|gvk| {
            (
                field(gvk, "group"),
                field(gvk, "version"),
                field(gvk, "kind"),
            )
        })
        .collect()
}

/// The `$ref` of a schema, also when wrapped in `allOf` to keep a description.
fn ref_of(schema: &Value) -> Option<&str> {
    schema.get("$ref").and_then(Value::as_str).or_else(|| {
        schema
            .get("allOf")
            .and_then(Value::as_array)?
            .iter()
            .find_map(ref_of)
    })
}

/// Kubernetes' `resolver.PopulateRefs`: a schema that is a `$ref` becomes the schema it names;
/// properties, `additionalProperties` and `items` are resolved in turn; a reference back to a
/// schema being resolved becomes `{"type": "object"}`.
fn inline_refs(
    schema: &Value,
    schemas: &serde_json::Map<String, Value>,
    visited: &mut BTreeSet<String>,
) -> Value {
    let mut result = schema.clone();
    let mut entered = None;
    if let Some(reference) = ref_of(schema) {
        if visited.contains(reference) {
            return serde_json::json!({"type": "object"});
        }
        let name = reference.strip_prefix(REF_PREFIX).unwrap_or(reference);
        // A reference to nothing stays as it is; Kubernetes fails the fetch.
        let Some(resolved) = schemas.get(name) else {
            return result;
        };
        visited.insert(reference.to_owned());
        entered = Some(reference.to_owned());
        result = resolved.clone();
    }
    if let Some(properties) = result.get_mut("properties").and_then(Value::as_object_mut) {
        for property in properties.values_mut() {
            *property = inline_refs(property, schemas, visited);
        }
    }
    for key in ["additionalProperties", "items"] {
        if let Some(child) = result.get_mut(key).filter(|child| child.is_object()) {
            *child = inline_refs(child, schemas, visited);
        }
    }
    if let Some(reference) = entered {
        visited.remove(&reference);
    }
    result
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schemas(documents: Vec<Value>) -> Schemas {
        let dir = tempfile::tempdir().unwrap();
        for (index, document) in documents.iter().enumerate() {
            std::fs::write(
                dir.path().join(format!("{index}.json")),
                document.to_string(),
            )
            .unwrap();
        }
        Schemas::load(dir.path()).unwrap()
    }

    #[test]
    fn a_kind_is_found_with_its_refs_inlined_and_cycles_cut() {
        let document = json!({"components": {"schemas": {
            "io.example.v1.Widget": {
                "x-kubernetes-group-version-kind": [{"group": "example.io", "version": "v1", "kind": "Widget"}],
                "properties": {
                    "spec": {"allOf": [{"$ref": "#/components/schemas/io.example.v1.Spec"}], "description": "dropped"},
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/io.example.v1.Widget"}}
                }
            },
            "io.example.v1.Spec": {"type": "object", "properties": {"size": {"type": "integer"}}}
        }}});
        let schemas = schemas(vec![document]);
        assert_eq!(
            schemas.fetch("example.io/v1", "Widget").unwrap(),
            Some(json!({
                "x-kubernetes-group-version-kind": [{"group": "example.io", "version": "v1", "kind": "Widget"}],
                "properties": {
                    "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
                    "items": {"type": "array", "items": {"type": "object"}}
                }
            }))
        );
        assert_eq!(schemas.fetch("example.io/v1", "Gadget").unwrap(), None);
        assert_eq!(schemas.fetch("other.io/v1", "Widget").unwrap(), None);
        assert_eq!(
            schemas.fetch("a/b/c", "Widget").unwrap_err().to_string(),
            "apiVersion \"a/b/c\" is not GROUP/VERSION or VERSION"
        );
    }
}
