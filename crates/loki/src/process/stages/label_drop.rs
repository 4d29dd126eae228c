//! `stage.label_drop`: removes the labels named in `values`.

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
                d.error_at_attr("values", invalid("labeldrop stage config cannot be empty"))
            );
        }
        Ok(Config { values })
    }
}

impl Config {
    pub fn build(&self) -> LabelDrop {
        LabelDrop(self.values.clone())
    }
}

pub struct LabelDrop(Vec<String>);

impl Stage for LabelDrop {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        for n in &self.0 {
            e.labels.remove(n);
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;

    #[test]
    fn drops_the_named_labels() {
        let (mut p, _) = pipeline(r#"stage.label_drop { values = ["testLabel1", "testLabel3"] }"#);
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
        assert_eq!(out[0].labels.keys().collect::<Vec<_>>(), ["testLabel2"]);
        assert!(error("stage.label_drop { values = [] }")
            .contains("labeldrop stage config cannot be empty"));
    }
}
