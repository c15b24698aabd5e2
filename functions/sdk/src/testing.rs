//! A test harness: runs a handler natively on a request written in YAML, exactly as the module
//! would run it, and compares the response with the one expected, written in YAML or JSON.
//!
//! Enabled by the `testing` feature. A module crate turns it on for its own tests only:
//!
//! ```toml
//! [dependencies]
//! xfn-sdk = "0.1"
//!
//! [dev-dependencies]
//! xfn-sdk = { version = "0.1", features = ["testing"] }
//! ```
//!
//! (or the same with `path = ...`, as the SDK's README describes, until it is published)
//!
//! and tests its handler with `cargo test --target x86_64-unknown-linux-gnu` (or whatever the
//! host's triple is; `rustc -vV` prints it):
//!
//! ```
//! use xfn_sdk::testing::{assert_response_yaml, run_yaml};
//! use xfn_sdk::{Request, Response};
//!
//! fn compose(req: Request) -> Response {
//!     let mut rsp = Response::from_request(&req);
//!     let who = req.observed_composite().and_then(|xr| xr.get_str("spec.who")).unwrap_or("nobody");
//!     rsp.normal(format!("hello, {who}"));
//!     rsp
//! }
//!
//! let rsp = run_yaml(compose, r#"
//! meta: {tag: t1}
//! observed:
//!   composite:
//!     resource: {apiVersion: example.org/v1, kind: XHello, spec: {who: world}}
//! "#);
//! assert_response_yaml(&rsp, r#"
//! meta: {tag: t1}
//! desired: {}
//! results:
//! - {severity: SEVERITY_NORMAL, message: "hello, world"}
//! "#);
//! ```
//!
//! Requests and responses are written in their protojson form (as in `docs/ABI.md`): camelCase
//! names, enums by name (`READY_TRUE`), `ttl: 60s`. Comparisons are on JSON values, so key order
//! and YAML style do not matter, but numbers do: `3` and `3.0` differ, as they would on the wire.

use serde::Deserialize;
use serde_json::Value;

use crate::{HandlerOutput, Outcome, Request, Response, STATUS_OK, run_json};

/// Runs `handler` on the request in `request_yaml` as the module's `xfn_run_v1` would, and
/// returns its response as the host would read it.
///
/// # Panics
/// When `request_yaml` is not YAML or not a `RunFunctionRequest`, or the call fails (a handler
/// `Err`): the message says which, with the module's error text. Use [`run_yaml_outcome`] to
/// test failures.
///
/// # Examples
/// ```
/// use xfn_sdk::testing::run_yaml;
/// use xfn_sdk::{Request, Response};
///
/// let rsp = run_yaml(|req: Request| Response::from_request(&req), "meta: {tag: abc}");
/// assert_eq!(rsp.meta.tag, "abc");
/// ```
pub fn run_yaml<R: HandlerOutput>(
    handler: impl FnOnce(Request) -> R,
    request_yaml: &str,
) -> Response {
    let outcome = run_yaml_outcome(handler, request_yaml);
    let output = succeeded(&outcome, "\n(use run_yaml_outcome to test failures)");
    serde_json::from_str(&output).unwrap_or_else(|error| {
        panic!("the handler's output is not a RunFunctionResponse: {error}\n{output}")
    })
}

/// Runs `handler` on `request`, a protojson `RunFunctionRequest` as a JSON value (`json!`), as
/// the module's `xfn_run_v1` would, and returns the response as the JSON the host receives.
///
/// # Panics
/// When the call fails (a handler `Err`, or a request that is not a `RunFunctionRequest`): the
/// message has the status and the module's error text.
///
/// # Examples
/// ```
/// use serde_json::json;
/// use xfn_sdk::testing::run_value;
/// use xfn_sdk::{Request, Response};
///
/// let rsp = run_value(|req: Request| Response::from_request(&req), &json!({"meta": {"tag": "abc"}}));
/// assert_eq!(rsp, json!({"meta": {"tag": "abc"}, "desired": {}}));
/// ```
pub fn run_value<R: HandlerOutput>(handler: impl FnOnce(Request) -> R, request: &Value) -> Value {
    let bytes = serde_json::to_vec(request).expect("a JSON value serialises");
    let outcome = run_json(&bytes, handler);
    let output = succeeded(&outcome, "");
    serde_json::from_str(&output)
        .unwrap_or_else(|error| panic!("the handler's output is not JSON: {error}\n{output}"))
}

/// The output of a call that succeeded, as text.
///
/// # Panics
/// When the call failed: the message has the status, the module's error text and `hint`.
fn succeeded<'o>(outcome: &'o Outcome, hint: &str) -> std::borrow::Cow<'o, str> {
    let output = String::from_utf8_lossy(&outcome.output);
    if outcome.status != STATUS_OK {
        panic!(
            "the handler failed with status {}: {output}{hint}",
            outcome.status
        );
    }
    output
}

/// Runs `handler` on the request in `request_yaml` and returns the status and output the module
/// would hand the host; the way to test a handler that returns `Err`.
///
/// # Panics
/// When `request_yaml` is not YAML or not a `RunFunctionRequest`.
///
/// # Examples
/// ```
/// use xfn_sdk::testing::run_yaml_outcome;
/// use xfn_sdk::{Request, Response, STATUS_HANDLER_FAILED};
///
/// fn strict(req: Request) -> Result<Response, String> {
///     Err(format!("no input in request {:?}", req.tag()))
/// }
///
/// let outcome = run_yaml_outcome(strict, "meta: {tag: x}");
/// assert_eq!(outcome.status, STATUS_HANDLER_FAILED);
/// assert_eq!(outcome.output, br#"no input in request "x""#);
/// ```
pub fn run_yaml_outcome<R: HandlerOutput>(
    handler: impl FnOnce(Request) -> R,
    request_yaml: &str,
) -> Outcome {
    let request = yaml_to_json(request_yaml, "the request");
    // Checked here so that the message has no line and column: those of the JSON made from
    // the YAML would mislead.
    if let Err(error) = Request::deserialize(&request) {
        panic!("the request is not a RunFunctionRequest: {error}");
    }
    let bytes = serde_json::to_vec(&request).expect("a JSON value serialises");
    run_json(&bytes, handler)
}

/// The response in its protojson form, as a JSON value: what the host receives.
///
/// # Examples
/// ```
/// use serde_json::json;
/// use xfn_sdk::Response;
/// use xfn_sdk::testing::response_json;
///
/// let mut rsp = Response::default();
/// rsp.normal("done");
/// assert_eq!(response_json(&rsp), json!({"results": [{"severity": "SEVERITY_NORMAL", "message": "done"}]}));
/// ```
pub fn response_json(rsp: &Response) -> Value {
    serde_json::to_value(rsp).expect("a Response serialises to JSON")
}

/// The response in its protojson form as YAML, keys sorted: handy for golden files.
///
/// # Examples
/// ```
/// use xfn_sdk::Response;
/// use xfn_sdk::testing::response_yaml;
///
/// let mut rsp = Response::default();
/// rsp.fatal("broken");
/// assert_eq!(response_yaml(&rsp), "results:\n- message: broken\n  severity: SEVERITY_FATAL\n");
/// ```
pub fn response_yaml(rsp: &Response) -> String {
    to_yaml(&response_json(rsp))
}

/// Asserts that `rsp` is exactly the response written in `expected_yaml`.
///
/// # Panics
/// When they differ, with a line diff of the two as YAML (`-` expected, `+` actual), or when
/// `expected_yaml` is not YAML.
///
/// # Examples
/// ```
/// use xfn_sdk::Response;
/// use xfn_sdk::testing::assert_response_yaml;
///
/// let mut rsp = Response::default();
/// rsp.warning("careful").with_reason("Careful");
/// assert_response_yaml(&rsp, "results: [{severity: SEVERITY_WARNING, message: careful, reason: Careful}]");
/// ```
pub fn assert_response_yaml(rsp: &Response, expected_yaml: &str) {
    assert_response_json(rsp, &yaml_to_json(expected_yaml, "the expected response"));
}

/// Asserts that `rsp` is exactly the response `expected`, typically written with
/// [`serde_json::json!`].
///
/// # Panics
/// When they differ, with a line diff of the two as YAML (`-` expected, `+` actual).
///
/// # Examples
/// ```
/// use serde_json::json;
/// use xfn_sdk::Response;
/// use xfn_sdk::testing::assert_response_json;
///
/// let mut rsp = Response::default();
/// rsp.set_context("k", json!(1));
/// assert_response_json(&rsp, &json!({"context": {"k": 1}}));
/// ```
pub fn assert_response_json(rsp: &Response, expected: &Value) {
    let actual = response_json(rsp);
    if actual != *expected {
        panic!(
            "the response differs from the one expected (- expected, + actual):\n{}",
            diff_lines(&to_yaml(expected), &to_yaml(&actual))
        );
    }
}

/// Parses `yaml` into JSON; `what` names it in the panic message.
fn yaml_to_json(yaml: &str, what: &str) -> Value {
    serde_yaml_ng::from_str(yaml)
        .unwrap_or_else(|error| panic!("{what} is not valid YAML: {error}"))
}

fn to_yaml(value: &Value) -> String {
    serde_yaml_ng::to_string(value).expect("a JSON value serialises to YAML")
}

/// A line diff of `expected` and `actual`: each line prefixed with `  ` (both), `- ` (only
/// expected) or `+ ` (only actual), from a longest common subsequence.
fn diff_lines(expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    // common[i][j]: length of the longest common subsequence of old[i..] and new[j..].
    let mut common = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            out.push_str(&format!("  {}\n", old[i]));
            i += 1;
            j += 1;
        } else if i < old.len() && (j == new.len() || common[i + 1][j] >= common[i][j + 1]) {
            out.push_str(&format!("- {}\n", old[i]));
            i += 1;
        } else {
            out.push_str(&format!("+ {}\n", new[j]));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::panic;

    use serde_json::json;

    use super::*;
    use crate::Ready;

    fn compose(req: Request) -> Response {
        let mut rsp = Response::from_request(&req);
        rsp.set_desired_resource("cm", json!({"apiVersion": "v1", "kind": "ConfigMap"}))
            .expect("an object")
            .ready = Ready::True;
        rsp
    }

    fn panic_message(f: impl FnOnce() + panic::UnwindSafe) -> String {
        let payload = panic::catch_unwind(f).expect_err("it panics");
        payload
            .downcast_ref::<String>()
            .cloned()
            .expect("a formatted panic message")
    }

    #[test]
    fn run_yaml_keeps_earlier_desired_state() {
        let rsp = run_yaml(
            compose,
            "desired: {resources: {old: {resource: {kind: Old}}}}\ncontext: {k: v}",
        );
        assert_response_yaml(
            &rsp,
            r#"
            desired:
              resources:
                cm: {resource: {apiVersion: v1, kind: ConfigMap}, ready: READY_TRUE}
                old: {resource: {kind: Old}}
            context: {k: v}
            "#,
        );
    }

    #[test]
    fn a_mismatch_panics_with_a_line_diff() {
        let rsp = run_yaml(compose, "{}");
        let rsp = panic::AssertUnwindSafe(rsp);
        let message = panic_message(move || {
            assert_response_json(
                &rsp,
                &json!({"desired": {"resources": {"cm": {"resource": {"apiVersion": "v2", "kind": "ConfigMap"}, "ready": "READY_TRUE"}}}}),
            );
        });
        assert_eq!(
            message,
            "the response differs from the one expected (- expected, + actual):\n\
             \x20 desired:\n\
             \x20   resources:\n\
             \x20     cm:\n\
             \x20       ready: READY_TRUE\n\
             \x20       resource:\n\
             -         apiVersion: v2\n\
             +         apiVersion: v1\n\
             \x20         kind: ConfigMap\n"
        );
    }

    #[test]
    fn a_failing_handler_panics_with_its_message() {
        let message = panic_message(|| {
            run_yaml(|_: Request| Err::<Response, _>("no luck"), "{}");
        });
        assert_eq!(
            message,
            "the handler failed with status 2: no luck\n(use run_yaml_outcome to test failures)"
        );
    }

    #[test]
    fn invalid_yaml_and_requests_are_named() {
        let message = panic_message(|| {
            run_yaml(compose, "meta: [");
        });
        assert!(
            message.starts_with("the request is not valid YAML: "),
            "{message}"
        );
        let message = panic_message(|| {
            run_yaml(compose, "meta: 5");
        });
        assert_eq!(
            message,
            "the request is not a RunFunctionRequest: invalid type: integer `5`, expected struct \
             RequestMeta"
        );
    }

    #[test]
    fn diff_lines_marks_insertions_and_deletions() {
        assert_eq!(diff_lines("a\nb\nc", "a\nc\nd"), "  a\n- b\n  c\n+ d\n");
        assert_eq!(diff_lines("", "x"), "+ x\n");
    }
}
