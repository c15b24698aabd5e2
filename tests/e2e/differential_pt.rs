//! patch-and-transform against the real function-patch-and-transform (Go), over gRPC: every
//! conformance fixture and a seeded stream of generated inputs go to both, and the responses
//! must be equal.

use serde_json::{Value, json};
use xfn_tests::differential::compare::{
    Pair, differences, differences_from, report, to_request, wrap_for_module,
};
use xfn_tests::differential::run::assert_generated_cases_agree;
use xfn_tests::differential::upstream::UpstreamFunction;
use xfn_tests::differential::{Settings, pt_gen};
use xfn_tests::pt_fixtures::{fixtures_dir, load_cases};
use xfn_tests::{TestServer, runner, to_json};

/// Every conformance fixture of `tests/fixtures/pt` goes to both sides: the module must answer
/// as upstream does, and so must the fixture's `expected` (written from a reading of upstream's
/// code; this checks it against upstream itself).
#[tokio::test]
async fn patch_and_transform_answers_every_fixture_as_upstream_does() {
    let (upstream, ours, pair) = Pair::start("patch-and-transform").await;
    let mut cases = load_cases(&fixtures_dir());
    cases.extend(load_cases(&fixtures_dir().join("pending")));
    let mut failures = Vec::new();
    for case in &cases {
        let answers = pair
            .call(&case.request)
            .await
            .unwrap_or_else(|error| panic!("{} in {}: {error}", case.name, case.file));
        let found = differences(&answers.upstream, &answers.ours);
        if !found.is_empty() {
            let title = format!("{} in {}", case.name, case.file);
            failures.push(report(&title, &case.request, &answers, &found));
        }
        let wrong = differences_from(&answers.upstream, &case.expected, "expected");
        if !wrong.is_empty() {
            failures.push(format!(
                "── {} in {}: its `expected` is not what upstream answers:\n  {}",
                case.name,
                case.file,
                wrong.join("\n  ")
            ));
        }
    }
    upstream.stop();
    ours.stop().await;
    assert!(
        failures.is_empty(),
        "{}\n\n{} mismatches over {} fixtures",
        failures.join("\n\n"),
        failures.len(),
        cases.len()
    );
}

#[tokio::test]
async fn patch_and_transform_answers_generated_inputs_as_upstream_does() {
    let settings = Settings::from_env(2000);
    let (mut upstream, ours, pair) = Pair::start("patch-and-transform").await;
    assert_generated_cases_agree(&pair, &mut upstream, &settings, pt_gen::request).await;
    upstream.stop();
    ours.stop().await;
}

/// A request whose P&T input has one resource `r` (observed, with a Ready condition, its base
/// `spec.forProvider` holding `for_provider`) and the given readiness checks and patches.
fn crashing_request(readiness_checks: Value, patches: Value, for_provider: Value) -> Value {
    json!({
        "meta": {"tag": "crash"},
        "observed": {
            "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR", "spec": {"name": "db-7"}}},
            "resources": {"r": {"resource": {"apiVersion": "example.org/v1", "kind": "CD", "metadata": {"name": "r-1"},
                "status": {"conditions": [{"type": "Ready", "status": "True"}]}}}},
        },
        "input": {
            "apiVersion": "pt.fn.crossplane.io/v1beta1",
            "kind": "Resources",
            "resources": [{"name": "r", "base": {"apiVersion": "example.org/v1", "kind": "CD", "spec": {"forProvider": for_provider}},
                "readinessChecks": readiness_checks, "patches": patches}],
        },
    })
}

/// Where upstream crashes (a Go panic or fatal error ends its process, and every composition
/// using it waits for the restart) the module answers; docs/compatibility.md lists these. Each
/// request gets a fresh upstream process, which must exit with Go's status 2 and its message.
#[tokio::test]
async fn patch_and_transform_answers_where_upstream_crashes() {
    let ours = TestServer::start(runner(), None).await;
    let mut our_client = ours.client().await;
    let composite = json!({"resource": {"apiVersion": "example.org/v1", "kind": "XR"}});
    let environment = json!({"apiextensions.crossplane.io/environment": {
        "apiVersion": "internal.crossplane.io/v1alpha1", "kind": "Environment"}});
    let cases = [
        (
            "a MatchCondition check without matchCondition",
            crashing_request(json!([{"type": "MatchCondition"}]), json!([]), json!({})),
            "panic: runtime error: invalid memory address or nil pointer dereference",
            json!({
                "meta": {"tag": "crash", "ttl": "60s"},
                "desired": {"composite": composite, "resources": {"r": {
                    "resource": {"apiVersion": "example.org/v1", "kind": "CD", "metadata": {"name": "r-1"},
                        "spec": {"forProvider": {}}},
                    "ready": "READY_TRUE"}}},
                "context": environment,
            }),
        ),
        (
            "a [*] over an object with a key named *",
            crashing_request(
                json!([{"type": "None"}]),
                json!([{"fromFieldPath": "spec.name", "toFieldPath": "spec.forProvider[*]"}]),
                json!({"*": [], "a": 1}),
            ),
            "fatal error: stack overflow",
            json!({
                "meta": {"tag": "crash", "ttl": "60s"},
                "results": [{"severity": "SEVERITY_FATAL", "target": "TARGET_COMPOSITE", "message":
                    "cannot render composed resource \"r\" \"FromCompositeFieldPath\" patch at index 0: cannot expand wildcards for segments: \"spec.forProvider[*]\": \"spec.forProvider\": its key \"*\" is the wildcard itself and would expand forever; rename the key"}],
            }),
        ),
        (
            "a Regexp string transform with a negative group",
            crashing_request(
                json!([{"type": "None"}]),
                json!([{"fromFieldPath": "spec.name", "toFieldPath": "spec.id",
                "transforms": [{"type": "string", "string": {"type": "Regexp", "regexp": {"match": "db-(\\d+)", "group": -1}}}]}]),
                json!({}),
            ),
            "panic: runtime error: index out of range [-1]",
            json!({
                "meta": {"tag": "crash", "ttl": "60s"},
                "results": [{"severity": "SEVERITY_FATAL", "target": "TARGET_COMPOSITE", "message":
                    "cannot render composed resource \"r\" \"FromCompositeFieldPath\" patch at index 0: transform at index 0 returned error: string transform could not resolve: regexp \"db-(\\\\d+)\" had no matches for group -1"}],
            }),
        ),
    ];
    for (what, request, panic, answer) in cases {
        let upstream = UpstreamFunction::start("patch-and-transform").await;
        let result = upstream
            .client()
            .await
            .run_function(to_request(&request).expect("protojson"))
            .await;
        assert!(
            result.is_err(),
            "{what}: upstream answered {result:?}; if it no longer crashes, compare it like any other input"
        );
        let (status, stderr) = upstream.reap_after_crash();
        assert_eq!(
            status.code(),
            Some(2),
            "{what}: upstream's exit; stderr:\n{stderr}"
        );
        assert!(
            stderr.contains(panic),
            "{what}: upstream's stderr lacks {panic:?}:\n{stderr}"
        );

        let wrapped = wrap_for_module(&request, "patch-and-transform");
        let response = our_client
            .run_function(to_request(&wrapped).expect("protojson"))
            .await
            .expect("our server answers")
            .into_inner();
        assert_eq!(to_json(&response), answer, "{what}");
    }
    ours.stop().await;
}

/// Upstream fails the call when its answer would hold invalid UTF-8 (here an error quoting the
/// bytes `FromBase64` decoded); the module answers, with U+FFFD for each invalid byte.
#[tokio::test]
async fn patch_and_transform_answers_where_upstream_cannot_encode_its_answer() {
    let request = json!({
        "meta": {"tag": "utf8"},
        "observed": {"composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR", "spec": {"b": "//4A"}}}},
        "input": {
            "apiVersion": "pt.fn.crossplane.io/v1beta1",
            "kind": "Resources",
            "resources": [{"name": "r", "base": {"apiVersion": "example.org/v1", "kind": "CD"}, "patches": [{
                "fromFieldPath": "spec.b", "toFieldPath": "spec.b",
                "transforms": [
                    {"type": "string", "string": {"type": "Convert", "convert": "FromBase64"}},
                    {"type": "map", "map": {"x": "y"}},
                ],
            }]}],
        },
    });
    let (upstream, ours, pair) = Pair::start("patch-and-transform").await;
    let answers = pair.call(&request).await.expect("protojson");
    upstream.stop();
    ours.stop().await;
    assert_eq!(
        answers.upstream,
        json!({"grpcError": {"code": "Internal", "message": "grpc: error while marshaling: string field contains invalid UTF-8"}})
    );
    assert_eq!(
        answers.ours,
        json!({
            "meta": {"tag": "utf8", "ttl": "60s"},
            "results": [{"severity": "SEVERITY_FATAL", "target": "TARGET_COMPOSITE", "message":
                "cannot render composed resource \"r\" \"FromCompositeFieldPath\" patch at index 0: transform at index 1 returned error: map transform could not resolve: key \u{fffd}\u{fffd}\u{0} is not found in map"}],
        })
    );
}
