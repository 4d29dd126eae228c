//! `otelcol.processor.*` components.
