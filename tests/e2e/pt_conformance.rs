//! Conformance of the bundled `patch-and-transform` module with upstream
//! crossplane-contrib/function-patch-and-transform: table-driven cases in
//! `tests/fixtures/pt/*.yaml`, each a whole RunFunctionRequest in and the whole RunFunctionResponse
//! upstream returns for it, run through the real step runner and the real module.
//!
//! A case is `{name, upstream, request, expected}`. `request` is protojson as YAML whose `input` is
//! the P&T `Resources` object; the runner wraps it as the step Input's `config`. Numbers compare by
//! value (`3` equals `3.0`), because responses pass through `google.protobuf.Struct`. Cases in
//! `tests/fixtures/pt/pending/` are known divergences: they run and are reported, but do not fail.

use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::{Map, Value, json};
use xfn_proto::v1::RunFunctionRequest;
use xfn_tests::pt_fixtures::{Case, fixtures_dir, load_cases};
use xfn_tests::{runner, to_json};

/// The request the step runner gets: the case's P&T input wrapped as the module's `config`.
fn step_request(case: &Case) -> Result<RunFunctionRequest, String> {
    let mut request = case.request.clone();
    let Some(fields) = request.as_object_mut() else {
        return Err("`request` is not a mapping".to_owned());
    };
    let config = fields
        .remove("input")
        .ok_or("`request` has no `input` (the P&T Resources object)")?;
    fields.insert(
        "input".to_owned(),
        json!({
            "apiVersion": "wasmtime.fn.crossplane.io/v1alpha1",
            "kind": "Module",
            "module": "patch-and-transform",
            "config": config,
        }),
    );
    serde_json::from_value(request).map_err(|error| format!("`request` is not protojson: {error}"))
}

/// Runs one case: `Ok(())` when the response equals the expected one, else a readable report.
async fn run_case(case: &Case) -> Result<(), String> {
    let request = step_request(case)?;
    let actual = to_json(&runner().run(request).await);
    let mut differences = Vec::new();
    compare("", &case.expected, &actual, &mut differences);
    if differences.is_empty() {
        return Ok(());
    }
    let mut report = differences.join("\n");
    let _ = write!(
        report,
        "\n  whole response:\n{}",
        indent(&serde_json::to_string_pretty(&actual).unwrap_or_default())
    );
    Err(report)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lists every path where `actual` differs from `expected`; numbers are equal when their values are.
fn compare(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => {}
        (Value::Object(e), Value::Object(a)) => compare_maps(path, e, a, out),
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (index, (e, a)) in e.iter().zip(a).enumerate() {
                compare(&format!("{path}[{index}]"), e, a, out);
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push(format!("  {}: expected {e}, got {a}", display_path(path))),
    }
}

fn compare_maps(
    path: &str,
    expected: &Map<String, Value>,
    actual: &Map<String, Value>,
    out: &mut Vec<String>,
) {
    for (key, e) in expected {
        let child = format!("{path}.{key}");
        match actual.get(key) {
            Some(a) => compare(&child, e, a, out),
            None => out.push(format!(
                "  {}: expected {e}, got nothing",
                display_path(&child)
            )),
        }
    }
    for (key, a) in actual {
        if !expected.contains_key(key) {
            let child = format!("{path}.{key}");
            out.push(format!(
                "  {}: expected nothing, got {a}",
                display_path(&child)
            ));
        }
    }
}

fn display_path(path: &str) -> &str {
    match path.strip_prefix('.') {
        Some(rest) => rest,
        None if path.is_empty() => "(the response)",
        None => path,
    }
}

/// Runs `cases` and returns the names and reports of those that differ from upstream.
async fn run_all(cases: &[Case]) -> Vec<(&str, String)> {
    let mut failures = Vec::new();
    for case in cases {
        if let Err(report) = run_case(case).await {
            let report = format!(
                "── {} in {} (mirrors {})\n{report}",
                case.name, case.file, case.upstream
            );
            failures.push((case.name.as_str(), report));
        }
    }
    failures
}

#[tokio::test]
async fn patch_and_transform_matches_upstream_on_every_conformance_case() {
    let cases = load_cases(&fixtures_dir());
    let pending = load_cases(&fixtures_dir().join("pending"));
    let mut names = std::collections::BTreeSet::new();
    for case in cases.iter().chain(&pending) {
        assert!(
            names.insert(case.name.as_str()),
            "case name {:?} ({}) is used twice; names must be unique",
            case.name,
            case.file
        );
    }

    let failures = run_all(&cases).await;
    let pending_failures = run_all(&pending).await;
    let now_passing: Vec<&str> = pending
        .iter()
        .map(|case| case.name.as_str())
        .filter(|name| !pending_failures.iter().any(|(failed, _)| failed == name))
        .collect();

    let mut summary = format!(
        "patch-and-transform conformance: {} cases, {} passed, {} failed; {} pending (known divergence), {} of them now pass",
        cases.len(),
        cases.len() - failures.len(),
        failures.len(),
        pending.len(),
        now_passing.len()
    );
    if !pending_failures.is_empty() {
        summary.push_str("\npending (known divergence), not failing the test:");
    }
    for (_, report) in &pending_failures {
        let _ = write!(summary, "\n{report}");
    }
    if !now_passing.is_empty() {
        let _ = write!(
            summary,
            "\npending cases that now pass (move them out of tests/fixtures/pt/pending/): {}",
            now_passing.join(", ")
        );
    }
    // Written to stderr directly so the counts show even when the test passes and output is captured.
    let _ = writeln!(std::io::stderr(), "{summary}");

    assert!(
        cases.len() + pending.len() >= 150,
        "the suite promises at least 150 cases, found {}",
        cases.len() + pending.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from upstream:\n\n{}\n\n{summary}",
        failures.len(),
        cases.len(),
        failures
            .iter()
            .map(|(_, report)| report.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
