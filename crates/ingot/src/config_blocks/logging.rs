//! The `logging` block: the agent's own log level and format, and the `loki.*` receivers its lines are
//! also sent to (`write_to`), changeable on reload.

use ingot_common::receiver::LogsReceiver;
use ingot_runtime::config_block::ConfigBlock;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

/// The `logging` block.
#[derive(Clone, Debug, PartialEq)]
pub struct LoggingConfig {
    pub level: String,
    pub format: String,
    /// Where each log line also goes, as an entry labelled `component="alloy"` (Alloy's `lokiWriter`).
    pub write_to: Vec<LogsReceiver>,
}

impl Default for LoggingConfig {
    fn default() -> LoggingConfig {
        LoggingConfig {
            level: "info".into(),
            format: "logfmt".into(),
            write_to: Vec::new(),
        }
    }
}

impl ConfigBlock for LoggingConfig {
    const NAME: &'static str = "logging";
}

impl Decode for LoggingConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let defaults = LoggingConfig::default();
        let level: String = d.optional_or("level", defaults.level)?;
        if !matches!(level.as_str(), "debug" | "info" | "warn" | "error") {
            return Err(d.error_at_attr("level", format!("unrecognized log level {level:?}")));
        }
        let format: String = d.optional_or("format", defaults.format)?;
        if !matches!(format.as_str(), "logfmt" | "json") {
            return Err(d.error_at_attr("format", format!("unrecognized log format {format:?}")));
        }
        let write_to: Vec<LogsReceiver> = d.optional_or("write_to", Vec::new())?;
        let _: String = d.optional_or("destination", "stderr".to_string())?;
        Ok(LoggingConfig {
            level,
            format,
            write_to,
        })
    }
}
