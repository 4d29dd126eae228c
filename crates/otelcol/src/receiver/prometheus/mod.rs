//! `otelcol.receiver.prometheus`: takes Prometheus samples (it exports `receiver` for `forward_to` lists)
//! and hands them on as OTLP metrics to the `output` block's metrics consumers, grouped as the
//! collector's Prometheus receiver groups a scrape (`convert.rs`).

pub mod component;
pub mod convert;

pub use component::{Arguments, Component, NAME};
