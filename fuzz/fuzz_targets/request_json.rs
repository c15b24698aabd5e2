//! Any bytes as a `RunFunctionRequest` on the wire: the transcoder never panics, and what it
//! writes is JSON.
#![no_main]

use std::sync::LazyLock;

use function_wasmtime::transcode::Transcoder;
use libfuzzer_sys::fuzz_target;

static TRANSCODER: LazyLock<Transcoder> = LazyLock::new(Transcoder::new);

fuzz_target!(|wire: &[u8]| {
    if let Ok(json) = TRANSCODER.request_json(wire, Some(br#"{"k":[1,"v"]}"#)) {
        if let Err(error) = serde_json::from_slice::<serde_json::Value>(&json) {
            panic!("the transcoder wrote invalid JSON ({error}): {}", String::from_utf8_lossy(&json));
        }
    }
});
