//! `otelcol.exporter.otlphttp`: sends traces, metrics and logs as OTLP/HTTP `POST`s (protobuf or JSON,
//! gzip by default) to `<client.endpoint>/v1/<signal>` or the per-signal endpoints, through the sending
//! queue with `retry_on_failure`, honouring `Retry-After` on 429 and 503. Exports `input`.

pub mod args;
pub mod component;
pub mod transport;

pub use args::Arguments;
pub use component::{Component, NAME};
