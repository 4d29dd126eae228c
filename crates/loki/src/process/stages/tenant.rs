//! `stage.tenant`: sets the entry's tenant (the `__tenant_id__` label `loki.write` sends as
//! `X-Scope-OrgID`) from an extracted value (`source`), a label (`label`) or a fixed `value`.

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::pipeline::{PEntry, Stage};

use super::source_text;

/// The reserved label holding an entry's tenant.
pub const TENANT_LABEL: &str = "__tenant_id__";

#[derive(Clone, Debug, PartialEq)]
pub enum Config {
    Source(String),
    Label(String),
    Value(String),
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let label: String = d.optional_or("label", String::new())?;
        let source: String = d.optional_or("source", String::new())?;
        let value: String = d.optional_or("value", String::new())?;
        let set = [!label.is_empty(), !source.is_empty(), !value.is_empty()];
        match set.iter().filter(|b| **b).count() {
            0 => Err(d.error(invalid("label, source or value config are required"))),
            1 if !source.is_empty() => Ok(Config::Source(source)),
            1 if !label.is_empty() => Ok(Config::Label(label)),
            1 => Ok(Config::Value(value)),
            _ => Err(d.error(invalid(
                "label, source and value are mutually exclusive: you should set source, value or label but not all",
            ))),
        }
    }
}

impl Config {
    pub fn build(&self) -> Tenant {
        Tenant(self.clone())
    }
}

pub struct Tenant(Config);

impl Stage for Tenant {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        let tenant = match &self.0 {
            Config::Source(s) => source_text(&e.extracted, s).unwrap_or_default(),
            Config::Label(l) => e.labels.get(l).unwrap_or_default().to_string(),
            Config::Value(v) => v.clone(),
        };
        if !tenant.is_empty() {
            e.labels.insert(TENANT_LABEL, tenant);
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;

    // Alloy's tenant_test.go: from an extracted value, a label, a fixed value; a missing source leaves none.
    #[test]
    fn tenant_from_source_label_or_value() {
        let from_source = r#"
            stage.json { expressions = { customer_id = "" } }
            stage.tenant { source = "customer_id" }
        "#;
        let out = run_line(from_source, r#"{"customer_id":"team-a"}"#);
        assert_eq!(out[0].labels.get("__tenant_id__"), Some("team-a"));
        let out = run_line(from_source, r#"{"other":"x"}"#);
        assert!(!out[0].labels.contains_key("__tenant_id__"));

        let (mut p, _) = pipeline(r#"stage.tenant { label = "ns" }"#);
        let mut out = Vec::new();
        p.run(entry(&[("ns", "team-b")], "x"), &mut out);
        assert_eq!(out[0].labels.get("__tenant_id__"), Some("team-b"));

        let out = run_line(r#"stage.tenant { value = "team-c" }"#, "x");
        assert_eq!(out[0].labels.get("__tenant_id__"), Some("team-c"));
    }

    #[test]
    fn errors() {
        assert!(error("stage.tenant {}").contains("label, source or value config are required"));
        assert!(error(
            r#"stage.tenant {
            source = "a"
            value = "b"
        }"#
        )
        .contains("mutually exclusive"));
    }
}
