//! The reactor ABI: write the request into guest memory, call `xfn_run_v1`, take `set_output`.

use wasmtime::{Instance, Store};

use super::CallFailure;
use super::abi::{INITIALIZE_EXPORT, MEMORY_EXPORT, REALLOC_EXPORT, RUN_EXPORT};
use super::guest::GuestState;

/// Runs one reactor call on a fresh `instance`.
///
/// Sequence (docs/ABI.md): `_initialize` when exported, `cabi_realloc(0, 0, 1, len)`, copy the
/// request to the returned pointer, `xfn_run_v1(ptr, len)`; status 0 means the bytes passed to
/// `set_output` are the response, anything else means they are an error message.
pub(super) fn call(
    store: &mut Store<GuestState>,
    instance: &Instance,
    has_initialize: bool,
    request: &[u8],
) -> Result<Vec<u8>, CallFailure> {
    if has_initialize {
        instance
            .get_typed_func::<(), ()>(&mut *store, INITIALIZE_EXPORT)?
            .call(&mut *store, ())?;
    }
    let len =
        i32::try_from(request.len()).map_err(|_| CallFailure::RequestTooLarge(request.len()))?;
    let realloc =
        instance.get_typed_func::<(i32, i32, i32, i32), i32>(&mut *store, REALLOC_EXPORT)?;
    let ptr = realloc.call(&mut *store, (0, 0, 1, len))?;
    let memory = instance
        .get_memory(&mut *store, MEMORY_EXPORT)
        .ok_or(CallFailure::NoMemory)?;
    let offset = usize::try_from(ptr.cast_unsigned()).map_err(|_| CallFailure::BadBuffer(ptr))?;
    memory
        .write(&mut *store, offset, request)
        .map_err(|_| CallFailure::BadBuffer(ptr))?;

    let run = instance.get_typed_func::<(i32, i32), i32>(&mut *store, RUN_EXPORT)?;
    let status = run.call(&mut *store, (ptr, len))?;
    let output = store.data_mut().output.take();
    match (status, output) {
        (0, Some(output)) => Ok(output),
        (0, None) => Err(CallFailure::NoOutput),
        (status, output) => Err(CallFailure::Status {
            status,
            message: String::from_utf8_lossy(&output.unwrap_or_default()).into_owned(),
        }),
    }
}
