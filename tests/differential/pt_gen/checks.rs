//! Random readiness checks and connection details for a resource template.

use serde_json::{Map, Value, json};

use crate::differential::rng::Rng;
use crate::differential::values::{self, bad_path};

/// 0-3 readiness checks on the observed resource's `nodes`; `None` means the field is left out
/// (upstream then checks the Ready condition).
pub fn readiness_checks(rng: &mut Rng, nodes: &[(String, Value)], clean: bool) -> Option<Value> {
    if rng.chance(45) {
        return None;
    }
    let checks = (0..rng.below(4))
        .map(|_| readiness_check(rng, nodes, clean))
        .collect();
    Some(Value::Array(checks))
}

fn readiness_check(rng: &mut Rng, nodes: &[(String, Value)], clean: bool) -> Value {
    let kind = if rare(rng, clean, 100) {
        "Unknown"
    } else {
        *rng.pick(&[
            "None",
            "NonEmpty",
            "MatchString",
            "MatchString",
            "MatchInteger",
            "MatchTrue",
            "MatchFalse",
            "MatchCondition",
            "MatchCondition",
        ])
    };
    let mut check = Map::new();
    if kind != "Unknown" || rng.chance(50) {
        check.insert("type".into(), json!(kind));
    }
    let (path, value) = if !nodes.is_empty() && rng.chance(75) {
        let (path, value) = rng.pick(nodes).clone();
        (path, Some(value))
    } else {
        (bad_path(rng, nodes), None)
    };
    if (kind != "None" && kind != "MatchCondition" || rng.chance(10)) && !rare(rng, clean, 100) {
        check.insert("fieldPath".into(), json!(path));
    }
    match kind {
        "MatchString" if !rare(rng, clean, 100) => {
            let wanted = match value {
                Some(Value::String(text)) if rng.chance(60) => text,
                _ => values::string(rng),
            };
            check.insert("matchString".into(), json!(wanted));
        }
        "MatchInteger" if !rare(rng, clean, 100) => {
            let wanted = match value {
                Some(Value::Number(n)) if rng.chance(60) => n.as_f64().map_or(0, |n| n as i64),
                _ => rng.range(-5, 100),
            };
            check.insert("matchInteger".into(), json!(wanted));
        }
        // Always with `matchCondition`: without it upstream dereferences nil and the process
        // exits (docs/compatibility.md; pinned by its own test).
        "MatchCondition" => {
            let mut condition = Map::new();
            if !rare(rng, clean, 100) {
                condition.insert(
                    "type".into(),
                    json!(rng.pick(&["Ready", "Ready", "Synced", "Healthy"])),
                );
            }
            if !rare(rng, clean, 100) {
                condition.insert(
                    "status".into(),
                    json!(rng.pick(&["True", "True", "False", "Unknown", "true"])),
                );
            }
            check.insert("matchCondition".into(), Value::Object(condition));
        }
        _ => {}
    }
    Value::Object(check)
}

/// 0-3 connection details read from the observed resource's `nodes` and connection `keys`.
pub fn connection_details(
    rng: &mut Rng,
    nodes: &[(String, Value)],
    keys: &[String],
    clean: bool,
) -> Option<Value> {
    if rng.chance(55) {
        return None;
    }
    let details = (0..rng.range(0, 3))
        .map(|_| connection_detail(rng, nodes, keys, clean))
        .collect();
    Some(Value::Array(details))
}

fn connection_detail(
    rng: &mut Rng,
    nodes: &[(String, Value)],
    keys: &[String],
    clean: bool,
) -> Value {
    let mut detail = Map::new();
    if !rare(rng, clean, 100) {
        detail.insert(
            "name".into(),
            json!(rng.pick(&["username", "password", "endpoint", "port", "url", "ünï"])),
        );
    }
    let kind = if rare(rng, clean, 100) {
        "FromSecret"
    } else {
        *rng.pick(&[
            "FromConnectionSecretKey",
            "FromFieldPath",
            "FromFieldPath",
            "FromValue",
        ])
    };
    if kind != "FromSecret" || rng.chance(50) {
        detail.insert("type".into(), json!(kind));
    }
    if !rare(rng, clean, 100) {
        match kind {
            "FromConnectionSecretKey" => {
                let key = if !keys.is_empty() && rng.chance(75) {
                    rng.pick(keys).clone()
                } else {
                    "missing-key".to_owned()
                };
                detail.insert("fromConnectionSecretKey".into(), json!(key));
            }
            "FromFieldPath" => {
                let path = if !nodes.is_empty() && rng.chance(75) {
                    rng.pick(nodes).0.clone()
                } else {
                    bad_path(rng, nodes)
                };
                detail.insert("fromFieldPath".into(), json!(path));
            }
            _ => {
                detail.insert("value".into(), json!(values::string(rng)));
            }
        }
    }
    Value::Object(detail)
}

/// True once in `n` times outside clean cases (for an invalid element), never in them.
fn rare(rng: &mut Rng, clean: bool, n: u64) -> bool {
    !clean && rng.one_in(n)
}
