//! `otelcol.processor.*` components (`passthrough.rs`: what processors that change data and pass it on
//! share).

pub mod attributes;
pub mod batch;
pub mod memory_limiter;
pub mod passthrough;
pub mod resourcedetection;
