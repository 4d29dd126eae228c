//! `otelcol.receiver.loki`: takes Loki entries (it exports `receiver` for `forward_to` lists) and hands
//! them on as OTLP log records to the `output` block's logs consumers, as Alloy converts them: the line as
//! the body, each stream label (and structured metadata) as an attribute, `loki.attribute.labels` naming
//! the labels (so `otelcol.exporter.loki` makes them labels again), and `log.file.path` /
//! `log.file.name` from `filename`.

pub mod component;

pub use component::{Arguments, Component, NAME};
