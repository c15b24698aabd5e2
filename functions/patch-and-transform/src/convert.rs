//! The `convert` transform: between `string`, `int`/`int64`, `bool`, `float64`, `object` and
//! `array`, with the formats `none`, `quantity` and `json`.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::gofmt::{format_float, sprintf};
use crate::goscan;
use crate::input::ConvertTransform;
use crate::value::{float64, go_int64, go_type, int64};

/// Converts `input` to `transform.to_type`; the same type is a no-op.
///
/// # Errors
/// An invalid format or type, an input type that cannot be converted (`invalid input type
/// map[string]interface {}`), an unsupported pair (`conversion from string to object is not
/// supported with format none`), or a parse error (`strconv.ParseInt: parsing "a": invalid
/// syntax`).
pub fn resolve_convert(transform: &ConvertTransform, input: Value) -> Result<Value> {
    if let Err(e) = crate::validate::convert(transform) {
        return Err(Error::new(e.to_string()));
    }
    let from = go_type(&input);
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
    match (input, to, format) {
        (Value::String(s), "int64", "none") => parse_int(&s).map(int64),
        (Value::String(s), "bool", "none") => parse_bool(&s).map(Value::Bool),
        (Value::String(s), "float64", "none") => parse_float(&s).and_then(number),
        (Value::String(s), "float64", "quantity") => parse_quantity(&s).and_then(number),
        (Value::String(s), "object", "json") => goscan::unmarshal(&s, true).map_err(Error::new),
        (Value::String(s), "array", "json") => goscan::unmarshal(&s, false).map_err(Error::new),
        (Value::Number(n), "string", "none") if from == "int64" => Ok(Value::String(n.to_string())),
        (Value::Number(n), "bool", "none") if from == "int64" => {
            Ok(Value::Bool(n.as_i64() == Some(1)))
        }
        #[expect(clippy::cast_precision_loss, reason = "Go's float64(int64)")]
        (Value::Number(n), "float64", "none") if from == "int64" => {
            number(n.as_i64().unwrap_or(0) as f64)
        }
        (Value::Number(n), "string", "none") => Ok(Value::String(format_float(
            n.as_f64().unwrap_or(0.0),
            'f',
            None,
        ))),
        (Value::Number(n), "int64", "none") => Ok(int64(go_int64(n.as_f64().unwrap_or(0.0)))),
        (Value::Number(n), "bool", "none") => Ok(Value::Bool(n.as_f64() == Some(1.0))),
        (Value::Bool(b), "string", "none") => Ok(Value::String(b.to_string())),
        (Value::Bool(b), "int64", "none") => Ok(int64(i64::from(b))),
        (Value::Bool(b), "float64", "none") => number(if b { 1.0 } else { 0.0 }),
        _ => Err(unsupported()),
    }
}

fn number(f: f64) -> Result<Value> {
    float64(f).ok_or_else(|| {
        Error::new(format!(
            "json: unsupported value: {}",
            format_float(f, 'g', None)
        ))
    })
}

fn quoted(s: &str) -> String {
    sprintf("%q", &[Value::String(s.to_owned())])
}

/// Go's `strconv.ParseInt(s, 10, 64)`.
fn parse_int(s: &str) -> Result<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new(format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            quoted(s)
        )));
    }
    s.parse::<i64>().map_err(|_| {
        Error::new(format!(
            "strconv.ParseInt: parsing {}: value out of range",
            quoted(s)
        ))
    })
}

/// Go's `strconv.ParseBool`.
fn parse_bool(s: &str) -> Result<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(Error::new(format!(
            "strconv.ParseBool: parsing {}: invalid syntax",
            quoted(s)
        ))),
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal input.
fn parse_float(s: &str) -> Result<f64> {
    let value: f64 = s.parse().map_err(|_| {
        Error::new(format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            quoted(s)
        ))
    })?;
    if value.is_infinite() && !s.to_ascii_lowercase().contains("inf") {
        return Err(Error::new(format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            quoted(s)
        )));
    }
    Ok(value)
}

/// The message of Kubernetes' `resource.ErrFormatWrong`.
const QUANTITY_FORMAT: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// Kubernetes' `resource.ParseQuantity(s).AsApproximateFloat64()`.
fn parse_quantity(s: &str) -> Result<f64> {
    if s.is_empty() {
        return Err(Error::new(QUANTITY_FORMAT));
    }
    let (sign, rest) = match s.as_bytes()[0] {
        b'-' => (-1.0, &s[1..]),
        b'+' => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    let number_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(number_end);
    if number.is_empty() || number.matches('.').count() > 1 || !suffix_shape_ok(suffix) {
        return Err(Error::new(QUANTITY_FORMAT));
    }
    let (base, exponent): (f64, i32) = match suffix {
        "" => (10.0, 0),
        "n" => (10.0, -9),
        "u" => (10.0, -6),
        "m" => (10.0, -3),
        "k" => (10.0, 3),
        "M" => (10.0, 6),
        "G" => (10.0, 9),
        "T" => (10.0, 12),
        "P" => (10.0, 15),
        "E" => (10.0, 18),
        "Ki" => (2.0, 10),
        "Mi" => (2.0, 20),
        "Gi" => (2.0, 30),
        "Ti" => (2.0, 40),
        "Pi" => (2.0, 50),
        "Ei" => (2.0, 60),
        other => match other
            .strip_prefix(['e', 'E'])
            .and_then(|e| e.parse::<i32>().ok())
        {
            Some(exponent) => (10.0, exponent),
            None => return Err(Error::new("unable to parse quantity's suffix")),
        },
    };
    // Kubernetes keeps the digits as an integer and a decimal scale, then multiplies by the
    // nearest double of 10^scale.
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = format!("{whole}{fraction}");
    let mantissa: f64 = digits.parse().unwrap_or(0.0);
    let fraction_len = i32::try_from(fraction.len()).unwrap_or(i32::MAX);
    let value = if base == 2.0 {
        mantissa * 2f64.powi(exponent) * pow10(-fraction_len)
    } else {
        let scale = exponent.saturating_sub(fraction_len);
        if scale == 0 {
            mantissa
        } else {
            mantissa * pow10(scale)
        }
    };
    Ok(sign * value)
}

/// The nearest double to 10^n.
fn pow10(n: i32) -> f64 {
    format!("1e{n}").parse().unwrap_or(0.0)
}

/// Whether the suffix has the shape `[eEinumkKMGTP]*[-+]?[0-9]*`.
fn suffix_shape_ok(suffix: &str) -> bool {
    let letters_end = suffix
        .find(|c: char| !"eEinumkKMGTP".contains(c))
        .unwrap_or(suffix.len());
    let rest = &suffix[letters_end..];
    let rest = rest.strip_prefix(['-', '+']).unwrap_or(rest);
    rest.bytes().all(|b| b.is_ascii_digit())
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
        resolve_convert(&transform, input)
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
            QUANTITY_FORMAT
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
