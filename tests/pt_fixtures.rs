//! The patch-and-transform conformance fixtures of `tests/fixtures/pt`: whole requests in, the
//! whole responses upstream returns. Read by the conformance test (against our module) and by the
//! differential test (against upstream itself).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::root;

/// Where the fixtures live; `pending/` below it holds the known divergences.
pub fn fixtures_dir() -> PathBuf {
    root().join("tests/fixtures/pt")
}

/// One conformance case as read from a fixture file.
pub struct Case {
    /// The file, relative to the workspace root.
    pub file: String,
    /// Unique across all files; also the request's `meta.tag`.
    pub name: String,
    /// What upstream test or source it mirrors.
    pub upstream: String,
    /// A protojson RunFunctionRequest whose `input` is the P&T `Resources` object.
    pub request: Value,
    /// The whole protojson RunFunctionResponse upstream returns.
    pub expected: Value,
}

/// Reads every case of every `*.yaml` file directly in `dir`, sorted by file name; none when
/// `dir` does not exist.
///
/// # Panics
///
/// When a file cannot be read or a case is malformed; the message names the file and case.
pub fn load_cases(dir: &Path) -> Vec<Case> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|entry| entry.expect("the fixture directory is readable").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(error) => panic!("cannot read {}: {error}", dir.display()),
    };
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let file = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("cannot read {file}: {error}"));
        let list: Vec<Value> = serde_yaml_ng::from_str(&text)
            .unwrap_or_else(|error| panic!("{file} is not a YAML list of cases: {error}"));
        for (index, value) in list.into_iter().enumerate() {
            cases.push(parse_case(&file, index, value));
        }
    }
    cases
}

/// Checks a case's shape: exactly the four keys, with a name and a reference to upstream.
fn parse_case(file: &str, index: usize, value: Value) -> Case {
    let Value::Object(mut fields) = value else {
        panic!("{file}: case {index} is not a mapping");
    };
    let mut take = |key: &str| {
        fields
            .remove(key)
            .unwrap_or_else(|| panic!("{file}: case {index} has no `{key}`"))
    };
    let name = take("name");
    let upstream = take("upstream");
    let request = take("request");
    let expected = take("expected");
    let (Value::String(name), Value::String(upstream)) = (name, upstream) else {
        panic!("{file}: case {index}: `name` and `upstream` must be strings");
    };
    if let Some(key) = fields.keys().next() {
        panic!(
            "{file}: case {name}: unknown key `{key}` (a case has name, upstream, request, expected)"
        );
    }
    Case {
        file: file.to_owned(),
        name,
        upstream,
        request,
        expected,
    }
}
