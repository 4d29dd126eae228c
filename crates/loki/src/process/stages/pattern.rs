//! `stage.pattern`: extracts values with a LogQL pattern (`<ip> - <_> [<ts>] "<method> <path> ..."`): each
//! `<name>` captures up to the literal text after it (or the rest of the input), `<_>` skips. Read from the
//! line or an extracted value (`source`); with `labels_from_groups` the captures become labels too.
//!
//! As Loki's lexer reads patterns byte by byte, a literal byte above 0x7f is taken as the character of
//! that number (so non-ASCII literal text never matches UTF-8 input), as in Alloy.

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::pipeline::{PEntry, Stage};
use crate::process::value::Value;

use super::source_text;

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Capture(String),
    Literal(String),
}

/// A compiled pattern: Loki's `pattern.New`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    nodes: Vec<Node>,
    names: Vec<String>,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let b = text.as_bytes();
        let mut nodes: Vec<Node> = Vec::new();
        let mut i = 0;
        while i < b.len() {
            // `<` identifier `>` is a capture (the longest match wins over a literal `<`).
            if b[i] == b'<' && i + 1 < b.len() && is_ident_start(b[i + 1]) {
                let mut j = i + 2;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if j < b.len() && b[j] == b'>' {
                    nodes.push(Node::Capture(text[i + 1..j].to_string()));
                    i = j + 1;
                    continue;
                }
            }
            // Each byte is a rune of that number.
            let c = char::from(b[i]);
            match nodes.last_mut() {
                Some(Node::Literal(l)) => l.push(c),
                _ => nodes.push(Node::Literal(c.to_string())),
            }
            i += 1;
        }
        let names: Vec<String> = nodes
            .iter()
            .filter_map(|n| match n {
                Node::Capture(c) if c != "_" => Some(c.clone()),
                _ => None,
            })
            .collect();
        if names.is_empty() {
            return Err("at least one capture is required".to_string());
        }
        // Loki checks only pairs starting at even positions and then fails on an odd one when matching
        // (Alloy stops with a panic); ingot refuses every pair of adjacent captures.
        for pair in nodes.windows(2) {
            if let [Node::Capture(_), Node::Capture(_)] = pair {
                return Err("found consecutive capture: invalid expression".to_string());
            }
        }
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(format!("duplicate capture name ({n}): invalid expression"));
            }
        }
        Ok(Pattern { nodes, names })
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Loki's `Matches`: the captures in order (fewer than the names when the input ran out), or `None`.
    pub fn matches<'a>(&self, mut input: &'a str) -> Option<Vec<&'a str>> {
        if input.is_empty() || self.nodes.is_empty() {
            return None;
        }
        let mut nodes = &self.nodes[..];
        if let Node::Literal(l) = &nodes[0] {
            if !input.starts_with(l.as_str()) {
                return None;
            }
            input = &input[l.len()..];
            nodes = &nodes[1..];
        }
        if nodes.is_empty() {
            return None;
        }
        let mut caps = Vec::new();
        while !nodes.is_empty() {
            let Node::Capture(name) = &nodes[0] else {
                return Some(caps);
            };
            let named = name != "_";
            let Some(Node::Literal(lit)) = nodes.get(1) else {
                if named {
                    caps.push(input);
                }
                return Some(caps);
            };
            nodes = &nodes[2..];
            match input.find(lit.as_str()) {
                None => {
                    if named {
                        caps.push(input);
                    }
                    return Some(caps);
                }
                Some(i) => {
                    if named {
                        caps.push(&input[..i]);
                    }
                    input = &input[i + lit.len()..];
                }
            }
        }
        Some(caps)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub pattern: Pattern,
    pub source: Option<String>,
    pub labels_from_groups: bool,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let text: String = d.required("pattern")?;
        let source: Option<String> = d.optional("source")?;
        let labels_from_groups = d.optional_or("labels_from_groups", false)?;
        if text.is_empty() {
            return Err(d.error_at_attr("pattern", invalid("pattern is required")));
        }
        if source.as_deref() == Some("") {
            return Err(d.error_at_attr("source", invalid("empty source")));
        }
        let pattern = Pattern::parse(&text).map_err(|e| {
            d.error_at_attr("pattern", invalid(format!("failed to parse pattern: {e}")))
        })?;
        Ok(Config {
            pattern,
            source,
            labels_from_groups,
        })
    }
}

impl Config {
    pub fn build(&self) -> PatternStage {
        PatternStage(self.clone())
    }
}

pub struct PatternStage(Config);

impl Stage for PatternStage {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        let input = match &self.0.source {
            Some(src) => source_text(&e.extracted, src),
            None => Some(e.line.clone()),
        };
        if let Some(input) = input {
            match self.0.pattern.matches(&input) {
                Some(caps) => {
                    for (name, v) in self.0.pattern.names().iter().zip(caps) {
                        e.extracted.insert(name.clone(), Value::from(v));
                        if self.0.labels_from_groups {
                            e.labels.insert(name.clone(), v.to_string());
                        }
                    }
                }
                None => tracing::debug!(stage = "pattern", "pattern did not match"),
            }
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    // Cases of Loki's pattern_test.go and Alloy's pattern_test.go.
    #[test]
    fn matches_as_loki() {
        let m = |p: &str, s: &str| Pattern::parse(p).unwrap().matches(s).map(|v| v.join("|"));
        assert_eq!(
            m(
                r#"<ip> - <user> [<_>] "<method> <path> <_>" <status> <size>"#,
                r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326"#
            ),
            Some("127.0.0.1|frank|GET|/a.gif|200|2326".to_string())
        );
        assert_eq!(m("<a> <b>", "one"), Some("one".to_string()));
        assert_eq!(m("x<a>", "y1"), None);
        assert_eq!(m("<a>", ""), None);
        assert_eq!(m("<_> <a>", "1 2 3"), Some("2 3".to_string()));
        assert_eq!(m("<a>,<b>,", "1,2"), Some("1|2".to_string()));
        // A capture missing its literal takes the rest, and the match ends there.
        assert_eq!(m("<a> x <b>", "1 y 2"), Some("1 y 2".to_string()));
        // `<` not starting an identifier is literal text.
        assert_eq!(m("<<a>>", "<v>"), Some("v".to_string()));
        assert_eq!(m("é<a>", "é1"), None);
    }

    #[test]
    fn stage() {
        let out = run_line(
            "stage.pattern {\npattern = \"<level> <msg>\"\nlabels_from_groups = true\n}",
            "WARN disk full",
        );
        assert_eq!(out[0].extracted["msg"], Value::from("disk full"));
        assert_eq!(out[0].labels.get("level").unwrap(), "WARN");
    }

    #[test]
    fn errors() {
        assert!(error("stage.pattern { pattern = \"\" }").contains("pattern is required"));
        assert!(error("stage.pattern { pattern = \"abc <_>\" }")
            .contains("failed to parse pattern: at least one capture is required"));
        assert!(error("stage.pattern { pattern = \"<a><b>\" }")
            .contains("found consecutive capture: invalid expression"));
        assert!(error("stage.pattern { pattern = \"x<a><b>\" }")
            .contains("found consecutive capture: invalid expression"));
        assert!(error("stage.pattern { pattern = \"<a> <a>\" }")
            .contains("duplicate capture name (a): invalid expression"));
        assert!(
            error("stage.pattern {\npattern = \"<a>\"\nsource = \"\"\n}").contains("empty source")
        );
    }
}
