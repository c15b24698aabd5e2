//! JSONPath queries (RFC 9535) over resources and other JSON, with the `jsonpath-rust` crate.
//!
//! Parse an expression once with [`JsonPath::parse`] (typically while validating a module's
//! config, so that a bad expression becomes a fatal result naming its field) and run it on as
//! many values as needed with [`JsonPath::query`]. [`query`] does both in one call.
//!
//! Field paths (`spec.forProvider.region`, see [`FieldPath`](crate::FieldPath)) address one
//! value; JSONPath selects any number, with filters:
//! `$.status.conditions[?@.type == 'Synced'].status`.

use std::fmt;

use jsonpath_rust::parser::errors::JsonPathError;
use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::parser::parse_json_path;
use jsonpath_rust::query::js_path_process;
use serde_json::Value;

/// A parsed JSONPath expression.
///
/// # Examples
/// ```
/// use serde_json::json;
/// use xfn_sdk::jsonpath::JsonPath;
///
/// let state = JsonPath::parse("$.status.atProvider.state").unwrap();
/// let bucket = json!({"status": {"atProvider": {"state": "available"}}});
/// assert_eq!(state.query(&bucket), [&json!("available")]);
/// assert!(state.query(&json!({})).is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct JsonPath {
    expression: String,
    query: JpQuery,
}

impl JsonPath {
    /// Parses `expression`, which must start with `$` (the root of the value queried).
    ///
    /// # Errors
    /// [`InvalidJsonPath`] naming the expression and what the parser expected.
    pub fn parse(expression: &str) -> Result<JsonPath, InvalidJsonPath> {
        if !expression.starts_with('$') {
            // The parser would say "expected jp_query", the name of its grammar rule.
            return Err(InvalidJsonPath {
                expression: expression.to_owned(),
                reason: "it must start with $, the root of the value".to_owned(),
            });
        }
        match parse_json_path(expression) {
            Ok(query) => Ok(JsonPath {
                expression: expression.to_owned(),
                query,
            }),
            Err(error) => Err(InvalidJsonPath {
                expression: expression.to_owned(),
                reason: reason(&error),
            }),
        }
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.expression
    }

    /// The values the expression selects in `value`, in document order; empty when it selects
    /// nothing.
    pub fn query<'a>(&self, value: &'a Value) -> Vec<&'a Value> {
        // jsonpath-rust reports an error only when a query evaluates to a computed value rather
        // than to nodes of the document; a parsed RFC 9535 query is a chain of segments, which
        // always select nodes, so there is nothing to report here.
        js_path_process(&self.query, value)
            .map(|found| found.into_iter().map(|node| node.val).collect())
            .unwrap_or_default()
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expression)
    }
}

/// Runs the JSONPath `expression` on `value`: [`JsonPath::parse`] then [`JsonPath::query`].
///
/// # Errors
/// [`InvalidJsonPath`] when `expression` does not parse.
///
/// # Examples
/// ```
/// use serde_json::json;
///
/// let xr = json!({"status": {"conditions": [
///     {"type": "Synced", "status": "True"},
///     {"type": "Ready", "status": "False"},
/// ]}});
/// let synced = xfn_sdk::jsonpath::query("$.status.conditions[?@.type == 'Synced'].status", &xr);
/// assert_eq!(synced.unwrap(), [&json!("True")]);
/// ```
pub fn query<'a>(expression: &str, value: &'a Value) -> Result<Vec<&'a Value>, InvalidJsonPath> {
    Ok(JsonPath::parse(expression)?.query(value))
}

/// A JSONPath expression that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidJsonPath {
    /// The expression as written.
    pub expression: String,
    /// What the parser expected, on one line: `"expected selector"`.
    pub reason: String,
}

impl fmt::Display for InvalidJsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a JSONPath expression: {}; write it like $.status.atProvider.state",
            self.expression, self.reason
        )
    }
}

impl std::error::Error for InvalidJsonPath {}

/// The parser's complaint on one line: pest's own rendering spans several lines with a caret,
/// which does not fit in a result message.
fn reason(error: &JsonPathError) -> String {
    match error {
        JsonPathError::PestError(pest) => pest.variant.message().into_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn selects_with_filters_and_descendants() {
        let value = json!({
            "status": {"conditions": [
                {"type": "Synced", "status": "True"},
                {"type": "Ready", "status": "False"},
            ]},
            "metadata": {"labels": {"app.kubernetes.io/name": "db"}},
        });
        let ready = JsonPath::parse("$.status.conditions[?@.type == 'Ready'].status").unwrap();
        assert_eq!(ready.query(&value), [&json!("False")]);
        assert_eq!(
            query("$..status", &value).unwrap().len(),
            3,
            "the status object and two condition statuses"
        );
        assert_eq!(
            query("$.metadata.labels['app.kubernetes.io/name']", &value).unwrap(),
            [&json!("db")]
        );
        assert!(query("$.spec", &value).unwrap().is_empty());
    }

    #[test]
    fn keeps_the_expression() {
        let path = JsonPath::parse("$.a").unwrap();
        assert_eq!(path.as_str(), "$.a");
        assert_eq!(path.to_string(), "$.a");
    }

    #[test]
    fn invalid_expressions_say_what_was_expected_on_one_line() {
        let error = JsonPath::parse("$.status[").unwrap_err();
        assert_eq!(
            error.to_string(),
            r#""$.status[" is not a JSONPath expression: expected selector; write it like $.status.atProvider.state"#
        );
        let error = JsonPath::parse("status.state").unwrap_err();
        assert_eq!(error.reason, "it must start with $, the root of the value");
    }
}
