//! The one wasmtime engine: Cranelift, epochs, pooling allocator, copy-on-write memory images;
//! core modules and components alike.

use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig,
};

/// Spare pool slots beyond one per concurrent call (`module check`, warm-up).
const SPARE_SLOTS: u32 = 2;

/// Core instances one call may create: a core module is one; a component is several (a
/// componentize-py component instantiates 16: libc, libpython, its runtime, WASI adapters and
/// shims; a componentize-js one 5). A component needing more is refused when it is compiled.
const CORE_INSTANCES_PER_CALL: u32 = 32;
/// Linear memories one call may have: a core module has one, the components of componentize-py
/// and componentize-js one each (their libraries import it).
const MEMORIES_PER_CALL: u32 = 2;
/// Tables one call may have: a core module has at most one, the components above two.
const TABLES_PER_CALL: u32 = 4;

/// Linear memory a slot keeps mapped after a call, reset in place: with `PAGEMAP_SCAN` (Linux
/// 6.7+) only the pages the call dirtied are rewritten, so the next call in the slot takes no page
/// faults and the process no TLB shootdowns for what a typical module touches (a Rust module's
/// 1 MiB stack, its data and the start of its heap). Memory above it is given back after each
/// call, so a memory bomb does not stay resident.
const KEEP_RESIDENT_BYTES: usize = 2 * 1024 * 1024;
/// The same for tables (function references), which are small.
const KEEP_RESIDENT_TABLE_BYTES: usize = 1024 * 1024;

/// Call slots for `max_concurrency` calls at once: one per call, plus [`SPARE_SLOTS`].
pub(super) fn slots_for(max_concurrency: usize) -> u32 {
    u32::try_from(max_concurrency)
        .unwrap_or(u32::MAX)
        .saturating_add(SPARE_SLOTS)
}

/// Builds the engine with room in its pool for `slots` calls at once, each of a core module or a
/// component within the per-call counts above, each memory of at most `max_memory_bytes`.
pub(super) fn new(max_memory_bytes: u64, slots: u32) -> wasmtime::Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(slots)
        .total_core_instances(slots.saturating_mul(CORE_INSTANCES_PER_CALL))
        .total_memories(slots.saturating_mul(MEMORIES_PER_CALL))
        .total_tables(slots.saturating_mul(TABLES_PER_CALL))
        .max_core_instances_per_component(CORE_INSTANCES_PER_CALL)
        .max_memories_per_component(MEMORIES_PER_CALL)
        .max_tables_per_component(TABLES_PER_CALL)
        .max_memory_size(usize::try_from(max_memory_bytes).unwrap_or(usize::MAX))
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(KEEP_RESIDENT_TABLE_BYTES)
        .pagemap_scan(Enabled::Auto);

    let mut config = Config::new();
    config
        .cranelift_opt_level(OptLevel::Speed)
        .epoch_interruption(true)
        .memory_init_cow(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config)
}
