//! ingot components, one folder per component, named like the component: `prometheus.exporter.unix` lives in
//! `src/prometheus/exporter/unix/`.

pub mod prometheus;

use ingot_runtime::component::{Registration, Registry, Stability};

/// Every component type ingot has, in one explicit list.
pub fn registry() -> Registry {
    use prometheus::exporter::unix;
    Registry::new(vec![Registration::of::<unix::component::Component>(
        unix::component::NAME,
        Stability::GenerallyAvailable,
    )])
}
