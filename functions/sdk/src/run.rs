//! One call of a module: request bytes in, handler, response bytes (or an error message) out.

use std::fmt;

use crate::{Request, Response};

/// Status for a successful call: the output is a `RunFunctionResponse`.
///
/// # Examples
/// ```
/// use xfn_sdk::{Request, Response, STATUS_OK, run_json};
///
/// assert_eq!(run_json(b"{}", |req: Request| Response::from_request(&req)).status, STATUS_OK);
/// ```
pub const STATUS_OK: i32 = 0;
/// Status when the request bytes are not a `RunFunctionRequest` this SDK can read.
///
/// # Examples
/// ```
/// use xfn_sdk::{Request, Response, STATUS_INVALID_REQUEST, run_json};
///
/// assert_eq!(run_json(b"[", |req: Request| Response::from_request(&req)).status, STATUS_INVALID_REQUEST);
/// ```
pub const STATUS_INVALID_REQUEST: i32 = 1;
/// Status when the handler returned an error; the output is its message.
///
/// # Examples
/// ```
/// use xfn_sdk::{Request, Response, STATUS_HANDLER_FAILED, run_json};
///
/// let outcome = run_json(b"{}", |_: Request| Err::<Response, _>("no config"));
/// assert_eq!(outcome.status, STATUS_HANDLER_FAILED);
/// assert_eq!(outcome.output, b"no config");
/// ```
pub const STATUS_HANDLER_FAILED: i32 = 2;
/// Status when the response could not be serialised.
///
/// # Examples
/// ```
/// assert_eq!(xfn_sdk::STATUS_INVALID_RESPONSE, 3);
/// ```
pub const STATUS_INVALID_RESPONSE: i32 = 3;

/// What a handler may return: a [`Response`], or `Result<Response, E>` for any displayable `E`.
///
/// Prefer a response with a fatal result ([`Response::fatal`]) for failures the user can fix:
/// it keeps the desired state and says what to do. An `Err` makes the host report a fatal
/// result naming the module with the error's text.
///
/// # Examples
/// ```
/// use xfn_sdk::{HandlerOutput, Response};
///
/// assert!(Response::default().into_result().is_ok());
/// let failed: Result<Response, String> = Err("config.size: must be positive".into());
/// assert_eq!(failed.into_result().unwrap_err(), "config.size: must be positive");
/// ```
pub trait HandlerOutput {
    /// The response, or the error message.
    ///
    /// # Errors
    /// The handler's error, as text.
    fn into_result(self) -> Result<Response, String>;
}

impl HandlerOutput for Response {
    fn into_result(self) -> Result<Response, String> {
        Ok(self)
    }
}

impl<E: fmt::Display> HandlerOutput for Result<Response, E> {
    fn into_result(self) -> Result<Response, String> {
        self.map_err(|error| error.to_string())
    }
}

/// The outcome of one call, as the module hands it to the host.
///
/// # Examples
/// ```
/// use xfn_sdk::{Outcome, Request, Response, STATUS_OK, run_json};
///
/// let outcome: Outcome = run_json(br#"{"meta": {"tag": "t"}}"#, |req: Request| Response::from_request(&req));
/// assert_eq!(outcome.status, STATUS_OK);
/// assert_eq!(outcome.output, br#"{"meta":{"tag":"t"},"desired":{}}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// [`STATUS_OK`] or one of the other `STATUS_*` constants.
    pub status: i32,
    /// The response JSON when `status` is [`STATUS_OK`], otherwise a UTF-8 error message.
    pub output: Vec<u8>,
}

impl Outcome {
    fn failed(status: i32, message: String) -> Outcome {
        Outcome {
            status,
            output: message.into_bytes(),
        }
    }
}

/// Runs `handler` on the request JSON in `request` exactly as a module's `xfn_run_v1` does,
/// and returns what it would hand the host. Use it to test a handler natively.
///
/// # Examples
/// ```
/// use xfn_sdk::{Request, Response, STATUS_INVALID_REQUEST, STATUS_OK, run_json};
///
/// fn handler(req: Request) -> Response {
///     let mut rsp = Response::from_request(&req);
///     rsp.normal("hello");
///     rsp
/// }
///
/// let outcome = run_json(br#"{"meta": {"tag": "t"}}"#, handler);
/// assert_eq!(outcome.status, STATUS_OK);
/// assert_eq!(
///     String::from_utf8(outcome.output).unwrap(),
///     r#"{"meta":{"tag":"t"},"desired":{},"results":[{"severity":"SEVERITY_NORMAL","message":"hello"}]}"#
/// );
/// assert_eq!(run_json(b"not json", handler).status, STATUS_INVALID_REQUEST);
/// ```
pub fn run_json<R: HandlerOutput>(request: &[u8], handler: impl FnOnce(Request) -> R) -> Outcome {
    let req = match serde_json::from_slice::<Request>(request) {
        Ok(req) => req,
        Err(error) => {
            return Outcome::failed(
                STATUS_INVALID_REQUEST,
                format!(
                    "xfn-sdk cannot read the request as a RunFunctionRequest: {error}; \
                     the host must send protojson as docs/ABI.md describes"
                ),
            );
        }
    };
    match handler(req).into_result() {
        Ok(rsp) => match serde_json::to_vec(&rsp) {
            Ok(output) => Outcome {
                status: STATUS_OK,
                output,
            },
            Err(error) => Outcome::failed(
                STATUS_INVALID_RESPONSE,
                format!("xfn-sdk cannot serialise the response: {error}"),
            ),
        },
        Err(message) => Outcome::failed(STATUS_HANDLER_FAILED, message),
    }
}

/// Support for [`export!`](crate::export); not public API.
#[doc(hidden)]
pub mod __private {
    #![allow(
        unsafe_code,
        reason = "the entry points take raw pointers from the host"
    )]

    use super::{HandlerOutput, run_json};
    use crate::Request;

    /// The body of `xfn_run_v1`.
    ///
    /// # Safety
    /// `ptr..ptr + len` must be initialised memory of this module, as the host guarantees after
    /// writing the request into a buffer from `cabi_realloc`.
    pub unsafe fn run_v1<R: HandlerOutput>(
        ptr: *const u8,
        len: usize,
        handler: impl FnOnce(Request) -> R,
    ) -> i32 {
        #[cfg(target_arch = "wasm32")]
        std::panic::set_hook(Box::new(|info| crate::log::error(&info.to_string())));
        let request = if len == 0 {
            &[][..]
        } else {
            // SAFETY: the caller guarantees `len` initialised bytes at `ptr`. The buffer is
            // never freed: the instance is dropped after this call.
            unsafe { std::slice::from_raw_parts(ptr, len) }
        };
        let outcome = run_json(request, handler);
        crate::abi::set_output(&outcome.output);
        outcome.status
    }

    /// The body of `cabi_realloc`.
    ///
    /// # Safety
    /// As for the canonical ABI's `cabi_realloc`: a non-zero `old_len` needs an `old_ptr` from
    /// an earlier call with the same `align`.
    pub unsafe fn cabi_realloc(
        old_ptr: *mut u8,
        old_len: usize,
        align: usize,
        new_len: usize,
    ) -> *mut u8 {
        // SAFETY: forwarded from the caller.
        unsafe { crate::abi::cabi_realloc(old_ptr, old_len, align, new_len) }
    }
}

/// Exports `handler` as a reactor module: emits the `xfn_run_v1` and `cabi_realloc` exports of
/// ABI v1 (docs/ABI.md).
///
/// `handler` is a function `fn(Request) -> Response` or `fn(Request) -> Result<Response, E>`
/// with `E: Display` (see [`HandlerOutput`]). Use it once, in a `cdylib` crate built for
/// `wasm32-wasip1`.
///
/// Per call, the generated code reads the request the host wrote, parses it, calls `handler`,
/// serialises the response and hands it to the host with `xfn.set_output`, returning status 0.
/// A request that does not parse returns [`STATUS_INVALID_REQUEST`] with the parse error as the
/// output; a handler error returns [`STATUS_HANDLER_FAILED`] with its message. A panic aborts
/// the module (the host reports a trap) after logging the panic message at error level.
///
/// # Examples
/// ```no_run,standalone_crate
/// use xfn_sdk::{Request, Response};
///
/// fn compose(req: Request) -> Response {
///     let mut rsp = Response::from_request(&req);
///     rsp.normal("nothing to do");
///     rsp
/// }
///
/// xfn_sdk::export!(compose);
/// ```
#[macro_export]
macro_rules! export {
    ($handler:expr) => {
        /// ABI v1 entry point: runs the handler on the request at `ptr..ptr + len`.
        ///
        /// # Safety
        /// Called by the host with a request it wrote into a `cabi_realloc` buffer.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn xfn_run_v1(ptr: *const u8, len: usize) -> i32 {
            // Outside the unsafe block, so that the handler expression gets no unsafe powers.
            let handler = $handler;
            // SAFETY: the host wrote `len` bytes at `ptr` (ABI v1).
            unsafe { $crate::__private::run_v1(ptr, len, handler) }
        }

        /// ABI v1 allocator (the component model's `cabi_realloc`); the host calls
        /// `cabi_realloc(0, 0, 1, len)` for the request buffer.
        ///
        /// # Safety
        /// A non-zero `old_len` needs an `old_ptr` from an earlier call with the same `align`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn cabi_realloc(
            old_ptr: *mut u8,
            old_len: usize,
            align: usize,
            new_len: usize,
        ) -> *mut u8 {
            // SAFETY: forwarded from the host, which follows the canonical ABI.
            unsafe { $crate::__private::cabi_realloc(old_ptr, old_len, align, new_len) }
        }
    };
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn echo(req: Request) -> Response {
        Response::from_request(&req)
    }

    fn failing(_: Request) -> Result<Response, String> {
        Err("config.size: must be positive; set config.size to 1 or more".to_owned())
    }

    #[test]
    fn ok_output_is_the_response_json() {
        let outcome = run_json(br#"{"meta":{"tag":"x"},"context":{"a":1}}"#, echo);
        assert_eq!(outcome.status, STATUS_OK);
        let output: Value = serde_json::from_slice(&outcome.output).unwrap();
        assert_eq!(
            output,
            json!({"meta": {"tag": "x"}, "desired": {}, "context": {"a": 1}})
        );
    }

    #[test]
    fn unparsable_request_is_status_1_with_the_position() {
        let outcome = run_json(br#"{"meta": 5}"#, echo);
        assert_eq!(outcome.status, STATUS_INVALID_REQUEST);
        assert_eq!(
            String::from_utf8(outcome.output).unwrap(),
            "xfn-sdk cannot read the request as a RunFunctionRequest: invalid type: integer `5`, \
             expected struct RequestMeta at line 1 column 10; the host must send protojson as \
             docs/ABI.md describes"
        );
    }

    #[test]
    fn handler_error_is_status_2_with_its_message() {
        let outcome = run_json(b"{}", failing);
        assert_eq!(outcome.status, STATUS_HANDLER_FAILED);
        assert_eq!(
            outcome.output,
            b"config.size: must be positive; set config.size to 1 or more"
        );
    }

    #[test]
    #[allow(unsafe_code, reason = "calls the raw entry points as the host would")]
    fn exported_entry_points_work_natively() {
        mod module {
            use crate::{Request, Response};

            fn handler(req: Request) -> Response {
                Response::from_request(&req)
            }

            crate::export!(handler);
        }

        let request = br#"{"meta":{"tag":"x"}}"#;
        // SAFETY: the buffer is allocated by cabi_realloc with the request's length and align 1,
        // filled, and handed to xfn_run_v1 with that length.
        unsafe {
            let ptr = module::cabi_realloc(std::ptr::null_mut(), 0, 1, request.len());
            ptr.copy_from_nonoverlapping(request.as_ptr(), request.len());
            assert_eq!(module::xfn_run_v1(ptr, request.len()), STATUS_OK);
            std::alloc::dealloc(
                ptr,
                std::alloc::Layout::from_size_align(request.len(), 1).unwrap(),
            );
        }
    }
}
