//! `package.yaml`: the package root's YAML as one stream, linted as Crossplane lints a Function
//! package (`NewFunctionLinter`: exactly one meta `Function`, only CustomResourceDefinitions besides).
//!
//! `crossplane.yaml` comes first, then every other non-empty `*.yaml`/`*.yml` under the root in
//! path order, each after a `---` line. The files are copied as written (comments included), so the
//! stream parses to the same objects `crossplane xpkg build` would encode.

use std::path::{Path, PathBuf};

use serde::Deserialize as _;
use serde_yaml_ng::Value;

use super::error::{Error, Result};
use crate::FileError;

/// The file holding the package metadata, at the package root.
pub(crate) const META_FILE: &str = "crossplane.yaml";

/// API versions of the package metadata a Function package may use (v1 since Crossplane 1.17).
const META_API_VERSIONS: [&str; 2] = [
    "meta.pkg.crossplane.io/v1",
    "meta.pkg.crossplane.io/v1beta1",
];

/// API versions of CustomResourceDefinitions Crossplane's package parser knows.
const CRD_API_VERSIONS: [&str; 2] = ["apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1"];

/// The linted `package.yaml` stream.
#[derive(Debug)]
pub(crate) struct Contents {
    /// The stream, as stored in the package layer.
    pub(crate) yaml: String,
    /// `metadata.name` of the Function, e.g. `function-wasmtime`.
    pub(crate) name: String,
    /// The files it was made from, relative to the package root, `crossplane.yaml` first.
    pub(crate) files: Vec<PathBuf>,
    /// How many CustomResourceDefinitions it holds.
    pub(crate) crds: usize,
}

/// Reads and lints the package root `root`.
///
/// # Errors
/// [`Error::MetaMissing`], [`Error::File`], [`Error::Yaml`] or [`Error::Lint`], each naming the
/// file (and the document within it).
pub(crate) fn read(root: &Path) -> Result<Contents> {
    let meta_path = root.join(META_FILE);
    let meta_text = std::fs::read_to_string(&meta_path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Error::MetaMissing {
            path: meta_path.clone(),
        },
        _ => FileError::Read {
            path: meta_path.clone(),
            source,
        }
        .into(),
    })?;
    let name = lint_meta(&meta_path, &meta_text)?;
    let mut contents = Contents {
        yaml: String::new(),
        name,
        files: vec![PathBuf::from(META_FILE)],
        crds: 0,
    };
    append(&mut contents.yaml, &meta_text);
    let mut others = Vec::new();
    find_yaml(root, &mut others)?;
    others.sort();
    for path in others {
        if path == meta_path {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(FileError::read(&path))?;
        if text.trim().is_empty() {
            continue;
        }
        contents.crds += lint_objects(&path, &text)?;
        append(&mut contents.yaml, &text);
        contents.files.push(
            path.strip_prefix(root)
                .map_or_else(|_| path.clone(), Path::to_owned),
        );
    }
    Ok(contents)
}

/// Adds one file to the stream after a `---` line, without repeating a leading `---` of its own.
fn append(stream: &mut String, text: &str) {
    stream.push_str("---\n");
    stream.push_str(text.strip_prefix("---\n").unwrap_or(text));
    if !text.ends_with('\n') {
        stream.push('\n');
    }
}

/// Every `*.yaml` and `*.yml` file under `dir`, recursively.
fn find_yaml(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(FileError::read(dir))? {
        let path = entry.map_err(FileError::read(dir))?.path();
        if path.is_dir() {
            find_yaml(&path, found)?;
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            found.push(path);
        }
    }
    Ok(())
}

/// The non-empty documents of `text`, numbered from 1 as they appear.
fn documents(path: &Path, text: &str) -> Result<Vec<(usize, Value)>> {
    let mut documents = Vec::new();
    for (index, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(document).map_err(|source| Error::Yaml {
            path: path.to_owned(),
            document: index + 1,
            source,
        })?;
        if !value.is_null() {
            documents.push((index + 1, value));
        }
    }
    Ok(documents)
}

fn type_of(value: &Value) -> (&str, &str) {
    let field = |name: &str| value.get(name).and_then(Value::as_str).unwrap_or("");
    (field("apiVersion"), field("kind"))
}

/// Checks that `crossplane.yaml` holds exactly one meta Function named `function-…`; its name.
fn lint_meta(path: &Path, text: &str) -> Result<String> {
    let lint = |document, problem: String| Error::Lint {
        path: path.to_owned(),
        document,
        problem,
    };
    let documents = documents(path, text)?;
    let [(document, meta)] = documents.as_slice() else {
        return Err(lint(
            documents.get(1).map_or(1, |(number, _)| *number),
            format!(
                "{META_FILE} must hold exactly one document, the meta.pkg.crossplane.io/v1 Function; found {}",
                documents.len()
            ),
        ));
    };
    let (api_version, kind) = type_of(meta);
    if !META_API_VERSIONS.contains(&api_version) || kind != "Function" {
        return Err(lint(
            *document,
            format!(
                "is {api_version:?} {kind:?}; a function package's {META_FILE} is apiVersion meta.pkg.crossplane.io/v1, kind Function"
            ),
        ));
    }
    let name = meta
        .get("metadata")
        .and_then(|metadata| metadata.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if !name.starts_with("function-") {
        return Err(lint(
            *document,
            format!(
                "metadata.name {name:?} must start with \"function-\" (Crossplane's function spec)"
            ),
        ));
    }
    Ok(name.to_owned())
}

/// Checks that every document of a file other than `crossplane.yaml` is a CustomResourceDefinition;
/// how many there are.
fn lint_objects(path: &Path, text: &str) -> Result<usize> {
    let documents = documents(path, text)?;
    for (document, object) in &documents {
        let (api_version, kind) = type_of(object);
        if !CRD_API_VERSIONS.contains(&api_version) || kind != "CustomResourceDefinition" {
            return Err(Error::Lint {
                path: path.to_owned(),
                document: *document,
                problem: format!(
                    "is {api_version:?} {kind:?}; besides the Function in {META_FILE}, a function package holds only apiextensions.k8s.io CustomResourceDefinitions (its Input types)"
                ),
            });
        }
    }
    Ok(documents.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str =
        "apiVersion: meta.pkg.crossplane.io/v1\nkind: Function\nmetadata:\n  name: function-test\n";
    const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: inputs.test.fn.crossplane.io\n";

    fn root(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        dir
    }

    fn error(files: &[(&str, &str)]) -> String {
        let dir = root(files);
        let message = read(dir.path()).expect_err("a lint error").to_string();
        message.replace(&dir.path().display().to_string(), "ROOT")
    }

    #[test]
    fn the_stream_starts_with_the_meta_then_every_crd_in_path_order() {
        let dir = root(&[
            ("crossplane.yaml", META),
            ("input/b.yaml", CRD),
            ("input/a.yml", &format!("---\n{CRD}---\n{CRD}")),
            ("input/empty.yaml", "\n"),
            ("README.md", "not yaml"),
        ]);
        let contents = read(dir.path()).expect("a valid package");
        assert_eq!(
            contents.yaml,
            format!("---\n{META}---\n{CRD}---\n{CRD}---\n{CRD}")
        );
        assert_eq!(contents.name, "function-test");
        assert_eq!(contents.crds, 3);
        assert_eq!(
            contents.files,
            [
                PathBuf::from("crossplane.yaml"),
                "input/a.yml".into(),
                "input/b.yaml".into()
            ]
        );
    }

    #[test]
    fn a_missing_crossplane_yaml_says_what_the_root_needs() {
        assert_eq!(
            error(&[("input/a.yaml", CRD)]),
            "ROOT/crossplane.yaml not found; the package root needs a crossplane.yaml with the meta.pkg.crossplane.io Function (or pass --package-root)"
        );
    }

    #[test]
    fn an_object_that_is_not_a_crd_is_named_with_its_file_and_document() {
        assert_eq!(
            error(&[
                ("crossplane.yaml", META),
                (
                    "extra.yaml",
                    &format!("{CRD}---\napiVersion: v1\nkind: ConfigMap\n")
                )
            ]),
            "ROOT/extra.yaml: document 2: is \"v1\" \"ConfigMap\"; besides the Function in crossplane.yaml, a function package holds only apiextensions.k8s.io CustomResourceDefinitions (its Input types)"
        );
    }

    #[test]
    fn a_second_function_is_refused() {
        assert_eq!(
            error(&[("crossplane.yaml", &format!("{META}---\n{META}"))]),
            "ROOT/crossplane.yaml: document 2: crossplane.yaml must hold exactly one document, the meta.pkg.crossplane.io/v1 Function; found 2"
        );
    }

    #[test]
    fn a_meta_of_another_kind_or_name_is_refused() {
        assert_eq!(
            error(&[(
                "crossplane.yaml",
                "apiVersion: meta.pkg.crossplane.io/v1\nkind: Provider\n"
            )]),
            "ROOT/crossplane.yaml: document 1: is \"meta.pkg.crossplane.io/v1\" \"Provider\"; a function package's crossplane.yaml is apiVersion meta.pkg.crossplane.io/v1, kind Function"
        );
        assert_eq!(
            error(&[(
                "crossplane.yaml",
                &META.replace("function-test", "wasmtime")
            )]),
            "ROOT/crossplane.yaml: document 1: metadata.name \"wasmtime\" must start with \"function-\" (Crossplane's function spec)"
        );
    }

    #[test]
    fn yaml_syntax_errors_name_the_file_and_document() {
        let dir = root(&[
            ("crossplane.yaml", META),
            ("bad.yaml", &format!("{CRD}---\nkind: [\n")),
        ]);
        let error = read(dir.path()).expect_err("a syntax error");
        assert!(
            matches!(&error, Error::Yaml { document: 2, .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "{}: document 2 is not valid YAML",
                dir.path().join("bad.yaml").display()
            )
        );
    }
}
