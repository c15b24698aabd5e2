//! `environment-configs`: an example reactor module that builds the pipeline's environment from
//! EnvironmentConfigs, the way
//! [function-environment-configs](https://github.com/crossplane-contrib/function-environment-configs)
//! does, so that a later patch-and-transform step can patch `FromEnvironmentFieldPath`.
//!
//! It shows the requirements protocol: on the first call it asks Crossplane for the
//! EnvironmentConfigs (by name, or by labels whose values may come from the XR) and returns; when
//! Crossplane calls again with them, it deep-merges their `data`, in the configured order, over
//! the environment already in the context (key `apiextensions.crossplane.io/environment`) and
//! returns the same requirements, so they settle.
//!
//! Config (upstream's Input; only `spec` is read):
//!
//! ```yaml
//! spec:
//!   environmentConfigs:
//!   - type: Reference
//!     ref: {name: team-defaults}
//!   - type: Selector
//!     selector:
//!       mode: Single            # or Multiple: merge every match, by name
//!       matchLabels:
//!       - {key: tier, type: Value, value: production}
//!       - {key: region, type: FromCompositeFieldPath, valueFromFieldPath: spec.region}
//! ```

use serde::Deserialize;
use serde_json::{Map, Value, json};
use xfn_sdk::{Request, ResourceSelector, Response};

/// The context key Crossplane's environment lives under.
const ENVIRONMENT_KEY: &str = "apiextensions.crossplane.io/environment";
/// The EnvironmentConfig kind's apiVersion.
const API_VERSION: &str = "apiextensions.crossplane.io/v1beta1";
/// The EnvironmentConfig kind.
const KIND: &str = "EnvironmentConfig";

/// The step's configuration: upstream's Input.
#[derive(Debug, Deserialize)]
struct Config {
    spec: Spec,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Spec {
    environment_configs: Vec<Source>,
}

/// Where one EnvironmentConfig (or several) comes from.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum Source {
    Reference { r#ref: Reference },
    Selector { selector: Selector },
}

#[derive(Debug, Deserialize)]
struct Reference {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Selector {
    #[serde(default)]
    mode: Mode,
    match_labels: Vec<MatchLabel>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
enum Mode {
    #[default]
    Single,
    Multiple,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum MatchLabel {
    Value {
        key: String,
        value: String,
    },
    #[serde(rename_all = "camelCase")]
    FromCompositeFieldPath {
        key: String,
        value_from_field_path: String,
    },
}

/// Requires the EnvironmentConfigs, then merges them into the environment; see the crate docs.
fn compose(req: Request) -> Response {
    let config: Config = match req.input_as() {
        Ok(config) => config,
        Err(error) => return fatal(req, format!("config is invalid: {error}")),
    };
    let mut selectors = Vec::new();
    for (index, source) in config.spec.environment_configs.iter().enumerate() {
        match selector(&req, source) {
            Ok(selector) => selectors.push((requirement_name(index), selector)),
            Err(message) => {
                return fatal(req, format!("spec.environmentConfigs[{index}]: {message}"));
            }
        }
    }
    let mut environment = match req.context_value(ENVIRONMENT_KEY) {
        Some(Value::Object(existing)) => existing.clone(),
        _ => Map::new(),
    };
    let is_complete = match merge_required(&req, &config.spec.environment_configs, &mut environment)
    {
        Ok(is_complete) => is_complete,
        Err(message) => return fatal(req, message),
    };
    let mut rsp = req.into_response();
    for (name, selector) in selectors {
        rsp.require_resources(name, selector);
    }
    if is_complete {
        environment
            .entry("apiVersion")
            .or_insert_with(|| json!("internal.crossplane.io/v1alpha1"));
        environment
            .entry("kind")
            .or_insert_with(|| json!("Environment"));
        rsp.set_context(ENVIRONMENT_KEY, Value::Object(environment));
    }
    rsp
}

/// Merges the `data` of every fetched EnvironmentConfig into `environment`, in order. Returns
/// whether every requirement was fetched.
fn merge_required(
    req: &Request,
    sources: &[Source],
    environment: &mut Map<String, Value>,
) -> Result<bool, String> {
    let mut is_complete = true;
    for (index, source) in sources.iter().enumerate() {
        let Some(found) = req.required_resources(&requirement_name(index)) else {
            // Not fetched yet: ask for everything and wait for the next call.
            is_complete = false;
            continue;
        };
        match source {
            Source::Reference { r#ref } if found.is_empty() => {
                return Err(format!(
                    "spec.environmentConfigs[{index}]: EnvironmentConfig \"{}\" not found",
                    r#ref.name
                ));
            }
            Source::Selector { selector } if selector.mode == Mode::Single && found.len() != 1 => {
                return Err(format!(
                    "spec.environmentConfigs[{index}]: the selector matched {} EnvironmentConfigs; mode Single needs exactly one (use mode: Multiple to merge them all)",
                    found.len()
                ));
            }
            _ => {}
        }
        for config in found {
            if let Some(Value::Object(data)) = config.get_path("data") {
                merge(environment, data);
            }
        }
    }
    Ok(is_complete)
}

fn requirement_name(index: usize) -> String {
    format!("environment-config-{index}")
}

/// The selector for one source; label values from the XR are read here.
fn selector(req: &Request, source: &Source) -> Result<ResourceSelector, String> {
    match source {
        Source::Reference { r#ref } => {
            Ok(ResourceSelector::by_name(API_VERSION, KIND, &r#ref.name))
        }
        Source::Selector { selector } => {
            let mut labels = Vec::new();
            for label in &selector.match_labels {
                match label {
                    MatchLabel::Value { key, value } => labels.push((key.clone(), value.clone())),
                    MatchLabel::FromCompositeFieldPath {
                        key,
                        value_from_field_path,
                    } => {
                        let value = req
                            .observed_composite()
                            .and_then(|xr| xr.get_str(value_from_field_path))
                            .ok_or_else(|| {
                                format!(
                                    "label {key}: the composite resource has no string at {value_from_field_path}"
                                )
                            })?;
                        labels.push((key.clone(), value.to_owned()));
                    }
                }
            }
            Ok(ResourceSelector::by_labels(API_VERSION, KIND, labels))
        }
    }
}

/// Deep-merges `from` into `into`: objects merge key by key, anything else replaces.
fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (key, value) in from {
        match (into.get_mut(key), value) {
            (Some(Value::Object(existing)), Value::Object(incoming)) => merge(existing, incoming),
            _ => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
}

fn fatal(req: Request, message: String) -> Response {
    let mut rsp = req.into_response();
    rsp.fatal(format!("environment-configs: {message}"));
    rsp
}

xfn_sdk::export!(compose);

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use xfn_sdk::{STATUS_OK, run_json};

    use super::compose;

    fn run(request: &Value) -> Value {
        let outcome = run_json(&serde_json::to_vec(request).unwrap(), compose);
        assert_eq!(outcome.status, STATUS_OK);
        serde_json::from_slice(&outcome.output).unwrap()
    }

    fn request() -> Value {
        json!({
            "observed": {"composite": {"resource": {"spec": {"region": "eu"}}}},
            "input": {"spec": {"environmentConfigs": [
                {"type": "Reference", "ref": {"name": "defaults"}},
                {"type": "Selector", "selector": {"matchLabels": [
                    {"key": "region", "type": "FromCompositeFieldPath", "valueFromFieldPath": "spec.region"},
                ]}},
            ]}},
            "context": {"apiextensions.crossplane.io/environment": {"seeded": true, "db": {"size": "s"}}},
        })
    }

    #[test]
    fn first_call_requires_the_configs_and_leaves_the_context() {
        let rsp = run(&request());
        assert_eq!(
            rsp["requirements"],
            json!({"resources": {
                "environment-config-0": {"apiVersion": "apiextensions.crossplane.io/v1beta1", "kind": "EnvironmentConfig", "matchName": "defaults"},
                "environment-config-1": {"apiVersion": "apiextensions.crossplane.io/v1beta1", "kind": "EnvironmentConfig", "matchLabels": {"labels": {"region": "eu"}}},
            }})
        );
        assert_eq!(rsp["context"], request()["context"]);
    }

    #[test]
    fn second_call_merges_in_order_over_the_seeded_environment() {
        let mut req = request();
        req["requiredResources"] = json!({
            "environment-config-0": {"items": [{"resource": {"data": {"db": {"size": "m", "engine": "postgres"}}}}]},
            "environment-config-1": {"items": [{"resource": {"data": {"db": {"size": "l"}, "zone": "a"}}}]},
        });
        let rsp = run(&req);
        assert_eq!(
            rsp["context"]["apiextensions.crossplane.io/environment"],
            json!({
                "apiVersion": "internal.crossplane.io/v1alpha1",
                "kind": "Environment",
                "seeded": true,
                "db": {"size": "l", "engine": "postgres"},
                "zone": "a",
            })
        );
        assert_eq!(rsp["requirements"], run(&request())["requirements"]);
    }

    #[test]
    fn a_missing_reference_is_fatal() {
        let mut req = request();
        req["requiredResources"] = json!({"environment-config-0": {}, "environment-config-1": {}});
        let rsp = run(&req);
        assert_eq!(
            rsp["results"][0]["message"],
            "environment-configs: spec.environmentConfigs[0]: EnvironmentConfig \"defaults\" not found"
        );
    }
}
