//! A pushed stream's label string, read as Alloy reads it with PromQL's `ParseMetric`: an optional metric
//! name, then `{name="value", ...}` with values quoted as PromQL strings (`"..."` and `'...'` with Go's
//! escapes, `` `...` `` raw) and names plain or quoted; and the JSON push's label object written out as
//! Loki's `LabelSet.String()` does before that parse.

use std::collections::BTreeMap;

use ingot_prom::labels::{Labels, LabelsBuilder};

/// Loki's `loghttp.LabelSet.String()`: sorted, `name="value"` with Go's `strconv.Quote`, `, ` between.
pub fn label_set_string(labels: &BTreeMap<String, String>) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&ingot_gocompat::strconv::quote(v));
    }
    out.push('}');
    out
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    text: &'a str,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self
            .s
            .get(self.pos)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn error(&self, what: &str) -> String {
        let found = match self.peek() {
            None => "end of input".to_string(),
            Some(_) => {
                let rest = &self.text[self.pos.min(self.text.len())..];
                let c = rest.chars().next().unwrap_or(' ');
                format!("{c:?}")
            }
        };
        format!(
            "1:{}: parse error: unexpected {found} in label set, expected {what}",
            self.pos + 1
        )
    }

    fn identifier(&mut self, metric: bool) -> Option<&'a str> {
        let start = self.pos;
        let first_ok = |b: u8| b.is_ascii_alphabetic() || b == b'_' || (metric && b == b':');
        if !self.peek().is_some_and(first_ok) {
            return None;
        }
        self.pos += 1;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || (metric && b == b':'))
        {
            self.pos += 1;
        }
        Some(&self.text[start..self.pos])
    }

    /// A PromQL string literal.
    fn string(&mut self) -> Result<String, String> {
        let Some(q) = self.peek().filter(|q| matches!(q, b'"' | b'\'' | b'`')) else {
            return Err(self.error("a quoted string"));
        };
        self.pos += 1;
        let start = self.pos;
        if q == b'`' {
            let Some(len) = self.s[start..].iter().position(|&b| b == b'`') else {
                return Err(format!("1:{}: parse error: unterminated raw string", start));
            };
            self.pos = start + len + 1;
            return Ok(self.text[start..start + len].to_string());
        }
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(format!(
                    "1:{}: parse error: unterminated quoted string",
                    start
                ));
            };
            self.pos += 1;
            match b {
                b'\n' => {
                    return Err(format!(
                        "1:{}: parse error: unterminated quoted string",
                        start
                    ))
                }
                b'\\' => self.escape(q, &mut out)?,
                b if b == q => break,
                b => out.push(b),
            }
        }
        String::from_utf8(out)
            .map_err(|_| format!("1:{}: parse error: invalid UTF-8 in quoted string", start))
    }

    fn escape(&mut self, quote: u8, out: &mut Vec<u8>) -> Result<(), String> {
        let at = self.pos;
        let bad = || format!("1:{at}: parse error: unknown escape sequence");
        let Some(c) = self.peek() else {
            return Err(bad());
        };
        self.pos += 1;
        let simple = match c {
            b'a' => Some(7u8),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'\\' => Some(b'\\'),
            c if c == quote => Some(c),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            return Ok(());
        }
        let (digits, radix, max) = match c {
            b'0'..=b'7' => (3, 8, 255u32),
            b'x' => (2, 16, 255),
            b'u' => (4, 16, 0x10FFFF),
            b'U' => (8, 16, 0x10FFFF),
            _ => return Err(bad()),
        };
        let start = if c.is_ascii_digit() {
            self.pos - 1
        } else {
            self.pos
        };
        let end = start + digits;
        let text = self.text.get(start..end).ok_or_else(bad)?;
        let v = u32::from_str_radix(text, radix).map_err(|_| bad())?;
        if v > max {
            return Err(bad());
        }
        self.pos = end;
        if matches!(c, b'u' | b'U') {
            let ch = char::from_u32(v).ok_or_else(bad)?;
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        } else {
            out.push(v as u8);
        }
        Ok(())
    }
}

/// Parses a stream's label string.
pub fn parse_metric(text: &str) -> Result<Labels, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        pos: 0,
        text,
    };
    let mut b = LabelsBuilder::new();
    p.ws();
    if let Some(name) = p.identifier(true) {
        b.set("__name__", name);
    }
    p.ws();
    if p.peek() == Some(b'{') {
        p.pos += 1;
        loop {
            p.ws();
            if p.peek() == Some(b'}') {
                p.pos += 1;
                break;
            }
            let name = match p.peek() {
                Some(b'"') | Some(b'\'') | Some(b'`') => p.string()?,
                _ => p
                    .identifier(false)
                    .ok_or_else(|| p.error("a label name"))?
                    .to_string(),
            };
            p.ws();
            if p.peek() != Some(b'=') {
                return Err(p.error("\"=\""));
            }
            p.pos += 1;
            p.ws();
            let value = p.string()?;
            b.set(&name, &value);
            p.ws();
            match p.peek() {
                Some(b',') => p.pos += 1,
                Some(b'}') => {}
                _ => return Err(p.error("\",\" or \"}\"")),
            }
        }
    } else if b.is_empty() {
        return Err(p.error("a metric name or \"{\""));
    }
    p.ws();
    if p.pos != p.s.len() {
        return Err(p.error("end of input"));
    }
    Ok(b.labels())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_strings_parse_as_promql_reads_them() {
        let l = parse_metric(r#"{job="a", host='h\n1', path=`C:\logs`,}"#).unwrap();
        assert_eq!(l.get("job"), Some("a"));
        assert_eq!(l.get("host"), Some("h\n1"));
        assert_eq!(l.get("path"), Some(r"C:\logs"));
        let l = parse_metric(r#"up{"my.label"="\u00e9\x41\101"}"#).unwrap();
        assert_eq!(l.get("__name__"), Some("up"));
        assert_eq!(l.get("my.label"), Some("éAA"));
        assert!(parse_metric("{}").unwrap().is_empty());
        // An empty value is no label (Prometheus' builder deletes it).
        assert!(parse_metric(r#"{a=""}"#).unwrap().is_empty());
        for bad in [
            "",
            "{",
            "{a}",
            r#"{a="b"} x"#,
            r#"{a=b}"#,
            r#"{a="b\q"}"#,
            r#"{a="b"#,
            r#"{1a="b"}"#,
        ] {
            assert!(parse_metric(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn json_label_objects_round_trip() {
        let m = BTreeMap::from([
            ("b".to_string(), "2\"".to_string()),
            ("a".to_string(), "1".to_string()),
        ]);
        let s = label_set_string(&m);
        assert_eq!(s, r#"{a="1", b="2\""}"#);
        let l = parse_metric(&s).unwrap();
        assert_eq!(l.get("b"), Some("2\""));
    }
}
