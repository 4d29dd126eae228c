//! `prometheus.relabel`'s arguments: where to forward, the `rule` blocks, and the cache's bound.

use std::time::Duration;

use ingot_common::receiver::MetricsReceiver;
use ingot_common::relabel::{RuleBlock, Rules};
use ingot_prom::relabel::CacheLimit;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::format_duration;

const MIN_CACHE_TTL: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub forward_to: Vec<MetricsReceiver>,
    pub rules: Rules,
    pub max_cache_size: usize,
    pub cache_ttl: Duration,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let forward_to = d.required("forward_to")?;
        let blocks: Vec<RuleBlock> = d.blocks("rule")?;
        let size: i64 = d.optional_or("max_cache_size", 100_000)?;
        let cache_ttl = d.optional_or("cache_ttl", Duration::ZERO)?;
        if size < 0 {
            return Err(d.error(format!("max_cache_size must be >= 0; got {size}")));
        }
        if size > 0 && !cache_ttl.is_zero() {
            return Err(d.error("max_cache_size and cache_ttl are mutually exclusive: set max_cache_size = 0 to use cache_ttl, or unset cache_ttl to keep the bounded LRU cache"));
        }
        if size == 0 && cache_ttl.is_zero() {
            return Err(d.error("one of max_cache_size or cache_ttl must be set"));
        }
        if !cache_ttl.is_zero() && cache_ttl < MIN_CACHE_TTL {
            return Err(d.error(format!(
                "cache_ttl must be at least {} when set; got {}",
                format_duration(MIN_CACHE_TTL),
                format_duration(cache_ttl)
            )));
        }
        Ok(Arguments {
            forward_to,
            rules: Rules::from_blocks(blocks),
            max_cache_size: size as usize,
            cache_ttl,
        })
    }
}

impl Arguments {
    /// The relabel cache's bound: by size, or by age when `cache_ttl` is set.
    pub fn cache_limit(&self) -> CacheLimit {
        if self.cache_ttl.is_zero() {
            CacheLimit::Size(self.max_cache_size)
        } else {
            CacheLimit::Ttl(self.cache_ttl)
        }
    }
}
