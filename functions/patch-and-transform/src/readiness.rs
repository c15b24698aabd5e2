//! Readiness checks of an observed composed resource, as upstream's `ready.go`.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::fieldpath;
use crate::input::ReadinessCheck;
use crate::validate;

/// Whether the observed resource passes every check; with no checks, whether its `Ready`
/// condition is `True`.
///
/// # Errors
/// `cannot run readiness check at index N: ...` when a field has the wrong type (the caller
/// reports a warning and treats the resource as not ready).
pub fn is_ready(observed: &Map<String, Value>, checks: &[ReadinessCheck]) -> Result<bool> {
    if checks.is_empty() {
        return Ok(condition_status(observed, "Ready") == "True");
    }
    for (i, check) in checks.iter().enumerate() {
        if !run_check(check, observed)
            .map_err(|e| e.wrap(format!("cannot run readiness check at index {i}")))?
        {
            return Ok(false);
        }
    }
    Ok(true)
}

fn run_check(check: &ReadinessCheck, observed: &Map<String, Value>) -> Result<bool> {
    validate::readiness_check(check).map_err(|e| Error::new(format!("invalid: {e}")))?;
    let path = check.field_path.as_deref().unwrap_or("");
    // A missing field is "not ready", not an error.
    let value = || match fieldpath::get(observed, path) {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    };
    match check.type_.as_str() {
        "None" => Ok(true),
        "NonEmpty" => Ok(value()?.is_some()),
        "MatchString" => match value()? {
            None => Ok(false),
            Some(Value::String(s)) => Ok(Some(s) == check.match_string.as_ref()),
            Some(_) => Err(Error::new(format!("{path}: not a string"))),
        },
        // Upstream wants a Go int64, and numbers read from protobuf are float64: every number in
        // an observed resource fails this check; see the README.
        "MatchInteger" => match value()? {
            None => Ok(false),
            Some(_) => Err(Error::new(format!("{path}: not a (int64) number"))),
        },
        "MatchTrue" | "MatchFalse" => match value()? {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b == (check.type_ == "MatchTrue")),
            Some(_) => Err(Error::new(format!("{path}: not a bool"))),
        },
        "MatchCondition" => {
            let (type_, status) = check
                .match_condition
                .as_ref()
                .map_or(("Ready", "True"), |m| (m.type_.as_str(), m.status.as_str()));
            Ok(condition_status(observed, type_) == status)
        }
        _ => Ok(false),
    }
}

/// The status of condition `type_` in `status.conditions`: `Unknown` when the resource has no
/// such condition, `""` when it has no readable status at all.
fn condition_status<'a>(observed: &'a Map<String, Value>, type_: &str) -> &'a str {
    let Some(Value::Object(status)) = observed.get("status") else {
        return "";
    };
    let conditions = match status.get("conditions") {
        None | Some(Value::Null) => return "Unknown",
        Some(Value::Array(conditions)) => conditions,
        Some(_) => return "",
    };
    conditions
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
        .map_or("Unknown", |c| {
            c.get("status").and_then(Value::as_str).unwrap_or("")
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn observed(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("test values are objects"),
        }
    }

    fn checks(value: Value) -> Vec<ReadinessCheck> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn default_is_the_ready_condition() {
        let ready =
            observed(json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}));
        assert!(is_ready(&ready, &[]).unwrap());
        let not_ready =
            observed(json!({"status": {"conditions": [{"type": "Ready", "status": "False"}]}}));
        assert!(!is_ready(&not_ready, &[]).unwrap());
        assert!(!is_ready(&observed(json!({})), &[]).unwrap());
    }

    #[test]
    fn field_checks() {
        let resource = observed(json!({"spec": {"s": "ok", "b": true, "n": 5}}));
        let ready = |c: Value| is_ready(&resource, &checks(c));
        assert!(ready(json!([{"type": "None"}])).unwrap());
        assert!(ready(json!([{"type": "NonEmpty", "fieldPath": "spec.s"}])).unwrap());
        assert!(!ready(json!([{"type": "NonEmpty", "fieldPath": "spec.missing"}])).unwrap());
        assert!(
            ready(json!([{"type": "MatchString", "fieldPath": "spec.s", "matchString": "ok"}]))
                .unwrap()
        );
        assert!(ready(json!([{"type": "MatchTrue", "fieldPath": "spec.b"}])).unwrap());
        assert!(!ready(json!([{"type": "MatchFalse", "fieldPath": "spec.b"}])).unwrap());
        assert!(!ready(json!([{"type": "MatchTrue", "fieldPath": "spec.missing"}])).unwrap());
        assert_eq!(
            ready(json!([{"type": "None"}, {"type": "MatchString", "fieldPath": "spec.b", "matchString": "x"}]))
                .unwrap_err()
                .to_string(),
            "cannot run readiness check at index 1: spec.b: not a string"
        );
        assert_eq!(
            ready(json!([{"type": "MatchInteger", "fieldPath": "spec.n", "matchInteger": 5}]))
                .unwrap_err()
                .to_string(),
            "cannot run readiness check at index 0: spec.n: not a (int64) number"
        );
        assert_eq!(
            ready(json!([{"type": "Bogus"}])).unwrap_err().to_string(),
            "cannot run readiness check at index 0: invalid: type: Invalid value: \"Bogus\": unknown readiness check type"
        );
    }

    #[test]
    fn match_condition_defaults_to_ready_true() {
        let resource =
            observed(json!({"status": {"conditions": [{"type": "Synced", "status": "False"}]}}));
        let c = checks(
            json!([{"type": "MatchCondition", "matchCondition": {"type": "Synced", "status": "False"}}]),
        );
        assert!(is_ready(&resource, &c).unwrap());
        assert!(!is_ready(&resource, &checks(json!([{"type": "MatchCondition"}]))).unwrap());
        let unknown = checks(
            json!([{"type": "MatchCondition", "matchCondition": {"type": "Ready", "status": "Unknown"}}]),
        );
        assert!(is_ready(&resource, &unknown).unwrap());
    }
}
