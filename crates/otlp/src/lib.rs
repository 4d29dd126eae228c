//! The OpenTelemetry data plane, what `otelcol.*` components pass between them (as `ingot-logs` is for
//! `loki.*`): OTLP's messages ([`proto`]), one export request of one signal with its item counts and the
//! merging and splitting batches need ([`data`]), OTLP/JSON ([`json`]), and the [`Consumer`] that Alloy's
//! `otelcol.Consumer` capsule wraps, with its [`Fanout`] ([`consumer`]).
//!
//! A consumer takes a whole request or none of it and never blocks: `Full` (the sender keeps the data and
//! offers it again: receivers answer their clients with a retryable error) or `Refused` (counted as
//! refused, with the reason). Nothing is dropped silently.

pub mod consumer;
pub mod data;
pub mod json;
pub mod proto;

pub use consumer::{Consume, ConsumeError, Consumer, Fanout, Observer, Outputs, Refusal};
pub use data::{Data, Logs, Metrics, Signal, Traces};
pub use ingot_logs::receipt::{receipt, Receipt, Token};
