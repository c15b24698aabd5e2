//! Each module prepared once: one detached compile per module, its outcome (the prepared module or
//! why it cannot be one) kept for every later request, and inline compiles bounded.
//!
//! - **One compile per module.** The first request for a module starts its compile; every other
//!   request for it, at the same time or later, waits for that compile's outcome.
//! - **Detached.** The compile runs on a blocking thread to its end whether or not anyone still
//!   waits: a first caller that goes away does not cost a second compile.
//! - **Failures are remembered.** A module that does not compile, is over the inline caps, or fits
//!   neither ABI fails the same way every time, so later requests get the same error without
//!   compiling again. Failures that may not repeat (a file that changed or could not be read) are
//!   forgotten.
//! - **Request modules' compiles are bounded.** At most [`default_inline_compiles`] inline or
//!   pulled modules compile at once; others wait their turn. Bundled and `--modules-dir` modules
//!   are the operator's and compile without waiting for them.
//! - **Named modules stay.** Bundled and `--modules-dir` modules are kept for the life of the
//!   process (a modules-dir file that changes replaces its old entry); inline and pulled modules
//!   are kept while among the [`MAX_INLINE_KEPT`] most recently used.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{OnceCell, Semaphore, watch};

use super::cache::CompileCache;
use super::{Error, ModuleBytes, Result, validate};
use crate::host::{self, Host, LinkedModule, ModuleId};

/// Inline and pulled modules kept prepared, or failed, in memory; past this, the least recently
/// used one is dropped (and compiled again should a request bring it back).
pub const MAX_INLINE_KEPT: usize = 128;

/// Inline modules that compile at once when the registry is not told otherwise: half the CPUs,
/// at least one, so compiles from requests never take every core from running calls.
pub fn default_inline_compiles() -> usize {
    std::thread::available_parallelism().map_or(1, |cpus| (cpus.get() / 2).max(1))
}

/// Where a module comes from, which decides how it is compiled and kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    /// Bundled, or a `--modules-dir` file: the operator's. Compiled at once, kept for good, its
    /// compiled code written to the `.cwasm` cache.
    Named,
    /// Carried in a request: checked by [`validate::check`] first, compiled under the inline
    /// bound, kept while recently used, never written to disk.
    Inline,
    /// Pulled from a registry a step named: a Composition author's, like an inline module, but
    /// content-addressed and bounded by the pull's size cap, so its compiled code is cached.
    Pulled,
}

impl Origin {
    /// Whether the operator installed it (bundled or `--modules-dir`), rather than a step.
    fn is_operators(self) -> bool {
        self == Origin::Named
    }
}

/// What preparing one module came to, shared by every request for it.
type CompileResult = Result<Arc<LinkedModule>, Arc<Error>>;

/// One module's place in the registry.
struct Entry {
    origin: Origin,
    last_used: u64,
    /// Set by whoever starts the compile; the compile sends its outcome there.
    compile: Arc<OnceCell<watch::Receiver<Option<CompileResult>>>>,
}

/// The entries and a counter that orders their uses.
#[derive(Default)]
struct Entries {
    by_module: HashMap<ModuleId, Entry>,
    uses: u64,
}

/// Compiles modules once each and keeps the outcomes.
pub(super) struct Compiler {
    host: Arc<Host>,
    /// Where compiled code is looked for, in order (precompiled modules first); compiles are
    /// written to each (a precompiled directory ignores the write).
    caches: Vec<CompileCache>,
    inline_permits: Arc<Semaphore>,
    compiles: Arc<AtomicU64>,
    entries: Mutex<Entries>,
}

impl Compiler {
    /// A compiler for `host`, caching named modules' code in `cache`, compiling at most
    /// `inline_compiles` inline modules at once.
    pub(super) fn new(
        host: Arc<Host>,
        cache: Option<CompileCache>,
        inline_compiles: usize,
    ) -> Compiler {
        Compiler {
            host,
            caches: cache.into_iter().collect(),
            inline_permits: Arc::new(Semaphore::new(inline_compiles.max(1))),
            compiles: Arc::new(AtomicU64::new(0)),
            entries: Mutex::new(Entries::default()),
        }
    }

    /// Looks for compiled code in `precompiled` before the other caches.
    pub(super) fn add_precompiled(&mut self, precompiled: CompileCache) {
        self.caches.insert(0, precompiled);
    }

    /// The outcome for `id` when its compile has finished: the prepared module, or the failure
    /// that would repeat. Lets a caller skip fetching bytes it will not need.
    pub(super) fn finished(&self, id: &ModuleId) -> Option<Result<Arc<LinkedModule>>> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.uses += 1;
        let now = entries.uses;
        let entry = entries.by_module.get_mut(id)?;
        entry.last_used = now;
        let outcome = entry.compile.get()?.borrow().clone()?;
        Some(outcome.map_err(Error::Shared))
    }

    /// Cranelift compiles started so far (loads from the `.cwasm` cache and modules refused by the
    /// inline caps do not count).
    pub(super) fn compiles(&self) -> u64 {
        self.compiles.load(Ordering::Relaxed)
    }

    /// The prepared module `id`: from an earlier compile of it, or from compiling `bytes`.
    ///
    /// # Errors
    /// Why the module cannot be prepared; the same error each time for a module that fails the
    /// same way each time.
    pub(super) async fn prepare(
        &self,
        id: ModuleId,
        origin: Origin,
        bytes: ModuleBytes<'_>,
    ) -> Result<Arc<LinkedModule>> {
        let cell = self.entry(&id, origin);
        let receiver = cell
            .get_or_init(|| self.start(id.clone(), origin, bytes))
            .await
            .clone();
        match wait(receiver, &id).await {
            Ok(module) => Ok(module),
            Err(error) => {
                if !is_lasting(&error) {
                    self.forget(&id, &cell);
                }
                Err(Error::Shared(error))
            }
        }
    }

    /// The entry for `id`, made when new. Making one may drop the least recently used inline
    /// entry, or the entry a changed modules-dir file had under its old digest.
    fn entry(
        &self,
        id: &ModuleId,
        origin: Origin,
    ) -> Arc<OnceCell<watch::Receiver<Option<CompileResult>>>> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.uses += 1;
        let now = entries.uses;
        if let Some(entry) = entries.by_module.get_mut(id) {
            entry.last_used = now;
            return entry.compile.clone();
        }
        match origin {
            Origin::Inline | Origin::Pulled => {
                let inline = entries
                    .by_module
                    .iter()
                    .filter(|(_, entry)| !entry.origin.is_operators());
                if inline.clone().count() >= MAX_INLINE_KEPT {
                    let oldest = inline
                        .min_by_key(|(_, entry)| entry.last_used)
                        .map(|(id, _)| id.clone());
                    if let Some(oldest) = oldest {
                        entries.by_module.remove(&oldest);
                    }
                }
            }
            Origin::Named => entries
                .by_module
                .retain(|known, entry| entry.origin != Origin::Named || known.name != id.name),
        }
        let compile = Arc::new(OnceCell::new());
        entries.by_module.insert(
            id.clone(),
            Entry {
                origin,
                last_used: now,
                compile: compile.clone(),
            },
        );
        compile
    }

    /// Drops the entry for `id` if it is still `cell`, so the next request tries again.
    fn forget(&self, id: &ModuleId, cell: &Arc<OnceCell<watch::Receiver<Option<CompileResult>>>>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries
            .by_module
            .get(id)
            .is_some_and(|entry| Arc::ptr_eq(&entry.compile, cell))
        {
            entries.by_module.remove(id);
        }
    }

    /// Starts compiling `id` on a blocking thread once an inline module has its turn; returns
    /// where its outcome will be.
    async fn start(
        &self,
        id: ModuleId,
        origin: Origin,
        bytes: ModuleBytes<'_>,
    ) -> watch::Receiver<Option<CompileResult>> {
        // Waiting for a turn is the only await: a caller that goes away before it has one starts
        // nothing, and the next caller for the module takes over. The semaphore is never closed.
        let turn = match origin {
            Origin::Inline | Origin::Pulled => {
                self.inline_permits.clone().acquire_owned().await.ok()
            }
            Origin::Named => None,
        };
        let (sender, receiver) = watch::channel(None);
        let job = Job {
            host: self.host.clone(),
            caches: match origin {
                Origin::Named | Origin::Pulled => self.caches.clone(),
                Origin::Inline => Vec::new(),
            },
            compiles: self.compiles.clone(),
            origin,
        };
        let bytes = bytes.into_owned();
        // A blocking task runs to its end even when nobody awaits it: the compile is detached.
        tokio::task::spawn_blocking(move || {
            let outcome = job.run(id, bytes).map(Arc::new).map_err(Arc::new);
            drop(turn);
            sender.send_replace(Some(outcome));
        });
        receiver
    }
}

/// The outcome the compile sends to `receiver`.
async fn wait(
    mut receiver: watch::Receiver<Option<CompileResult>>,
    id: &ModuleId,
) -> CompileResult {
    let stopped = || {
        Err(Arc::new(Error::from(host::Error::of(
            id,
            host::Failure::Internal("its compile stopped without a result".to_owned()),
        ))))
    };
    match receiver.wait_for(Option::is_some).await {
        Ok(outcome) => outcome.clone().unwrap_or_else(stopped),
        Err(_) => stopped(),
    }
}

/// Whether preparing the same bytes again would fail the same way.
fn is_lasting(error: &Error) -> bool {
    match error {
        Error::TooComplex { .. } => true,
        Error::Host(error) => matches!(
            error.failure(),
            host::Failure::Compile(_) | host::Failure::Abi(_) | host::Failure::Link { .. }
        ),
        _ => false,
    }
}

/// One compile, run on a blocking thread.
struct Job {
    host: Arc<Host>,
    caches: Vec<CompileCache>,
    compiles: Arc<AtomicU64>,
    origin: Origin,
}

impl Job {
    /// Loads the compiled code from the cache, or checks and compiles `bytes`, then prepares it.
    fn run(&self, id: ModuleId, bytes: ModuleBytes<'static>) -> Result<LinkedModule> {
        let started = Instant::now();
        let engine = self.host.engine();
        let cached = self
            .caches
            .iter()
            .find_map(|cache| cache.load(engine, &id.digest));
        let from_cache = cached.is_some();
        let compiled = match cached {
            Some(compiled) => compiled,
            None => {
                let bytes = bytes.load(&id)?;
                if !self.origin.is_operators() {
                    validate::check(&bytes).map_err(|problem| Error::TooComplex {
                        module: id.clone(),
                        problem,
                    })?;
                }
                self.compiles.fetch_add(1, Ordering::Relaxed);
                let compiled = self.host.compile(&id, &bytes)?;
                for cache in &self.caches {
                    cache.store(engine, &id.digest, &compiled);
                }
                compiled
            }
        };
        let loaded = self.host.prepare(id, &compiled)?;
        tracing::info!(
            module = %loaded.id(),
            abi = %loaded.abi(),
            from_cache,
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "module ready"
        );
        Ok(loaded)
    }
}
