//! Whole requests in, whole responses out, mirroring upstream's `fn_test.go` cases.

use serde_json::{Map, Value, json};
use xfn_sdk::testing::run_value;

use crate::compose;

/// `value`'s object, for unit tests that write their objects with `json!`.
pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("test values are objects"),
    }
}

fn run(request: Value) -> Value {
    run_value(compose, &request)
}

/// The context upstream returns when there was no environment.
fn default_context() -> Value {
    json!({"apiextensions.crossplane.io/environment": {
        "apiVersion": "internal.crossplane.io/v1alpha1", "kind": "Environment",
    }})
}

fn warning(message: &str) -> Value {
    json!({"severity": "SEVERITY_WARNING", "message": message, "target": "TARGET_COMPOSITE"})
}

fn fatal(message: &str) -> Value {
    json!({"severity": "SEVERITY_FATAL", "message": message, "target": "TARGET_COMPOSITE"})
}

#[test]
fn no_input_is_fatal_and_changes_nothing() {
    let desired =
        json!({"resources": {"keep": {"resource": {"kind": "Keep"}, "ready": "READY_TRUE"}}});
    let rsp = run(json!({"meta": {"tag": "t"}, "desired": desired, "context": {"k": 1}}));
    assert_eq!(
        rsp,
        json!({
            "meta": {"tag": "t"},
            "desired": desired,
            "results": [fatal("invalid Function input: resources: Required value: resources or environment patches are required")],
            "context": {"k": 1},
        })
    );
}

#[test]
fn validation_errors_name_the_field_path() {
    let rsp = run(json!({"input": {"resources": [
        {"name": "a", "base": {"kind": "A"}},
        {"name": "b", "patches": [{"fromFieldPath": "x"}, {"fromFieldPath": "y"}, {
            "fromFieldPath": "spec.a",
            "transforms": [{"type": "string", "string": {"fmt": "%s"}}],
        }]},
    ]}}));
    assert_eq!(
        rsp["results"],
        json!([fatal(
            "invalid Function input: resources[1].patches[2].transforms[0].string.type: Required value: string transform type is required"
        )])
    );
}

#[test]
fn renders_a_base_patched_from_the_xr_and_keeps_the_observed_name() {
    let rsp = run(json!({
        "input": {"resources": [{
            "name": "cool-resource",
            "base": {"apiVersion": "example.org/v1", "kind": "CD", "spec": {"widgets": 9001}},
            "patches": [{"fromFieldPath": "spec.widgets", "toFieldPath": "spec.watchers", "transforms": [
                {"type": "convert", "convert": {"toType": "int64"}},
                {"type": "math", "math": {"type": "Multiply", "multiply": 2}},
            ]}],
        }]},
        "observed": {
            "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR", "spec": {"widgets": 10}}},
            "resources": {"cool-resource": {"resource": {
                "apiVersion": "example.org/v1", "kind": "CD",
                "metadata": {"namespace": "default", "name": "cool-42"},
                "status": {"conditions": [{"type": "Ready", "status": "True"}]},
            }}},
        },
    }));
    assert_eq!(
        rsp,
        json!({
            "desired": {
                "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR"}},
                "resources": {"cool-resource": {
                    "resource": {
                        "apiVersion": "example.org/v1", "kind": "CD",
                        "metadata": {"namespace": "default", "name": "cool-42"},
                        "spec": {"widgets": 9001, "watchers": 20},
                    },
                    "ready": "READY_TRUE",
                }},
            },
            "context": default_context(),
        })
    );
}

#[test]
fn required_field_path_not_found_skips_new_resources_and_warns_for_existing_ones() {
    let rsp = run(json!({
        "input": {"resources": [
            {
                "name": "new-resource",
                "base": {"apiVersion": "example.org/v1", "kind": "CD", "spec": {}},
                "patches": [{"fromFieldPath": "spec.doesNotExist", "policy": {"fromFieldPath": "Required"}}],
            },
            {
                "name": "existing-resource",
                "base": {"apiVersion": "example.org/v1", "kind": "CD", "spec": {"targetObject": {"keep": "me"}}},
                "patches": [
                    {"fromFieldPath": "spec.widgets", "toFieldPath": "spec.watchers"},
                    {"fromFieldPath": "spec.sourceObject", "toFieldPath": "spec.targetObject", "policy": {"toFieldPath": "MergeObjects"}},
                    {"fromFieldPath": "spec.doesNotExist", "policy": {"fromFieldPath": "Required"}},
                ],
            },
        ]},
        "observed": {
            "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR", "spec": {"widgets": "10", "sourceObject": {"me": "too"}}}},
            "resources": {"existing-resource": {}},
        },
        "desired": {"composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR", "spec": {"widgets": "10"}}}},
    }));
    assert_eq!(
        rsp,
        json!({
            "desired": {
                "composite": {
                    "resource": {"apiVersion": "example.org/v1", "kind": "XR", "spec": {"widgets": "10"}},
                    "ready": "READY_FALSE",
                },
                "resources": {"existing-resource": {"resource": {
                    "apiVersion": "example.org/v1", "kind": "CD",
                    "spec": {"watchers": "10", "targetObject": {"me": "too", "keep": "me"}},
                }}},
            },
            "results": [
                warning("not adding new composed resource \"new-resource\" to desired state because \"FromCompositeFieldPath\" patch at index 0 has 'policy.fromFieldPath: Required': spec.doesNotExist: no such field"),
                warning("cannot render composed resource \"existing-resource\" \"FromCompositeFieldPath\" patch at index 2: ignoring 'policy.fromFieldPath: Required' because 'to' resource already exists: spec.doesNotExist: no such field"),
            ],
            "context": default_context(),
        })
    );
}

#[test]
fn a_patch_error_is_fatal_and_keeps_desired_state() {
    let desired =
        json!({"composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR"}}});
    let rsp = run(json!({
        "input": {"resources": [{
            "name": "cool-resource",
            "base": {"apiVersion": "example.org/v1", "kind": "CD"},
            "patches": [
                {"fromFieldPath": "spec.widgets", "toFieldPath": "spec.watchers"},
                {"fromFieldPath": "spec.widgets[0]", "toFieldPath": "spec.watchers"},
            ],
        }]},
        "observed": {"composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR", "spec": {"widgets": "10"}}}},
        "desired": desired,
    }));
    assert_eq!(
        rsp,
        json!({
            "desired": desired,
            "results": [fatal("cannot render composed resource \"cool-resource\" \"FromCompositeFieldPath\" patch at index 1: spec.widgets: not an array")],
        })
    );
}

#[test]
fn a_template_without_base_patches_the_previous_steps_resource() {
    let rsp = run(json!({
        "input": {"resources": [
            {"name": "cool-resource", "patches": [{"fromFieldPath": "spec.widgets", "toFieldPath": "spec.watchers"}]},
        ]},
        "observed": {"composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR", "spec": {"widgets": "10"}}}},
        "desired": {"resources": {"cool-resource": {"resource": {"apiVersion": "example.org/v1", "kind": "CD"}, "ready": "READY_TRUE"}}},
    }));
    assert_eq!(
        rsp["desired"]["resources"],
        json!({"cool-resource": {"resource": {"apiVersion": "example.org/v1", "kind": "CD", "spec": {"watchers": "10"}}}})
    );
    let rsp = run(json!({"input": {"resources": [{"name": "cool-resource"}]}}));
    assert_eq!(
        rsp["results"],
        json!([fatal(
            "composed resource \"cool-resource\" has no base template, and was not produced by a previous Function in the pipeline"
        )])
    );
}

#[test]
fn transform_errors_name_resource_patch_and_transform() {
    let rsp = run(json!({
        "input": {"resources": [{
            "name": "db",
            "base": {"apiVersion": "example.org/v1", "kind": "DB"},
            "patches": [{"fromFieldPath": "spec.size", "toFieldPath": "spec.class", "transforms": [
                {"type": "string", "string": {"type": "Convert", "convert": "ToUpper"}},
                {"type": "map", "map": {"SMALL": "db.t3.small"}},
            ]}],
        }]},
        "observed": {"composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR", "spec": {"size": "huge"}}}},
    }));
    assert_eq!(
        rsp["results"],
        json!([fatal(
            "cannot render composed resource \"db\" \"FromCompositeFieldPath\" patch at index 0: transform at index 1 returned error: map transform could not resolve: key HUGE is not found in map"
        )])
    );
}

#[test]
fn environment_patches_run_first_and_feed_resources() {
    let rsp = run(json!({
        "input": {
            "environment": {"patches": [
                {"type": "ToEnvironmentFieldPath", "fromFieldPath": "spec.region", "toFieldPath": "region"},
                {"type": "FromEnvironmentFieldPath", "fromFieldPath": "tier", "toFieldPath": "status.tier"},
                {"fromFieldPath": "spec.optional", "toFieldPath": "optional"},
            ]},
            "resources": [{
                "name": "bucket",
                "base": {"apiVersion": "example.org/v1", "kind": "Bucket"},
                "patches": [
                    {"type": "FromEnvironmentFieldPath", "fromFieldPath": "region", "toFieldPath": "spec.region"},
                    {"type": "CombineFromEnvironment", "combine": {"variables": [{"fromFieldPath": "tier"}, {"fromFieldPath": "region"}], "strategy": "string", "string": {"fmt": "%s-%s"}}, "toFieldPath": "metadata.labels[example.org/placement]"},
                ],
            }],
        },
        "observed": {"composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR", "spec": {"region": "eu"}}}},
        "context": {"apiextensions.crossplane.io/environment": {"apiVersion": "internal.crossplane.io/v1alpha1", "kind": "Environment", "tier": "gold"}},
    }));
    assert_eq!(
        rsp,
        json!({
            "desired": {
                "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR", "status": {"tier": "gold"}}},
                "resources": {"bucket": {"resource": {
                    "apiVersion": "example.org/v1", "kind": "Bucket",
                    "metadata": {"labels": {"example.org/placement": "gold-eu"}},
                    "spec": {"region": "eu"},
                }}},
            },
            "context": {"apiextensions.crossplane.io/environment": {
                "apiVersion": "internal.crossplane.io/v1alpha1", "kind": "Environment", "tier": "gold", "region": "eu",
            }},
        })
    );
}

#[test]
fn a_required_environment_patch_with_a_missing_source_is_fatal() {
    let rsp = run(json!({
        "input": {"environment": {"patches": [
            {"fromFieldPath": "spec.a", "toFieldPath": "a"},
            {"fromFieldPath": "spec.doesNotExist", "toFieldPath": "b", "policy": {"fromFieldPath": "Required"}},
        ]}},
        "observed": {"composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR", "spec": {"a": 1}}}},
    }));
    assert_eq!(
        rsp["results"],
        json!([fatal(
            "cannot apply the \"FromCompositeFieldPath\" environment patch at index 1: spec.doesNotExist: no such field"
        )])
    );
}

#[test]
fn v1_xrs_get_connection_details_and_v2_xrs_a_secret() {
    let request = |xr: Value| {
        json!({
            "input": {
                "writeConnectionSecretToRef": {"name": "cool-conn-secret"},
                "resources": [{
                    "name": "cool-resource",
                    "base": {"apiVersion": "example.org/v1", "kind": "CD"},
                    "connectionDetails": [{"type": "FromConnectionSecretKey", "name": "very", "fromConnectionSecretKey": "very"}],
                    "readinessChecks": [{"type": "None"}],
                }],
            },
            "observed": {
                "composite": {"resource": xr.clone()},
                "resources": {"cool-resource": {
                    "resource": {"apiVersion": "example.org/v1", "kind": "CD", "metadata": {"namespace": "default", "name": "cool-42"}},
                    "connectionDetails": {"very": "c2VjcmV0"},
                }},
            },
            "desired": {"composite": {"resource": xr, "connectionDetails": {"existing": "c3VwZXJzZWNyZXR2YWx1ZQ=="}}},
        })
    };
    let v1 =
        json!({"apiVersion": "example.org/v1", "kind": "XR", "metadata": {"name": "cool-xr-42"}});
    let rsp = run(request(v1.clone()));
    assert_eq!(
        rsp["desired"]["composite"],
        json!({"resource": v1, "connectionDetails": {"existing": "c3VwZXJzZWNyZXR2YWx1ZQ==", "very": "c2VjcmV0"}})
    );
    assert_eq!(
        rsp["desired"]["resources"]["cool-resource"]["ready"],
        "READY_TRUE"
    );
    let v2 = json!({"apiVersion": "example.org/v1", "kind": "XR", "metadata": {"namespace": "default", "name": "cool-xr-42"}, "spec": {"crossplane": {}}});
    let rsp = run(request(v2));
    assert_eq!(
        rsp["desired"]["resources"]["cool-xr-42-connection-secret"],
        json!({
            "resource": {
                "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cool-conn-secret"},
                "data": {"existing": "c3VwZXJzZWNyZXR2YWx1ZQ==", "very": "c2VjcmV0"},
                "type": "connection.crossplane.io/v1alpha1",
            },
            "ready": "READY_TRUE",
        })
    );
}

#[test]
fn to_composite_patches_read_the_observed_resource_and_formats_see_float64() {
    let rsp = run(json!({
        "input": {"resources": [{
            "name": "db",
            "base": {"apiVersion": "example.org/v1", "kind": "DB"},
            "patches": [
                {"type": "ToCompositeFieldPath", "fromFieldPath": "status.port", "toFieldPath": "status.port"},
                {"type": "CombineToComposite", "combine": {"variables": [{"fromFieldPath": "status.host"}, {"fromFieldPath": "status.port"}], "strategy": "string", "string": {"fmt": "%s:%d"}}, "toFieldPath": "status.address"},
                {"type": "ToCompositeFieldPath", "fromFieldPath": "status.port", "toFieldPath": "status.url", "transforms": [
                    {"type": "convert", "convert": {"toType": "int"}},
                    {"type": "string", "string": {"type": "Format", "fmt": "db:%d"}},
                ]},
            ],
        }]},
        "observed": {
            "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR"}},
            "resources": {"db": {"resource": {"apiVersion": "example.org/v1", "kind": "DB", "status": {"host": "h", "port": 5432}}}},
        },
    }));
    assert_eq!(
        rsp["desired"]["composite"]["resource"]["status"],
        json!({"port": 5432, "address": "h:%!d(float64=5432)", "url": "db:5432"})
    );
}
