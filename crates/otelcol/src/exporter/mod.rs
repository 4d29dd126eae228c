//! `otelcol.exporter.*` components. `sender.rs` is the queue, retries and counts every network exporter
//! shares (`persistent.rs` its queue on disk, `queued.rs` the component plumbing around it).

pub mod debug;
pub mod loki;
pub mod otlp;
pub mod otlphttp;
pub mod persistent;
pub mod prometheus;
pub mod queued;
pub mod sender;
