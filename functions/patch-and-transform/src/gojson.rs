//! Upstream's decoding of the input, for its error messages: function-sdk-go (v0.5) decodes the
//! input `Struct` with go-json-experiment/json and `RejectUnknownMembers`, so an unknown field or
//! a value of the wrong type fails the call with a message naming the Go type:
//!
//! ```text
//! json: cannot unmarshal Go value of type v1beta1.ComposedPatch: unknown name "fromFieldPth"
//! json: cannot unmarshal JSON string into Go value of type int64
//! json: cannot unmarshal JSON number into Go value of type int64: cannot parse "1.5" as signed integer: invalid syntax
//! ```
//!
//! [`check`] walks the input against a table of upstream's `input/v1beta1` types in the order
//! the decoder reads it (protojson writes `Struct` keys sorted) and returns the first such error.
//! JSON `null` is Go's zero value for every field here, so [`without_nulls`] drops null fields
//! (and turns null list elements into empty objects) before the serde types read the input.
//!
//! go-json-experiment starts its messages with "cannot" or "unable to", chosen at random on
//! purpose (so nobody matches on them); this module always writes "cannot". The content of
//! `metadata` (a Kubernetes `ObjectMeta`) is not checked, only that it is an object.

use serde_json::{Map, Value};

use crate::value::go_json_float;

/// How upstream's decoder reads a JSON value into one Go type.
enum Type {
    /// `string` or a named string type such as `v1beta1.PatchType`.
    Str(&'static str),
    /// `int64`, or `int` (64 bits where upstream runs).
    Int(&'static str),
    /// A struct: its Go type name and its JSON fields, inline-embedded ones included.
    Struct(&'static str, &'static [(&'static str, Type)]),
    /// A slice `[]T`: its Go type name and element type.
    Slice(&'static str, &'static Type),
    /// A type whose `UnmarshalJSON` accepts any JSON: `extv1.JSON`, `runtime.RawExtension`.
    AnyJson,
    /// `v1beta1.MapTransform`, whose `UnmarshalJSON` decodes a `map[string]v1.JSON` with
    /// `encoding/json`.
    MapTransform,
    /// `metav1.ObjectMeta`: only its kind is checked.
    ObjectMeta,
}

const STRING: Type = Type::Str("string");
const INT64: Type = Type::Int("int64");

/// The fields of `v1beta1.Patch`, inlined into every patch type, followed by `type`.
macro_rules! patch_fields {
    ($($extra:expr),* $(,)?) => {
        &[
            ("fromFieldPath", STRING),
            ("combine", Type::Struct("v1beta1.Combine", &[
                ("variables", Type::Slice("[]v1beta1.CombineVariable", &COMBINE_VARIABLE)),
                ("strategy", Type::Str("v1beta1.CombineStrategy")),
                ("string", Type::Struct("v1beta1.StringCombine", &[("fmt", STRING)])),
            ])),
            ("toFieldPath", STRING),
            ("transforms", Type::Slice("[]v1beta1.Transform", &TRANSFORM)),
            ("policy", Type::Struct("v1beta1.PatchPolicy", &[
                ("fromFieldPath", Type::Str("v1beta1.FromFieldPathPolicy")),
                ("toFieldPath", Type::Str("v1beta1.ToFieldPathPolicy")),
            ])),
            ("type", Type::Str("v1beta1.PatchType")),
            $($extra),*
        ]
    };
}

static COMBINE_VARIABLE: Type =
    Type::Struct("v1beta1.CombineVariable", &[("fromFieldPath", STRING)]);

static TRANSFORM: Type = Type::Struct(
    "v1beta1.Transform",
    &[
        ("type", Type::Str("v1beta1.TransformType")),
        (
            "math",
            Type::Struct(
                "v1beta1.MathTransform",
                &[
                    ("type", Type::Str("v1beta1.MathTransformType")),
                    ("multiply", INT64),
                    ("clampMin", INT64),
                    ("clampMax", INT64),
                ],
            ),
        ),
        ("map", Type::MapTransform),
        (
            "match",
            Type::Struct(
                "v1beta1.MatchTransform",
                &[
                    (
                        "patterns",
                        Type::Slice("[]v1beta1.MatchTransformPattern", &MATCH_PATTERN),
                    ),
                    ("fallbackValue", Type::AnyJson),
                    ("fallbackTo", Type::Str("v1beta1.MatchFallbackTo")),
                ],
            ),
        ),
        (
            "string",
            Type::Struct(
                "v1beta1.StringTransform",
                &[
                    ("type", Type::Str("v1beta1.StringTransformType")),
                    ("fmt", STRING),
                    ("convert", Type::Str("v1beta1.StringConversionType")),
                    ("trim", STRING),
                    (
                        "regexp",
                        Type::Struct(
                            "v1beta1.StringTransformRegexp",
                            &[("match", STRING), ("group", Type::Int("int"))],
                        ),
                    ),
                    (
                        "join",
                        Type::Struct("v1beta1.StringTransformJoin", &[("separator", STRING)]),
                    ),
                    (
                        "replace",
                        Type::Struct(
                            "v1beta1.StringTransformReplace",
                            &[("search", STRING), ("replace", STRING)],
                        ),
                    ),
                ],
            ),
        ),
        (
            "convert",
            Type::Struct(
                "v1beta1.ConvertTransform",
                &[
                    ("toType", Type::Str("v1beta1.TransformIOType")),
                    ("format", Type::Str("v1beta1.ConvertTransformFormat")),
                ],
            ),
        ),
    ],
);

static MATCH_PATTERN: Type = Type::Struct(
    "v1beta1.MatchTransformPattern",
    &[
        ("type", Type::Str("v1beta1.MatchTransformPatternType")),
        ("literal", STRING),
        ("regexp", STRING),
        ("result", Type::AnyJson),
    ],
);

static PATCH_SET_PATCH: Type = Type::Struct("v1beta1.PatchSetPatch", patch_fields!());
static ENVIRONMENT_PATCH: Type = Type::Struct("v1beta1.EnvironmentPatch", patch_fields!());
static CONNECTION_SECRET_PATCH: Type =
    Type::Struct("v1beta1.ConnectionSecretPatch", patch_fields!());
static COMPOSED_PATCH: Type = Type::Struct(
    "v1beta1.ComposedPatch",
    patch_fields!(("patchSetName", STRING)),
);

static PATCH_SET: Type = Type::Struct(
    "v1beta1.PatchSet",
    &[
        ("name", STRING),
        (
            "patches",
            Type::Slice("[]v1beta1.PatchSetPatch", &PATCH_SET_PATCH),
        ),
    ],
);

static CONNECTION_DETAIL: Type = Type::Struct(
    "v1beta1.ConnectionDetail",
    &[
        ("name", STRING),
        ("type", Type::Str("v1beta1.ConnectionDetailType")),
        ("fromConnectionSecretKey", STRING),
        ("fromFieldPath", STRING),
        ("value", STRING),
    ],
);

static READINESS_CHECK: Type = Type::Struct(
    "v1beta1.ReadinessCheck",
    &[
        ("type", Type::Str("v1beta1.ReadinessCheckType")),
        ("fieldPath", STRING),
        ("matchString", STRING),
        ("matchInteger", INT64),
        (
            "matchCondition",
            Type::Struct(
                "v1beta1.MatchConditionReadinessCheck",
                &[
                    ("type", Type::Str("common.ConditionType")),
                    ("status", Type::Str("v1.ConditionStatus")),
                ],
            ),
        ),
    ],
);

static COMPOSED_TEMPLATE: Type = Type::Struct(
    "v1beta1.ComposedTemplate",
    &[
        ("name", STRING),
        ("base", Type::AnyJson),
        (
            "patches",
            Type::Slice("[]v1beta1.ComposedPatch", &COMPOSED_PATCH),
        ),
        (
            "connectionDetails",
            Type::Slice("[]v1beta1.ConnectionDetail", &CONNECTION_DETAIL),
        ),
        (
            "readinessChecks",
            Type::Slice("[]v1beta1.ReadinessCheck", &READINESS_CHECK),
        ),
    ],
);

/// The fields of `v1beta1.Resources`, the whole input.
static RESOURCES: &[(&str, Type)] = &[
    ("apiVersion", STRING),
    ("kind", STRING),
    ("metadata", Type::ObjectMeta),
    ("patchSets", Type::Slice("[]v1beta1.PatchSet", &PATCH_SET)),
    (
        "environment",
        Type::Struct(
            "v1beta1.Environment",
            &[(
                "patches",
                Type::Slice("[]v1beta1.EnvironmentPatch", &ENVIRONMENT_PATCH),
            )],
        ),
    ),
    (
        "resources",
        Type::Slice("[]v1beta1.ComposedTemplate", &COMPOSED_TEMPLATE),
    ),
    (
        "writeConnectionSecretToRef",
        Type::Struct(
            "v1beta1.WriteConnectionSecretToRef",
            &[
                ("name", STRING),
                ("namespace", STRING),
                (
                    "patches",
                    Type::Slice("[]v1beta1.ConnectionSecretPatch", &CONNECTION_SECRET_PATCH),
                ),
            ],
        ),
    ),
];

/// The first error upstream's decoder reports for `input`, as it prints it after `json: `.
/// `Ok(true)` when the input decodes and holds a `null` that [`without_nulls`] must drop.
///
/// # Errors
/// The decoder's message, e.g. `cannot unmarshal Go value of type v1beta1.Transform: unknown
/// name "lookup"`.
pub fn check(input: &Map<String, Value>) -> Result<bool, String> {
    check_struct(input, "v1beta1.Resources", RESOURCES)
}

fn check_value(value: &Value, ty: &Type) -> Result<bool, String> {
    if value.is_null() {
        return Ok(true);
    }
    match (ty, value) {
        (Type::Str(_), Value::String(_))
        | (Type::AnyJson, _)
        | (Type::ObjectMeta, Value::Object(_)) => Ok(false),
        (Type::Int(name), Value::Number(number)) => {
            check_int(name, number.as_f64().unwrap_or(0.0)).map(|()| false)
        }
        (Type::Struct(name, fields), Value::Object(object)) => check_struct(object, name, fields),
        (Type::Slice(_, element), Value::Array(items)) => {
            let mut has_null = false;
            for item in items {
                has_null |= check_value(item, element)?;
            }
            Ok(has_null)
        }
        (Type::MapTransform, Value::Object(_)) => Ok(false),
        (Type::MapTransform, other) => Err(format!(
            "cannot unmarshal JSON {} into Go value of type v1beta1.MapTransform: json: cannot unmarshal {} into Go value of type map[string]v1.JSON",
            kind(other),
            v1_kind(other)
        )),
        (ty, other) => Err(format!(
            "cannot unmarshal JSON {} into Go value of type {}",
            kind(other),
            type_name(ty)
        )),
    }
}

fn check_struct(
    object: &Map<String, Value>,
    name: &str,
    fields: &[(&str, Type)],
) -> Result<bool, String> {
    let mut keys: Vec<&String> = object.keys().collect();
    keys.sort_unstable();
    let mut has_null = false;
    for key in keys {
        let Some((_, ty)) = fields.iter().find(|(field, _)| field == key) else {
            return Err(format!(
                "cannot unmarshal Go value of type {name}: unknown name {}",
                protojson_string(key)
            ));
        };
        has_null |= check_value(&object[key], ty)?;
    }
    Ok(has_null)
}

/// Go's decoding of a JSON number into `int64`: the number as protojson writes it must be a
/// plain integer that fits.
fn check_int(name: &str, number: f64) -> Result<(), String> {
    let text = go_json_float(number);
    let digits = text.strip_prefix('-').unwrap_or(&text);
    let is_integer = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    let reason = if !is_integer {
        "invalid syntax"
    } else {
        let fits = if text.starts_with('-') {
            digits.parse::<u64>().is_ok_and(|n| n <= 1 << 63)
        } else {
            digits.parse::<u64>().is_ok_and(|n| n < 1 << 63)
        };
        if fits {
            return Ok(());
        }
        "value out of range"
    };
    Err(format!(
        "cannot unmarshal JSON number into Go value of type {name}: cannot parse \"{text}\" as signed integer: {reason}"
    ))
}

fn type_name(ty: &Type) -> &str {
    match ty {
        Type::Str(name) | Type::Int(name) | Type::Struct(name, _) | Type::Slice(name, _) => name,
        Type::AnyJson => "v1.JSON",
        Type::MapTransform => "v1beta1.MapTransform",
        Type::ObjectMeta => "v1.ObjectMeta",
    }
}

/// How go-json-experiment names the kind of a JSON value.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// How `encoding/json` names the kind of a JSON value.
fn v1_kind(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "bool",
        other => kind(other),
    }
}

/// A string as protojson writes it (and the decoder quotes it back): `"`, `\` and control
/// characters escaped, everything else as is.
fn protojson_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value as protojson writes it: keys sorted, no HTML escaping, Go's float format.
pub fn protojson(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_json_float(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => protojson_string(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(protojson).collect();
            format!("[{}]", items.join(","))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            let members: Vec<String> = keys
                .into_iter()
                .map(|key| format!("{}:{}", protojson_string(key), protojson(&map[key])))
                .collect();
            format!("{{{}}}", members.join(","))
        }
    }
}

/// `input` with every null the decoder reads as a zero value removed: null fields dropped, null
/// elements of struct lists made empty objects. Values of `AnyJson` fields (base templates, map
/// values, match results) keep theirs.
pub fn without_nulls(input: &Map<String, Value>) -> Map<String, Value> {
    let mut input = input.clone();
    strip_struct(&mut input, RESOURCES);
    input
}

fn strip_struct(object: &mut Map<String, Value>, fields: &[(&str, Type)]) {
    object.retain(|_, value| !value.is_null());
    for (key, value) in object.iter_mut() {
        if let Some((_, ty)) = fields.iter().find(|(field, _)| field == key) {
            strip_value(value, ty);
        }
    }
}

fn strip_value(value: &mut Value, ty: &Type) {
    match (ty, value) {
        (Type::Struct(_, fields), Value::Object(object)) => strip_struct(object, fields),
        (Type::Slice(_, element), Value::Array(items)) => {
            for item in items {
                if item.is_null() {
                    *item = Value::Object(Map::new());
                }
                strip_value(item, element);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check_json(input: Value) -> Result<bool, String> {
        let Value::Object(input) = input else {
            panic!("test inputs are objects")
        };
        check(&input)
    }

    #[test]
    fn unknown_names_name_the_go_type() {
        assert_eq!(
            check_json(json!({"resources": [{"name": "a", "patches": [{"fromFieldPth": "x"}]}]})),
            Err(r#"cannot unmarshal Go value of type v1beta1.ComposedPatch: unknown name "fromFieldPth""#.to_owned())
        );
        assert_eq!(
            check_json(json!({"patchSets": [{"name": "s", "patches": [{"type": "PatchSet", "patchSetName": "t"}]}]})),
            Err(r#"cannot unmarshal Go value of type v1beta1.PatchSetPatch: unknown name "patchSetName""#.to_owned())
        );
    }

    #[test]
    fn keys_are_read_in_sorted_order() {
        assert_eq!(
            check_json(json!({"resources": [{"zzz": 1, "name": 5}]})),
            Err("cannot unmarshal JSON number into Go value of type string".to_owned())
        );
    }

    #[test]
    fn integers_must_be_whole_and_fit() {
        let math = |value: f64| json!({"resources": [{"patches": [{"transforms": [{"math": {"multiply": value}}]}]}]});
        assert_eq!(check_json(math(-9_007_199_254_740_993.0)), Ok(false));
        assert_eq!(
            check_json(math(1.5)),
            Err(r#"cannot unmarshal JSON number into Go value of type int64: cannot parse "1.5" as signed integer: invalid syntax"#.to_owned())
        );
        assert_eq!(
            check_json(math(-9.223_372_036_854_776e18)),
            Err(r#"cannot unmarshal JSON number into Go value of type int64: cannot parse "-9223372036854776000" as signed integer: value out of range"#.to_owned())
        );
        assert_eq!(
            check_json(math(1e21)),
            Err(r#"cannot unmarshal JSON number into Go value of type int64: cannot parse "1e+21" as signed integer: invalid syntax"#.to_owned())
        );
    }

    #[test]
    fn a_map_transform_must_be_an_object() {
        assert_eq!(
            check_json(json!({"resources": [{"patches": [{"transforms": [{"map": "x"}]}]}]})),
            Err("cannot unmarshal JSON string into Go value of type v1beta1.MapTransform: json: cannot unmarshal string into Go value of type map[string]v1.JSON".to_owned())
        );
    }

    #[test]
    fn nulls_are_zero_values() {
        let input = json!({"resources": [{"name": null, "base": {"a": null}, "patches": [null]}], "environment": null});
        assert_eq!(check_json(input.clone()), Ok(true));
        let Value::Object(input) = input else {
            unreachable!()
        };
        assert_eq!(
            Value::Object(without_nulls(&input)),
            json!({"resources": [{"base": {"a": null}, "patches": [{}]}]})
        );
    }
}
