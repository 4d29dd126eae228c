//! `stage.cri`: reads a line in the CRI log format (`<time> <stdout|stderr> <P|F> <content>`, the flag
//! optional) into the extracted values `time`, `stream`, `flags` and `content`, the line (the content), the
//! `stream` label and the timestamp (when `time` is RFC 3339). Partial lines (`P`) are held per label set and
//! joined with the lines that follow until a full one (`F`); past `max_partial_lines` (default 100) label
//! sets holding partial lines, all of them go on as they are
//! (`loki_process_cri_partial_lines_flushed_total`). With `max_partial_line_size_truncate`, a joined line
//! is cut to `max_partial_line_size` bytes (`loki_process_cri_lines_truncated_total`). A line that is not
//! in the format passes unchanged.
//!
//! Held partial lines keep their senders' receipts open and go on when the component stops (Alloy drops
//! them then).

use std::sync::Arc;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::metrics::{Metrics, CRI_PARTIAL_FLUSHED, CRI_TRUNCATED};
use crate::process::pipeline::{labels_fingerprint, PEntry, Stage};
use crate::process::value::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub max_partial_lines: usize,
    pub max_partial_line_size: u64,
    pub max_partial_line_size_truncate: bool,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let max_partial_lines: i64 = d.optional_or("max_partial_lines", 100)?;
        let max_partial_line_size: u64 = d.optional_or("max_partial_line_size", 0)?;
        let max_partial_line_size_truncate =
            d.optional_or("max_partial_line_size_truncate", false)?;
        if max_partial_lines <= 0 {
            return Err(d.error_at_attr(
                "max_partial_lines",
                "max_partial_lines must be greater than 0",
            ));
        }
        Ok(Config {
            max_partial_lines: max_partial_lines as usize,
            max_partial_line_size,
            max_partial_line_size_truncate,
        })
    }
}

impl Config {
    pub fn build(&self, metrics: &Arc<Metrics>) -> Cri {
        Cri {
            cfg: self.clone(),
            partial: Vec::new(),
            metrics: metrics.clone(),
        }
    }
}

/// A CRI line's parts: Alloy's lenient `ParseCRI`.
pub struct Parsed<'a> {
    pub time: &'a str,
    pub stderr: bool,
    pub partial: bool,
    pub content: &'a str,
}

/// The time (up to the first Unicode space), one space, `stdout` or `stderr`, one space, an optional `P` or
/// `F`, an optional space, the content.
pub fn parse(line: &str) -> Option<Parsed<'_>> {
    let (time, rest) = match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], &line[i..]),
        None => ("", line),
    };
    let rest = rest.strip_prefix(' ')?;
    let (stderr, rest) = if let Some(r) = rest.strip_prefix("stdout") {
        (false, r)
    } else if let Some(r) = rest.strip_prefix("stderr") {
        (true, r)
    } else {
        return None;
    };
    let rest = rest.strip_prefix(' ')?;
    let (partial, rest) = match rest.as_bytes().first() {
        Some(b'P') => (true, &rest[1..]),
        Some(b'F') => (false, &rest[1..]),
        _ => (false, rest),
    };
    let content = rest.strip_prefix(' ').unwrap_or(rest);
    Some(Parsed {
        time,
        stderr,
        partial,
        content,
    })
}

pub struct Cri {
    cfg: Config,
    /// Label sets holding a partial line, in the order they started holding one.
    partial: Vec<(u128, PEntry)>,
    metrics: Arc<Metrics>,
}

impl Cri {
    fn truncate(&self, e: &mut PEntry) {
        let max = self.cfg.max_partial_line_size;
        if self.cfg.max_partial_line_size_truncate && e.line.len() as u64 > max {
            // Cut at a character boundary: ingot keeps lines as UTF-8 (Alloy cuts at the byte).
            let mut at = max as usize;
            while !e.line.is_char_boundary(at) {
                at -= 1;
            }
            e.line.truncate(at);
            self.metrics.count(&CRI_TRUNCATED, "", 1);
        }
    }

    fn join(prev: PEntry, e: &mut PEntry) {
        let mut line = prev.line;
        line.push_str(&e.line);
        e.line = line;
        let mut tokens = prev.tokens;
        tokens.append(&mut e.tokens);
        e.tokens = tokens;
    }
}

impl Stage for Cri {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        let (time, stderr, partial, content) = match parse(&e.line) {
            Some(p) => (
                p.time.to_string(),
                p.stderr,
                p.partial,
                p.content.to_string(),
            ),
            None => {
                out.push(e);
                return;
            }
        };
        let stream = if stderr { "stderr" } else { "stdout" };
        e.extracted.insert(
            "flags".to_string(),
            Value::from(if partial { "P" } else { "F" }),
        );
        e.extracted
            .insert("stream".to_string(), Value::from(stream));
        e.extracted
            .insert("content".to_string(), Value::from(content.clone()));
        e.extracted
            .insert("time".to_string(), Value::from(time.clone()));
        e.line = content;
        if let Ok(t) = ingot_gocompat::time::parse("2006-01-02T15:04:05.999999999Z07:00", &time) {
            e.timestamp_ns = super::timestamp::Instant {
                unix: t.unix,
                nsec: t.nsec,
            }
            .nanos();
        }
        e.labels.insert("stream".to_string(), stream.to_string());
        let key = labels_fingerprint(&e.labels);
        let held = self.partial.iter().position(|(k, _)| *k == key);
        if partial {
            if self.partial.len() >= self.cfg.max_partial_lines {
                tracing::warn!(
                    stage = "cri",
                    threshold = self.cfg.max_partial_lines,
                    "partial lines upperbound exceeded, merging it to single line"
                );
                self.metrics
                    .count(&CRI_PARTIAL_FLUSHED, "", self.partial.len() as u64);
                out.extend(self.partial.drain(..).map(|(_, p)| p));
                self.truncate(&mut e);
                self.partial.push((key, e));
                return;
            }
            if let Some(i) = held {
                let (_, prev) = self.partial.remove(i);
                Self::join(prev, &mut e);
            }
            self.truncate(&mut e);
            self.partial.push((key, e));
            return;
        }
        if let Some(i) = held {
            let (_, prev) = self.partial.remove(i);
            Self::join(prev, &mut e);
            self.truncate(&mut e);
        }
        out.push(e);
    }

    fn flush(&mut self, out: &mut Vec<PEntry>) {
        out.extend(self.partial.drain(..).map(|(_, p)| p));
    }
}

#[cfg(test)]
mod tests {
    use crate::process::metrics::{CRI_PARTIAL_FLUSHED, CRI_TRUNCATED};
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    // Alloy's cri_test.go and cri/parse_test.go.
    #[test]
    fn parses_and_joins() {
        let (mut p, _) = pipeline("stage.cri {}");
        let mut out = Vec::new();
        p.run(
            entry(&[], "2019-04-30T02:12:41.8443515Z stdout F message"),
            &mut out,
        );
        let e = &out[0];
        assert_eq!(e.line, "message");
        assert_eq!(e.labels.get("stream").unwrap(), "stdout");
        assert_eq!(
            e.extracted["time"],
            Value::from("2019-04-30T02:12:41.8443515Z")
        );
        assert_eq!(e.extracted["flags"], Value::from("F"));
        assert_eq!(e.timestamp_ns, 1_556_590_361_844_351_500);
        out.clear();
        for l in [
            "2019-05-07T18:57:50.904275087+00:00 stderr P partial 1 ",
            "2019-05-07T18:57:50.904275087+00:00 stdout F other",
            "2019-05-07T18:57:55.904275087+00:00 stderr P partial 2 ",
            "2019-05-07T18:57:56.904275087+00:00 stderr F end",
        ] {
            p.run(entry(&[], l), &mut out);
        }
        let lines: Vec<&str> = out.iter().map(|e| e.line.as_str()).collect();
        assert_eq!(lines, ["other", "partial 1 partial 2 end"]);
        // Lenient: no flag, no content; not CRI passes unchanged.
        out.clear();
        p.run(entry(&[], "2019 stderr "), &mut out);
        p.run(entry(&[], "2019 stderr"), &mut out);
        p.run(entry(&[], "2019 stdout  two spaces"), &mut out);
        p.run(entry(&[], "just a line"), &mut out);
        let lines: Vec<&str> = out.iter().map(|e| e.line.as_str()).collect();
        assert_eq!(lines, ["", "2019 stderr", "two spaces", "just a line"]);
        assert_eq!(out[0].labels.get("stream").unwrap(), "stderr");
        assert!(!out[1].labels.contains_key("stream"));
        assert!(!out[3].labels.contains_key("stream"));
    }

    #[test]
    fn partial_line_limits() {
        let (mut p, m) = pipeline(
            "stage.cri {\nmax_partial_lines = 2\nmax_partial_line_size = 4\nmax_partial_line_size_truncate = true\n}",
        );
        let mut out = Vec::new();
        p.run(entry(&[("f", "a")], "t stdout P aaaaaa"), &mut out);
        p.run(entry(&[("f", "b")], "t stdout P bb"), &mut out);
        assert!(out.is_empty());
        p.run(entry(&[("f", "c")], "t stdout P cc"), &mut out);
        let lines: Vec<&str> = out.iter().map(|e| e.line.as_str()).collect();
        assert_eq!(lines, ["aaaa", "bb"]);
        assert_eq!(m.counted(&CRI_PARTIAL_FLUSHED, ""), 2);
        assert_eq!(m.counted(&CRI_TRUNCATED, ""), 1);
        p.run(entry(&[("f", "c")], "t stdout F cccc"), &mut out);
        assert_eq!(out[2].line, "cccc");
        assert_eq!(m.counted(&CRI_TRUNCATED, ""), 2);
    }

    #[test]
    fn errors() {
        assert!(error("stage.cri { max_partial_lines = 0 }")
            .contains("max_partial_lines must be greater than 0"));
    }
}
