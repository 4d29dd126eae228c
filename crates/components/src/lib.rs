//! ingot components, one folder per component, named like the component: `prometheus.exporter.unix` lives in
//! `src/prometheus/exporter/unix/`.

pub mod prometheus;

use ingot_runtime::component::{Registration, Registry, Stability};

/// Every component type ingot has, in one explicit list.
pub fn registry() -> Registry {
    use prometheus::exporter::{nginx, postgres, unix};
    Registry::new(vec![
        Registration::of::<unix::component::Component>(
            unix::component::NAME,
            Stability::GenerallyAvailable,
        ),
        Registration::of::<postgres::component::Component>(
            postgres::component::NAME,
            Stability::GenerallyAvailable,
        ),
        // Alloy has no nginx exporter; this one is ingot's own (see docs/components).
        Registration::of::<nginx::component::Component>(
            nginx::component::NAME,
            Stability::GenerallyAvailable,
        ),
    ])
}
