//! The config blocks of the one registry: each is known by the registry (nothing hard-coded in the
//! runtime), absent blocks hold their defaults, bad values are diagnostics at file:line:col, and settings
//! ingot cannot honour load with a warning instead of breaking configs written for Alloy.

use std::sync::Arc;

use ingot::config_blocks::logging::LoggingConfig;
use ingot::config_blocks::tracing::TracingConfig;
use ingot_runtime::controller::{Controller, Options};
use ingot_runtime::source::from_text;
use ingot_server::http_block::HttpConfig;
use ingot_server::livedebugging::LiveDebuggingConfig;

fn load(text: &str) -> Result<Arc<Controller>, String> {
    let controller = Controller::new(Arc::new(ingot::registry::registry()), Options::default());
    let (config, diags) = from_text("main.alloy", text);
    assert!(!diags.has_errors(), "{}", diags.render());
    controller.apply(&config).map_err(|d| d.render())?;
    Ok(controller)
}

#[test]
fn absent_blocks_hold_their_defaults() {
    let c = load("").unwrap();
    let blocks = c.config_blocks();
    assert_eq!(blocks.get::<LoggingConfig>(), LoggingConfig::default());
    assert_eq!(blocks.get::<HttpConfig>(), HttpConfig::default());
    assert_eq!(blocks.get::<TracingConfig>().sampling_fraction, 0.1);
    assert!(!blocks.get::<LiveDebuggingConfig>().enabled);
}

#[test]
fn every_block_decodes_through_the_registry() {
    let c = load(
        "logging {\n  level  = \"debug\"\n  format = \"json\"\n}\nlivedebugging {\n  enabled = true\n}\ntracing {\n  sampling_fraction = 0.5\n  write_to          = []\n}\nhttp {}\n",
    )
    .unwrap();
    let blocks = c.config_blocks();
    let logging = blocks.get::<LoggingConfig>();
    assert_eq!(
        (logging.level.as_str(), logging.format.as_str()),
        ("debug", "json")
    );
    assert!(blocks.get::<LiveDebuggingConfig>().enabled);
    assert_eq!(blocks.get::<TracingConfig>().sampling_fraction, 0.5);
}

#[test]
fn bad_values_name_the_place() {
    let err = load("tracing {\n  sampling_fraction = 1.5\n}\n")
        .err()
        .expect("refused");
    assert!(
        err.contains("main.alloy:2:23")
            && err.contains("sampling_fraction must be between 0 and 1"),
        "{err}"
    );
    let err = load("logging {\n  level = \"loud\"\n}\n")
        .err()
        .expect("refused");
    assert!(
        err.contains("main.alloy:2:11") && err.contains("unrecognized log level \"loud\""),
        "{err}"
    );
    let err = load("livedebugging {\n  enabeld = true\n}\n")
        .err()
        .expect("refused");
    assert!(err.contains("main.alloy:2:3"), "{err}");
    let err = load("logging \"x\" {}\n").err().expect("refused");
    assert!(err.contains("logging block must not have a label"), "{err}");
    let err = load("tracking {}\n").err().expect("refused");
    assert!(
        err.contains("cannot find the definition of component name \"tracking\""),
        "{err}"
    );
}
