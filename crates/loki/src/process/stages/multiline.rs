//! `stage.multiline`: joins the lines of one record into one entry, per label set. A line matching
//! `firstline` starts a block; the lines after it are added (joined by `\n`, each trimmed of trailing `\r`
//! and `\n` with `trim_newlines`, the default) until the next first line, `max_lines` lines (default 128),
//! or `max_wait_time` (default 3s) without a new line. The block goes on with the labels, timestamp,
//! structured metadata and extracted values of its first line. Lines of a label set that has not yet seen a
//! first line pass unchanged.
//!
//! Held lines keep their senders' receipts open: the joined entry carries them, so a sender learns its lines
//! were stored only when the block is.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ingot_logs::Token;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::pipeline::{labels_fingerprint, PEntry, Stage};

#[derive(Clone, Debug)]
pub struct Config {
    pub firstline: regex::Regex,
    pub max_lines: u64,
    pub max_wait_time: Duration,
    pub trim_newlines: bool,
}

impl PartialEq for Config {
    fn eq(&self, o: &Config) -> bool {
        self.firstline.as_str() == o.firstline.as_str()
            && self.max_lines == o.max_lines
            && self.max_wait_time == o.max_wait_time
            && self.trim_newlines == o.trim_newlines
    }
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let firstline: String = d.required("firstline")?;
        let max_lines: u64 = d.optional_or("max_lines", 128)?;
        let max_wait_time: Duration = d.optional_or("max_wait_time", Duration::from_secs(3))?;
        let trim_newlines: bool = d.optional_or("trim_newlines", true)?;
        if max_wait_time.is_zero() {
            return Err(d.error_at_attr("max_wait_time", "max_wait_time must be greater than 0"));
        }
        if firstline.is_empty() {
            return Err(d.error_at_attr(
                "firstline",
                invalid("multiline stage config must define `firstline` regular expression"),
            ));
        }
        let firstline = ingot_gocompat::regexp::compile(&firstline).map_err(|e| {
            d.error_at_attr(
                "firstline",
                invalid(format!(
                    "multiline stage first line regex compilation error: {e}"
                )),
            )
        })?;
        Ok(Config {
            firstline,
            max_lines,
            max_wait_time,
            trim_newlines,
        })
    }
}

impl Config {
    pub fn build(&self) -> Multiline {
        Multiline {
            cfg: self.clone(),
            streams: HashMap::new(),
        }
    }
}

/// One label set's block.
struct Block {
    /// The first line's entry (its line and receipts taken out): what the joined entry goes on with. Kept
    /// after a `max_lines` flush, as Alloy keeps it, for the lines that follow.
    start: PEntry,
    buffer: String,
    lines: u64,
    last_seen: Instant,
    /// Receipts of the lines in `buffer`.
    tokens: Vec<Token>,
}

pub struct Multiline {
    cfg: Config,
    streams: HashMap<u128, Block>,
}

impl Multiline {
    fn flush_block(b: &mut Block) -> PEntry {
        let mut e = b.start.clone();
        e.line = std::mem::take(&mut b.buffer);
        e.tokens = std::mem::take(&mut b.tokens);
        b.lines = 0;
        e
    }
}

impl Stage for Multiline {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        let key = labels_fingerprint(&e.labels);
        let now = Instant::now();
        let first = self.cfg.firstline.is_match(&e.line);
        let block = match self.streams.get_mut(&key) {
            Some(b) => {
                // A stale block goes out before the new line is looked at.
                if b.lines > 0 && now.duration_since(b.last_seen) >= self.cfg.max_wait_time {
                    out.push(Self::flush_block(b));
                }
                b
            }
            None => {
                if !first {
                    out.push(e);
                    return;
                }
                self.streams.entry(key).or_insert_with(|| Block {
                    start: e.clone(),
                    buffer: String::new(),
                    lines: 0,
                    last_seen: now,
                    tokens: Vec::new(),
                })
            }
        };
        if first && block.lines > 0 {
            out.push(Self::flush_block(block));
        }
        let line = std::mem::take(&mut e.line);
        let tokens = std::mem::take(&mut e.tokens);
        if first {
            block.start = e;
        }
        if !block.buffer.is_empty() {
            block.buffer.push('\n');
        }
        if self.cfg.trim_newlines {
            block.buffer.push_str(line.trim_end_matches(['\r', '\n']));
        } else {
            block.buffer.push_str(&line);
        }
        block.tokens.extend(tokens);
        block.lines += 1;
        block.last_seen = now;
        if block.lines == self.cfg.max_lines {
            out.push(Self::flush_block(block));
        }
    }

    fn tick(&mut self, now: Instant, out: &mut Vec<PEntry>) {
        let wait = self.cfg.max_wait_time;
        self.streams.retain(|_, b| {
            if now.duration_since(b.last_seen) < wait {
                return true;
            }
            if b.lines > 0 {
                out.push(Self::flush_block(b));
            }
            false
        });
    }

    fn flush(&mut self, out: &mut Vec<PEntry>) {
        for (_, mut b) in self.streams.drain() {
            if b.lines > 0 {
                out.push(Self::flush_block(&mut b));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::process::pipeline::PEntry;
    use crate::process::stages::testing::*;

    fn lines(out: &[PEntry]) -> Vec<&str> {
        out.iter().map(|e| e.line.as_str()).collect()
    }

    // Alloy's multiline_test.go: blocks per stream, max_lines, trimming, timeouts.
    #[test]
    fn joins_blocks() {
        let (mut p, _) = pipeline("stage.multiline { firstline = \"^START\" }");
        let mut out = Vec::new();
        for l in ["not yet", "START first", "  more\r\n", "START second", "x"] {
            p.run(entry(&[("s", "1")], l), &mut out);
        }
        assert_eq!(lines(&out), ["not yet", "START first\n  more"]);
        p.run_flush(&mut out);
        assert_eq!(lines(&out)[2], "START second\nx");
    }

    #[test]
    fn streams_are_separate_and_keep_the_first_lines_metadata() {
        let (mut p, _) = pipeline("stage.multiline { firstline = \"^S\" }");
        let mut out = Vec::new();
        let mut a = entry(&[("s", "a")], "S a1");
        a.timestamp_ns = 5;
        p.run(a, &mut out);
        p.run(entry(&[("s", "b")], "S b1"), &mut out);
        p.run(entry(&[("s", "a")], "a2"), &mut out);
        p.run(entry(&[("s", "b")], "b2"), &mut out);
        p.run(entry(&[("s", "a")], "S a3"), &mut out);
        assert_eq!(lines(&out), ["S a1\na2"]);
        assert_eq!(out[0].timestamp_ns, 5);
        p.run_flush(&mut out);
        let mut rest: Vec<&str> = lines(&out[1..]);
        rest.sort();
        assert_eq!(rest, ["S a3", "S b1\nb2"]);
    }

    #[test]
    fn max_lines_and_no_trim() {
        let (mut p, _) = pipeline(
            "stage.multiline {\nfirstline = \"^S\"\nmax_lines = 2\ntrim_newlines = false\n}",
        );
        let mut out = Vec::new();
        for l in ["S 1\n", "2", "3", "4", "5"] {
            p.run(entry(&[], l), &mut out);
        }
        // After max_lines, the lines that follow form blocks of their own with the first line's metadata.
        assert_eq!(lines(&out), ["S 1\n\n2", "3\n4"]);
        p.run_flush(&mut out);
        assert_eq!(lines(&out)[2], "5");
    }

    #[test]
    fn max_wait_time() {
        let (mut p, _) =
            pipeline("stage.multiline {\nfirstline = \"^S\"\nmax_wait_time = \"50ms\"\n}");
        let mut out = Vec::new();
        p.run(entry(&[], "S 1"), &mut out);
        p.run(entry(&[], "2"), &mut out);
        p.run_tick(Instant::now(), &mut out);
        assert!(out.is_empty());
        p.run_tick(Instant::now() + Duration::from_millis(60), &mut out);
        assert_eq!(lines(&out), ["S 1\n2"]);
        // A stale block goes out before a new line when no tick came.
        p.run(entry(&[], "S 3"), &mut out);
        std::thread::sleep(Duration::from_millis(60));
        p.run(entry(&[], "4"), &mut out);
        assert_eq!(lines(&out), ["S 1\n2", "S 3"]);
    }

    #[test]
    fn errors() {
        assert!(error("stage.multiline {\nfirstline = \"\"\n}")
            .contains("multiline stage config must define `firstline` regular expression"));
        assert!(error("stage.multiline {\nfirstline = \"(\"\n}")
            .contains("multiline stage first line regex compilation error: error parsing regexp"));
        assert!(
            error("stage.multiline {\nfirstline = \"a\"\nmax_wait_time = \"0s\"\n}")
                .contains("max_wait_time must be greater than 0")
        );
        assert!(error("stage.multiline {}").contains("firstline"));
    }
}
