//! `stage.replace`: replaces every match of an RE2 `expression` in the line (or in an extracted value,
//! `source`) with `replace`, a Go template run for each captured group with `.Value` (the captured text)
//! and the extracted values; named groups are extracted with their replaced text.

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::pipeline::{PEntry, Stage};
use crate::process::value::{get_string, Value};

use super::source_text;
use super::template::Template;

#[derive(Clone, Debug)]
pub struct Config {
    pub expression: regex::Regex,
    pub source: String,
    pub replace: Template,
}

impl PartialEq for Config {
    fn eq(&self, o: &Config) -> bool {
        self.expression.as_str() == o.expression.as_str()
            && self.source == o.source
            && self.replace == o.replace
    }
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let expression: String = d.required("expression")?;
        let source: String = d.optional_or("source", String::new())?;
        let replace: String = d.optional_or("replace", String::new())?;
        if expression.is_empty() {
            return Err(d.error_at_attr("expression", invalid("expression is required")));
        }
        let expression = ingot_gocompat::regexp::compile(&expression).map_err(|e| {
            d.error_at_attr(
                "expression",
                invalid(format!("could not compile regular expression: {e}")),
            )
        })?;
        let replace = Template::parse("pipeline_template", &replace).map_err(|e| {
            d.error_at_attr(
                "replace",
                invalid(format!("failed to compile template: {e}")),
            )
        })?;
        Ok(Config {
            expression,
            source,
            replace,
        })
    }
}

impl Config {
    pub fn build(&self) -> Replace {
        Replace(self.clone())
    }
}

pub struct Replace(Config);

impl Replace {
    /// Alloy's `getReplacedEntry`: each captured group (in match order) replaced by the template's output;
    /// also the output for each captured text.
    fn replaced(
        &self,
        input: &str,
        data: &mut Vec<(String, String)>,
    ) -> Result<(String, Vec<(String, String)>), String> {
        let re = &self.0.expression;
        let mut result = String::new();
        let mut prev_end = 0;
        let mut captured: Vec<(String, String)> = Vec::new();
        let value_at = data.len();
        data.push(("Value".to_string(), String::new()));
        for caps in re.captures_iter(input) {
            for i in 1..caps.len() {
                let Some(m) = caps.get(i) else { continue };
                let text = m.as_str().to_string();
                data[value_at].1 = text.clone();
                let st = self.0.replace.execute_map(data)?;
                if prev_end == 0 || prev_end <= m.start() {
                    result.push_str(&input[prev_end..m.start()]);
                    result.push_str(&st);
                    prev_end = m.end();
                }
                match captured.iter_mut().find(|(k, _)| *k == text) {
                    Some(slot) => slot.1 = st,
                    None => captured.push((text, st)),
                }
            }
        }
        result.push_str(&input[prev_end..]);
        Ok((result, captured))
    }
}

impl Stage for Replace {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        let input = if self.0.source.is_empty() {
            Some(e.line.clone())
        } else {
            source_text(&e.extracted, &self.0.source)
        };
        let Some(input) = input else {
            out.push(e);
            return;
        };
        let re = &self.0.expression;
        let Some(first) = re.captures(&input) else {
            out.push(e);
            return;
        };
        // The template's data: every extracted value that has text ("Value" is set per group).
        let mut data: Vec<(String, String)> = e
            .extracted
            .iter()
            .filter_map(|(k, v)| get_string(v).ok().map(|s| (k.to_string(), s)))
            .collect();
        data.retain(|(k, _)| k != "Value");
        match self.replaced(&input, &mut data) {
            Ok((result, captured)) => {
                if self.0.source.is_empty() {
                    e.line = result;
                } else {
                    e.extracted
                        .insert(self.0.source.as_str(), Value::from(result));
                }
                for (i, name) in re.capture_names().enumerate() {
                    let Some(name) = name else { continue };
                    let text = first.get(i).map_or("", |m| m.as_str());
                    if let Some((_, v)) = captured.iter().find(|(k, _)| k == text) {
                        e.extracted.insert(name, Value::from(v.as_str()));
                    }
                }
            }
            Err(err) => tracing::debug!("failed to execute template on extracted value: {err}"),
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    // Alloy's replace_test.go cases.
    #[test]
    fn replaces_captured_groups() {
        let out = run_line(
            r#"stage.replace {
                expression = "password (\\S+)"
                replace = "****"
            }"#,
            "11.11.11.11 - frank password mypassword1 [25/Jan/2000:14:00:01 -0500]",
        );
        assert_eq!(
            out[0].line,
            "11.11.11.11 - frank password **** [25/Jan/2000:14:00:01 -0500]"
        );
        let out = run_line(
            r#"stage.replace {
                expression = "^(?P<ip>\\S+) (?P<identd>\\S+) (?P<user>\\S+)"
                replace = "{{ .Value | ToUpper }}"
            }"#,
            "11.11.11.11 - frank [25/Jan/2000]",
        );
        assert_eq!(out[0].line, "11.11.11.11 - FRANK [25/Jan/2000]");
        assert_eq!(out[0].extracted["user"], Value::Str("FRANK".into()));
        // Several matches, an empty replacement deletes.
        let out = run_line(r#"stage.replace { expression = "(\\d+)" }"#, "a1b22c333");
        assert_eq!(out[0].line, "abc");
    }

    #[test]
    fn replaces_in_a_source() {
        let (mut p, _) = pipeline(
            r#"
            stage.json { expressions = { msg = "" } }
            stage.replace {
                expression = "(secret)"
                source = "msg"
                replace = "[{{ .Value | len }}]"
            }
            stage.output { source = "msg" }
            "#,
        );
        let mut out = Vec::new();
        p.run(entry(&[], r#"{"msg":"my secret is out"}"#), &mut out);
        assert_eq!(out[0].line, "my [6] is out");
    }

    #[test]
    fn errors() {
        assert!(error(r#"stage.replace { expression = "" }"#).contains("expression is required"));
        assert!(error(
            r#"stage.replace {
            expression = "(a)"
            replace = "{{ .Value"
        }"#
        )
        .contains("failed to compile template"));
    }
}
