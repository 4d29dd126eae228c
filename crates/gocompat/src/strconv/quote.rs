use super::is_print_table::PRINTABLE;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols (as Unicode 15.0.0 assigns them) and
/// the ASCII space. Unassigned code points, private use, surrogates, controls, format characters and every
/// space but U+0020 are not printable.
pub fn is_print(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return (0x20..0x7f).contains(&u);
    }
    let i = PRINTABLE.partition_point(|&(_, last)| last < u);
    i < PRINTABLE.len() && PRINTABLE[i].0 <= u
}

/// Go's `strconv.Quote`: `"…"` with Go escapes (`\n`, `\x00`, `\u00ad`, `\U000e0001`) for every character
/// [`is_print`] refuses.
pub fn quote(s: &str) -> String {
    quote_with(s.as_bytes(), '"', false)
}

/// Go's `strconv.Quote` of a Go string holding any bytes: a byte that does not start valid UTF-8 is written
/// as `\xff`, as Go does.
pub fn quote_bytes(s: &[u8]) -> String {
    quote_with(s, '"', false)
}

/// Go's `strconv.QuoteToASCII`: as [`quote`], and every non-ASCII character escaped too (`"\u00e9"`).
pub fn quote_to_ascii(s: &str) -> String {
    quote_with(s.as_bytes(), '"', true)
}

/// Go's `strconv.QuoteRune`: `'x'`, with `'` escaped and `"` not.
pub fn quote_rune(c: char) -> String {
    let mut out = String::with_capacity(8);
    out.push('\'');
    push_escaped(&mut out, c, '\'', false);
    out.push('\'');
    out
}

/// Go's `strconv.QuoteRuneToASCII`: as [`quote_rune`], with a non-ASCII character escaped.
pub fn quote_rune_to_ascii(c: char) -> String {
    let mut out = String::with_capacity(12);
    out.push('\'');
    push_escaped(&mut out, c, '\'', true);
    out.push('\'');
    out
}

/// Go's `strconv.CanBackquote`: whether `s` can be written between backquotes unchanged. Only ASCII
/// controls other than tab, DEL, the backquote and U+FEFF prevent it; other non-ASCII characters (even
/// C1 controls) do not.
pub fn can_backquote(s: &str) -> bool {
    s.chars().all(|c| match c {
        '\t' => true,
        '`' | '\u{7f}' | '\u{feff}' => false,
        c => c >= ' ',
    })
}

fn quote_with(s: &[u8], q: char, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped(&mut out, c, q, ascii_only);
        }
        // Go decodes an invalid sequence one byte at a time, so each byte gets its own escape.
        for &b in chunk.invalid() {
            push_hex(&mut out, 'x', u32::from(b), 2);
        }
    }
    out.push(q);
    out
}

fn push_escaped(out: &mut String, c: char, q: char, ascii_only: bool) {
    if c == q || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if is_print(c) && (!ascii_only || c.is_ascii()) {
        out.push(c);
        return;
    }
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        c if c < ' ' || c == '\x7f' => push_hex(out, 'x', c as u32, 2),
        c if (c as u32) < 0x10000 => push_hex(out, 'u', c as u32, 4),
        c => push_hex(out, 'U', c as u32, 8),
    }
}

/// `\` + `kind` + `digits` lowercase hex digits of `v`.
fn push_hex(out: &mut String, kind: char, v: u32, digits: u32) {
    out.push('\\');
    out.push(kind);
    for i in (0..digits).rev() {
        out.push(HEX[(v >> (4 * i)) as usize & 0xf] as char);
    }
}
