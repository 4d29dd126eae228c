//! Prometheus Remote Write: the 1.0 and 2.0 messages, their encoding (protobuf in snappy block format) and
//! the HTTP client with the spec's retry rules. The queue, the WAL and the component live elsewhere
//! (`ingot-wal`, `ingot-prometheus`'s `prometheus.remote_write`).

pub mod client;
pub mod decode;
pub mod encode;
pub mod proto;

pub use client::{Backoff, Client, ClientConfig, Outcome, Protocol, SendError};
pub use encode::ExternalLabels;
