//! Every component type and config block ingot has, in one explicit list each, in the order of Alloy's
//! reference. A crate adds a type here when it adds a folder; nothing registers itself.

use ingot_runtime::component::{Registration, Registry};
use ingot_runtime::config_block::ConfigBlockRegistration;

/// The registry `ingot run` and `ingot validate` use.
pub fn registry() -> Registry {
    Registry::new(registrations()).with_config_blocks(config_blocks())
}

/// Every config block: the top-level blocks that configure the agent rather than run as components.
pub fn config_blocks() -> Vec<ConfigBlockRegistration> {
    vec![
        ConfigBlockRegistration::of::<ingot_server::http_block::HttpConfig>(),
        ConfigBlockRegistration::of::<ingot_server::livedebugging::LiveDebuggingConfig>(),
        ConfigBlockRegistration::of::<crate::config_blocks::logging::LoggingConfig>(),
        ConfigBlockRegistration::of::<crate::config_blocks::tracing::TracingConfig>(),
    ]
}

/// Every registration of [`registry`], for callers that add test components to them.
pub fn registrations() -> Vec<Registration> {
    use ingot_prometheus::exporter::{nginx, postgres, self_, unix};
    let mut all = vec![
        Registration::of::<ingot_discovery::file::Component>(),
        Registration::of::<ingot_discovery::relabel::Component>(),
        Registration::of::<ingot_local::file_match::Component>(),
        Registration::of::<ingot_loki::echo::Component>(),
        Registration::of::<ingot_loki::process::Component>(),
        Registration::of::<ingot_loki::relabel::Component>(),
        Registration::of::<ingot_loki::source::api::Component>(),
        Registration::of::<ingot_loki::source::file::Component>(),
        Registration::of::<ingot_loki::source::journal::Component>(),
        Registration::of::<ingot_loki::write::Component>(),
        Registration::of::<ingot_otelcol::auth::basic::Component>(),
        Registration::of::<ingot_otelcol::auth::bearer::Component>(),
        Registration::of::<ingot_otelcol::auth::headers::Component>(),
        Registration::of::<ingot_otelcol::exporter::debug::Component>(),
        Registration::of::<ingot_otelcol::exporter::loki::Component>(),
        Registration::of::<ingot_otelcol::exporter::otlp::Component>(),
        Registration::of::<ingot_otelcol::exporter::otlphttp::Component>(),
        Registration::of::<ingot_otelcol::exporter::prometheus::Component>(),
        Registration::of::<ingot_otelcol::processor::attributes::Component>(),
        Registration::of::<ingot_otelcol::processor::batch::Component>(),
        Registration::of::<ingot_otelcol::processor::memory_limiter::Component>(),
        Registration::of::<ingot_otelcol::processor::resourcedetection::Component>(),
        Registration::of::<ingot_otelcol::receiver::loki::Component>(),
        Registration::of::<ingot_otelcol::receiver::otlp::Component>(),
        Registration::of::<ingot_otelcol::receiver::prometheus::Component>(),
        Registration::of::<ingot_otelcol::storage::file::Component>(),
        // Alloy has no nginx exporter; this one is ingot's own (see docs/components).
        Registration::of::<nginx::Component>(),
        Registration::of::<postgres::Component>(),
        Registration::of::<self_::Component>(),
        Registration::of::<unix::Component>(),
        Registration::of::<ingot_prometheus::receive_http::Component>(),
        Registration::of::<ingot_prometheus::relabel::Component>(),
        Registration::of::<ingot_prometheus::remote_write::Component>(),
        Registration::of::<ingot_prometheus::scrape::Component>(),
    ];
    // Components for tests of the binary: none unless built with the `test-hooks` feature.
    all.extend(ingot_loki::test_hooks::registrations());
    all
}
