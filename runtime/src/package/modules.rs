//! The modules a package carries: each `--module NAME=FILE|REF` read or pulled at build time,
//! and every module, the bundled ones too, precompiled by the packaged binary itself
//! (`module compile`), so its engine is the one that loads the code, and a pod serves at once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::error::{Error, Result};
use crate::FileError;
use crate::input::is_module_name;
use crate::modules::oci::{self, OciRef, PullConfig, RegistryAccess};
use crate::modules::{PackagedModule, PackagedModules, bundled_names, sha256_hex};

/// Where a `--module` comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleSource {
    /// A `.wasm` file.
    File(PathBuf),
    /// An OCI reference, pulled at build time (a tag is resolved; the manifest digest is recorded).
    Oci(OciRef),
}

/// A module to put in the image: `--module NAME=FILE|REF`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserModule {
    /// The name a step's `module:` uses; the file becomes `/modules/NAME.wasm`.
    pub name: String,
    /// Where it comes from.
    pub source: ModuleSource,
}

/// A module read or pulled, ready to pack.
pub(crate) struct PackedModule {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
    /// The file, or the reference with the digest it resolved to.
    pub(crate) source: String,
}

/// Compiled code for the module with `sha256` (hex), in the form the server verifies at load.
pub(crate) struct Precompiled {
    pub(crate) sha256: String,
    pub(crate) code: Vec<u8>,
}

/// Validates the `--module` flags, then reads or pulls each module; sorted by name.
///
/// # Errors
/// A bad or repeated name, a name a bundled module has, a file that cannot be read or is not a
/// core wasm module, a reference that cannot be pulled.
pub(crate) async fn read(
    modules: &[UserModule],
    access: &RegistryAccess,
) -> Result<Vec<PackedModule>> {
    let bundled = bundled_names();
    let mut packed: Vec<PackedModule> = Vec::with_capacity(modules.len());
    for UserModule { name, source } in modules {
        if !is_module_name(name) {
            return Err(Error::ModuleName { name: name.clone() });
        }
        if bundled.contains(&name.as_str()) {
            return Err(Error::ModuleShadowed {
                name: name.clone(),
                bundled,
            });
        }
        if packed.iter().any(|seen| seen.name == *name) {
            return Err(Error::ModuleTwice { name: name.clone() });
        }
        let (bytes, source) = match source {
            ModuleSource::File(path) => (
                std::fs::read(path).map_err(FileError::read(path))?,
                path.display().to_string(),
            ),
            ModuleSource::Oci(reference) => {
                let config = PullConfig {
                    access: access.clone(),
                    is_unpinned_allowed: true,
                    ..PullConfig::default()
                };
                let (resolved, bytes) =
                    oci::pull(reference, config)
                        .await
                        .map_err(|cause| Error::Pull {
                            name: name.clone(),
                            cause,
                        })?;
                (bytes.to_vec(), resolved)
            }
        };
        // A core module: the magic `\0asm`, then version 1 (components have other version bytes).
        if !bytes.starts_with(b"\0asm\x01\0\0\0") {
            return Err(Error::NotWasm {
                name: name.clone(),
                from: source,
            });
        }
        packed.push(PackedModule {
            name: name.clone(),
            bytes,
            source,
        });
    }
    packed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(packed)
}

/// The list `serve` and people read: name → sha256 and source.
pub(crate) fn list(modules: &[PackedModule]) -> PackagedModules {
    PackagedModules {
        modules: modules
            .iter()
            .map(|module| PackagedModule {
                name: module.name.clone(),
                sha256: format!("sha256:{}", sha256_hex(&module.bytes)),
                source: module.source.clone(),
            })
            .collect(),
    }
}

/// Compiles the bundled modules and `modules` with `binary module compile`, all at once (each
/// compile is one process on one core), in a directory of its own; one entry per distinct module.
///
/// # Errors
/// [`Error::Precompile`] with what the binary said when a compile fails.
pub(crate) fn precompile(binary: &Path, modules: &[PackedModule]) -> Result<Vec<Precompiled>> {
    let dir = tempfile::tempdir().map_err(FileError::write(std::env::temp_dir()))?;
    // The compiles run in `dir`, where a relative path (the default `--binary`) means nothing.
    let program = std::path::absolute(binary).map_err(FileError::read(binary))?;
    let mut arguments: Vec<String> = bundled_names().into_iter().map(str::to_owned).collect();
    for module in modules {
        let path = dir.path().join(format!("{}.wasm", module.name));
        std::fs::write(&path, &module.bytes).map_err(FileError::write(&path))?;
        arguments.push(path.display().to_string());
    }
    let children = arguments
        .iter()
        .enumerate()
        .map(|(index, argument)| {
            let output = dir.path().join(format!("{index}.cwasm"));
            let child = Command::new(&program)
                .args(["module", "compile", argument, "-o"])
                .arg(&output)
                .current_dir(dir.path())
                .env_clear()
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(FileError::read(binary))?;
            Ok((argument, output, child))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut compiled: Vec<Precompiled> = Vec::with_capacity(children.len());
    for (argument, output, child) in children {
        let result = child.wait_with_output().map_err(FileError::read(binary))?;
        let stdout = String::from_utf8_lossy(&result.stdout);
        let sha256 = stdout.trim().strip_prefix("sha256:").map(str::to_owned);
        let Some(sha256) = sha256.filter(|_| result.status.success()) else {
            return Err(Error::Precompile {
                binary: binary.to_owned(),
                module: argument.clone(),
                said: String::from_utf8_lossy(&result.stderr).trim().to_owned(),
            });
        };
        if compiled.iter().any(|seen| seen.sha256 == sha256) {
            continue;
        }
        let code = std::fs::read(&output).map_err(FileError::read(&output))?;
        compiled.push(Precompiled { sha256, code });
    }
    compiled.sort_by(|a, b| a.sha256.cmp(&b.sha256));
    Ok(compiled)
}
