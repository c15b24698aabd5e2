//! The reactor ABI: write the request into guest memory, call `xfn_run_v1`, take `set_output`.

use wasmtime::{Instance, Store};

use super::abi::{INITIALIZE_EXPORT, MEMORY_EXPORT, REALLOC_EXPORT, RUN_EXPORT};
use super::guest::GuestState;
use super::{CallFailure, Failure, host_trap};

/// Runs one reactor call on a fresh `instance`.
///
/// Sequence (docs/ABI.md): `_initialize` when exported, `cabi_realloc(0, 0, 1, len)`, copy the
/// request to the returned pointer, `xfn_run_v1(ptr, len)`; status 0 means the bytes passed to
/// `set_output` are the response, anything else means they are an error message.
pub(super) fn call(
    store: &mut Store<GuestState>,
    instance: &Instance,
    request: &[u8],
) -> Result<Vec<u8>, CallFailure> {
    // Optional; its signature was checked when the module was prepared (`abi::detect`). A plain
    // lookup: a module without it must not cost an error value on every call.
    if let Some(initialize) = instance.get_func(&mut *store, INITIALIZE_EXPORT) {
        initialize.typed::<(), ()>(&*store)?.call(&mut *store, ())?;
    }
    let len = i32::try_from(request.len()).map_err(|_| {
        let len = request.len();
        Failure::Internal(format!("a {len}-byte request does not fit a 32-bit module"))
    })?;
    let realloc =
        instance.get_typed_func::<(i32, i32, i32, i32), i32>(&mut *store, REALLOC_EXPORT)?;
    let ptr = realloc.call(&mut *store, (0, 0, 1, len))?;
    let memory = instance
        .get_memory(&mut *store, MEMORY_EXPORT)
        .ok_or_else(|| host_trap("exports no memory"))?;
    let bad_buffer = || {
        host_trap(format!(
            "cabi_realloc returned {ptr}, which cannot hold the request"
        ))
    };
    let offset = usize::try_from(ptr.cast_unsigned()).map_err(|_| bad_buffer())?;
    memory
        .write(&mut *store, offset, request)
        .map_err(|_| bad_buffer())?;

    let run = instance.get_typed_func::<(i32, i32), i32>(&mut *store, RUN_EXPORT)?;
    let status = run.call(&mut *store, (ptr, len))?;
    let output = store.data_mut().output.take();
    match (status, output) {
        (0, Some(output)) => Ok(output),
        (0, None) => Err(Failure::NoOutput.into()),
        (status, output) => Err(Failure::Status {
            status,
            message: String::from_utf8_lossy(&output.unwrap_or_default()).into_owned(),
        }
        .into()),
    }
}
