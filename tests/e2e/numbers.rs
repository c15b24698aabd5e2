//! Numbers over real gRPC: every double a `Struct` can hold reaches a module and comes back
//! exactly, and a NaN or an infinity, which JSON cannot carry, is a FATAL result, not a
//! transport error.

use std::collections::HashMap;

use serde_json::json;
use xfn_proto::pbjson_types::{Struct, Value, value::Kind};
use xfn_proto::v1::{Resource, RunFunctionRequest, Severity};
use xfn_tests::{TestServer, greeting_xr, module_input, request, runner};

/// The numbers a P&T patch copies: integers of 2^53 and above (beyond what an `i64`-or-`f64`
/// JSON reader keeps without care), negative ones, and fractions that need all 17 digits.
const NUMBERS: [(&str, f64); 6] = [
    ("twoTo53", 9_007_199_254_740_992.0),
    ("twoTo60", 1_152_921_504_606_846_976.0),
    ("minusTwoTo62", -4_611_686_018_427_387_904.0),
    ("twoTo64", 18_446_744_073_709_551_616.0),
    ("tiny", 5e-324),
    ("third", 0.1 + 0.2),
];

fn number_of(value: &Value) -> f64 {
    match value.kind {
        Some(Kind::NumberValue(number)) => number,
        ref other => panic!("not a number: {other:?}"),
    }
}

fn field<'a>(object: &'a Struct, path: &[&str]) -> &'a Value {
    let (last, parents) = path.split_last().expect("a path");
    let mut object = object;
    for name in parents {
        match &object.fields[*name].kind {
            Some(Kind::StructValue(inner)) => object = inner,
            other => panic!("{name} is not an object: {other:?}"),
        }
    }
    &object.fields[*last]
}

#[tokio::test]
async fn big_and_precise_numbers_copied_by_a_pt_patch_come_back_exactly() {
    let mut xr = greeting_xr("World");
    let patches: Vec<_> = NUMBERS
        .iter()
        .map(|(name, _)| json!({"fromFieldPath": format!("spec.{name}"), "toFieldPath": format!("spec.forProvider.{name}")}))
        .collect();
    for (name, number) in NUMBERS {
        xr["spec"][name] = json!(number);
    }
    let config = json!({
        "apiVersion": "pt.fn.crossplane.io/v1beta1",
        "kind": "Resources",
        "resources": [{"name": "numbers", "base": {"apiVersion": "v1", "kind": "ConfigMap"}, "patches": patches}],
    });
    let request = request(
        "numbers",
        xr,
        module_input("patch-and-transform", json!({"config": config})),
    );
    let server = TestServer::start(runner(), None).await;

    let response = server
        .client()
        .await
        .run_function(request)
        .await
        .expect("the call succeeds")
        .into_inner();
    server.stop().await;

    assert_eq!(response.results, [], "no result, let alone a FATAL one");
    let desired = response.desired.expect("desired state");
    let body = desired.resources["numbers"]
        .resource
        .as_ref()
        .expect("a body");
    for (name, number) in NUMBERS {
        let copied = number_of(field(body, &["spec", "forProvider", name]));
        assert_eq!(
            copied.to_bits(),
            number.to_bits(),
            "{name}: {copied} is not {number}"
        );
    }
}

#[tokio::test]
async fn nan_in_desired_state_is_a_fatal_result_that_keeps_desired_and_the_server_serves_on() {
    let mut request: RunFunctionRequest = request(
        "nan",
        greeting_xr("World"),
        module_input("hello", json!({})),
    );
    let spec = Value {
        kind: Some(Kind::StructValue(Struct {
            fields: HashMap::from([("ratio".to_owned(), Value::from(f64::NAN))]),
        })),
    };
    let body = Struct {
        fields: HashMap::from([("spec".to_owned(), spec)]),
    };
    request
        .desired
        .as_mut()
        .expect("the test request has desired state")
        .resources
        .insert(
            "bad".to_owned(),
            Resource {
                resource: Some(body),
                ..Resource::default()
            },
        );
    let server = TestServer::start(runner(), None).await;
    let mut client = server.client().await;

    let response = client
        .run_function(request.clone())
        .await
        .expect("an answer, not a transport error")
        .into_inner();
    let next = client
        .run_function(xfn_tests::request(
            "after",
            greeting_xr("Next"),
            module_input("hello", json!({})),
        ))
        .await
        .expect("the next call is served")
        .into_inner();
    server.stop().await;

    assert_eq!(response.results.len(), 1);
    assert_eq!(response.results[0].severity, i32::from(Severity::Fatal));
    assert_eq!(
        response.results[0].message,
        "the request cannot be handed to the module: desired.resources.bad.resource.spec.ratio: NaN is not a JSON number; a google.protobuf.Value holds only finite numbers, so the function that wrote it must write a string or a finite number"
    );
    // NaN is not equal to itself: check it came back, then compare the rest with a zero for it.
    let without_nan = |desired: Option<xfn_proto::v1::State>| {
        let mut desired = desired.expect("desired state");
        let body = desired
            .resources
            .get_mut("bad")
            .and_then(|bad| bad.resource.as_mut())
            .expect("the bad body");
        let Some(Kind::StructValue(spec)) = &mut body.fields.get_mut("spec").expect("spec").kind
        else {
            panic!("spec is an object")
        };
        let ratio = spec
            .fields
            .insert("ratio".to_owned(), Value::from(0.0))
            .expect("ratio");
        assert!(number_of(&ratio).is_nan());
        desired
    };
    assert_eq!(without_nan(response.desired), without_nan(request.desired));
    assert_eq!(response.context, request.context);
    assert_eq!(response.meta.expect("meta").tag, "nan");
    assert_eq!(next.results.len(), 1);
    assert_eq!(
        next.results[0].message,
        "composed ConfigMap \"hello\" for Next"
    );
}
