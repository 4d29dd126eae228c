//! `otelcol.receiver.*` components.

pub mod loki;
pub mod otlp;
pub mod prometheus;
