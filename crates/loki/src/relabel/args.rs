//! `loki.relabel`'s arguments (`internal/component/loki/relabel/relabel.go`): where to forward, the `rule`
//! blocks, and the cache's size.

use ingot_common::receiver::LogsReceiver;
use ingot_common::relabel::{RuleBlock, Rules};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

/// Alloy's `DefaultArguments.MaxCacheSize`.
pub const DEFAULT_MAX_CACHE_SIZE: i64 = 10_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub forward_to: Vec<LogsReceiver>,
    pub rules: Rules,
    /// Label sets whose results the cache holds (positive: Alloy's LRU refuses any other size).
    pub max_cache_size: usize,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let forward_to = d.required("forward_to")?;
        let blocks: Vec<RuleBlock> = d.blocks("rule")?;
        let size: i64 = d.optional_or("max_cache_size", DEFAULT_MAX_CACHE_SIZE)?;
        if size <= 0 {
            // hashicorp/golang-lru's message, which Alloy returns from building the component.
            return Err(d.error_at_attr("max_cache_size", "must provide a positive size"));
        }
        Ok(Arguments {
            forward_to,
            rules: Rules::from_blocks(blocks),
            max_cache_size: size as usize,
        })
    }
}
