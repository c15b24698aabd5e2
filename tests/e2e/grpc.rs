//! The server over real gRPC on loopback: both protocol versions, bad bodies, health.

use bytes::Bytes;
use function_wasmtime::server::BytesCodec;
use serde_json::json;
use tonic::Code;
use tonic::codegen::http::uri::PathAndQuery;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use xfn_proto::prost::Message;
use xfn_proto::v1beta1;
use xfn_tests::{TestServer, greeting_xr, module_input, request, runner, to_json};

#[tokio::test]
async fn v1_and_v1beta1_serve_the_same_response() {
    let server = TestServer::start(runner(), None).await;
    let request = request(
        "tag-grpc",
        greeting_xr("World"),
        module_input("hello", json!({})),
    );

    let v1 = server
        .client()
        .await
        .run_function(request.clone())
        .await
        .expect("v1 call succeeds")
        .into_inner();

    let beta_request = v1beta1::RunFunctionRequest::decode(request.encode_to_vec().as_slice())
        .expect("wire-identical");
    let mut beta_client = v1beta1::function_runner_service_client::FunctionRunnerServiceClient::new(
        server.channel().await,
    );
    let beta = beta_client
        .run_function(beta_request)
        .await
        .expect("v1beta1 call succeeds")
        .into_inner();

    let v1_json = to_json(&v1);
    assert_eq!(
        v1_json["desired"]["resources"]["hello"]["resource"]["data"]["greeting"],
        "Hello, World!"
    );
    assert_eq!(serde_json::to_value(&beta).unwrap(), v1_json);
    server.stop().await;
}

#[tokio::test]
async fn a_garbage_body_is_invalid_argument_and_the_server_keeps_serving() {
    let server = TestServer::start(runner(), None).await;
    let mut raw = tonic::client::Grpc::new(server.channel().await);
    raw.ready().await.expect("the channel is ready");
    let path =
        PathAndQuery::from_static("/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction");
    let garbage = Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 0x0f, 0x08]);
    let status = raw
        .unary::<Bytes, Bytes, BytesCodec>(tonic::Request::new(garbage), path, BytesCodec)
        .await
        .expect_err("garbage must be refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .starts_with("the request body is not a RunFunctionRequest: "),
        "unexpected message: {}",
        status.message()
    );

    let good = request(
        "after-garbage",
        greeting_xr("World"),
        module_input("hello", json!({})),
    );
    let response = server
        .client()
        .await
        .run_function(good)
        .await
        .expect("the next call is served")
        .into_inner();
    assert_eq!(response.meta.unwrap().tag, "after-garbage");
    server.stop().await;
}

#[tokio::test]
async fn health_reports_both_services_serving() {
    let server = TestServer::start(runner(), None).await;
    let mut health = HealthClient::new(server.channel().await);
    for service in [
        "apiextensions.fn.proto.v1.FunctionRunnerService",
        "apiextensions.fn.proto.v1beta1.FunctionRunnerService",
    ] {
        let status = health
            .check(HealthCheckRequest {
                service: service.to_owned(),
            })
            .await
            .expect("health answers")
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service}");
    }
    server.stop().await;
}

#[tokio::test]
async fn shutdown_drains_a_call_in_flight_before_the_server_returns() {
    let runner = xfn_tests::runner_with(None, function_wasmtime::host::Limits::DEFAULT_MAXIMA);
    let server = TestServer::start(runner.clone(), None).await;
    let looping = r#"(module (memory (export "memory") 1)
        (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
        (func (export "xfn_run_v1") (param i32 i32) (result i32) (loop $spin (br $spin)) i32.const 0))"#;
    let input = xfn_tests::inline_input(looping, json!({"limits": {"timeout": "300ms"}}));
    let mut client = server.client().await;
    let call = tokio::spawn(async move {
        client
            .run_function(request("draining", greeting_xr("x"), input))
            .await
    });

    // Wait (without sleeping) until the module is running, so shutdown starts with the call in flight.
    while runner.registry().host().calls_in_flight() == 0 {
        assert!(
            !call.is_finished(),
            "the call ended before it was seen in flight"
        );
        tokio::task::yield_now().await;
    }
    server.stop().await;

    let response = call
        .await
        .expect("the client task does not panic")
        .expect("the in-flight call is answered")
        .into_inner();
    assert_eq!(response.meta.unwrap().tag, "draining");
    assert!(
        response.results[0].message.ends_with(
            "exceeded its 300ms deadline; raise input.limits.timeout (server maximum 30s)"
        )
    );
}
