//! ingot components, one folder per component, named like the component: `prometheus.exporter.unix` lives in
//! `src/prometheus/exporter/unix/`.

pub mod common;
pub mod discovery;
pub mod prometheus;

use ingot_runtime::component::{Registration, Registry, Stability};

/// Every component type ingot has, in one explicit list.
pub fn registry() -> Registry {
    Registry::new(registrations())
}

/// [`registry`] plus `extra` types (tests add their sinks and sources this way).
pub fn registry_with(extra: Vec<Registration>) -> Registry {
    let mut all = registrations();
    all.extend(extra);
    Registry::new(all)
}

fn registrations() -> Vec<Registration> {
    use prometheus::exporter::{nginx, postgres, unix};
    vec![
        Registration::of::<discovery::file::Component>(
            discovery::file::NAME,
            Stability::GenerallyAvailable,
        ),
        Registration::of::<discovery::relabel::Component>(
            discovery::relabel::NAME,
            Stability::GenerallyAvailable,
        ),
        Registration::of::<prometheus::relabel::Component>(
            prometheus::relabel::NAME,
            Stability::GenerallyAvailable,
        ),
        Registration::of::<prometheus::scrape::component::Component>(
            prometheus::scrape::component::NAME,
            Stability::GenerallyAvailable,
        ),
        Registration::of::<unix::component::Component>(
            unix::component::NAME,
            Stability::GenerallyAvailable,
        ),
        Registration::of::<postgres::component::Component>(
            postgres::component::NAME,
            Stability::GenerallyAvailable,
        ),
        Registration::of::<prometheus::receive_http::Component>(
            prometheus::receive_http::NAME,
            Stability::GenerallyAvailable,
        ),
        Registration::of::<prometheus::remote_write::Component>(
            prometheus::remote_write::NAME,
            Stability::GenerallyAvailable,
        ),
        // Alloy has no nginx exporter; this one is ingot's own (see docs/components).
        Registration::of::<nginx::component::Component>(
            nginx::component::NAME,
            Stability::GenerallyAvailable,
        ),
    ]
}
