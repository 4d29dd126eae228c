//! `stage.json`: parses the line (or an extracted value, `source`) as a JSON object and extracts values by
//! JMESPath `expressions` (name = expression; an empty expression is the name) and top-level keys matching
//! `regex`. Numbers, strings, bools and null are kept as such; arrays and objects as their JSON text. A
//! line that is not a JSON object is passed on unchanged, or dropped with `drop_malformed`.

use std::collections::BTreeMap;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::pipeline::{PEntry, Stage};
use crate::process::value::{marshal_json, Extracted, Value};

use super::source_text;

#[derive(Clone)]
pub struct Config {
    pub expressions: Vec<(String, jmespath::Expression<'static>)>,
    pub regex: Option<regex::Regex>,
    pub source: Option<String>,
    pub drop_malformed: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("json")
            .field(
                "expressions",
                &self
                    .expressions
                    .iter()
                    .map(|(n, e)| (n, e.as_str()))
                    .collect::<Vec<_>>(),
            )
            .field("regex", &self.regex.as_ref().map(|r| r.as_str()))
            .field("source", &self.source)
            .field("drop_malformed", &self.drop_malformed)
            .finish()
    }
}

impl PartialEq for Config {
    fn eq(&self, o: &Config) -> bool {
        format!("{self:?}") == format!("{o:?}")
    }
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let exprs: BTreeMap<String, String> = d.optional("expressions")?.unwrap_or_default();
        let regex_text: String = d.optional_or("regex", String::new())?;
        let source: Option<String> = d.optional("source")?;
        let drop_malformed: bool = d.optional_or("drop_malformed", false)?;
        if exprs.is_empty() && regex_text.is_empty() {
            return Err(d.error(invalid("JMES expressions or regex is required")));
        }
        if source.as_deref() == Some("") {
            return Err(d.error_at_attr("source", invalid("empty source")));
        }
        let mut expressions = Vec::with_capacity(exprs.len());
        for (name, e) in &exprs {
            let text = if e.is_empty() { name } else { e };
            match jmespath::compile(text) {
                Ok(c) => expressions.push((name.clone(), c)),
                Err(err) => {
                    return Err(d.error_at_attr(
                        "expressions",
                        invalid(format!("could not compile JMES expression: {err}")),
                    ))
                }
            }
        }
        let regex = if regex_text.is_empty() {
            None
        } else {
            Some(
                ingot_gocompat::regexp::compile(&regex_text)
                    .map_err(|e| d.error_at_attr("regex", invalid(e)))?,
            )
        };
        Ok(Config {
            expressions,
            regex,
            source,
            drop_malformed,
        })
    }
}

impl Config {
    pub fn build(&self) -> Json {
        Json(self.clone())
    }
}

pub struct Json(Config);

/// Alloy's `simplifyType`: scalars as they are, arrays and objects as their JSON text.
fn simplify(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Num(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::Str(s.clone()),
        other => {
            let mut s = String::new();
            marshal_json(other, &mut s);
            Value::Str(s)
        }
    }
}

impl Json {
    /// `Err` when the input is not a JSON object (Alloy's `malformed json`).
    fn extract(&self, extracted: &mut Extracted, line: &str) -> Result<(), ()> {
        let input = match &self.0.source {
            Some(src) => match source_text(extracted, src) {
                Some(s) => s,
                None => return Ok(()),
            },
            None => line.to_string(),
        };
        let data: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(&input) {
            Ok(serde_json::Value::Object(m)) => m,
            // Go decodes a JSON null into a map as an empty (nil) map.
            Ok(serde_json::Value::Null) => serde_json::Map::new(),
            _ => {
                tracing::debug!("failed to unmarshal log line");
                return Err(());
            }
        };
        let root = serde_json::Value::Object(data);
        if !self.0.expressions.is_empty() {
            let var = match jmespath::Variable::try_from(&root) {
                Ok(v) => v,
                Err(_) => return Err(()),
            };
            let var = std::sync::Arc::new(var);
            for (name, expr) in &self.0.expressions {
                match expr.search(var.clone()) {
                    Ok(result) => {
                        let json =
                            serde_json::to_value(&*result).unwrap_or(serde_json::Value::Null);
                        extracted.insert(name.clone(), simplify(&json));
                    }
                    Err(e) => tracing::debug!("failed to search JMES expression: {e}"),
                }
            }
        }
        if let (Some(re), serde_json::Value::Object(m)) = (&self.0.regex, &root) {
            for (k, v) in m {
                if re.is_match(k) {
                    extracted.insert(k.clone(), simplify(v));
                }
            }
        }
        Ok(())
    }
}

impl Stage for Json {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        let line = std::mem::take(&mut e.line);
        let result = self.extract(&mut e.extracted, &line);
        e.line = line;
        if result.is_err() && self.0.drop_malformed {
            return;
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    const LOG: &str = r#"{"time":"2012-11-01T22:08:41+00:00","app":"loki","component":["parser","type"],"level":"WARN","nested":{"child":"value"},"duration":125,"message":"this is a log line","complex":{"log":{"array":[{"test1":"test1"},{"test2":"test2"}]}}}"#;

    // Alloy's json_test.go: expressions, nested, arrays and objects kept as JSON, numbers as float64.
    #[test]
    fn extracts_by_jmespath() {
        let (mut p, _) = pipeline(
            r#"stage.json { expressions = {
                out = "message", app = "", nested = "", duration = "",
                component = "component[0]", complex = "complex.log.array[1].test2", missing = "nope",
                obj = "complex.log",
            } }"#,
        );
        let mut out = Vec::new();
        p.run(entry(&[], LOG), &mut out);
        let x = &out[0].extracted;
        assert_eq!(x["out"], Value::Str("this is a log line".into()));
        assert_eq!(x["app"], Value::Str("loki".into()));
        assert_eq!(x["nested"], Value::Str(r#"{"child":"value"}"#.into()));
        assert_eq!(x["duration"], Value::Num(125.0));
        assert_eq!(x["component"], Value::Str("parser".into()));
        assert_eq!(x["complex"], Value::Str("test2".into()));
        assert_eq!(x["missing"], Value::Null);
        assert_eq!(
            x["obj"],
            Value::Str(r#"{"array":[{"test1":"test1"},{"test2":"test2"}]}"#.into())
        );
        assert_eq!(out[0].line, LOG);
    }

    #[test]
    fn regex_keys_and_source() {
        let (mut p, _) = pipeline(
            r#"
            stage.json { expressions = { inner = "nested" } }
            stage.json {
                source = "inner"
                regex = "^ch.*"
            }
            "#,
        );
        let mut out = Vec::new();
        p.run(entry(&[], LOG), &mut out);
        assert_eq!(out[0].extracted["child"], Value::Str("value".into()));
    }

    #[test]
    fn malformed_lines_pass_or_drop() {
        let keep = run_line(r#"stage.json { expressions = { a = "" } }"#, "not json");
        assert_eq!(keep.len(), 1);
        assert!(!keep[0].extracted.contains_key("a"));
        let drop = run_line(
            r#"stage.json {
                expressions = { a = "" }
                drop_malformed = true
            }"#,
            "[1,2]",
        );
        assert!(drop.is_empty());
    }

    #[test]
    fn errors() {
        assert!(error("stage.json {}").contains("JMES expressions or regex is required"));
        assert!(error(r#"stage.json { expressions = { a = "a[" } }"#)
            .contains("could not compile JMES expression"));
        assert!(error(
            r#"stage.json {
            expressions = { a = "" }
            source = ""
        }"#
        )
        .contains("empty source"));
    }
}
