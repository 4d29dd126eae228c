//! The config blocks the binary owns: `logging` (applied by the binary's log setup) and `tracing`.

pub mod logging;
pub mod tracing;
