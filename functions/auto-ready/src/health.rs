//! Built-in health checks for standard Kubernetes kinds, which have no `Ready` condition.
//!
//! function-auto-ready checks these kinds (by exact apiVersion and kind) before it looks at the
//! `Ready` condition; the rules below are its rules, field by field. A check that fails does not
//! make a resource unready: the `Ready` condition is still consulted afterwards.

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::unstructured::from_unstructured;

/// Whether the observed `resource` passes the health check of its kind; `None` when its kind
/// has no built-in check.
pub(crate) fn check(resource: &Value) -> Option<bool> {
    let api_version = resource.get("apiVersion")?.as_str()?;
    let kind = resource.get("kind")?.as_str()?;
    let healthy = match (api_version, kind) {
        ("v1", "ConfigMap" | "Secret" | "ServiceAccount" | "Namespace") => true,
        ("v1", "Pod") => typed(resource, pod),
        ("v1", "Service") => service(resource),
        ("v1", "PersistentVolumeClaim") => typed(resource, |claim: PersistentVolumeClaim| {
            claim.status.and_then(|status| status.phase).as_deref() == Some("Bound")
        }),
        ("apps/v1", "Deployment") => deployment(resource),
        ("apps/v1", "StatefulSet") => stateful_set(resource),
        ("apps/v1", "DaemonSet") => daemon_set(resource),
        ("apps/v1", "ReplicaSet") => typed(resource, replica_set),
        ("batch/v1", "Job") => typed(resource, job),
        ("batch/v1", "CronJob") => typed(resource, cron_job),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => typed(resource, horizontal_pod_autoscaler),
        ("networking.k8s.io/v1", "Ingress") => has_load_balancer_ingress(resource),
        _ => return None,
    };
    Some(healthy)
}

/// The check of a kind that function-auto-ready reads as a typed Kubernetes object: one that
/// does not convert (a mistyped field anywhere, a timestamp Go cannot parse) is not healthy.
fn typed<T: DeserializeOwned>(resource: &Value, check: impl FnOnce(T) -> bool) -> bool {
    match from_unstructured(resource) {
        Ok(object) => check(object),
        Err(error) => {
            xfn_sdk::log::debug!("auto-ready: not healthy, it does not convert: {error}");
            false
        }
    }
}

/// Every replica updated and available, and an `Available` condition that is `True`.
/// `spec.replicas` defaults to 1.
fn deployment(resource: &Value) -> bool {
    let replicas = int_at(resource, &["spec", "replicas"]).unwrap_or(1);
    let (Some(updated), Some(available)) = (
        int_at(resource, &["status", "updatedReplicas"]),
        int_at(resource, &["status", "availableReplicas"]),
    ) else {
        return false;
    };
    replicas == updated
        && replicas == available
        && conditions(resource).any(|(type_, status)| type_ == "Available" && status == "True")
}

/// Every replica ready and current, and the current revision is the update revision.
/// `spec.replicas` defaults to 1.
fn stateful_set(resource: &Value) -> bool {
    let replicas = int_at(resource, &["spec", "replicas"]).unwrap_or(1);
    let (Some(ready), Some(current)) = (
        int_at(resource, &["status", "readyReplicas"]),
        int_at(resource, &["status", "currentReplicas"]),
    ) else {
        return false;
    };
    if replicas != ready || replicas != current {
        return false;
    }
    match (
        str_at(resource, &["status", "currentRevision"]),
        str_at(resource, &["status", "updateRevision"]),
    ) {
        (Some(current), Some(update)) => current == update,
        _ => false,
    }
}

/// Every pod it should schedule is scheduled ready, updated and available.
fn daemon_set(resource: &Value) -> bool {
    let field = |name| int_at(resource, &["status", name]);
    match (
        field("desiredNumberScheduled"),
        field("numberReady"),
        field("updatedNumberScheduled"),
        field("numberAvailable"),
    ) {
        (Some(desired), Some(ready), Some(updated), Some(available)) => {
            desired == ready && updated == desired && available == desired
        }
        _ => false,
    }
}

/// The controller has seen the latest generation, no `ReplicaFailure`, and at least
/// `spec.replicas` (default 1) available.
fn replica_set(replica_set: ReplicaSet) -> bool {
    let status = replica_set.status.unwrap_or_default();
    let generation = replica_set.metadata.generation.unwrap_or(0);
    if status.observed_generation.unwrap_or(0) < generation {
        return false;
    }
    if status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "ReplicaFailure" && c.status == "True")
    {
        return false;
    }
    let replicas = replica_set.spec.and_then(|spec| spec.replicas).unwrap_or(1);
    status.available_replicas.unwrap_or(0) >= replicas
}

/// The first decisive condition in list order: `Failed` or `Suspended` true is unhealthy,
/// `Complete` true is healthy; none of them means the job is still running.
fn job(job: Job) -> bool {
    let conditions = job.status.and_then(|status| status.conditions);
    first_decisive(
        conditions
            .iter()
            .flatten()
            .map(|c| (c.type_.as_str(), c.status.as_str())),
        &["Failed", "Suspended"],
        &["Complete"],
    )
}

/// Suspended, or running a job, or its last scheduled run succeeded.
fn cron_job(cron_job: CronJob) -> bool {
    if cron_job.spec.and_then(|spec| spec.suspend) == Some(true) {
        return true;
    }
    let status = cron_job.status.unwrap_or_default();
    let Some(last_schedule) = status.last_schedule_time else {
        return false;
    };
    if status.active.is_some_and(|active| !active.is_empty()) {
        return true;
    }
    status
        .last_successful_time
        .is_some_and(|last_success| last_success >= last_schedule)
}

/// The first decisive condition in list order: a failure condition that is true is unhealthy,
/// `ScalingActive` or `ScalingLimited` true is healthy.
fn horizontal_pod_autoscaler(autoscaler: HorizontalPodAutoscaler) -> bool {
    let conditions = autoscaler.status.and_then(|status| status.conditions);
    first_decisive(
        conditions
            .iter()
            .flatten()
            .map(|c| (c.type_.as_str(), c.status.as_str())),
        &[
            "FailedGetScale",
            "FailedUpdateScale",
            "FailedGetResourceMetric",
            "InvalidSelector",
        ],
        &["ScalingActive", "ScalingLimited"],
    )
}

/// Walks `(type, status)` conditions in order: the first true one of an `unhealthy` type
/// decides false, of a `healthy` type true; none decides false.
fn first_decisive<'a>(
    conditions: impl Iterator<Item = (&'a str, &'a str)>,
    unhealthy: &[&str],
    healthy: &[&str],
) -> bool {
    for (type_, status) in conditions {
        if status != "True" {
            continue;
        }
        if unhealthy.contains(&type_) {
            return false;
        }
        if healthy.contains(&type_) {
            return true;
        }
    }
    false
}

/// Succeeded, or running with restart policy `Always` and a `Ready` condition that is `True`.
fn pod(pod: Pod) -> bool {
    let status = pod.status.unwrap_or_default();
    match status.phase.as_deref() {
        Some("Succeeded") => true,
        Some("Running") => {
            pod.spec.and_then(|spec| spec.restart_policy).as_deref() == Some("Always")
                && status
                    .conditions
                    .iter()
                    .flatten()
                    .any(|c| c.type_ == "Ready" && c.status == "True")
        }
        _ => false,
    }
}

/// Any type but `LoadBalancer` (the default is `ClusterIP`) is healthy at once; a load balancer
/// needs an ingress point.
fn service(resource: &Value) -> bool {
    str_at(resource, &["spec", "type"]) != Some("LoadBalancer")
        || has_load_balancer_ingress(resource)
}

/// `status.loadBalancer.ingress` has at least one entry.
fn has_load_balancer_ingress(resource: &Value) -> bool {
    array_at(resource, &["status", "loadBalancer", "ingress"])
        .is_some_and(|ingress| !ingress.is_empty())
}

/// The `(type, status)` of each well-formed entry of `status.conditions`, in order.
fn conditions(resource: &Value) -> impl Iterator<Item = (&str, &str)> {
    array_at(resource, &["status", "conditions"])
        .into_iter()
        .flatten()
        .filter_map(|condition| {
            Some((
                condition.get("type")?.as_str()?,
                condition.get("status")?.as_str()?,
            ))
        })
}

fn at<'a>(resource: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(resource, |value, key| value.get(key))
}

fn str_at<'a>(resource: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(resource, path)?.as_str()
}

fn array_at<'a>(resource: &'a Value, path: &[&str]) -> Option<&'a Vec<Value>> {
    at(resource, path)?.as_array()
}

/// An integer field; like function-auto-ready, a float counts, truncated towards zero
/// (observed objects come through `google.protobuf.Struct`, where every number is a double).
fn int_at(resource: &Value, path: &[&str]) -> Option<i64> {
    let number = at(resource, path)?.as_number()?;
    number.as_i64().or_else(|| {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "truncation towards zero is the upstream rule; `as` saturates out of range"
        )]
        number.as_f64().map(|float| float as i64)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn with(api_version: &str, kind: &str, rest: Value) -> Value {
        let mut resource = json!({"apiVersion": api_version, "kind": kind});
        resource
            .as_object_mut()
            .unwrap()
            .extend(rest.as_object().unwrap().clone());
        resource
    }

    #[test]
    fn kinds_without_a_check_are_none() {
        assert_eq!(
            check(&json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket"})),
            None
        );
        assert_eq!(
            check(&json!({"apiVersion": "apps/v1beta1", "kind": "Deployment"})),
            None
        );
        assert_eq!(check(&json!({"kind": "ConfigMap"})), None);
    }

    #[test]
    fn objects_that_only_need_to_exist() {
        for kind in ["ConfigMap", "Secret", "ServiceAccount", "Namespace"] {
            assert_eq!(check(&with("v1", kind, json!({}))), Some(true), "{kind}");
        }
    }

    #[test]
    fn deployment() {
        let ready = json!({
            "spec": {"replicas": 3},
            "status": {"updatedReplicas": 3, "availableReplicas": 3.0,
                       "conditions": [{"type": "Progressing", "status": "True"}, {"type": "Available", "status": "True"}]},
        });
        assert_eq!(
            check(&with("apps/v1", "Deployment", ready.clone())),
            Some(true)
        );
        let mut rolling = ready.clone();
        rolling["status"]["updatedReplicas"] = json!(2);
        assert_eq!(check(&with("apps/v1", "Deployment", rolling)), Some(false));
        let mut unavailable = ready;
        unavailable["status"]["conditions"][1]["status"] = json!("False");
        assert_eq!(
            check(&with("apps/v1", "Deployment", unavailable)),
            Some(false)
        );
        let default_one = json!({"status": {"updatedReplicas": 1, "availableReplicas": 1,
                                 "conditions": [{"type": "Available", "status": "True"}]}});
        assert_eq!(
            check(&with("apps/v1", "Deployment", default_one)),
            Some(true)
        );
        assert_eq!(
            check(&with("apps/v1", "Deployment", json!({}))),
            Some(false)
        );
    }

    #[test]
    fn stateful_set() {
        let ready = json!({"spec": {"replicas": 2}, "status": {
            "readyReplicas": 2, "currentReplicas": 2, "currentRevision": "r1", "updateRevision": "r1"}});
        assert_eq!(
            check(&with("apps/v1", "StatefulSet", ready.clone())),
            Some(true)
        );
        let mut updating = ready;
        updating["status"]["updateRevision"] = json!("r2");
        assert_eq!(
            check(&with("apps/v1", "StatefulSet", updating)),
            Some(false)
        );
    }

    #[test]
    fn daemon_set() {
        let ready = json!({"status": {"desiredNumberScheduled": 3, "numberReady": 3,
                                      "updatedNumberScheduled": 3, "numberAvailable": 3}});
        assert_eq!(
            check(&with("apps/v1", "DaemonSet", ready.clone())),
            Some(true)
        );
        let mut missing = ready;
        missing["status"]
            .as_object_mut()
            .unwrap()
            .remove("numberAvailable");
        assert_eq!(check(&with("apps/v1", "DaemonSet", missing)), Some(false));
    }

    #[test]
    fn replica_set() {
        let ready = json!({"metadata": {"generation": 2}, "spec": {"replicas": 2},
                           "status": {"observedGeneration": 2, "availableReplicas": 2}});
        assert_eq!(
            check(&with("apps/v1", "ReplicaSet", ready.clone())),
            Some(true)
        );
        let mut stale = ready.clone();
        stale["metadata"]["generation"] = json!(3);
        assert_eq!(check(&with("apps/v1", "ReplicaSet", stale)), Some(false));
        let mut failing = ready;
        failing["status"]["conditions"] = json!([{"type": "ReplicaFailure", "status": "True"}]);
        assert_eq!(check(&with("apps/v1", "ReplicaSet", failing)), Some(false));
    }

    #[test]
    fn job_takes_the_first_decisive_condition() {
        let job = |conditions: Value| {
            check(&with(
                "batch/v1",
                "Job",
                json!({"status": {"conditions": conditions}}),
            ))
        };
        assert_eq!(
            job(json!([{"type": "Complete", "status": "True"}])),
            Some(true)
        );
        assert_eq!(
            job(
                json!([{"type": "Failed", "status": "True"}, {"type": "Complete", "status": "True"}])
            ),
            Some(false)
        );
        assert_eq!(
            job(
                json!([{"type": "Suspended", "status": "False"}, {"type": "Complete", "status": "True"}])
            ),
            Some(true)
        );
        assert_eq!(job(json!([])), Some(false));
    }

    #[test]
    fn cron_job() {
        let cron = |rest: Value| check(&with("batch/v1", "CronJob", rest));
        assert_eq!(cron(json!({"spec": {"suspend": true}})), Some(true));
        assert_eq!(cron(json!({"status": {}})), Some(false));
        assert_eq!(
            cron(
                json!({"status": {"lastScheduleTime": "2024-05-01T10:00:00Z", "active": [{"name": "j"}]}})
            ),
            Some(true)
        );
        assert_eq!(
            cron(
                json!({"status": {"lastScheduleTime": "2024-05-01T10:00:00Z", "lastSuccessfulTime": "2024-05-01T10:00:00Z"}})
            ),
            Some(true)
        );
        assert_eq!(
            cron(
                json!({"status": {"lastScheduleTime": "2024-05-01T10:00:00Z", "lastSuccessfulTime": "2024-05-01T11:59:00+02:00"}})
            ),
            Some(false),
            "09:59 UTC is before the last schedule"
        );
        assert_eq!(
            cron(json!({"status": {"lastScheduleTime": "2024-05-01T10:00:00Z"}})),
            Some(false)
        );
    }

    #[test]
    fn horizontal_pod_autoscaler() {
        let hpa = |conditions: Value| {
            check(&with(
                "autoscaling/v2",
                "HorizontalPodAutoscaler",
                json!({"status": {"conditions": conditions}}),
            ))
        };
        assert_eq!(
            hpa(
                json!([{"type": "AbleToScale", "status": "True"}, {"type": "ScalingActive", "status": "True"}])
            ),
            Some(true)
        );
        assert_eq!(
            hpa(
                json!([{"type": "FailedGetScale", "status": "True"}, {"type": "ScalingLimited", "status": "True"}])
            ),
            Some(false)
        );
        assert_eq!(
            hpa(json!([{"type": "ScalingActive", "status": "False"}])),
            Some(false)
        );
    }

    #[test]
    fn pod() {
        let pod = |rest: Value| check(&with("v1", "Pod", rest));
        assert_eq!(pod(json!({"status": {"phase": "Succeeded"}})), Some(true));
        let running = json!({"spec": {"restartPolicy": "Always"},
                             "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(pod(running.clone()), Some(true));
        let mut once = running;
        once["spec"]["restartPolicy"] = json!("Never");
        assert_eq!(pod(once), Some(false));
        assert_eq!(pod(json!({"status": {"phase": "Pending"}})), Some(false));
    }

    #[test]
    fn services_ingresses_and_claims() {
        assert_eq!(check(&with("v1", "Service", json!({}))), Some(true));
        let lb = json!({"spec": {"type": "LoadBalancer"}});
        assert_eq!(check(&with("v1", "Service", lb.clone())), Some(false));
        let mut assigned = lb;
        assigned["status"] = json!({"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}});
        assert_eq!(check(&with("v1", "Service", assigned.clone())), Some(true));
        assert_eq!(
            check(&with("networking.k8s.io/v1", "Ingress", assigned)),
            Some(true)
        );
        assert_eq!(
            check(&with("networking.k8s.io/v1", "Ingress", json!({}))),
            Some(false)
        );
        let bound = json!({"status": {"phase": "Bound"}});
        assert_eq!(
            check(&with("v1", "PersistentVolumeClaim", bound)),
            Some(true)
        );
        assert_eq!(
            check(&with("v1", "PersistentVolumeClaim", json!({}))),
            Some(false)
        );
    }

    #[test]
    fn typed_kinds_must_convert_as_apimachinery_converts_them() {
        let replica_set = |status: Value| {
            check(&with(
                "apps/v1",
                "ReplicaSet",
                json!({"spec": {"replicas": 2}, "status": status}),
            ))
        };
        assert_eq!(replica_set(json!({"availableReplicas": 2})), Some(true));
        assert_eq!(replica_set(json!({"availableReplicas": 2.5})), Some(false));
        assert_eq!(replica_set(json!({"availableReplicas": "3"})), Some(false));
        assert_eq!(
            replica_set(json!({"availableReplicas": 4_294_967_298_i64})),
            Some(true),
            "int32 wraps as Go's conversion wraps: 2^32 + 2 is 2"
        );
        assert_eq!(
            replica_set(json!({"availableReplicas": 2, "replicas": null})),
            Some(true)
        );
        let labelled = with(
            "apps/v1",
            "ReplicaSet",
            json!({"metadata": {"labels": {"team": 5}}, "status": {"availableReplicas": 1}}),
        );
        assert_eq!(check(&labelled), Some(false), "a label must be a string");
        let cron = with(
            "batch/v1",
            "CronJob",
            json!({"status": {"lastScheduleTime": "2024-05-01T10:00:00Z", "active": [{"name": "j"}],
                              "lastSuccessfulTime": "yesterday"}}),
        );
        assert_eq!(check(&cron), Some(false), "a timestamp Go cannot parse");
        let pod = with(
            "v1",
            "Pod",
            json!({"status": {"phase": "Succeeded", "containerStatuses": [{"name": "c", "restartCount": 1.5}]}}),
        );
        assert_eq!(check(&pod), Some(false));
    }
}
