//! The deployment-status transform written in Go (a reactor on function-sdk-go's types and the
//! same code as a WASI command), Python (componentize-py) and JavaScript (componentize-js), as
//! `scripts/build-examples` builds them from `functions/examples`: each through the real server,
//! answering exactly what the Rust `deployment-status` answers.

use serde_json::{Value, json};
use xfn_proto::v1::RunFunctionRequest;
use xfn_tests::{
    TestServer, deployment_status_sample, module_input, runner_with_examples, to_json,
};

/// The modules `scripts/build-examples` builds from the Go, Python and JavaScript examples.
const MODULES: [&str; 4] = [
    "go-deployment-status",
    "go-deployment-status-command",
    "python-deployment-status",
    "js-deployment-status",
];

/// `value` with every number as a double, as protobuf's `Struct` holds them: the Go modules'
/// numbers come back as `4.0` where the others' come back as `4`; both are the double 4.
pub(super) fn as_doubles(value: Value) -> Value {
    match value {
        Value::Number(number) => json!(number.as_f64().expect("finite")),
        Value::Array(items) => Value::Array(items.into_iter().map(as_doubles).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, value)| (key, as_doubles(value)))
                .collect(),
        ),
        other => other,
    }
}

/// An observed Deployment with `ready` ready replicas whose Available condition is `available`.
/// The deployment-status sample request (the XR `shop`: image `shop:v2`, 3 replicas, in
/// `team-a`; two observed Deployments and a ConfigMap; an earlier step's desired state), tagged
/// and run with `module`, with the XR's spec replaced by `spec` when given.
fn shop_request(module: &str, spec: Option<Value>) -> RunFunctionRequest {
    let (mut request, _) = deployment_status_sample();
    request["meta"]["tag"] = json!(module);
    request["input"] = module_input(module, json!({}));
    if let Some(spec) = spec {
        request["observed"]["composite"]["resource"]["spec"] = spec;
    }
    serde_json::from_value(request).expect("the sample request is valid protojson")
}

#[tokio::test]
async fn every_language_composes_the_deployment_and_rolls_up_the_status() {
    let (_dir, runner) = runner_with_examples(&MODULES);
    let server = TestServer::start(runner, None).await;
    for module in MODULES {
        let response = server
            .client()
            .await
            .run_function(shop_request(module, None))
            .await
            .unwrap_or_else(|status| panic!("{module}: {status}"))
            .into_inner();
        let (_, mut expected) = deployment_status_sample();
        expected["meta"] = json!({"tag": module, "ttl": "60s"});
        assert_eq!(
            as_doubles(to_json(&response)),
            as_doubles(expected),
            "{module}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn every_language_answers_a_missing_image_with_its_own_fatal_result() {
    let (_dir, runner) = runner_with_examples(&MODULES);
    for module in MODULES {
        let request = shop_request(module, Some(json!({"replicas": 2})));
        let response = runner.run(request.clone()).await;
        let (desired, context) = xfn_tests::desired_and_context(&request);
        assert_eq!(
            to_json(&response),
            json!({
                "meta": {"tag": module, "ttl": "60s"},
                "desired": desired,
                "results": [{
                    "severity": "SEVERITY_FATAL",
                    "message": "deployment-status: the composite resource has no spec.image; set spec.image to the container image to run",
                }],
                "context": context,
            }),
            "{module}"
        );
    }
}

/// The number of calls [`per_call_time_and_module_size`] times per module.
const TIMED_CALLS: u32 = 50;

/// The table of docs/authoring.md: for the deployment-status transform in each language (the Rust
/// one as the runtime's build script builds it), the module's size and the median wall time of a
/// call through the step runner (a fresh instance, the request's transcoding both ways). Run it
/// by hand: `cargo test -p xfn-tests --test e2e -- --ignored --nocapture per_call_time`.
#[tokio::test]
#[ignore = "a measurement, not a check: run by hand for docs/authoring.md"]
async fn per_call_time_and_module_size() {
    let (dir, runner) = runner_with_examples(&MODULES);
    std::fs::copy(
        xfn_tests::built_module("deployment_status"),
        dir.path().join("rust-deployment-status.wasm"),
    )
    .expect("the Rust example is built");
    println!("| module | size | per call (median of {TIMED_CALLS}) |\n| --- | --- | --- |");
    for module in ["rust-deployment-status"].into_iter().chain(MODULES) {
        let request = shop_request(module, None);
        // The first call compiles the module (or loads it from the cache); it is not timed.
        runner.run(request.clone()).await;
        let mut times = Vec::new();
        for _ in 0..TIMED_CALLS {
            let started = std::time::Instant::now();
            let response = runner.run(request.clone()).await;
            times.push(started.elapsed());
            assert!(
                response.results.is_empty(),
                "{module}: {:?}",
                response.results
            );
        }
        times.sort();
        let size = std::fs::metadata(dir.path().join(format!("{module}.wasm")))
            .expect("copied")
            .len();
        println!(
            "| {module} | {:.1} MB | {:.2} ms |",
            size as f64 / 1e6,
            times[times.len() / 2].as_secs_f64() * 1e3
        );
    }
}
