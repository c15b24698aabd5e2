//! The bundled patch-and-transform module on a realistic P&T composition, through the step runner:
//! the whole response, exactly.

use serde_json::json;
use xfn_proto::v1::RunFunctionRequest;
use xfn_tests::{module_input, runner, to_json};

/// A P&T input as a Composition carries it today (a PatchSet, transforms, a combine patch, a
/// ToComposite patch, readiness checks and connection details), moved under `config`.
fn pt_config() -> serde_json::Value {
    json!({
        "apiVersion": "pt.fn.crossplane.io/v1beta1",
        "kind": "Resources",
        "patchSets": [{"name": "common", "patches": [
            {"fromFieldPath": "metadata.labels", "toFieldPath": "metadata.labels", "policy": {"toFieldPath": "MergeObjects"}},
            {"fromFieldPath": "spec.region", "toFieldPath": "spec.forProvider.region"},
        ]}],
        "resources": [
            {
                "name": "bucket",
                "base": {"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket", "metadata": {"labels": {"team": "storage"}}},
                "patches": [
                    {"type": "PatchSet", "patchSetName": "common"},
                    {"type": "CombineFromComposite", "toFieldPath": "metadata.annotations[crossplane.io/external-name]",
                     "combine": {"variables": [{"fromFieldPath": "spec.project"}, {"fromFieldPath": "spec.region"}], "strategy": "string", "string": {"fmt": "%s-%s-data"}}},
                    {"type": "ToCompositeFieldPath", "fromFieldPath": "status.atProvider.arn", "toFieldPath": "status.bucketArn"},
                ],
                "readinessChecks": [{"type": "MatchString", "fieldPath": "status.atProvider.arn", "matchString": "arn:aws:s3:::acme-eu-west-1-data"}],
            },
            {
                "name": "database",
                "base": {"apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "Instance", "spec": {"forProvider": {"engine": "postgres"}}},
                "patches": [
                    {"type": "PatchSet", "patchSetName": "common"},
                    {"fromFieldPath": "spec.size", "toFieldPath": "spec.forProvider.instanceClass", "transforms": [
                        {"type": "string", "string": {"type": "Convert", "convert": "ToLower"}},
                        {"type": "map", "map": {"small": "db.t3.small", "large": "db.m5.large"}},
                    ]},
                    {"fromFieldPath": "spec.storageGB", "toFieldPath": "spec.forProvider.allocatedStorage", "transforms": [
                        {"type": "math", "math": {"type": "ClampMin", "clampMin": 20}},
                    ]},
                    {"fromFieldPath": "spec.replicaOf", "toFieldPath": "spec.forProvider.replicateSourceDb", "policy": {"fromFieldPath": "Required"}},
                ],
                "connectionDetails": [
                    {"name": "username", "type": "FromValue", "value": "admin"},
                    {"name": "endpoint", "type": "FromFieldPath", "fromFieldPath": "status.atProvider.address"},
                    {"name": "password", "type": "FromConnectionSecretKey", "fromConnectionSecretKey": "attribute.password"},
                ],
            },
        ],
    })
}

fn pt_request() -> RunFunctionRequest {
    let json = json!({
        "meta": {"tag": "pt-1"},
        "observed": {
            "composite": {"resource": {
                "apiVersion": "acme.example.org/v1", "kind": "XDataStore",
                "metadata": {"name": "acme", "labels": {"env": "prod", "team": "platform"}},
                "spec": {"region": "eu-west-1", "project": "acme", "size": "Large", "storageGB": 10},
            }},
            "resources": {"bucket": {"resource": {
                "apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket",
                "metadata": {"name": "acme-x7k2p"},
                "status": {"atProvider": {"arn": "arn:aws:s3:::acme-eu-west-1-data"}},
            }}},
        },
        "desired": {"resources": {"earlier": {"resource": {"apiVersion": "v1", "kind": "ConfigMap"}, "ready": "READY_TRUE"}}},
        "input": module_input("patch-and-transform", json!({"config": pt_config()})),
        "context": {"apiextensions.crossplane.io/environment": {"apiVersion": "internal.crossplane.io/v1alpha1", "kind": "Environment", "tier": "gold"}},
    });
    serde_json::from_value(json).expect("the test request is valid protojson")
}

#[tokio::test]
async fn pt_renders_a_composition_and_withholds_a_resource_missing_a_required_field() {
    let response = runner().run(pt_request()).await;
    assert_eq!(
        to_json(&response),
        json!({
            "meta": {"tag": "pt-1", "ttl": "60s"},
            "desired": {
                "composite": {
                    "resource": {"apiVersion": "acme.example.org/v1", "kind": "XDataStore", "status": {"bucketArn": "arn:aws:s3:::acme-eu-west-1-data"}},
                    "ready": "READY_FALSE",
                },
                "resources": {
                    "bucket": {
                        "resource": {
                            "apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket",
                            "metadata": {
                                "name": "acme-x7k2p",
                                "labels": {"team": "storage", "env": "prod"},
                                "annotations": {"crossplane.io/external-name": "acme-eu-west-1-data"},
                            },
                            "spec": {"forProvider": {"region": "eu-west-1"}},
                        },
                        "ready": "READY_TRUE",
                    },
                    "earlier": {"resource": {"apiVersion": "v1", "kind": "ConfigMap"}, "ready": "READY_TRUE"},
                },
            },
            "results": [{
                "severity": "SEVERITY_WARNING",
                "message": "not adding new composed resource \"database\" to desired state because \"FromCompositeFieldPath\" patch at index 4 has 'policy.fromFieldPath: Required': spec.replicaOf: no such field",
                "target": "TARGET_COMPOSITE",
            }],
            "context": {"apiextensions.crossplane.io/environment": {"apiVersion": "internal.crossplane.io/v1alpha1", "kind": "Environment", "tier": "gold"}},
        })
    );
}

#[tokio::test]
async fn pt_renders_every_resource_once_required_fields_exist() {
    let mut request = pt_request();
    let mut json = serde_json::to_value(&request).expect("serialisable");
    json["observed"]["composite"]["resource"]["spec"]["replicaOf"] = json!("acme-primary");
    json["observed"]["resources"]["database"] = json!({
        "resource": {
            "apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "Instance",
            "metadata": {"name": "acme-db-9f8e"},
            "status": {"atProvider": {"address": "acme.db.example"}, "conditions": [{"type": "Ready", "status": "True"}]},
        },
        "connectionDetails": {"attribute.password": "czNjcmV0"},
    });
    request = serde_json::from_value(json).expect("still valid protojson");
    let response = to_json(&runner().run(request).await);
    assert_eq!(
        response["desired"]["composite"],
        json!({
            "resource": {"apiVersion": "acme.example.org/v1", "kind": "XDataStore", "status": {"bucketArn": "arn:aws:s3:::acme-eu-west-1-data"}},
            "connectionDetails": {"endpoint": "YWNtZS5kYi5leGFtcGxl", "password": "czNjcmV0", "username": "YWRtaW4="},
        })
    );
    assert_eq!(
        response["desired"]["resources"]["database"],
        json!({
            "resource": {
                "apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "Instance",
                "metadata": {"name": "acme-db-9f8e", "labels": {"env": "prod", "team": "platform"}},
                "spec": {"forProvider": {
                    "engine": "postgres", "region": "eu-west-1", "instanceClass": "db.m5.large",
                    "allocatedStorage": 20.0, "replicateSourceDb": "acme-primary",
                }},
            },
            "ready": "READY_TRUE",
        })
    );
    assert_eq!(response.get("results"), None);
}
