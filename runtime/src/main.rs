//! The `function-wasmtime` binary: parse, run, print the error chain, exit.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = function_wasmtime::cli::Cli::parse();
    match cli.execute() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!(
                "function-wasmtime: {}",
                function_wasmtime::error_chain(error.as_ref())
            );
            ExitCode::FAILURE
        }
    }
}
