//! The one wasmtime engine: Cranelift, epochs, pooling allocator, copy-on-write memory images.

use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig,
};

/// Instances per call: the module itself; nothing else is instantiated.
const INSTANCES_PER_CALL: u32 = 1;
/// Spare pool slots beyond one per concurrent call (`module check`, warm-up).
const SPARE_SLOTS: u32 = 2;

/// Linear memory a slot keeps mapped after a call, reset in place: with `PAGEMAP_SCAN` (Linux
/// 6.7+) only the pages the call dirtied are rewritten, so the next call in the slot takes no page
/// faults and the process no TLB shootdowns for what a typical module touches (a Rust module's
/// 1 MiB stack, its data and the start of its heap). Memory above it is given back after each
/// call, so a memory bomb does not stay resident.
const KEEP_RESIDENT_BYTES: usize = 2 * 1024 * 1024;
/// The same for tables (function references), which are small.
const KEEP_RESIDENT_TABLE_BYTES: usize = 1024 * 1024;

/// Instance slots for `max_concurrency` calls at once: one per call, plus [`SPARE_SLOTS`].
pub(super) fn slots_for(max_concurrency: usize) -> u32 {
    u32::try_from(max_concurrency)
        .unwrap_or(u32::MAX)
        .saturating_mul(INSTANCES_PER_CALL)
        .saturating_add(SPARE_SLOTS)
}

/// Builds the engine with `slots` instances (and memories and tables) in its pool, each with at
/// most `max_memory_bytes` of linear memory.
pub(super) fn new(max_memory_bytes: u64, slots: u32) -> wasmtime::Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_core_instances(slots)
        .total_memories(slots)
        .total_tables(slots)
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
