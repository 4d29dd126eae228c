//! The scanner: source text into tokens, with Go-style automatic terminators.
//!
//! After an identifier, literal, `)`, `]` or `}`, the next newline (or the end of the file, or a comment that
//! runs to the end of its line) becomes a [`TokenKind::Terminator`]. That is why a multi-line list needs its
//! trailing comma and why `a\n+ b` is two statements.

use crate::source::Span;
use crate::token::TokenKind;

const BOM: char = '\u{feff}';

/// One token: its kind and where it is. The text is `&source[span]`, except for terminators inserted before
/// a comment or at the end of the file, whose span is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// A problem found while scanning, at a byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanError {
    pub offset: u32,
    pub message: String,
}

pub struct Scanner<'a> {
    src: &'a str,
    bytes: &'a [u8],
    /// Offset of the next character to read.
    pos: usize,
    insert_terminator: bool,
    pub errors: Vec<ScanError>,
}

fn is_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && c.is_alphabetic())
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

impl<'a> Scanner<'a> {
    pub fn new(src: &'a str) -> Scanner<'a> {
        let mut s = Scanner {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            insert_terminator: false,
            errors: Vec::new(),
        };
        // A byte order mark is allowed only as the very first character.
        if src.starts_with(BOM) {
            s.pos = BOM.len_utf8();
        }
        s
    }

    fn error(&mut self, offset: usize, message: impl Into<String>) {
        self.errors.push(ScanError {
            offset: offset as u32,
            message: message.into(),
        });
    }

    /// The character at the read position, if any.
    fn peek_char(&self) -> Option<char> {
        match self.bytes.get(self.pos) {
            None => None,
            Some(&b) if b < 0x80 => Some(b as char),
            Some(_) => self.src[self.pos..].chars().next(),
        }
    }

    fn peek_byte(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_byte_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b) = self.peek_byte() {
            match b {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' if !self.insert_terminator => self.pos += 1,
                _ => break,
            }
        }
    }

    /// The next token. Comments are returned as [`TokenKind::Comment`] tokens.
    pub fn next_token(&mut self) -> Token {
        self.skip_whitespace();
        let start = self.pos;
        let tok = |kind, end: usize| Token {
            kind,
            span: Span::new(start as u32, end as u32),
        };

        let Some(c) = self.peek_char() else {
            if self.insert_terminator {
                self.insert_terminator = false;
                return tok(TokenKind::Terminator, start);
            }
            return tok(TokenKind::Eof, start);
        };

        if is_letter(c) {
            self.scan_identifier();
            let text = &self.src[start..self.pos];
            let kind = match text {
                "true" | "false" => TokenKind::Bool,
                "null" => TokenKind::Null,
                _ => TokenKind::Ident,
            };
            self.insert_terminator = true;
            return tok(kind, self.pos);
        }
        if c.is_ascii_digit()
            || (c == '.' && self.peek_byte_at(1).is_some_and(|b| b.is_ascii_digit()))
        {
            let kind = self.scan_number();
            self.insert_terminator = true;
            return tok(kind, self.pos);
        }

        self.pos += c.len_utf8();
        let mut insert_terminator = false;
        let kind = match c {
            '\n' => {
                // Only reached when a terminator is pending; otherwise newlines are whitespace.
                self.insert_terminator = false;
                return tok(TokenKind::Terminator, self.pos);
            }
            '"' => {
                insert_terminator = true;
                self.scan_string(start, '"');
                TokenKind::String
            }
            '`' => {
                insert_terminator = true;
                self.scan_raw_string(start);
                TokenKind::String
            }
            '\'' => {
                self.error(start, "illegal single-quoted string; use double quotes");
                insert_terminator = true;
                self.scan_string(start, '\'');
                TokenKind::Illegal
            }
            '/' => match self.peek_byte() {
                Some(b'/') | Some(b'*') => {
                    if self.insert_terminator && self.comment_reaches_line_end() {
                        // The comment ends the statement: emit the terminator first, the comment next time.
                        self.pos = start;
                        self.insert_terminator = false;
                        return tok(TokenKind::Terminator, start);
                    }
                    self.scan_comment(start);
                    // A comment keeps whatever terminator state the previous token left.
                    insert_terminator = self.insert_terminator;
                    TokenKind::Comment
                }
                _ => TokenKind::Div,
            },
            '|' => {
                if self.peek_byte() == Some(b'|') {
                    self.pos += 1;
                } else {
                    self.error(self.pos, "missing second | in ||");
                }
                TokenKind::Or
            }
            '&' => {
                if self.peek_byte() == Some(b'&') {
                    self.pos += 1;
                } else {
                    self.error(self.pos, "missing second & in &&");
                }
                TokenKind::And
            }
            '!' => self.two_char(b'=', TokenKind::NotEq, TokenKind::Not),
            '=' => self.two_char(b'=', TokenKind::Eq, TokenKind::Assign),
            '<' => self.two_char(b'=', TokenKind::LtEq, TokenKind::Lt),
            '>' => self.two_char(b'=', TokenKind::GtEq, TokenKind::Gt),
            '+' => TokenKind::Add,
            '-' => TokenKind::Sub,
            '*' => TokenKind::Mul,
            '%' => TokenKind::Mod,
            '^' => TokenKind::Pow,
            '{' => TokenKind::LCurly,
            '}' => {
                insert_terminator = true;
                TokenKind::RCurly
            }
            '(' => TokenKind::LParen,
            ')' => {
                insert_terminator = true;
                TokenKind::RParen
            }
            '[' => TokenKind::LBrack,
            ']' => {
                insert_terminator = true;
                TokenKind::RBrack
            }
            ',' => TokenKind::Comma,
            '.' => TokenKind::Dot,
            _ => {
                if c == BOM {
                    self.error(start, "illegal byte order mark");
                } else if c == '\0' {
                    self.error(start, "illegal character NUL");
                } else {
                    self.error(start, format!("illegal character {}", go_unicode_format(c)));
                }
                insert_terminator = self.insert_terminator;
                TokenKind::Illegal
            }
        };
        self.insert_terminator = insert_terminator;
        tok(kind, self.pos)
    }

    fn two_char(&mut self, second: u8, long: TokenKind, short: TokenKind) -> TokenKind {
        if self.peek_byte() == Some(second) {
            self.pos += 1;
            long
        } else {
            short
        }
    }

    fn scan_identifier(&mut self) {
        // ASCII identifiers are nearly all of them: scan bytes, and decode characters only past ASCII.
        while let Some(&b) = self.bytes.get(self.pos) {
            if b.is_ascii_alphanumeric() || b == b'_' {
                self.pos += 1;
            } else {
                break;
            }
        }
        while let Some(c) = self.peek_char() {
            if is_letter(c) || is_digit(c) {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek_byte().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn scan_number(&mut self) -> TokenKind {
        let start = self.pos;
        let mut kind = TokenKind::Number;
        if self.peek_byte() != Some(b'.') {
            self.digits();
        }
        if self.peek_byte() == Some(b'.') {
            kind = TokenKind::Float;
            self.pos += 1;
            self.digits();
        }
        if matches!(self.peek_byte(), Some(b'e') | Some(b'E')) {
            kind = TokenKind::Float;
            self.pos += 1;
            if matches!(self.peek_byte(), Some(b'+') | Some(b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                self.error(start, "exponent has no digits");
            }
        }
        kind
    }

    /// Scans a quoted string whose opening quote (at `start`) was consumed.
    fn scan_string(&mut self, start: usize, quote: char) {
        // Quote, backslash and newline are ASCII, so a byte search is exact in UTF-8 text.
        let q = quote as u8;
        loop {
            let rest = &self.bytes[self.pos..];
            let Some(i) = rest
                .iter()
                .position(|&b| b == q || b == b'\\' || b == b'\n')
            else {
                self.pos = self.bytes.len();
                self.error(start, "string literal not terminated");
                return;
            };
            self.pos += i;
            let b = self.bytes[self.pos];
            if b == b'\n' {
                self.error(start, "string literal not terminated");
                return;
            }
            self.pos += 1;
            if b == q {
                return;
            }
            self.scan_escape(quote);
        }
    }

    fn scan_escape(&mut self, quote: char) {
        let start = self.pos;
        let (mut n, base, max): (u32, u32, u32) = match self.peek_char() {
            Some(c)
                if matches!(c, 'a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\') || c == quote =>
            {
                self.pos += 1;
                return;
            }
            Some('0'..='7') => (3, 8, 255),
            Some('x') => {
                self.pos += 1;
                (2, 16, 255)
            }
            Some('u') => {
                self.pos += 1;
                (4, 16, char::MAX as u32)
            }
            Some('U') => {
                self.pos += 1;
                (8, 16, char::MAX as u32)
            }
            Some(_) => {
                self.error(start, "unknown escape sequence");
                return;
            }
            None => {
                self.error(start, "escape sequence not terminated");
                return;
            }
        };
        let mut value: u32 = 0;
        while n > 0 {
            let c = self.peek_char();
            let digit = c.and_then(|c| c.to_digit(16)).unwrap_or(u32::MAX);
            if digit >= base {
                match c {
                    Some(c) if c != '\n' => self.error(
                        self.pos,
                        format!(
                            "illegal character {} in escape sequence",
                            go_unicode_format(c)
                        ),
                    ),
                    _ => self.error(self.pos, "escape sequence not terminated"),
                }
                return;
            }
            value = value.saturating_mul(base).saturating_add(digit);
            self.pos += 1;
            n -= 1;
        }
        if value > max || (0xD800..0xE000).contains(&value) {
            self.error(start, "escape sequence is invalid Unicode code point");
        }
    }

    fn scan_raw_string(&mut self, start: usize) {
        match self.src[self.pos..].find('`') {
            Some(i) => self.pos += i + 1,
            None => {
                self.pos = self.src.len();
                self.error(start, "raw string literal not terminated");
            }
        }
    }

    /// Scans a comment whose first `/` (at `start`) was consumed; the read position is at `/` or `*`.
    fn scan_comment(&mut self, start: usize) {
        if self.peek_byte() == Some(b'/') {
            // The newline is not part of a line comment.
            self.pos = match self.src[self.pos..].find('\n') {
                Some(i) => self.pos + i,
                None => self.src.len(),
            };
            return;
        }
        match self.src[self.pos + 1..].find("*/") {
            Some(i) => self.pos = self.pos + 1 + i + 2,
            None => {
                self.pos = self.src.len();
                self.error(start, "block comment not terminated");
            }
        }
    }

    /// Whether the comment(s) starting at the read position (just after a `/`) run to the end of the line, so
    /// that a pending terminator belongs before them. The read position is restored.
    fn comment_reaches_line_end(&mut self) -> bool {
        let saved = self.pos;
        let result = (|| {
            loop {
                match self.peek_byte() {
                    Some(b'/') => return true,
                    Some(b'*') => {
                        self.pos += 1;
                        let rest = &self.src[self.pos..];
                        let close = rest.find("*/");
                        let newline = rest.find('\n');
                        match close {
                            Some(c) if newline.is_none_or(|nl| c < nl) => self.pos += c + 2,
                            // A newline inside the comment, or an unterminated comment, ends the line.
                            _ => return true,
                        }
                    }
                    _ => return false,
                }
                while matches!(self.peek_byte(), Some(b' ' | b'\t' | b'\r')) {
                    self.pos += 1;
                }
                match self.peek_byte() {
                    None | Some(b'\n') => return true,
                    Some(b'/') => self.pos += 1,
                    Some(_) => return false,
                }
            }
        })();
        self.pos = saved;
        result
    }
}

/// Go's `%#U` rendering of a character: `U+0040 '@'`.
fn go_unicode_format(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{}'", c as u32, c)
    }
}

/// Decodes a string literal as written (with its quotes or backticks) into its value, as Go's
/// `strconv.Unquote` does. Returns `None` when the literal is malformed (the scanner reported why).
pub fn unquote(raw: &str) -> Option<String> {
    if let Some(inner) = raw.strip_prefix('`') {
        let inner = inner.strip_suffix('`')?;
        // Go drops carriage returns from raw strings.
        return Some(inner.replace('\r', ""));
    }
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.contains('\\') {
        return Some(inner.to_string());
    }
    let mut out = String::with_capacity(inner.len());
    let mut bytes_pending: Vec<u8> = Vec::new();
    let mut chars = inner.chars().peekable();
    // Octal and \x escapes produce raw bytes that may form UTF-8 sequences together.
    let flush = |out: &mut String, pending: &mut Vec<u8>| {
        if !pending.is_empty() {
            out.push_str(&String::from_utf8_lossy(pending));
            pending.clear();
        }
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            flush(&mut out, &mut bytes_pending);
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        let simple = match e {
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            '\\' => Some('\\'),
            '"' => Some('"'),
            _ => None,
        };
        if let Some(s) = simple {
            flush(&mut out, &mut bytes_pending);
            out.push(s);
            continue;
        }
        let (count, radix) = match e {
            '0'..='7' => (2, 8),
            'x' => (2, 16),
            'u' => (4, 16),
            'U' => (8, 16),
            _ => return None,
        };
        let mut value: u32 = if radix == 8 { e.to_digit(8)? } else { 0 };
        for _ in 0..count {
            value = value
                .checked_mul(radix)?
                .checked_add(chars.next()?.to_digit(radix)?)?;
        }
        match e {
            'u' | 'U' => {
                flush(&mut out, &mut bytes_pending);
                out.push(char::from_u32(value)?);
            }
            _ => bytes_pending.push(u8::try_from(value).ok()?),
        }
    }
    flush(&mut out, &mut bytes_pending);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenKind::*;

    fn kinds(src: &str) -> Vec<(TokenKind, &str)> {
        let mut s = Scanner::new(src);
        let mut out = Vec::new();
        loop {
            let t = s.next_token();
            if t.kind == Eof {
                break;
            }
            out.push((t.kind, &src[t.span.range()]));
        }
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        out
    }

    fn errors(src: &str) -> Vec<(u32, std::string::String)> {
        let mut s = Scanner::new(src);
        while s.next_token().kind != Eof {}
        s.errors
            .into_iter()
            .map(|e| (e.offset, e.message))
            .collect()
    }

    #[test]
    fn identifiers_keywords_and_unicode() {
        assert_eq!(
            kinds("métrica_café a۰۱۸ true false null t n _x"),
            vec![
                (Ident, "métrica_café"),
                (Ident, "a۰۱۸"),
                (Bool, "true"),
                (Bool, "false"),
                (Null, "null"),
                (Ident, "t"),
                (Ident, "n"),
                (Ident, "_x"),
                (Terminator, ""),
            ]
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(
            kinds("0 01234567 0. .0 3.14 1e+100 2.71828e-1000 0x1"),
            vec![
                (Number, "0"),
                (Number, "01234567"),
                (Float, "0."),
                (Float, ".0"),
                (Float, "3.14"),
                (Float, "1e+100"),
                (Float, "2.71828e-1000"),
                (Number, "0"),
                (Ident, "x1"),
                (Terminator, ""),
            ]
        );
        assert_eq!(errors("10E"), vec![(0, "exponent has no digits".into())]);
    }

    #[test]
    fn terminators_follow_go_rules() {
        assert_eq!(
            kinds("a = 1\nb = [\n1,\n]\n"),
            vec![
                (Ident, "a"),
                (Assign, "="),
                (Number, "1"),
                (Terminator, "\n"),
                (Ident, "b"),
                (Assign, "="),
                (LBrack, "["),
                (Number, "1"),
                (Comma, ","),
                (RBrack, "]"),
                (Terminator, "\n"),
            ]
        );
        // A comment that runs to the end of the line comes after the terminator it causes.
        assert_eq!(
            kinds("x // c\n/* a */ y /* b\n*/"),
            vec![
                (Ident, "x"),
                (Terminator, ""),
                (Comment, "// c"),
                (Comment, "/* a */"),
                (Ident, "y"),
                (Terminator, ""),
                (Comment, "/* b\n*/"),
            ]
        );
        assert_eq!(kinds("x /* a */ + y")[1], (Comment, "/* a */"));
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(kinds(r#""a\n\"\x41\101\u00e9\U0001F600""#)[0].0, String);
        assert_eq!(
            unquote(r#""a\n\"\x41\101\u00e9\U0001F600""#).unwrap(),
            "a\n\"AAé😀"
        );
        assert_eq!(unquote(r#""\xc3\xa9""#).unwrap(), "é");
        assert_eq!(unquote("`a\\n\r\nb`").unwrap(), "a\\n\nb");
        assert_eq!(
            errors(r#""\'""#),
            vec![(2, "unknown escape sequence".into())]
        );
        assert_eq!(
            errors("'a'"),
            vec![(0, "illegal single-quoted string; use double quotes".into())]
        );
        assert_eq!(
            errors("\"abc\nx"),
            vec![(0, "string literal not terminated".into())]
        );
        assert_eq!(
            errors(r#""\uD800""#),
            vec![(2, "escape sequence is invalid Unicode code point".into())]
        );
        assert_eq!(
            errors(r#""\400""#),
            vec![(2, "escape sequence is invalid Unicode code point".into())]
        );
        assert_eq!(
            errors(r#""\x4g""#),
            vec![(4, "illegal character U+0067 'g' in escape sequence".into())]
        );
        assert_eq!(
            errors("`abc"),
            vec![(0, "raw string literal not terminated".into())]
        );
    }

    #[test]
    fn operators_and_illegal_characters() {
        assert_eq!(
            kinds("|| && ! != = == < <= > >= + - * / % ^ { } ( ) [ ] , .")
                .into_iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            "|| && ! != = == < <= > >= + - * / % ^ { } ( ) [ ] , ."
        );
        assert_eq!(errors("a | b"), vec![(3, "missing second | in ||".into())]);
        assert_eq!(errors("a & b"), vec![(3, "missing second & in &&".into())]);
        assert_eq!(
            errors("a @ b"),
            vec![(2, "illegal character U+0040 '@'".into())]
        );
        assert_eq!(errors("a\0"), vec![(1, "illegal character NUL".into())]);
        assert_eq!(
            errors("\u{feff}a \u{feff}"),
            vec![(5, "illegal byte order mark".into())]
        );
        assert_eq!(
            errors("/* open"),
            vec![(0, "block comment not terminated".into())]
        );
    }
}
