//! The one wasmtime engine: Cranelift, epochs, pooling allocator, copy-on-write memory images.

use wasmtime::{Config, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig};

/// Instances per call: the module itself; nothing else is instantiated.
const INSTANCES_PER_CALL: u32 = 1;
/// Spare pool slots beyond one per concurrent call (`module check`, warm-up).
const SPARE_SLOTS: u32 = 2;

/// Builds the engine, sized for `max_concurrency` calls at once, each with at most
/// `max_memory_bytes` of linear memory.
pub(super) fn new(max_memory_bytes: u64, max_concurrency: usize) -> wasmtime::Result<Engine> {
    let calls = u32::try_from(max_concurrency).unwrap_or(u32::MAX);
    let slots = calls
        .saturating_mul(INSTANCES_PER_CALL)
        .saturating_add(SPARE_SLOTS);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_core_instances(slots)
        .total_memories(slots)
        .total_tables(slots)
        .max_memory_size(usize::try_from(max_memory_bytes).unwrap_or(usize::MAX));

    let mut config = Config::new();
    config
        .cranelift_opt_level(OptLevel::Speed)
        .epoch_interruption(true)
        .memory_init_cow(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config)
}
