//! `otelcol.processor.attributes`: changes the attributes of spans, log records and metric data points
//! with `action` blocks (insert, update, upsert, delete, hash, extract, convert), in order, for the items
//! that `include` selects and `exclude` does not. Exports `input`.

pub mod actions;
pub mod args;
pub mod component;
pub mod matching;

pub use args::Arguments;
pub use component::{Component, NAME};
