//! The `livedebugging` block: Alloy's switch for streaming data from components to the UI's debug pages.
//! ingot has no live debugging yet, so `enabled = true` is accepted (configs written for Alloy keep
//! loading) and warned about by name each time it is loaded.

use ingot_runtime::config_block::ConfigBlock;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

/// `livedebugging { enabled = ... }` (Alloy's default: disabled).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveDebuggingConfig {
    pub enabled: bool,
}

impl ConfigBlock for LiveDebuggingConfig {
    const NAME: &'static str = "livedebugging";
}

impl Decode for LiveDebuggingConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let enabled = d.optional_or("enabled", false)?;
        if enabled {
            tracing::warn!(
                "livedebugging.enabled = true has no effect: ingot has no live debugging yet, so no component streams its data to the UI"
            );
        }
        Ok(LiveDebuggingConfig { enabled })
    }
}
