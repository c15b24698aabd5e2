//! `FunctionRunnerService/RunFunction` under both protocol names, v1 and v1beta1: one handler.
//!
//! The two packages are wire-identical (Crossplane generates v1beta1 from v1), so one byte-level
//! handler serves both. Crossplane ≥ 1.17 falls back to v1beta1 only when v1 answers UNIMPLEMENTED,
//! so the v1 handler never answers that for any other reason.

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tonic::body::Body;
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Code, Request, Response, Status};

use super::codec::BytesCodec;
use crate::step::{Refusal, StepRunner};

/// The gRPC service name of one protocol version.
pub(crate) trait ProtocolVersion: Send + Sync + 'static {
    /// Fully qualified service name.
    const SERVICE: &'static str;
    /// The HTTP/2 path of RunFunction.
    const PATH: &'static str;
}

/// `apiextensions.fn.proto.v1`.
pub(crate) struct V1;
/// `apiextensions.fn.proto.v1beta1`.
pub(crate) struct V1Beta1;

impl ProtocolVersion for V1 {
    const SERVICE: &'static str = "apiextensions.fn.proto.v1.FunctionRunnerService";
    const PATH: &'static str = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction";
}

impl ProtocolVersion for V1Beta1 {
    const SERVICE: &'static str = "apiextensions.fn.proto.v1beta1.FunctionRunnerService";
    const PATH: &'static str = "/apiextensions.fn.proto.v1beta1.FunctionRunnerService/RunFunction";
}

/// The tower service tonic routes `V`'s path to.
pub(crate) struct FunctionRunner<V> {
    runner: Arc<StepRunner>,
    max_request_bytes: usize,
    version: PhantomData<V>,
}

impl<V> FunctionRunner<V> {
    pub(crate) fn new(runner: Arc<StepRunner>, max_request_bytes: usize) -> Self {
        FunctionRunner {
            runner,
            max_request_bytes,
            version: PhantomData,
        }
    }
}

impl<V> Clone for FunctionRunner<V> {
    fn clone(&self) -> Self {
        FunctionRunner {
            runner: self.runner.clone(),
            max_request_bytes: self.max_request_bytes,
            version: PhantomData,
        }
    }
}

impl<V: ProtocolVersion> NamedService for FunctionRunner<V> {
    const NAME: &'static str = V::SERVICE;
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<V: ProtocolVersion> tower::Service<http::Request<Body>> for FunctionRunner<V> {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if request.uri().path() != V::PATH {
            // Only reachable for other methods of this service, which the protocol does not define.
            return Box::pin(async {
                Ok(Status::unimplemented("only RunFunction exists").into_http())
            });
        }
        let handler = RunFunction(self.runner.clone());
        let max = self.max_request_bytes;
        Box::pin(async move {
            let mut grpc = Grpc::new(BytesCodec)
                .max_decoding_message_size(max)
                .max_encoding_message_size(usize::MAX);
            Ok(grpc.unary(handler, request).await)
        })
    }
}

/// The RunFunction handler: bytes in, step, bytes out.
struct RunFunction(Arc<StepRunner>);

impl UnaryService<Bytes> for RunFunction {
    type Response = Bytes;
    type Future = BoxFuture<Result<Response<Bytes>, Status>>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let runner = self.0.clone();
        Box::pin(async move {
            let body = request.into_inner();
            match runner.run_bytes(body).await {
                Ok(response) => Ok(Response::new(Bytes::from(response))),
                Err(refusal) => Err(status(&refusal)),
            }
        })
    }
}

/// The gRPC status for a step that has no response: INVALID_ARGUMENT for a body that is not a
/// request, UNAVAILABLE when the host has no room for the call, RESOURCE_EXHAUSTED when the
/// requests in progress hold the server's request memory (Crossplane retries both).
fn status(refusal: &Refusal) -> Status {
    let code = match refusal {
        Refusal::Decode(_) => Code::InvalidArgument,
        Refusal::Unavailable(_) => Code::Unavailable,
        Refusal::Overloaded { .. } => Code::ResourceExhausted,
    };
    Status::new(code, refusal.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{self, ModuleId};

    #[test]
    fn a_full_request_memory_is_resource_exhausted() {
        let refusal = Refusal::Overloaded {
            held: 10,
            size: 20,
            max: 25,
        };
        let status = status(&refusal);
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert_eq!(
            status.message(),
            "the server is handling 10 bytes of requests, and this one of 20 bytes would pass its --max-request-memory of 25 bytes; retry, or give the server more replicas or memory"
        );
    }

    #[test]
    fn no_room_for_a_call_is_unavailable_with_the_hosts_message() {
        let module = ModuleId {
            name: "hello".to_owned(),
            digest: "9f2c1a2b3c4d".repeat(5),
        };
        let refusal = Refusal::Unavailable(host::Error::of(
            &module,
            host::Failure::Unavailable { slots: 6 },
        ));
        let status = status(&refusal);
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(
            status.message(),
            "module \"hello\" (sha256:9f2c1a2b3c4d): cannot start an instance: all 6 instance slots of this server are in use; retry the call"
        );
    }
}
