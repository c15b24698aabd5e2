//! Transforms that fit the value they get, for the "clean" generated cases: each one succeeds on
//! its input, so a pipeline runs to its end and the value gets written. What a transform's output
//! will be is tracked just enough to choose the next one.

use serde_json::{Value, json};

use crate::differential::rng::Rng;
use crate::differential::values;

/// What is known of a value between transforms.
#[derive(Clone, Debug)]
pub enum Flow {
    /// Exactly this value.
    Known(Value),
    /// Some string.
    String,
    /// Some number.
    Number,
    /// Anything (a map or match result, say): no further transform is chosen.
    Unknown,
}

/// Formats that succeed (possibly with Go's in-band `%!` errors, which are output, not errors).
const SAFE_FORMATS: &[&str] = &[
    "%s",
    "%v",
    "%d",
    "%q",
    "%.2f",
    "%5.1f",
    "%x",
    "%t",
    "prefix-%v",
    "%T",
    "%08s",
    "%#v",
    "%e",
    "%b",
];

/// A pipeline of up to 3 transforms, each fitting what the previous one returns.
pub fn pipeline(rng: &mut Rng, mut flow: Flow) -> Vec<Value> {
    let mut out = Vec::new();
    for _ in 0..rng.below(4) {
        let Some((transform, next)) = transform(rng, &flow) else {
            break;
        };
        out.push(transform);
        flow = next;
    }
    out
}

/// A transform that succeeds on `flow`, and what it returns.
fn transform(rng: &mut Rng, flow: &Flow) -> Option<(Value, Flow)> {
    match flow {
        Flow::Unknown => None,
        Flow::String => Some(any_string_transform(rng)),
        Flow::Number => Some(number_transform(rng)),
        Flow::Known(Value::String(text)) => Some(string_transform(rng, text)),
        Flow::Known(Value::Number(_)) => Some(number_transform(rng)),
        Flow::Known(Value::Bool(_)) => Some(match rng.below(3) {
            0 => (
                json!({"type": "convert", "convert": {"toType": rng.pick(&["string", "int", "float64"])}}),
                Flow::Unknown,
            ),
            _ => (format(rng), Flow::String),
        }),
        Flow::Known(Value::Array(_)) => Some(match rng.below(3) {
            0 => (
                json!({"type": "string", "string": {"type": "Join", "join": {"separator": rng.pick(&[",", "-", ", ", ""])}}}),
                Flow::String,
            ),
            1 => (convert_to_string(rng), Flow::String),
            _ => (format(rng), Flow::String),
        }),
        Flow::Known(Value::Object(_) | Value::Null) => Some(match rng.below(2) {
            0 => (convert_to_string(rng), Flow::String),
            _ => (format(rng), Flow::String),
        }),
    }
}

fn format(rng: &mut Rng) -> Value {
    json!({"type": "string", "string": {"type": "Format", "fmt": rng.pick(SAFE_FORMATS)}})
}

fn convert_to_string(rng: &mut Rng) -> Value {
    let kind = rng.pick(&[
        "ToJson",
        "ToSha1",
        "ToSha256",
        "ToSha512",
        "ToAdler32",
        "ToUpper",
        "ToBase64",
    ]);
    json!({"type": "string", "string": {"type": "Convert", "convert": kind}})
}

/// A transform for some string whose content is not known.
fn any_string_transform(rng: &mut Rng) -> (Value, Flow) {
    match rng.below(4) {
        0 => (format(rng), Flow::String),
        1 => (convert_to_string(rng), Flow::String),
        2 => (
            json!({"type": "string", "string": {"type": "Regexp", "regexp": {"match": "^(.*)$", "group": 1}}}),
            Flow::String,
        ),
        _ => (
            json!({"type": "string", "string": {"type": "Replace", "replace": {"search": "-", "replace": "_"}}}),
            Flow::String,
        ),
    }
}

/// A transform for the string `text`.
fn string_transform(rng: &mut Rng, text: &str) -> (Value, Flow) {
    match rng.below(10) {
        0 | 1 => {
            let mut pairs = serde_json::Map::new();
            pairs.insert(values::string(rng), values::scalar(rng));
            let mut result = values::value(rng, 1);
            if result.is_null() {
                // A null map value fails; this case stays clean.
                result = json!("was null");
            }
            pairs.insert(text.to_owned(), result.clone());
            (json!({"type": "map", "map": pairs}), Flow::Known(result))
        }
        2 => {
            let pattern = if rng.chance(50) {
                json!({"type": "literal", "literal": text, "result": values::value(rng, 1)})
            } else {
                json!({"type": "regexp", "regexp": rng.pick(&[".", "^$", "[a-z]", "\\d", "(?i)^x"]), "result": values::scalar(rng)})
            };
            let mut transform = json!({"type": "match", "match": {"patterns": [pattern]}});
            if rng.chance(50) {
                transform["match"]["fallbackTo"] = json!("Input");
            } else {
                transform["match"]["fallbackValue"] = values::scalar(rng);
            }
            (transform, Flow::Unknown)
        }
        3 => (convert_to_string(rng), Flow::String),
        4 => {
            let kind = rng.pick(&["TrimPrefix", "TrimSuffix"]);
            let trim: String = text.chars().take(rng.below(3)).collect();
            (
                json!({"type": "string", "string": {"type": kind, "trim": trim}}),
                Flow::String,
            )
        }
        5 => (
            json!({"type": "string", "string": {"type": "Regexp", "regexp": {"match": rng.pick(&["^(.*)$", "(.*)"]), "group": rng.below(2)}}}),
            Flow::String,
        ),
        6 | 7 => convert_string(rng, text),
        _ => (format(rng), Flow::String),
    }
}

/// A `convert` of the string `text` to a type it parses as, else to itself.
fn convert_string(rng: &mut Rng, text: &str) -> (Value, Flow) {
    let convert = |to: &str, format: Option<&str>| {
        let mut convert = json!({"toType": to});
        if let Some(format) = format {
            convert["format"] = json!(format);
        }
        json!({"type": "convert", "convert": convert})
    };
    if text.parse::<i64>().is_ok() && !text.starts_with('+') {
        return (
            convert(rng.pick::<&str>(&["int", "int64"]), None),
            Flow::Number,
        );
    }
    if matches!(text, "true" | "false" | "True" | "1" | "0") {
        return (convert("bool", None), Flow::Unknown);
    }
    if text.parse::<f64>().is_ok_and(f64::is_finite) && !text.contains(['i', 'I', 'n', 'N', '_']) {
        return (convert("float64", None), Flow::Number);
    }
    if text.starts_with('{') && text.ends_with('}') {
        return (convert("object", Some("json")), Flow::Unknown);
    }
    if text.starts_with('[') && text.ends_with(']') {
        return (convert("array", Some("json")), Flow::Unknown);
    }
    (
        convert("string", None),
        Flow::Known(Value::String(text.to_owned())),
    )
}

/// A transform for a number.
fn number_transform(rng: &mut Rng) -> (Value, Flow) {
    match rng.below(5) {
        0 => (
            json!({"type": "math", "math": {"type": "Multiply", "multiply": rng.range(-3, 1000)}}),
            Flow::Number,
        ),
        1 => {
            let kind = *rng.pick(&["ClampMin", "ClampMax"]);
            let field = if kind == "ClampMin" {
                "clampMin"
            } else {
                "clampMax"
            };
            (
                json!({"type": "math", "math": {"type": kind, field: rng.range(-50, 5000)}}),
                Flow::Number,
            )
        }
        2 => (
            json!({"type": "convert", "convert": {"toType": rng.pick(&["string", "int", "int64", "float64", "bool"])}}),
            Flow::Unknown,
        ),
        3 => (format(rng), Flow::String),
        _ => (convert_to_string(rng), Flow::String),
    }
}
