//! The extracted map's values: Alloy's stages keep `map[string]any` holding strings, float64s (JSON
//! numbers), bools and nil; [`get_string`] is Alloy's `getString`, with Go's number formatting.

use std::collections::HashMap;

use ingot_gocompat::strconv::format_float;

/// One value of the extracted map.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    /// A JSON number (Go's float64).
    Num(f64),
    Bool(bool),
    /// A JSON null (Go's nil).
    Null,
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}

/// The extracted map of one entry.
pub type Extracted = HashMap<String, Value>;

/// Alloy's `getString`: a value as text, or why it has none (`can't convert <nil> to string`).
pub fn get_string(v: &Value) -> Result<String, String> {
    match v {
        Value::Str(s) => Ok(s.clone()),
        Value::Num(f) => Ok(format_float(*f, 'f', -1)),
        Value::Bool(b) => Ok(if *b { "true" } else { "false" }.to_string()),
        Value::Null => Err("can't convert <nil> to string".to_string()),
    }
}

/// Calls `f` with the text of `v` as [`get_string`] gives it, without copying a string value.
pub fn with_str<R>(v: &Value, f: impl FnOnce(&str) -> R) -> Result<R, String> {
    match v {
        Value::Str(s) => Ok(f(s)),
        other => get_string(other).map(|s| f(&s)),
    }
}

/// A JSON document as Go's `json.Marshal` writes a decoded `any` (object keys sorted, `<`, `>`, `&`,
/// U+2028 and U+2029 escaped, float64s as `encoding/json` prints them).
pub fn marshal_json(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Null => out.push_str("null"),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        serde_json::Value::Number(n) => push_json_float(out, n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => push_json_string(out, s),
        serde_json::Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                marshal_json(x, out);
            }
            out.push(']');
        }
        serde_json::Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, k);
                out.push(':');
                marshal_json(&o[k], out);
            }
            out.push('}');
        }
    }
}

/// `encoding/json`'s float64: `'f'` format, or `'e'` below 1e-6 and from 1e21, with a two-digit exponent
/// written without its leading zero.
pub fn push_json_float(out: &mut String, f: f64) {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format_float(f, 'e', -1);
        // e-07 -> e-7, as encoding/json does.
        let s = match s.find("e-0") {
            Some(i) if s.len() == i + 4 => format!("{}e-{}", &s[..i], &s[i + 3..]),
            _ => s,
        };
        out.push_str(&s);
    } else {
        out.push_str(&format_float(f, 'f', -1));
    }
}

/// A JSON string as Go's encoder (with HTML escaping, its default) writes it.
pub fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_go_does() {
        assert_eq!(get_string(&Value::Num(1.0)).unwrap(), "1");
        assert_eq!(get_string(&Value::Num(0.000001)).unwrap(), "0.000001");
        assert_eq!(
            get_string(&Value::Num(1e21)).unwrap(),
            "1000000000000000000000"
        );
        assert_eq!(
            get_string(&Value::Null).unwrap_err(),
            "can't convert <nil> to string"
        );
        let mut s = String::new();
        marshal_json(
            &serde_json::json!({"b": [1.5, 1e21, 1e-7], "a": "<&>\u{2028}"}),
            &mut s,
        );
        assert_eq!(
            s,
            r#"{"a":"\u003c\u0026\u003e\u2028","b":[1.5,1e+21,1e-7]}"#
        );
    }
}
