//! `otelcol.processor.batch`: gathers requests into batches of `send_batch_size` items (at most
//! `send_batch_max_size`), sent when full or when `timeout` has passed since the batch began, as the
//! collector's batch processor does. Exports `input`.
//!
//! Unlike the collector, a sender's request is answered only once its batch has been handed on (and
//! stored, where a consumer stores durably), so a batch in memory never holds data a client was told is
//! safe; while the consumers are full the batch keeps at most a bounded number of items and answers its
//! senders "try again".

pub mod args;
pub mod batcher;
pub mod component;

pub use args::Arguments;
pub use component::{Component, NAME};
