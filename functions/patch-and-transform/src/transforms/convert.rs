//! The `convert` transform: between `string`, `int`/`int64`, `bool`, `float64`, `object` and
//! `array`, with the formats `none`, `quantity` and `json`.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::input::ConvertTransform;
use crate::value::{Piped, go_float_name, go_int64, int64};
use crate::{goscan, gostrconv, quantity};

/// Converts `input` to `transform.to_type`; the same type is a no-op.
///
/// # Errors
/// An invalid format or type, an input type that cannot be converted (`invalid input type
/// map[string]interface {}`), an unsupported pair (`conversion from string to object is not
/// supported with format none`), or a parse error (`strconv.ParseInt: parsing "a": invalid
/// syntax`).
pub fn resolve_convert(transform: &ConvertTransform, input: Piped) -> Result<Piped> {
    if let Err(e) = crate::validate::convert(transform) {
        return Err(Error::new(e.to_string()));
    }
    let from = input.go_type();
    if !matches!(from, "string" | "bool" | "int64" | "float64") {
        return Err(Error::new(format!("invalid input type {from}")));
    }
    let to = match transform.to_type.as_str() {
        "int" => "int64",
        other => other,
    };
    if to == from {
        return Ok(input);
    }
    let format = transform.format();
    let unsupported = || {
        Error::new(format!(
            "conversion from {from} to {to} is not supported with format {format}"
        ))
    };
    let json = |value| Ok(Piped::Json(value));
    let float = match &input {
        Piped::NonFinite(f) => Some(*f),
        Piped::Json(Value::Number(n)) if from == "float64" => n.as_f64(),
        Piped::Json(_) => None,
    };
    if let Some(f) = float {
        return match (to, format) {
            ("string", "none") => json(Value::String(if f.is_finite() {
                gostrconv::format_float(f, 'f', None)
            } else {
                go_float_name(f).to_owned()
            })),
            ("int64", "none") => json(int64(go_int64(f))),
            ("bool", "none") => json(Value::Bool(f == 1.0)),
            _ => Err(unsupported()),
        };
    }
    let Piped::Json(input) = input else {
        unreachable!("non-finite floats were converted above")
    };
    let text_error = |e: String| Error::new(e);
    match (input, to, format) {
        (Value::String(s), "int64", "none") => gostrconv::parse_int(&s)
            .map(|i| Piped::Json(int64(i)))
            .map_err(text_error),
        (Value::String(s), "bool", "none") => gostrconv::parse_bool(&s)
            .map(|b| Piped::Json(Value::Bool(b)))
            .map_err(text_error),
        (Value::String(s), "float64", "none") => gostrconv::parse_float(&s)
            .map(Piped::float)
            .map_err(text_error),
        (Value::String(s), "float64", "quantity") => quantity::approximate_f64(&s)
            .map(Piped::float)
            .map_err(Error::new),
        (Value::String(s), "object", "json") => goscan::unmarshal(&s, true)
            .map(Piped::Json)
            .map_err(text_error),
        (Value::String(s), "array", "json") => goscan::unmarshal(&s, false)
            .map(Piped::Json)
            .map_err(text_error),
        (Value::Number(n), "string", "none") => json(Value::String(n.to_string())),
        (Value::Number(n), "bool", "none") => json(Value::Bool(n.as_i64() == Some(1))),
        #[expect(clippy::cast_precision_loss, reason = "Go's float64(int64)")]
        (Value::Number(n), "float64", "none") => Ok(Piped::float(n.as_i64().unwrap_or(0) as f64)),
        (Value::Bool(b), "string", "none") => json(Value::String(b.to_string())),
        (Value::Bool(b), "int64", "none") => json(int64(i64::from(b))),
        (Value::Bool(b), "float64", "none") => Ok(Piped::float(if b { 1.0 } else { 0.0 })),
        _ => Err(unsupported()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::value::parsed;

    fn run(to_type: &str, format: Option<&str>, input: Value) -> Result<Value> {
        let transform = ConvertTransform {
            to_type: to_type.into(),
            format: format.map(Into::into),
        };
        resolve_convert(&transform, Piped::Json(input)).map(|out| match out {
            Piped::Json(value) => value,
            Piped::NonFinite(f) => panic!("a non-finite float {f} in a test"),
        })
    }

    #[test]
    fn non_finite_floats_convert_as_go_converts_them() {
        let convert = |to_type: &str, input: Piped| {
            let transform = ConvertTransform {
                to_type: to_type.into(),
                format: None,
            };
            resolve_convert(&transform, input).unwrap()
        };
        let nan = convert("float64", Piped::Json(json!("NaN")));
        assert!(matches!(nan, Piped::NonFinite(f) if f.is_nan()));
        let infinity = Piped::NonFinite(f64::INFINITY);
        assert_eq!(
            convert("string", infinity.clone()),
            Piped::Json(json!("+Inf"))
        );
        assert_eq!(convert("string", nan.clone()), Piped::Json(json!("NaN")));
        assert_eq!(convert("int", infinity), Piped::Json(int64(i64::MIN)));
        assert_eq!(convert("bool", nan), Piped::Json(json!(false)));
    }

    #[test]
    fn converts_between_scalars() {
        assert_eq!(run("int", None, json!("42")).unwrap(), json!(42));
        assert_eq!(run("bool", None, json!("true")).unwrap(), json!(true));
        assert_eq!(run("float64", None, json!("1.5")).unwrap(), json!(1.5));
        assert_eq!(run("string", None, int64(7)).unwrap(), json!("7"));
        assert_eq!(
            run("string", None, parsed(json!(2.5))).unwrap(),
            json!("2.5")
        );
        assert_eq!(run("int64", None, parsed(json!(2.9))).unwrap(), json!(2));
        assert_eq!(run("bool", None, parsed(json!(1))).unwrap(), json!(true));
        assert_eq!(run("string", None, json!(false)).unwrap(), json!("false"));
        assert_eq!(run("float64", None, json!(true)).unwrap(), json!(1.0));
        assert_eq!(run("int64", None, int64(3)).unwrap(), json!(3));
    }

    #[test]
    fn parse_errors_are_go_errors() {
        assert_eq!(
            run("int64", None, json!("a")).unwrap_err().to_string(),
            "strconv.ParseInt: parsing \"a\": invalid syntax"
        );
        assert_eq!(
            run("bool", None, json!("maybe")).unwrap_err().to_string(),
            "strconv.ParseBool: parsing \"maybe\": invalid syntax"
        );
        assert_eq!(
            run("object", None, json!("{}")).unwrap_err().to_string(),
            "conversion from string to object is not supported with format none"
        );
        assert_eq!(
            run("string", None, json!({})).unwrap_err().to_string(),
            "invalid input type map[string]interface {}"
        );
        assert_eq!(
            run("string", None, Value::Null).unwrap_err().to_string(),
            "invalid input type <nil>"
        );
        assert_eq!(
            run("int", Some("quantity"), json!("1"))
                .unwrap_err()
                .to_string(),
            "conversion from string to int64 is not supported with format quantity"
        );
        assert_eq!(
            run("string", Some("yaml"), json!("1"))
                .unwrap_err()
                .to_string(),
            "format: Invalid value: \"yaml\": invalid format"
        );
        assert_eq!(
            run("object", Some("json"), json!("{\"a\":"))
                .unwrap_err()
                .to_string(),
            "unexpected end of JSON input"
        );
    }

    #[test]
    fn quantities_and_json() {
        assert_eq!(
            run("float64", Some("quantity"), json!("1000m")).unwrap(),
            json!(1.0)
        );
        assert_eq!(
            run("float64", Some("quantity"), json!("1.5Gi")).unwrap(),
            json!(1_610_612_736.0)
        );
        assert_eq!(
            run("float64", Some("quantity"), json!("2k")).unwrap(),
            json!(2000.0)
        );
        assert_eq!(
            run("float64", Some("quantity"), json!("1e3")).unwrap(),
            json!(1000.0)
        );
        assert_eq!(
            run("float64", Some("quantity"), json!("1000 blabla"))
                .unwrap_err()
                .to_string(),
            quantity::FORMAT_ERROR
        );
        assert_eq!(
            run("object", Some("json"), json!(r#"{"a": [1]}"#)).unwrap(),
            json!({"a": [1.0]})
        );
        assert_eq!(
            run("array", Some("json"), json!("[1, 2]")).unwrap(),
            json!([1.0, 2.0])
        );
        assert_eq!(
            run("object", Some("json"), json!("[1]"))
                .unwrap_err()
                .to_string(),
            "json: cannot unmarshal array into Go value of type map[string]interface {}"
        );
    }
}
