//! Built-in health checks for standard Kubernetes kinds, which have no `Ready` condition.
//!
//! function-auto-ready checks these kinds (by exact apiVersion and kind) before it looks at the
//! `Ready` condition; the rules below are its rules, field by field. A check that fails does not
//! make a resource unready: the `Ready` condition is still consulted afterwards.

use serde_json::Value;

/// Whether the observed `resource` passes the health check of its kind; `None` when its kind
/// has no built-in check.
pub(crate) fn check(resource: &Value) -> Option<bool> {
    let api_version = resource.get("apiVersion")?.as_str()?;
    let kind = resource.get("kind")?.as_str()?;
    let healthy = match (api_version, kind) {
        ("v1", "ConfigMap" | "Secret" | "ServiceAccount" | "Namespace") => true,
        ("v1", "Pod") => pod(resource),
        ("v1", "Service") => service(resource),
        ("v1", "PersistentVolumeClaim") => str_at(resource, &["status", "phase"]) == Some("Bound"),
        ("apps/v1", "Deployment") => deployment(resource),
        ("apps/v1", "StatefulSet") => stateful_set(resource),
        ("apps/v1", "DaemonSet") => daemon_set(resource),
        ("apps/v1", "ReplicaSet") => replica_set(resource),
        ("batch/v1", "Job") => job(resource),
        ("batch/v1", "CronJob") => cron_job(resource),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => horizontal_pod_autoscaler(resource),
        ("networking.k8s.io/v1", "Ingress") => has_load_balancer_ingress(resource),
        _ => return None,
    };
    Some(healthy)
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
fn replica_set(resource: &Value) -> bool {
    let observed_generation = int_at(resource, &["status", "observedGeneration"]).unwrap_or(0);
    let generation = int_at(resource, &["metadata", "generation"]).unwrap_or(0);
    if observed_generation < generation {
        return false;
    }
    if conditions(resource).any(|(type_, status)| type_ == "ReplicaFailure" && status == "True") {
        return false;
    }
    let replicas = int_at(resource, &["spec", "replicas"]).unwrap_or(1);
    int_at(resource, &["status", "availableReplicas"]).unwrap_or(0) >= replicas
}

/// The first decisive condition in list order: `Failed` or `Suspended` true is unhealthy,
/// `Complete` true is healthy; none of them means the job is still running.
fn job(resource: &Value) -> bool {
    for (type_, status) in conditions(resource) {
        if status != "True" {
            continue;
        }
        match type_ {
            "Failed" | "Suspended" => return false,
            "Complete" => return true,
            _ => {}
        }
    }
    false
}

/// Suspended, or running a job, or its last scheduled run succeeded.
fn cron_job(resource: &Value) -> bool {
    if resource.pointer("/spec/suspend") == Some(&Value::Bool(true)) {
        return true;
    }
    let Some(last_schedule) = time_at(resource, &["status", "lastScheduleTime"]) else {
        return false;
    };
    if array_at(resource, &["status", "active"]).is_some_and(|active| !active.is_empty()) {
        return true;
    }
    time_at(resource, &["status", "lastSuccessfulTime"])
        .is_some_and(|last_success| last_success >= last_schedule)
}

/// The first decisive condition in list order: a failure condition that is true is unhealthy,
/// `ScalingActive` or `ScalingLimited` true is healthy.
fn horizontal_pod_autoscaler(resource: &Value) -> bool {
    for (type_, status) in conditions(resource) {
        if status != "True" {
            continue;
        }
        match type_ {
            "FailedGetScale"
            | "FailedUpdateScale"
            | "FailedGetResourceMetric"
            | "InvalidSelector" => return false,
            "ScalingActive" | "ScalingLimited" => return true,
            _ => {}
        }
    }
    false
}

/// Succeeded, or running with restart policy `Always` and a `Ready` condition that is `True`.
fn pod(resource: &Value) -> bool {
    match str_at(resource, &["status", "phase"]) {
        Some("Succeeded") => true,
        Some("Running") => {
            str_at(resource, &["spec", "restartPolicy"]) == Some("Always")
                && conditions(resource).any(|(type_, status)| type_ == "Ready" && status == "True")
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
pub(crate) fn conditions(resource: &Value) -> impl Iterator<Item = (&str, &str)> {
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

/// A Kubernetes timestamp field, as seconds and nanoseconds since the Unix epoch.
fn time_at(resource: &Value, path: &[&str]) -> Option<(i64, u32)> {
    parse_rfc3339(str_at(resource, path)?)
}

/// Parses an RFC 3339 timestamp (`2024-05-01T10:00:00Z`, with optional fraction and offset),
/// the form Kubernetes writes `metav1.Time` in.
fn parse_rfc3339(text: &str) -> Option<(i64, u32)> {
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    let bytes = text.as_bytes();
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(i, c)| bytes.get(i) != Some(&c))
        || !matches!(bytes.get(10), Some(b'T' | b't'))
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let mut rest = text.get(19..)?;
    let mut nanos = 0u32;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        let scale = 10u32.pow(u32::try_from(9 - digits).ok()?);
        nanos = fraction[..digits].parse::<u32>().ok()? * scale;
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let offset = rest.get(1..)?;
            let (hours, minutes) = offset.split_once(':')?;
            if hours.len() != 2 || minutes.len() != 2 {
                return None;
            }
            sign * (hours.parse::<i64>().ok()? * 3600 + minutes.parse::<i64>().ok()? * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some((
        days * 86_400 + hour * 3600 + minute * 60 + second - offset,
        nanos,
    ))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
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
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(
            parse_rfc3339("2024-02-29T12:30:15.25Z"),
            Some((1_709_209_815, 250_000_000))
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T14:30:15+02:00"),
            Some((1_709_209_815, 0))
        );
        assert_eq!(parse_rfc3339("2024-02-29 12:30:15Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
