//! Typed reads: a part of a resource or of the request deserialised into the author's own
//! `serde` type, with errors that name the resource and the field path that did not fit.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::path::FieldPath;

/// How a JSON value is named in a message: `"null"`, `"a boolean"`, `"a number"`, `"a string"`,
/// `"an array"` or `"an object"`.
///
/// # Examples
/// ```
/// assert_eq!(xfn_sdk::json_kind(&serde_json::json!([1])), "an array");
/// ```
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value could not be read into the type asked for.
///
/// The message names what was read (`observed composite resource`, `config`...), the field path
/// of the problem and what serde found there, so a handler can hand it to the user as it is:
///
/// ```text
/// observed composite resource spec.parameters.size: invalid type: string "big", expected u32
/// observed composite resource has no spec
/// ```
///
/// # Examples
/// ```
/// use serde::Deserialize;
/// use xfn_sdk::Request;
///
/// #[derive(Debug, Deserialize)]
/// struct Spec {
///     size: u32,
/// }
///
/// let req: Request = serde_json::from_str(r#"{"observed": {"composite": {"resource":
///     {"spec": {"size": "big"}}}}}"#).unwrap();
/// let error = req.spec_as::<Spec>().unwrap_err();
/// assert_eq!(error.to_string(), r#"observed composite resource spec.size: invalid type: string "big", expected u32"#);
/// assert_eq!(error.path(), "spec.size");
/// ```
#[derive(Debug)]
pub struct ReadError {
    what: String,
    path: String,
    problem: Problem,
}

#[derive(Debug)]
enum Problem {
    /// Nothing at `path` (or no such resource at all when `path` is empty).
    Missing,
    /// The value at `path` does not fit the type.
    Invalid(serde_json::Error),
    /// The resource is of another type than the one asked for.
    #[cfg(feature = "k8s")]
    OtherKind {
        /// Its `apiVersion` and `kind`, e.g. `apps/v1 StatefulSet`.
        found: String,
        /// Those of the type asked for, e.g. `apps/v1 Deployment`.
        expected: String,
    },
}

impl ReadError {
    /// What was being read, e.g. `observed composite resource` or `config`.
    ///
    /// # Examples
    /// ```
    /// let error = xfn_sdk::Request::default().observed_composite_as::<serde_json::Value>().unwrap_err();
    /// assert_eq!(error.what(), "observed composite resource");
    /// ```
    pub fn what(&self) -> &str {
        &self.what
    }

    /// The field path of the problem inside [`what`](ReadError::what), e.g. `spec.size`;
    /// empty when the problem is the whole value.
    ///
    /// # Examples
    /// ```
    /// let error = xfn_sdk::Request::default().observed_composite_as::<serde_json::Value>().unwrap_err();
    /// assert_eq!(error.path(), "");
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the value was missing rather than of the wrong shape.
    ///
    /// # Examples
    /// ```
    /// let error = xfn_sdk::Request::default().observed_composite_as::<serde_json::Value>().unwrap_err();
    /// assert!(error.is_missing());
    /// ```
    pub fn is_missing(&self) -> bool {
        matches!(self.problem, Problem::Missing)
    }

    /// `what` does not exist at all (no observed XR, no such resource).
    pub(crate) fn missing(what: impl Into<String>) -> ReadError {
        ReadError {
            what: what.into(),
            path: String::new(),
            problem: Problem::Missing,
        }
    }

    /// `what` is `found` (`apps/v1 StatefulSet`), not `expected` (`apps/v1 Deployment`).
    #[cfg(feature = "k8s")]
    pub(crate) fn other_kind(what: &str, found: String, expected: String) -> ReadError {
        ReadError {
            what: what.to_owned(),
            path: String::new(),
            problem: Problem::OtherKind { found, expected },
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.problem, self.path.is_empty()) {
            #[cfg(feature = "k8s")]
            (Problem::OtherKind { found, expected }, _) => {
                write!(f, "{} is {found}, not {expected}", self.what)
            }
            (Problem::Missing, true) => write!(f, "the request has no {}", self.what),
            (Problem::Missing, false) => write!(f, "{} has no {}", self.what, self.path),
            (Problem::Invalid(error), true) => write!(f, "{}: {error}", self.what),
            (Problem::Invalid(error), false) => write!(f, "{} {}: {error}", self.what, self.path),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads `value` into `T`; `what` and `base` (the path of `value` inside `what`, possibly empty)
/// name the place in errors.
pub(crate) fn read_value<T: DeserializeOwned>(
    what: &str,
    base: &str,
    value: &Value,
) -> Result<T, ReadError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let inner = error.path().to_string();
        let path = match (base.is_empty(), inner == ".") {
            (_, true) => base.to_owned(),
            (true, false) => inner,
            (false, false) if inner.starts_with('[') => format!("{base}{inner}"),
            (false, false) => format!("{base}.{inner}"),
        };
        ReadError {
            what: what.to_owned(),
            path,
            problem: Problem::Invalid(error.into_inner()),
        }
    })
}

/// Reads the value at the field path `path` of `object` into `T`; a missing value (or an
/// invalid path) is [`ReadError::is_missing`].
pub(crate) fn read_path<T: DeserializeOwned>(
    what: &str,
    object: &serde_json::Map<String, Value>,
    path: &str,
) -> Result<T, ReadError> {
    let missing = || ReadError {
        what: what.to_owned(),
        path: path.to_owned(),
        problem: Problem::Missing,
    };
    let field_path = FieldPath::parse(path).map_err(|_| missing())?;
    let value = field_path.get_in(object).ok_or_else(missing)?;
    read_value(what, path, value)
}

/// Reads the object under the top-level key `key` of `object` (`spec`, `status`) into `T`. A
/// missing or null object reads as `{}`, as Kubernetes treats them alike, so a `T` whose fields
/// all have defaults reads from a resource without one.
pub(crate) fn read_object_or_empty<T: DeserializeOwned>(
    what: &str,
    object: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<T, ReadError> {
    match object.get(key) {
        None | Some(Value::Null) => read_value(what, key, &Value::Object(serde_json::Map::new())),
        Some(value) => read_value(what, key, value),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[expect(dead_code, reason = "only the errors are checked")]
    struct Port {
        name: String,
        number: u16,
    }

    #[derive(Debug, Deserialize)]
    #[expect(dead_code, reason = "only the errors are checked")]
    struct Spec {
        ports: Vec<Port>,
    }

    fn object(value: Value) -> serde_json::Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn invalid_values_name_the_nested_path() {
        let body = object(
            json!({"spec": {"ports": [{"name": "a", "number": 1}, {"name": "b", "number": -1}]}}),
        );
        let error = read_path::<Spec>("observed resource \"svc\"", &body, "spec").unwrap_err();
        assert_eq!(
            error.to_string(),
            "observed resource \"svc\" spec.ports[1].number: invalid value: integer `-1`, expected u16"
        );
        assert!(!error.is_missing());
    }

    #[test]
    fn missing_values_name_the_path() {
        let body = object(json!({"spec": {}}));
        let error = read_path::<Spec>("observed composite resource", &body, "spec.x").unwrap_err();
        assert_eq!(
            error.to_string(),
            "observed composite resource has no spec.x"
        );
        assert!(error.is_missing());
        let error = read_path::<Spec>("config", &body, "a..b").unwrap_err();
        assert_eq!(error.to_string(), "config has no a..b");
    }

    #[test]
    fn a_whole_value_of_the_wrong_type_names_the_base() {
        let error = read_value::<Spec>("config", "", &json!(true)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "config: invalid type: boolean `true`, expected struct Spec"
        );
        let error = read_value::<Spec>("config", "spec", &json!("x")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "config spec: invalid type: string \"x\", expected struct Spec"
        );
        let error = read_value::<Vec<u8>>("xr", "status.codes", &json!([1, "two"])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "xr status.codes[1]: invalid type: string \"two\", expected u8"
        );
    }

    #[test]
    fn a_missing_or_null_object_reads_as_empty() {
        #[derive(Debug, Default, Deserialize, PartialEq)]
        #[serde(default)]
        struct Defaults {
            replicas: u32,
        }
        for body in [json!({}), json!({"spec": null})] {
            let read = read_object_or_empty::<Defaults>("xr", &object(body), "spec").unwrap();
            assert_eq!(read, Defaults { replicas: 0 });
        }
        let error = read_object_or_empty::<Spec>("xr", &object(json!({})), "spec").unwrap_err();
        assert_eq!(error.to_string(), "xr spec: missing field `ports`");
        assert!(!error.is_missing());
        let error =
            read_object_or_empty::<Spec>("xr", &object(json!({"spec": 1})), "spec").unwrap_err();
        assert_eq!(
            error.to_string(),
            "xr spec: invalid type: integer `1`, expected struct Spec"
        );
    }

    #[test]
    fn missing_resources_say_the_request_has_none() {
        assert_eq!(
            ReadError::missing("observed composite resource").to_string(),
            "the request has no observed composite resource"
        );
    }
}
