//! `otelcol.processor.*` components.

pub mod batch;
