//! Conditions as function-auto-ready reads an observed resource's `Ready` condition:
//! crossplane-runtime's `GetCondition` decodes the whole `status` into its typed
//! `ConditionedStatus` with Go's `encoding/json`, and a status that does not decode has no
//! conditions at all. So one mistyped field in any condition (a boolean `status`, a number
//! `reason`, a `lastTransitionTime` Go cannot parse) hides every condition, the `Ready` one too.
//!
//! Field names match case-insensitively, as `encoding/json` matches them (ASCII folding only; a
//! status with two keys folding to one field is read in key order, where Go reads it in
//! document order).

use serde_json::{Map, Value};

use crate::gotime;

/// The status of the first condition of type `type_` in `resource`'s `status.conditions`, when
/// the status decodes and has one.
pub(crate) fn status_of(resource: &Value, type_: &str) -> Option<String> {
    let conditions = match resource.get("status")? {
        Value::Null => return None,
        Value::Object(status) => decode_fields(status, &["conditions"], decode_conditions)?,
        _ => return None,
    };
    conditions
        .into_iter()
        .find(|condition| condition.type_ == type_)
        .map(|condition| condition.status)
}

/// The fields of crossplane-runtime's `Condition` that matter here; the others are decoded
/// only to find out whether they would fail.
#[derive(Default)]
struct Condition {
    type_: String,
    status: String,
}

/// Decodes each entry of `object` whose key matches one of `fields` with `decode(field, value,
/// &mut decoded)`; `None` when any of them fails to decode.
fn decode_fields<T: Default>(
    object: &Map<String, Value>,
    fields: &[&str],
    decode: impl Fn(&str, &Value, &mut T) -> Option<()>,
) -> Option<T> {
    let mut decoded = T::default();
    for (key, value) in object {
        if let Some(field) = fields.iter().find(|field| field.eq_ignore_ascii_case(key)) {
            decode(field, value, &mut decoded)?;
        }
    }
    Some(decoded)
}

/// `status.conditions`: `null` or a list of conditions, each `null` or an object.
fn decode_conditions(_: &str, value: &Value, conditions: &mut Vec<Condition>) -> Option<()> {
    *conditions = match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => Some(Condition::default()),
                Value::Object(fields) => {
                    decode_fields(fields, CONDITION_FIELDS, decode_condition_field)
                }
                _ => None,
            })
            .collect::<Option<_>>()?,
        _ => return None,
    };
    Some(())
}

/// The JSON names of the fields of crossplane-runtime's `Condition`.
const CONDITION_FIELDS: &[&str] = &[
    "type",
    "status",
    "lastTransitionTime",
    "reason",
    "message",
    "observedGeneration",
];

/// One field of a condition: strings, a `metav1.Time`, an `int64`; `null` leaves any as it was.
fn decode_condition_field(field: &str, value: &Value, condition: &mut Condition) -> Option<()> {
    match (field, value) {
        (_, Value::Null) => Some(()),
        ("type", Value::String(text)) => {
            condition.type_.clone_from(text);
            Some(())
        }
        ("status", Value::String(text)) => {
            condition.status.clone_from(text);
            Some(())
        }
        ("reason" | "message", Value::String(_)) => Some(()),
        ("lastTransitionTime", Value::String(text)) => gotime::parse_rfc3339(text).map(drop),
        ("observedGeneration", Value::Number(number)) => number.as_i64().map(drop),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::status_of;

    fn ready(status: serde_json::Value) -> Option<String> {
        status_of(&json!({"status": status}), "Ready")
    }

    #[test]
    fn the_first_condition_of_the_type() {
        let status = json!({"conditions": [
            {"type": "Synced", "status": "True"},
            {"type": "Ready", "status": "False", "reason": "Creating", "observedGeneration": 3,
             "lastTransitionTime": "2024-01-01T00:00:00Z"},
            {"type": "Ready", "status": "True"},
        ]});
        assert_eq!(ready(status), Some("False".into()));
        assert_eq!(
            ready(json!({"conditions": [null, {"TYPE": "Ready", "Status": "True"}]})),
            Some("True".into())
        );
        assert_eq!(
            ready(json!({"conditions": [{"type": "Ready", "status": null}]})),
            Some(String::new())
        );
    }

    #[test]
    fn no_conditions() {
        assert_eq!(status_of(&json!({}), "Ready"), None);
        assert_eq!(ready(json!(null)), None);
        assert_eq!(ready(json!({})), None);
        assert_eq!(ready(json!({"conditions": null})), None);
        assert_eq!(ready(json!({"conditions": []})), None);
    }

    #[test]
    fn one_mistyped_field_hides_every_condition() {
        let ready_true = json!({"type": "Ready", "status": "True"});
        for bad in [
            json!({"type": "Synced", "status": true}),
            json!({"type": "Synced", "reason": 5}),
            json!({"type": "Synced", "lastTransitionTime": "yesterday"}),
            json!({"type": "Synced", "lastTransitionTime": 1_700_000_000}),
            json!({"type": "Synced", "observedGeneration": 2.5}),
            json!({"type": "Synced", "observedGeneration": "2"}),
            json!("Synced"),
        ] {
            assert_eq!(
                ready(json!({"conditions": [ready_true.clone(), bad.clone()]})),
                None,
                "{bad}"
            );
        }
        assert_eq!(ready(json!({"conditions": ready_true})), None);
        assert_eq!(ready(json!("Ready")), None);
    }

    #[test]
    fn other_status_fields_do_not_matter() {
        let status = json!({"conditions": [{"type": "Ready", "status": "True", "extra": [1]}],
                            "replicas": "three"});
        assert_eq!(ready(status), Some("True".into()));
    }
}
