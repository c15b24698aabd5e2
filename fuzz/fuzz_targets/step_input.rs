//! Any bytes as a step's Input (the JSON the transcoder makes of its `input` Struct): validation
//! never panics; it returns a step or an error naming a field.
#![no_main]

use function_wasmtime::host::Limits;
use function_wasmtime::input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|json: &[u8]| {
    let _ = input::validate(Some(json), Limits::DEFAULT_MAXIMA);
});
