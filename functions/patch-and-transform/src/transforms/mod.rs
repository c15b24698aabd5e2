//! Transforms: `map`, `match`, `math`, `string` and `convert`, with upstream's semantics and
//! error texts. Values are Go values as [`crate::value`] describes. `string` and `convert`, the
//! two with many kinds, have a file each; `map`, `match` and `math` are here.
//!
//! `math` and `convert` check their configuration again with [`crate::validate`] before they run,
//! as upstream's do.

mod convert;
mod string;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::goregex;
use crate::input::{MatchPattern, MatchTransform, MathTransform, Transform};
use crate::value::{Piped, go_int64, int64, is_int64, parsed};
use convert::resolve_convert;
use string::resolve_string;

/// Runs `transforms` in order on `input`.
///
/// # Errors
/// `transform at index N returned error: ...`.
pub fn resolve_all(transforms: &[Transform], mut input: Piped) -> Result<Piped> {
    for (i, transform) in transforms.iter().enumerate() {
        input = resolve(transform, input)
            .map_err(|e| e.wrap(format!("transform at index {i} returned error")))?;
    }
    Ok(input)
}

/// Runs one transform: upstream's `Resolve`.
///
/// # Errors
/// `given transform type X requires configuration`, `transform type X is not supported`, or
/// `X transform could not resolve: ...`.
pub fn resolve(transform: &Transform, input: Piped) -> Result<Piped> {
    let kind = transform.type_.as_str();
    let missing = || {
        Error::new(format!(
            "given transform type {kind} requires configuration"
        ))
    };
    let result = match kind {
        "math" => resolve_math(transform.math.as_ref().ok_or_else(missing)?, &input),
        "map" => resolve_map(transform.map.as_ref().ok_or_else(missing)?, &input),
        "match" => resolve_match(transform.match_.as_ref().ok_or_else(missing)?, input),
        "string" => resolve_string(transform.string.as_ref().ok_or_else(missing)?, &input)
            .map(|text| Piped::Json(Value::String(text))),
        "convert" => resolve_convert(transform.convert.as_ref().ok_or_else(missing)?, input),
        other => {
            return Err(Error::new(format!(
                "transform type {other} is not supported"
            )));
        }
    };
    result.map_err(|e| e.wrap(format!("{kind} transform could not resolve")))
}

fn resolve_math(math: &MathTransform, input: &Piped) -> Result<Piped> {
    if let Err(e) = crate::validate::math(math) {
        return Err(Error::new(e.to_string()));
    }
    let (as_int, as_float) = match input {
        Piped::Json(Value::Number(n)) if is_int64(n) => (n.as_i64(), 0.0),
        Piped::Json(Value::Number(n)) => (None, n.as_f64().unwrap_or(0.0)),
        Piped::NonFinite(f) => (None, *f),
        Piped::Json(other) => {
            return Err(Error::new(format!(
                "input is required to be a number for math transformer, got {}",
                crate::value::go_type(other)
            )));
        }
    };
    match math.type_.as_str() {
        "Multiply" => {
            let factor = math.multiply.unwrap_or(0);
            match as_int {
                Some(i) => Ok(Piped::Json(int64(i.wrapping_mul(factor)))),
                #[expect(clippy::cast_precision_loss, reason = "Go's float64(int64)")]
                None => Ok(Piped::float(as_float * factor as f64)),
            }
        }
        kind @ ("ClampMin" | "ClampMax") => {
            let truncated = as_int.unwrap_or_else(|| go_int64(as_float));
            let (bound, is_out) = if kind == "ClampMin" {
                let bound = math.clamp_min.unwrap_or(0);
                (bound, truncated < bound)
            } else {
                let bound = math.clamp_max.unwrap_or(0);
                (bound, truncated > bound)
            };
            Ok(if is_out {
                Piped::Json(int64(bound))
            } else {
                input.clone()
            })
        }
        other => Err(Error::new(format!(
            "type {other} is not supported for math transform type"
        ))),
    }
}

fn resolve_map(pairs: &BTreeMap<String, Value>, input: &Piped) -> Result<Piped> {
    let Piped::Json(Value::String(key)) = input else {
        return Err(Error::new(format!(
            "type {} is not supported for map transform",
            input.go_type()
        )));
    };
    match pairs.get(key) {
        None => Err(Error::new(format!("key {key} is not found in map"))),
        // Upstream keeps each value as raw JSON, and `null` leaves it empty: unmarshalling
        // nothing fails.
        Some(Value::Null) => Err(Error::new(format!(
            "value for key {key} is not valid JSON: unexpected end of JSON input"
        ))),
        Some(value) => Ok(Piped::Json(parsed(value.clone()))),
    }
}

fn resolve_match(transform: &MatchTransform, input: Piped) -> Result<Piped> {
    for (i, pattern) in transform.patterns.iter().enumerate() {
        if matches(pattern, &input)
            .map_err(|e| e.wrap(format!("cannot match pattern at index {i}")))?
        {
            return Ok(Piped::Json(
                pattern.result.clone().map_or(Value::Null, parsed),
            ));
        }
    }
    if transform.fallback_to == "Input" {
        if transform.fallback_value.is_some() {
            return Err(Error::new(
                "cannot set both a fallback value and the fallback to input flag",
            ));
        }
        return Ok(input);
    }
    Ok(Piped::Json(
        transform.fallback_value.clone().map_or(Value::Null, parsed),
    ))
}

fn matches(pattern: &MatchPattern, input: &Piped) -> Result<bool> {
    let unsupported_input = || Error::new(format!("unsupported input type '{}'", input.go_type()));
    match pattern.type_.as_str() {
        "literal" => {
            let Some(literal) = &pattern.literal else {
                return Err(Error::new("literal is required by type literal"));
            };
            let Piped::Json(Value::String(text)) = input else {
                return Err(unsupported_input());
            };
            Ok(text == literal)
        }
        "regexp" => {
            let Some(expression) = &pattern.regexp else {
                return Err(Error::new("regexp is required by type regexp"));
            };
            let regex = goregex::compile(expression)
                .map_err(|e| Error::new(e).wrap("cannot compile regexp"))?;
            match input {
                Piped::Json(Value::Null) => Err(Error::new("unsupported input type 'null'")),
                Piped::Json(Value::String(text)) => Ok(regex.is_match(text)),
                _ => Err(unsupported_input()),
            }
        }
        other => Err(Error::new(format!("unsupported pattern type '{other}'"))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn transform(value: Value) -> Transform {
        serde_json::from_value(value).unwrap()
    }

    fn run(t: Value, input: Value) -> Result<Value> {
        resolve(&transform(t), Piped::Json(parsed(input))).map(|out| match out {
            Piped::Json(value) => value,
            Piped::NonFinite(f) => panic!("a non-finite float {f} in a test"),
        })
    }

    #[test]
    fn map_looks_up_strings() {
        let t = json!({"type": "map", "map": {"a": {"x": 1}, "b": 2}});
        assert_eq!(run(t.clone(), json!("a")).unwrap(), json!({"x": 1.0}));
        assert_eq!(
            run(t.clone(), json!("c")).unwrap_err().to_string(),
            "map transform could not resolve: key c is not found in map"
        );
        assert_eq!(
            run(t, json!(5)).unwrap_err().to_string(),
            "map transform could not resolve: type float64 is not supported for map transform"
        );
        assert_eq!(
            run(json!({"type": "map", "map": {"a": null}}), json!("a"))
                .unwrap_err()
                .to_string(),
            "map transform could not resolve: value for key a is not valid JSON: unexpected end of JSON input"
        );
    }

    #[test]
    fn match_tries_patterns_then_falls_back() {
        let t = json!({"type": "match", "match": {"patterns": [
            {"type": "literal", "literal": "a", "result": 1},
            {"type": "regexp", "regexp": "^b+$", "result": "bees"},
        ], "fallbackValue": "none"}});
        assert_eq!(run(t.clone(), json!("a")).unwrap(), json!(1.0));
        assert_eq!(run(t.clone(), json!("bbb")).unwrap(), json!("bees"));
        assert_eq!(run(t.clone(), json!("c")).unwrap(), json!("none"));
        assert_eq!(
            run(t, json!(5)).unwrap_err().to_string(),
            "match transform could not resolve: cannot match pattern at index 0: unsupported input type 'float64'"
        );
        let t = json!({"type": "match", "match": {"patterns": [{"type": "literal", "literal": "a", "result": 1}], "fallbackTo": "Input"}});
        assert_eq!(run(t, json!("z")).unwrap(), json!("z"));
        let t = json!({"type": "match", "match": {"patterns": [], "fallbackTo": "Input", "fallbackValue": "x"}});
        assert_eq!(
            run(t, json!("z")).unwrap_err().to_string(),
            "match transform could not resolve: cannot set both a fallback value and the fallback to input flag"
        );
    }

    #[test]
    fn math_keeps_int_and_float_kinds() {
        let multiply = json!({"type": "math", "math": {"type": "Multiply", "multiply": 3}});
        assert_eq!(run(multiply.clone(), json!(2.5)).unwrap(), json!(7.5));
        assert_eq!(
            resolve(&transform(multiply.clone()), Piped::Json(int64(2))).unwrap(),
            Piped::Json(json!(6))
        );
        let clamp = json!({"type": "math", "math": {"type": "ClampMin", "clampMin": 10}});
        assert_eq!(run(clamp.clone(), json!(5.5)).unwrap(), json!(10));
        assert_eq!(run(clamp, json!(15.5)).unwrap(), json!(15.5));
        assert_eq!(
            run(multiply, json!("a")).unwrap_err().to_string(),
            "math transform could not resolve: input is required to be a number for math transformer, got string"
        );
        let missing = json!({"type": "math", "math": {"type": "ClampMax"}});
        assert_eq!(
            run(missing, json!(1)).unwrap_err().to_string(),
            "math transform could not resolve: clampMax: Required value: must specify a value if a clamp max math transform is specified"
        );
    }

    #[test]
    fn pipelines_name_the_failing_index() {
        let transforms = vec![
            transform(json!({"type": "convert", "convert": {"toType": "float64"}})),
            transform(json!({"type": "map", "map": {"a": 1}})),
        ];
        assert_eq!(
            resolve_all(&transforms, Piped::Json(json!(2)))
                .unwrap_err()
                .to_string(),
            "transform at index 1 returned error: map transform could not resolve: type float64 is not supported for map transform"
        );
        assert_eq!(
            resolve(&transform(json!({"type": "bogus"})), Piped::Json(json!(1)))
                .unwrap_err()
                .to_string(),
            "transform type bogus is not supported"
        );
    }
}
