//! The extracted map's values: Alloy's stages keep `map[string]any` holding strings, float64s (JSON
//! numbers), bools and nil; [`get_string`] is Alloy's `getString`, with Go's number formatting.

use std::collections::HashMap;

use ingot_gocompat::strconv::format_float;

/// Text in the extracted map and the labels: short strings (up to 24 bytes, most names and many
/// values) are kept inline, without an allocation.
pub type Text = compact_str::CompactString;

/// One value of the extracted map.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(Text),
    /// A JSON number (Go's float64).
    Num(f64),
    Bool(bool),
    /// A JSON null (Go's nil).
    Null,
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(Text::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(Text::from(s))
    }
}

impl From<Text> for Value {
    fn from(s: Text) -> Value {
        Value::Str(s)
    }
}

/// Entries past which the extracted map keeps a hash index beside its list.
const INDEX_FROM: usize = 16;

/// The extracted map of one entry (Go's `map[string]any`): a short list searched in order, with a hash
/// index once it grows (keys come from log lines, so lookups must not degrade with their number).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extracted {
    items: Vec<(Text, Value)>,
    // Boxed: an entry is moved from stage to stage, and a map this large is rare.
    #[allow(clippy::box_collection)]
    index: Option<Box<HashMap<Text, usize>>>,
}

impl Extracted {
    pub fn new() -> Extracted {
        Extracted::default()
    }

    /// An empty map in `items`' allocation (see [`crate::process::pipeline::Recycler`]).
    pub(crate) fn from_vec(mut items: Vec<(Text, Value)>) -> Extracted {
        items.clear();
        Extracted { items, index: None }
    }

    pub(crate) fn into_vec(self) -> Vec<(Text, Value)> {
        self.items
    }

    pub fn with_capacity(n: usize) -> Extracted {
        Extracted {
            items: Vec::with_capacity(n),
            index: None,
        }
    }

    fn position(&self, k: &str) -> Option<usize> {
        match &self.index {
            Some(ix) => ix.get(k).copied(),
            None => self.items.iter().position(|(n, _)| n == k),
        }
    }

    pub fn get(&self, k: &str) -> Option<&Value> {
        self.position(k).map(|i| &self.items[i].1)
    }

    pub fn get_mut(&mut self, k: &str) -> Option<&mut Value> {
        self.position(k).map(|i| &mut self.items[i].1)
    }

    pub fn contains_key(&self, k: &str) -> bool {
        self.position(k).is_some()
    }

    /// Sets `k`, returning what it held.
    pub fn insert(&mut self, k: impl AsRef<str> + Into<Text>, v: Value) -> Option<Value> {
        if let Some(i) = self.position(k.as_ref()) {
            return Some(std::mem::replace(&mut self.items[i].1, v));
        }
        let k: Text = k.into();
        if let Some(ix) = &mut self.index {
            ix.insert(k.clone(), self.items.len());
        }
        self.items.push((k, v));
        if self.index.is_none() && self.items.len() > INDEX_FROM {
            self.index = Some(Box::new(
                self.items
                    .iter()
                    .enumerate()
                    .map(|(i, (n, _))| (n.clone(), i))
                    .collect(),
            ));
        }
        None
    }

    /// Adds `k`, which the caller knows is not there yet.
    pub(crate) fn push_new(&mut self, k: impl AsRef<str> + Into<Text>, v: Value) {
        debug_assert!(!self.contains_key(k.as_ref()));
        if self.index.is_some() || self.items.len() >= INDEX_FROM {
            self.insert(k, v);
        } else {
            self.items.push((k.into(), v));
        }
    }

    pub fn remove(&mut self, k: &str) -> Option<Value> {
        let i = self.position(k)?;
        let (_, v) = self.items.swap_remove(i);
        if let Some(ix) = &mut self.index {
            ix.remove(k);
            if let Some((moved, _)) = self.items.get(i) {
                ix.insert(moved.clone(), i);
            }
        }
        Some(v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> + '_ {
        self.items.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Value)> + '_ {
        self.items.iter_mut().map(|(k, v)| (k.as_str(), v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.items.iter().map(|(k, _)| k.as_str())
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl std::ops::Index<&str> for Extracted {
    type Output = Value;
    fn index(&self, k: &str) -> &Value {
        self.get(k)
            .unwrap_or_else(|| panic!("no extracted value {k:?}"))
    }
}

/// Alloy's `getString`: a value as text, or why it has none (`can't convert <nil> to string`).
pub fn get_string(v: &Value) -> Result<String, String> {
    match v {
        Value::Str(s) => Ok(s.to_string()),
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
