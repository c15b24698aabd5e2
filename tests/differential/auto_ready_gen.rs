//! A seeded generator of RunFunctionRequests for auto-ready: desired composed resources (some
//! with readiness set by an earlier step) and observed ones of every kind function-auto-ready
//! checks, plus custom kinds with `Ready` conditions, their status fields present, missing,
//! mistyped or malformed.

use serde_json::{Map, Value, json};

use super::rng::Rng;
use super::values;

/// The kinds function-auto-ready has a health check for, by apiVersion and kind.
const CHECKED_KINDS: &[(&str, &str)] = &[
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "Namespace"),
    ("v1", "ServiceAccount"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("networking.k8s.io/v1", "Ingress"),
];

/// Durations Go's `time.ParseDuration` reads; none negative, which the module refuses
/// (docs/compatibility.md; pinned by its own test).
const TTLS: &[&str] = &[
    "5m",
    "1h30m",
    "90s",
    "0s",
    "1.5h",
    "300ms",
    "2h45m10.5s",
    "1us",
];

/// The request for generated case `case`.
pub fn request(rng: &mut Rng, case: u64) -> Value {
    let mut desired = Map::new();
    let mut observed = Map::new();
    for index in 0..rng.range(1, 6) {
        let name = format!("{}-{index}", rng.pick(&["bucket", "db", "app", "ünï"]));
        let (api_version, kind) = kind(rng);
        if rng.chance(85) {
            let mut entry = json!({"resource": {"apiVersion": api_version, "kind": kind}});
            if rng.chance(20) {
                entry["ready"] =
                    json!(rng.pick(&["READY_TRUE", "READY_FALSE", "READY_UNSPECIFIED"]));
            }
            desired.insert(name.clone(), entry);
        }
        if rng.chance(80) {
            observed.insert(
                name,
                json!({"resource": observed_resource(rng, api_version, kind)}),
            );
        }
    }
    let mut request = json!({
        "meta": {"tag": format!("generated-{case}")},
        "observed": {
            "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XApp", "metadata": {"name": "x"},
                "status": {"conditions": conditions(rng)}}},
            "resources": observed,
        },
        "desired": {
            "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XApp"}},
            "resources": desired,
        },
    });
    match rng.below(10) {
        0..=5 => {}
        6 => request["input"] = json!({}),
        _ => {
            request["input"] = json!({"apiVersion": "autoready.fn.crossplane.io/v1beta1", "kind": "Input",
                "ttl": rng.pick(TTLS)});
        }
    }
    request
}

/// A checked kind (sometimes at another apiVersion, which has no check) or a custom one.
fn kind(rng: &mut Rng) -> (&'static str, &'static str) {
    match rng.below(10) {
        0..=6 => *rng.pick(CHECKED_KINDS),
        7 => (
            *rng.pick(&["apps/v1beta1", "v2", "batch/v1beta1"]),
            rng.pick(CHECKED_KINDS).1,
        ),
        _ => (
            *rng.pick(&["s3.aws.upbound.io/v1beta1", "example.org/v1"]),
            *rng.pick(&["Bucket", "Instance"]),
        ),
    }
}

/// An observed resource of `kind` with the status fields its check reads, each present, missing,
/// mistyped or out of line.
fn observed_resource(rng: &mut Rng, api_version: &str, kind: &str) -> Value {
    let mut status = Map::new();
    let mut spec = Map::new();
    let count = |rng: &mut Rng| -> Value {
        match rng.below(12) {
            0 => json!("3"),
            1 => Value::Null,
            2 => json!(2.5),
            _ => json!(rng.range(0, 3)),
        }
    };
    match kind {
        "Pod" => {
            maybe(
                &mut status,
                "phase",
                json!(rng.pick(&["Running", "Succeeded", "Failed", "Pending", "Unknown"])),
                rng,
            );
            maybe(
                &mut spec,
                "restartPolicy",
                json!(rng.pick(&["Always", "OnFailure", "Never"])),
                rng,
            );
            maybe(
                &mut status,
                "containerStatuses",
                json!([{"name": "c", "state": container_state(rng)}]),
                rng,
            );
        }
        "Service" => {
            maybe(
                &mut spec,
                "type",
                json!(rng.pick(&["LoadBalancer", "ClusterIP", "NodePort"])),
                rng,
            );
            maybe(&mut status, "loadBalancer", load_balancer(rng), rng);
        }
        "Ingress" => maybe(&mut status, "loadBalancer", load_balancer(rng), rng),
        "PersistentVolumeClaim" => {
            maybe(
                &mut status,
                "phase",
                json!(rng.pick(&["Bound", "Pending", "Lost", "Other"])),
                rng,
            );
        }
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => {
            maybe(&mut spec, "replicas", count(rng), rng);
            for key in [
                "updatedReplicas",
                "availableReplicas",
                "readyReplicas",
                "currentReplicas",
                "desiredNumberScheduled",
                "numberReady",
                "updatedNumberScheduled",
                "numberAvailable",
                "observedGeneration",
            ] {
                maybe(&mut status, key, count(rng), rng);
            }
            let revision = *rng.pick(&["rev-1", "rev-2"]);
            maybe(&mut status, "currentRevision", json!(revision), rng);
            maybe(
                &mut status,
                "updateRevision",
                json!(rng.pick(&["rev-1", "rev-2", "rev-1"])),
                rng,
            );
        }
        "CronJob" => {
            maybe(&mut spec, "suspend", json!(rng.chance(30)), rng);
            maybe(&mut status, "lastScheduleTime", timestamp(rng), rng);
            maybe(&mut status, "lastSuccessfulTime", timestamp(rng), rng);
            if rng.chance(40) {
                status.insert("active".into(), json!([{"name": "job-1"}]));
            }
        }
        _ => {}
    }
    if rng.chance(75) {
        status.insert("conditions".into(), conditions(rng));
    }
    let mut resource = json!({"apiVersion": api_version, "kind": kind,
        "metadata": {"name": format!("{}-x1", kind.to_lowercase())}});
    if rng.chance(20) {
        resource["metadata"]["generation"] = json!(rng.range(1, 3));
    }
    if rng.chance(10) {
        resource["metadata"]["labels"] = json!({"team": rng.pick(&[json!("a"), json!(5)])});
    }
    if !spec.is_empty() {
        resource["spec"] = Value::Object(spec);
    }
    if !status.is_empty() || rng.chance(50) {
        if rng.chance(5) {
            status.insert(values::key(rng), values::value(rng, 1));
        }
        resource["status"] = Value::Object(status);
    }
    resource
}

/// Sets `key` to `value` most of the time: fields may be missing.
fn maybe(map: &mut Map<String, Value>, key: &str, value: Value, rng: &mut Rng) {
    if rng.chance(85) {
        map.insert(key.to_owned(), value);
    }
}

/// Conditions of any type the checks read, with any status, some incomplete or mistyped.
fn conditions(rng: &mut Rng) -> Value {
    const TYPES: &[&str] = &[
        "Ready",
        "Ready",
        "Synced",
        "Available",
        "Complete",
        "Failed",
        "Suspended",
        "ScalingActive",
        "ScalingLimited",
        "AbleToScale",
        "FailedGetScale",
        "ReplicaFailure",
    ];
    let list = (0..rng.range(0, 3))
        .map(|_| {
            let mut condition = Map::new();
            if rng.chance(95) {
                condition.insert("type".into(), json!(rng.pick(TYPES)));
            }
            if rng.chance(95) {
                let status = match rng.below(20) {
                    0 => json!(true),
                    1 => json!("true"),
                    _ => json!(rng.pick(&["True", "False", "Unknown"])),
                };
                condition.insert("status".into(), status);
            }
            if rng.chance(30) {
                condition.insert("lastTransitionTime".into(), timestamp(rng));
            }
            condition.insert("reason".into(), json!("Available"));
            Value::Object(condition)
        })
        .collect();
    Value::Array(list)
}

/// A timestamp as Kubernetes writes it, sometimes one it cannot parse.
fn timestamp(rng: &mut Rng) -> Value {
    json!(rng.pick(&[
        "2026-01-02T03:04:05Z",
        "2026-01-02T03:04:06Z",
        "2025-12-31T23:59:59Z",
        "yesterday"
    ]))
}

fn container_state(rng: &mut Rng) -> Value {
    match rng.below(4) {
        0 => {
            json!({"waiting": {"reason": rng.pick(&["ImagePullBackOff", "ContainerCreating", "CrashLoopBackOff"])}})
        }
        1 => json!({"terminated": {"exitCode": 1}}),
        _ => json!({"running": {}}),
    }
}

fn load_balancer(rng: &mut Rng) -> Value {
    match rng.below(4) {
        0 => json!({}),
        1 => json!({"ingress": []}),
        2 => json!({"ingress": "10.0.0.1"}),
        _ => json!({"ingress": [{"ip": "10.0.0.1"}]}),
    }
}
