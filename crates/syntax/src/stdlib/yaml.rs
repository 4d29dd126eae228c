//! Loading YAML safely: the checks Go's `gopkg.in/yaml.v3` makes before anything is built from a document, then
//! `yaml_rust2`'s loader.
//!
//! `yaml_rust2` expands every alias into a copy of its anchor as it loads, so a few hundred bytes of nested
//! aliases (a "billion laughs") stand for billions of nodes; and it recurses once per level of nesting. Go's
//! decoder refuses a document whose aliases make up too much of what decoding it reads ("yaml: document
//! contains excessive aliasing"), and one whose anchor contains an alias of itself. This module walks each
//! document as Go's decoder does, counting as it counts, without building anything, and also refuses nesting
//! past [`MAX_DECODE_DEPTH`] (counted in what aliases stand for, since they nest too). Only a document that
//! passes is handed to `yaml_rust2`, whose copies are then bounded by the same rule that bounds Go's.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, ScanError};
use yaml_rust2::{Yaml, YamlLoader};

use crate::limits::MAX_DECODE_DEPTH;

/// Why a YAML text was not loaded.
#[derive(Debug)]
pub enum YamlError {
    /// The text is not YAML (`yaml_rust2`'s error, with its place).
    Scan(ScanError),
    /// The text is YAML that Go's decoder, or the nesting limit, refuses; the message is Go's (`yaml: ...`).
    Refused(String),
}

/// Loads every document of `text`, as `YamlLoader::load_from_str` does, once every document has passed Go's
/// checks and the nesting limit.
pub fn load(text: &str) -> Result<Vec<Yaml>, YamlError> {
    check(text)?;
    YamlLoader::load_from_str(text).map_err(YamlError::Scan)
}

/// One node of a document as the parser gave it, with aliases left as references to their anchor's node.
enum Node {
    Scalar,
    /// Items of a sequence; keys and values (alternating) of a mapping.
    Collection(Vec<usize>),
    Alias {
        target: usize,
    },
}

/// A document's nodes, and for each the line it starts on and where its text starts (in characters).
struct Document {
    nodes: Vec<Node>,
    marks: Vec<Marker>,
}

/// Reads every document of `text` into nodes and checks each.
fn check(text: &str) -> Result<(), YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut doc = Document {
        nodes: Vec::new(),
        marks: Vec::new(),
    };
    let mut anchors: HashMap<usize, usize> = HashMap::new();
    // Open collections, innermost last.
    let mut open: Vec<usize> = Vec::new();
    let mut root = None;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            // The scanner's own limit on `[` and `{` (255) can come first, as it reads ahead.
            if e.info() == "recursion limit exceeded" {
                too_deep(*e.marker())
            } else {
                YamlError::Scan(e)
            }
        })?;
        let (node, anchor) = match event {
            Event::StreamEnd => return Ok(()),
            Event::DocumentStart => {
                doc.nodes.clear();
                doc.marks.clear();
                anchors.clear();
                root = None;
                continue;
            }
            Event::DocumentEnd => {
                if let Some(root) = root {
                    Decoder::new(&doc, text).document(root)?;
                }
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                open.pop();
                continue;
            }
            Event::Scalar(_, _, anchor, _) => (Node::Scalar, anchor),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if open.len() >= MAX_DECODE_DEPTH {
                    return Err(too_deep(mark));
                }
                (Node::Collection(Vec::new()), anchor)
            }
            Event::Alias(id) => {
                // The parser refuses an alias of an unknown anchor.
                let Some(&target) = anchors.get(&id) else {
                    continue;
                };
                (Node::Alias { target }, 0)
            }
            Event::Nothing | Event::StreamStart => continue,
        };
        let index = doc.nodes.len();
        let is_collection = matches!(node, Node::Collection(_));
        doc.nodes.push(node);
        doc.marks.push(mark);
        // An anchor names its node from its start, as in Go: an alias inside it refers to it.
        if anchor > 0 {
            anchors.insert(anchor, index);
        }
        match open.last() {
            Some(&parent) => {
                if let Node::Collection(children) = &mut doc.nodes[parent] {
                    children.push(index);
                }
            }
            None => root = Some(index),
        }
        if is_collection {
            open.push(index);
        }
    }
}

fn too_deep(mark: Marker) -> YamlError {
    YamlError::Refused(format!(
        "yaml: line {}: exceeded max depth of {MAX_DECODE_DEPTH}",
        mark.line()
    ))
}

// Go's yaml.v3 (decode.go): documents up to 400,000 decode steps may come 99% from aliases; from there the
// allowed share falls linearly to 10% at 4,000,000 steps.
const ALIAS_RATIO_RANGE_LOW: u64 = 400_000;
const ALIAS_RATIO_RANGE_HIGH: u64 = 4_000_000;

/// yaml.v3's `allowedAliasRatio`.
fn allowed_alias_ratio(decode_count: u64) -> f64 {
    if decode_count <= ALIAS_RATIO_RANGE_LOW {
        0.99
    } else if decode_count >= ALIAS_RATIO_RANGE_HIGH {
        0.10
    } else {
        let range = (ALIAS_RATIO_RANGE_HIGH - ALIAS_RATIO_RANGE_LOW) as f64;
        0.99 - 0.89 * ((decode_count - ALIAS_RATIO_RANGE_LOW) as f64 / range)
    }
}

/// yaml.v3's decoder, reduced to its counting: the same steps in the same order, building nothing.
struct Decoder<'a> {
    doc: &'a Document,
    text: &'a str,
    decode_count: u64,
    alias_count: u64,
    alias_depth: u32,
    /// Alias nodes being expanded (Go's `d.aliases`).
    expanding: Vec<bool>,
    /// The outermost alias being expanded: where a depth error inside an expansion is reported.
    outer_alias: Option<usize>,
}

impl<'a> Decoder<'a> {
    fn new(doc: &'a Document, text: &'a str) -> Decoder<'a> {
        Decoder {
            doc,
            text,
            decode_count: 0,
            alias_count: 0,
            alias_depth: 0,
            expanding: vec![false; doc.nodes.len()],
            outer_alias: None,
        }
    }

    /// The document node counts as one step, as in Go.
    fn document(&mut self, root: usize) -> Result<(), YamlError> {
        self.step()?;
        self.unmarshal(root, 0)
    }

    /// Go's `unmarshal` prologue: one more step, and the ratio check.
    fn step(&mut self) -> Result<(), YamlError> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            return Err(YamlError::Refused(
                "yaml: document contains excessive aliasing".into(),
            ));
        }
        Ok(())
    }

    /// `depth` is the number of collections around `node`, counting those reached through aliases.
    fn unmarshal(&mut self, node: usize, depth: usize) -> Result<(), YamlError> {
        self.step()?;
        let doc = self.doc;
        match &doc.nodes[node] {
            Node::Scalar => Ok(()),
            Node::Collection(children) => {
                if depth >= MAX_DECODE_DEPTH {
                    let at = self.outer_alias.unwrap_or(node);
                    return Err(too_deep(doc.marks[at]));
                }
                for &child in children {
                    self.unmarshal(child, depth + 1)?;
                }
                Ok(())
            }
            &Node::Alias { target } => {
                if self.expanding[node] {
                    return Err(YamlError::Refused(format!(
                        "yaml: anchor '{}' value contains itself",
                        self.alias_name(node)
                    )));
                }
                self.expanding[node] = true;
                self.alias_depth += 1;
                let outer = *self.outer_alias.get_or_insert(node);
                self.unmarshal(target, depth)?;
                if outer == node {
                    self.outer_alias = None;
                }
                self.alias_depth -= 1;
                self.expanding[node] = false;
                Ok(())
            }
        }
    }

    /// The name after the `*` of an alias, read back from the text (the parser keeps only a number).
    fn alias_name(&self, node: usize) -> String {
        self.text
            .chars()
            .skip(self.doc.marks[node].index() + 1)
            .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        match load(text) {
            Err(YamlError::Refused(message)) => message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn go_ratio_rule() {
        assert_eq!(allowed_alias_ratio(1000), 0.99);
        assert_eq!(allowed_alias_ratio(ALIAS_RATIO_RANGE_HIGH), 0.10);
        let mid = (ALIAS_RATIO_RANGE_LOW + ALIAS_RATIO_RANGE_HIGH) / 2;
        assert!((allowed_alias_ratio(mid) - 0.545).abs() < 1e-9);
    }

    #[test]
    fn aliases_are_counted_as_go_counts_them() {
        // 101 aliases of a scalar and 1,000 other steps: 101 / 1,103 is far under 99%.
        let mut doc = String::from("a: &a x\nl: [");
        doc.push_str(&vec!["*a"; 101].join(","));
        doc.push_str("]\nm: [");
        doc.push_str(&vec!["y"; 997].join(","));
        doc.push_str("]\n");
        assert!(load(&doc).is_ok());
        // A list of 2,000 aliases of a 9-item list: 20,000 of 22,000 steps come from aliases, under 99%...
        let nine = "a: &a [1,2,3,4,5,6,7,8,9]\nb: [";
        let doc = format!("{nine}{}]\n", vec!["*a"; 2000].join(","));
        assert!(load(&doc).is_ok());
        // ...but aliases of aliases grow past it.
        let doc = format!(
            "{nine}{}]\nc: &c [{}]\nd: [{}]\n",
            ["*a"; 9].join(","),
            vec!["*a"; 99].join(","),
            vec!["*c"; 99].join(",")
        );
        assert_eq!(refused(&doc), "yaml: document contains excessive aliasing");
    }

    #[test]
    fn every_document_of_a_stream_is_checked() {
        let bomb = "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n";
        assert_eq!(
            refused(&format!("ok: 1\n---\n{bomb}")),
            "yaml: document contains excessive aliasing"
        );
        // Anchors belong to their document.
        assert!(matches!(
            load("a: &a 1\n---\nb: *a\n"),
            Err(YamlError::Scan(_))
        ));
    }

    #[test]
    fn a_self_containing_anchor_is_named() {
        assert_eq!(
            refused("top:\n  x: &loop\n    - 1\n    - *loop\n"),
            "yaml: anchor 'loop' value contains itself"
        );
        assert_eq!(
            refused("{a: &é [x, *é]}"),
            "yaml: anchor 'é' value contains itself"
        );
    }
}
