//! The blocks that several `otelcol.*` components share (Alloy's `internal/component/otelcol/config_*.go`):
//! `output`, `debug_metrics`, the gRPC and HTTP server and client blocks with their `tls`, `keepalive` and
//! `cors` blocks, `retry_on_failure` and `sending_queue`. Each keeps Alloy's names and defaults; a setting
//! ingot cannot honour is refused when ignoring it would mislead (TLS, auth) or accepted with a warning
//! that names it ([`Warnings`]), which the component logs and shows in its health.

pub mod client;
pub mod output;
pub mod queue;
pub mod server;
pub mod tls;

use std::time::Duration;

use ingot_common::units::parse_base2_bytes;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

pub use output::output_block;

/// Settings accepted without effect, each naming itself and why.
pub type Warnings = Vec<String>;

/// Alloy's `DefaultTimeout` for exporters.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The `debug_metrics` block: accepted and checked. ingot serves the components' metrics at Alloy's
/// default level (`detailed`) with high-cardinality attributes left out, which is Alloy's default too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebugMetrics {
    pub disable_high_cardinality_metrics: bool,
    pub level: String,
}

impl Default for DebugMetrics {
    fn default() -> Self {
        DebugMetrics {
            disable_high_cardinality_metrics: true,
            level: "detailed".into(),
        }
    }
}

impl Decode for DebugMetrics {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let disable_high_cardinality_metrics =
            d.optional_or("disable_high_cardinality_metrics", true)?;
        let level: String = d.optional_or("level", "detailed".to_string())?;
        if !["none", "basic", "normal", "detailed"].contains(&level.as_str()) {
            return Err(d.error_at_attr(
                "level",
                format!("invalid debug_metrics level {level:?}: expected none, basic, normal or detailed"),
            ));
        }
        Ok(DebugMetrics {
            disable_high_cardinality_metrics,
            level,
        })
    }
}

/// Decodes the `debug_metrics` block and warns about what differs from ingot's behaviour.
pub fn debug_metrics(
    d: &mut BodyDecoder<'_, '_>,
    warnings: &mut Warnings,
) -> Result<DebugMetrics, Failed> {
    let m: DebugMetrics = d.block("debug_metrics")?.unwrap_or_default();
    if !m.disable_high_cardinality_metrics {
        warnings.push("debug_metrics.disable_high_cardinality_metrics = false has no effect: ingot serves no high-cardinality attributes on its otelcol metrics".into());
    }
    if m.level != "detailed" {
        warnings.push(format!(
            "debug_metrics.level = {:?} has no effect: ingot serves every otelcol metric it has",
            m.level
        ));
    }
    Ok(m)
}

/// A `units.Base2Bytes` attribute (`"4MiB"`), `None` when absent.
pub fn base2_bytes(d: &mut BodyDecoder<'_, '_>, name: &str) -> Result<Option<u64>, Failed> {
    match d.optional::<String>(name)? {
        Some(s) => parse_base2_bytes(&s)
            .map(Some)
            .map_err(|e| d.error_at_attr(name, e)),
        None => Ok(None),
    }
}

/// Reads a present attribute of any type to mark it used, and warns that it has no effect.
pub fn no_effect<T: ingot_syntax::value::FromValue>(
    d: &mut BodyDecoder<'_, '_>,
    name: &str,
    prefix: &str,
    why: &str,
    warnings: &mut Warnings,
) -> Result<Option<T>, Failed> {
    let v = d.optional::<T>(name)?;
    if v.is_some() {
        warnings.push(format!("{prefix}{name} has no effect: {why}"));
    }
    Ok(v)
}
