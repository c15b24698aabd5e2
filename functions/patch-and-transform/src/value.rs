//! JSON values seen as the Go values upstream works with.
//!
//! Upstream reads resources from protobuf `Struct`s, so every number it reads is a `float64`;
//! only transforms produce `int64`s (`convert` to `int`/`int64`, `math` on an `int64`, a clamp
//! bound). Here a top-level number stored as an integer stands for a Go `int64` and one stored as
//! a float for a `float64`; numbers nested in objects and arrays are always `float64`, as
//! they are in Go. [`from_resource`] makes a value read from a resource or parsed from the input
//! a `float64`; [`to_written`] turns whole numbers back into integers when a value is written, as
//! upstream's JSON round trip through the Kubernetes decoder does.

use std::fmt::Write as _;

use serde_json::{Number, Value};

/// A value read from a resource or parsed from JSON: a top-level number becomes a `float64`.
pub fn from_resource(value: Value) -> Value {
    match value {
        Value::Number(n) if !n.is_f64() => n
            .as_f64()
            .and_then(Number::from_f64)
            .map_or(Value::Number(n), Value::Number),
        other => other,
    }
}

/// Whether a top-level number is a Go `int64` (rather than a `float64`).
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

/// The value as upstream writes it: whole numbers become integers, at every depth.
pub fn to_written(value: Value) -> Value {
    match value {
        Value::Number(n) => Value::Number(whole_to_int(n)),
        Value::Array(items) => Value::Array(items.into_iter().map(to_written).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, to_written(v))).collect())
        }
        other => other,
    }
}

/// Go's JSON-decoding of a number into `int64` when it has no fraction and fits.
fn whole_to_int(n: Number) -> Number {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.223_372_036_854_775e18 =>
        {
            #[expect(clippy::cast_possible_truncation, reason = "f is whole and in range")]
            Number::from(f as i64)
        }
        _ => n,
    }
}

/// Go's `%T` of the value; `nested` values' numbers are `float64` whatever their storage.
pub fn go_type(value: &Value, nested: bool) -> &'static str {
    match value {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if !nested && is_int64(n) => "int64",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Every number as a `float64`, at every depth: objects upstream reads from the request (through
/// `Struct.AsMap`) rather than from a base template or a patch.
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
    write_json(&mut out, value, false);
    out
}

fn write_json(out: &mut String, value: &Value, nested: bool) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if !nested && is_int64(n) {
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
                write_json(out, item, true);
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
                write_json(out, &map[key], true);
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
        let text = crate::gofmt::format_float(f, 'e', None);
        // Go cleans up e-09 to e-9.
        match text.rsplit_once("e-0") {
            Some((mantissa, digit)) if digit.len() == 1 => format!("{mantissa}e-{digit}"),
            _ => text,
        }
    } else {
        crate::gofmt::format_float(f, 'f', None)
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
        assert_eq!(go_type(&from_resource(json!(5)), false), "float64");
        assert_eq!(go_type(&int64(5), false), "int64");
        assert_eq!(go_type(&int64(5), true), "float64");
        assert_eq!(go_type(&json!({}), false), "map[string]interface {}");
    }

    #[test]
    fn written_values_use_integers_for_whole_numbers() {
        assert_eq!(to_written(json!({"a": [4.0, 4.5]})), json!({"a": [4, 4.5]}));
    }
}
