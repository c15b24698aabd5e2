//! Go's `proto.Merge` on the canonical protojson form of a message.
//!
//! The rules, from the documentation of `google.golang.org/protobuf/proto.Merge`:
//! - a populated scalar replaces the destination's (an unset or zero proto3 scalar is not
//!   populated; the reader has already left those out);
//! - a populated singular message is merged into the destination's recursively, creating it
//!   when the destination has none, even when the source message is empty;
//! - the elements of a repeated field are appended;
//! - the entries of a map are copied in, each replacing the destination's entry of the same key
//!   whole (a map value is not merged, even when it is a message);
//! - setting a member of a oneof clears the destination's other members.
//!
//! Two well-known types follow from those rules: `google.protobuf.Struct` is a message with one
//! map field, so a Struct merges key by key and each key's value is replaced whole;
//! `google.protobuf.Duration` is a message of two scalars, `seconds` and `nanos`, each replaced
//! only when the source's is non-zero, so `"0.5s"` over `"60s"` gives `"60.500s"`.

use std::time::Duration;

use serde_json::{Map, Value};
use xfn_sdk::duration;

use crate::schema::{Message, Shape, Type};

/// Merges the canonical message `src` into the canonical message `dst`, both of type `message`.
///
/// Fields of `dst` that `message` does not describe (unknown fields passed through) are kept.
pub(crate) fn merge_message(
    dst: &mut Map<String, Value>,
    src: Map<String, Value>,
    message: &Message,
) {
    for (key, value) in src {
        let Some(field) = message.field(&key) else {
            // The reader rejects unknown fields, so a canonical source has none.
            continue;
        };
        if let Some(oneof) = field.oneof {
            for other in message.fields {
                if other.oneof == Some(oneof) && other.json != field.json {
                    dst.remove(other.json);
                }
            }
        }
        match (field.shape, field.ty, value) {
            (Shape::Repeated, _, Value::Array(items)) => {
                array_entry(dst, key).extend(items);
            }
            (Shape::Map, _, Value::Object(entries))
            | (Shape::Singular, Type::Struct, Value::Object(entries)) => {
                object_entry(dst, key).extend(entries);
            }
            (Shape::Singular, Type::Message(inner), Value::Object(fields)) => {
                merge_message(object_entry(dst, key), fields, inner);
            }
            (Shape::Singular, Type::Duration, Value::String(duration)) => {
                let merged = merge_duration(dst.get(&key).and_then(Value::as_str), &duration);
                dst.insert(key, Value::String(merged));
            }
            (_, _, value) => {
                dst.insert(key, value);
            }
        }
    }
}

/// `seconds` and `nanos` of `src` each replace `dst`'s when non-zero.
fn merge_duration(dst: Option<&str>, src: &str) -> String {
    let dst = dst
        .and_then(|dst| duration::parse(dst).ok())
        .unwrap_or_default();
    // The reader wrote `src` canonically, so it parses.
    let src = duration::parse(src).unwrap_or_default();
    let seconds = match src.as_secs() {
        0 => dst.as_secs(),
        seconds => seconds,
    };
    let nanos = match src.subsec_nanos() {
        0 => dst.subsec_nanos(),
        nanos => nanos,
    };
    duration::format(Duration::new(seconds, nanos))
}

/// The object at `key`, created (or replacing a value of another type) when needed.
fn object_entry(dst: &mut Map<String, Value>, key: String) -> &mut Map<String, Value> {
    let entry = dst.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry
        .as_object_mut()
        .expect("the entry was just made an object")
}

/// The list at `key`, created (or replacing a value of another type) when needed.
fn array_entry(dst: &mut Map<String, Value>, key: String) -> &mut Vec<Value> {
    let entry = dst.entry(key).or_insert_with(|| Value::Array(Vec::new()));
    if !entry.is_array() {
        *entry = Value::Array(Vec::new());
    }
    entry
        .as_array_mut()
        .expect("the entry was just made a list")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::RUN_FUNCTION_RESPONSE;

    fn merged(dst: Value, src: Value) -> Value {
        let mut dst = dst.as_object().unwrap().clone();
        merge_message(
            &mut dst,
            src.as_object().unwrap().clone(),
            &RUN_FUNCTION_RESPONSE,
        );
        Value::Object(dst)
    }

    #[test]
    fn structs_merge_per_key_and_replace_each_value_whole() {
        let dst = json!({"desired": {"composite": {"resource": {
            "apiVersion": "example.org/v1", "kind": "XR", "status": {"a": 1, "b": 2}}}}});
        let src = json!({"desired": {"composite": {"resource": {"status": {"c": 3}, "spec": {"widgets": 8}}}}});
        assert_eq!(
            merged(dst, src),
            json!({"desired": {"composite": {"resource": {
                "apiVersion": "example.org/v1", "kind": "XR", "status": {"c": 3}, "spec": {"widgets": 8}}}}})
        );
    }

    #[test]
    fn map_entries_replace_whole_resources() {
        let dst = json!({"desired": {"resources": {
            "cm": {"resource": {"kind": "ConfigMap", "data": {"a": "1"}}, "ready": "READY_TRUE"},
            "keep": {"resource": {"kind": "Keep"}},
        }}});
        let src = json!({"desired": {"resources": {"cm": {"resource": {"data": {"b": "2"}}}}}});
        assert_eq!(
            merged(dst, src),
            json!({"desired": {"resources": {
                "cm": {"resource": {"data": {"b": "2"}}},
                "keep": {"resource": {"kind": "Keep"}},
            }}})
        );
    }

    #[test]
    fn scalars_replace_and_lists_append() {
        let dst = json!({
            "meta": {"tag": "t", "ttl": "60s"},
            "desired": {"composite": {"ready": "READY_FALSE", "connectionDetails": {"a": "YQ==", "b": "Yg=="}}},
            "results": [{"severity": "SEVERITY_NORMAL", "message": "first"}],
            "context": {"k": {"x": 1}, "other": true},
        });
        let src = json!({
            "desired": {"composite": {"ready": "READY_TRUE", "connectionDetails": {"b": "Qg=="}}},
            "results": [{"severity": "SEVERITY_WARNING", "message": "second"}],
            "context": {"k": {"y": 2}},
            "output": {},
        });
        assert_eq!(
            merged(dst, src),
            json!({
                "meta": {"tag": "t", "ttl": "60s"},
                "desired": {"composite": {"ready": "READY_TRUE", "connectionDetails": {"a": "YQ==", "b": "Qg=="}}},
                "results": [
                    {"severity": "SEVERITY_NORMAL", "message": "first"},
                    {"severity": "SEVERITY_WARNING", "message": "second"},
                ],
                "context": {"k": {"y": 2}, "other": true},
                "output": {},
            })
        );
    }

    #[test]
    fn durations_merge_seconds_and_nanos_separately() {
        assert_eq!(merge_duration(Some("60s"), "30s"), "30s");
        assert_eq!(merge_duration(Some("60s"), "0.500s"), "60.500s");
        assert_eq!(merge_duration(Some("60.250s"), "5s"), "5.250s");
        assert_eq!(merge_duration(None, "0s"), "0s");
    }

    #[test]
    fn a_oneof_member_clears_the_others() {
        let mut dst = json!({"matchName": "a", "apiVersion": "v1"})
            .as_object()
            .unwrap()
            .clone();
        let selector = match RUN_FUNCTION_RESPONSE.field("requirements").unwrap().ty {
            Type::Message(requirements) => match requirements.field("resources").unwrap().ty {
                Type::Message(selector) => selector,
                _ => unreachable!(),
            },
            _ => unreachable!(),
        };
        let src = json!({"matchLabels": {"labels": {"a": "b"}}})
            .as_object()
            .unwrap()
            .clone();
        merge_message(&mut dst, src, selector);
        assert_eq!(
            Value::Object(dst),
            json!({"apiVersion": "v1", "matchLabels": {"labels": {"a": "b"}}})
        );
    }
}
