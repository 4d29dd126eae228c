//! `stage.output`: replaces the line with an extracted value (`source`).

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::pipeline::{PEntry, Stage};

use super::source_text;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub source: String,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let source: String = d.required("source")?;
        if source.is_empty() {
            return Err(d.error_at_attr(
                "source",
                invalid("output source value is required if output is specified"),
            ));
        }
        Ok(Config { source })
    }
}

impl Config {
    pub fn build(&self) -> Output {
        Output(self.source.clone())
    }
}

pub struct Output(String);

impl Stage for Output {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        match source_text(&e.extracted, &self.0) {
            Some(s) => e.line = s,
            None => {
                tracing::debug!(source = %self.0, "extracted data did not contain output source")
            }
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;

    #[test]
    fn the_line_becomes_the_extracted_value() {
        let cfg = r#"
            stage.json { expressions = { message = "" } }
            stage.output { source = "message" }
        "#;
        assert_eq!(
            run_line(cfg, r#"{"message":"hello","x":1}"#)[0].line,
            "hello"
        );
        // Missing source: the line stays.
        assert_eq!(run_line(cfg, r#"{"x":1}"#)[0].line, r#"{"x":1}"#);
        assert!(error(r#"stage.output { source = "" }"#)
            .contains("output source value is required if output is specified"));
    }
}
