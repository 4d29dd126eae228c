//! `otelcol.exporter.loki`: OTLP log records into Loki entries for `forward_to` receivers (`loki.write`,
//! `loki.relabel`), as the collector-contrib's Loki translator converts them (`convert.rs`): labels
//! `exporter="OTLP"`, `job` and `instance` from the resource, `level` from the severity, and those the
//! `loki.attribute.labels`, `loki.resource.labels` and `loki.tenant` hints promote; the line as JSON (or
//! logfmt or the raw body, as `loki.format` says). Exports `input`.

pub mod component;
pub mod convert;
pub mod gojson;

pub use component::{Arguments, Component, NAME};
