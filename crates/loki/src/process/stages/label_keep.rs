//! `stage.label_keep`: removes every label not named in `values`.

use std::collections::HashSet;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::pipeline::{PEntry, Stage};

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub values: Vec<String>,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let values: Vec<String> = d.required("values")?;
        if values.is_empty() {
            return Err(
                d.error_at_attr("values", invalid("labelallow stage config cannot be empty"))
            );
        }
        Ok(Config { values })
    }
}

impl Config {
    pub fn build(&self) -> LabelKeep {
        LabelKeep(self.values.iter().cloned().collect())
    }
}

pub struct LabelKeep(HashSet<String>);

impl Stage for LabelKeep {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        e.labels.retain(|n, _| self.0.contains(n));
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;

    #[test]
    fn keeps_only_the_named_labels() {
        let (mut p, _) =
            pipeline(r#"stage.label_keep { values = ["testLabel1", "testLabel3", "absent"] }"#);
        let mut out = Vec::new();
        p.run(
            entry(
                &[
                    ("testLabel1", "a"),
                    ("testLabel2", "b"),
                    ("testLabel3", "c"),
                ],
                "x",
            ),
            &mut out,
        );
        assert_eq!(
            out[0].labels.keys().collect::<Vec<_>>(),
            ["testLabel1", "testLabel3"]
        );
        assert!(error("stage.label_keep { values = [] }")
            .contains("labelallow stage config cannot be empty"));
    }
}
