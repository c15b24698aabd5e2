//! The step's config (the request's `input`): an optional `ttl` and readiness `rules`,
//! validated with the field path of the first problem.

use std::time::Duration;

use regex::Regex;
use serde_json::{Map, Value};
use xfn_sdk::jsonpath::JsonPath;
use xfn_sdk::{ConfigError, json_kind};

use crate::ttl::parse_go_duration;

/// The validated config.
#[derive(Debug, Default)]
pub(crate) struct Config {
    /// `ttl`: how long Crossplane may cache the response; unset, the step's `ttl` applies.
    pub(crate) ttl: Option<Duration>,
    /// `rules`, in order.
    pub(crate) rules: Vec<Rule>,
}

/// One readiness rule: the composed resources it selects, a JSONPath expression and the value
/// it must find.
#[derive(Debug)]
pub(crate) struct Rule {
    /// Matches whole composition resource names; `None`: any name.
    resource: Option<Regex>,
    /// The observed resource's `apiVersion` must be this; `None`: any.
    api_version: Option<String>,
    /// The observed resource's `kind` must be this; `None`: any.
    kind: Option<String>,
    /// Run on the observed resource.
    json_path: JsonPath,
    /// What one of the selected values must equal; `None`: any selected value will do.
    equals: Option<Value>,
}

impl Rule {
    /// Whether the rule applies to the composed resource `name`, observed as `observed`.
    pub(crate) fn selects(&self, name: &str, observed: &Value) -> bool {
        let has = |field: &str, expected: &Option<String>| {
            expected.as_deref().is_none_or(|expected| {
                observed.get(field).and_then(Value::as_str) == Some(expected)
            })
        };
        self.resource
            .as_ref()
            .is_none_or(|resource| resource.is_match(name))
            && has("apiVersion", &self.api_version)
            && has("kind", &self.kind)
    }

    /// Whether the observed resource `observed` satisfies the rule.
    pub(crate) fn holds(&self, observed: &Value) -> bool {
        let found = self.json_path.query(observed);
        match &self.equals {
            None => !found.is_empty(),
            Some(expected) => found.into_iter().any(|value| same_json(value, expected)),
        }
    }
}

/// Fields of function-auto-ready's CEL feature, which this module replaces with `rules`.
const CEL_FIELDS: [&str; 2] = [
    "celHealthCheckCustomization",
    "celHealthCheckCustomizationFrom",
];

impl Config {
    /// Reads and validates the config; no config is the empty config.
    ///
    /// `apiVersion`, `kind` and `metadata` are accepted and ignored, so function-auto-ready's
    /// `Input` works as it is.
    ///
    /// # Errors
    /// The first problem, with its field path.
    pub(crate) fn from_input(input: Option<&Map<String, Value>>) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        let Some(input) = input else {
            return Ok(config);
        };
        for (key, value) in input {
            match key.as_str() {
                "apiVersion" | "kind" | "metadata" => {}
                "ttl" => config.ttl = read_ttl(value)?,
                "rules" => config.rules = read_rules(value)?,
                cel if CEL_FIELDS.contains(&cel) => {
                    return Err(ConfigError::at(
                        key.as_str(),
                        "CEL health checks are not supported; write a rule with a JSONPath \
                         expression under rules instead",
                    ));
                }
                _ => {
                    return Err(ConfigError::at(
                        key.as_str(),
                        "unknown field; the fields are ttl and rules",
                    ));
                }
            }
        }
        Ok(config)
    }
}

fn read_ttl(value: &Value) -> Result<Option<Duration>, ConfigError> {
    match value {
        // function-auto-ready ignores an empty ttl.
        Value::String(text) if text.is_empty() => Ok(None),
        Value::String(text) => parse_go_duration(text)
            .map(Some)
            .map_err(|error| ConfigError::at("ttl", format!("{error}; write it like 5m or 1h30m"))),
        other => Err(ConfigError::at(
            "ttl",
            format!(
                "must be a string like 5m or 1h30m, got {}",
                json_kind(other)
            ),
        )),
    }
}

fn read_rules(value: &Value) -> Result<Vec<Rule>, ConfigError> {
    let Value::Array(rules) = value else {
        return Err(ConfigError::at(
            "rules",
            format!("must be a list of rules, got {}", json_kind(value)),
        ));
    };
    rules
        .iter()
        .enumerate()
        .map(|(index, rule)| read_rule(&format!("rules[{index}]"), rule))
        .collect()
}

/// The fields of a rule, for messages.
const RULE_FIELDS: &str = "resource, apiVersion, kind, jsonPath and equals";

fn read_rule(path: &str, value: &Value) -> Result<Rule, ConfigError> {
    let Value::Object(fields) = value else {
        return Err(ConfigError::at(
            path,
            format!(
                "must be an object with {RULE_FIELDS}, got {}",
                json_kind(value)
            ),
        ));
    };
    if let Some(unknown) = fields.keys().find(|key| {
        !matches!(
            key.as_str(),
            "resource" | "apiVersion" | "kind" | "jsonPath" | "equals"
        )
    }) {
        return Err(ConfigError::at(
            format!("{path}.{unknown}"),
            format!("unknown field; a rule has {RULE_FIELDS}"),
        ));
    }
    let resource = optional_string(path, fields, "resource")?
        .map(|resource| {
            Regex::new(&format!("^(?:{resource})$")).map_err(|error| {
                ConfigError::at(
                    format!("{path}.resource"),
                    format!(
                        "{resource:?} is not a regular expression: {}; write the composed \
                         resource's name or a pattern such as bucket-.*",
                        regex_reason(&error)
                    ),
                )
            })
        })
        .transpose()?;
    let api_version = optional_string(path, fields, "apiVersion")?.map(str::to_owned);
    let kind = optional_string(path, fields, "kind")?.map(str::to_owned);
    if resource.is_none() && kind.is_none() {
        return Err(ConfigError::at(
            path,
            "selects no resource in particular; set resource (the composed resource's name, or a \
             regular expression that matches whole names), kind, or both",
        ));
    }
    let Some(json_path) = optional_string(path, fields, "jsonPath")? else {
        return Err(ConfigError::at(
            format!("{path}.jsonPath"),
            "is required: a JSONPath expression such as $.status.atProvider.state",
        ));
    };
    let json_path = JsonPath::parse(json_path)
        .map_err(|error| ConfigError::at(format!("{path}.jsonPath"), error.to_string()))?;
    Ok(Rule {
        resource,
        api_version,
        kind,
        json_path,
        equals: fields.get("equals").cloned(),
    })
}

/// The string field `name` of the rule at `path`, if it is set.
fn optional_string<'a>(
    path: &str,
    fields: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, ConfigError> {
    match fields.get(name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(ConfigError::at(
            format!("{path}.{name}"),
            format!("must be a string, got {}", json_kind(other)),
        )),
    }
}

/// The regex crate's complaint on one line: its syntax errors span several lines with a caret.
fn regex_reason(error: &regex::Error) -> String {
    let text = error.to_string();
    let last = text.lines().rev().find(|line| !line.trim().is_empty());
    let last = last.unwrap_or(&text).trim();
    last.strip_prefix("error: ").unwrap_or(last).to_owned()
}

/// JSON equality where numbers compare by value: `1` equals `1.0`, since observed resources
/// come through `google.protobuf.Struct`, whose numbers are all doubles.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_json(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| same_json(a, b)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn error(config: Value) -> String {
        Config::from_input(config.as_object())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn no_config_and_upstream_input_are_valid() {
        let config = Config::from_input(None).unwrap();
        assert!(config.ttl.is_none() && config.rules.is_empty());
        let upstream = json!({"apiVersion": "autoready.fn.crossplane.io/v1beta1", "kind": "Input", "ttl": "5m"});
        let config = Config::from_input(upstream.as_object()).unwrap();
        assert_eq!(config.ttl, Some(Duration::from_secs(300)));
        let empty_ttl = json!({"ttl": ""});
        assert_eq!(Config::from_input(empty_ttl.as_object()).unwrap().ttl, None);
    }

    #[test]
    fn rules_select_whole_names_and_compare_values() {
        let config = json!({"rules": [
            {"resource": "bucket|queue-.*", "jsonPath": "$.status.atProvider.state", "equals": "available"},
            {"resource": "db", "jsonPath": "$.status.replicas", "equals": 2},
            {"resource": "cm", "jsonPath": "$.data.ready"},
        ]});
        let rules = Config::from_input(config.as_object()).unwrap().rules;
        let any = json!({});
        assert!(rules[0].selects("bucket", &any) && rules[0].selects("queue-a", &any));
        assert!(!rules[0].selects("my-bucket", &any) && !rules[0].selects("bucket-2", &any));
        assert!(rules[0].holds(&json!({"status": {"atProvider": {"state": "available"}}})));
        assert!(!rules[0].holds(&json!({"status": {"atProvider": {"state": "creating"}}})));
        assert!(rules[1].holds(&json!({"status": {"replicas": 2.0}})));
        assert!(
            rules[2].holds(&json!({"data": {"ready": "no"}})),
            "without equals, any value"
        );
        assert!(!rules[2].holds(&json!({"data": {}})));
    }

    #[test]
    fn rules_can_select_by_api_version_and_kind() {
        let config = json!({"rules": [
            {"kind": "Configuration", "jsonPath": "$.status"},
            {"resource": "pkg-.*", "apiVersion": "pkg.crossplane.io/v1", "kind": "Provider", "jsonPath": "$.status"},
        ]});
        let rules = Config::from_input(config.as_object()).unwrap().rules;
        let configuration = json!({"apiVersion": "pkg.crossplane.io/v1", "kind": "Configuration"});
        let provider = json!({"apiVersion": "pkg.crossplane.io/v1", "kind": "Provider"});
        let old_provider = json!({"apiVersion": "pkg.crossplane.io/v1beta1", "kind": "Provider"});
        assert!(rules[0].selects("anything", &configuration));
        assert!(!rules[0].selects("anything", &provider));
        assert!(rules[1].selects("pkg-aws", &provider));
        assert!(!rules[1].selects("aws", &provider));
        assert!(!rules[1].selects("pkg-aws", &old_provider));
    }

    #[test]
    fn numbers_compare_by_value_everywhere() {
        assert!(same_json(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]})));
        assert!(!same_json(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!same_json(&json!("1"), &json!(1)));
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            error(json!({"rule": []})),
            "config.rule: unknown field; the fields are ttl and rules"
        );
        assert_eq!(
            error(json!({"celHealthCheckCustomization": {}})),
            "config.celHealthCheckCustomization: CEL health checks are not supported; write a rule with a JSONPath expression under rules instead"
        );
        assert_eq!(
            error(json!({"ttl": 5})),
            "config.ttl: must be a string like 5m or 1h30m, got a number"
        );
        assert_eq!(
            error(json!({"ttl": "5d"})),
            r#"config.ttl: time: unknown unit "d" in duration "5d"; write it like 5m or 1h30m"#
        );
        assert_eq!(
            error(json!({"rules": {}})),
            "config.rules: must be a list of rules, got an object"
        );
        assert_eq!(
            error(json!({"rules": ["bucket"]})),
            "config.rules[0]: must be an object with resource, apiVersion, kind, jsonPath and equals, got a string"
        );
        assert_eq!(
            error(
                json!({"rules": [{"resource": "a", "jsonPath": "$.a"}, {"resource": "b", "jsonpath": "$"}]})
            ),
            "config.rules[1].jsonpath: unknown field; a rule has resource, apiVersion, kind, jsonPath and equals"
        );
        assert_eq!(
            error(json!({"rules": [{"apiVersion": "v1", "jsonPath": "$.a"}]})),
            "config.rules[0]: selects no resource in particular; set resource (the composed resource's name, or a regular expression that matches whole names), kind, or both"
        );
        assert_eq!(
            error(json!({"rules": [{"resource": 1, "jsonPath": "$.a"}]})),
            "config.rules[0].resource: must be a string, got a number"
        );
        assert_eq!(
            error(json!({"rules": [{"resource": "bucket-[", "jsonPath": "$.a"}]})),
            r#"config.rules[0].resource: "bucket-[" is not a regular expression: unclosed character class; write the composed resource's name or a pattern such as bucket-.*"#
        );
        assert_eq!(
            error(json!({"rules": [{"resource": "a"}]})),
            "config.rules[0].jsonPath: is required: a JSONPath expression such as $.status.atProvider.state"
        );
        assert_eq!(
            error(json!({"rules": [{"resource": "a", "jsonPath": "$.status["}]})),
            r#"config.rules[0].jsonPath: "$.status[" is not a JSONPath expression: expected selector; write it like $.status.atProvider.state"#
        );
    }
}
