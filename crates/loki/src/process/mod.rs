//! `loki.process`: runs each entry through a pipeline of `stage.*` blocks (parsing lines into an extracted
//! map, setting labels, timestamps and structured metadata, rewriting or dropping lines, joining multiline
//! records) and forwards what comes out; exports its `receiver`.
//!
//! `args.rs` decodes and checks every stage (a stage ingot lacks is refused by name, never ignored);
//! `pipeline.rs` is the synchronous stage chain with its extracted map (`value.rs`); `component.rs` takes
//! entries, runs them and hands the result to a [`ingot_logs::Fanout`], holding one batch for a full
//! receiver; `metrics.rs` the per-stage metrics Alloy registers; one file per stage under `stages/`.

pub mod args;
pub mod component;
pub mod jmespath;
pub mod json_doc;
pub mod logql;
pub mod lru;
pub mod metrics;
pub mod pipeline;
pub mod stages;
pub mod value;

pub use args::{Arguments, StageConfig};
pub use component::{Component, NAME};
