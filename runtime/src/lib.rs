//! function-wasmtime: a Crossplane composition function whose logic runs in sandboxed
//! WebAssembly modules.
//!
//! # The journey of a request
//! [`server`] receives `RunFunction` bytes over gRPC (v1 or v1beta1) → [`step::StepRunner`] decodes
//! them and validates the step [`input`] → [`modules::ModuleRegistry`] finds the module (bundled,
//! `--modules-dir`, or inline), checks its sha256 pin and compiles it once → [`host::Host`] runs it in
//! a fresh sandboxed instance under limits → the step checks the module's response, echoes the tag,
//! sets the TTL and encodes it → back to the server. Any failure on the way is a FATAL result that
//! carries the request's desired state and context unchanged.
//!
//! The guest ABI is in `docs/ABI.md`; flags, ports and limits in `docs/operations.md`.

pub mod cli;
mod file_error;
pub mod input;
pub mod inspect;
pub mod metrics;
pub mod modules;
pub mod package;
pub mod render;
pub mod scaffold;
pub mod server;
pub mod step;
pub mod transcode;

/// The WebAssembly host, a crate of its own (`host/`): it knows nothing of gRPC or Crossplane.
pub use xfn_host as host;
/// Durations and quantities as Kubernetes users write them, which the host's limits are made of.
pub use xfn_host::units;

pub use file_error::FileError;

/// An error and its sources, joined with ": ", as one message: how the edges (FATAL results,
/// `main`, render's report of a Function it cannot reach) print a failure, and how messages that
/// carry a library's error as their cause print it. A source whose text repeats the previous one
/// (libraries that wrap and also print their cause) is said once.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}
