//! mTLS as Crossplane configures it: certificates generated here, clients with and without them.

use serde_json::json;
use xfn_proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
use xfn_tests::{TestCa, TestServer, greeting_xr, module_input, request, runner, tls_endpoint};

struct MtlsServer {
    server: TestServer,
    ca: TestCa,
    _dir: tempfile::TempDir,
}

async fn start_mtls() -> MtlsServer {
    let ca = TestCa::new("crossplane-root-ca");
    let dir = tempfile::tempdir().expect("a temp dir");
    ca.write_server_dir(dir.path());
    let server = TestServer::start(runner(), Some(dir.path().to_owned())).await;
    MtlsServer {
        server,
        ca,
        _dir: dir,
    }
}

#[tokio::test]
async fn a_client_with_a_certificate_from_the_ca_is_served() {
    let mtls = start_mtls().await;
    let endpoint = tls_endpoint(
        mtls.server.address,
        &mtls.ca.cert_pem,
        Some(mtls.ca.client_identity()),
    );
    let channel = endpoint
        .connect()
        .await
        .expect("the TLS handshake succeeds");
    let response = FunctionRunnerServiceClient::new(channel)
        .run_function(request(
            "tls",
            greeting_xr("TLS"),
            module_input("hello", json!({})),
        ))
        .await
        .expect("the call succeeds")
        .into_inner();
    assert_eq!(response.meta.unwrap().tag, "tls");
    mtls.server.stop().await;
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused() {
    let mtls = start_mtls().await;
    let endpoint = tls_endpoint(mtls.server.address, &mtls.ca.cert_pem, None);
    let refused = match endpoint.connect().await {
        Err(_) => true,
        Ok(channel) => FunctionRunnerServiceClient::new(channel)
            .run_function(request(
                "no-cert",
                greeting_xr("x"),
                module_input("hello", json!({})),
            ))
            .await
            .is_err(),
    };
    assert!(refused, "a client without a certificate must not be served");
    mtls.server.stop().await;
}

#[tokio::test]
async fn a_client_with_a_certificate_from_another_ca_is_refused() {
    let mtls = start_mtls().await;
    let stranger = TestCa::new("someone-else");
    let endpoint = tls_endpoint(
        mtls.server.address,
        &mtls.ca.cert_pem,
        Some(stranger.client_identity()),
    );
    let refused = match endpoint.connect().await {
        Err(_) => true,
        Ok(channel) => FunctionRunnerServiceClient::new(channel)
            .run_function(request(
                "stranger",
                greeting_xr("x"),
                module_input("hello", json!({})),
            ))
            .await
            .is_err(),
    };
    assert!(
        refused,
        "a client certificate from another CA must not be served"
    );
    mtls.server.stop().await;
}

#[tokio::test]
async fn a_plaintext_client_is_refused_by_a_tls_server() {
    let mtls = start_mtls().await;
    let result =
        match tonic::transport::Endpoint::from_shared(format!("http://{}", mtls.server.address))
            .unwrap()
            .connect()
            .await
        {
            Err(_) => Err(()),
            Ok(channel) => FunctionRunnerServiceClient::new(channel)
                .run_function(request(
                    "plain",
                    greeting_xr("x"),
                    module_input("hello", json!({})),
                ))
                .await
                .map(|_| ())
                .map_err(|_| ()),
        };
    assert!(
        result.is_err(),
        "plaintext must not be served when TLS is on"
    );
    mtls.server.stop().await;
}
