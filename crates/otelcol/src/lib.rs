//! Alloy's `otelcol.*` components on the OpenTelemetry data plane of `ingot-otlp`. Shared blocks live in
//! `config/`, the collector's metrics in `metrics.rs`, the gRPC stubs in `grpc/`.

pub mod auth;
pub mod conditions;
pub mod config;
pub mod grpc;
pub mod metrics;
pub mod receiver;
pub mod storage;
pub mod tls_server;
