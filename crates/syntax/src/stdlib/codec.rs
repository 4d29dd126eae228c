//! Encodings behind the `encoding.*` and `file.*` functions, written to give Go's results and Go's error
//! texts (`invalid character 'x' looking for beginning of value`, `illegal base64 data at input byte 4`).

use std::fmt::Write as _;
use std::sync::Arc;

use ingot_gocompat::base64::Encoding;
use ingot_gocompat::strconv::{format_float, quote_rune};

use crate::limits::MAX_DECODE_DEPTH;
use crate::value::{Number, Object, Value};

// ---------------------------------------------------------------------------------------------------------
// JSON decoding

/// How JSON numbers become values.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum JsonNumbers {
    /// Every number is a float64, as Go's `encoding/json` does into `any`.
    Float,
    /// Integers stay integers (int64), as the `ojg` parser behind `json_path` does.
    KeepIntegers,
}

struct JsonParser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    numbers: JsonNumbers,
    /// Arrays and objects open around the current position.
    depth: usize,
}

/// Parses a JSON document into a value, with Go's error texts.
///
/// Arrays and objects may nest [`MAX_DECODE_DEPTH`] deep (Go's `encoding/json` allows 10,000): past that,
/// Go's error for its own limit, naming ours: `invalid character '[' exceeded max depth of 200`.
pub fn parse_json(text: &str, numbers: JsonNumbers) -> Result<Value, String> {
    let mut p = JsonParser {
        s: text.as_bytes(),
        text,
        pos: 0,
        numbers,
        depth: 0,
    };
    p.skip_ws();
    let v = p.value("looking for beginning of value")?;
    p.skip_ws();
    if p.pos < p.s.len() {
        return Err(p.invalid("after top-level value"));
    }
    Ok(v)
}

impl JsonParser<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn current_char(&self) -> char {
        self.text[self.pos..].chars().next().unwrap_or('\u{FFFD}')
    }

    fn invalid(&self, context: &str) -> String {
        if self.pos >= self.s.len() {
            return "unexpected end of JSON input".to_string();
        }
        // encoding/json's quoteChar special-cases `'` and `"` and otherwise quotes like strconv.Quote between
        // single quotes: together, exactly strconv.QuoteRune.
        format!(
            "invalid character {} {context}",
            quote_rune(self.current_char())
        )
    }

    fn value(&mut self, context: &str) -> Result<Value, String> {
        let Some(&c) = self.s.get(self.pos) else {
            return Err("unexpected end of JSON input".to_string());
        };
        match c {
            b'{' | b'[' => self.nested(c),
            b'"' => Ok(Value::String(self.string()?.into())),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'n' => self.literal("null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(self.invalid(context)),
        }
    }

    /// An array or an object, one level deeper.
    fn nested(&mut self, open: u8) -> Result<Value, String> {
        if self.depth >= MAX_DECODE_DEPTH {
            return Err(self.invalid(&format!("exceeded max depth of {MAX_DECODE_DEPTH}")));
        }
        self.depth += 1;
        let value = if open == b'[' {
            self.array()
        } else {
            self.object()
        };
        self.depth -= 1;
        value
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, String> {
        for (i, expected) in word.bytes().enumerate() {
            match self.s.get(self.pos) {
                None => return Err("unexpected end of JSON input".to_string()),
                Some(&b) if b == expected => self.pos += 1,
                Some(_) if i > 0 => {
                    return Err(self.invalid(&format!(
                        "in literal {word} (expecting {})",
                        quote_rune(expected as char)
                    )))
                }
                Some(_) => return Err(self.invalid("looking for beginning of value")),
            }
        }
        Ok(v)
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        if self.s[self.pos] == b'-' {
            self.pos += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.pos;
            while p.pos < p.s.len() && p.s[p.pos].is_ascii_digit() {
                p.pos += 1;
            }
            p.pos - s
        };
        match self.s.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.invalid("in numeric literal")),
        }
        let mut is_int = true;
        if self.s.get(self.pos) == Some(&b'.') {
            is_int = false;
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.invalid("after decimal point in numeric literal"));
            }
        }
        if matches!(self.s.get(self.pos), Some(b'e' | b'E')) {
            is_int = false;
            self.pos += 1;
            if matches!(self.s.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.invalid("in exponent of numeric literal"));
            }
        }
        let lit = &self.text[start..self.pos];
        if is_int && self.numbers == JsonNumbers::KeepIntegers {
            if let Ok(i) = lit.parse::<i64>() {
                return Ok(Value::Number(Number::Int(i)));
            }
        }
        match lit.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Number(Number::Float(f))),
            _ => Err(format!(
                "json: cannot unmarshal number {lit} into Go value of type float64"
            )),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(&b) = self.s.get(self.pos) else {
                return Err("unexpected end of JSON input".to_string());
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let Some(&e) = self.s.get(self.pos) else {
                        return Err("unexpected end of JSON input".to_string());
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let first = self.hex4()?;
                            if (0xD800..0xDC00).contains(&first)
                                && self.s.get(self.pos) == Some(&b'\\')
                                && self.s.get(self.pos + 1) == Some(&b'u')
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let second = self.hex4()?;
                                if (0xDC00..0xE000).contains(&second) {
                                    let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                                    out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                                } else {
                                    out.push('\u{FFFD}');
                                    self.pos = save;
                                }
                            } else {
                                out.push(char::from_u32(first).unwrap_or('\u{FFFD}'));
                            }
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.invalid("in string escape code"));
                        }
                    }
                }
                0..=0x1f => return Err(self.invalid("in string literal")),
                _ => {
                    let c = self.current_char();
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(&b) = self.s.get(self.pos) else {
                return Err("unexpected end of JSON input".to_string());
            };
            let d = (b as char)
                .to_digit(16)
                .ok_or_else(|| self.invalid("in \\u hexadecimal character escape"))?;
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }

    fn array(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.s.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Value::Array(Arc::new(items)));
        }
        loop {
            self.skip_ws();
            items.push(self.value("looking for beginning of value")?);
            self.skip_ws();
            match self.s.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(Arc::new(items)));
                }
                _ => return Err(self.invalid("after array element")),
            }
        }
    }

    fn object(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut fields = Object::new();
        self.skip_ws();
        if self.s.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Value::Object(Arc::new(fields)));
        }
        loop {
            self.skip_ws();
            if self.s.get(self.pos) != Some(&b'"') {
                return Err(self.invalid("looking for beginning of object key string"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.s.get(self.pos) != Some(&b':') {
                return Err(self.invalid("after object key"));
            }
            self.pos += 1;
            self.skip_ws();
            let v = self.value("looking for beginning of value")?;
            fields.insert(key, v);
            self.skip_ws();
            match self.s.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(Arc::new(fields)));
                }
                _ => return Err(self.invalid("after object key:value pair")),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// JSON encoding

/// Go's `json.Marshal` of the Go value Alloy would pass: sorted keys, HTML-safe escapes, Go's float form.
pub fn to_json(v: &Value) -> Result<String, String> {
    let mut out = String::new();
    write_json(&mut out, v)?;
    Ok(out)
}

fn write_json(out: &mut String, v: &Value) -> Result<(), String> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(Number::Float(f)) => {
            if !f.is_finite() {
                return Err(format!(
                    "json: unsupported value: {}",
                    format_float(*f, 'g', -1)
                ));
            }
            out.push_str(&json_float(*f));
        }
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => json_string(out, s),
        // Go marshals the secret's underlying string; Alloy does the same.
        Value::Secret(s) => json_string(out, s.expose()),
        Value::OptionalSecret(s) => {
            out.push_str(if s.is_secret {
                "{\"IsSecret\":true,\"Value\":"
            } else {
                "{\"IsSecret\":false,\"Value\":"
            });
            json_string(out, &s.value);
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item)?;
            }
            out.push(']');
        }
        Value::Object(fields) => write_json_object(out, fields)?,
        Value::Capsule(c) => match c.as_object() {
            Some(o) => write_json_object(out, o)?,
            None => out.push_str("{}"),
        },
        Value::Function(_) => return Err("json: unsupported type: func".to_string()),
    }
    Ok(())
}

fn write_json_object(out: &mut String, fields: &Object) -> Result<(), String> {
    out.push('{');
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(out, k);
        out.push(':');
        write_json(out, v)?;
    }
    out.push('}');
    Ok(())
}

fn json_string(out: &mut String, s: &str) {
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
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's JSON float form: plain decimals between 1e-6 and 1e21, exponent form (`1e-7`, `1e+21`) outside.
fn json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format_float(f, 'e', -1);
        // Go trims a leading zero from a two-digit negative exponent: 1e-07 → 1e-7.
        if let Some(i) = s.find("e-0") {
            if s.len() - i == 4 {
                return format!("{}e-{}", &s[..i], &s[i + 3..]);
            }
        }
        return s;
    }
    format_float(f, 'f', -1)
}

// ---------------------------------------------------------------------------------------------------------
// base64

/// Go's `base64.StdEncoding.EncodeToString`, or `URLEncoding`'s when `url`.
pub fn base64_encode(data: &[u8], url: bool) -> String {
    encoding(url).encode_to_string(data)
}

/// Go's padded `base64.{Std,URL}Encoding.DecodeString`: newlines are skipped, padding is required, and an
/// error names the offending input byte.
pub fn base64_decode(src: &str, url: bool) -> Result<Vec<u8>, String> {
    encoding(url).decode_string(src)
}

fn encoding(url: bool) -> Encoding {
    if url {
        Encoding::Url
    } else {
        Encoding::Std
    }
}

// ---------------------------------------------------------------------------------------------------------
// URL query escaping

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Go's `url.QueryUnescape` (`+` is a space; a bad `%` escape is an error).
pub fn query_unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (
                    b.get(i + 1).copied().and_then(hex),
                    b.get(i + 2).copied().and_then(hex),
                ) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                    }
                    _ => {
                        let end = (i + 3).min(b.len());
                        let bad = String::from_utf8_lossy(&b[i..end]);
                        return Err(format!(
                            "invalid URL escape {}",
                            crate::value::go_quote(&bad)
                        ));
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

// ---------------------------------------------------------------------------------------------------------
// Paths

/// Go's `filepath.Join` with `/` separators: non-empty parts joined, then cleaned.
pub fn path_join(parts: &[String]) -> String {
    let non_empty: Vec<&str> = parts
        .iter()
        .map(String::as_str)
        .filter(|p| !p.is_empty())
        .collect();
    if non_empty.is_empty() {
        return String::new();
    }
    clean_path(&non_empty.join("/"))
}

/// Go's `path.Clean`.
pub fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_read_like_go() {
        let err = |s: &str| parse_json(s, JsonNumbers::Float).unwrap_err();
        assert_eq!(err(""), "unexpected end of JSON input");
        assert_eq!(err("{"), "unexpected end of JSON input");
        assert_eq!(
            err("x"),
            "invalid character 'x' looking for beginning of value"
        );
        assert_eq!(err("{\"a\" 1}"), "invalid character '1' after object key");
        assert_eq!(
            err("{\"a\":1 \"b\"}"),
            "invalid character '\"' after object key:value pair"
        );
        assert_eq!(err("[1 2]"), "invalid character '2' after array element");
        assert_eq!(
            err("{1:2}"),
            "invalid character '1' looking for beginning of object key string"
        );
        assert_eq!(err("1 2"), "invalid character '2' after top-level value");
        assert_eq!(err("tru"), "unexpected end of JSON input");
        assert_eq!(
            err("trx"),
            "invalid character 'x' in literal true (expecting 'u')"
        );
        assert_eq!(err("-"), "unexpected end of JSON input");
        assert_eq!(
            err("\"\\q\""),
            "invalid character 'q' in string escape code"
        );
    }

    /// Runs `f` on a 2 MiB thread, the stack a reload runs on.
    fn on_reload_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn json_nesting_past_the_limit_is_an_error_not_a_stack_overflow() {
        let limit = MAX_DECODE_DEPTH;
        for text in [
            "[".repeat(40_000),
            format!("{}1{}", "[".repeat(limit + 1), "]".repeat(limit + 1)),
            format!("{}1{}", "{\"a\":".repeat(limit + 1), "}".repeat(limit + 1)),
            format!("{}{{}}", "[".repeat(limit)),
        ] {
            let err = on_reload_stack(move || parse_json(&text, JsonNumbers::Float).unwrap_err());
            assert!(
                err == format!("invalid character '[' exceeded max depth of {limit}")
                    || err == format!("invalid character '{{' exceeded max depth of {limit}"),
                "{err}"
            );
        }
        let deepest = format!("{}1{}", "[".repeat(limit), "]".repeat(limit));
        let v =
            on_reload_stack(move || parse_json(&deepest, JsonNumbers::Float).map(|v| to_json(&v)));
        assert_eq!(
            v.unwrap().unwrap(),
            format!("{}1{}", "[".repeat(limit), "]".repeat(limit))
        );
    }

    #[test]
    fn json_values() {
        let v = parse_json(
            r#"{"a": [1, 2.5, "x\u00e9", true, null], "b": {}}"#,
            JsonNumbers::Float,
        )
        .unwrap();
        assert_eq!(
            v.to_string(),
            r#"{ a = [1, 2.5, "xé", true, null], b = {} }"#
        );
        assert!(matches!(
            v.get("a").unwrap().as_array().unwrap()[0],
            Value::Number(Number::Float(_))
        ));
        let v = parse_json("[1, 1.0]", JsonNumbers::KeepIntegers).unwrap();
        assert!(matches!(
            v.as_array().unwrap()[0],
            Value::Number(Number::Int(1))
        ));
        assert!(matches!(
            v.as_array().unwrap()[1],
            Value::Number(Number::Float(_))
        ));
    }

    #[test]
    fn json_encoding_is_go_marshal() {
        let v = Value::object([
            ("z", Value::float(1e-7)),
            ("a", Value::string("<a&b>")),
            (
                "m",
                Value::array([
                    Value::int(1),
                    Value::float(2.5),
                    Value::float(1e21),
                    Value::Null,
                    Value::Bool(true),
                ]),
            ),
        ]);
        assert_eq!(
            to_json(&v).unwrap(),
            r#"{"a":"\u003ca\u0026b\u003e","m":[1,2.5,1e+21,null,true],"z":1e-7}"#
        );
        assert_eq!(
            to_json(&Value::float(f64::NAN)).unwrap_err(),
            "json: unsupported value: NaN"
        );
    }

    #[test]
    fn base64_like_go() {
        assert_eq!(
            base64_encode(b"string123!?$*&()'-=@~", false),
            "c3RyaW5nMTIzIT8kKiYoKSctPUB+"
        );
        assert_eq!(
            base64_encode(b"string123!?$*&()'-=@~", true),
            "c3RyaW5nMTIzIT8kKiYoKSctPUB-"
        );
        assert_eq!(base64_encode(b"a", false), "YQ==");
        assert_eq!(base64_decode("YQ==", false).unwrap(), b"a");
        assert_eq!(base64_decode("YWI=", false).unwrap(), b"ab");
        assert_eq!(base64_decode("YW\nI=", false).unwrap(), b"ab");
        assert_eq!(base64_decode("", false).unwrap(), b"");
        assert_eq!(
            base64_decode("YQ", false).unwrap_err(),
            "illegal base64 data at input byte 0"
        );
        assert_eq!(
            base64_decode("YQ=", false).unwrap_err(),
            "illegal base64 data at input byte 3"
        );
        assert_eq!(
            base64_decode("Y!==", false).unwrap_err(),
            "illegal base64 data at input byte 1"
        );
        assert_eq!(
            base64_decode("YQ==YQ==", false).unwrap_err(),
            "illegal base64 data at input byte 4"
        );
        assert_eq!(
            base64_decode("c3RyaW5nMTIzIT8kKiYoKSctPUB-", false).unwrap_err(),
            "illegal base64 data at input byte 27"
        );
    }

    #[test]
    fn query_escaping_like_go() {
        assert_eq!(
            query_escape("string123!?$*&()'-=@~ x"),
            "string123%21%3F%24%2A%26%28%29%27-%3D%40~+x"
        );
        assert_eq!(query_unescape("a%20b+c").unwrap(), "a b c");
        assert_eq!(
            query_unescape("a%zz").unwrap_err(),
            "invalid URL escape \"%zz\""
        );
        assert_eq!(
            query_unescape("a%4").unwrap_err(),
            "invalid URL escape \"%4\""
        );
    }

    #[test]
    fn path_join_like_go() {
        let j = |p: &[&str]| path_join(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(j(&["this/is", "a/path"]), "this/is/a/path");
        assert_eq!(j(&[]), "");
        assert_eq!(j(&["", ""]), "");
        assert_eq!(j(&["/a/", "../b", "./c//"]), "/b/c");
        assert_eq!(j(&["a", "../../b"]), "../b");
        assert_eq!(j(&["/", ".."]), "/");
    }
}
