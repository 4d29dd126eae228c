//! `stage.truncate`: cuts values longer than a rule's `limit` bytes to `limit` bytes, the `suffix`
//! included: the line (`source_type = "line"`, the default), labels, structured metadata or extracted
//! values (all of them, or those named in `sources`). Each cut is counted in
//! `loki_process_truncated_fields_total{field}`, and the extracted value `truncated` lists the kinds of
//! field cut (`label,line`). Cuts fall on a character boundary at or before the limit: ingot keeps text
//! as UTF-8, where Go cuts at the byte.

use std::collections::BTreeSet;
use std::sync::Arc;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::metrics::{Metrics, TRUNCATED_FIELDS};
use crate::process::pipeline::{PEntry, Stage};
use crate::process::value::{Text, Value};

use super::bytes_attr;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SourceType {
    Line,
    Label,
    StructuredMetadata,
    Extracted,
}

impl SourceType {
    fn field(self) -> &'static str {
        match self {
            SourceType::Line => "line",
            SourceType::Label => "label",
            SourceType::StructuredMetadata => "structured_metadata",
            SourceType::Extracted => "extracted",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub limit: u64,
    pub suffix: String,
    pub sources: Vec<String>,
    pub source_type: SourceType,
}

impl Decode for Rule {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let limit = match bytes_attr(d, "limit")? {
            Some(l) => l,
            None if d.has("limit") => 0,
            None => return Err(d.error("missing required attribute \"limit\"")),
        };
        let suffix: String = d.optional_or("suffix", String::new())?;
        let sources: Vec<String> = d.optional_or("sources", Vec::new())?;
        let source_type = match d.optional::<String>("source_type")?.as_deref() {
            None | Some("line") => SourceType::Line,
            Some("label") => SourceType::Label,
            Some("structured_metadata") => SourceType::StructuredMetadata,
            Some("extracted") => SourceType::Extracted,
            Some(other) => {
                return Err(d.error_at_attr("source_type", format!("unknown source_type: {other}")))
            }
        };
        if limit == 0 {
            return Err(d.error_at_attr("limit", "limit must be greater than zero"));
        }
        if source_type == SourceType::Line && !sources.is_empty() {
            return Err(d.error_at_attr(
                "sources",
                "sources cannot be set when source_type is 'line'",
            ));
        }
        if !suffix.is_empty() && limit <= suffix.len() as u64 {
            return Err(d.error_at_attr(
                "suffix",
                "suffix length cannot be greater than or equal to limit",
            ));
        }
        Ok(Rule {
            limit,
            suffix,
            sources,
            source_type,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub rules: Vec<Rule>,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let rules: Vec<Rule> = d.blocks("rule")?;
        if rules.is_empty() {
            return Err(d.error("missing required block \"rule\""));
        }
        Ok(Config { rules })
    }
}

impl Config {
    pub fn build(&self, metrics: &Arc<Metrics>) -> Truncate {
        Truncate {
            rules: self.rules.clone(),
            metrics: metrics.clone(),
        }
    }
}

pub struct Truncate {
    rules: Vec<Rule>,
    metrics: Arc<Metrics>,
}

/// Where `value` is cut (a character boundary at or before `limit - len(suffix)` bytes), if it is longer
/// than that.
fn cut_at(value: &str, rule: &Rule) -> Option<usize> {
    let keep = (rule.limit - rule.suffix.len() as u64) as usize;
    if value.len() <= keep {
        return None;
    }
    let mut at = keep;
    while !value.is_char_boundary(at) {
        at -= 1;
    }
    Some(at)
}

fn cut(value: &mut String, rule: &Rule) -> bool {
    match cut_at(value, rule) {
        Some(at) => {
            value.truncate(at);
            value.push_str(&rule.suffix);
            true
        }
        None => false,
    }
}

fn cut_text(value: &mut Text, rule: &Rule) -> bool {
    match cut_at(value, rule) {
        Some(at) => {
            value.truncate(at);
            value.push_str(&rule.suffix);
            true
        }
        None => false,
    }
}

fn selected(rule: &Rule, name: &str) -> bool {
    rule.sources.is_empty() || rule.sources.iter().any(|s| s == name)
}

impl Stage for Truncate {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        let mut truncated: BTreeSet<String> = BTreeSet::new();
        for rule in &self.rules {
            let field = rule.source_type.field();
            let mut hits = 0u64;
            match rule.source_type {
                SourceType::Line => hits += u64::from(cut(&mut e.line, rule)),
                SourceType::Label => {
                    let long = e
                        .labels
                        .iter()
                        .any(|(n, v)| selected(rule, n) && cut_at(v, rule).is_some());
                    if long {
                        for (name, value) in e.labels.values_mut() {
                            if selected(rule, name) {
                                hits += u64::from(cut_text(value, rule));
                            }
                        }
                    }
                }
                SourceType::StructuredMetadata => {
                    for (name, value) in e.structured_metadata.iter_mut() {
                        if selected(rule, name) {
                            hits += u64::from(cut(value, rule));
                        }
                    }
                }
                SourceType::Extracted => {
                    for (name, value) in e.extracted.iter_mut() {
                        if selected(rule, name) {
                            // Only strings are cut.
                            if let Value::Str(s) = value {
                                hits += u64::from(cut_text(s, rule));
                            }
                        }
                    }
                }
            }
            if hits > 0 {
                self.metrics.count(&TRUNCATED_FIELDS, field, hits);
                truncated.insert(field.to_string());
            }
            if !truncated.is_empty() {
                // Several stages each add what they cut.
                if let Some(Value::Str(prev)) = e.extracted.get("truncated") {
                    truncated.extend(prev.split(',').map(str::to_string));
                }
                let joined = truncated.iter().cloned().collect::<Vec<_>>().join(",");
                e.extracted.insert("truncated", Value::from(joined));
            }
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::metrics::TRUNCATED_FIELDS;
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    // Alloy's truncate_test.go.
    #[test]
    fn truncates() {
        let (mut p, m) = pipeline(
            r#"stage.truncate {
                rule {
                    limit = 10
                    suffix = "..."
                }
                rule {
                    limit = "4B"
                    source_type = "label"
                    sources = ["app"]
                }
                rule {
                    limit = 3
                    source_type = "extracted"
                    sources = ["x", "n"]
                }
                rule {
                    limit = 2
                    source_type = "structured_metadata"
                }
            }"#,
        );
        let mut e = entry(&[("app", "abcdef"), ("other", "abcdef")], "0123456789abc");
        e.extracted
            .insert("x".to_string(), Value::from("long value"));
        e.extracted.insert("n".to_string(), Value::Num(123456.0));
        e.structured_metadata
            .push(("sm".to_string(), "xyz".to_string()));
        let mut out = Vec::new();
        p.run(e, &mut out);
        let e = &out[0];
        assert_eq!(e.line, "0123456...");
        assert_eq!(e.labels.get("app").unwrap(), "abcd");
        assert_eq!(e.labels.get("other").unwrap(), "abcdef");
        assert_eq!(e.extracted["x"], Value::from("lon"));
        assert_eq!(e.extracted["n"], Value::Num(123456.0));
        assert_eq!(e.structured_metadata[0].1, "xy");
        assert_eq!(
            e.extracted["truncated"],
            Value::from("extracted,label,line,structured_metadata")
        );
        assert_eq!(m.counted(&TRUNCATED_FIELDS, "line"), 1);
        assert_eq!(m.counted(&TRUNCATED_FIELDS, "extracted"), 1);
        // Not past a character.
        let out = run_line("stage.truncate {\nrule { limit = 2 }\n}", "é1");
        assert_eq!(out[0].line, "é");
    }

    #[test]
    fn errors() {
        assert!(error("stage.truncate {\nrule { limit = 0 }\n}")
            .contains("limit must be greater than zero"));
        assert!(
            error("stage.truncate {\nrule {\nlimit = 2\nsources = [\"a\"]\n}\n}")
                .contains("sources cannot be set when source_type is 'line'")
        );
        assert!(
            error("stage.truncate {\nrule {\nlimit = 2\nsuffix = \"..\"\n}\n}")
                .contains("suffix length cannot be greater than or equal to limit")
        );
        assert!(
            error("stage.truncate {\nrule {\nlimit = 2\nsource_type = \"x\"\n}\n}")
                .contains("unknown source_type: x")
        );
        assert!(error("stage.truncate {}").contains("rule"));
    }
}
