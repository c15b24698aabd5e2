//! The host side of ABI v1 as the guest sees it: the `xfn` imports and the allocator the host
//! calls. Only this module (and the entry point in `run`) uses `unsafe`. It is the SDK's lowest
//! layer: it imports nothing from the rest of the crate.
//!
//! The imports exist only on `wasm32`; natively `set_output` is a no-op and there is no `log`
//! (the `log` module writes to stderr instead), so that the SDK and handlers can be tested with
//! `cargo test` on the host.
#![allow(
    unsafe_code,
    reason = "the ABI is raw pointers and lengths across the wasm boundary"
)]

use std::alloc::{self, Layout};
use std::ptr;

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "xfn")]
    unsafe extern "C" {
        /// `xfn.set_output(ptr, len)`: the host copies `len` bytes at `ptr` at once.
        #[link_name = "set_output"]
        pub(super) fn set_output(ptr: *const u8, len: usize);
        /// `xfn.log(level, ptr, len)`: one UTF-8 log line.
        #[link_name = "log"]
        pub(super) fn log(level: i32, ptr: *const u8, len: usize);
    }
}

/// Hands `bytes` to the host as the call's output (the response, or an error message).
pub(crate) fn set_output(bytes: &[u8]) {
    #[cfg(target_arch = "wasm32")]
    // SAFETY: `bytes` is a live slice in this module's memory; the host copies it before
    // returning and keeps no reference to it.
    unsafe {
        imports::set_output(bytes.as_ptr(), bytes.len());
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = bytes;
}

/// Sends one log line to the host; `level` is the number `xfn.log` takes (0 error to 4 trace).
#[cfg(target_arch = "wasm32")]
pub(crate) fn log(level: i32, message: &[u8]) {
    // SAFETY: as in `set_output`: a live slice, copied by the host before it returns.
    unsafe {
        imports::log(level, message.as_ptr(), message.len());
    }
}

/// The `cabi_realloc` export: allocates (`old_len == 0`) or grows a block, as the component
/// model's canonical ABI defines it. The host calls `cabi_realloc(0, 0, 1, len)` for the request.
///
/// Allocation failure (the host's memory limit) aborts, which the host reports as a trap.
///
/// # Safety
/// When `old_len` is non-zero, `old_ptr` must come from an earlier call with the same `align`
/// and with `new_len == old_len`.
pub(crate) unsafe fn cabi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    if new_len == 0 {
        // A zero-sized block needs no memory; any well-aligned non-null pointer will do.
        return ptr::without_provenance_mut(align.max(1));
    }
    let Ok(layout) = Layout::from_size_align(new_len, align) else {
        panic!("cabi_realloc: {new_len} bytes aligned to {align} is not a valid layout");
    };
    let new_ptr = if old_len == 0 {
        // SAFETY: `layout` has a non-zero size.
        unsafe { alloc::alloc(layout) }
    } else {
        // SAFETY: the caller guarantees `old_ptr` was allocated here with `old_len` and `align`,
        // which `from_size_align` accepted then; `new_len` is non-zero.
        unsafe {
            alloc::realloc(
                old_ptr,
                Layout::from_size_align_unchecked(old_len, align),
                new_len,
            )
        }
    };
    if new_ptr.is_null() {
        alloc::handle_alloc_error(layout);
    }
    new_ptr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cabi_realloc_allocates_grows_and_keeps_contents() {
        // SAFETY: each pointer is used within the size it was allocated with, and freed with
        // the layout it was allocated with.
        unsafe {
            let p = cabi_realloc(ptr::null_mut(), 0, 1, 4);
            p.copy_from_nonoverlapping(b"abcd".as_ptr(), 4);
            let q = cabi_realloc(p, 4, 1, 64);
            assert_eq!(std::slice::from_raw_parts(q, 4), b"abcd");
            alloc::dealloc(q, Layout::from_size_align(64, 1).unwrap());

            let aligned = cabi_realloc(ptr::null_mut(), 0, 8, 16);
            assert_eq!(aligned.addr() % 8, 0);
            alloc::dealloc(aligned, Layout::from_size_align(16, 8).unwrap());
        }
    }

    #[test]
    fn zero_sized_blocks_are_dangling_but_aligned() {
        // SAFETY: no memory is touched.
        let p = unsafe { cabi_realloc(ptr::null_mut(), 0, 4, 0) };
        assert!(!p.is_null());
        assert_eq!(p.addr() % 4, 0);
    }
}
