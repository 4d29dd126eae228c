//! `loki.process`'s arguments (`internal/component/loki/process/process.go`, `stages/pipeline.go`): where
//! to forward, and the `stage.*` blocks in order. Every stage's arguments are decoded and checked here with
//! Alloy's messages, so `ingot validate` finds a malformed stage at its file:line:col (`stage.geoip` reads
//! its database here, so a missing or damaged one is found too); a stage ingot does not implement is
//! refused by name rather than accepted and ignored.

use std::sync::Arc;

use ingot_common::receiver::LogsReceiver;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use super::metrics::Metrics;
use super::pipeline::{Pipeline, Stage};
use super::stages;

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub forward_to: Vec<LogsReceiver>,
    pub stages: Vec<StageConfig>,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let forward_to = d.required("forward_to")?;
        let stages = decode_stages(d)?;
        Ok(Arguments { forward_to, stages })
    }
}

/// Every stage block Alloy 1.18 knows, as written in a config.
pub const STAGE_BLOCKS: &[&str] = &[
    "stage.cri",
    "stage.decolorize",
    "stage.docker",
    "stage.drop",
    "stage.eventlogmessage",
    "stage.geoip",
    "stage.json",
    "stage.label_drop",
    "stage.label_keep",
    "stage.labels",
    "stage.limit",
    "stage.logfmt",
    "stage.luhn",
    "stage.match",
    "stage.metrics",
    "stage.multiline",
    "stage.output",
    "stage.pack",
    "stage.pattern",
    "stage.regex",
    "stage.replace",
    "stage.sampling",
    "stage.static_labels",
    "stage.structured_metadata",
    "stage.structured_metadata_drop",
    "stage.template",
    "stage.tenant",
    "stage.timestamp",
    "stage.truncate",
    "stage.windowsevent",
];

/// One decoded stage.
#[derive(Clone, Debug, PartialEq)]
pub enum StageConfig {
    StaticLabels(stages::static_labels::Config),
    Labels(stages::labels::Config),
    LabelDrop(stages::label_drop::Config),
    LabelKeep(stages::label_keep::Config),
    StructuredMetadata(stages::structured_metadata::Config),
    Output(stages::output::Config),
    Tenant(stages::tenant::Config),
    Json(stages::json::Config),
    Logfmt(stages::logfmt::Config),
    Regex(stages::regex::Config),
    Replace(stages::replace::Config),
    Template(stages::template::Config),
    Timestamp(stages::timestamp::Config),
    Drop(stages::drop::Config),
    Match(stages::match_::Config),
    Multiline(stages::multiline::Config),
    Limit(stages::limit::Config),
    Cri(stages::cri::Config),
    Docker(stages::docker::Config),
    Pack(stages::pack::Config),
    Decolorize(stages::decolorize::Config),
    Sampling(stages::sampling::Config),
    StructuredMetadataDrop(stages::structured_metadata_drop::Config),
    Truncate(stages::truncate::Config),
    Luhn(stages::luhn::Config),
    Pattern(stages::pattern::Config),
    EventLogMessage(stages::eventlogmessage::Config),
    WindowsEvent(stages::windowsevent::Config),
    Metrics(stages::metrics::Config),
    GeoIp(stages::geoip::Config),
}

/// The `stage.*` blocks of a body (the component's, or a `stage.match`'s), in source order.
pub fn decode_stages(d: &mut BodyDecoder<'_, '_>) -> Result<Vec<StageConfig>, Failed> {
    d.enum_blocks(STAGE_BLOCKS, |name, d| {
        Ok(match name {
            "stage.static_labels" => StageConfig::StaticLabels(Decode::decode(d)?),
            "stage.labels" => StageConfig::Labels(Decode::decode(d)?),
            "stage.label_drop" => StageConfig::LabelDrop(Decode::decode(d)?),
            "stage.label_keep" => StageConfig::LabelKeep(Decode::decode(d)?),
            "stage.structured_metadata" => StageConfig::StructuredMetadata(Decode::decode(d)?),
            "stage.output" => StageConfig::Output(Decode::decode(d)?),
            "stage.tenant" => StageConfig::Tenant(Decode::decode(d)?),
            "stage.json" => StageConfig::Json(Decode::decode(d)?),
            "stage.logfmt" => StageConfig::Logfmt(Decode::decode(d)?),
            "stage.regex" => StageConfig::Regex(Decode::decode(d)?),
            "stage.replace" => StageConfig::Replace(Decode::decode(d)?),
            "stage.template" => StageConfig::Template(Decode::decode(d)?),
            "stage.timestamp" => StageConfig::Timestamp(Decode::decode(d)?),
            "stage.drop" => StageConfig::Drop(Decode::decode(d)?),
            "stage.match" => StageConfig::Match(Decode::decode(d)?),
            "stage.multiline" => StageConfig::Multiline(Decode::decode(d)?),
            "stage.limit" => StageConfig::Limit(Decode::decode(d)?),
            "stage.cri" => StageConfig::Cri(Decode::decode(d)?),
            "stage.docker" => StageConfig::Docker(Decode::decode(d)?),
            "stage.pack" => StageConfig::Pack(Decode::decode(d)?),
            "stage.decolorize" => StageConfig::Decolorize(Decode::decode(d)?),
            "stage.sampling" => StageConfig::Sampling(Decode::decode(d)?),
            "stage.structured_metadata_drop" => {
                StageConfig::StructuredMetadataDrop(Decode::decode(d)?)
            }
            "stage.truncate" => StageConfig::Truncate(Decode::decode(d)?),
            "stage.luhn" => StageConfig::Luhn(Decode::decode(d)?),
            "stage.pattern" => StageConfig::Pattern(Decode::decode(d)?),
            "stage.eventlogmessage" => StageConfig::EventLogMessage(Decode::decode(d)?),
            "stage.windowsevent" => StageConfig::WindowsEvent(Decode::decode(d)?),
            "stage.metrics" => StageConfig::Metrics(Decode::decode(d)?),
            "stage.geoip" => StageConfig::GeoIp(Decode::decode(d)?),
            other => {
                d.skip_rest();
                return Err(d.error(format!("{other} is not implemented in ingot yet")));
            }
        })
    })
}

/// Alloy's wrapping of a stage's error (`NewPipeline`): `invalid stage config <why>`.
pub fn invalid(why: impl std::fmt::Display) -> String {
    format!("invalid stage config {why}")
}

impl StageConfig {
    pub fn build(&self, metrics: &Arc<Metrics>) -> Box<dyn Stage> {
        match self {
            StageConfig::StaticLabels(c) => Box::new(c.build()),
            StageConfig::Labels(c) => Box::new(c.build()),
            StageConfig::LabelDrop(c) => Box::new(c.build()),
            StageConfig::LabelKeep(c) => Box::new(c.build()),
            StageConfig::StructuredMetadata(c) => Box::new(c.build()),
            StageConfig::Output(c) => Box::new(c.build()),
            StageConfig::Tenant(c) => Box::new(c.build()),
            StageConfig::Json(c) => Box::new(c.build()),
            StageConfig::Logfmt(c) => Box::new(c.build()),
            StageConfig::Regex(c) => Box::new(c.build()),
            StageConfig::Replace(c) => Box::new(c.build()),
            StageConfig::Template(c) => Box::new(c.build()),
            StageConfig::Timestamp(c) => Box::new(c.build()),
            StageConfig::Drop(c) => Box::new(c.build(metrics)),
            StageConfig::Match(c) => Box::new(c.build(metrics)),
            StageConfig::Multiline(c) => Box::new(c.build()),
            StageConfig::Limit(c) => Box::new(c.build(metrics)),
            StageConfig::Cri(c) => Box::new(c.build(metrics)),
            StageConfig::Docker(c) => Box::new(c.build()),
            StageConfig::Pack(c) => Box::new(c.build()),
            StageConfig::Decolorize(c) => Box::new(c.build()),
            StageConfig::Sampling(c) => Box::new(c.build(metrics)),
            StageConfig::StructuredMetadataDrop(c) => Box::new(c.build()),
            StageConfig::Truncate(c) => Box::new(c.build(metrics)),
            StageConfig::Luhn(c) => Box::new(c.build()),
            StageConfig::Pattern(c) => Box::new(c.build()),
            StageConfig::EventLogMessage(c) => Box::new(c.build()),
            StageConfig::WindowsEvent(c) => Box::new(c.build()),
            StageConfig::Metrics(c) => Box::new(c.build(metrics)),
            StageConfig::GeoIp(c) => Box::new(c.build()),
        }
    }
}

/// The pipeline of `stages`.
pub fn build_pipeline(stages: &[StageConfig], metrics: &Arc<Metrics>) -> Pipeline {
    Pipeline::new(stages.iter().map(|s| s.build(metrics)).collect())
}
