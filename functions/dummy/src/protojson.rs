//! Reads a protojson message strictly, as Go's `protojson.Unmarshal` does, into its canonical
//! form: lowerCamelCase field names, enums by name, padded standard base64, durations as
//! `"1.5s"`, and unset fields (null, empty lists and maps, zero scalars) left out.
//!
//! Merging needs the canonical form: the overlay may write `connection_details` where the
//! response has `connectionDetails`, or `ready: 1` for `READY_TRUE`.

use serde_json::{Map, Value};
use xfn_sdk::{ConfigError, base64, duration, json_kind};

use crate::schema::{Field, Message, Shape, Type};

/// Reads the JSON object `value` at `path` as the protobuf `message`, canonically.
///
/// # Errors
/// [`ConfigError`] at the first field that protojson would reject: an unknown field, a value of
/// the wrong type, an unknown enum value, bad base64, a malformed duration, a field set under
/// both its names, two members of one oneof.
pub(crate) fn read_message(
    value: &Value,
    message: &'static Message,
    path: &str,
) -> Result<Map<String, Value>, ConfigError> {
    let Value::Object(object) = value else {
        return Err(ConfigError::at(
            path,
            format!(
                "must be an object (a {}), got {}",
                message.name,
                json_kind(value)
            ),
        ));
    };
    let mut out = Map::new();
    let mut seen: Vec<&'static Field> = Vec::new();
    for (key, value) in object {
        let here = child(path, key);
        let Some(field) = message.field(key) else {
            return Err(ConfigError::at(
                &here,
                format!(
                    "unknown field; a {} has {}",
                    message.name,
                    message.field_names()
                ),
            ));
        };
        if seen.iter().any(|other| other.json == field.json) {
            return Err(ConfigError::at(
                &here,
                format!(
                    "{} and {} are the same field; keep one",
                    field.json, field.proto
                ),
            ));
        }
        if let Some(oneof) = field.oneof
            && let Some(other) = seen
                .iter()
                .find(|other| other.oneof == Some(oneof) && out.contains_key(other.json))
            && !value.is_null()
        {
            return Err(ConfigError::at(
                &here,
                format!(
                    "{} and {} are both in oneof {oneof}; set only one",
                    other.json, field.json
                ),
            ));
        }
        seen.push(field);
        if let Some(read) = read_field(field, value, &here)? {
            out.insert(field.json.to_owned(), read);
        }
    }
    Ok(out)
}

/// The canonical value of `field`, or `None` when protojson would leave it unset.
fn read_field(field: &Field, value: &Value, path: &str) -> Result<Option<Value>, ConfigError> {
    if value.is_null() {
        return Ok(None);
    }
    match field.shape {
        Shape::Repeated => {
            let Value::Array(items) = value else {
                return Err(ConfigError::at(
                    path,
                    format!("must be a list, got {}", json_kind(value)),
                ));
            };
            let items = items
                .iter()
                .enumerate()
                .map(|(index, item)| read_value(field.ty, item, &format!("{path}[{index}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((!items.is_empty()).then_some(Value::Array(items)))
        }
        Shape::Map => {
            let Value::Object(entries) = value else {
                return Err(ConfigError::at(
                    path,
                    format!("must be a map by name, got {}", json_kind(value)),
                ));
            };
            let mut out = Map::new();
            for (key, entry) in entries {
                out.insert(key.clone(), read_value(field.ty, entry, &child(path, key))?);
            }
            Ok((!out.is_empty()).then_some(Value::Object(out)))
        }
        Shape::Singular => {
            let read = read_value(field.ty, value, path)?;
            // Optional fields and oneof members have presence: a zero value is still set.
            let has_presence = field.optional || field.oneof.is_some();
            Ok((has_presence || !is_zero(field.ty, &read)).then_some(read))
        }
    }
}

/// Reads one value of type `ty`; `null` is an error here (it only means "unset" for a whole
/// field).
fn read_value(ty: Type, value: &Value, path: &str) -> Result<Value, ConfigError> {
    let wrong = || {
        ConfigError::at(
            path,
            format!("must be {}, got {}", type_name(ty), json_kind(value)),
        )
    };
    match ty {
        Type::Message(message) => read_message(value, message, path).map(Value::Object),
        Type::Struct => match value {
            Value::Object(_) => Ok(value.clone()),
            _ => Err(wrong()),
        },
        Type::String => match value {
            Value::String(_) => Ok(value.clone()),
            _ => Err(wrong()),
        },
        Type::Bytes => {
            let Value::String(text) = value else {
                return Err(wrong());
            };
            let bytes = base64::decode(text).map_err(|error| {
                ConfigError::at(path, format!("{error}; bytes are written in base64"))
            })?;
            Ok(Value::String(base64::encode(&bytes)))
        }
        Type::Duration => {
            let Value::String(text) = value else {
                return Err(wrong());
            };
            let ttl = duration::parse(text).map_err(|problem| ConfigError::at(path, problem))?;
            Ok(Value::String(duration::format(ttl)))
        }
        Type::Enum(enumeration) => {
            let name = match value {
                Value::String(name) => enumeration
                    .values
                    .iter()
                    .find(|known| *known == name)
                    .copied(),
                Value::Number(number) => number
                    .as_u64()
                    .and_then(|number| usize::try_from(number).ok())
                    .and_then(|index| enumeration.values.get(index))
                    .copied(),
                _ => return Err(wrong()),
            };
            let Some(name) = name else {
                return Err(ConfigError::at(
                    path,
                    format!(
                        "{value} is not a {}; use one of {}",
                        enumeration.name,
                        enumeration.values.join(", ")
                    ),
                ));
            };
            Ok(Value::String(name.to_owned()))
        }
    }
}

/// Whether a canonical scalar is its type's zero value, which proto3 treats as unset.
fn is_zero(ty: Type, value: &Value) -> bool {
    match ty {
        Type::String | Type::Bytes => value.as_str() == Some(""),
        Type::Enum(enumeration) => value.as_str() == enumeration.values.first().copied(),
        Type::Message(_) | Type::Struct | Type::Duration => false,
    }
}

/// `path.key`, or `path[key]` when the key is not a plain name (Crossplane's field path form).
fn child(path: &str, key: &str) -> String {
    let is_plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if is_plain {
        format!("{path}.{key}")
    } else {
        format!("{path}[{key}]")
    }
}

fn type_name(ty: Type) -> String {
    match ty {
        Type::Message(message) => format!("an object (a {})", message.name),
        Type::Struct => "an object".to_owned(),
        Type::Duration => "a duration string like \"60s\"".to_owned(),
        Type::String => "a string".to_owned(),
        Type::Bytes => "a base64 string".to_owned(),
        Type::Enum(enumeration) => format!(
            "a {} name such as {}",
            enumeration.name, enumeration.values[1]
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::RUN_FUNCTION_RESPONSE;

    fn read(value: Value) -> Result<Value, String> {
        read_message(&value, &RUN_FUNCTION_RESPONSE, "response")
            .map(Value::Object)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn canonical_form() {
        let overlay = json!({
            "meta": {"tag": "", "ttl": "1.5000s"},
            "desired": {
                "composite": {"resource": {"status": {"a": null}}, "connection_details": {"k": "c2VjcmV0Cg"}},
                "resources": {"cm": {"ready": 1}, "skip": {"ready": "READY_UNSPECIFIED"}},
            },
            "results": [{"severity": "SEVERITY_NORMAL", "message": "m", "reason": ""}],
            "conditions": [],
            "context": null,
            "requirements": {"extra_resources": {"x": {"api_version": "v1", "kind": "Secret", "match_labels": {"labels": {"a": "b"}}}}},
            "output": {},
        });
        assert_eq!(
            read(overlay).unwrap(),
            json!({
                "meta": {"ttl": "1.500s"},
                "desired": {
                    "composite": {"resource": {"status": {"a": null}}, "connectionDetails": {"k": "c2VjcmV0Cg=="}},
                    "resources": {"cm": {"ready": "READY_TRUE"}, "skip": {}},
                },
                "results": [{"severity": "SEVERITY_NORMAL", "message": "m", "reason": ""}],
                "requirements": {"extraResources": {"x": {"apiVersion": "v1", "kind": "Secret", "matchLabels": {"labels": {"a": "b"}}}}},
                "output": {},
            })
        );
    }

    #[test]
    fn protojson_rejections_name_the_field() {
        let cases = [
            (
                json!({"desird": {}}),
                "config.response.desird: unknown field; a RunFunctionResponse has meta, desired, results, context, requirements, conditions, output",
            ),
            (
                json!({"results": {}}),
                "config.response.results: must be a list, got an object",
            ),
            (
                json!({"results": [null]}),
                "config.response.results[0]: must be an object (a Result), got null",
            ),
            (
                json!({"results": [{"severity": "SEVERITY_HIGH"}]}),
                "config.response.results[0].severity: \"SEVERITY_HIGH\" is not a Severity; use one of SEVERITY_UNSPECIFIED, SEVERITY_FATAL, SEVERITY_WARNING, SEVERITY_NORMAL",
            ),
            (
                json!({"desired": {"resources": {"my.cm": {"ready": 7}}}}),
                "config.response.desired.resources[my.cm].ready: 7 is not a Ready; use one of READY_UNSPECIFIED, READY_TRUE, READY_FALSE",
            ),
            (
                json!({"desired": {"composite": {"resource": "x"}}}),
                "config.response.desired.composite.resource: must be an object, got a string",
            ),
            (
                json!({"desired": {"composite": {"connectionDetails": {"k": "no!"}}}}),
                "config.response.desired.composite.connectionDetails.k: not base64: unexpected character at offset 2; bytes are written in base64",
            ),
            (
                json!({"desired": {"composite": {"connectionDetails": {}, "connection_details": {}}}}),
                "config.response.desired.composite.connection_details: connectionDetails and connection_details are the same field; keep one",
            ),
            (
                json!({"meta": {"ttl": "1m"}}),
                "config.response.meta.ttl: \"1m\" is not a duration; write it in seconds like \"60s\" or \"1.5s\"",
            ),
            (
                json!({"meta": {"ttl": "-2s"}}),
                "config.response.meta.ttl: \"-2s\" is negative; a ttl must be zero or more",
            ),
            (
                json!({"meta": {"tag": 5}}),
                "config.response.meta.tag: must be a string, got a number",
            ),
            (
                json!({"requirements": {"resources": {"r": {"matchName": "a", "matchLabels": {}}}}}),
                "config.response.requirements.resources.r.matchName: matchLabels and matchName are both in oneof match; set only one",
            ),
            (
                json!([]),
                "config.response: must be an object (a RunFunctionResponse), got an array",
            ),
        ];
        for (overlay, message) in cases {
            assert_eq!(read(overlay).unwrap_err(), message);
        }
    }
}
