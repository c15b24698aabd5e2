//! Why a package could not be built: every variant names the file it is about.

use std::path::PathBuf;
use std::sync::Arc;

/// A failure of `package build`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The runtime binary is not where it was looked for.
    #[error(
        "runtime binary {} not found; build it with `rustup target add x86_64-unknown-linux-musl && cargo build --release --target x86_64-unknown-linux-musl -p function-wasmtime` (Debian also needs `apt-get install musl-tools`), or pass --binary",
        path.display()
    )]
    BinaryMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The runtime binary is not an x86-64 Linux executable.
    #[error(
        "{} is not an x86-64 Linux executable (ELF); pass the x86_64-unknown-linux-musl build of function-wasmtime with --binary",
        path.display()
    )]
    NotLinuxExecutable {
        /// The file.
        path: PathBuf,
    },
    /// The runtime binary needs a dynamic loader, which the image's empty root filesystem lacks.
    #[error(
        "{} is dynamically linked (it asks for {interpreter}), so it cannot run from the package's empty root filesystem; build it with --target x86_64-unknown-linux-musl",
        path.display()
    )]
    DynamicallyLinked {
        /// The file.
        path: PathBuf,
        /// The program interpreter it names.
        interpreter: String,
    },
    /// A `--module` name that a step could not use.
    #[error(
        "--module {name:?}: not a module name; use lowercase letters, digits, '-', '_' and '.', starting with a letter or digit"
    )]
    ModuleName {
        /// The name given.
        name: String,
    },
    /// A `--module` name that a bundled module already has, so the file would never be used.
    #[error(
        "--module {name:?}: a bundled module has this name and would always win ({}); choose another name",
        bundled.join(", ")
    )]
    ModuleShadowed {
        /// The name given.
        name: String,
        /// The bundled modules' names.
        bundled: Vec<&'static str>,
    },
    /// Two `--module` flags with one name.
    #[error("--module {name:?} is given twice; each module needs its own name")]
    ModuleTwice {
        /// The name given twice.
        name: String,
    },
    /// A `--module` that is not a WebAssembly core module.
    #[error(
        "--module {name}={from}: not a WebAssembly module (it does not start with \\0asm version 1); pass a .wasm built for wasm32-wasip1"
    )]
    NotWasm {
        /// The module name.
        name: String,
        /// The file or reference.
        from: String,
    },
    /// A `--module NAME=REF` that could not be pulled.
    #[error("--module {name}: {cause}")]
    Pull {
        /// The module name.
        name: String,
        /// Why, naming the reference.
        cause: Arc<crate::modules::oci::Error>,
    },
    /// The packaged binary could not compile a module.
    #[error(
        "{} cannot precompile {module}: {said}; pass with --binary a build of this source tree",
        binary.display()
    )]
    Precompile {
        /// The binary.
        binary: PathBuf,
        /// The module: a bundled name or a file.
        module: String,
        /// What it printed on stderr.
        said: String,
    },
    /// The package root has no `crossplane.yaml`.
    #[error(
        "{} not found; the package root needs a crossplane.yaml with the meta.pkg.crossplane.io Function (or pass --package-root)",
        path.display()
    )]
    MetaMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A YAML file of the package root does not parse.
    #[error("{}: document {document} is not valid YAML", path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The 1-based document number in the file.
        document: usize,
        /// The parser's complaint.
        #[source]
        source: serde_yaml_ng::Error,
    },
    /// A document the package linter rejects, with what is wrong and what to do.
    #[error("{}: document {document}: {problem}", path.display())]
    Lint {
        /// The file.
        path: PathBuf,
        /// The 1-based document number in the file.
        document: usize,
        /// What is wrong.
        problem: String,
    },
    /// A file or directory cannot be read or written.
    #[error(transparent)]
    File(#[from] crate::FileError),
}

/// Results of building a package.
pub type Result<T, E = Error> = std::result::Result<T, E>;
