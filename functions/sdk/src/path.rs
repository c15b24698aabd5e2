//! Field paths into JSON, in the syntax Crossplane uses: `spec.parameters.region`,
//! `spec.containers[0].image`, `metadata.labels[crossplane.io/claim-name]`.
//!
//! A path is a list of segments. `.name` selects an object field; `[N]` (digits only) selects an
//! array element; `[anything else]` selects an object field whose name may contain dots, with
//! optional surrounding quotes (`["a.b"]` or `['a.b']`).

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::json_kind;

/// One step of a [`FieldPath`].
///
/// # Examples
/// ```
/// use xfn_sdk::{FieldPath, Segment};
///
/// let path = FieldPath::parse("spec.ports[0]").unwrap();
/// assert_eq!(path.segments()[2], Segment::Index(0));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// An object field.
    Field(String),
    /// An array element.
    Index(usize),
}

/// A parsed field path.
///
/// # Examples
/// ```
/// use serde_json::json;
/// use xfn_sdk::FieldPath;
///
/// let path: FieldPath = "spec.ports[1].name".parse().unwrap();
/// let xr = json!({"spec": {"ports": [{"name": "http"}, {"name": "https"}]}});
/// assert_eq!(path.get(&xr), Some(&json!("https")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldPath {
    segments: Vec<Segment>,
}

/// Why a path could not be parsed, or a value could not be set at it.
///
/// # Examples
/// ```
/// use serde_json::json;
/// use xfn_sdk::{PathError, set_path};
///
/// let mut xr = json!({"spec": "text"});
/// let error = set_path(&mut xr, "spec.size", json!(1)).unwrap_err();
/// assert!(matches!(error, PathError::Conflict { .. }));
/// assert_eq!(error.to_string(), r#"cannot set "spec.size": spec is a string, not an object; remove or replace it first"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathError {
    /// The path is not valid field-path syntax.
    Syntax {
        /// The path as written.
        path: String,
        /// Byte offset of the problem in `path`.
        offset: usize,
        /// What is wrong there.
        reason: &'static str,
    },
    /// [`FieldPath::set`] met a value of the wrong type on the way.
    Conflict {
        /// The path being set.
        path: String,
        /// The prefix of `path` that holds the value in the way.
        at: String,
        /// What the path needs there: `"an object"` or `"an array"`.
        needs: &'static str,
        /// What is there instead: `"a string"`, `"a number"`...
        found: &'static str,
    },
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Syntax {
                path,
                offset,
                reason,
            } => write!(f, "field path {path:?}: {reason} at offset {offset}"),
            PathError::Conflict {
                path,
                at,
                needs,
                found,
            } => write!(
                f,
                "cannot set {path:?}: {at} is {found}, not {needs}; remove or replace it first"
            ),
        }
    }
}

impl std::error::Error for PathError {}

impl FieldPath {
    /// Parses `path`.
    ///
    /// # Errors
    /// [`PathError::Syntax`] for an empty path, an empty segment (`a..b`, a trailing `.`), an
    /// unclosed or empty `[]`, or text straight after `]` that is not `.` or `[`.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::{FieldPath, Segment};
    ///
    /// let path = FieldPath::parse("metadata.labels[crossplane.io/name]").unwrap();
    /// assert_eq!(path.segments()[2], Segment::Field("crossplane.io/name".into()));
    /// assert!(FieldPath::parse("spec..x").is_err());
    /// ```
    pub fn parse(path: &str) -> Result<FieldPath, PathError> {
        let error = |rest: &str, reason| PathError::Syntax {
            path: path.to_owned(),
            offset: path.len() - rest.len(),
            reason,
        };
        if path.is_empty() {
            return Err(error(path, "empty path"));
        }
        let mut segments = Vec::new();
        let mut rest = path;
        while !rest.is_empty() {
            if let Some(after_open) = rest.strip_prefix('[') {
                let close = after_open
                    .find(']')
                    .ok_or_else(|| error(rest, "unclosed ["))?;
                let inner = &after_open[..close];
                segments.push(bracket_segment(inner).ok_or_else(|| error(rest, "empty []"))?);
                rest = &after_open[close + 1..];
                if !(rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')) {
                    return Err(error(rest, "expected . or [ after ]"));
                }
            } else {
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                if end == 0 {
                    return Err(error(rest, "empty field name"));
                }
                segments.push(Segment::Field(rest[..end].to_owned()));
                rest = &rest[end..];
            }
            if let Some(after_dot) = rest.strip_prefix('.') {
                if after_dot.is_empty() || after_dot.starts_with('.') {
                    return Err(error(after_dot, "empty field name"));
                }
                rest = after_dot;
            }
        }
        Ok(FieldPath { segments })
    }

    /// The segments, outermost first.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::{FieldPath, Segment};
    ///
    /// let path = FieldPath::parse("metadata.name").unwrap();
    /// assert_eq!(path.segments(), [Segment::Field("metadata".into()), Segment::Field("name".into())]);
    /// ```
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The value at this path in `value`, or `None` when any step is missing or of the wrong
    /// type (a field of an array, an index of an object, an index past the end).
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::FieldPath;
    ///
    /// let path = FieldPath::parse("a.b[0]").unwrap();
    /// assert_eq!(path.get(&json!({"a": {"b": [true]}})), Some(&json!(true)));
    /// assert_eq!(path.get(&json!({"a": {"b": "text"}})), None);
    /// ```
    pub fn get<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        walk(value, &self.segments)
    }

    /// Like [`get`](FieldPath::get), starting from an object such as
    /// [`Resource::resource`](crate::Resource::resource).
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::FieldPath;
    ///
    /// let object = json!({"kind": "Bucket"}).as_object().cloned().unwrap();
    /// assert_eq!(FieldPath::parse("kind").unwrap().get_in(&object), Some(&json!("Bucket")));
    /// ```
    pub fn get_in<'a>(&self, object: &'a Map<String, Value>) -> Option<&'a Value> {
        match self.segments.split_first()? {
            (Segment::Field(name), rest) => walk(object.get(name)?, rest),
            (Segment::Index(_), _) => None,
        }
    }

    /// Sets the value at this path in `value` to `new`, creating objects and arrays on the way.
    ///
    /// A missing or `null` step becomes an object (before a field) or an array (before an
    /// index); arrays grow to reach the index, padded with `null`.
    ///
    /// # Errors
    /// [`PathError::Conflict`] when a step holds a value of another type, e.g. a string where the
    /// path continues with a field. `value` is left as it was up to that step.
    ///
    /// # Examples
    /// ```
    /// use serde_json::json;
    /// use xfn_sdk::FieldPath;
    ///
    /// let mut xr = json!({});
    /// FieldPath::parse("status.zones[1]").unwrap().set(&mut xr, json!("b")).unwrap();
    /// assert_eq!(xr, json!({"status": {"zones": [null, "b"]}}));
    /// ```
    pub fn set(&self, value: &mut Value, new: Value) -> Result<(), PathError> {
        let mut current = value;
        for (depth, segment) in self.segments.iter().enumerate() {
            if current.is_null() {
                *current = match segment {
                    Segment::Field(_) => Value::Object(Map::new()),
                    Segment::Index(_) => Value::Array(Vec::new()),
                };
            }
            current = match (segment, current) {
                (Segment::Field(name), Value::Object(object)) => {
                    object.entry(name.clone()).or_insert(Value::Null)
                }
                (Segment::Index(index), Value::Array(array)) => {
                    if array.len() <= *index {
                        array.resize(*index + 1, Value::Null);
                    }
                    &mut array[*index]
                }
                (segment, other) => {
                    return Err(PathError::Conflict {
                        path: self.to_string(),
                        at: FieldPath {
                            segments: self.segments[..depth].to_vec(),
                        }
                        .to_string(),
                        needs: match segment {
                            Segment::Field(_) => "an object",
                            Segment::Index(_) => "an array",
                        },
                        found: json_kind(other),
                    });
                }
            };
        }
        *current = new;
        Ok(())
    }
}

impl FromStr for FieldPath {
    type Err = PathError;

    fn from_str(path: &str) -> Result<FieldPath, PathError> {
        FieldPath::parse(path)
    }
}

impl fmt::Display for FieldPath {
    /// Writes the path back in field-path syntax; fields that would not read back as plain
    /// names go in brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str("(root)");
        }
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Field(name) if needs_brackets(name) => write!(f, "[{name}]")?,
                Segment::Field(name) if i == 0 => f.write_str(name)?,
                Segment::Field(name) => write!(f, ".{name}")?,
            }
        }
        Ok(())
    }
}

/// The value at `path` in `value`; `None` when the path is missing, of the wrong type, or not a
/// valid field path.
///
/// # Examples
/// ```
/// use serde_json::json;
/// use xfn_sdk::get_path;
///
/// let xr = json!({"spec": {"parameters": {"region": "eu-west-1"}, "zones": [{"id": "a"}]}});
/// assert_eq!(get_path(&xr, "spec.parameters.region"), Some(&json!("eu-west-1")));
/// assert_eq!(get_path(&xr, "spec.zones[0].id"), Some(&json!("a")));
/// assert_eq!(get_path(&xr, "spec.missing"), None);
/// ```
pub fn get_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    FieldPath::parse(path).ok()?.get(value)
}

/// Sets the value at `path` in `value`, creating objects and arrays on the way; see
/// [`FieldPath::set`].
///
/// # Errors
/// [`PathError::Syntax`] for an invalid path, [`PathError::Conflict`] when a value of another type
/// is in the way.
///
/// # Examples
/// ```
/// use serde_json::json;
/// use xfn_sdk::set_path;
///
/// let mut xr = json!({"status": {"ready": false}});
/// set_path(&mut xr, "status.atProvider.id", json!("i-123")).unwrap();
/// assert_eq!(xr, json!({"status": {"ready": false, "atProvider": {"id": "i-123"}}}));
/// ```
pub fn set_path(value: &mut Value, path: &str, new: Value) -> Result<(), PathError> {
    FieldPath::parse(path)?.set(value, new)
}

fn walk<'a>(start: &'a Value, segments: &[Segment]) -> Option<&'a Value> {
    segments
        .iter()
        .try_fold(start, |value, segment| match (segment, value) {
            (Segment::Field(name), Value::Object(object)) => object.get(name),
            (Segment::Index(index), Value::Array(array)) => array.get(*index),
            _ => None,
        })
}

fn bracket_segment(inner: &str) -> Option<Segment> {
    if inner.is_empty() {
        return None;
    }
    if inner.bytes().all(|b| b.is_ascii_digit()) {
        // Digits that overflow usize cannot index any real array; keep them as a field name.
        return Some(
            inner
                .parse()
                .map_or_else(|_| Segment::Field(inner.to_owned()), Segment::Index),
        );
    }
    let unquoted = ['"', '\'']
        .iter()
        .find_map(|&q| inner.strip_prefix(q)?.strip_suffix(q))
        .unwrap_or(inner);
    Some(Segment::Field(unquoted.to_owned()))
}

fn needs_brackets(name: &str) -> bool {
    name.is_empty() || name.contains(['.', '[', ']']) || name.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(name: &str) -> Segment {
        Segment::Field(name.to_owned())
    }

    #[test]
    fn parses_fields_indexes_and_bracketed_names() {
        let path = FieldPath::parse("a.b[0].c").unwrap();
        assert_eq!(
            path.segments(),
            [field("a"), field("b"), Segment::Index(0), field("c")]
        );
        let path = FieldPath::parse(r#"metadata.annotations["example.org/x"][2]"#).unwrap();
        assert_eq!(
            path.segments(),
            [
                field("metadata"),
                field("annotations"),
                field("example.org/x"),
                Segment::Index(2)
            ]
        );
        let path = FieldPath::parse("[1][x]").unwrap();
        assert_eq!(path.segments(), [Segment::Index(1), field("x")]);
    }

    #[test]
    fn syntax_errors_name_the_offset() {
        let cases = [
            ("", "empty path", 0),
            ("a..b", "empty field name", 2),
            ("a.", "empty field name", 2),
            (".a", "empty field name", 0),
            ("a[0", "unclosed [", 1),
            ("a[]", "empty []", 1),
            ("a[0]b", "expected . or [ after ]", 4),
        ];
        for (path, reason, offset) in cases {
            assert_eq!(
                FieldPath::parse(path),
                Err(PathError::Syntax {
                    path: path.to_owned(),
                    offset,
                    reason
                }),
                "{path:?}"
            );
        }
        assert_eq!(
            FieldPath::parse("a..b").unwrap_err().to_string(),
            r#"field path "a..b": empty field name at offset 2"#
        );
    }

    #[test]
    fn get_walks_objects_and_arrays() {
        let value = json!({"a": {"b": [{"c": 1}, {"c": 2}]}, "x.y": true});
        assert_eq!(get_path(&value, "a.b[1].c"), Some(&json!(2)));
        assert_eq!(get_path(&value, "[x.y]"), Some(&json!(true)));
        assert_eq!(get_path(&value, "a.b[2].c"), None);
        assert_eq!(get_path(&value, "a.b.c"), None);
        assert_eq!(get_path(&value, "a[0]"), None);
        assert_eq!(get_path(&value, "a..b"), None);
    }

    #[test]
    fn get_in_starts_from_an_object() {
        let object = json!({"spec": {"who": "world"}})
            .as_object()
            .cloned()
            .unwrap();
        let path = FieldPath::parse("spec.who").unwrap();
        assert_eq!(path.get_in(&object), Some(&json!("world")));
        assert_eq!(FieldPath::parse("[0]").unwrap().get_in(&object), None);
    }

    #[test]
    fn set_creates_objects_and_pads_arrays() {
        let mut value = Value::Null;
        set_path(&mut value, "a.b[2].c", json!("x")).unwrap();
        assert_eq!(value, json!({"a": {"b": [null, null, {"c": "x"}]}}));
        set_path(&mut value, "a.b[0]", json!(1)).unwrap();
        assert_eq!(value, json!({"a": {"b": [1, null, {"c": "x"}]}}));
    }

    #[test]
    fn set_reports_the_value_in_the_way() {
        let mut value = json!({"spec": {"name": "x"}});
        let error = set_path(&mut value, "spec.name.first", json!("y")).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"cannot set "spec.name.first": spec.name is a string, not an object; remove or replace it first"#
        );
        let error = set_path(&mut value, "spec[0]", json!("y")).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"cannot set "spec[0]": spec is an object, not an array; remove or replace it first"#
        );
    }

    #[test]
    fn display_round_trips() {
        for path in [
            "a.b[0].c",
            "metadata.labels[crossplane.io/name]",
            "[3].x",
            "a[007]",
        ] {
            let parsed = FieldPath::parse(path).unwrap();
            assert_eq!(
                FieldPath::parse(&parsed.to_string()).unwrap(),
                parsed,
                "{path}"
            );
        }
    }
}
