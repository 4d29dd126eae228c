//! `otelcol.exporter.prometheus`'s arguments (Alloy's `exporter/prometheus/prometheus.go`):
//! `include_target_info` true, `include_scope_info` false, `include_scope_labels` true, `gc_frequency`
//! 5m, `forward_to` (required), `add_metric_suffixes` true, `resource_to_telemetry_conversion` false,
//! `honor_metadata` false, `convert_classic_histograms_to_nhcb` false,
//! `keep_identifying_resource_attributes` false.

use std::time::Duration;

use ingot_common::receiver::MetricsReceiver;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use super::convert::Options;
use crate::config::Warnings;

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub options: Options,
    pub gc_frequency: Duration,
    pub forward_to: Vec<MetricsReceiver>,
    pub warnings: Warnings,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let include_target_info = d.optional_or("include_target_info", true)?;
        let include_scope_info = d.optional_or("include_scope_info", false)?;
        let include_scope_labels: Option<bool> = d.optional("include_scope_labels")?;
        let gc_frequency: Duration = d.optional_or("gc_frequency", Duration::from_secs(300))?;
        let forward_to: Vec<MetricsReceiver> = d.required("forward_to")?;
        let add_metric_suffixes = d.optional_or("add_metric_suffixes", true)?;
        let resource_to_telemetry_conversion =
            d.optional_or("resource_to_telemetry_conversion", false)?;
        let honor_metadata = d.optional_or("honor_metadata", false)?;
        let nhcb = d.optional_or("convert_classic_histograms_to_nhcb", false)?;
        let keep_identifying_resource_attributes =
            d.optional_or("keep_identifying_resource_attributes", false)?;
        if gc_frequency.is_zero() {
            return Err(d.error("gc_frequency must be greater than 0"));
        }
        if nhcb {
            return Err(d.error_at_attr("convert_classic_histograms_to_nhcb", "convert_classic_histograms_to_nhcb is not supported by ingot: its remote-write path carries no native histograms"));
        }
        if include_scope_labels.is_some() {
            // Alloy 1.18 never hands this setting to its converter (convertArgumentsToConvertOptions leaves
            // it out), so its series carry no otel_scope_* labels whatever it says; ingot does the same.
            warnings.push("include_scope_labels has no effect: Alloy 1.18 adds no otel_scope_name/otel_scope_version labels to series whatever its value, and ingot matches it (use include_scope_info for the otel_scope_info series)".into());
        }
        Ok(Arguments {
            options: Options {
                include_target_info,
                include_scope_info,
                include_scope_labels: false,
                add_metric_suffixes,
                resource_to_telemetry_conversion,
                honor_metadata,
                keep_identifying_resource_attributes,
            },
            gc_frequency,
            forward_to,
            warnings,
        })
    }
}
