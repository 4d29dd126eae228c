//! `otelcol.storage.file`: a directory that exporters' persistent queues live in (`sending_queue {
//! storage = otelcol.storage.file.x.handler }`). Each exporter keeps its queue in a write-ahead log
//! (`ingot-wal`) under `<directory>/<exporter id>/`. Exports `handler`.

pub mod component;

pub use component::{Arguments, Component, StorageHandler, NAME};
