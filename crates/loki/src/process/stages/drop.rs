//! `stage.drop`: drops entries that meet every condition given: `longer_than` (line bytes), `older_than`
//! (timestamp age), `source` present in the extracted map (one name, or several separated by commas),
//! `source` values (joined with `separator`) equal to `value` or matching `expression`, or the line
//! matching `expression` when there is no `source`. Dropped lines are counted in
//! `loki_process_dropped_lines_total{reason=drop_counter_reason}` (default `drop_stage`).

use std::sync::Arc;
use std::time::Duration;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::metrics::Metrics;
use crate::process::pipeline::{in_place_stage, InPlace, PEntry};
use crate::process::value::{get_string, with_str};

use super::bytes_attr;

/// What the source values (or the line) must be for the entry to drop.
#[derive(Clone, Debug)]
pub enum Test {
    /// `value`: the joined source values equal it (Alloy's `^QuoteMeta(value)$`).
    Equals(String),
    /// `expression`: a Go regular expression matches.
    Matches(regex::Regex),
}

impl PartialEq for Test {
    fn eq(&self, o: &Test) -> bool {
        match (self, o) {
            (Test::Equals(a), Test::Equals(b)) => a == b,
            (Test::Matches(a), Test::Matches(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub reason: String,
    pub sources: Vec<String>,
    pub test: Option<Test>,
    pub separator: String,
    pub older_than: Option<Duration>,
    pub longer_than: Option<u64>,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let reason: String = d.optional_or("drop_counter_reason", String::new())?;
        let source: String = d.optional_or("source", String::new())?;
        let value: String = d.optional_or("value", String::new())?;
        let separator: String = d.optional_or("separator", String::new())?;
        let expression: String = d.optional_or("expression", String::new())?;
        let older_than: Duration = d.optional_or("older_than", Duration::ZERO)?;
        let longer_than = bytes_attr(d, "longer_than")?.unwrap_or(0);
        if source.is_empty() && expression.is_empty() && older_than.is_zero() && longer_than == 0 {
            return Err(d.error(invalid(
                "drop stage config must contain at least one of `source`, `expression`, `older_than` or `longer_than`",
            )));
        }
        if !value.is_empty() && !expression.is_empty() {
            return Err(d.error(invalid(
                "drop stage config error, `value` and `expression` cannot both be defined at the same time",
            )));
        }
        if !value.is_empty() && source.is_empty() {
            return Err(d.error_at_attr(
                "value",
                invalid("drop stage config must contain `source` if `value` is specified"),
            ));
        }
        let test = if !value.is_empty() {
            Some(Test::Equals(value))
        } else if !expression.is_empty() {
            let re = ingot_gocompat::regexp::compile(&expression).map_err(|e| {
                d.error_at_attr(
                    "expression",
                    invalid(format!("drop stage regex compilation error: {e}")),
                )
            })?;
            Some(Test::Matches(re))
        } else {
            None
        };
        Ok(Config {
            reason: if reason.is_empty() {
                "drop_stage".to_string()
            } else {
                reason
            },
            // Alloy splits at every comma and trims nothing.
            sources: if source.is_empty() {
                Vec::new()
            } else {
                source.split(',').map(str::to_string).collect()
            },
            test,
            separator: if separator.is_empty() {
                ";".to_string()
            } else {
                separator
            },
            older_than: (!older_than.is_zero()).then_some(older_than),
            longer_than: (longer_than != 0).then_some(longer_than),
        })
    }
}

impl Config {
    pub fn build(&self, metrics: &Arc<Metrics>) -> Drop {
        Drop {
            cfg: self.clone(),
            metrics: metrics.clone(),
        }
    }
}

pub struct Drop {
    cfg: Config,
    metrics: Arc<Metrics>,
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

impl Drop {
    /// Alloy's `shouldDrop`: every condition configured must hold.
    fn should_drop(&self, e: &PEntry) -> bool {
        let c = &self.cfg;
        if let Some(max) = c.longer_than {
            if e.line.len() as u64 <= max {
                return false;
            }
        }
        if let Some(age) = c.older_than {
            let cutoff = now_ns().saturating_sub(age.as_nanos().min(i64::MAX as u128) as i64);
            if e.timestamp_ns >= cutoff {
                return false;
            }
        }
        match (&c.test, c.sources.is_empty()) {
            (None, false) => {
                if !c.sources.iter().all(|s| e.extracted.contains_key(s)) {
                    return false;
                }
            }
            (Some(test), true) => {
                if !test_matches(test, &e.line) {
                    return false;
                }
            }
            (Some(test), false) if c.sources.len() == 1 => {
                // One source: its text is compared where it is. A missing source is an empty text.
                let matched = match e.extracted.get(&c.sources[0]) {
                    None => test_matches(test, ""),
                    Some(v) => match with_str(v, |s| test_matches(test, s)) {
                        Ok(m) => m,
                        Err(err) => {
                            tracing::debug!(stage = "drop", "failed to convert extracted map value to string, line will not be dropped: {err}");
                            return false;
                        }
                    },
                };
                if !matched {
                    return false;
                }
            }
            (Some(test), false) => {
                // Sources that are missing are left out of the joined text.
                let mut joined = String::new();
                let mut first = true;
                for src in &c.sources {
                    if let Some(v) = e.extracted.get(src) {
                        match get_string(v) {
                            Ok(s) => {
                                if !first {
                                    joined.push_str(&c.separator);
                                }
                                first = false;
                                joined.push_str(&s);
                            }
                            Err(err) => {
                                tracing::debug!(stage = "drop", "failed to convert extracted map value to string, line will not be dropped: {err}");
                                return false;
                            }
                        }
                    }
                }
                if !test_matches(test, &joined) {
                    return false;
                }
            }
            (None, true) => {}
        }
        true
    }
}

fn test_matches(test: &Test, text: &str) -> bool {
    match test {
        Test::Equals(v) => text == v,
        Test::Matches(re) => re.is_match(text),
    }
}

in_place_stage!(Drop);

impl InPlace for Drop {
    fn apply(&mut self, e: &mut PEntry) -> bool {
        if self.should_drop(e) {
            self.metrics.dropped(&self.cfg.reason);
            false
        } else {
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::process::pipeline::PEntry;
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    fn kept(cfg: &str, e: PEntry) -> bool {
        let (mut p, _) = pipeline(cfg);
        let mut out = Vec::new();
        p.run(e, &mut out);
        !out.is_empty()
    }

    fn with(line: &str, extracted: &[(&str, Value)]) -> PEntry {
        let mut e = entry(&[], line);
        for (k, v) in extracted {
            e.extracted.insert(k.to_string(), v.clone());
        }
        e
    }

    fn s(v: &str) -> Value {
        Value::from(v)
    }

    // Cases of Alloy's drop_test.go.
    #[test]
    fn conditions() {
        let long = "x".repeat(20);
        assert!(!kept(
            "stage.drop { longer_than = \"10B\" }",
            with(&long, &[])
        ));
        assert!(kept("stage.drop { longer_than = 100 }", with(&long, &[])));
        assert!(!kept("stage.drop { older_than = \"1h\" }", with("a", &[])));
        let mut fresh = with("a", &[]);
        fresh.timestamp_ns = super::now_ns();
        assert!(kept("stage.drop { older_than = \"1h\" }", fresh));
        // Source present (any value) drops; absent keeps.
        assert!(!kept(
            "stage.drop { source = \"key\" }",
            with("a", &[("key", s(""))])
        ));
        assert!(kept("stage.drop { source = \"key\" }", with("a", &[])));
        assert!(kept(
            "stage.drop { source = \"key,other\" }",
            with("a", &[("key", s("1"))])
        ));
        // Value equality, not a search.
        let cfg = "stage.drop {\nsource = \"level\"\nvalue = \"debug\"\n}";
        assert!(!kept(cfg, with("a", &[("level", s("debug"))])));
        assert!(kept(cfg, with("a", &[("level", s("debug2"))])));
        let cfg = "stage.drop {\nsource = \"v\"\nvalue = \"1.5\"\n}";
        assert!(!kept(cfg, with("a", &[("v", Value::Num(1.5))])));
        // Expression on the line, on joined sources, a value that is not text keeps the line.
        assert!(!kept(
            "stage.drop { expression = \".*debug.*\" }",
            with("a debug line", &[])
        ));
        assert!(kept(
            "stage.drop { expression = \"^debug\" }",
            with("a debug line", &[])
        ));
        let cfg = "stage.drop {\nsource = \"a,b\"\nexpression = \"^1;2$\"\n}";
        assert!(!kept(cfg, with("x", &[("a", s("1")), ("b", s("2"))])));
        let cfg =
            "stage.drop {\nsource = \"a,b\"\nseparator = \"|\"\nexpression = \"^1\\\\|2$\"\n}";
        assert!(!kept(cfg, with("x", &[("a", s("1")), ("b", s("2"))])));
        let cfg = "stage.drop {\nsource = \"a,missing\"\nexpression = \"^1$\"\n}";
        assert!(!kept(cfg, with("x", &[("a", s("1"))])));
        let cfg = "stage.drop {\nsource = \"a\"\nexpression = \".*\"\n}";
        assert!(kept(cfg, with("x", &[("a", Value::Null)])));
        // All conditions together.
        let cfg = "stage.drop {\nlonger_than = 3\nexpression = \"b\"\n}";
        assert!(kept(cfg, with("ab", &[])));
        assert!(kept(cfg, with("aaaa", &[])));
        assert!(!kept(cfg, with("aaab", &[])));
    }

    #[test]
    fn counted_by_reason() {
        let (mut p, m) = pipeline(
            "stage.drop {\nexpression = \"x\"\ndrop_counter_reason = \"noise\"\n}\nstage.drop { longer_than = 2 }",
        );
        let mut out = Vec::new();
        for line in ["x", "abc", "ok"] {
            p.run(entry(&[], line), &mut out);
        }
        assert_eq!(out.len(), 1);
        assert_eq!(m.dropped_count("noise"), 1);
        assert_eq!(m.dropped_count("drop_stage"), 1);
    }

    #[test]
    fn errors() {
        assert!(error("stage.drop {}").contains(
            "drop stage config must contain at least one of `source`, `expression`, `older_than` or `longer_than`"
        ));
        assert!(
            error("stage.drop {\nsource = \"a\"\nvalue = \"b\"\nexpression = \"c\"\n}")
                .contains("`value` and `expression` cannot both be defined")
        );
        assert!(error("stage.drop {\nvalue = \"b\"\nlonger_than = 1\n}")
            .contains("must contain `source` if `value` is specified"));
        let e = error("stage.drop {\nexpression = \"(\"\n}");
        assert!(e.contains("test.alloy:2:14") && e.contains("drop stage regex compilation error: error parsing regexp: missing closing ): `(`"), "{e}");
        assert!(error("stage.drop { longer_than = \"1XB\" }").contains("units"));
        assert!(error("stage.drop { older_than = \"1x\" }").contains("unknown unit"));
    }
}
