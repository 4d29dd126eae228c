//! `prometheus.scrape`: scrapes targets over HTTP (or in memory, for ingot's own exporters) with
//! Prometheus' semantics and forwards the samples to receivers. The per-body work (cache, staleness,
//! limits, report series) is `ingot_prom::scrape`; this module adds the transport, one task per
//! target, and health that names the targets that are down.
pub mod args;
pub mod component;
pub mod http;

pub use args::Arguments;
pub use component::{Component, NAME};
