//! The native peer: our patch-and-transform code built for the host (the `patch-and-transform`
//! crate as an rlib) behind a tonic server, in a process of its own so that its CPU is read from
//! `/proc` like every other server's.
//!
//! The bench starts it by running its own executable again with [`ADDRESS_VAR`] set. It does what
//! the step does around the module, minus WebAssembly: the request stays bytes, the step Input's
//! `config` becomes the request's `input` in one [`Transcoder::request_json`] walk,
//! `patch_and_transform::compose` runs on that JSON as the module would (`xfn_sdk::run_json`), and
//! [`Transcoder::response_wire`] writes the response.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use function_wasmtime::server::BytesCodec;
use function_wasmtime::transcode::Transcoder;
use serde_json::value::RawValue;
use tonic::body::Body;
use tonic::codegen::{BoxFuture, Service, http};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};
use xfn_proto::prost::Message as _;

/// Set to a loopback address, it makes the bench executable serve the native P&T there instead
/// of running the bench.
pub const ADDRESS_VAR: &str = "XFN_BENCH_NATIVE_PT_ADDRESS";

/// The gRPC service the native server answers.
const SERVICE: &str = "apiextensions.fn.proto.v1.FunctionRunnerService";

/// Serves the native P&T on `address` until the process is killed.
///
/// # Panics
/// When `address` is not a socket address or cannot be bound.
pub fn serve(address: &str) {
    let address: SocketAddr = address
        .parse()
        .unwrap_or_else(|error| panic!("{ADDRESS_VAR}={address:?}: {error}"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .unwrap_or_else(|error| panic!("cannot bind {address}: {error}"));
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        Server::builder()
            .add_service(NativePt(Arc::new(Transcoder::new())))
            .serve_with_incoming(incoming)
            .await
            .expect("the native server serves");
    });
}

/// The `FunctionRunnerService` of the native P&T: RunFunction only, bytes in and out.
#[derive(Clone)]
struct NativePt(Arc<Transcoder>);

impl NamedService for NativePt {
    const NAME: &'static str = SERVICE;
}

impl Service<http::Request<Body>> for NativePt {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if request.uri().path() != format!("/{SERVICE}/RunFunction") {
            return Box::pin(async { Ok(Status::unimplemented("only RunFunction").into_http()) });
        }
        let handler = RunFunction(self.0.clone());
        Box::pin(async move {
            let mut grpc = Grpc::new(BytesCodec)
                .max_decoding_message_size(usize::MAX)
                .max_encoding_message_size(usize::MAX);
            Ok(grpc.unary(handler, request).await)
        })
    }
}

/// One RunFunction call.
struct RunFunction(Arc<Transcoder>);

impl UnaryService<Bytes> for RunFunction {
    type Response = Bytes;
    type Future = BoxFuture<Response<Bytes>, Status>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let transcoder = self.0.clone();
        Box::pin(async move {
            compose(&transcoder, &request.into_inner())
                .map(|response| Response::new(Bytes::from(response)))
                .map_err(Status::invalid_argument)
        })
    }
}

/// The request's field the step Input is in, the only one read before the transcode.
#[derive(Clone, PartialEq, xfn_proto::prost::Message)]
#[prost(prost_path = "::xfn_proto::prost")]
struct StepInput {
    /// `RunFunctionRequest.input`, an encoded `google.protobuf.Struct`.
    #[prost(bytes = "vec", tag = "4")]
    input: Vec<u8>,
}

/// The part of the step Input the module sees.
#[derive(serde::Deserialize)]
struct Config<'a> {
    #[serde(borrow)]
    config: &'a RawValue,
}

/// Runs P&T natively on an encoded request; returns the encoded response.
fn compose(transcoder: &Transcoder, request: &[u8]) -> Result<Vec<u8>, String> {
    let input = StepInput::decode(request).map_err(|error| error.to_string())?;
    let input = transcoder
        .struct_json(&input.input, "input")
        .map_err(|error| error.to_string())?;
    let step: Config<'_> = serde_json::from_slice(&input).map_err(|error| error.to_string())?;
    let json = transcoder
        .request_json(request, Some(step.config.get().as_bytes()))
        .map_err(|error| error.to_string())?;
    let outcome = xfn_sdk::run_json(&json, patch_and_transform::compose);
    if outcome.status != xfn_sdk::STATUS_OK {
        return Err(String::from_utf8_lossy(&outcome.output).into_owned());
    }
    transcoder
        .response_wire(&outcome.output)
        .map_err(|error| error.to_string())
}
