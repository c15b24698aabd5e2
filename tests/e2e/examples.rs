//! The example modules in C and AssemblyScript (`functions/examples`), built by
//! `scripts/build-examples`: their whole responses through the real host, from --modules-dir.

use serde_json::json;
use xfn_tests::{greeting_xr, module_input, request, runner_with_examples, to_json};

/// The examples `scripts/build-examples` builds, by module name.
const EXAMPLES: [&str; 2] = ["c-hello", "assemblyscript-hello"];

/// The desired composite resource `xfn_tests::request` puts in every request.
fn desired_composite() -> serde_json::Value {
    json!({"resource": {"apiVersion": "example.crossplane.io/v1", "kind": "XGreeting", "status": {"phase": "composing"}}})
}

/// The context `xfn_tests::request` puts in every request.
fn context() -> serde_json::Value {
    json!({"apiextensions.crossplane.io/environment": {"region": "eu-west-1"}})
}

#[tokio::test]
async fn c_hello_labels_every_desired_resource_with_the_xr_name() {
    let (_dir, runner) = runner_with_examples(&EXAMPLES);
    let response = runner
        .run(request(
            "c-1",
            greeting_xr("World"),
            module_input("c-hello", json!({})),
        ))
        .await;
    assert_eq!(
        to_json(&response),
        json!({
            "meta": {"tag": "c-1", "ttl": "60s"},
            "desired": {
                "composite": desired_composite(),
                "resources": {"earlier": {
                    "resource": {"apiVersion": "v1", "kind": "Secret", "metadata": {"labels": {"example.org/composite": "world"}}},
                    "ready": "READY_TRUE"
                }}
            },
            "results": [{"severity": "SEVERITY_NORMAL", "message": "c-hello: labelled 1 composed resource with example.org/composite=world"}],
            "context": context()
        })
    );
}

#[tokio::test]
async fn c_hello_takes_the_label_key_from_its_config_and_keeps_other_labels() {
    let (_dir, runner) = runner_with_examples(&EXAMPLES);
    let mut request = request(
        "c-2",
        greeting_xr("World"),
        module_input(
            "c-hello",
            json!({"config": {"labelKey": "team.example.org/xr"}}),
        ),
    );
    let mut desired = serde_json::to_value(&request.desired).unwrap();
    desired["resources"]["bucket"] = json!({"resource": {
        "apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket",
        "metadata": {"labels": {"app": "web", "team.example.org/xr": "stale"}}
    }});
    request.desired = Some(serde_json::from_value(desired).unwrap());
    let response = runner.run(request).await;
    assert_eq!(
        to_json(&response),
        json!({
            "meta": {"tag": "c-2", "ttl": "60s"},
            "desired": {
                "composite": desired_composite(),
                "resources": {
                    "bucket": {"resource": {
                        "apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket",
                        "metadata": {"labels": {"app": "web", "team.example.org/xr": "world"}}
                    }},
                    "earlier": {
                        "resource": {"apiVersion": "v1", "kind": "Secret", "metadata": {"labels": {"team.example.org/xr": "world"}}},
                        "ready": "READY_TRUE"
                    }
                }
            },
            "results": [{"severity": "SEVERITY_NORMAL", "message": "c-hello: labelled 2 composed resources with team.example.org/xr=world"}],
            "context": context()
        })
    );
}

#[tokio::test]
async fn c_hello_without_an_xr_name_is_fatal_and_keeps_the_desired_state() {
    let (_dir, runner) = runner_with_examples(&EXAMPLES);
    let xr = json!({"apiVersion": "example.crossplane.io/v1", "kind": "XGreeting", "spec": {"who": "World"}});
    let request = request("c-3", xr, module_input("c-hello", json!({})));
    let desired = serde_json::to_value(&request.desired).unwrap();
    let response = runner.run(request).await;
    assert_eq!(
        to_json(&response),
        json!({
            "meta": {"tag": "c-3", "ttl": "60s"},
            "desired": desired,
            "results": [{
                "severity": "SEVERITY_FATAL",
                "message": "c-hello: the composite resource has no metadata.name; Crossplane always sets it, so check the request this step received"
            }],
            "context": context()
        })
    );
}

#[tokio::test]
async fn assemblyscript_hello_composes_a_ready_configmap_next_to_earlier_resources() {
    let (_dir, runner) = runner_with_examples(&EXAMPLES);
    let response = runner
        .run(request(
            "as-1",
            greeting_xr("Grace"),
            module_input("assemblyscript-hello", json!({})),
        ))
        .await;
    assert_eq!(
        to_json(&response),
        json!({
            "meta": {"tag": "as-1", "ttl": "60s"},
            "desired": {
                "composite": desired_composite(),
                "resources": {
                    "earlier": {"resource": {"apiVersion": "v1", "kind": "Secret"}, "ready": "READY_TRUE"},
                    "greeting": {
                        "resource": {
                            "apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": {"namespace": "default"},
                            "data": {"greeting": "Hello from AssemblyScript, Grace!"}
                        },
                        "ready": "READY_TRUE"
                    }
                }
            },
            "results": [{"severity": "SEVERITY_NORMAL", "message": "composed ConfigMap \"greeting\" for Grace"}],
            "context": context()
        })
    );
}

#[tokio::test]
async fn assemblyscript_hello_keeps_unicode_and_escapes_intact() {
    let (_dir, runner) = runner_with_examples(&EXAMPLES);
    let response = runner
        .run(request(
            "as-2",
            greeting_xr("Zoë \"Z\" Ångström"),
            module_input("assemblyscript-hello", json!({})),
        ))
        .await;
    let json = to_json(&response);
    assert_eq!(
        json["desired"]["resources"]["greeting"]["resource"]["data"],
        json!({"greeting": "Hello from AssemblyScript, Zoë \"Z\" Ångström!"})
    );
    assert_eq!(
        json["results"],
        json!([{"severity": "SEVERITY_NORMAL", "message": "composed ConfigMap \"greeting\" for Zoë \"Z\" Ångström"}])
    );
}

#[tokio::test]
async fn assemblyscript_hello_without_spec_who_is_fatal_and_keeps_the_desired_state() {
    let (_dir, runner) = runner_with_examples(&EXAMPLES);
    let xr = json!({"apiVersion": "example.crossplane.io/v1", "kind": "XGreeting", "metadata": {"name": "x"}, "spec": {}});
    let request = request("as-3", xr, module_input("assemblyscript-hello", json!({})));
    let desired = serde_json::to_value(&request.desired).unwrap();
    let response = runner.run(request).await;
    assert_eq!(
        to_json(&response),
        json!({
            "meta": {"tag": "as-3", "ttl": "60s"},
            "desired": desired,
            "results": [{
                "severity": "SEVERITY_FATAL",
                "message": "assemblyscript-hello: the composite resource has no spec.who; set spec.who to the name to greet"
            }],
            "context": context()
        })
    );
}
