//! `prometheus.exporter.postgres`: postgres_exporter v0.20's default collectors and legacy metrics, in
//! process, over one kept connection per data source, with failures that name the server and quote it.

pub mod collectors;
pub mod component;
pub mod dsn;
pub mod exporter;
pub mod user_queries;

pub use exporter::{PostgresExporter, Report, Settings};
