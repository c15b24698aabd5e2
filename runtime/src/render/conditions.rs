//! Status conditions as Crossplane keeps them (`xpv2.Condition`, `ConditionedStatus`): one per
//! type, replaced only when it changed, and every `lastTransitionTime` pinned to one fixed time
//! in the output, as `crossplane render` pins them.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The `lastTransitionTime` render prints on every condition, so output is stable.
pub(crate) const PINNED_TIME: &str = "2024-01-01T00:00:00Z";

/// Condition types Crossplane owns; a function's conditions of these types are ignored.
const SYSTEM_TYPES: [&str; 5] = ["Ready", "Synced", "Healthy", "UpToDate", "Responsive"];

/// One condition, with the fields and JSON names of Crossplane's `xpv2.Condition`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Condition {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "time_or_null")]
    pub last_transition_time: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "whole_number"
    )]
    pub observed_generation: i64,
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

/// An integer, also when written as a whole double (protobuf `Struct`s carry only doubles).
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    #[expect(
        clippy::cast_possible_truncation,
        reason = "checked: a whole number within i64's range"
    )]
    number
        .as_i64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                .map(|f| f as i64)
        })
        .ok_or_else(|| serde::de::Error::custom("observedGeneration is not an integer"))
}

/// `null` reads as the zero time, as Go's `metav1.Time` does.
fn time_or_null<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

impl Condition {
    /// A condition set now (render pins the time when it prints).
    pub fn new(kind: &str, status: &str, reason: &str, message: &str) -> Condition {
        Condition {
            kind: kind.to_owned(),
            status: status.to_owned(),
            last_transition_time: now(),
            reason: reason.to_owned(),
            message: message.to_owned(),
            observed_generation: 0,
        }
    }

    /// Whether it is one of the types Crossplane owns.
    pub fn is_system(kind: &str) -> bool {
        SYSTEM_TYPES.contains(&kind)
    }

    /// `xpv2.Condition.Equal`: the same but for the time, comparing generations only when both
    /// are set.
    fn is_equal(&self, other: &Condition) -> bool {
        self.kind == other.kind
            && self.status == other.status
            && self.reason == other.reason
            && self.message == other.message
            && (self.observed_generation == 0
                || other.observed_generation == 0
                || self.observed_generation == other.observed_generation)
    }
}

/// The conditions of an object's `status`; an object without readable conditions has none.
pub(crate) fn get(object: &Map<String, Value>) -> Vec<Condition> {
    parse(object).unwrap_or_default()
}

fn parse(object: &Map<String, Value>) -> Option<Vec<Condition>> {
    let status = object.get("status")?.as_object()?;
    match status.get("conditions") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(conditions) => serde_json::from_value(conditions.clone()).ok(),
    }
}

/// `ConditionedStatus.SetConditions` on an object: each condition replaces the one of its type
/// unless they are equal, or is appended; `status` is created when missing.
pub(crate) fn set(object: &mut Map<String, Value>, new: &[Condition]) {
    let mut conditions = get(object);
    for condition in new {
        let mut exists = false;
        for existing in conditions.iter_mut().filter(|c| c.kind == condition.kind) {
            exists = true;
            if !existing.is_equal(condition) {
                *existing = condition.clone();
            }
        }
        if !exists {
            conditions.push(condition.clone());
        }
    }
    write(object, Some(&conditions));
}

fn write(object: &mut Map<String, Value>, conditions: Option<&[Condition]>) {
    let status = object
        .entry("status")
        .or_insert_with(|| Value::Object(Map::new()));
    if !status.is_object() {
        *status = Value::Object(Map::new());
    }
    let value = conditions.map_or(Value::Null, |conditions| {
        serde_json::to_value(conditions).expect("conditions always serialise to JSON")
    });
    status
        .as_object_mut()
        .expect("status was just made an object")
        .insert("conditions".to_owned(), value);
}

/// `crossplane render`'s `ReplaceConditionTimestamps`: when `status` is an object whose
/// conditions read as conditions, they are written back in Crossplane's form with
/// [`PINNED_TIME`]; a status without conditions gets `conditions: null`, as upstream prints it.
pub(crate) fn pin_times(object: &mut Map<String, Value>) {
    let Some(mut conditions) = parse(object) else {
        return;
    };
    for condition in &mut conditions {
        condition.last_transition_time = PINNED_TIME.to_owned();
    }
    let is_none = conditions.is_empty()
        && object
            .get("status")
            .and_then(|status| status.get("conditions"))
            .is_none_or(Value::is_null);
    write(object, (!is_none).then_some(conditions.as_slice()));
}

/// The current time as Kubernetes writes it (RFC 3339, seconds, UTC).
fn now() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let rest = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("an object"),
        }
    }

    #[test]
    fn set_replaces_changed_conditions_in_place_and_appends_new_types() {
        let mut xr = object(json!({"status": {"conditions": [
            {"type": "Ready", "status": "False", "reason": "Creating", "lastTransitionTime": "2026-01-01T00:00:00Z"},
            {"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "2026-01-01T00:00:00Z"},
        ]}}));
        let mut ready = Condition::new("Ready", "True", "Available", "");
        ready.last_transition_time = "later".to_owned();
        let mut synced = Condition::new("Synced", "True", "ReconcileSuccess", "");
        synced.last_transition_time = "later".to_owned();
        let mut custom = Condition::new("DatabaseReady", "True", "Ok", "up");
        custom.last_transition_time = "later".to_owned();
        set(&mut xr, &[ready, synced, custom]);
        assert_eq!(
            xr["status"]["conditions"],
            json!([
                {"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "later"},
                {"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "2026-01-01T00:00:00Z"},
                {"type": "DatabaseReady", "status": "True", "reason": "Ok", "message": "up", "lastTransitionTime": "later"},
            ])
        );
    }

    #[test]
    fn pin_times_rewrites_conditions_in_crossplanes_form() {
        let mut composed = object(json!({"status": {"atProvider": {}, "conditions": [
            {"type": "Ready", "status": "True", "extra": 1, "observedGeneration": 2},
        ]}}));
        pin_times(&mut composed);
        assert_eq!(
            composed["status"]["conditions"],
            json!([{"type": "Ready", "status": "True", "reason": "", "observedGeneration": 2, "lastTransitionTime": PINNED_TIME}])
        );
        let mut without = object(json!({"status": {"atProvider": {}}}));
        pin_times(&mut without);
        assert_eq!(
            Value::Object(without),
            json!({"status": {"atProvider": {}, "conditions": null}})
        );
        let mut unreadable = object(json!({"status": {"conditions": "no"}}));
        pin_times(&mut unreadable);
        assert_eq!(unreadable["status"]["conditions"], "no");
        let mut no_status = object(json!({"spec": {}}));
        pin_times(&mut no_status);
        assert_eq!(Value::Object(no_status), json!({"spec": {}}));
    }

    #[test]
    fn civil_dates_are_gregorian() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_513), (2026, 3, 1));
    }
}
