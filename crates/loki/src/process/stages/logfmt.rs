//! `stage.logfmt`: parses the line (or an extracted value, `source`) as logfmt, as go-logfmt's decoder
//! reads it, and extracts the keys named in `mapping` (extracted name = key; empty: the same name) and the
//! keys matching `regex`. Keys read before a syntax error are kept, as in Alloy.

use std::collections::{BTreeMap, HashMap};

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::pipeline::{PEntry, Stage};
use crate::process::value::{Extracted, Value};

use super::source_text;

#[derive(Clone, Debug)]
pub struct Config {
    /// Key in the line -> extracted name.
    pub inverse: HashMap<String, String>,
    pub source: String,
    pub regex: Option<regex::Regex>,
}

impl PartialEq for Config {
    fn eq(&self, o: &Config) -> bool {
        self.inverse == o.inverse
            && self.source == o.source
            && self.regex.as_ref().map(|r| r.as_str()) == o.regex.as_ref().map(|r| r.as_str())
    }
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mapping: BTreeMap<String, String> = d.optional("mapping")?.unwrap_or_default();
        let source: String = d.optional_or("source", String::new())?;
        let regex_text: String = d.optional_or("regex", String::new())?;
        if mapping.is_empty() && regex_text.is_empty() {
            return Err(d.error(invalid("logfmt mapping or regex is required")));
        }
        let inverse = mapping
            .into_iter()
            .map(|(k, v)| (if v.is_empty() { k.clone() } else { v }, k))
            .collect();
        let regex = if regex_text.is_empty() {
            None
        } else {
            Some(
                ingot_gocompat::regexp::compile(&regex_text)
                    .map_err(|e| d.error_at_attr("regex", invalid(e)))?,
            )
        };
        Ok(Config {
            inverse,
            source,
            regex,
        })
    }
}

impl Config {
    pub fn build(&self) -> Logfmt {
        Logfmt(self.clone())
    }
}

pub struct Logfmt(Config);

impl Logfmt {
    fn extract(&self, extracted: &mut Extracted, input: &str) {
        let result = decode(input, |key, value| {
            if let Some(name) = self.0.inverse.get(key) {
                extracted.insert(name.as_str(), Value::from(value));
            }
            if let Some(re) = &self.0.regex {
                if re.is_match(key) {
                    extracted.insert(key, Value::from(value));
                }
            }
        });
        if let Err(e) = result {
            tracing::debug!("failed to decode logfmt: {e}");
        }
    }
}

impl Stage for Logfmt {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        if self.0.source.is_empty() {
            let line = std::mem::take(&mut e.line);
            self.extract(&mut e.extracted, &line);
            e.line = line;
        } else if let Some(input) = source_text(&e.extracted, &self.0.source) {
            self.extract(&mut e.extracted, &input);
        }
        out.push(e);
    }
}

/// go-logfmt's `Decoder`: every record (line) and key/value pair in order, to `f`; the first syntax error
/// ends decoding (`logfmt syntax error at pos N on line L: why`).
pub fn decode(input: &str, mut f: impl FnMut(&str, &str)) -> Result<(), String> {
    // bufio.ScanLines: lines split at \n, a trailing \r dropped, no empty last line.
    let mut lines: Vec<&str> = input.split('\n').collect();
    if input.ends_with('\n') || input.is_empty() {
        lines.pop();
    }
    for (n, line) in lines.into_iter().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        decode_line(line.as_bytes(), n + 1, &mut f)?;
    }
    Ok(())
}

fn syntax_error(pos: usize, line: usize, msg: &str) -> String {
    format!(
        "logfmt syntax error at pos {} on line {line}: {msg}",
        pos + 1
    )
}

fn unexpected(pos: usize, line: usize, c: u8) -> String {
    syntax_error(
        pos,
        line,
        &format!(
            "unexpected {}",
            ingot_gocompat::strconv::quote_rune(c as char)
        ),
    )
}

fn decode_line(line: &[u8], lineno: usize, f: &mut impl FnMut(&str, &str)) -> Result<(), String> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut pos = 0;
    loop {
        // Skip to the key.
        while pos < line.len() && line[pos] <= b' ' {
            pos += 1;
        }
        if pos >= line.len() {
            return Ok(());
        }
        let start = pos;
        // The key runs to '=', a space, or the end; a quote in it is an error.
        while pos < line.len() && line[pos] > b' ' && line[pos] != b'=' && line[pos] != b'"' {
            pos += 1;
        }
        if pos < line.len() && line[pos] == b'"' {
            return Err(unexpected(pos, lineno, b'"'));
        }
        let key = &line[start..pos];
        if std::str::from_utf8(key).is_err() {
            return Err(syntax_error(pos, lineno, "invalid key"));
        }
        if pos >= line.len() || line[pos] != b'=' {
            // A key without a value.
            f(&text(key), "");
            continue;
        }
        if key.is_empty() {
            return Err(unexpected(pos, lineno, b'='));
        }
        // At '='.
        pos += 1;
        if pos >= line.len() || line[pos] <= b' ' {
            f(&text(key), "");
            continue;
        }
        if line[pos] == b'"' {
            let qstart = pos;
            let mut esc = false;
            let mut has_esc = false;
            let mut end = None;
            for (p, &c) in line[pos + 1..].iter().enumerate() {
                if esc {
                    esc = false;
                } else if c == b'\\' {
                    has_esc = true;
                    esc = true;
                } else if c == b'"' {
                    end = Some(pos + 1 + p);
                    break;
                }
            }
            let Some(end) = end else {
                return Err(syntax_error(
                    line.len(),
                    lineno,
                    "unterminated quoted value",
                ));
            };
            pos = end + 1;
            let value = if has_esc {
                match unquote(&line[qstart..pos]) {
                    Some(v) => v,
                    None => return Err(syntax_error(pos, lineno, "invalid quoted value")),
                }
            } else {
                text(&line[qstart + 1..end])
            };
            f(&text(key), &value);
            continue;
        }
        let vstart = pos;
        while pos < line.len() && line[pos] > b' ' {
            if line[pos] == b'=' || line[pos] == b'"' {
                return Err(unexpected(pos, lineno, line[pos]));
            }
            pos += 1;
        }
        f(&text(key), &text(&line[vstart..pos]));
    }
}

/// go-logfmt's `unquoteBytes` (encoding/json's rules, plus `\'`), of a quoted value with its quotes.
fn unquote(s: &[u8]) -> Option<String> {
    let s = &s[1..s.len() - 1];
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut i = 0;
    let hex4 = |b: &[u8]| -> Option<u32> {
        if b.len() < 4 {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(&b[..4]).ok()?, 16).ok()
    };
    while i < s.len() {
        let c = s[i];
        match c {
            b'\\' => {
                i += 1;
                let e = *s.get(i)?;
                match e {
                    b'"' | b'\\' | b'/' | b'\'' => out.push(e),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'u' => {
                        let r = hex4(&s[i + 1..])?;
                        i += 4;
                        let ch = if (0xD800..0xE000).contains(&r) {
                            // A surrogate pair, or U+FFFD.
                            let pair = (s.get(i + 1) == Some(&b'\\')
                                && s.get(i + 2) == Some(&b'u'))
                            .then(|| hex4(&s[i + 3..]))
                            .flatten()
                            .filter(|lo| r < 0xDC00 && (0xDC00..0xE000).contains(lo));
                            match pair {
                                Some(lo) => {
                                    i += 6;
                                    char::from_u32(0x10000 + ((r - 0xD800) << 10) + (lo - 0xDC00))
                                        .unwrap_or('\u{fffd}')
                                }
                                None => '\u{fffd}',
                            }
                        } else {
                            char::from_u32(r).unwrap_or('\u{fffd}')
                        };
                        let mut buf = [0; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                    _ => return None,
                }
                i += 1;
            }
            b'"' => return None,
            c if c < b' ' => return None,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::decode;
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    fn pairs(s: &str) -> (Vec<(String, String)>, Option<String>) {
        let mut v = Vec::new();
        let r = decode(s, |k, val| v.push((k.to_string(), val.to_string())));
        (v, r.err())
    }

    // go-logfmt's decoder cases.
    #[test]
    fn decoder_reads_as_go_logfmt() {
        let p = |s: &str| {
            pairs(s)
                .0
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            p("a=1 b=\"bar\" ƒ=2h3s c"),
            ["a=1", "b=bar", "ƒ=2h3s", "c="]
        );
        assert_eq!(p(r#"a="1 \"2\" \u00e9\n" b="""#), ["a=1 \"2\" é\n", "b="]);
        assert_eq!(p("a=1\nb=2\r\n"), ["a=1", "b=2"]);
        assert_eq!(p("a= b=2"), ["a=", "b=2"]);
        assert_eq!(
            pairs("a=1 =2").1.as_deref(),
            Some("logfmt syntax error at pos 5 on line 1: unexpected '='")
        );
        assert_eq!(
            pairs("a=1 b=x\"y").1.as_deref(),
            Some("logfmt syntax error at pos 8 on line 1: unexpected '\"'")
        );
        assert_eq!(
            pairs("a=\"1").1.as_deref(),
            Some("logfmt syntax error at pos 5 on line 1: unterminated quoted value")
        );
        // Pairs before the error were read.
        assert_eq!(pairs("a=1 b==2").0.len(), 1);
    }

    // Alloy's logfmt_test.go: mapping with renames, regex, source.
    #[test]
    fn extracts_mapped_and_matching_keys() {
        let (mut p, _) = pipeline(
            r#"
            stage.logfmt { mapping = { time = "", app = "", dur = "duration", unknown = "" } }
            stage.logfmt {
                mapping = { "nested" = "" }
                regex = "^le.*"
            }
            "#,
        );
        let mut out = Vec::new();
        p.run(
            entry(&[], r#"time=2012-11-01T22:08:41+00:00 app=loki level=WARN duration=125 message="this is a log line" nested="x""#),
            &mut out,
        );
        let x = &out[0].extracted;
        assert_eq!(x["time"], Value::Str("2012-11-01T22:08:41+00:00".into()));
        assert_eq!(x["app"], Value::Str("loki".into()));
        assert_eq!(x["dur"], Value::Str("125".into()));
        assert_eq!(x["level"], Value::Str("WARN".into()));
        assert_eq!(x["nested"], Value::Str("x".into()));
        assert!(!x.contains_key("unknown"));
        assert!(error("stage.logfmt {}").contains("logfmt mapping or regex is required"));
    }
}
