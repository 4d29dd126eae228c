//! `otelcol.receiver.otlp`: OTLP over gRPC (`grpc` block, default `0.0.0.0:4317`) and HTTP (`http`
//! block, default `0.0.0.0:4318`: `/v1/traces`, `/v1/metrics`, `/v1/logs`, protobuf or JSON, gzip, zstd,
//! zlib, deflate or snappy bodies) into the `output` block's consumers. A protocol listens only when its
//! block is present, as in Alloy.
//!
//! A request is answered once every consumer took it: malformed bodies get 400 / `INVALID_ARGUMENT`,
//! consumers that stay full 503 with `Retry-After` / `UNAVAILABLE` (the client sends again, nothing is
//! lost), and the items are counted in `otelcol_receiver_{accepted,refused}_*_total`.

pub mod args;
pub mod component;
pub mod decode;
pub mod grpc;
pub mod http;

pub use args::Arguments;
pub use component::{Component, NAME};
