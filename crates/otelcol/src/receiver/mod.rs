//! `otelcol.receiver.*` components.

pub mod loki;
pub mod otlp;
