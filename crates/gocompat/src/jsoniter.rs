//! How `github.com/json-iterator/go` v1.1.12 with `ConfigCompatibleWithStandardLibrary` writes strings
//! and `map[string]string` (Alloy's `loki.source.journal` marshals entries with it for
//! `format_as_json`). It is `encoding/json` as of Go 1.21, not 1.22+: `<`, `>` and `&` are escaped as
//! `\u003c` and the like, `\n`, `\r` and `\t` get short escapes and every other control byte `\u00XX`
//! (also `\b` and `\f`), each byte that is not part of valid UTF-8 becomes `\ufffd`, and U+2028 and
//! U+2029 are escaped. Map keys are sorted. Checked against jsoniter's own output
//! (`oracle/jsoniter`, table `tests/data/jsoniter_string.txt`).

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` (any bytes, as a Go string may hold) as a JSON string.
pub fn write_string(out: &mut String, s: &[u8]) {
    out.push('"');
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b < 0x80 {
            match b {
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                b'<' | b'>' | b'&' | 0..=0x1f => {
                    out.push_str("\\u00");
                    out.push(HEX[(b >> 4) as usize] as char);
                    out.push(HEX[(b & 0xf) as usize] as char);
                }
                _ => out.push(b as char),
            }
            i += 1;
            continue;
        }
        // One rune, as Go's utf8.DecodeRune reads it: an invalid byte is one RuneError of width 1.
        let width = utf8_width(&s[i..]);
        if width == 0 {
            out.push_str("\\ufffd");
            i += 1;
            continue;
        }
        let c = std::str::from_utf8(&s[i..i + width])
            .expect("checked")
            .chars()
            .next()
            .expect("one rune");
        if c == '\u{2028}' || c == '\u{2029}' {
            out.push_str(if c == '\u{2028}' {
                "\\u2028"
            } else {
                "\\u2029"
            });
        } else {
            out.push(c);
        }
        i += width;
    }
    out.push('"');
}

/// The length of the valid UTF-8 sequence at the start of `s` (which starts with a byte >= 0x80), or 0.
fn utf8_width(s: &[u8]) -> usize {
    let n = match s[0] {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return 0,
    };
    if s.len() < n {
        return 0;
    }
    match std::str::from_utf8(&s[..n]) {
        Ok(_) => n,
        Err(_) => 0,
    }
}

/// A `map[string]string` as jsoniter marshals it: `{"k":"v",...}` with keys sorted by their bytes. A
/// key given twice keeps its last value.
pub fn write_map<'a>(out: &mut String, pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) {
    let mut map: std::collections::BTreeMap<&[u8], &[u8]> = std::collections::BTreeMap::new();
    for (k, v) in pairs {
        map.insert(k, v);
    }
    out.push('{');
    for (i, (k, v)) in map.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, k);
        out.push(':');
        write_string(out, v);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_jsoniter() {
        let mut s = String::new();
        write_string(&mut s, b"a<\x08\xff\xe2\x80\xa8\xc3\xbc");
        assert_eq!(s, "\"a\\u003c\\u0008\\ufffd\\u2028\u{fc}\"");
        let mut m = String::new();
        write_map(&mut m, [(&b"B"[..], &b"2"[..]), (b"A", b"1"), (b"B", b"3")]);
        assert_eq!(m, r#"{"A":"1","B":"3"}"#);
    }
}
