//! `stage.output`: replaces the line with an extracted value (`source`).

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::pipeline::{in_place_stage, InPlace, PEntry};
use crate::process::value::with_str;

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

in_place_stage!(Output);

impl InPlace for Output {
    fn apply(&mut self, e: &mut PEntry) -> bool {
        match e.extracted.get(&self.0) {
            Some(v) => {
                let line = &mut e.line;
                if let Err(err) = with_str(v, |s| {
                    // The line's allocation is reused for its new text, unless it is much larger: an
                    // entry must not keep a long line's memory for a short one.
                    if line.capacity() <= s.len().max(256) * 4 {
                        line.clear();
                        line.push_str(s);
                    } else {
                        *line = s.to_string();
                    }
                }) {
                    tracing::debug!(source = %self.0, "failed to convert source value to string: {err}");
                }
            }
            None => {
                tracing::debug!(source = %self.0, "extracted data did not contain output source")
            }
        }
        true
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
