//! Any bytes as a module's protojson output: the transcoder never panics, and the wire bytes it
//! writes decode as a `RunFunctionResponse`.
#![no_main]

use std::sync::LazyLock;

use function_wasmtime::transcode::Transcoder;
use libfuzzer_sys::fuzz_target;
use prost::Message as _;
use xfn_proto::v1::RunFunctionResponse;

static TRANSCODER: LazyLock<Transcoder> = LazyLock::new(Transcoder::new);

fuzz_target!(|json: &[u8]| {
    if let Ok(wire) = TRANSCODER.response_wire(json) {
        if let Err(error) = RunFunctionResponse::decode(wire.as_slice()) {
            panic!("the transcoder wrote wire bytes prost cannot decode: {error}");
        }
    }
});
