//! `stage.structured_metadata_drop`: removes the structured metadata named in `values`.

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
            return Err(d.error_at_attr(
                "values",
                invalid("structured_metadata_drop stage config cannot be empty"),
            ));
        }
        Ok(Config { values })
    }
}

impl Config {
    pub fn build(&self) -> StructuredMetadataDrop {
        StructuredMetadataDrop(self.values.clone())
    }
}

pub struct StructuredMetadataDrop(Vec<String>);

impl Stage for StructuredMetadataDrop {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        e.structured_metadata
            .retain(|(n, _)| !self.0.iter().any(|v| v == n));
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;

    #[test]
    fn drops_named_metadata() {
        let (mut p, _) = pipeline(r#"stage.structured_metadata_drop { values = ["a", "c"] }"#);
        let mut e = entry(&[], "x");
        for n in ["a", "b", "c", "a"] {
            e.structured_metadata.push((n.to_string(), "v".to_string()));
        }
        let mut out = Vec::new();
        p.run(e, &mut out);
        assert_eq!(
            out[0].structured_metadata,
            vec![("b".to_string(), "v".to_string())]
        );
        assert!(error("stage.structured_metadata_drop { values = [] }")
            .contains("structured_metadata_drop stage config cannot be empty"));
    }
}
