//! The `tracing` block: Alloy's sampling of its own traces, sent to `otelcol` components. ingot does not
//! trace itself, so the block is accepted (configs written for Alloy keep loading) and any setting that
//! would send traces is warned about by name.

use ingot_runtime::config_block::ConfigBlock;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;

/// `tracing { sampling_fraction = ..., write_to = [...] }`.
#[derive(Clone, Debug, PartialEq)]
pub struct TracingConfig {
    pub sampling_fraction: f64,
    /// How many `otelcol` consumers the block names.
    pub write_to: usize,
}

impl Default for TracingConfig {
    fn default() -> TracingConfig {
        // Alloy's default sampling fraction.
        TracingConfig {
            sampling_fraction: 0.1,
            write_to: 0,
        }
    }
}

impl ConfigBlock for TracingConfig {
    const NAME: &'static str = "tracing";
}

impl Decode for TracingConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let defaults = TracingConfig::default();
        let sampling_fraction: f64 =
            d.optional_or("sampling_fraction", defaults.sampling_fraction)?;
        if !(0.0..=1.0).contains(&sampling_fraction) {
            return Err(d.error_at_attr(
                "sampling_fraction",
                format!("sampling_fraction must be between 0 and 1, got {sampling_fraction}"),
            ));
        }
        let write_to: Vec<Value> = d.optional_or("write_to", Vec::new())?;
        if d.block::<SamplerBlock>("sampler")?.is_some() {
            tracing::warn!("tracing.sampler has no effect: ingot does not trace itself");
        }
        if !write_to.is_empty() {
            tracing::warn!(
                "tracing.write_to has no effect: ingot does not trace itself, so no spans of its own reach the {} component(s) named",
                write_to.len()
            );
        }
        Ok(TracingConfig {
            sampling_fraction,
            write_to: write_to.len(),
        })
    }
}

/// `tracing > sampler > jaeger_remote`: decoded as Alloy checks it, never used.
struct SamplerBlock;

impl Decode for SamplerBlock {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let _: Option<JaegerRemote> = d.block("jaeger_remote")?;
        Ok(SamplerBlock)
    }
}

struct JaegerRemote;

impl Decode for JaegerRemote {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let _: Option<String> = d.optional("url")?;
        let _: Option<i64> = d.optional("max_operations")?;
        let _: Option<std::time::Duration> = d.optional("refresh_interval")?;
        Ok(JaegerRemote)
    }
}
