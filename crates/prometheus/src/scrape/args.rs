//! `prometheus.scrape` arguments: Alloy's names, defaults and validation messages.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use ingot_prom::scrape::NameValidation;
use ingot_prom::text_parse::{EscapingScheme, ScrapeProtocol};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::{format_duration, Value};

pub use ingot_common::http_client::{
    Authorization, BasicAuth, ClientAuth, HttpClientConfig, TlsConfig,
};
use ingot_common::receiver::MetricsReceiver;

/// The scrape's HTTP client arguments and blocks (Alloy's squashed `HTTPClientConfig`).
pub type HttpClientArgs = HttpClientConfig;

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub targets: Vec<BTreeMap<String, String>>,
    pub forward_to: Vec<MetricsReceiver>,
    pub job_name: String,
    pub honor_labels: bool,
    pub honor_timestamps: bool,
    pub track_timestamps_staleness: bool,
    pub params: BTreeMap<String, Vec<String>>,
    pub scrape_interval: Duration,
    pub scrape_timeout: Duration,
    pub scrape_protocols: Vec<ScrapeProtocol>,
    pub scrape_fallback_protocol: Option<ScrapeProtocol>,
    pub metrics_path: String,
    pub scheme: String,
    pub body_size_limit: u64,
    pub sample_limit: u64,
    pub target_limit: u64,
    pub label_limit: u64,
    pub label_name_length_limit: u64,
    pub label_value_length_limit: u64,
    pub extra_metrics: bool,
    pub enable_compression: bool,
    pub validation: NameValidation,
    pub escaping: EscapingScheme,
    pub http: HttpClientArgs,
}

pub use ingot_common::units::parse_base2_bytes;

/// Arguments Alloy has whose feature ingot does not implement: accepted only at their default.
const UNSUPPORTED_WHEN_TRUE: &[&str] = &[
    "scrape_native_histograms",
    "convert_classic_histograms_to_nhcb",
    "enable_protobuf_negotiation",
    "honor_metadata",
    "enable_type_and_unit_labels",
    "start_timestamp_zero_ingestion",
];

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let targets = d.required("targets")?;
        let forward_to = d.required("forward_to")?;
        let job_name = d.optional_or("job_name", String::new())?;
        let honor_labels = d.optional_or("honor_labels", false)?;
        let honor_timestamps = d.optional_or("honor_timestamps", true)?;
        let track_timestamps_staleness = d.optional_or("track_timestamps_staleness", false)?;
        let params = d.optional_or("params", BTreeMap::new())?;
        let _: bool = d.optional_or("scrape_classic_histograms", false)?;
        for name in UNSUPPORTED_WHEN_TRUE {
            if d.optional_or(name, false)? {
                return Err(d.error_at_attr(name, format!("{name} is not supported by ingot yet")));
            }
        }
        if !d
            .optional_or("scrape_failure_log_file", String::new())?
            .is_empty()
        {
            return Err(d.error_at_attr(
                "scrape_failure_log_file",
                "scrape_failure_log_file is not supported by ingot yet",
            ));
        }
        let _: u64 = d.optional_or("native_histogram_bucket_limit", 0)?;
        let _: f64 = d.optional_or("native_histogram_min_bucket_factor", 0.0)?;
        let scrape_interval = d.optional_or("scrape_interval", Duration::from_secs(60))?;
        let scrape_timeout = d.optional_or("scrape_timeout", Duration::from_secs(10))?;
        let protocol_names: Vec<String> = d.optional_or(
            "scrape_protocols",
            ScrapeProtocol::DEFAULT
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
        )?;
        let mut scrape_protocols = Vec::new();
        for p in &protocol_names {
            if protocol_names.iter().filter(|q| *q == p).count() > 1 {
                return Err(d.error_at_attr(
                    "scrape_protocols",
                    format!("duplicate scrape protocol {}: make sure the scrape protocols provided are unique", ingot_syntax::value::go_quote(p)),
                ));
            }
            let proto = ScrapeProtocol::from_str(p).map_err(|e| {
                d.error_at_attr(
                    "scrape_protocols",
                    format!(
                        "invalid scrape protocol {}: {e}",
                        ingot_syntax::value::go_quote(p)
                    ),
                )
            })?;
            if proto == ScrapeProtocol::PrometheusProto {
                return Err(d.error_at_attr(
                    "scrape_protocols",
                    "the PrometheusProto scrape protocol is not supported by ingot yet",
                ));
            }
            scrape_protocols.push(proto);
        }
        let fallback: String = d.optional_or(
            "scrape_fallback_protocol",
            "PrometheusText0_0_4".to_string(),
        )?;
        let scrape_fallback_protocol = if fallback.is_empty() {
            None
        } else {
            Some(ScrapeProtocol::from_str(&fallback).map_err(|e| {
                d.error_at_attr(
                    "scrape_fallback_protocol",
                    format!(
                        "invalid scrape_fallback_protocol {}: {e}",
                        ingot_syntax::value::go_quote(&fallback)
                    ),
                )
            })?)
        };
        let metrics_path = d.optional_or("metrics_path", "/metrics".to_string())?;
        let scheme = d.optional_or("scheme", "http".to_string())?;
        let body_size_limit = match d.optional::<String>("body_size_limit")? {
            Some(s) => parse_base2_bytes(&s).map_err(|e| d.error_at_attr("body_size_limit", e))?,
            None => 0,
        };
        let sample_limit = d.optional_or("sample_limit", 0)?;
        let target_limit = d.optional_or("target_limit", 0)?;
        let label_limit = d.optional_or("label_limit", 0)?;
        let label_name_length_limit = d.optional_or("label_name_length_limit", 0)?;
        let label_value_length_limit = d.optional_or("label_value_length_limit", 0)?;
        let extra_metrics = d.optional_or("extra_metrics", false)?;
        let enable_compression = d.optional_or("enable_compression", true)?;
        let scheme_name: String =
            d.optional_or("metric_name_validation_scheme", "legacy".to_string())?;
        let validation = match scheme_name.as_str() {
            "legacy" => NameValidation::Legacy,
            "utf8" => NameValidation::Utf8,
            other => {
                return Err(d.error_at_attr(
                    "metric_name_validation_scheme",
                    format!("invalid metric_name_validation_scheme \"{other}\": must be either \"utf8\" or \"legacy\""),
                ))
            }
        };
        let escaping_name: String = d.optional_or("metric_name_escaping_scheme", String::new())?;
        let escaping = match escaping_name.as_str() {
            "" if validation == NameValidation::Legacy => EscapingScheme::Underscores,
            "" => EscapingScheme::AllowUtf8,
            "allow-utf-8" => EscapingScheme::AllowUtf8,
            "underscores" => EscapingScheme::Underscores,
            "dots" => EscapingScheme::Dots,
            "values" => EscapingScheme::Values,
            other => {
                return Err(d.error_at_attr(
                    "metric_name_escaping_scheme",
                    format!("invalid metric_name_escaping_scheme: \"{other}\", supported values: [allow-utf-8 underscores dots values]"),
                ))
            }
        };
        if escaping == EscapingScheme::AllowUtf8 && validation != NameValidation::Utf8 {
            return Err(d.error("metric_name_escaping_scheme cannot be set to 'allow-utf-8' while metric_name_validation_scheme is not set to 'utf8'"));
        }
        // Alloy's scrape default: HTTP/2 offered over TLS.
        let http = HttpClientConfig::decode_squashed(d, true)?;
        let _clustering: Option<BTreeMap<String, Value>> = d.block("clustering")?;
        if scrape_timeout > scrape_interval {
            return Err(d.error(format!(
                "scrape_timeout ({}) greater than scrape_interval ({}) for scrape config with job name {}",
                format_duration(scrape_timeout),
                format_duration(scrape_interval),
                ingot_syntax::value::go_quote(&job_name)
            )));
        }
        Ok(Arguments {
            targets,
            forward_to,
            job_name,
            honor_labels,
            honor_timestamps,
            track_timestamps_staleness,
            params,
            scrape_interval,
            scrape_timeout,
            scrape_protocols,
            scrape_fallback_protocol,
            metrics_path,
            scheme,
            body_size_limit,
            sample_limit,
            target_limit,
            label_limit,
            label_name_length_limit,
            label_value_length_limit,
            extra_metrics,
            enable_compression,
            validation,
            escaping,
            http,
        })
    }
}
