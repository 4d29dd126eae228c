//! `prometheus.relabel`: applies `rule` blocks to every sample passing through and forwards what is
//! kept. Results are cached per incoming label set ([`RelabelCache`](ingot_prom::relabel::RelabelCache):
//! bounded by `max_cache_size`, or by age with `cache_ttl`); a staleness marker removes its series from
//! the cache after passing through.

mod args;
mod component;
mod metrics;

pub use args::Arguments;
pub use component::{Component, NAME};
