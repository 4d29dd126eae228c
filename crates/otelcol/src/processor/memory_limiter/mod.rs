//! `otelcol.processor.memory_limiter`: checks the process's resident memory every `check_interval` and,
//! while it is above `limit - spike_limit` (the soft limit), refuses new data with a retryable error
//! (receivers answer 503 / UNAVAILABLE at once), so that a flood cannot push the agent past its limit.
//! Above the hard limit it also asks the allocator to return freed memory to the system, as the collector
//! runs Go's GC. Exports `input`.

pub mod args;
pub mod component;
pub mod usage;

pub use args::Arguments;
pub use component::{Component, NAME};
