//! The bundled dummy module through the real host, on the function-dummy inputs of Crossplane's
//! own end-to-end manifests (crossplane/crossplane test/e2e/manifests/apiextensions/composition),
//! written here as JSON: whole request in, whole response out.

use serde_json::{Value, json};
use xfn_proto::v1::RunFunctionRequest;
use xfn_tests::{assert_fatal, module_input, runner, to_json};

/// A request for the XR `xr` with an earlier step's `desired` state and the dummy step's `config`.
fn request(tag: &str, xr: Value, desired: Value, config: Value) -> RunFunctionRequest {
    serde_json::from_value(json!({
        "meta": {"tag": tag},
        "observed": {"composite": {"resource": xr}},
        "desired": desired,
        "input": module_input("dummy", json!({"config": config})),
        "context": {"apiextensions.crossplane.io/environment": {"region": "eu-west-1"}},
    }))
    .expect("the test request is valid protojson")
}

/// basic-namespaced/setup/composition.yaml, the `be-a-dummy` step's input.
fn basic_namespaced() -> Value {
    json!({
        "apiVersion": "dummy.fn.crossplane.io/v1beta1",
        "kind": "Response",
        "response": {
            "desired": {
                "composite": {"resource": {"status": {"coolerField": "I'M COOLER!"}}},
                "resources": {
                    "configmap": {
                        "resource": {"apiVersion": "v1", "kind": "ConfigMap", "data": {"coolData": "I'm cool!"}},
                        "ready": "READY_TRUE",
                    },
                },
            },
            "results": [{"severity": "SEVERITY_NORMAL", "message": "I am doing a compose!"}],
        },
    })
}

#[tokio::test]
async fn dummy_runs_crossplanes_basic_namespaced_composition() {
    let xr = json!({"apiVersion": "example.org/v1alpha1", "kind": "Test", "metadata": {"name": "basic", "namespace": "default"}});
    let desired = json!({"composite": {"resource": {"apiVersion": "example.org/v1alpha1", "kind": "Test", "status": {"earlier": true}}}});
    let response = runner()
        .run(request("dummy-1", xr, desired, basic_namespaced()))
        .await;
    assert_eq!(
        to_json(&response),
        json!({
            "meta": {"tag": "dummy-1", "ttl": "60s"},
            "desired": {
                // A Struct merges at its top level: `status` is replaced whole.
                "composite": {"resource": {"apiVersion": "example.org/v1alpha1", "kind": "Test", "status": {"coolerField": "I'M COOLER!"}}},
                "resources": {
                    "configmap": {
                        "resource": {"apiVersion": "v1", "kind": "ConfigMap", "data": {"coolData": "I'm cool!"}},
                        "ready": "READY_TRUE",
                    },
                },
            },
            "results": [{"severity": "SEVERITY_NORMAL", "message": "I am doing a compose!"}],
            "context": {"apiextensions.crossplane.io/environment": {"region": "eu-west-1"}},
        })
    );
}

/// legacy/setup/composition.yaml: dummy composes a nested XR and a composite connection detail,
/// then auto-ready (the second step there) marks the nested XR ready once it is observed.
#[tokio::test]
async fn dummy_then_auto_ready_run_crossplanes_legacy_composition() {
    let config: Value = serde_json::from_str(include_str!(
        "../../functions/dummy/testdata/legacy-composition-input.json"
    ))
    .expect("the fixture is JSON");
    let xr = json!({"apiVersion": "nop.example.org/v1alpha1", "kind": "XNopResource", "metadata": {"name": "parent"}});
    let nested = config["response"]["desired"]["resources"]["nested-xr"]["resource"].clone();
    let first = runner()
        .run(request("legacy-1", xr.clone(), json!({}), config))
        .await;
    let desired_after_dummy = json!({
        "composite": {
            "resource": {"status": {"coolerField": "I'M COOLER!"}},
            "connectionDetails": {"super": "c2VjcmV0Cg=="},
        },
        "resources": {"nested-xr": {"resource": nested}},
    });
    assert_eq!(
        to_json(&first),
        json!({
            "meta": {"tag": "legacy-1", "ttl": "60s"},
            "desired": desired_after_dummy,
            "results": [{"severity": "SEVERITY_NORMAL", "message": "I am doing a compose!"}],
            "context": {"apiextensions.crossplane.io/environment": {"region": "eu-west-1"}},
        })
    );

    // The next step sees the first one's desired state and the nested XR as observed, Ready.
    let mut observed_nested = nested.clone();
    observed_nested["status"] =
        json!({"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]});
    let second: RunFunctionRequest = serde_json::from_value(json!({
        "meta": {"tag": "legacy-2"},
        "observed": {"composite": {"resource": xr}, "resources": {"nested-xr": {"resource": observed_nested}}},
        "desired": to_json(&first)["desired"],
        "input": module_input("auto-ready", json!({})),
    }))
    .expect("valid protojson");
    let mut expected = desired_after_dummy;
    expected["resources"]["nested-xr"]["ready"] = json!("READY_TRUE");
    assert_eq!(
        to_json(&runner().run(second).await),
        json!({"meta": {"tag": "legacy-2", "ttl": "60s"}, "desired": expected})
    );
}

/// legacy-propagate-field-removals/setup/composition.yaml: `response: {}` passes everything through.
#[tokio::test]
async fn dummy_empty_response_passes_everything_through() {
    let desired = json!({
        "composite": {"resource": {"apiVersion": "nop.example.org/v1alpha1", "kind": "XNopResource"}},
        "resources": {"nop": {"resource": {"apiVersion": "nop.crossplane.io/v1alpha1", "kind": "NopResource"}, "ready": "READY_TRUE"}},
    });
    let config =
        json!({"apiVersion": "dummy.fn.crossplane.io/v1beta1", "kind": "Response", "response": {}});
    let xr = json!({"apiVersion": "nop.example.org/v1alpha1", "kind": "XNopResource", "metadata": {"name": "x"}});
    let response = runner()
        .run(request("dummy-3", xr, desired.clone(), config))
        .await;
    assert_eq!(
        to_json(&response),
        json!({
            "meta": {"tag": "dummy-3", "ttl": "60s"},
            "desired": desired,
            "context": {"apiextensions.crossplane.io/environment": {"region": "eu-west-1"}},
        })
    );
}

#[tokio::test]
async fn dummy_bad_config_is_fatal_with_the_field_path_and_keeps_desired_state() {
    let mut misspelt = basic_namespaced();
    misspelt["response"]["results"][0]["severity"] = json!("SEVERITY_INFO");
    let cases = [
        (
            misspelt,
            "dummy: config.response.results[0].severity: \"SEVERITY_INFO\" is not a Severity; use one of SEVERITY_UNSPECIFIED, SEVERITY_FATAL, SEVERITY_WARNING, SEVERITY_NORMAL",
        ),
        (
            json!({"kind": "Response", "response": {"desired": {"composite": {"connectionDetails": {"super": "not base64!"}}}}}),
            "dummy: config.response.desired.composite.connectionDetails.super: not base64: unexpected character at offset 3; bytes are written in base64",
        ),
        (
            json!({"apiVersion": "dummy.fn.crossplane.io/v1beta1", "kind": "Response"}),
            "dummy: config.response: is required: the RunFunctionResponse to merge over the desired state, e.g. {desired: {resources: {...}}, results: [...]}; write response: {} to pass everything through",
        ),
    ];
    for (config, message) in cases {
        let xr = json!({"apiVersion": "example.org/v1alpha1", "kind": "Test", "metadata": {"name": "x"}});
        let desired = json!({
            "composite": {"resource": {"apiVersion": "example.org/v1alpha1", "kind": "Test"}},
            "resources": {"earlier": {"resource": {"apiVersion": "v1", "kind": "Secret"}, "ready": "READY_TRUE"}},
        });
        let request = request("dummy-4", xr, desired, config);
        let response = runner().run(request.clone()).await;
        assert_fatal(&request, &response, message);
    }
}

#[tokio::test]
async fn dummy_conditions_requirements_context_and_ttl_come_back_as_protobuf() {
    let config = json!({"response": {
        "meta": {"ttl": "0.5s"},
        "desired": {"resources": {"earlier": {"resource": {"apiVersion": "v1", "kind": "ConfigMap"}}}},
        "context": {"apiextensions.crossplane.io/environment": {"zone": "a"}, "dummy": [1, "two", null]},
        "conditions": [{"type": "DatabaseReady", "status": "STATUS_CONDITION_FALSE", "reason": "Creating", "target": "TARGET_COMPOSITE_AND_CLAIM"}],
        "requirements": {"resources": {"vpc": {"api_version": "ec2.aws.upbound.io/v1beta1", "kind": "VPC", "match_labels": {"labels": {"env": "prod"}}}}},
        "results": [{"severity": 2, "message": "careful", "reason": "Dummy"}],
    }});
    let xr =
        json!({"apiVersion": "example.org/v1alpha1", "kind": "Test", "metadata": {"name": "x"}});
    let desired = json!({"resources": {"earlier": {"resource": {"apiVersion": "v1", "kind": "Secret"}, "ready": "READY_TRUE"}}});
    let response = runner().run(request("dummy-5", xr, desired, config)).await;
    assert_eq!(
        to_json(&response),
        json!({
            // proto.Merge of a Duration: 0.5s over function-dummy's 60s keeps the seconds.
            "meta": {"tag": "dummy-5", "ttl": "60.500s"},
            // A map entry replaces the earlier resource whole, readiness included.
            "desired": {"resources": {"earlier": {"resource": {"apiVersion": "v1", "kind": "ConfigMap"}}}},
            "results": [{"severity": "SEVERITY_WARNING", "message": "careful", "reason": "Dummy"}],
            "context": {"apiextensions.crossplane.io/environment": {"zone": "a"}, "dummy": [1.0, "two", null]},
            "requirements": {"resources": {"vpc": {"apiVersion": "ec2.aws.upbound.io/v1beta1", "kind": "VPC", "matchLabels": {"labels": {"env": "prod"}}}}},
            "conditions": [{"type": "DatabaseReady", "status": "STATUS_CONDITION_FALSE", "reason": "Creating", "target": "TARGET_COMPOSITE_AND_CLAIM"}],
        })
    );
}
