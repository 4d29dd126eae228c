//! `stage.structured_metadata`: adds structured metadata from the extracted map and from labels (`values`:
//! name to source; `regex`: every extracted key and label name it matches). A label used this way moves:
//! it is removed from the labels.

use std::collections::BTreeMap;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::pipeline::{PEntry, Stage};
use crate::process::value::get_string;

use super::names_with_sources;

#[derive(Clone, Debug)]
pub struct Config {
    pub values: BTreeMap<String, Option<String>>,
    pub regex: Option<regex::Regex>,
}

impl PartialEq for Config {
    fn eq(&self, o: &Config) -> bool {
        self.values == o.values
            && self.regex.as_ref().map(|r| r.as_str()) == o.regex.as_ref().map(|r| r.as_str())
    }
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let values: BTreeMap<String, Option<String>> = d.optional("values")?.unwrap_or_default();
        let regex = match d.optional::<String>("regex")? {
            Some(r) if !r.is_empty() => Some(
                ingot_gocompat::regexp::compile(&r)
                    .map_err(|e| d.error_at_attr("regex", invalid(e)))?,
            ),
            _ => None,
        };
        if let Some(bad) = values.keys().find(|n| n.is_empty()) {
            return Err(d.error_at_attr("values", invalid(format!("invalid label name: {bad}"))));
        }
        Ok(Config { values, regex })
    }
}

impl Config {
    pub fn build(&self) -> StructuredMetadata {
        StructuredMetadata {
            names: names_with_sources(&self.values),
            regex: self.regex.clone(),
        }
    }
}

pub struct StructuredMetadata {
    names: Vec<(String, String)>,
    regex: Option<regex::Regex>,
}

fn set(md: &mut Vec<(String, String)>, name: &str, value: String) {
    match md.iter_mut().find(|(n, _)| n == name) {
        Some(slot) => slot.1 = value,
        None => md.push((name.to_string(), value)),
    }
}

impl Stage for StructuredMetadata {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        let PEntry {
            extracted,
            structured_metadata: md,
            labels,
            ..
        } = &mut e;
        // From the extracted map, by name, then by regex.
        for (name, src) in &self.names {
            if let Some(v) = extracted.get(src) {
                if let Ok(s) = get_string(v) {
                    set(md, name, s);
                }
            }
        }
        if let Some(re) = &self.regex {
            let mut keys: Vec<&str> = extracted.keys().filter(|k| re.is_match(k)).collect();
            keys.sort();
            for k in keys {
                if let Ok(s) = get_string(&extracted[k]) {
                    set(md, k, s);
                }
            }
        }
        // From labels, which move into the metadata.
        let mut found = Vec::new();
        for (name, src) in &self.names {
            if let Some(v) = labels.get(src) {
                set(md, name, v.to_string());
                found.push(src.clone());
            }
        }
        for f in found {
            labels.remove(&f);
        }
        if let Some(re) = &self.regex {
            let matched: Vec<String> = labels
                .keys()
                .filter(|k| re.is_match(k))
                .map(str::to_string)
                .collect();
            for k in matched {
                if let Some(v) = labels.remove(&k) {
                    set(md, &k, v.to_string());
                }
            }
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;

    // Alloy's structured_metadata_test.go cases: from extracted values, from labels (which move), by regex.
    #[test]
    fn metadata_from_extracted_values_and_labels() {
        let (mut p, _) = pipeline(
            r#"
            stage.json { expressions = { app = "", user = "" } }
            stage.structured_metadata { values = { app = "", user_id = "user" } }
            "#,
        );
        let mut out = Vec::new();
        p.run(entry(&[], r#"{"app":"loki","user":"alice"}"#), &mut out);
        // The source's labels were copied into the extracted map at the start too.
        assert_eq!(
            out[0].structured_metadata,
            [
                ("app".to_string(), "loki".to_string()),
                ("user_id".to_string(), "alice".to_string())
            ]
        );
    }

    #[test]
    fn labels_move_into_metadata() {
        let (mut p, _) = pipeline(r#"stage.structured_metadata { values = { pod = "" } }"#);
        let mut out = Vec::new();
        p.run(entry(&[("pod", "p-1"), ("job", "j")], "x"), &mut out);
        assert_eq!(
            out[0].structured_metadata,
            [("pod".to_string(), "p-1".to_string())]
        );
        assert_eq!(out[0].labels.keys().collect::<Vec<_>>(), ["job"]);
    }

    #[test]
    fn regex_moves_matching_labels() {
        let (mut p, _) = pipeline(r#"stage.structured_metadata { regex = "^trace_.*" }"#);
        let mut out = Vec::new();
        p.run(entry(&[("trace_id", "abc"), ("job", "j")], "x"), &mut out);
        assert_eq!(
            out[0].structured_metadata,
            [("trace_id".to_string(), "abc".to_string())]
        );
        assert!(!out[0].labels.contains_key("trace_id"));
        assert!(error(r#"stage.structured_metadata { regex = "(" }"#).contains("missing closing )"));
    }
}
