//! The host's data path in process, without gRPC: the two transcodes every call makes, and a
//! whole step around a module that does nothing.

use std::time::{Duration, Instant};

use function_wasmtime::host::Limits;
use function_wasmtime::transcode::Transcoder;
use xfn_proto::v1::{ResponseMeta, RunFunctionResponse, State};

use crate::requests::{self, SIZES};

/// How long each in-process loop runs.
const BUDGET: Duration = Duration::from_millis(300);
/// Calls each in-process loop makes at least.
const MIN_CALLS: usize = 20;

/// The data path at one request size; times are medians.
pub struct DataPath {
    /// Observed Deployments in the request.
    pub resources: usize,
    /// Bytes of the encoded request (with the empty reactor's inline Input).
    pub request_bytes: usize,
    /// [`Transcoder::request_json`]: the request's wire bytes to the module's JSON.
    pub request_json: Duration,
    /// Bytes of a response whose desired state holds the same resources, as protojson.
    pub response_json_bytes: usize,
    /// [`Transcoder::response_wire`] of that response: JSON to wire bytes.
    pub response_wire: Duration,
    /// `StepRunner::run_bytes` with the empty reactor: everything the host does for a call.
    pub empty_step: Duration,
}

/// Measures the data path at every size.
pub async fn run() -> Vec<DataPath> {
    let runner = xfn_tests::runner_with(None, Limits::DEFAULT_MAXIMA);
    let transcoder = Transcoder::new();
    let mut rows = Vec::new();
    for resources in SIZES {
        eprintln!("loopback: in process, {resources} observed resources");
        let request = requests::empty_reactor(resources);
        let body = requests::encode(&request);
        let request_json = median(|| async {
            std::hint::black_box(
                transcoder
                    .request_json(&body, Some(b"{}"))
                    .expect("the bench request transcodes"),
            );
        })
        .await;
        let response = RunFunctionResponse {
            meta: Some(ResponseMeta {
                tag: "bench".to_owned(),
                ttl: None,
            }),
            desired: Some(State {
                composite: None,
                resources: request.observed.clone().unwrap_or_default().resources,
            }),
            ..RunFunctionResponse::default()
        };
        let response_json = serde_json::to_vec(&response).expect("a response serialises");
        let response_wire = median(|| async {
            std::hint::black_box(
                transcoder
                    .response_wire(&response_json)
                    .expect("the response transcodes"),
            );
        })
        .await;
        let empty_step = median(|| async {
            std::hint::black_box(
                runner
                    .run_bytes(body.clone())
                    .await
                    .expect("the bench request decodes"),
            );
        })
        .await;
        rows.push(DataPath {
            resources,
            request_bytes: body.len(),
            request_json,
            response_json_bytes: response_json.len(),
            response_wire,
            empty_step,
        });
    }
    rows
}

/// The median time of `call`, run for [`BUDGET`] and at least [`MIN_CALLS`] times after one
/// unmeasured call.
async fn median<F: Future<Output = ()>>(mut call: impl FnMut() -> F) -> Duration {
    call().await;
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < MIN_CALLS || started.elapsed() < BUDGET {
        let call_started = Instant::now();
        call().await;
        samples.push(call_started.elapsed());
    }
    samples.sort_unstable();
    samples[samples.len() / 2]
}
