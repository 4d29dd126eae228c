//! `stage.json`: parses the line (or an extracted value, `source`) as a JSON object and extracts values by
//! JMESPath `expressions` (name = expression; an empty expression is the name) and top-level keys matching
//! `regex`. Numbers, strings, bools and null are kept as such; arrays and objects as their JSON text. A
//! line that is not a JSON object is passed on unchanged, or dropped with `drop_malformed`.

use std::collections::BTreeMap;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::json_doc::{self, Doc};
use crate::process::pipeline::{in_place_stage, InPlace, PEntry};
use crate::process::value::{marshal_json, Extracted, Text, Value};

use super::source_text;

#[derive(Clone)]
pub struct Config {
    pub expressions: Vec<(String, crate::process::jmespath::Expr)>,
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
            match crate::process::jmespath::compile(text) {
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
        let exprs = self
            .expressions
            .iter()
            .map(|(name, e)| {
                let how = match path_of(e.as_ast()) {
                    Some(path) => Eval::Path(path),
                    None => Eval::Jmes(e.clone()),
                };
                (Text::from(name.as_str()), how)
            })
            .collect::<Vec<_>>();
        // Only paths and no regex: the line's other members need not be kept.
        let mut top: Vec<String> = Vec::new();
        let only_paths = self.regex.is_none()
            && exprs.iter().all(|(_, how)| match how {
                Eval::Path(steps) => match steps.first() {
                    Some(Step::Field(f)) => {
                        if !top.contains(f) {
                            top.push(f.clone());
                        }
                        true
                    }
                    _ => false,
                },
                Eval::Jmes(_) => false,
            });
        Json {
            cfg: self.clone(),
            exprs,
            top: (only_paths && top.len() <= json_doc::FIELDS).then_some(top),
        }
    }
}

/// One step of a path expression.
#[derive(Clone, Debug)]
enum Step {
    Field(String),
    Index(i64),
}

/// How an expression is evaluated: a path of fields and indices read straight from the document (what
/// nearly every config writes: `message`, `"http.status"`, `nested.field`, `list[0]`), or the JMESPath
/// engine for everything else. Both give the same value: a missing field or an index out of range is null.
#[derive(Clone)]
enum Eval {
    Path(Vec<Step>),
    Jmes(crate::process::jmespath::Expr),
}

fn path_of(ast: &jmespath::ast::Ast) -> Option<Vec<Step>> {
    use jmespath::ast::Ast;
    match ast {
        Ast::Field { name, .. } => Some(vec![Step::Field(name.clone())]),
        Ast::Subexpr { lhs, rhs, .. } => {
            let mut p = path_of(lhs)?;
            match &**rhs {
                Ast::Index { idx, .. } => p.push(Step::Index(i64::from(*idx))),
                other => p.extend(path_of(other)?),
            }
            Some(p)
        }
        _ => None,
    }
}

pub struct Json {
    cfg: Config,
    exprs: Vec<(Text, Eval)>,
    /// When every expression is a path (and there is no `regex`): the members they start from, which are
    /// all the stage reads of a line (see [`json_doc::parse_fields`]).
    top: Option<Vec<String>>,
}

/// The value at `steps` below `cur`, or `None`: a missing field or an index out of range.
fn walk<'d, 'a>(mut cur: Option<&'d Doc<'a>>, steps: &[Step]) -> Option<&'d Doc<'a>> {
    for step in steps {
        cur = cur.and_then(|d| match step {
            Step::Field(f) => d.get(f),
            Step::Index(i) => d.index(*i),
        });
    }
    cur
}

/// Alloy's `simplifyType`: scalars as they are, arrays and objects as their JSON text.
fn simplify(v: &Doc<'_>) -> Value {
    match v {
        Doc::Null => Value::Null,
        Doc::Bool(b) => Value::Bool(*b),
        Doc::Num(n) => Value::Num(*n),
        Doc::Str(s) => Value::from(s.as_ref()),
        other => {
            let mut s = String::new();
            other.marshal(&mut s);
            Value::from(s)
        }
    }
}

/// A JMESPath result as the extracted map holds it: scalars as they are, objects and arrays as their JSON
/// text (Alloy keeps the decoded Go map or slice; see the docs). Also `stage.geoip`'s `custom_lookups`.
pub(crate) fn simplify_json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Num(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::from(s.as_str()),
        other => {
            let mut s = String::new();
            marshal_json(other, &mut s);
            Value::from(s)
        }
    }
}

impl Json {
    /// `Err` when the input is not a JSON object (Alloy's `malformed json`).
    fn extract(&self, extracted: &mut Extracted, input: &str) -> Result<(), ()> {
        if let Some(top) = &self.top {
            return self.extract_paths(top, extracted, input);
        }
        let doc = match json_doc::parse(input) {
            // Go decodes a JSON null into a map as an empty (nil) map.
            Ok(Doc::Null) => Doc::Obj(Vec::new()),
            Ok(d @ Doc::Obj(_)) => d,
            _ => {
                tracing::debug!(stage = "json", "failed to unmarshal log line");
                return Err(());
            }
        };
        let mut var: Option<std::sync::Arc<jmespath::Variable>> = None;
        for (name, how) in &self.exprs {
            match how {
                Eval::Path(steps) => {
                    let cur = walk(Some(&doc), steps);
                    extracted.insert(name.clone(), cur.map_or(Value::Null, simplify));
                }
                Eval::Jmes(expr) => {
                    let var = match &mut var {
                        Some(v) => v.clone(),
                        None => match jmespath::Variable::try_from(&doc.to_json()) {
                            Ok(v) => var.insert(std::sync::Arc::new(v)).clone(),
                            Err(_) => return Err(()),
                        },
                    };
                    match expr.search(var) {
                        Ok(result) => {
                            let json =
                                serde_json::to_value(&*result).unwrap_or(serde_json::Value::Null);
                            extracted.insert(name.clone(), simplify_json(&json));
                        }
                        Err(e) => {
                            tracing::debug!(stage = "json", "failed to search JMES expression: {e}")
                        }
                    }
                }
            }
        }
        if let Some(re) = &self.cfg.regex {
            for (k, v) in doc.members() {
                if re.is_match(k) {
                    extracted.insert(k.to_string(), simplify(v));
                }
            }
        }
        Ok(())
    }

    /// [`Json::extract`] when every expression is a path: only the members the paths start from are
    /// kept, the rest of the line is read (and must be JSON) but not built into a document.
    fn extract_paths(
        &self,
        top: &[String],
        extracted: &mut Extracted,
        input: &str,
    ) -> Result<(), ()> {
        let mut slots: [Option<Doc<'_>>; json_doc::FIELDS] = Default::default();
        if json_doc::parse_fields(input, top, &mut slots).is_err() {
            tracing::debug!(stage = "json", "failed to unmarshal log line");
            return Err(());
        }
        for (name, how) in &self.exprs {
            let Eval::Path(steps) = how else {
                continue;
            };
            let Some(Step::Field(first)) = steps.first() else {
                continue;
            };
            let slot = top
                .iter()
                .position(|t| t == first)
                .and_then(|i| slots[i].as_ref());
            let cur = walk(slot, &steps[1..]);
            extracted.insert(name.clone(), cur.map_or(Value::Null, simplify));
        }
        Ok(())
    }
}

in_place_stage!(Json);

impl InPlace for Json {
    fn apply(&mut self, e: &mut PEntry) -> bool {
        let result = match &self.cfg.source {
            Some(src) => match source_text(&e.extracted, src) {
                Some(s) => self.extract(&mut e.extracted, &s),
                None => Ok(()),
            },
            None => {
                let line = std::mem::take(&mut e.line);
                let r = self.extract(&mut e.extracted, &line);
                e.line = line;
                r
            }
        };
        !(result.is_err() && self.cfg.drop_malformed)
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

    // The path fast path and the JMESPath engine agree on what they both can read.
    #[test]
    fn paths_read_as_jmespath_reads_them() {
        let doc = r#"{"a":{"b":[{"c":1},{"c":"x"}],"d":null},"a":{"b":[{"c":2}],"e":"last"},"k-1":true,"n":[1,[2,3]]}"#;
        let json: serde_json::Value =
            serde_json::from_str(r#"{"a":{"b":[{"c":2}],"e":"last"},"k-1":true,"n":[1,[2,3]]}"#)
                .unwrap();
        let parsed = crate::process::json_doc::parse(doc).unwrap();
        for expr in [
            "a",
            "a.b",
            "a.b[0].c",
            "a.b[-1]",
            "a.b[5]",
            "a.e",
            "a.d",
            "\"k-1\"",
            "n[1][0]",
            "n[-1][-1]",
            "missing.x",
            "a.e.x",
            "n[0].x",
            "nope[0]",
        ] {
            let e = crate::process::jmespath::compile(expr).unwrap();
            let steps = super::path_of(e.as_ast()).unwrap_or_else(|| panic!("{expr} is a path"));
            let mut cur = Some(&parsed);
            for s in &steps {
                cur = cur.and_then(|d| match s {
                    super::Step::Field(f) => d.get(f),
                    super::Step::Index(i) => d.index(*i),
                });
            }
            let fast = cur.map_or(Value::Null, super::simplify);
            let slow = super::simplify_json(&e.search_json(&json).unwrap());
            assert_eq!(fast, slow, "{expr}");
        }
        let e = crate::process::jmespath::compile("a[?c > `1`]").unwrap();
        assert!(super::path_of(e.as_ast()).is_none());
    }

    // The members-only reading gives what the whole document gives, line by line.
    #[test]
    fn paths_only_reading_agrees_with_the_document() {
        let cfgs = crate::process::stages::testing::decode(
            r#"stage.json { expressions = { ts = "time", level = "", a = "nested.child", c = "component[1]", n = "nope", d = "duration" } }"#,
        )
        .unwrap();
        let crate::process::args::StageConfig::Json(cfg) = &cfgs[0] else {
            panic!("not json")
        };
        let fast = cfg.build();
        assert!(fast.top.is_some());
        let general = super::Json {
            top: None,
            ..cfg.build()
        };
        for line in [
            LOG,
            r#"{"time":"t1","time":"t2","level":null,"nested":{"child":[1,{"x":"<"}]}}"#,
            r#"{"component":"notalist","duration":1e400}"#,
            "null",
            "[1]",
            r#"{"a":1"#,
            r#"{"a":"\ud800"}"#,
            r#"{"level":"x"} trailing"#,
        ] {
            let mut a = crate::process::value::Extracted::new();
            let mut b = crate::process::value::Extracted::new();
            let ra = fast.extract(&mut a, line);
            let rb = general.extract(&mut b, line);
            assert_eq!(ra, rb, "{line}");
            assert_eq!(a, b, "{line}");
        }
    }

    #[test]
    fn community_functions_and_syntax() {
        let out = run_line(
            r#"stage.json { expressions = { l = "lower(msg)", parts = "split(msg, ' ')", raw = "'a\\\\b'" } }"#,
            r#"{"msg":"Hello World"}"#,
        );
        assert_eq!(out[0].extracted["l"], Value::from("hello world"));
        assert_eq!(
            out[0].extracted["parts"],
            Value::from(r#"["Hello","World"]"#)
        );
        assert_eq!(out[0].extracted["raw"], Value::from("a\\b"));
        let e = error(r#"stage.json { expressions = { s = "a + b" } }"#);
        assert!(
            e.contains("could not compile JMES expression")
                && e.contains("not its arithmetic, let expressions or $"),
            "{e}"
        );
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
