//! `stage.static_labels`: sets fixed labels (`values`; an empty or null value sets nothing).

use std::collections::BTreeMap;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::pipeline::{PEntry, Stage};

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub values: BTreeMap<String, Option<String>>,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let values: BTreeMap<String, Option<String>> = d.required("values")?;
        if let Some(bad) = values.keys().find(|n| n.is_empty()) {
            return Err(d.error_at_attr("values", invalid(format!("invalid label name: {bad}"))));
        }
        Ok(Config { values })
    }
}

impl Config {
    pub fn build(&self) -> StaticLabels {
        StaticLabels {
            values: self
                .values
                .iter()
                .filter_map(|(n, v)| match v {
                    Some(v) if !v.is_empty() => Some((n.clone(), v.clone())),
                    _ => None,
                })
                .collect(),
        }
    }
}

pub struct StaticLabels {
    values: Vec<(String, String)>,
}

impl Stage for StaticLabels {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        for (n, v) in &self.values {
            e.labels.insert(n.clone(), v.clone());
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;

    #[test]
    fn sets_labels_and_skips_empty_values() {
        let (mut p, _) = pipeline(
            r#"stage.static_labels { values = { env = "dev", cluster = "", zone = null } }"#,
        );
        let mut out = Vec::new();
        p.run(entry(&[("env", "prod"), ("app", "x")], "line"), &mut out);
        let labels: Vec<_> = out[0]
            .labels
            .iter()
            .map(|(a, b)| format!("{a}={b}"))
            .collect();
        assert_eq!(labels, ["app=x", "env=dev"]);
    }

    #[test]
    fn values_are_required() {
        assert!(error("stage.static_labels {}").contains("missing required attribute \"values\""));
    }
}
