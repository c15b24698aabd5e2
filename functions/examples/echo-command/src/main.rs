//! `echo-command`: an example WASI command module, the compatibility ABI.
//!
//! It reads the request JSON from stdin and writes a response to stdout that keeps the desired
//! state and context, echoes the tag, and adds one Normal result counting the observed composed
//! resources. It writes one line to stderr, which the host turns into a log line.
//!
//! If the step's config (the request's `input`) sets `exitCode` to an integer, it writes
//! `exiting with <code> as asked` to stderr and exits with that code without writing a
//! response: a way to see what the host does with a failing command. WASI exit codes must be
//! below 126.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use serde_json::Value;
use xfn_sdk::{Request, Response};

/// Exit code for a request that cannot be read or a response that cannot be written.
const EXIT_FAILURE: u8 = 1;

/// Exit code when `input.exitCode` is not an integer between 0 and 125.
const EXIT_BAD_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let mut request = Vec::new();
    if let Err(error) = io::stdin().read_to_end(&mut request) {
        eprintln!("echo-command: cannot read the request from stdin: {error}");
        return ExitCode::from(EXIT_FAILURE);
    }
    let req: Request = match serde_json::from_slice(&request) {
        Ok(req) => req,
        Err(error) => {
            eprintln!("echo-command: stdin is not a RunFunctionRequest: {error}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };

    if let Some(code) = req.input().and_then(|input| input.get("exitCode")) {
        return match exit_code(code) {
            Some(code) => {
                eprintln!("exiting with {code} as asked");
                ExitCode::from(code)
            }
            None => {
                eprintln!(
                    "echo-command: input.exitCode is {code}, not an integer from 0 to 125; \
                     set it to the exit code wanted"
                );
                ExitCode::from(EXIT_BAD_CONFIG)
            }
        };
    }

    let observed = req.observed_resources().len();
    let mut rsp = Response::from_request(&req);
    rsp.normal(format!(
        "echo-command saw {observed} observed composed resources"
    ));
    eprintln!(
        "echo-command: tag {:?}, {observed} observed composed resources",
        req.tag()
    );

    let mut stdout = io::stdout().lock();
    let written = serde_json::to_writer(&mut stdout, &rsp)
        .map_err(io::Error::from)
        .and_then(|()| stdout.flush());
    if let Err(error) = written {
        eprintln!("echo-command: cannot write the response to stdout: {error}");
        return ExitCode::from(EXIT_FAILURE);
    }
    ExitCode::SUCCESS
}

/// `value` as a WASI exit code: an integer from 0 to 125 (WASI reserves 126 and up).
fn exit_code(value: &Value) -> Option<u8> {
    value
        .as_u64()
        .and_then(|code| u8::try_from(code).ok())
        .filter(|code| *code < 126)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::exit_code;

    #[test]
    fn exit_codes_are_integers_below_126() {
        assert_eq!(exit_code(&json!(3)), Some(3));
        assert_eq!(exit_code(&json!(0)), Some(0));
        assert_eq!(exit_code(&json!(126)), None);
        assert_eq!(exit_code(&json!(-1)), None);
        assert_eq!(exit_code(&json!(1.5)), None);
        assert_eq!(exit_code(&json!("3")), None);
    }
}
