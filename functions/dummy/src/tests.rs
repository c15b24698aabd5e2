//! The handler on whole requests: function-dummy's own test case, inputs from Crossplane's
//! end-to-end manifests, and invalid configs.

use serde_json::{Value, json};
use xfn_sdk::testing::run_value;

use super::dummy;

/// The step Input of Crossplane's end-to-end legacy composition (test/e2e/manifests/
/// apiextensions/composition/legacy/setup/composition.yaml), which tests/e2e/dummy.rs runs too.
const LEGACY_COMPOSITION_INPUT: &str = include_str!("../testdata/legacy-composition-input.json");

fn run(request: Value) -> Value {
    run_value(dummy, &request)
}

/// function-dummy's fn_test.go "ResponseIsReturned": the overlay's composite fields join the
/// desired XR's, results and output are added.
#[test]
fn upstream_response_is_returned() {
    let request = json!({
        "meta": {"tag": "hello"},
        "input": {
            "apiVersion": "dummy.fn.crossplane.io",
            "kind": "Results",
            "response": {
                "desired": {"composite": {"resource": {"spec": {"widgets": 8}}}},
                "results": [{"severity": "SEVERITY_NORMAL", "message": "hi!"}],
                "output": {"cool": true},
            },
        },
        "desired": {"composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR"}}},
    });
    assert_eq!(
        run(request),
        json!({
            "meta": {"tag": "hello"},
            "desired": {"composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR", "spec": {"widgets": 8}}}},
            "results": [{"severity": "SEVERITY_NORMAL", "message": "hi!"}],
            "output": {"cool": true},
        })
    );
}

/// crossplane/crossplane test/e2e/manifests/apiextensions/composition/legacy/setup/composition.yaml:
/// a composite status field and connection detail, a nested XR, a result.
#[test]
fn crossplane_e2e_legacy_composition() {
    let input: Value = serde_json::from_str(LEGACY_COMPOSITION_INPUT).unwrap();
    let request = json!({
        "meta": {"tag": "legacy"},
        "observed": {"composite": {"resource": {"apiVersion": "nop.example.org/v1alpha1", "kind": "XNopResource", "metadata": {"name": "parent"}}}},
        "desired": {"composite": {"resource": {"apiVersion": "nop.example.org/v1alpha1", "kind": "XNopResource", "status": {"fromEarlier": true}}}},
        "input": input,
    });
    assert_eq!(
        run(request),
        json!({
            "meta": {"tag": "legacy"},
            "desired": {
                "composite": {
                    // Struct merge: the overlay's `status` replaces the earlier one whole.
                    "resource": {"apiVersion": "nop.example.org/v1alpha1", "kind": "XNopResource", "status": {"coolerField": "I'M COOLER!"}},
                    "connectionDetails": {"super": "c2VjcmV0Cg=="},
                },
                "resources": input["response"]["desired"]["resources"],
            },
            "results": input["response"]["results"],
        })
    );
}

/// crossplane/crossplane test/e2e/manifests/apiextensions/composition/legacy-propagate-field-removals:
/// `response: {}` passes everything through.
#[test]
fn crossplane_e2e_empty_response_passes_everything_through() {
    let desired = json!({
        "composite": {"resource": {"apiVersion": "nop.example.org/v1alpha1", "kind": "XNopResource"}},
        "resources": {"a": {"resource": {"kind": "A"}, "ready": "READY_TRUE"}},
    });
    let request = json!({
        "meta": {"tag": "t"},
        "desired": desired,
        "context": {"k": "v"},
        "input": {"apiVersion": "dummy.fn.crossplane.io/v1beta1", "kind": "Response", "response": {}},
    });
    assert_eq!(
        run(request),
        json!({"meta": {"tag": "t"}, "desired": desired, "context": {"k": "v"}})
    );
}

#[test]
fn lists_append_maps_replace_entries_and_ttl_merges_field_by_field() {
    let request = json!({
        "desired": {"resources": {
            "cm": {"resource": {"kind": "ConfigMap", "data": {"a": "1"}}, "ready": "READY_TRUE"},
            "keep": {"resource": {"kind": "Keep"}},
        }},
        "context": {"env": {"region": "eu"}, "other": 1},
        "input": {"response": {
            "meta": {"ttl": "0.5s"},
            "desired": {"resources": {"cm": {"resource": {"data": {"b": "2"}}}}},
            "context": {"env": {"zone": "a"}},
            "conditions": [{"type": "DatabaseReady", "status": "STATUS_CONDITION_FALSE", "reason": "Creating"}],
            "requirements": {"resources": {"vpc": {"apiVersion": "v1", "kind": "ConfigMap", "matchName": "vpc"}}},
        }},
    });
    assert_eq!(
        run(request),
        json!({
            "meta": {"ttl": "60.500s"},
            "desired": {"resources": {
                "cm": {"resource": {"data": {"b": "2"}}},
                "keep": {"resource": {"kind": "Keep"}},
            }},
            "context": {"env": {"zone": "a"}, "other": 1},
            "conditions": [{"type": "DatabaseReady", "status": "STATUS_CONDITION_FALSE", "reason": "Creating"}],
            "requirements": {"resources": {"vpc": {"apiVersion": "v1", "kind": "ConfigMap", "matchName": "vpc"}}},
        })
    );
}

#[test]
fn invalid_configs_are_fatal_and_change_nothing() {
    let cases = [
        (
            json!(null),
            "dummy: config.response: is required: the RunFunctionResponse to merge over the desired state, e.g. {desired: {resources: {...}}, results: [...]}; write response: {} to pass everything through",
        ),
        (
            json!({"kind": "Response", "respones": {}}),
            "dummy: config.respones: unknown field; the config is function-dummy's Response input: apiVersion, kind and response",
        ),
        (
            json!({"response": {"desired": {"resources": {"cm": {"ready": true}}}}}),
            "dummy: config.response.desired.resources.cm.ready: must be a Ready name such as READY_TRUE, got a boolean",
        ),
    ];
    for (input, message) in cases {
        let desired = json!({"resources": {"a": {"resource": {"kind": "A"}}}});
        let request = json!({"meta": {"tag": "t"}, "desired": desired, "input": input});
        assert_eq!(
            run(request),
            json!({
                "meta": {"tag": "t"},
                "desired": desired,
                "results": [{"severity": "SEVERITY_FATAL", "message": message}],
            })
        );
    }
}
