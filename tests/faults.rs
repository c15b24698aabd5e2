//! Good and hostile calls, each with its exact expected answer: the load test and the soak
//! (`cargo bench -p xfn-tests --bench soak`) mix them.

use serde_json::{Value, json};
use xfn_proto::v1::{RunFunctionRequest, RunFunctionResponse};

use crate::{
    desired_and_context, fatal_response, greeting_xr, hello_response, inline_id, inline_input,
    module_input, request, to_json,
};

/// A reactor that asks WASI for a 60 s sleep (one relative monotonic clock subscription), then
/// answers `{}`.
pub const SLEEPER: &str = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "xfn" "set_output" (func $set_output (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "{}")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func (export "xfn_run_v1") (param i32 i32) (result i32)
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 60000000000))
    (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
    (call $set_output (i32.const 512) (i32.const 2))
    i32.const 0))"#;

/// A reactor whose `xfn_run_v1` body is `run`, with `set_output` and `log` imported and `memory`
/// pages of memory.
fn reactor(memory: u32, run: &str) -> String {
    format!(
        r#"(module
  (import "xfn" "set_output" (func $set_output (param i32 i32)))
  (import "xfn" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") {memory})
  (data (i32.const 16) "not json")
  (data (i32.const 32) "{{}}")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 4096)
  (func $explode unreachable)
  (func (export "xfn_run_v1") (param i32 i32) (result i32) {run}))"#
    )
}

/// What one call runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The bundled hello module: a good call.
    Hello,
    /// `unreachable` in a function of its own.
    Trap,
    /// Spins until its 100 ms deadline.
    Loop,
    /// Asks WASI for 60 s of sleep under a 100 ms deadline.
    Sleep,
    /// Grows and fills its memory, 1 MiB at a time, until its 16 MiB limit.
    Bomb,
    /// Logs 500 MiB (untouched memory) three times, then answers `{}`.
    Flood,
    /// Answers bytes that are not JSON.
    Garbage,
}

impl Fault {
    /// Every kind of call, the good one first.
    pub const ALL: [Fault; 7] = [
        Fault::Hello,
        Fault::Trap,
        Fault::Loop,
        Fault::Sleep,
        Fault::Bomb,
        Fault::Flood,
        Fault::Garbage,
    ];

    /// The module's WAT, `None` for the bundled hello.
    pub fn wat(self) -> Option<String> {
        Some(match self {
            Fault::Hello => return None,
            Fault::Trap => reactor(1, "call $explode i32.const 0"),
            Fault::Loop => reactor(1, "(loop $spin (br $spin)) i32.const 0"),
            Fault::Sleep => SLEEPER.to_owned(),
            Fault::Bomb => reactor(
                1,
                "(loop $grow
                   (memory.fill (i32.mul (memory.grow (i32.const 16)) (i32.const 65536))
                                (i32.const 1) (i32.const 1048576))
                   (br $grow))
                 i32.const 0",
            ),
            Fault::Flood => reactor(
                8000,
                "(call $log (i32.const 2) (i32.const 0) (i32.const 524000000))
                 (call $log (i32.const 2) (i32.const 0) (i32.const 524000000))
                 (call $log (i32.const 2) (i32.const 0) (i32.const 524000000))
                 (call $set_output (i32.const 32) (i32.const 2)) i32.const 0",
            ),
            Fault::Garbage => reactor(
                1,
                "(call $set_output (i32.const 16) (i32.const 8)) i32.const 0",
            ),
        })
    }

    /// The step Input of this kind's call.
    pub fn input(self) -> Value {
        let limits = match self {
            Fault::Loop | Fault::Sleep => json!({"limits": {"timeout": "100ms"}}),
            Fault::Bomb => json!({"limits": {"memory": "16Mi"}}),
            Fault::Flood => json!({"limits": {"memory": "512Mi"}}),
            Fault::Hello | Fault::Trap | Fault::Garbage => json!({}),
        };
        match self.wat() {
            None => module_input("hello", limits),
            Some(wat) => inline_input(&wat, limits),
        }
    }

    /// A request of this kind tagged `tag`.
    pub fn request(self, tag: &str) -> RunFunctionRequest {
        request(tag, greeting_xr("World"), self.input())
    }

    /// Whether `response` is this kind's exact answer to `request`, or how it differs; a trap's
    /// message, backtrace included, must be `trap` (learnt from a first call, as it names
    /// functions the compiler laid out).
    ///
    /// # Errors
    /// What was expected and what came, when they differ.
    pub fn verdict(
        self,
        request: &RunFunctionRequest,
        response: &RunFunctionResponse,
        trap: &str,
    ) -> Result<(), String> {
        let tag = &request.meta.as_ref().expect("requests carry meta").tag;
        let id = self.wat().map(|wat| inline_id(&wat)).unwrap_or_default();
        let expected = match self {
            Fault::Hello => hello_response(tag),
            Fault::Flood => {
                let (desired, context) = desired_and_context(request);
                json!({"meta": {"tag": tag, "ttl": "60s"}, "desired": desired, "context": context})
            }
            Fault::Trap => fatal_response(request, trap),
            Fault::Loop | Fault::Sleep => fatal_response(
                request,
                &format!(
                    "{id}: exceeded its 100ms deadline; raise input.limits.timeout (server maximum 30s)"
                ),
            ),
            Fault::Bomb => fatal_response(
                request,
                &format!(
                    "{id}: exceeded its memory limit of 16Mi; raise input.limits.memory (server maximum 512Mi)"
                ),
            ),
            Fault::Garbage => fatal_response(
                request,
                &format!(
                    "{id}: its output is not a RunFunctionResponse: expected ident at line 1 column 2; see docs/ABI.md"
                ),
            ),
        };
        let actual = to_json(response);
        if actual == expected {
            Ok(())
        } else {
            Err(format!("{self:?}: expected {expected}, got {actual}"))
        }
    }
}
