//! The hello example module, bundled: its exact output through the step runner.

use serde_json::json;
use xfn_tests::{
    desired_and_context, greeting_xr, hello_response, module_input, request, runner, to_json,
};

#[tokio::test]
async fn hello_adds_a_ready_configmap_and_keeps_earlier_desired_state() {
    let request = request(
        "tag-1",
        greeting_xr("World"),
        module_input("hello", json!({})),
    );
    let response = runner().run(request).await;
    assert_eq!(to_json(&response), hello_response("tag-1"));
}

#[tokio::test]
async fn hello_reads_its_config_as_the_request_input() {
    let input = module_input("hello", json!({"config": {"greeting": "Hi"}, "ttl": "5m"}));
    let response = runner()
        .run(request("tag-2", greeting_xr("Ada"), input))
        .await;
    let json = to_json(&response);
    assert_eq!(
        json["desired"]["resources"]["hello"]["resource"]["data"],
        json!({"greeting": "Hi, Ada!"})
    );
    assert_eq!(json["meta"], json!({"tag": "tag-2", "ttl": "300s"}));
}

#[tokio::test]
async fn hello_without_spec_who_returns_its_own_fatal_result_and_keeps_state() {
    let xr = json!({"apiVersion": "example.crossplane.io/v1", "kind": "XGreeting", "metadata": {"name": "x"}, "spec": {}});
    let request = request("tag-3", xr, module_input("hello", json!({})));
    let (desired, context) = desired_and_context(&request);
    let response = runner().run(request).await;
    assert_eq!(
        to_json(&response),
        json!({
            "meta": {"tag": "tag-3", "ttl": "60s"},
            "desired": desired,
            "results": [{
                "severity": "SEVERITY_FATAL",
                "message": "hello: the composite resource has no spec.who; set spec.who to the name to greet"
            }],
            "context": context
        })
    );
}
