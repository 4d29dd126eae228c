//! Every component type ingot has, in one explicit list, in the order of Alloy's component reference.
//! A component crate adds a type here when it adds a folder; nothing registers itself.

use ingot_runtime::component::{Registration, Registry};

/// The registry `ingot run` and `ingot validate` use.
pub fn registry() -> Registry {
    Registry::new(registrations())
}

/// Every registration of [`registry`], for callers that add test components to them.
pub fn registrations() -> Vec<Registration> {
    use ingot_prometheus::exporter::{nginx, postgres, unix};
    vec![
        Registration::of::<ingot_discovery::file::Component>(),
        Registration::of::<ingot_discovery::relabel::Component>(),
        // Alloy has no nginx exporter; this one is ingot's own (see docs/components).
        Registration::of::<nginx::Component>(),
        Registration::of::<postgres::Component>(),
        Registration::of::<unix::Component>(),
        Registration::of::<ingot_prometheus::receive_http::Component>(),
        Registration::of::<ingot_prometheus::relabel::Component>(),
        Registration::of::<ingot_prometheus::remote_write::Component>(),
        Registration::of::<ingot_prometheus::scrape::Component>(),
    ]
}
