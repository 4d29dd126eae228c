//! `prometheus.exporter.*` components: each gathers metrics in process and serves them as one
//! scrape target.
pub mod nginx;
pub mod postgres;
pub mod self_;
pub mod target;
pub mod unix;
