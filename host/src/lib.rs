//! The WebAssembly host of function-wasmtime: one engine, modules prepared once, a fresh sandboxed
//! instance per call. A crate of its own so that it cannot reach the server, the protocol or
//! Crossplane's types: it runs bytes in and bytes out (the `function-wasmtime` crate re-exports it
//! as `function_wasmtime::host`).
//!
//! A module is a core module (a reactor or a WASI command, which get WASI preview 1 and the `xfn`
//! imports) or a component of the world in `wit/function.wit` (which gets WASI 0.2 and the
//! world's `log`); the host tells them apart from the bytes. WASI grants nothing (no preopened
//! directories, no environment, no arguments, no sockets; clocks and randomness work). Every call
//! runs under a deadline (epoch interruption for wasm code, the clock for the WASI functions that
//! wait), a memory cap and output and log caps ([`Limits`]), on a blocking thread that holds one of
//! the concurrency permits for as long as its instance lives; calls past the bound wait in a queue.

mod abi;
mod command;
mod component;
mod engine;
mod guest;
mod limits;
mod poll;
mod reactor;
mod stdio;
#[cfg(test)]
mod tests;
mod ticker;
pub mod units;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use wasmtime::component::Component;
use wasmtime::{
    InstancePre, Linker, Module, PoolConcurrencyLimitError, Store, Trap, WasmBacktrace,
};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;

pub use abi::describe as describe_extern;
pub use abi::{Abi, AbiMismatch};
pub use limits::Limits;

use crate::units::{format_duration, format_quantity};
use component::{ComponentState, PreparedComponent};
use guest::{GuestState, LogSink, OutOfBounds, OutputTooLarge};
use limits::{MemoryLimitReached, MemoryLimiter};
use poll::CallClock;
use stdio::{CappedPipe, Overflow};
use ticker::EpochTicker;

/// How a module is named in messages: its name and the first 12 hex digits of its sha256.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModuleId {
    /// The name the step used (a bundled or directory module), or `inline` for inline sources.
    pub name: String,
    /// The lowercase hex sha256 of the module's bytes.
    pub digest: String,
}

impl fmt::Display for ModuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = self.digest.get(..12).unwrap_or(&self.digest);
        write!(f, "module \"{}\" (sha256:{short})", self.name)
    }
}

/// A failure of the host: what happened ([`Failure`]) and the module it happened to, named once.
/// Only the host's own start-up failures concern no module.
#[derive(Debug)]
pub struct Error {
    module: Option<ModuleId>,
    failure: Failure,
}

impl Error {
    /// `failure` of `module`.
    pub fn of(module: &ModuleId, failure: Failure) -> Error {
        Error {
            module: Some(module.clone()),
            failure,
        }
    }

    /// A start-up failure, which concerns no module.
    fn start(failure: Failure) -> Error {
        Error {
            module: None,
            failure,
        }
    }

    /// The module the failure concerns; `None` for the host's start-up failures.
    pub fn module(&self) -> Option<&ModuleId> {
        self.module.as_ref()
    }

    /// What happened.
    pub fn failure(&self) -> &Failure {
        &self.failure
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.module, &self.failure) {
            (None, failure) => write!(f, "{failure}"),
            // "module "x" (sha256:…) exports neither …" reads as one sentence.
            (Some(module), Failure::Abi(problem)) => write!(f, "{module} {problem}"),
            (Some(module), failure) => write!(f, "{module}: {failure}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.failure)
    }
}

/// What went wrong when starting the host, or preparing or calling a module. Each message says
/// what happened and what to do; the module's name comes from [`Error`]. Callers turn them into
/// FATAL results, except [`Failure::Unavailable`].
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The engine could not be built (e.g. the pooling allocator could not reserve memory).
    #[error("cannot start the WebAssembly engine")]
    Engine(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The epoch ticker thread could not be started.
    #[error("cannot start the epoch ticker thread")]
    Ticker(#[source] std::io::Error),
    /// The bytes are not a valid WebAssembly module.
    #[error("is not a valid WebAssembly module")]
    Compile(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The module's exports fit no ABI.
    #[error(transparent)]
    Abi(AbiMismatch),
    /// The module imports something the host does not provide.
    #[error("cannot be linked: {reason}; {}", if *is_component {
        "components may import only WASI 0.2 and wasmtime:function/log@1.x (wit/function.wit)"
    } else {
        "modules may import only wasi_snapshot_preview1 and xfn"
    })]
    Link {
        /// The linker's explanation, naming the import.
        reason: String,
        /// Whether the module is a component (its imports are WASI 0.2 interfaces).
        is_component: bool,
    },
    /// The call ran past its deadline and was interrupted.
    #[error("exceeded its {} deadline; raise input.limits.timeout (server maximum {})", format_duration(*timeout), format_duration(*max))]
    DeadlineExceeded {
        /// The deadline in force.
        timeout: Duration,
        /// The server's maximum.
        max: Duration,
    },
    /// The module tried to grow its memory past its cap.
    #[error("exceeded its memory limit of {}; raise input.limits.memory (server maximum {})", format_quantity(*limit_bytes), format_quantity(*max_bytes))]
    MemoryLimit {
        /// The cap in force, in bytes.
        limit_bytes: u64,
        /// The server's maximum, in bytes.
        max_bytes: u64,
    },
    /// The module's output passed the output cap.
    #[error("its output of {len} bytes is over the {max}-byte limit; return a smaller response")]
    OutputTooLarge {
        /// The output's length.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// The module trapped (or a host import failed); the backtrace follows on the next lines.
    #[error("trapped: {message}{}", backtrace.as_deref().map(|b| format!("\n{b}")).unwrap_or_default())]
    Trap {
        /// What the trap says.
        message: String,
        /// The wasm backtrace, when wasmtime captured one.
        backtrace: Option<String>,
    },
    /// A reactor returned a non-zero status; its output is the error message.
    #[error("failed with status {status}: {message}")]
    Status {
        /// The status `xfn_run_v1` returned.
        status: i32,
        /// The module's message.
        message: String,
    },
    /// A component's `run` returned `err`: the module's own message.
    #[error("returned an error: {0}")]
    Returned(String),
    /// A command exited with a non-zero status.
    #[error("exited with status {code}{}", if stderr_tail.is_empty() { String::new() } else { format!("; stderr ends with:\n{stderr_tail}") })]
    Exit {
        /// The exit status.
        code: i32,
        /// The last lines of its stderr.
        stderr_tail: String,
    },
    /// The module finished successfully without producing a response.
    #[error(
        "finished without output; a reactor must call xfn.set_output, a command must write the response to stdout"
    )]
    NoOutput,
    /// Every instance slot was taken, so the call could not start. Not the module's fault: the
    /// server answers UNAVAILABLE and Crossplane retries.
    #[error(
        "cannot start an instance: all {slots} instance slots of this server are in use; retry the call"
    )]
    Unavailable {
        /// Instance slots of the pooling allocator.
        slots: u32,
    },
    /// The host itself failed while running the call (a bug, reported instead of crashing).
    #[error("the host failed while running it: {0}")]
    Internal(String),
}

/// Results of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How the host is sized.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// The largest limits a step may ask for.
    pub maxima: Limits,
    /// Calls that run at once; further calls wait in a queue.
    pub max_concurrency: usize,
}

/// Compiled code of a core module or a component, as [`Host::compile`] makes it and the `.cwasm`
/// cache keeps it.
#[derive(Clone)]
pub enum Compiled {
    /// A core WebAssembly module: a reactor or a WASI command.
    Core(Module),
    /// A component of the world in `wit/function.wit`.
    Component(Component),
}

impl Compiled {
    /// The compiled code as a `.cwasm` image, which `Module::deserialize` or
    /// `Component::deserialize` (as `Engine::detect_precompiled` tells) load again.
    ///
    /// # Errors
    /// When wasmtime cannot serialise it.
    pub fn serialize(&self) -> wasmtime::Result<Vec<u8>> {
        match self {
            Compiled::Core(module) => module.serialize(),
            Compiled::Component(component) => component.serialize(),
        }
    }
}

/// How a module is instantiated for a call.
enum Prepared {
    /// A core module, linked against WASI preview 1 and `xfn`.
    Core(InstancePre<GuestState>),
    /// A component, linked against WASI 0.2 and the world's `log`.
    Component(PreparedComponent),
}

/// A module compiled, checked against the ABI and linked, ready for cheap per-call instantiation.
pub struct LinkedModule {
    id: ModuleId,
    abi: Abi,
    pre: Prepared,
}

impl LinkedModule {
    /// The module's name and digest.
    pub fn id(&self) -> &ModuleId {
        &self.id
    }

    /// The ABI the module speaks.
    pub fn abi(&self) -> Abi {
        self.abi
    }
}

/// The engine, the linker with the host imports, and the call queue. One per process.
pub struct Host {
    engine: wasmtime::Engine,
    linker: Linker<GuestState>,
    component_linker: wasmtime::component::Linker<ComponentState>,
    maxima: Limits,
    permits: Arc<Semaphore>,
    max_concurrency: usize,
    slots: u32,
    _ticker: EpochTicker,
}

impl Host {
    /// Builds the engine (pooling allocator with one slot per concurrent call), the linker and the
    /// epoch ticker.
    ///
    /// # Errors
    /// [`Failure::Engine`] or [`Failure::Ticker`] when the process cannot reserve what they need.
    pub fn new(config: HostConfig) -> Result<Host> {
        let max_concurrency = config.max_concurrency.max(1);
        let slots = engine::slots_for(max_concurrency);
        let engine_failure =
            |e: wasmtime::Error| Error::start(Failure::Engine(e.into_boxed_dyn_error()));
        let engine = engine::new(config.maxima.memory_bytes, slots).map_err(engine_failure)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |state: &mut GuestState| {
            &mut state.wasi
        })
        .and_then(|()| poll::add_to_linker(&mut linker))
        .and_then(|()| guest::add_to_linker(&mut linker))
        .map_err(engine_failure)?;
        let component_linker = component::new_linker(&engine).map_err(engine_failure)?;
        let ticker = EpochTicker::start(&engine).map_err(|e| Error::start(Failure::Ticker(e)))?;
        Ok(Host {
            engine,
            linker,
            component_linker,
            maxima: config.maxima,
            permits: Arc::new(Semaphore::new(max_concurrency)),
            max_concurrency,
            slots,
            _ticker: ticker,
        })
    }

    /// The largest limits a step may ask for.
    pub fn maxima(&self) -> Limits {
        self.maxima
    }

    /// Calls running right now (not those waiting in the queue), including calls whose caller
    /// stopped waiting but whose instance has not finished yet.
    pub fn calls_in_flight(&self) -> usize {
        self.max_concurrency
            .saturating_sub(self.permits.available_permits())
    }

    /// The engine, for compiling and (de)serialising modules.
    pub fn engine(&self) -> &wasmtime::Engine {
        &self.engine
    }

    /// Compiles WebAssembly bytes, a core module or a component (told apart by the binary's
    /// header), with Cranelift. Slow (milliseconds to seconds): cache the result.
    ///
    /// # Errors
    /// [`Failure::Compile`] when the bytes are not a valid module or component, or a component
    /// needs more instances, memories or tables than a call may have.
    pub fn compile(&self, id: &ModuleId, bytes: &[u8]) -> Result<Compiled> {
        let compiled = if wasmparser::Parser::is_component(bytes) {
            Component::from_binary(&self.engine, bytes).map(Compiled::Component)
        } else {
            Module::from_binary(&self.engine, bytes).map(Compiled::Core)
        };
        compiled.map_err(|e| Error::of(id, Failure::Compile(e.into_boxed_dyn_error())))
    }

    /// Checks `compiled` against the ABI and resolves its imports once, for fast instantiation.
    ///
    /// # Errors
    /// [`Failure::Abi`] when its exports fit no ABI (for a component: the world of
    /// `wit/function.wit`), [`Failure::Link`] when it imports anything but WASI preview 1 and `xfn`
    /// (a component: WASI 0.2 and the world's `log`).
    pub fn prepare(&self, id: ModuleId, compiled: &Compiled) -> Result<LinkedModule> {
        let abi_error = |problem| Error::of(&id, Failure::Abi(problem));
        let link_error = |e: wasmtime::Error| {
            let is_component = matches!(compiled, Compiled::Component(_));
            Error::of(
                &id,
                Failure::Link {
                    reason: format!("{e:#}"),
                    is_component,
                },
            )
        };
        let (abi, pre) = match compiled {
            Compiled::Core(module) => {
                let abi = abi::detect(module).map_err(abi_error)?;
                let pre = self.linker.instantiate_pre(module).map_err(link_error)?;
                (abi, Prepared::Core(pre))
            }
            Compiled::Component(component) => {
                let run = component::detect(component).map_err(abi_error)?;
                let pre = self
                    .component_linker
                    .instantiate_pre(component)
                    .map_err(link_error)?;
                (
                    Abi::Component,
                    Prepared::Component(PreparedComponent { pre, run }),
                )
            }
        };
        Ok(LinkedModule { id, abi, pre })
    }

    /// Runs `module` on one request: queues for a permit, then runs on a blocking thread in a fresh
    /// instance under `limits`. See [`Host::call_with`], which this is with the request given and
    /// the output returned as they are.
    ///
    /// # Errors
    /// Every failure of the call, each naming the module: see [`Error`].
    pub async fn call(
        &self,
        module: Arc<LinkedModule>,
        request: Vec<u8>,
        limits: Limits,
    ) -> Result<Vec<u8>> {
        self.call_with(module, limits, move || Ok(request), Ok)
            .await
    }

    /// Runs `module` once: queues for a permit, then, on a blocking thread, makes the request with
    /// `make_request`, runs it in a fresh instance under `limits` and reads the output with
    /// `read_output`.
    ///
    /// Everything a call costs happens under the permit, so the concurrency bound bounds it all:
    /// at most that many requests are being transcoded, run or read at once, and none of that work
    /// runs on the async runtime's threads. The permit moves into the blocking call, so a call
    /// whose caller stops waiting (a client that went away) keeps its permit until its instance is
    /// gone: live instances never outnumber the permits, and queued calls never find the instance
    /// pool exhausted.
    ///
    /// `limits` must already be within [`Host::maxima`]; the step validates that.
    ///
    /// # Errors
    /// What `make_request` or `read_output` return, or every failure of the call (see [`Error`]),
    /// converted into `E`.
    pub async fn call_with<T, E>(
        &self,
        module: Arc<LinkedModule>,
        limits: Limits,
        make_request: impl FnOnce() -> std::result::Result<Vec<u8>, E> + Send + 'static,
        read_output: impl FnOnce(Vec<u8>) -> std::result::Result<T, E> + Send + 'static,
    ) -> std::result::Result<T, E>
    where
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| {
            Error::of(
                &module.id,
                Failure::Internal("the call queue is closed".to_owned()),
            )
        })?;
        let call = Call {
            limits,
            maxima: self.maxima,
            slots: self.slots,
        };
        let id = module.id.clone();
        // The caller's span (e.g. render's step) also frames the module's log lines.
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let _permit = permit;
            let request = make_request()?;
            let output = call.run(&module, &request)?;
            read_output(output)
        })
        .await
        .unwrap_or_else(|join| Err(E::from(Error::of(&id, Failure::Internal(join.to_string())))))
    }
}

/// Why a call did not produce a response, before wasmtime's errors are told apart.
pub(crate) enum CallFailure {
    /// An error from wasmtime: a trap, an interrupt, a memory cap, an output cap.
    Wasm(wasmtime::Error),
    /// Every instance slot was taken.
    NoSlot,
    /// Anything else, already said.
    Failed(Failure),
}

impl From<wasmtime::Error> for CallFailure {
    fn from(error: wasmtime::Error) -> Self {
        CallFailure::Wasm(error)
    }
}

impl From<Failure> for CallFailure {
    fn from(failure: Failure) -> Self {
        CallFailure::Failed(failure)
    }
}

/// Why instantiating failed: every pool slot taken (not the module's fault), or the module's own
/// doing (its start-up trapped, its initial memory is over the limit).
pub(crate) fn instantiation_failure(error: wasmtime::Error) -> CallFailure {
    if error.downcast_ref::<PoolConcurrencyLimitError>().is_some() {
        CallFailure::NoSlot
    } else {
        CallFailure::Wasm(error)
    }
}

/// A trap the host raises itself (no wasm backtrace).
pub(crate) fn host_trap(message: impl Into<String>) -> Failure {
    Failure::Trap {
        message: message.into(),
        backtrace: None,
    }
}

/// What a call runs under: its limits, and the server's, for messages.
struct Call {
    limits: Limits,
    maxima: Limits,
    slots: u32,
}

impl Call {
    /// Runs `module` on `request` in a fresh instance; the caller holds a permit until it returns.
    fn run(&self, module: &LinkedModule, request: &[u8]) -> Result<Vec<u8>> {
        let outcome = match &module.pre {
            Prepared::Core(pre) => self.run_core(module, pre, request),
            Prepared::Component(prepared) => {
                component::call(prepared, &module.id, self.limits, request)
            }
        };
        outcome.map_err(|failure| Error::of(&module.id, self.classify(failure)))
    }

    /// Runs a core module (a reactor or a command) on `request` in a fresh instance of `pre`.
    fn run_core(
        &self,
        module: &LinkedModule,
        pre: &InstancePre<GuestState>,
        request: &[u8],
    ) -> Result<Vec<u8>, CallFailure> {
        let limits = self.limits;
        let stderr = CappedPipe::new(limits.max_log_bytes, Overflow::Drop);
        let stdout = CappedPipe::new(limits.max_output_bytes, Overflow::Trap);
        let started = Instant::now();
        let mut wasi = WasiCtxBuilder::new();
        wasi.stderr(stderr.clone())
            .monotonic_clock(CallClock::new(started));
        if module.abi == Abi::Command {
            wasi.stdin(MemoryInputPipe::new(request.to_vec()))
                .stdout(stdout.clone());
        }
        let state = GuestState {
            wasi: wasi.build_p1(),
            limiter: MemoryLimiter::new(limits.memory_bytes),
            output: None,
            max_output_bytes: limits.max_output_bytes,
            log: LogSink::new(module.id.name.as_str().into(), limits.max_log_bytes),
            started,
            deadline: started.checked_add(limits.timeout).unwrap_or(started),
        };
        let mut store = Store::new(pre.module().engine(), state);
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(ticker::ticks_for(limits.timeout));
        store.epoch_deadline_trap();

        let outcome = match pre.instantiate(&mut store) {
            // A core module is a reactor or a command (`Host::prepare`).
            Ok(instance) => match module.abi {
                Abi::Reactor => reactor::call(&mut store, &instance, request),
                _ => command::call(&mut store, &instance, &stdout, &stderr),
            },
            Err(error) => Err(instantiation_failure(error)),
        };
        store.data_mut().log.emit_stderr(&stderr.contents());
        outcome
    }

    /// Says what happened, telling deadlines, memory bombs and big outputs apart.
    fn classify(&self, failure: CallFailure) -> Failure {
        let (limits, maxima) = (self.limits, self.maxima);
        let error = match failure {
            CallFailure::Wasm(error) => error,
            CallFailure::NoSlot => return Failure::Unavailable { slots: self.slots },
            CallFailure::Failed(failure) => return failure,
        };
        if error.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            return Failure::DeadlineExceeded {
                timeout: limits.timeout,
                max: maxima.timeout,
            };
        }
        if error.downcast_ref::<MemoryLimitReached>().is_some() {
            return Failure::MemoryLimit {
                limit_bytes: limits.memory_bytes,
                max_bytes: maxima.memory_bytes,
            };
        }
        if let Some(big) = error.downcast_ref::<OutputTooLarge>() {
            return Failure::OutputTooLarge {
                len: big.len,
                max: big.max,
            };
        }
        let message = match (
            error.downcast_ref::<Trap>(),
            error.downcast_ref::<OutOfBounds>(),
        ) {
            (Some(trap), _) => trap.to_string(),
            (None, Some(bounds)) => bounds.to_string(),
            (None, None) => format!("{error:#}"),
        };
        let backtrace = error
            .downcast_ref::<WasmBacktrace>()
            .map(|b| b.to_string().trim_end().to_owned())
            .filter(|b| !b.is_empty());
        Failure::Trap { message, backtrace }
    }
}
