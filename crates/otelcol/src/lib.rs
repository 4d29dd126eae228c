//! Alloy's `otelcol.*` components.
