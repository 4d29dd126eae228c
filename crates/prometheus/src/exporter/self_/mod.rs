//! `prometheus.exporter.self`: the agent's own metrics (what `/metrics` serves) as one scrape target,
//! `job="integrations/self"`, so that a config can scrape the agent like any exporter.
//!
//! `args.rs` decodes the (empty) block, `component.rs` runs it, `handler.rs` counts the endpoint's
//! requests as client_golang's `promhttp.Handler()` does, and `process.rs` is the agent's process
//! collector (`process_*`, `alloy_resources_*`), which the binary adds to `/metrics` at start-up and
//! which this component therefore serves too.

mod args;
mod component;
mod handler;
mod process;

pub use args::Arguments;
pub use component::{Component, NAME};
pub use handler::HandlerMetrics;
pub use process::ProcessCollector;
