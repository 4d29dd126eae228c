//! Alloy's `otelcol.*` components on the OpenTelemetry data plane of `ingot-otlp`: `receiver/otlp/`,
//! `processor/batch/`, `exporter/{otlp,otlphttp,debug}/` (with `exporter/sender.rs`, the queue, retries
//! and counts every network exporter shares, `exporter/persistent.rs`, the queue on disk, and
//! `exporter/queued.rs`, the component plumbing around them),
//! `auth/{basic,bearer,headers}/`, `storage/file/`. Shared blocks live in `config/`, the collector's
//! metrics in `metrics.rs`, the gRPC stubs in `grpc/`.

pub mod auth;
pub mod conditions;
pub mod config;
pub mod exporter;
pub mod grpc;
pub mod livedebug;
pub mod metrics;
pub mod processor;
pub mod receiver;
pub mod storage;
pub mod tls_server;
