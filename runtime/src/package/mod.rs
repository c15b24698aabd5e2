//! `function-wasmtime package build`: a Crossplane function package (`.xpkg`) without Docker.
//!
//! The package is an image of three layers on an empty base, bottom first:
//! 1. `/function-wasmtime`, the statically linked runtime (its bundled modules are inside it);
//! 2. `/modules`: `NAME.wasm` for each `--module NAME=FILE|REF` (a reference is pulled at build
//!    time), `modules.json` listing name → sha256 and source, and `precompiled/<sha256>.cwasm`
//!    for every module, bundled ones included, compiled by the packaged binary itself;
//! 3. `/package.yaml`, the linted package root as one YAML stream, labelled
//!    `io.crossplane.xpkg:<digest>: base` as `crossplane xpkg build` labels it.
//!
//! The config runs `/function-wasmtime serve` as uid 65532 with
//! `FUNCTION_WASMTIME_MODULES_DIR=/modules`, exposing 9443. Everything is deterministic (sorted
//! entries, uid/gid 0, one fixed mtime, no timestamps in the config), so the same inputs give the
//! same bytes and the same digest.

mod archive;
mod binary;
mod contents;
mod error;
mod image;
mod layers;
mod modules;

use std::path::{Path, PathBuf};

pub use error::{Error, Result};
pub use modules::{ModuleSource, UserModule};

use self::contents::Contents;
use self::image::{ImageLayer, MODULES_DIR};
use self::layers::{Entry, Layer};
use self::modules::{PackedModule, Precompiled};
use crate::FileError;
use crate::modules::oci::RegistryAccess;
use crate::modules::{PACKAGED_MODULES_FILE, PRECOMPILED_DIR};

/// The runtime binary `package build` uses unless told otherwise, relative to the workspace.
pub const DEFAULT_BINARY: &str = "target/x86_64-unknown-linux-musl/release/function-wasmtime";

/// What to build a package from.
#[derive(Clone, Debug)]
pub struct BuildConfig {
    /// The statically linked runtime binary (x86-64 Linux, e.g. the musl build).
    pub binary: PathBuf,
    /// The directory with `crossplane.yaml` and the Input CRDs.
    pub package_root: PathBuf,
    /// Modules to add under `/modules`.
    pub modules: Vec<UserModule>,
    /// How to reach the registries `modules` name.
    pub registry: RegistryAccess,
    /// The mtime of every file in the package, in seconds since 1970 (0, or `SOURCE_DATE_EPOCH`).
    pub mtime: u64,
}

/// A built package.
#[derive(Debug)]
pub struct Package {
    /// The `.xpkg` file's bytes.
    pub archive: Vec<u8>,
    /// The image digest, `sha256:<hex>`, as `crossplane xpkg build` computes it.
    pub digest: String,
    /// The Function's `metadata.name`.
    pub name: String,
}

impl Package {
    /// The file name `crossplane xpkg build` would give it: `<name>-<12 hex of the digest>.xpkg`.
    pub fn file_name(&self) -> String {
        let hex = self.digest.strip_prefix("sha256:").unwrap_or(&self.digest);
        format!("{}-{}.xpkg", self.name, &hex[..12.min(hex.len())])
    }

    /// Writes the package to `path`.
    ///
    /// # Errors
    /// [`Error::File`] naming the file.
    pub fn write(&self, path: &Path) -> Result<()> {
        Ok(std::fs::write(path, &self.archive).map_err(FileError::write(path))?)
    }
}

/// Builds the package `config` describes, reporting each step to `progress` as one line.
///
/// # Errors
/// A missing or dynamically linked binary, a bad `--module` (name, duplicate, not wasm, not
/// pullable), a module the binary cannot precompile, or a package root that fails the lint, each
/// naming the file or module; see [`Error`].
pub async fn build(config: &BuildConfig, progress: &mut dyn FnMut(String)) -> Result<Package> {
    let runtime = binary::read(&config.binary)?;
    let modules = modules::read(&config.modules, &config.registry).await?;
    let contents = contents::read(&config.package_root)?;
    let precompiled = modules::precompile(&config.binary, &modules)?;

    progress(format!(
        "layer 1/3: /function-wasmtime from {} ({})",
        config.binary.display(),
        mebibytes(runtime.len())
    ));
    let runtime_layer = Layer::new(
        &[Entry::File {
            path: "function-wasmtime",
            mode: 0o755,
            bytes: &runtime,
        }],
        config.mtime,
    );

    let modules_layer = modules_layer(&modules, &precompiled, config.mtime, progress);
    let package_layer = package_layer(&config.package_root, &contents, config.mtime, progress);

    let layers = [
        ImageLayer {
            layer: runtime_layer,
            created_by: "function-wasmtime package build: /function-wasmtime".to_owned(),
        },
        ImageLayer {
            layer: modules_layer,
            created_by: format!("function-wasmtime package build: {MODULES_DIR}"),
        },
        ImageLayer {
            layer: package_layer,
            created_by: "function-wasmtime package build: /package.yaml".to_owned(),
        },
    ];
    let config_blob = image::config(&layers, &layers[2].layer);
    let digest = image::digest(&config_blob, &layers);
    Ok(Package {
        archive: archive::archive(&config_blob, &layers, config.mtime),
        digest,
        name: contents.name,
    })
}

/// The `/modules` layer: `NAME.wasm` for each user module, the list of packaged modules and
/// every precompiled module; reported to `progress`.
fn modules_layer(
    modules: &[PackedModule],
    precompiled: &[Precompiled],
    mtime: u64,
    progress: &mut dyn FnMut(String),
) -> Layer {
    let dir = dir_entry(MODULES_DIR);
    let precompiled_dir = format!("{dir}/{PRECOMPILED_DIR}");
    let module_paths: Vec<String> = modules
        .iter()
        .map(|module| format!("{dir}/{}.wasm", module.name))
        .collect();
    let code_paths: Vec<String> = precompiled
        .iter()
        .map(|code| format!("{precompiled_dir}/{}.cwasm", code.sha256))
        .collect();
    let list_path = format!("{dir}/{PACKAGED_MODULES_FILE}");
    let list = modules::list(modules).to_json();
    let mut module_entries = vec![
        Entry::Dir { path: dir },
        Entry::Dir {
            path: &precompiled_dir,
        },
        Entry::File {
            path: &list_path,
            mode: 0o644,
            bytes: &list,
        },
    ];
    module_entries.extend(
        module_paths
            .iter()
            .zip(modules)
            .map(|(path, module)| Entry::File {
                path,
                mode: 0o644,
                bytes: &module.bytes,
            }),
    );
    module_entries.extend(
        code_paths
            .iter()
            .zip(precompiled)
            .map(|(path, code)| Entry::File {
                path,
                mode: 0o644,
                bytes: &code.code,
            }),
    );
    progress(format!(
        "layer 2/3: {MODULES_DIR} with {}, {PACKAGED_MODULES_FILE} and {} precompiled module(s) (bundled ones included)",
        if modules.is_empty() {
            "no user modules (the bundled ones are in the binary)".to_owned()
        } else {
            module_paths.join(", ")
        },
        precompiled.len()
    ));
    Layer::new(&module_entries, mtime)
}

/// The `/package.yaml` layer, from the package root's files; reported to `progress`.
fn package_layer(
    package_root: &Path,
    contents: &Contents,
    mtime: u64,
    progress: &mut dyn FnMut(String),
) -> Layer {
    progress(format!(
        "layer 3/3: /package.yaml: Function {:?} and {} CustomResourceDefinition(s) from {}",
        contents.name,
        contents.crds,
        contents
            .files
            .iter()
            .map(|file| package_root.join(file).display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Layer::new(
        &[Entry::File {
            path: "package.yaml",
            mode: 0o644,
            bytes: contents.yaml.as_bytes(),
        }],
        mtime,
    )
}

/// The path of a directory inside a layer: absolute in the image, relative in the tar.
fn dir_entry(image_path: &str) -> &str {
    image_path.trim_start_matches('/')
}

fn mebibytes(bytes: usize) -> String {
    let mib = bytes as f64 / (1024.0 * 1024.0);
    format!("{mib:.1} MiB")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(name: &str, path: &Path) -> UserModule {
        UserModule {
            name: name.to_owned(),
            source: ModuleSource::File(path.to_owned()),
        }
    }

    fn error(modules: &[UserModule]) -> String {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let read = runtime.block_on(modules::read(modules, &RegistryAccess::default()));
        read.map(|_| ()).expect_err("refused").to_string()
    }

    #[test]
    fn module_flags_are_validated_before_anything_is_read() {
        let wasm = tempfile::NamedTempFile::new().expect("a file");
        std::fs::write(wasm.path(), b"\0asm\x01\0\0\0").expect("write");
        assert_eq!(
            error(&[module("../etc", wasm.path())]),
            "--module \"../etc\": not a module name; use lowercase letters, digits, '-', '_' and '.', starting with a letter or digit"
        );
        assert_eq!(
            error(&[module("hello", wasm.path())]),
            format!(
                "--module \"hello\": a bundled module has this name and would always win ({}); choose another name",
                crate::modules::bundled_names().join(", ")
            )
        );
        assert_eq!(
            error(&[module("a", wasm.path()), module("a", wasm.path())]),
            "--module \"a\" is given twice; each module needs its own name"
        );
    }

    #[test]
    fn a_module_file_that_is_not_wasm_is_named() {
        let text = tempfile::NamedTempFile::new().expect("a file");
        std::fs::write(text.path(), b"(module)").expect("write");
        assert_eq!(
            error(&[module("wat", text.path())]),
            format!(
                "--module wat={}: not a WebAssembly module (it does not start with \\0asm version 1); pass a .wasm built for wasm32-wasip1",
                text.path().display()
            )
        );
        assert_eq!(
            error(&[module("gone", Path::new("/nonexistent/gone.wasm"))]),
            "cannot read /nonexistent/gone.wasm"
        );
    }

    #[test]
    fn the_file_name_is_the_function_name_and_12_hex_of_the_digest() {
        let package = Package {
            archive: Vec::new(),
            digest: format!("sha256:{}", "0123456789abcdef".repeat(4)),
            name: "function-wasmtime".to_owned(),
        };
        assert_eq!(package.file_name(), "function-wasmtime-0123456789ab.xpkg");
    }
}
