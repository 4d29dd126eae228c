//! `otelcol.exporter.debug`: writes what it receives to ingot's log (or standard output/error), at
//! `verbosity` basic (counts), normal (a line per item) or detailed (everything), with the collector's
//! log sampling. Exports `input`.

pub mod args;
pub mod component;
pub mod text;

pub use args::Arguments;
pub use component::{Component, NAME};
