//! A Development-mode function scripted by a test, served over gRPC on loopback, for the render
//! tests: it answers each call with a function of the call number and the request, and keeps
//! every request it got.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use xfn_proto::prost::Message as _;
use xfn_proto::v1::function_runner_service_server::{
    FunctionRunnerService, FunctionRunnerServiceServer,
};
use xfn_proto::v1::{RunFunctionRequest, RunFunctionResponse};
use xfn_proto::v1beta1;
use xfn_proto::v1beta1::function_runner_service_server::{
    FunctionRunnerService as BetaService, FunctionRunnerServiceServer as BetaServer,
};

/// How a scripted function answers: the call number (from 0) and the request.
pub type Respond = fn(usize, &RunFunctionRequest) -> RunFunctionResponse;

/// The script and the requests it got.
pub struct Scripted {
    respond: Respond,
    requests: Mutex<Vec<RunFunctionRequest>>,
}

impl Scripted {
    /// A function answering with `respond`.
    pub fn new(respond: Respond) -> Arc<Scripted> {
        Arc::new(Scripted {
            respond,
            requests: Mutex::new(Vec::new()),
        })
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<RunFunctionRequest> {
        self.requests
            .lock()
            .expect("no test panics holding the lock")
            .clone()
    }

    fn answer(&self, request: RunFunctionRequest) -> RunFunctionResponse {
        let mut requests = self
            .requests
            .lock()
            .expect("no test panics holding the lock");
        let response = (self.respond)(requests.len(), &request);
        requests.push(request);
        response
    }
}

/// Serves `Scripted` on v1.
struct V1(Arc<Scripted>);

#[tonic::async_trait]
impl FunctionRunnerService for V1 {
    async fn run_function(
        &self,
        request: tonic::Request<RunFunctionRequest>,
    ) -> Result<tonic::Response<RunFunctionResponse>, tonic::Status> {
        Ok(tonic::Response::new(self.0.answer(request.into_inner())))
    }
}

/// Serves `Scripted` on v1beta1 only, like a function built before v1 existed.
struct V1Beta1(Arc<Scripted>);

#[tonic::async_trait]
impl BetaService for V1Beta1 {
    async fn run_function(
        &self,
        request: tonic::Request<v1beta1::RunFunctionRequest>,
    ) -> Result<tonic::Response<v1beta1::RunFunctionResponse>, tonic::Status> {
        let request = RunFunctionRequest::decode(request.into_inner().encode_to_vec().as_slice())
            .expect("v1 and v1beta1 are wire-identical");
        let response = self.0.answer(request).encode_to_vec();
        Ok(tonic::Response::new(
            v1beta1::RunFunctionResponse::decode(response.as_slice())
                .expect("v1 and v1beta1 are wire-identical"),
        ))
    }
}

/// A scripted function serving on `127.0.0.1`; dropping it stops the server.
pub struct ScriptedServer {
    /// A functions file naming it `function-remote` in Development mode.
    pub functions: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `scripted` on loopback (v1, or v1beta1 only when `is_beta`) and writes
/// `dir/functions.yaml` naming it `function-remote` in Development mode.
pub async fn serve(scripted: Arc<Scripted>, is_beta: bool, dir: &Path) -> ScriptedServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback has free ports");
    let address = listener
        .local_addr()
        .expect("a bound listener has an address");
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    let router = if is_beta {
        tonic::transport::Server::builder().add_service(BetaServer::new(V1Beta1(scripted)))
    } else {
        tonic::transport::Server::builder()
            .add_service(FunctionRunnerServiceServer::new(V1(scripted)))
    };
    let task = tokio::spawn(async move {
        router
            .serve_with_incoming(incoming)
            .await
            .expect("the scripted server serves");
    });
    let functions = dir.join("functions.yaml");
    std::fs::write(
        &functions,
        format!(
            "apiVersion: pkg.crossplane.io/v1\nkind: Function\nmetadata:\n  name: function-remote\n  annotations:\n    render.crossplane.io/runtime: Development\n    render.crossplane.io/runtime-development-target: {address}\n"
        ),
    )
    .expect("the functions file can be written");
    ScriptedServer { functions, task }
}
