//! `auto-ready`: a bundled module that marks composed resources ready from their observed
//! state, as function-auto-ready does, plus opt-in JSONPath rules for resources that have no
//! `Ready` condition.
//!
//! For each desired composed resource that earlier steps left with readiness unspecified and
//! that exists (has an observed counterpart), in this order:
//!
//! 1. if rules in the config select it (by composition resource name, apiVersion or kind), it
//!    is ready when every one of them holds and explicitly not ready otherwise;
//! 2. if its kind is a standard Kubernetes kind with a built-in health check (Deployment,
//!    Service, ...; listed in the README) and the check passes, it is ready;
//! 3. if its `Ready` condition has status `True`, it is ready.
//!
//! Steps 2 and 3 read the observed object as function-auto-ready does: some kinds as typed
//! Kubernetes objects (`unstructured`), conditions through Go's JSON decoding (`conditioned`),
//! so an object with a mistyped field is not ready here either.
//!
//! Anything else is left as it came: resources not yet observed, resources an earlier step
//! marked ready or not ready, the composite resource. The module adds no results unless the
//! config is invalid, which is a fatal result naming the field, with the desired state
//! unchanged. The config is documented in the crate's README.

mod conditioned;
mod config;
mod gotime;
mod health;
mod ttl;
mod unstructured;

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use xfn_sdk::{Lazy, Ready, Request, Response};

use crate::config::{Config, Rule};

/// Marks ready what is ready; see the crate docs.
pub fn auto_ready(mut req: Request) -> Response {
    let config = match Config::from_input(req.input()) {
        Ok(config) => config,
        Err(error) => {
            let mut rsp = req.into_response();
            rsp.fatal(format!("auto-ready: {error}"));
            return rsp;
        }
    };
    // The observed bodies, moved out of the request and parsed only for the resources whose
    // readiness is looked at: the rules and checks query them as JSON values.
    let mut observed: BTreeMap<String, Lazy<Map<String, Value>>> =
        std::mem::take(&mut req.observed.resources)
            .into_iter()
            .map(|(name, resource)| (name, resource.resource))
            .collect();
    let mut rsp = req.into_response();
    if let Some(ttl) = config.ttl {
        rsp.set_ttl(ttl);
    }
    for (name, desired) in &mut rsp.desired_mut().resources {
        if desired.ready != Ready::Unspecified {
            continue;
        }
        let Some(observed) = observed.remove(name) else {
            continue;
        };
        let observed = Value::Object(observed.into_inner());
        if let Some((ready, why)) = readiness(&config.rules, name, &observed) {
            xfn_sdk::log::debug!("auto-ready: {name}: {ready} ({why})");
            desired.ready = ready;
        }
    }
    rsp
}

/// The readiness of the observed composed resource `name` and why; `None` leaves it unspecified.
fn readiness(rules: &[Rule], name: &str, observed: &Value) -> Option<(Ready, &'static str)> {
    let mut selected = rules
        .iter()
        .filter(|rule| rule.selects(name, observed))
        .peekable();
    if selected.peek().is_some() {
        return Some(if selected.all(|rule| rule.holds(observed)) {
            (Ready::True, "every rule that selects it holds")
        } else {
            (Ready::False, "a rule that selects it does not hold")
        });
    }
    if health::check(observed) == Some(true) {
        return Some((Ready::True, "its kind's health check passes"));
    }
    (conditioned::status_of(observed, "Ready").as_deref() == Some("True"))
        .then_some((Ready::True, "its Ready condition is True"))
}

xfn_sdk::export!(auto_ready);

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use xfn_sdk::testing::run_value;

    use super::auto_ready;

    fn run(request: Value) -> Value {
        run_value(auto_ready, &request)
    }

    fn conditioned(kind: &str, ready: &str) -> Value {
        json!({"resource": {"apiVersion": "example.org/v1", "kind": kind,
                            "status": {"conditions": [{"type": "Synced", "status": "True"}, {"type": "Ready", "status": ready}]}}})
    }

    #[test]
    fn marks_ready_only_unspecified_observed_resources_with_a_true_ready_condition() {
        let request = json!({
            "meta": {"tag": "t"},
            "observed": {
                "composite": {"resource": {"kind": "XR", "status": {"conditions": [{"type": "Ready", "status": "True"}]}}},
                "resources": {
                    "ready": conditioned("A", "True"),
                    "creating": conditioned("A", "False"),
                    "told-not-ready": conditioned("A", "True"),
                    "not-desired": conditioned("A", "True"),
                },
            },
            "desired": {
                "composite": {"resource": {"kind": "XR"}},
                "resources": {
                    "ready": {"resource": {"kind": "A"}},
                    "creating": {"resource": {"kind": "A"}},
                    "told-not-ready": {"resource": {"kind": "A"}, "ready": "READY_FALSE"},
                    "not-observed": {"resource": {"kind": "A"}},
                },
            },
            "context": {"k": "v"},
        });
        assert_eq!(
            run(request),
            json!({
                "meta": {"tag": "t"},
                "desired": {
                    "composite": {"resource": {"kind": "XR"}},
                    "resources": {
                        "ready": {"resource": {"kind": "A"}, "ready": "READY_TRUE"},
                        "creating": {"resource": {"kind": "A"}},
                        "told-not-ready": {"resource": {"kind": "A"}, "ready": "READY_FALSE"},
                        "not-observed": {"resource": {"kind": "A"}},
                    },
                },
                "context": {"k": "v"},
            })
        );
    }

    #[test]
    fn rules_decide_for_the_resources_they_select() {
        let request = json!({
            "input": {"ttl": "5m", "rules": [
                {"resource": "bucket-.*", "jsonPath": "$.status.atProvider.state", "equals": "available"},
                {"resource": "bucket-b", "jsonPath": "$.status.atProvider.arn"},
            ]},
            "observed": {"resources": {
                "bucket-a": {"resource": {"status": {"atProvider": {"state": "available"}}}},
                "bucket-b": {"resource": {"status": {"atProvider": {"state": "available"},
                                                     "conditions": [{"type": "Ready", "status": "True"}]}}},
                "bucket-c": {"resource": {"status": {"atProvider": {"state": "creating"}}}},
            }},
            "desired": {"resources": {
                "bucket-a": {"resource": {"kind": "Bucket"}},
                "bucket-b": {"resource": {"kind": "Bucket"}},
                "bucket-c": {"resource": {"kind": "Bucket"}},
            }},
        });
        assert_eq!(
            run(request),
            json!({
                "meta": {"ttl": "300s"},
                "desired": {"resources": {
                    "bucket-a": {"resource": {"kind": "Bucket"}, "ready": "READY_TRUE"},
                    "bucket-b": {"resource": {"kind": "Bucket"}, "ready": "READY_FALSE"},
                    "bucket-c": {"resource": {"kind": "Bucket"}, "ready": "READY_FALSE"},
                }},
            })
        );
    }

    #[test]
    fn a_failed_health_check_falls_back_to_the_ready_condition() {
        let deployment = |status: Value| json!({"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "status": status}});
        let request = json!({
            "observed": {"resources": {
                "healthy": deployment(json!({"updatedReplicas": 1, "availableReplicas": 1,
                                             "conditions": [{"type": "Available", "status": "True"}]})),
                "rolling": deployment(json!({"updatedReplicas": 0, "availableReplicas": 1})),
                "odd": deployment(json!({"conditions": [{"type": "Ready", "status": "True"}]})),
            }},
            "desired": {"resources": {"healthy": {}, "rolling": {}, "odd": {}}},
        });
        assert_eq!(
            run(request)["desired"],
            json!({"resources": {"healthy": {"ready": "READY_TRUE"}, "rolling": {}, "odd": {"ready": "READY_TRUE"}}})
        );
    }

    #[test]
    fn invalid_config_is_fatal_and_changes_nothing() {
        let request = json!({
            "meta": {"tag": "t"},
            "input": {"rules": [{"resource": "a", "jsonPath": "status.state"}]},
            "observed": {"resources": {"a": conditioned("A", "True")}},
            "desired": {"resources": {"a": {"resource": {"kind": "A"}}}},
        });
        assert_eq!(
            run(request),
            json!({
                "meta": {"tag": "t"},
                "desired": {"resources": {"a": {"resource": {"kind": "A"}}}},
                "results": [{
                    "severity": "SEVERITY_FATAL",
                    "message": "auto-ready: config.rules[0].jsonPath: \"status.state\" is not a JSONPath expression: it must start with $, the root of the value; write it like $.status.atProvider.state",
                }],
            })
        );
    }
}
