//! `loki.write`: sends log entries to Loki's push API, keeping what it accepted in a WAL until every
//! endpoint has it (see `component.rs` for the data flow, `queue.rs` for what is retried and dropped).

pub mod args;
pub mod client;
pub mod codec;
pub mod component;
pub mod metrics;
pub mod queue;

pub use args::Arguments;
pub use component::{Component, NAME};
