//! `stage.regex`: matches an RE2 `expression` (Go's syntax, see `ingot_gocompat::regexp`) against the line
//! or an extracted value (`source`) and extracts its named groups; with `labels_from_groups`, they become
//! labels too.

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::pipeline::{in_place_stage, InPlace, PEntry};
use crate::process::value::{Text, Value};

use super::source_text;

#[derive(Clone, Debug)]
pub struct Config {
    pub expression: regex::Regex,
    pub source: Option<String>,
    pub labels_from_groups: bool,
}

impl PartialEq for Config {
    fn eq(&self, o: &Config) -> bool {
        self.expression.as_str() == o.expression.as_str()
            && self.source == o.source
            && self.labels_from_groups == o.labels_from_groups
    }
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let expression: String = d.required("expression")?;
        let source: Option<String> = d.optional("source")?;
        let labels_from_groups = d.optional_or("labels_from_groups", false)?;
        if expression.is_empty() {
            return Err(d.error_at_attr("expression", invalid("expression is required")));
        }
        if source.as_deref() == Some("") {
            return Err(d.error_at_attr("source", invalid("empty source")));
        }
        let expression = ingot_gocompat::regexp::compile(&expression).map_err(|e| {
            d.error_at_attr(
                "expression",
                invalid(format!("could not compile regular expression: {e}")),
            )
        })?;
        Ok(Config {
            expression,
            source,
            labels_from_groups,
        })
    }
}

impl Config {
    pub fn build(&self) -> Regex {
        let re = &self.expression;
        Regex {
            names: re
                .capture_names()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (i, Text::from(n))))
                .collect(),
            locs: re.capture_locations(),
            cfg: self.clone(),
        }
    }
}

pub struct Regex {
    cfg: Config,
    /// The named groups: their index and name.
    names: Vec<(usize, Text)>,
    /// Where the last match put its groups, reused from line to line.
    locs: regex::CaptureLocations,
}

impl Regex {
    fn extract(&mut self, e: &mut PEntry, input: &str) {
        if self
            .cfg
            .expression
            .captures_read(&mut self.locs, input)
            .is_none()
        {
            tracing::debug!(stage = "regex", "regex did not match");
            return;
        }
        for (i, name) in &self.names {
            // A group that took no part in the match is "" in Go.
            let v = self.locs.get(*i).map_or("", |(a, b)| &input[a..b]);
            e.extracted.insert(name.clone(), Value::from(v));
            if self.cfg.labels_from_groups {
                e.labels.insert(name.clone(), v);
            }
        }
    }
}

in_place_stage!(Regex);

impl InPlace for Regex {
    fn apply(&mut self, e: &mut PEntry) -> bool {
        match &self.cfg.source {
            Some(src) => {
                if let Some(input) = source_text(&e.extracted, src) {
                    self.extract(e, &input);
                }
            }
            None => {
                let line = std::mem::take(&mut e.line);
                self.extract(e, &line);
                e.line = line;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    const LINE: &str = r#"11.11.11.11 - frank [25/Jan/2000:14:00:01 -0500] "GET /1986.js HTTP/1.1" 200 932 "-" "Mozilla/5.0""#;

    // Alloy's regex_test.go: an access-log expression, groups that did not take part, a source.
    #[test]
    fn extracts_named_groups() {
        let out = run_line(
            r#"stage.regex { expression = "^(?P<ip>\\S+) (?P<identd>\\S+) (?P<user>\\S+) \\[(?P<timestamp>[\\w:/]+\\s[+\\-]\\d{4})\\] \"(?P<action>\\S+)\\s?(?P<path>\\S+)?\\s?(?P<protocol>\\S+)?\" (?P<status>\\d{3}|-) (?P<size>\\d+|-)\\s?\"?(?P<referer>[^\"]*)\"?\\s?\"?(?P<useragent>[^\"]*)?\"?$" }"#,
            LINE,
        );
        let x = &out[0].extracted;
        assert_eq!(x["ip"], Value::Str("11.11.11.11".into()));
        assert_eq!(
            x["timestamp"],
            Value::Str("25/Jan/2000:14:00:01 -0500".into())
        );
        assert_eq!(x["path"], Value::Str("/1986.js".into()));
        assert_eq!(x["status"], Value::Str("200".into()));
        assert_eq!(x["useragent"], Value::Str("Mozilla/5.0".into()));
        assert!(out[0].labels.is_empty());
    }

    #[test]
    fn labels_from_groups_and_unmatched_groups() {
        let out = run_line(
            r#"stage.regex {
                expression = "^(?P<level>[A-Z]+)(?: (?P<extra>x))?"
                labels_from_groups = true
            }"#,
            "WARN something",
        );
        assert_eq!(out[0].labels.get("level"), Some("WARN"));
        assert_eq!(out[0].extracted["extra"], Value::from(""));
        // No match: nothing extracted, the entry goes on.
        let out = run_line(r#"stage.regex { expression = "^(?P<n>\\d+)$" }"#, "abc");
        assert!(!out[0].extracted.contains_key("n"));
    }

    #[test]
    fn errors() {
        assert!(error(r#"stage.regex { expression = "(?P<ts[0-9]+" }"#)
            .contains("could not compile regular expression"));
        assert!(error(r#"stage.regex { expression = "" }"#).contains("expression is required"));
        assert!(error(
            r#"stage.regex {
            expression = "a"
            source = ""
        }"#
        )
        .contains("empty source"));
        assert!(error(r#"stage.regex { expression = "\\p{Greek}" }"#).contains("Unicode classes"));
    }
}
