//! auto-ready against the real function-auto-ready (Go), over gRPC: the inputs of the auto-ready
//! end-to-end tests and a seeded stream of generated observed states go to both, and the
//! responses must be equal.

use serde_json::json;
use xfn_tests::differential::compare::{Pair, differences, report};
use xfn_tests::differential::run::assert_generated_cases_agree;
use xfn_tests::differential::{Settings, auto_ready_gen};

use super::auto_ready::{mixed_resources, request_json};

#[tokio::test]
async fn auto_ready_answers_the_end_to_end_inputs_as_upstream_does() {
    let (upstream, ours, pair) = Pair::start("auto-ready").await;
    let (observed, desired) = mixed_resources();
    let inputs = [
        json!(null),
        json!({}),
        json!({"apiVersion": "autoready.fn.crossplane.io/v1beta1", "kind": "Input", "ttl": "1m30s"}),
    ];
    let mut failures = Vec::new();
    for input in inputs {
        let request = request_json("auto-1", observed.clone(), desired.clone(), input.clone());
        let answers = pair.call(&request).await.expect("protojson");
        let found = differences(&answers.upstream, &answers.ours);
        if !found.is_empty() {
            failures.push(report(
                &format!("input {input}"),
                &request,
                &answers,
                &found,
            ));
        }
    }
    upstream.stop();
    ours.stop().await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// 2,000 generated cases of the suite's seed; `scripts/differential --function auto-ready` runs
/// any seed and count.
#[tokio::test]
async fn auto_ready_answers_generated_inputs_as_upstream_does() {
    let settings = Settings::from_env(2000);
    let (mut upstream, ours, pair) = Pair::start("auto-ready").await;
    assert_generated_cases_agree(&pair, &mut upstream, &settings, auto_ready_gen::request).await;
    upstream.stop();
    ours.stop().await;
}

/// The module's `rules` (readiness from JSONPath queries) are its own extension: upstream's
/// input has no such field and its decoder rejects it. docs/compatibility.md lists this.
#[tokio::test]
async fn auto_ready_rules_are_an_extension_upstream_rejects() {
    let (upstream, ours, pair) = Pair::start("auto-ready").await;
    let observed = json!({"queue": {"resource": {"apiVersion": "sqs.example.org/v1", "kind": "Queue",
        "status": {"atProvider": {"state": "available"}}}}});
    let desired =
        json!({"queue": {"resource": {"apiVersion": "sqs.example.org/v1", "kind": "Queue"}}});
    let input = json!({"rules": [{"resource": "queue", "jsonPath": "$.status.atProvider.state", "equals": "available"}]});
    let request = request_json("rules", observed, desired, input);
    let answers = pair.call(&request).await.expect("protojson");
    upstream.stop();
    ours.stop().await;
    assert_eq!(
        answers.upstream["results"],
        json!([{"severity": "SEVERITY_FATAL", "message": "cannot get Function input from *v1.RunFunctionRequest: cannot get function input *v1beta1.Input from *v1.RunFunctionRequest: cannot unmarshal JSON from *structpb.Struct into *v1beta1.Input: json: cannot unmarshal Go value of type v1beta1.Input: unknown name \"rules\"", "target": "TARGET_COMPOSITE"}])
    );
    assert_eq!(
        answers.ours["desired"]["resources"]["queue"]["ready"],
        json!("READY_TRUE")
    );
}
