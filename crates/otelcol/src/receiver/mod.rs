//! `otelcol.receiver.*` components.

pub mod otlp;
