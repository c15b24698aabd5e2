//! `hello`: an example reactor module written with `xfn-sdk`.
//!
//! It reads the observed composite resource (XR) and composes one ConfigMap named `hello` that
//! greets `spec.who`:
//!
//! ```yaml
//! apiVersion: v1
//! kind: ConfigMap
//! metadata:
//!   namespace: <the XR's namespace, if it has one>
//! data:
//!   greeting: Hello, <who>!
//! ```
//!
//! The ConfigMap is marked ready and a Normal result says what was composed. Everything else in
//! the desired state passes through. Without a string `spec.who` it returns a fatal result and
//! leaves the desired state as it came.
//!
//! Config (the step's `config`, the request's `input`): `{"greeting": "Hi"}` replaces "Hello".

use serde::Deserialize;
use serde_json::{Value, json};
use xfn_sdk::{Ready, Request, Response};

/// The composition resource name of the ConfigMap this module composes.
const RESOURCE_NAME: &str = "hello";

/// The word the greeting starts with when the config does not set one.
const DEFAULT_GREETING: &str = "Hello";

/// The step's configuration.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// Replaces "Hello" in the greeting.
    greeting: Option<String>,
}

/// Composes the greeting ConfigMap; see the crate docs.
fn compose(req: Request) -> Response {
    let config: Config = match req.input_as() {
        Ok(config) => config,
        Err(error) => {
            let mut rsp = req.into_response();
            rsp.fatal(format!(
                "hello: config is invalid: {error}; the only field is greeting, a string"
            ));
            return rsp;
        }
    };
    let xr = req.observed_composite();
    let who = match xr.and_then(|xr| xr.get_path("spec.who")) {
        Some(Value::String(who)) => who.clone(),
        Some(other) => {
            let found = xfn_sdk::json_kind(other);
            let mut rsp = req.into_response();
            rsp.fatal(format!(
                "hello: spec.who is {found}, not a string; set spec.who to the name to greet"
            ));
            return rsp;
        }
        None => {
            let mut rsp = req.into_response();
            rsp.fatal(
                "hello: the composite resource has no spec.who; set spec.who to the name to greet",
            );
            return rsp;
        }
    };
    let namespace = xr.and_then(|xr| xr.namespace()).map(str::to_owned);
    let greeting = config.greeting.as_deref().unwrap_or(DEFAULT_GREETING);

    let mut config_map = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "data": {"greeting": format!("{greeting}, {who}!")},
    });
    if let Some(namespace) = namespace {
        config_map["metadata"] = json!({"namespace": namespace});
    }

    let mut rsp = req.into_response();
    rsp.set_desired_resource(RESOURCE_NAME, config_map)
        .expect("a json! object literal is an object")
        .ready = Ready::True;
    rsp.normal(format!("composed ConfigMap \"{RESOURCE_NAME}\" for {who}"));
    xfn_sdk::log::info!("hello: composed ConfigMap \"{RESOURCE_NAME}\" greeting {who}");
    rsp
}

xfn_sdk::export!(compose);

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use xfn_sdk::testing::run_value;

    use super::compose;

    fn request(xr: Value) -> Value {
        json!({
            "meta": {"tag": "t"},
            "observed": {"composite": {"resource": xr}},
            "desired": {
                "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XHello"}},
                "resources": {"other": {"resource": {"kind": "Other"}, "ready": "READY_FALSE"}},
            },
            "context": {"k": "v"},
        })
    }

    #[test]
    fn composes_a_greeting_and_keeps_the_rest() {
        let rsp = run_value(
            compose,
            &request(json!({
                "apiVersion": "example.org/v1",
                "kind": "XHello",
                "metadata": {"name": "x", "namespace": "team-a"},
                "spec": {"who": "world"},
            })),
        );
        assert_eq!(
            rsp,
            json!({
                "meta": {"tag": "t"},
                "desired": {
                    "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XHello"}},
                    "resources": {
                        "hello": {
                            "resource": {
                                "apiVersion": "v1",
                                "kind": "ConfigMap",
                                "metadata": {"namespace": "team-a"},
                                "data": {"greeting": "Hello, world!"},
                            },
                            "ready": "READY_TRUE",
                        },
                        "other": {"resource": {"kind": "Other"}, "ready": "READY_FALSE"},
                    },
                },
                "results": [{"severity": "SEVERITY_NORMAL", "message": "composed ConfigMap \"hello\" for world"}],
                "context": {"k": "v"},
            })
        );
    }

    #[test]
    fn config_replaces_the_greeting_and_cluster_scoped_xrs_get_no_namespace() {
        let mut req = request(json!({"spec": {"who": "Ada"}}));
        req["input"] = json!({"greeting": "Hi"});
        let rsp = run_value(compose, &req);
        assert_eq!(
            rsp["desired"]["resources"]["hello"]["resource"],
            json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"greeting": "Hi, Ada!"}})
        );
    }

    #[test]
    fn missing_who_is_fatal_and_changes_nothing() {
        let req = request(json!({"spec": {}}));
        let rsp = run_value(compose, &req.clone());
        assert_eq!(
            rsp,
            json!({
                "meta": {"tag": "t"},
                "desired": req["desired"],
                "results": [{
                    "severity": "SEVERITY_FATAL",
                    "message": "hello: the composite resource has no spec.who; set spec.who to the name to greet",
                }],
                "context": {"k": "v"},
            })
        );
    }

    #[test]
    fn who_of_the_wrong_type_is_fatal() {
        let rsp = run_value(compose, &request(json!({"spec": {"who": 7}})));
        assert_eq!(
            rsp["results"][0]["message"],
            "hello: spec.who is a number, not a string; set spec.who to the name to greet"
        );
    }

    #[test]
    fn invalid_config_is_fatal() {
        let mut req = request(json!({"spec": {"who": "Ada"}}));
        req["input"] = json!({"greting": "Hi"});
        let rsp = run_value(compose, &req);
        assert_eq!(
            rsp["results"][0]["message"],
            "hello: config is invalid: unknown field `greting`, expected `greeting`; the only field is greeting, a string"
        );
        assert!(rsp["desired"]["resources"].get("hello").is_none());
    }
}
