//! `function-wasmtime module inspect|check|compile`: a module looked at outside the server, taken
//! from a file, a bundled module's name or an OCI reference.
//!
//! `inspect` prints what the host sees (its ABI kind, exports, imports, size, digest); `check`
//! runs it once as the server would, on a sample request or a given one; `compile` writes its
//! compiled code in the form `package build` ships and the server verifies at load.

mod check;
mod report;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use check::{Checked, check};
pub use report::report;

use crate::FileError;
use crate::host::{self, Host, HostConfig, Limits, ModuleId};
use crate::modules::oci::{self, OciRef, PullConfig, RegistryAccess};
use crate::modules::{bundled_names, sha256_hex, write_compiled};

/// Why a module could not be looked at.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The argument is neither a file, nor a bundled module, nor a reference.
    #[error(
        "{text:?} is neither a file, a bundled module ({}), nor an OCI reference (host[:port]/repository:tag or @sha256:<digest>)",
        bundled.join(", ")
    )]
    NotAModule {
        /// The argument.
        text: String,
        /// The bundled modules' names.
        bundled: Vec<&'static str>,
    },
    /// A file or directory cannot be read or written.
    #[error(transparent)]
    File(#[from] FileError),
    /// The reference could not be pulled.
    #[error(transparent)]
    Pull(Arc<oci::Error>),
    /// The module could not be resolved or prepared as the server would.
    #[error(transparent)]
    Module(#[from] crate::modules::Error),
    /// The engine could not start, or the module does not compile.
    #[error(transparent)]
    Host(#[from] host::Error),
    /// `--request` is not a RunFunctionRequest.
    #[error("--request {}: not a RunFunctionRequest in YAML or JSON: {problem}", path.display())]
    Request {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// Results of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a module comes from, as the `module` commands take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleArg {
    /// A `.wasm` file.
    File(PathBuf),
    /// A module bundled in this binary.
    Bundled(String),
    /// A module published to a registry.
    Oci(OciRef),
}

impl ModuleArg {
    /// Reads `text` as an existing file first, then an OCI reference, then a bundled name.
    ///
    /// # Errors
    /// [`Error::NotAModule`] when it is none of them.
    pub fn parse(text: &str) -> Result<ModuleArg> {
        if Path::new(text).is_file() {
            return Ok(ModuleArg::File(PathBuf::from(text)));
        }
        if OciRef::is_reference_like(text) {
            return text
                .parse()
                .map(ModuleArg::Oci)
                .map_err(|_| not_a_module(text));
        }
        if bundled_names().contains(&text) {
            return Ok(ModuleArg::Bundled(text.to_owned()));
        }
        Err(not_a_module(text))
    }
}

fn not_a_module(text: &str) -> Error {
    Error::NotAModule {
        text: text.to_owned(),
        bundled: bundled_names(),
    }
}

/// A module's bytes and how messages name it.
pub struct Loaded {
    /// The module's name: the file's stem, the bundled name, or the reference (with the digest a
    /// tag resolved to).
    pub name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Their sha256, hex.
    pub sha256: String,
}

/// Reads, finds or pulls the module `arg` names; a tag is resolved (tools need no pin).
///
/// # Errors
/// [`Error::File`], [`Error::Pull`].
pub async fn load(arg: &ModuleArg, access: &RegistryAccess) -> Result<Loaded> {
    let (name, bytes) = match arg {
        ModuleArg::File(path) => {
            let bytes = std::fs::read(path).map_err(FileError::read(path))?;
            (file_name(path), bytes)
        }
        ModuleArg::Bundled(name) => (
            name.clone(),
            crate::modules::bundled_bytes(name)
                .expect("ModuleArg::parse checked the name")
                .to_vec(),
        ),
        ModuleArg::Oci(reference) => {
            let (name, bytes) = oci::pull(reference, tool_pulls(access))
                .await
                .map_err(Error::Pull)?;
            (name, bytes.to_vec())
        }
    };
    Ok(Loaded {
        sha256: sha256_hex(&bytes),
        name,
        bytes,
    })
}

/// How the tools pull: as configured, tags allowed, nothing kept on disk.
fn tool_pulls(access: &RegistryAccess) -> PullConfig {
    PullConfig {
        access: access.clone(),
        is_unpinned_allowed: true,
        ..PullConfig::default()
    }
}

/// A module name for a file: its stem when that is a valid name, else `module`.
fn file_name(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .filter(|stem| crate::input::is_module_name(stem))
        .unwrap_or_else(|| "module".to_owned())
}

/// A host sized as `serve` sizes it by default, for one call at a time: the engine whose
/// compiled code `serve` accepts.
fn host() -> Result<Host> {
    Ok(Host::new(HostConfig {
        maxima: Limits::DEFAULT_MAXIMA,
        max_concurrency: 1,
    })?)
}

/// Compiles `module` with the engine `serve` uses and writes the code to `output` as the server
/// verifies it at load (the code, then its sha256); returns the module's sha256, hex.
///
/// # Errors
/// [`Error::Host`] when it does not compile, [`Error::File`].
pub fn compile(module: &Loaded, output: &Path) -> Result<String> {
    let host = host()?;
    let id = ModuleId {
        name: module.name.clone(),
        digest: module.sha256.clone(),
    };
    let compiled = host.compile(&id, &module.bytes)?;
    write_compiled(output, &compiled).map_err(FileError::write(output))?;
    Ok(module.sha256.clone())
}
