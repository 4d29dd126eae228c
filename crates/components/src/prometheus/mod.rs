//! Components in Alloy's `prometheus.*` namespace.
pub mod exporter;
pub mod receive_http;
pub mod receiver;
pub mod relabel;
pub mod remote_write;
pub mod scrape;
