//! Components in Alloy's `prometheus.*` namespace, one folder per component spelled like it:
//! `prometheus.exporter.unix` is `src/exporter/unix/`, `prometheus.remote_write` is `src/remote_write/`.

pub mod exporter;
pub mod fanout;
pub mod livedebug;
pub mod receive_http;
pub mod relabel;
pub mod remote_write;
pub mod scrape;
