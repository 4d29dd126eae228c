//! `otelcol.exporter.*` components.

pub mod debug;
pub mod persistent;
pub mod sender;
