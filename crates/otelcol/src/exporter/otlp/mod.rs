//! `otelcol.exporter.otlp`: sends traces, metrics and logs over OTLP/gRPC to the `client` block's
//! endpoint (TLS unless `tls { insecure = true }`, gzip by default, headers and `auth`), through the
//! sending queue with `retry_on_failure` (see `exporter/sender.rs`). Exports `input`.

pub mod args;
pub mod component;
pub mod transport;

pub use args::Arguments;
pub use component::{Component, NAME};
