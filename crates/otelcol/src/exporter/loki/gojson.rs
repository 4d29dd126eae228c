//! JSON as Go's `encoding/json` writes it, for lines that must match what Alloy sends byte for byte:
//! object keys sorted (Go marshals maps sorted), `<`, `>`, `&`, U+2028 and U+2029 escaped as `\u003c`
//! and so on, control characters as `\u00XX` (but `\n`, `\r`, `\t`), floats in Go's shortest form with
//! `e` notation below 1e-6 and from 1e21, invalid UTF-8 as U+FFFD.

use ingot_gocompat::strconv::format_float;

/// A JSON value to write.
pub enum J {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Array(Vec<J>),
    /// Keys are sorted when written.
    Object(Vec<(String, J)>),
    /// Already JSON (Go's `json.RawMessage`).
    Raw(String),
}

pub fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's `encoding/json` float encoding (`floatEncoder` for float64).
pub fn float(out: &mut String, f: f64) -> bool {
    if !f.is_finite() {
        return false;
    }
    let abs = f.abs();
    let use_exp = abs != 0.0 && !(1e-6..1e21).contains(&abs);
    let mut s = format_float(f, if use_exp { 'e' } else { 'f' }, -1);
    if use_exp {
        // Go writes e-07 as e-7.
        let b = s.as_bytes();
        let n = b.len();
        if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
            s.remove(n - 2);
        }
    }
    out.push_str(&s);
    true
}

pub fn write(out: &mut String, v: &J) {
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Int(i) => out.push_str(&i.to_string()),
        J::Uint(u) => out.push_str(&u.to_string()),
        J::Float(f) => {
            if !float(out, *f) {
                // Go fails to marshal NaN and infinities; the converter never passes them here.
                out.push_str("null");
            }
        }
        J::Str(s) => string(out, s),
        J::Raw(r) => out.push_str(r),
        J::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, item);
            }
            out.push(']');
        }
        J::Object(fields) => {
            let mut sorted: Vec<&(String, J)> = fields.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(out, k);
                out.push(':');
                write(out, v);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: J) -> String {
        let mut s = String::new();
        write(&mut s, &v);
        s
    }

    #[test]
    fn as_go_writes_it() {
        assert_eq!(
            enc(J::Str("a<b>&\"\u{1}\n".into())),
            r#""a\u003cb\u003e\u0026\"\u0001\n""#
        );
        assert_eq!(enc(J::Float(0.1)), "0.1");
        assert_eq!(enc(J::Float(1e21)), "1e+21");
        assert_eq!(enc(J::Float(1e-7)), "1e-7");
        assert_eq!(enc(J::Float(123456789.0)), "123456789");
        assert_eq!(
            enc(J::Object(vec![
                ("b".into(), J::Int(1)),
                ("a".into(), J::Null)
            ])),
            r#"{"a":null,"b":1}"#
        );
    }
}
