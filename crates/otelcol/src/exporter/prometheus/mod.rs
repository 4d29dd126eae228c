//! `otelcol.exporter.prometheus`: OTLP metrics into Prometheus samples for `forward_to` receivers
//! (`prometheus.remote_write`, `prometheus.relabel`), with the Prometheus translation rules for names,
//! units, suffixes, `target_info` and resource attributes (`names.rs`, `convert.rs`). Exports `input`.

pub mod args;
pub mod component;
pub mod convert;
pub mod names;

pub use args::Arguments;
pub use component::{Component, NAME};
