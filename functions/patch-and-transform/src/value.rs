//! JSON values seen as the Go values upstream works with.
//!
//! A number stored as an integer stands for a Go `int64`, one stored as a float for a `float64`,
//! at every depth. Upstream gets them as follows, and the module keeps each object so:
//!
//! - everything read from the request (observed and desired state, the environment) comes from
//!   protobuf `Struct`s: every number is a `float64` ([`to_float_numbers`]);
//! - JSON that upstream parses with `encoding/json` (map values, match results, `convert` with
//!   format `json`) has `float64`s only ([`parsed`]);
//! - a value a patch writes, and a base template, pass through the Kubernetes JSON decoder:
//!   numbers whose JSON text is an integer become `int64` ([`to_written`]);
//! - after every write the whole object written to goes through that decoder again (it is an
//!   `unstructured.Unstructured`), so its other numbers change too ([`settle_written`]).

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// A value between transforms: JSON, or a Go `float64` that JSON cannot hold (NaN, ±Inf).
///
/// Only `convert` (`"NaN"`, `"Inf"`, a huge quantity) and `math` make the latter; later
/// transforms format or convert it as Go does, and writing it fails, as upstream's JSON round
/// trip does.
#[derive(Clone, Debug, PartialEq)]
pub enum Piped {
    /// Any value JSON holds.
    Json(Value),
    /// NaN or an infinity.
    NonFinite(f64),
}

impl Piped {
    /// A `float64`, finite or not.
    pub fn float(f: f64) -> Piped {
        float64(f).map_or(Piped::NonFinite(f), Piped::Json)
    }

    /// Go's `%T`.
    pub fn go_type(&self) -> &'static str {
        match self {
            Piped::Json(value) => go_type(value),
            Piped::NonFinite(_) => "float64",
        }
    }

    /// The value to write.
    ///
    /// # Errors
    /// Go's `json.Marshal` error for NaN and infinities: `json: unsupported value: NaN`.
    pub fn into_json(self) -> Result<Value, String> {
        match self {
            Piped::Json(value) => Ok(value),
            Piped::NonFinite(f) => Err(format!("json: unsupported value: {}", go_float_name(f))),
        }
    }
}

/// How Go's `strconv` (`'g'`, `'f'`, ... alike) writes NaN and the infinities.
pub fn go_float_name(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "+Inf"
    } else {
        "-Inf"
    }
}

/// A value Go's `encoding/json` decoded into `any`: every number a `float64`, at every depth.
pub fn parsed(mut value: Value) -> Value {
    to_float_numbers(&mut value);
    value
}

/// Whether a number is a Go `int64` (rather than a `float64`).
pub fn is_int64(n: &Number) -> bool {
    !n.is_f64()
}

/// A Go `int64` value.
pub fn int64(i: i64) -> Value {
    Value::Number(Number::from(i))
}

/// A Go `float64` value; `None` for NaN and infinities, which JSON cannot hold.
pub fn float64(f: f64) -> Option<Value> {
    Number::from_f64(f).map(Value::Number)
}

/// Go's `int64(f)` as upstream's amd64 builds compute it: truncation toward zero, and for NaN or
/// a value outside the `int64` range the x86 "integer indefinite" `math.MinInt64` (CVTTSD2SQ).
/// The Go spec leaves this to the platform; arm64 builds saturate instead.
pub fn go_int64(f: f64) -> i64 {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-TWO_POW_63..TWO_POW_63).contains(&f) {
        return i64::MIN;
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "f is in range; Go truncates too"
    )]
    let truncated = f as i64;
    truncated
}

/// The value as the Kubernetes JSON decoder returns it after Go marshalled it: numbers whose
/// JSON text is an integer that fits become `int64`, at every depth.
pub fn to_written(mut value: Value) -> Value {
    written_numbers(&mut value);
    value
}

fn written_numbers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(int) = float_to_int(n) {
                *n = Number::from(int);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(written_numbers),
        Value::Object(map) => map.values_mut().for_each(written_numbers),
        _ => {}
    }
}

/// The `int64` a `float64` becomes on a JSON round trip: Go writes it with the shortest digits
/// (`-3000104996877095400`, not its exact value) and reads that text back as an integer when
/// it is one and fits.
fn float_to_int(n: &Number) -> Option<i64> {
    if !n.is_f64() {
        return None;
    }
    go_json_float(n.as_f64()?).parse().ok()
}

/// An object after upstream wrote to it: it passes through `unstructured.Unstructured`'s JSON
/// decoder, which turns its numbers as [`to_written`] does and requires a `kind`.
///
/// # Errors
/// `Object 'Kind' is missing in '<the object as JSON>'` when `kind` is not a non-empty string.
pub fn settle_written(object: &mut Map<String, Value>) -> Result<(), String> {
    object.values_mut().for_each(written_numbers);
    // GroupVersionKind() is empty when apiVersion does not parse (more than one '/').
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    match object.get("kind") {
        Some(Value::String(kind)) if !kind.is_empty() && api_version.matches('/').count() < 2 => {
            Ok(())
        }
        _ => Err(format!(
            "Object 'Kind' is missing in '{}'",
            go_json(&Value::Object(object.clone()))
        )),
    }
}

/// Go's `%T` of the value.
pub fn go_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if is_int64(n) => "int64",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Every number as a `float64`, at every depth: objects upstream reads from the request (through
/// `Struct.AsMap`) or parses with `encoding/json`.
pub fn to_float_numbers(value: &mut Value) {
    match value {
        Value::Number(n) if !n.is_f64() => {
            if let Some(f) = n.as_f64().and_then(Number::from_f64) {
                *n = f;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(to_float_numbers),
        Value::Object(map) => map.values_mut().for_each(to_float_numbers),
        _ => {}
    }
}

/// `reflect.DeepEqual` of two values: a `float64` never equals an `int64`, so a number from the
/// request (`float64`) never equals the same number written by a patch (`int64`).
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.is_f64() == y.is_f64() && x.as_f64() == y.as_f64() && x.as_i64() == y.as_i64()
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Go's `json.Marshal` of the value: sorted keys, `<`, `>`, `&`, U+2028 and U+2029 escaped,
/// Go's float format (`1e+21`, `1e-7`).
pub fn go_json(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value);
    out
}

fn write_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if is_int64(n) {
                let _ = write!(out, "{n}");
            } else {
                out.push_str(&go_json_float(n.as_f64().unwrap_or(0.0)));
            }
        }
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, key);
                out.push(':');
                write_json(out, &map[key]);
            }
            out.push('}');
        }
    }
}

fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's JSON float: shortest digits, `f` format unless below 1e-6 or from 1e21, where it uses
/// `e` format with a two-digit minimum exponent trimmed to one (`1e-7`, `1e+21`).
pub fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let text = crate::gostrconv::format_float(f, 'e', None);
        // Go cleans up e-09 to e-9.
        match text.rsplit_once("e-0") {
            Some((mantissa, digit)) if digit.len() == 1 => format!("{mantissa}e-{digit}"),
            _ => text,
        }
    } else {
        crate::gostrconv::format_float(f, 'f', None)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn marshals_like_go() {
        let value = json!({"b": [1, 2.5, "<a&b>"], "a": {"z": null, "y": true}, "big": 1e21, "small": 1e-7});
        assert_eq!(
            go_json(&value),
            r#"{"a":{"y":true,"z":null},"b":[1,2.5,"\u003ca\u0026b\u003e"],"big":1e+21,"small":1e-7}"#
        );
        assert_eq!(go_json(&int64(1234)), "1234");
        assert_eq!(go_json(&float64(1234.0).unwrap()), "1234");
    }

    #[test]
    fn types_follow_go() {
        assert_eq!(go_type(&parsed(json!(5))), "float64");
        assert_eq!(go_type(&int64(5)), "int64");
        assert_eq!(go_type(&json!({})), "map[string]interface {}");
    }

    #[test]
    fn written_values_use_integers_for_whole_numbers() {
        assert_eq!(
            to_written(
                json!({"a": [4.0, 4.5, 1e21, -3.000_104_996_877_095_4e18, 9.223_372_036_854_776e18]})
            ),
            json!({"a": [4, 4.5, 1e21, -3_000_104_996_877_095_400_i64, 9.223_372_036_854_776e18]})
        );
    }

    #[test]
    fn written_objects_need_a_kind() {
        let mut object = parsed(json!({"kind": "K", "n": 2}))
            .as_object()
            .unwrap()
            .clone();
        settle_written(&mut object).unwrap();
        assert_eq!(Value::Object(object), json!({"kind": "K", "n": 2}));
        let mut object = json!({"kind": [], "a": "<"}).as_object().unwrap().clone();
        assert_eq!(
            settle_written(&mut object).unwrap_err(),
            r#"Object 'Kind' is missing in '{"a":"\u003c","kind":[]}'"#
        );
    }
}
