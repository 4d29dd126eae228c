//! `prometheus.exporter.postgres`: postgres_exporter v0.20's default collectors and legacy metrics, in
//! process, over one kept connection per data source, with failures that name the server and quote it.
//!
//! `args.rs` decodes the block, `component.rs` runs it, `exporter.rs` holds the connections and runs the
//! collectors (`collectors/`, one file each), `dsn.rs` reads data source names, `user_queries.rs` the
//! custom queries file.

mod args;
pub mod collectors;
mod component;
pub mod dsn;
pub mod exporter;
pub mod user_queries;

pub use args::{Arguments, AutoDiscovery, StatStatements, DSN_ENV};
pub use component::{Component, NAME};
pub use exporter::{PostgresExporter, Report, Settings};
