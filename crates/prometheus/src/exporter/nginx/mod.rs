//! `prometheus.exporter.nginx`: nginx's `stub_status` page as nginx-prometheus-exporter (v1.x) exposes it,
//! with failures that say what is wrong. Alloy has no such component; this one is ingot's own.
//!
//! `args.rs` decodes the block, `component.rs` runs it, `client.rs` fetches the page, `stub_status.rs`
//! parses it and `metrics.rs` turns it into the exporter's families.

mod args;
mod client;
mod component;
mod metrics;
mod stub_status;

pub use args::{Arguments, ScrapeUri, DEFAULT_TIMEOUT};
pub use client::{scrape, ScrapeError};
pub use component::{Component, NAME};
pub use metrics::encode;
pub use stub_status::{parse_stub_status, StubStatus};
