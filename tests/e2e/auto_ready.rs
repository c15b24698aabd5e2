//! The bundled auto-ready module through the real host: whole request in, whole response out.

use serde_json::{Value, json};
use xfn_proto::v1::RunFunctionRequest;
use xfn_tests::{assert_fatal, module_input, runner, to_json};

/// A composed resource of `kind` whose status has a `Ready` condition with `status`.
fn conditioned(api_version: &str, kind: &str, status: &str) -> Value {
    json!({"resource": {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": format!("{}-x1", kind.to_lowercase())},
        "status": {"conditions": [
            {"type": "Synced", "status": "True", "reason": "ReconcileSuccess"},
            {"type": "Ready", "status": status, "reason": "Available"},
        ]},
    }})
}

/// The desired form of a composed resource: what an earlier step composed.
fn composed(api_version: &str, kind: &str) -> Value {
    json!({"resource": {"apiVersion": api_version, "kind": kind, "spec": {"forProvider": {"region": "eu-west-1"}}}})
}

/// A request with `observed` and `desired` composed resources, the step input `input` and an
/// XR whose own Ready condition the module must ignore.
fn request(tag: &str, observed: Value, desired: Value, input: Value) -> RunFunctionRequest {
    serde_json::from_value(request_json(tag, observed, desired, input))
        .expect("the test request is valid protojson")
}

/// [`request`] as protojson.
pub(super) fn request_json(tag: &str, observed: Value, desired: Value, input: Value) -> Value {
    let xr = json!({
        "apiVersion": "example.crossplane.io/v1",
        "kind": "XDatabase",
        "metadata": {"name": "db", "namespace": "default"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    });
    json!({
        "meta": {"tag": tag},
        "observed": {"composite": {"resource": xr}, "resources": observed},
        "desired": {
            "composite": {"resource": {"apiVersion": "example.crossplane.io/v1", "kind": "XDatabase"}},
            "resources": desired,
        },
        "input": input,
        "context": {"apiextensions.crossplane.io/environment": {"region": "eu-west-1"}},
    })
}

/// The observed and desired resources of the first test: kinds with and without conditions,
/// readiness set by an earlier step, a resource not yet observed and one no longer desired.
pub(super) fn mixed_resources() -> (Value, Value) {
    let observed = json!({
        "bucket": conditioned("s3.aws.upbound.io/v1beta1", "Bucket", "True"),
        "instance": conditioned("rds.aws.upbound.io/v1beta1", "Instance", "False"),
        "told-not-ready": conditioned("s3.aws.upbound.io/v1beta1", "Bucket", "True"),
        "deployment": {"resource": {
            "apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 2},
            "status": {"updatedReplicas": 2, "availableReplicas": 2,
                       "conditions": [{"type": "Available", "status": "True"}]},
        }},
        "settings": {"resource": {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}}},
        "removed": conditioned("s3.aws.upbound.io/v1beta1", "Bucket", "True"),
    });
    let desired = json!({
        "bucket": composed("s3.aws.upbound.io/v1beta1", "Bucket"),
        "instance": composed("rds.aws.upbound.io/v1beta1", "Instance"),
        "told-not-ready": {"resource": {"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket"}, "ready": "READY_FALSE"},
        "deployment": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment"}},
        "settings": {"resource": {"apiVersion": "v1", "kind": "ConfigMap"}},
        "new": composed("s3.aws.upbound.io/v1beta1", "Bucket"),
    });
    (observed, desired)
}

#[tokio::test]
async fn auto_ready_marks_what_function_auto_ready_marks() {
    let (observed, desired) = mixed_resources();
    let request = request(
        "auto-1",
        observed,
        desired,
        module_input("auto-ready", json!({})),
    );
    let response = runner().run(request).await;
    assert_eq!(
        to_json(&response),
        json!({
            "meta": {"tag": "auto-1", "ttl": "60s"},
            "desired": {
                "composite": {"resource": {"apiVersion": "example.crossplane.io/v1", "kind": "XDatabase"}},
                "resources": {
                    "bucket": {"resource": {"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket", "spec": {"forProvider": {"region": "eu-west-1"}}}, "ready": "READY_TRUE"},
                    "instance": {"resource": {"apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "Instance", "spec": {"forProvider": {"region": "eu-west-1"}}}},
                    "told-not-ready": {"resource": {"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket"}, "ready": "READY_FALSE"},
                    "deployment": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment"}, "ready": "READY_TRUE"},
                    "settings": {"resource": {"apiVersion": "v1", "kind": "ConfigMap"}, "ready": "READY_TRUE"},
                    "new": {"resource": {"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket", "spec": {"forProvider": {"region": "eu-west-1"}}}},
                },
            },
            "context": {"apiextensions.crossplane.io/environment": {"region": "eu-west-1"}},
        })
    );
}

#[tokio::test]
async fn auto_ready_rules_decide_for_resources_without_conditions() {
    let observed = json!({
        "queue-a": {"resource": {"apiVersion": "sqs.example.org/v1", "kind": "Queue", "status": {"atProvider": {"state": "available", "depth": 0}}}},
        "queue-b": {"resource": {"apiVersion": "sqs.example.org/v1", "kind": "Queue", "status": {"atProvider": {"state": "creating"}}}},
        "cluster": {"resource": {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster", "status": {"phase": "Provisioned",
            "conditions": [{"type": "ControlPlaneReady", "status": "True"}, {"type": "InfrastructureReady", "status": "True"}]}}},
    });
    let desired = json!({
        "queue-a": {"resource": {"apiVersion": "sqs.example.org/v1", "kind": "Queue"}},
        "queue-b": {"resource": {"apiVersion": "sqs.example.org/v1", "kind": "Queue"}},
        "cluster": {"resource": {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster"}},
    });
    let config = json!({
        "apiVersion": "autoready.fn.crossplane.io/v1beta1",
        "kind": "Input",
        "ttl": "1m30s",
        "rules": [
            {"resource": "queue-.*", "jsonPath": "$.status.atProvider.state", "equals": "available"},
            {"resource": "cluster", "jsonPath": "$.status.conditions[?@.type == 'ControlPlaneReady'].status", "equals": "True"},
            {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster", "jsonPath": "$.status.conditions[?@.type == 'InfrastructureReady' && @.status == 'True']"},
        ],
    });
    let request = request(
        "auto-2",
        observed,
        desired,
        module_input("auto-ready", json!({"config": config})),
    );
    let response = runner().run(request).await;
    assert_eq!(
        to_json(&response),
        json!({
            "meta": {"tag": "auto-2", "ttl": "90s"},
            "desired": {
                "composite": {"resource": {"apiVersion": "example.crossplane.io/v1", "kind": "XDatabase"}},
                "resources": {
                    "queue-a": {"resource": {"apiVersion": "sqs.example.org/v1", "kind": "Queue"}, "ready": "READY_TRUE"},
                    "queue-b": {"resource": {"apiVersion": "sqs.example.org/v1", "kind": "Queue"}, "ready": "READY_FALSE"},
                    "cluster": {"resource": {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster"}, "ready": "READY_TRUE"},
                },
            },
            "context": {"apiextensions.crossplane.io/environment": {"region": "eu-west-1"}},
        })
    );
}

#[tokio::test]
async fn auto_ready_bad_config_is_fatal_with_the_field_path_and_keeps_desired_state() {
    let cases = [
        (
            json!({"rules": [{"resource": "bucket", "jsonPath": "$.status.atProvider.state", "equals": "ok"}, {"resource": "db(", "jsonPath": "$.status"}]}),
            r#"auto-ready: config.rules[1].resource: "db(" is not a regular expression: unclosed group; write the composed resource's name or a pattern such as bucket-.*"#,
        ),
        (
            json!({"rules": [{"resource": "bucket", "jsonPath": "$.status[?@.state =="}]}),
            r#"auto-ready: config.rules[0].jsonPath: "$.status[?@.state ==" is not a JSONPath expression: expected comparable; write it like $.status.atProvider.state"#,
        ),
        (
            json!({"ttl": "5 minutes"}),
            r#"auto-ready: config.ttl: time: unknown unit " minutes" in duration "5 minutes"; write it like 5m or 1h30m"#,
        ),
    ];
    for (config, message) in cases {
        let request = request(
            "auto-3",
            json!({"bucket": conditioned("s3.aws.upbound.io/v1beta1", "Bucket", "True")}),
            json!({"bucket": composed("s3.aws.upbound.io/v1beta1", "Bucket")}),
            module_input("auto-ready", json!({"config": config})),
        );
        let response = runner().run(request.clone()).await;
        assert_fatal(&request, &response, message);
    }
}
