//! `function-wasmtime module push|inspect|check|compile`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use super::registry::RegistryArgs;
use crate::inspect::{self, ModuleArg};
use crate::modules::oci::{self, OciRef};

/// Subcommands of `module`.
#[derive(Debug, Subcommand)]
pub enum ModuleCommand {
    /// Write a working module project in DIR: build script, handler, sample request, README.
    New(crate::scaffold::NewCommand),
    /// Publish a .wasm file as a Wasm OCI artifact (CNCF layout); prints the manifest digest,
    /// sha256:…, that pins it.
    Push(PushCommand),
    /// Print what the host sees in a module: ABI kind, exports, imports, size, digest.
    Inspect(InspectCommand),
    /// Run a module once as the server would, on a sample request or --request, and print the
    /// response; exits 1 with the FATAL message when the step fails.
    Check(CheckCommand),
    /// Compile a module with the engine `serve` uses, to the .cwasm `package build` ships; prints
    /// the module's sha256.
    Compile(CompileCommand),
}

impl ModuleCommand {
    /// Runs the subcommand.
    ///
    /// # Errors
    /// Any failure, for `main` to print.
    pub fn execute(self) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        match self {
            ModuleCommand::New(new) => new.execute(),
            ModuleCommand::Push(push) => runtime.block_on(push.execute()),
            ModuleCommand::Inspect(inspect) => runtime.block_on(inspect.execute()),
            ModuleCommand::Check(check) => runtime.block_on(check.execute()),
            ModuleCommand::Compile(compile) => runtime.block_on(compile.execute()),
        }
    }
}

/// Arguments of `module push`.
#[derive(Debug, Args)]
pub struct PushCommand {
    /// The module (.wasm).
    file: PathBuf,
    /// Where to push it: host[:port]/repository:tag.
    #[arg(value_parser = reference)]
    reference: OciRef,
    /// The artifact's creation time, in seconds since 1970 (the same module and time give the
    /// same digest).
    #[arg(long, env = "SOURCE_DATE_EPOCH", default_value_t = 0)]
    source_date_epoch: u64,
    #[command(flatten)]
    registry: RegistryArgs,
}

impl PushCommand {
    async fn execute(self) -> anyhow::Result<()> {
        let access = self.registry.access()?;
        let module = std::fs::read(&self.file)
            .with_context(|| format!("cannot read {}", self.file.display()))?;
        if !module.starts_with(b"\0asm") {
            bail!(
                "{}: not a WebAssembly module (it does not start with \\0asm); push a .wasm built for wasm32-wasip1",
                self.file.display()
            );
        }
        let created = crate::units::format_rfc3339(self.source_date_epoch);
        let digest = oci::push(&access, &module, &self.reference, created).await?;
        eprintln!("pushed {} to {}", self.file.display(), self.reference);
        println!("{digest}");
        Ok(())
    }
}

/// Arguments of `module inspect`.
#[derive(Debug, Args)]
pub struct InspectCommand {
    /// A .wasm file, a bundled module's name, or an OCI reference.
    #[arg(value_name = "FILE|NAME|REF")]
    module: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

impl InspectCommand {
    async fn execute(self) -> anyhow::Result<()> {
        let access = self.registry.access()?;
        let module = inspect::load(&ModuleArg::parse(&self.module)?, &access).await?;
        print!("{}", inspect::report(&module)?);
        Ok(())
    }
}

/// Arguments of `module check`.
#[derive(Debug, Args)]
pub struct CheckCommand {
    /// A .wasm file, a bundled module's name, or an OCI reference.
    #[arg(value_name = "FILE|NAME|REF")]
    module: String,
    /// A RunFunctionRequest (protojson, as YAML or JSON) to run it on; its `input` becomes the
    /// module's config. Default: an XR with an empty spec.
    #[arg(long, value_name = "REQ.yaml")]
    request: Option<PathBuf>,
    #[command(flatten)]
    registry: RegistryArgs,
}

impl CheckCommand {
    async fn execute(self) -> anyhow::Result<()> {
        let access = self.registry.access()?;
        let arg = ModuleArg::parse(&self.module)?;
        let checked = inspect::check(&arg, self.request.as_deref(), &access).await?;
        print!("{}", checked.yaml);
        match checked.fatal {
            Some(message) => bail!("the step failed: {message}"),
            None => Ok(()),
        }
    }
}

/// Arguments of `module compile`.
#[derive(Debug, Args)]
pub struct CompileCommand {
    /// A .wasm file, a bundled module's name, or an OCI reference.
    #[arg(value_name = "FILE|NAME|REF")]
    module: String,
    /// Where to write the compiled code.
    #[arg(short, long, value_name = "OUT.cwasm")]
    output: PathBuf,
    #[command(flatten)]
    registry: RegistryArgs,
}

impl CompileCommand {
    async fn execute(self) -> anyhow::Result<()> {
        let access = self.registry.access()?;
        let module = inspect::load(&ModuleArg::parse(&self.module)?, &access).await?;
        let sha256 = inspect::compile(&module, &self.output)?;
        println!("sha256:{sha256}");
        Ok(())
    }
}

fn reference(text: &str) -> Result<OciRef, String> {
    text.parse()
}
