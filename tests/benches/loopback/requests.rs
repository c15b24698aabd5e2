//! The requests every peer gets: an XR with 0, 10, 100 or 1,000 observed composed resources, as
//! the API server returns them, encoded once.

use bytes::Bytes;
use serde_json::{Map, Value, json};
use xfn_proto::prost::Message as _;
use xfn_proto::v1::RunFunctionRequest;
use xfn_tests::{inline_input, module_input, request};

/// Observed composed resources per request: the sizes every peer runs.
pub const SIZES: [usize; 4] = [0, 10, 100, 1000];

/// A reactor that does no work: it answers `{}` whatever the request. Through the step it costs
/// only what the host adds to a call (Input, transcode, a fresh instance, limits, the response).
pub const EMPTY_REACTOR: &str = r#"(module
  (import "xfn" "set_output" (func $set_output (param i32 i32)))
  (memory (export "memory") 8)
  (data (i32.const 0) "{}")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func (export "xfn_run_v1") (param i32 i32) (result i32)
    (call $set_output (i32.const 0) (i32.const 2))
    i32.const 0))"#;

/// The encoded form of `request`.
pub fn encode(request: &RunFunctionRequest) -> Bytes {
    Bytes::from(request.encode_to_vec())
}

/// The XR of the Deployment requests: an app that hello greets (`spec.who`) and
/// deployment-status deploys (`spec.image`, `spec.replicas`).
fn app_xr() -> Value {
    json!({
        "apiVersion": "example.crossplane.io/v1",
        "kind": "XApp",
        "metadata": {"name": "world", "namespace": "default", "labels": {"team": "platform", "env": "prod"}},
        "spec": {"who": "World", "image": "ghcr.io/example/greeter:v1.2.3", "replicas": 3},
    })
}

/// A request for a step running `module` (the bundled `hello`, or `deployment-status` from the
/// modules directory), with `resources` observed Deployments of about 1 KB each, one desired
/// resource from an earlier step and some context.
pub fn deployments(module: &str, resources: usize) -> RunFunctionRequest {
    with_deployments(
        request("bench", app_xr(), module_input(module, json!({}))),
        resources,
    )
}

/// [`deployments`] for a step running [`EMPTY_REACTOR`], inline.
pub fn empty_reactor(resources: usize) -> RunFunctionRequest {
    with_deployments(
        request("bench", app_xr(), inline_input(EMPTY_REACTOR, json!({}))),
        resources,
    )
}

/// `request` with `count` observed composed resources, each a Deployment as the API server
/// returns it (labels, annotations, owner reference, spec, status conditions), all available.
fn with_deployments(mut request: RunFunctionRequest, count: usize) -> RunFunctionRequest {
    let resources: Map<String, Value> = (0..count)
        .map(|i| {
            let name = format!("app-{i:04}");
            let deployment = json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": name,
                    "namespace": "default",
                    "uid": format!("6c1d2f3e-8a4b-4c5d-9e6f-{i:012}"),
                    "resourceVersion": format!("{}", 100_000 + i),
                    "generation": 3,
                    "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "world", "crossplane.io/composite": "world"},
                    "annotations": {"crossplane.io/composition-resource-name": name, "deployment.kubernetes.io/revision": "3"},
                    "ownerReferences": [{"apiVersion": "example.crossplane.io/v1", "kind": "XApp", "name": "world", "uid": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "controller": true}],
                },
                "spec": {
                    "replicas": 3,
                    "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                    "template": {
                        "metadata": {"labels": {"app.kubernetes.io/name": name}},
                        "spec": {"containers": [{
                            "name": "app",
                            "image": "ghcr.io/example/greeter:v1.2.3",
                            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                        }]},
                    },
                },
                "status": {
                    "observedGeneration": 3, "replicas": 3, "readyReplicas": 3, "availableReplicas": 3,
                    "conditions": [
                        {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "lastTransitionTime": "2025-11-27T07:00:00Z"},
                        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "lastTransitionTime": "2025-11-27T07:00:00Z"},
                    ],
                },
            });
            (name, json!({"resource": deployment}))
        })
        .collect();
    let observed: xfn_proto::v1::State = serde_json::from_value(json!({"resources": resources}))
        .expect("the resources are valid protojson");
    request.observed.get_or_insert_default().resources = observed.resources;
    request
}

/// Buckets a P&T composition of `observed` observed resources composes: one each, and one on
/// the first reconcile, when nothing is observed yet.
pub fn pt_composed(observed: usize) -> usize {
    observed.max(1)
}

/// A P&T composition of [`pt_composed`] S3 buckets for a step running the bundled
/// `patch-and-transform` module (the P&T input under `config`), `observed` of them observed
/// (about 0.8 KB each) and ready.
///
/// Each bucket has a PatchSet (labels with `MergeObjects`, region), a combine patch for the
/// external name, a string `Convert` and a `map`, a `math` clamp, a `ToCompositeFieldPath` patch,
/// a `MatchCondition` readiness check and a `FromFieldPath` connection detail, so every patch
/// type does its work.
pub fn pt(observed: usize) -> RunFunctionRequest {
    let templates: Vec<Value> = (0..pt_composed(observed))
        .map(|i| {
            json!({
                "name": format!("bucket-{i:04}"),
                "base": {
                    "apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket",
                    "metadata": {"labels": {"app.kubernetes.io/component": "storage"}},
                    "spec": {"forProvider": {"forceDestroy": false}, "deletionPolicy": "Delete"},
                },
                "patches": [
                    {"type": "PatchSet", "patchSetName": "common"},
                    {"type": "CombineFromComposite", "toFieldPath": "metadata.annotations[crossplane.io/external-name]",
                     "combine": {"variables": [{"fromFieldPath": "spec.project"}, {"fromFieldPath": "spec.region"}], "strategy": "string", "string": {"fmt": format!("%s-%s-{i:04}")}}},
                    {"fromFieldPath": "spec.size", "toFieldPath": "spec.forProvider.storageClass", "transforms": [
                        {"type": "string", "string": {"type": "Convert", "convert": "ToLower"}},
                        {"type": "map", "map": {"small": "ONEZONE_IA", "large": "STANDARD"}},
                    ]},
                    {"fromFieldPath": "spec.retentionDays", "toFieldPath": "spec.forProvider.retentionDays", "transforms": [
                        {"type": "math", "math": {"type": "ClampMin", "clampMin": 7}},
                    ]},
                    {"type": "ToCompositeFieldPath", "fromFieldPath": "status.atProvider.arn", "toFieldPath": format!("status.buckets.bucket-{i:04}")},
                ],
                "readinessChecks": [{"type": "MatchCondition", "matchCondition": {"type": "Ready", "status": "True"}}],
                "connectionDetails": [{"name": format!("bucket-{i:04}-arn"), "type": "FromFieldPath", "fromFieldPath": "status.atProvider.arn"}],
            })
        })
        .collect();
    let config = json!({
        "apiVersion": "pt.fn.crossplane.io/v1beta1",
        "kind": "Resources",
        "patchSets": [{"name": "common", "patches": [
            {"fromFieldPath": "metadata.labels", "toFieldPath": "metadata.labels", "policy": {"toFieldPath": "MergeObjects"}},
            {"fromFieldPath": "spec.region", "toFieldPath": "spec.forProvider.region"},
        ]}],
        "resources": templates,
    });
    let resources: Map<String, Value> = (0..observed)
        .map(|i| {
            let name = format!("bucket-{i:04}");
            let bucket = json!({
                "apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket",
                "metadata": {
                    "name": format!("acme-{i:04}-x7k2p"),
                    "uid": format!("6c1d2f3e-8a4b-4c5d-9e6f-{i:012}"),
                    "labels": {"app.kubernetes.io/component": "storage", "crossplane.io/composite": "acme"},
                    "annotations": {"crossplane.io/composition-resource-name": name, "crossplane.io/external-name": format!("acme-eu-west-1-{i:04}")},
                },
                "spec": {"forProvider": {"region": "eu-west-1", "forceDestroy": false}, "deletionPolicy": "Delete"},
                "status": {
                    "atProvider": {"arn": format!("arn:aws:s3:::acme-eu-west-1-{i:04}"), "id": format!("acme-eu-west-1-{i:04}"), "region": "eu-west-1"},
                    "conditions": [
                        {"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2025-11-27T07:00:00Z"},
                        {"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "2025-11-27T07:00:00Z"},
                    ],
                },
            });
            (name, json!({"resource": bucket}))
        })
        .collect();
    let json = json!({
        "meta": {"tag": "bench"},
        "observed": {
            "composite": {"resource": {
                "apiVersion": "acme.example.org/v1", "kind": "XStorage",
                "metadata": {"name": "acme", "labels": {"team": "platform", "env": "prod"}},
                "spec": {"region": "eu-west-1", "project": "acme", "size": "Large", "retentionDays": 3},
            }},
            "resources": resources,
        },
        "input": module_input("patch-and-transform", json!({"config": config})),
        "context": {"apiextensions.crossplane.io/environment": {"apiVersion": "internal.crossplane.io/v1alpha1", "kind": "Environment"}},
    });
    serde_json::from_value(json).expect("the bench request is valid protojson")
}

/// `request` as the real function-patch-and-transform takes it: the step's `config` is the input.
pub fn unwrapped(mut request: RunFunctionRequest) -> RunFunctionRequest {
    use xfn_proto::pbjson_types::value::Kind;
    let config = request
        .input
        .as_ref()
        .and_then(|input| input.fields.get("config"))
        .and_then(|config| config.kind.clone());
    request.input = match config {
        Some(Kind::StructValue(config)) => Some(config),
        _ => panic!("a P&T request carries its config under input.config"),
    };
    request
}
