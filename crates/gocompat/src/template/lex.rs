//! `text/template/parse`'s lexer: text between actions, and the tokens of `{{ ... }}` actions, with the
//! `{{- ` and ` -}}` trim markers applied to the surrounding text.

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Text(String),
    Left,
    Right,
    /// A keyword or function name.
    Ident(String),
    /// `.A.B` as ["A", "B"]; a lone `.` is `Dot`.
    Field(Vec<String>),
    Dot,
    /// `$` or `$name`, with the `$`.
    Var(String),
    /// A string literal, unquoted.
    Str(String),
    Char(char),
    Number(String),
    Bool(bool),
    Nil,
    Pipe,
    LParen,
    RParen,
    Declare,
    Assign,
    Comma,
    Space,
    Eof,
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
}

pub fn lex(name: &str, text: &str) -> Result<Vec<Token>, String> {
    let mut l = Lexer {
        name,
        src: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        out: Vec::new(),
    };
    l.run()?;
    Ok(l.out)
}

struct Lexer<'a> {
    name: &'a str,
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    line: usize,
    out: Vec<Token>,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl Lexer<'_> {
    fn err(&self, msg: impl std::fmt::Display) -> String {
        format!("template: {}:{}: {msg}", self.name, self.line)
    }

    fn push(&mut self, tok: Tok) {
        self.out.push(Token {
            tok,
            line: self.line,
        });
    }

    fn starts(&self, s: &str) -> bool {
        self.src[self.pos..].starts_with(s.as_bytes())
    }

    fn run(&mut self) -> Result<(), String> {
        loop {
            // Text up to the next "{{".
            let rest = &self.text[self.pos..];
            let Some(at) = rest.find("{{") else {
                if !rest.is_empty() {
                    self.push(Tok::Text(rest.to_string()));
                    self.line += rest.matches('\n').count();
                }
                self.pos = self.src.len();
                self.push(Tok::Eof);
                return Ok(());
            };
            let mut text = &rest[..at];
            // "{{- " trims the text before.
            let after = &rest[at + 2..];
            let trim_left =
                after.starts_with('-') && after.as_bytes().get(1).is_some_and(|&c| is_space(c));
            if trim_left {
                text = text.trim_end_matches([' ', '\t', '\r', '\n']);
            }
            if !text.is_empty() {
                self.push(Tok::Text(text.to_string()));
            }
            self.line += rest[..at].matches('\n').count();
            self.pos += at + 2;
            if trim_left {
                self.pos += 2;
            }
            // A comment: {{/* ... */}}.
            if self.starts("/*") {
                let Some(end) = self.text[self.pos..].find("*/") else {
                    return Err(self.err("unclosed comment"));
                };
                let comment = &self.text[self.pos..self.pos + end + 2];
                self.line += comment.matches('\n').count();
                self.pos += end + 2;
                let (trim_right, close) = self.right_delim();
                if !close {
                    return Err(self.err("comment ends before closing delimiter"));
                }
                if trim_right {
                    self.trim_following();
                }
                continue;
            }
            self.push(Tok::Left);
            self.action()?;
        }
    }

    /// At a possible right delimiter: (trim marker, found).
    fn right_delim(&mut self) -> (bool, bool) {
        if self.starts(" -}}")
            || self.starts("\t-}}")
            || self.starts("\r-}}")
            || self.starts("\n-}}")
        {
            if self.src[self.pos] == b'\n' {
                self.line += 1;
            }
            self.pos += 4;
            return (true, true);
        }
        if self.starts("}}") {
            self.pos += 2;
            return (false, true);
        }
        (false, false)
    }

    fn trim_following(&mut self) {
        while self.pos < self.src.len() && is_space(self.src[self.pos]) {
            if self.src[self.pos] == b'\n' {
                self.line += 1;
            }
            self.pos += 1;
        }
    }

    /// The inside of an action, up to and including its right delimiter.
    fn action(&mut self) -> Result<(), String> {
        let mut parens = 0i32;
        loop {
            let (trim, close) = self.right_delim();
            if close {
                if parens > 0 {
                    return Err(self.err("unclosed left paren"));
                }
                self.push(Tok::Right);
                if trim {
                    self.trim_following();
                }
                return Ok(());
            }
            let Some(&c) = self.src.get(self.pos) else {
                return Err(self.err("unclosed action"));
            };
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => {
                    // A run of spaces is one token; a newline inside an action is allowed (Go 1.16+).
                    while self.pos < self.src.len() && is_space(self.src[self.pos]) {
                        if self.starts(" -}}")
                            || self.starts("\n-}}")
                            || self.starts("\t-}}")
                            || self.starts("\r-}}")
                        {
                            break;
                        }
                        if self.src[self.pos] == b'\n' {
                            self.line += 1;
                        }
                        self.pos += 1;
                    }
                    self.push(Tok::Space);
                }
                b'=' => {
                    self.pos += 1;
                    self.push(Tok::Assign);
                }
                b':' => {
                    if self.src.get(self.pos + 1) != Some(&b'=') {
                        return Err(self.err("expected :="));
                    }
                    self.pos += 2;
                    self.push(Tok::Declare);
                }
                b'|' => {
                    self.pos += 1;
                    self.push(Tok::Pipe);
                }
                b',' => {
                    self.pos += 1;
                    self.push(Tok::Comma);
                }
                b'(' => {
                    self.pos += 1;
                    parens += 1;
                    self.push(Tok::LParen);
                }
                b')' => {
                    self.pos += 1;
                    parens -= 1;
                    if parens < 0 {
                        return Err(self.err("unexpected right paren"));
                    }
                    self.push(Tok::RParen);
                }
                b'"' => {
                    let s = self.quoted(b'"')?;
                    self.push(Tok::Str(s));
                }
                b'`' => {
                    let start = self.pos + 1;
                    let Some(end) = self.text[start..].find('`') else {
                        return Err(self.err("unterminated raw quoted string"));
                    };
                    let s = self.text[start..start + end].to_string();
                    self.line += s.matches('\n').count();
                    self.pos = start + end + 1;
                    self.push(Tok::Str(s));
                }
                b'\'' => {
                    let s = self.quoted(b'\'')?;
                    let mut cs = s.chars();
                    match (cs.next(), cs.next()) {
                        (Some(ch), None) => self.push(Tok::Char(ch)),
                        _ => return Err(self.err("malformed character constant")),
                    }
                }
                b'$' => {
                    let start = self.pos;
                    self.pos += 1;
                    self.word();
                    let v = self.text[start..self.pos].to_string();
                    self.push(Tok::Var(v));
                    self.fields()?;
                }
                b'.' => {
                    // A number like .5, a field, or dot.
                    if self.src.get(self.pos + 1).is_some_and(u8::is_ascii_digit) {
                        self.number()?;
                        continue;
                    }
                    if self
                        .src
                        .get(self.pos + 1)
                        .is_some_and(|&c| is_alnum(c as char) || c >= 0x80)
                    {
                        self.fields()?;
                    } else {
                        self.pos += 1;
                        self.push(Tok::Dot);
                    }
                }
                b'+' | b'-' | b'0'..=b'9' => self.number()?,
                _ => {
                    let ch = self.text[self.pos..].chars().next().unwrap_or('\0');
                    if is_alnum(ch) {
                        let start = self.pos;
                        self.word();
                        let w = self.text[start..self.pos].to_string();
                        match w.as_str() {
                            "true" => self.push(Tok::Bool(true)),
                            "false" => self.push(Tok::Bool(false)),
                            "nil" => self.push(Tok::Nil),
                            _ => self.push(Tok::Ident(w)),
                        }
                        // A function name followed by a field is an error in Go; a keyword isn't.
                        if self.src.get(self.pos) == Some(&b'.') {
                            return Err(self.err(format!(
                                "bad character {}",
                                crate::strconv::quote_rune('.')
                            )));
                        }
                    } else {
                        return Err(self.err(format!(
                            "unexpected {} in command",
                            crate::strconv::quote_rune(ch)
                        )));
                    }
                }
            }
        }
    }

    fn word(&mut self) {
        while let Some(ch) = self.text[self.pos..].chars().next() {
            if !is_alnum(ch) {
                break;
            }
            self.pos += ch.len_utf8();
        }
    }

    /// A chain of `.Name` fields at `pos` (possibly none); pushed as one `Field` token.
    fn fields(&mut self) -> Result<(), String> {
        let mut names = Vec::new();
        while self.src.get(self.pos) == Some(&b'.') {
            let next = self.text[self.pos + 1..].chars().next();
            if !next.is_some_and(is_alnum) {
                break;
            }
            self.pos += 1;
            let start = self.pos;
            self.word();
            names.push(self.text[start..self.pos].to_string());
        }
        if !names.is_empty() {
            self.push(Tok::Field(names));
        }
        Ok(())
    }

    fn number(&mut self) -> Result<(), String> {
        let start = self.pos;
        if matches!(self.src[self.pos], b'+' | b'-') {
            self.pos += 1;
        }
        while let Some(&c) = self.src.get(self.pos) {
            let exp_sign = matches!(c, b'+' | b'-')
                && self.pos > start
                && matches!(self.src[self.pos - 1], b'e' | b'E' | b'p' | b'P')
                && !self.text[start..self.pos].starts_with("0x")
                || matches!(c, b'+' | b'-')
                    && self.pos > start
                    && matches!(self.src[self.pos - 1], b'p' | b'P');
            if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exp_sign {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = &self.text[start..self.pos];
        if text == "+" || text == "-" {
            return Err(self.err(format!(
                "bad number syntax: {}",
                crate::strconv::quote(text)
            )));
        }
        self.push(Tok::Number(text.to_string()));
        Ok(())
    }

    /// A double- or single-quoted literal with Go's escapes, at its opening quote.
    fn quoted(&mut self, q: u8) -> Result<String, String> {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.src.get(self.pos) {
                None | Some(b'\n') => {
                    return Err(self.err(if q == b'"' {
                        "unterminated quoted string"
                    } else {
                        "unterminated character constant"
                    }))
                }
                Some(b'\\') => self.pos += 2,
                Some(&c) if c == q => {
                    self.pos += 1;
                    break;
                }
                Some(_) => self.pos += 1,
            }
        }
        let lit = &self.text[start..self.pos];
        unquote(lit).ok_or_else(|| self.err(format!("invalid syntax: {lit}")))
    }
}

/// Go's `strconv.Unquote` for "..." and '...'.
pub fn unquote(lit: &str) -> Option<String> {
    let q = lit.chars().next()?;
    let inner = lit.strip_prefix(q)?.strip_suffix(q)?;
    let mut out = String::new();
    let mut it = inner.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            if c == q {
                return None;
            }
            out.push(c);
            continue;
        }
        let e = it.next()?;
        let hexn = |it: &mut std::iter::Peekable<std::str::Chars<'_>>, n: usize| -> Option<u32> {
            let mut v = 0u32;
            for _ in 0..n {
                v = v * 16 + it.next()?.to_digit(16)?;
            }
            Some(v)
        };
        match e {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '\\' => out.push('\\'),
            '\'' if q == '\'' => out.push('\''),
            '"' if q == '"' => out.push('"'),
            'x' => {
                let v = hexn(&mut it, 2)?;
                // A \x byte above 0x7f is not valid UTF-8 on its own: ingot keeps strings as UTF-8.
                if v > 0x7f {
                    return None;
                }
                out.push(char::from_u32(v)?);
            }
            'u' => out.push(char::from_u32(hexn(&mut it, 4)?)?),
            'U' => out.push(char::from_u32(hexn(&mut it, 8)?)?),
            '0'..='7' => {
                let mut v = e.to_digit(8)?;
                for _ in 0..2 {
                    v = v * 8 + it.next()?.to_digit(8)?;
                }
                if v > 0x7f {
                    return None;
                }
                out.push(char::from_u32(v)?);
            }
            _ => return None,
        }
    }
    Some(out)
}
