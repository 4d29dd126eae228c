//! Helpers for the stages' tests: decode a config the way a `.alloy` file would give it, and run entries.

use std::sync::Arc;

use ingot_logs::Entry;
use ingot_prom::labels::Labels;
use ingot_syntax::decode::decode_body;
use ingot_syntax::eval::{Evaluator, Scope};
use ingot_syntax::parser::parse_file;
use ingot_syntax::source::SourceFile;

use crate::process::args::{build_pipeline, decode_stages, StageConfig};
use crate::process::metrics::Metrics;
use crate::process::pipeline::{PEntry, Pipeline};

struct Stages(Vec<StageConfig>);

impl ingot_syntax::decode::Decode for Stages {
    fn decode(
        d: &mut ingot_syntax::decode::BodyDecoder<'_, '_>,
    ) -> Result<Self, ingot_syntax::decode::Failed> {
        decode_stages(d).map(Stages)
    }
}

/// The stages written in `text` (a body of `stage.*` blocks), or the rendered diagnostics.
pub fn decode(text: &str) -> Result<Vec<StageConfig>, String> {
    let (file, diags) = parse_file(SourceFile::new("test.alloy", text));
    if !diags.is_empty() {
        return Err(diags.to_string());
    }
    let scope = Scope::new();
    let mut ev = Evaluator::new(&file.source, &scope);
    decode_body::<Stages>(&file.body, &mut ev)
        .map(|s| s.0)
        .map_err(|d| d.to_string())
}

/// The pipeline written in `text`, with its metrics.
pub fn pipeline(text: &str) -> (Pipeline, Arc<Metrics>) {
    let stages = decode(text).unwrap_or_else(|e| panic!("config refused: {e}\n{text}"));
    let metrics = Arc::new(Metrics::default());
    (build_pipeline(&stages, &metrics), metrics)
}

/// The first error decoding `text` gives.
pub fn error(text: &str) -> String {
    match decode(text) {
        Ok(_) => panic!("config accepted: {text}"),
        Err(e) => e,
    }
}

pub fn entry(labels: &[(&str, &str)], line: &str) -> PEntry {
    PEntry::new(&Entry::new(Labels::from_pairs(labels), 1_000_000_000, line))
}

/// Runs one line with no labels through `text`'s pipeline.
pub fn run_line(text: &str, line: &str) -> Vec<PEntry> {
    let (mut p, _) = pipeline(text);
    let mut out = Vec::new();
    p.run(entry(&[], line), &mut out);
    out
}
