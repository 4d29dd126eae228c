//! `otelcol.processor.*` components.

pub mod batch;
pub mod memory_limiter;
