//! `stage.labels`: sets labels from the extracted map (or, with `source_type = "structured_metadata"`,
//! from structured metadata). `values` maps a label name to its source name (empty: the same name).

use std::collections::BTreeMap;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::pipeline::{in_place_stage, InPlace, PEntry};
use crate::process::value::{with_str, Text};

use super::names_with_sources;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SourceType {
    Extracted,
    StructuredMetadata,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub values: BTreeMap<String, Option<String>>,
    pub source_type: SourceType,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let values: BTreeMap<String, Option<String>> = d.required("values")?;
        let source_type = match d.optional::<String>("source_type")?.as_deref() {
            None | Some("") | Some("extracted") => SourceType::Extracted,
            Some("structured_metadata") => SourceType::StructuredMetadata,
            Some(other @ ("line" | "label")) => {
                return Err(d.error_at_attr(
                    "source_type",
                    invalid(format!(
                        "invalid labels source_type: {other}. Can only be 'extracted' or 'structured_metadata'"
                    )),
                ))
            }
            // Alloy's SourceType refuses any other word while decoding.
            Some(other) => return Err(d.error_at_attr("source_type", format!("unknown source_type: {other}"))),
        };
        if let Some(bad) = values.keys().find(|n| n.is_empty()) {
            return Err(d.error_at_attr("values", invalid(format!("invalid label name: {bad}"))));
        }
        Ok(Config {
            values,
            source_type,
        })
    }
}

impl Config {
    pub fn build(&self) -> Labels {
        Labels {
            names: names_with_sources(&self.values)
                .into_iter()
                .map(|(n, s)| (Text::from(n), s))
                .collect(),
            source_type: self.source_type,
        }
    }
}

pub struct Labels {
    names: Vec<(Text, String)>,
    source_type: SourceType,
}

in_place_stage!(Labels);

impl InPlace for Labels {
    fn apply(&mut self, e: &mut PEntry) -> bool {
        for (name, src) in &self.names {
            match self.source_type {
                SourceType::Extracted => {
                    if let Some(v) = e.extracted.get(src) {
                        match with_str(v, |s| Text::from(s)) {
                            Ok(s) => {
                                e.labels.insert(name.clone(), s);
                            }
                            Err(err) => tracing::debug!(
                                "failed to convert extracted label value to string: {err}"
                            ),
                        }
                    }
                }
                SourceType::StructuredMetadata => {
                    if let Some((_, v)) = e.structured_metadata.iter().find(|(n, _)| n == src) {
                        e.labels.insert(name.clone(), v.as_str());
                    }
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    // Alloy's labels_test.go: labels from the extracted map, renamed, numbers as Go prints them.
    #[test]
    fn labels_from_extracted_values() {
        let (mut p, _) = pipeline(
            r#"
            stage.json { expressions = { level = "", app_rename = "app", n = "n" } }
            stage.labels { values = { level = "", app = "app_rename", num = "n", missing = "" } }
            "#,
        );
        let mut out = Vec::new();
        p.run(
            entry(&[], r#"{"level":"WARN","app":"loki","n":1.50}"#),
            &mut out,
        );
        let l = &out[0].labels;
        assert_eq!(l.get("level"), Some("WARN"));
        assert_eq!(l.get("app"), Some("loki"));
        assert_eq!(l.get("num"), Some("1.5"));
        assert!(!l.contains_key("missing"));
    }

    #[test]
    fn labels_from_structured_metadata() {
        let (mut p, _) = pipeline(
            r#"stage.labels {
                values = { app = "", svc = "service" }
                source_type = "structured_metadata"
            }"#,
        );
        let mut e = entry(&[], "x");
        e.structured_metadata = vec![("app".into(), "a1".into()), ("service".into(), "s1".into())];
        let mut out = Vec::new();
        p.run(e, &mut out);
        assert_eq!(out[0].labels.get("app"), Some("a1"));
        assert_eq!(out[0].labels.get("svc"), Some("s1"));
    }

    #[test]
    fn a_null_value_is_not_a_label() {
        let (mut p, _) = pipeline(r#"stage.labels { values = { a = "" } }"#);
        let mut e = entry(&[], "x");
        e.extracted.insert("a", Value::Null);
        let mut out = Vec::new();
        p.run(e, &mut out);
        assert!(!out[0].labels.contains_key("a"));
    }

    #[test]
    fn errors() {
        assert!(error(
            r#"stage.labels { values = { a = "" }
            source_type = "line" }"#
        )
        .contains(
            "invalid labels source_type: line. Can only be 'extracted' or 'structured_metadata'"
        ));
        assert!(error(
            r#"stage.labels { values = { a = "" }
            source_type = "bogus" }"#
        )
        .contains("unknown source_type: bogus"));
        assert!(error("stage.labels {}").contains("missing required attribute \"values\""));
    }
}
