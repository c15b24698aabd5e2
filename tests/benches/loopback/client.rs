//! The caller: a real tonic client over one HTTP/2 connection, sending request bytes encoded once.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use function_wasmtime::server::BytesCodec;
use tonic::client::Grpc;
use tonic::transport::{Channel, Endpoint};

/// The HTTP/2 path of RunFunction in the protocol's v1 package, which every server here serves.
const RUN_FUNCTION: &str = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction";

/// The longest a call may take before the bench gives up on it.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// A RunFunction client. Clones share one HTTP/2 connection, as Crossplane's calls to one
/// function do.
///
/// Requests are protobuf bytes encoded before the timed loop starts and responses stay bytes, so
/// the client spends as little of the machine's CPU as a client can.
#[derive(Clone)]
pub struct Caller {
    grpc: Grpc<Channel>,
}

impl Caller {
    /// Connects to the server at `address` (plaintext, TCP_NODELAY as tonic sets it).
    ///
    /// # Panics
    /// When the server does not accept the connection.
    pub async fn connect(address: SocketAddr) -> Caller {
        let channel = Endpoint::from_shared(format!("http://{address}"))
            .expect("a valid URI")
            .timeout(CALL_TIMEOUT)
            .connect()
            .await
            .unwrap_or_else(|error| panic!("{address} does not accept connections: {error}"));
        Caller {
            grpc: Grpc::new(channel)
                .max_decoding_message_size(usize::MAX)
                .max_encoding_message_size(usize::MAX),
        }
    }

    /// Calls RunFunction with `request` (an encoded RunFunctionRequest) and returns the encoded
    /// response.
    ///
    /// # Panics
    /// When the call fails: a bench counts only answered calls.
    pub async fn call(&mut self, request: Bytes) -> Bytes {
        self.grpc.ready().await.expect("the connection is usable");
        let path = tonic::codegen::http::uri::PathAndQuery::from_static(RUN_FUNCTION);
        self.grpc
            .unary(tonic::Request::new(request), path, BytesCodec)
            .await
            .unwrap_or_else(|status| panic!("RunFunction failed: {status}"))
            .into_inner()
    }
}
