//! The `logging` block: the agent's own log level and format, changeable on reload.

use ingot_runtime::config_block::ConfigBlock;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;

/// The `logging` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggingConfig {
    pub level: String,
    pub format: String,
}

impl Default for LoggingConfig {
    fn default() -> LoggingConfig {
        LoggingConfig {
            level: "info".into(),
            format: "logfmt".into(),
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
        // `write_to` forwards logs to loki components, which ingot does not have yet; accept an empty list.
        let write_to: Vec<Value> = d.optional_or("write_to", Vec::new())?;
        if !write_to.is_empty() {
            return Err(d.error_at_attr(
                "write_to",
                "ingot cannot forward its own logs to components yet",
            ));
        }
        let _: String = d.optional_or("destination", "stderr".to_string())?;
        Ok(LoggingConfig { level, format })
    }
}
