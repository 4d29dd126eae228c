//! The LogQL subset `stage.match` selects with (Alloy's `internal/loki/logql`): a stream selector
//! `{name="v", name!="v", name=~"re", name!~"re"}` followed by any number of line filters `|= "text"`,
//! `!= "text"`, `|~ "re"`, `!~ "re"`.
//!
//! Tokens are read as Go's `text/scanner` reads them (Go identifiers, numbers, double-quoted strings with
//! Go's escapes, `//` and `/* */` comments skipped); a two-character operator is a token only when its
//! characters are adjacent. Errors read as Alloy's: `parse error at line L, col C: <why>`, at the token the
//! parser stopped on (columns count characters, from 1). Label matchers are anchored regular expressions
//! over the whole value (`^(?s:re)$`, as Prometheus matches them) against the label's value, `""` when the
//! label is absent; line filters search the line (`|~` is unanchored).

/// One label matcher.
#[derive(Clone, Debug)]
pub enum Matcher {
    Equal(String, String),
    NotEqual(String, String),
    Regexp(String, regex::Regex),
    NotRegexp(String, regex::Regex),
}

/// One line filter.
#[derive(Clone, Debug)]
pub enum Filter {
    Contains(String),
    NotContains(String),
    Matches(regex::Regex),
    NotMatches(regex::Regex),
}

/// A parsed selector with its line filters.
#[derive(Clone, Debug)]
pub struct Selector {
    pub matchers: Vec<Matcher>,
    pub filters: Vec<Filter>,
}

impl Selector {
    /// Whether an entry with these labels and this line is selected.
    pub fn matches(&self, labels: &crate::process::pipeline::LabelMap, line: &str) -> bool {
        self.matchers.iter().all(|m| {
            let value = |n: &str| labels.get(n).unwrap_or("");
            match m {
                Matcher::Equal(n, v) => value(n) == v,
                Matcher::NotEqual(n, v) => value(n) != v,
                Matcher::Regexp(n, re) => re.is_match(value(n)),
                Matcher::NotRegexp(n, re) => !re.is_match(value(n)),
            }
        }) && self.filters.iter().all(|f| match f {
            Filter::Contains(s) => line.contains(s.as_str()),
            Filter::NotContains(s) => !line.contains(s.as_str()),
            Filter::Matches(re) => re.is_match(line),
            Filter::NotMatches(re) => !re.is_match(line),
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Eq,
    Neq,
    Re,
    Nre,
    Open,
    Close,
    Comma,
    Dot,
    PipeMatch,
    PipeExact,
    End,
}

impl Tok {
    /// The token's name in yacc's messages (Alloy names the operators by their text).
    fn name(&self) -> &'static str {
        match self {
            Tok::Ident(_) => "IDENTIFIER",
            Tok::Str(_) => "STRING",
            Tok::Eq => "=",
            Tok::Neq => "!=",
            Tok::Re => "=~",
            Tok::Nre => "!~",
            Tok::Open => "{",
            Tok::Close => "}",
            Tok::Comma => ",",
            Tok::Dot => ".",
            Tok::PipeMatch => "|~",
            Tok::PipeExact => "|=",
            Tok::End => "$end",
        }
    }
}

struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    col: usize,
    /// Where the last token started.
    tok_line: usize,
    tok_col: usize,
    _src: &'a str,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            chars: src.chars().collect(),
            pos: 0,
            line: 1,
            col: 1,
            tok_line: 1,
            tok_col: 1,
            _src: src,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn error(&self, msg: impl std::fmt::Display) -> String {
        format!(
            "parse error at line {}, col {}: {msg}",
            self.tok_line, self.tok_col
        )
    }

    /// The next token; `Err` with Alloy's message for what the scanner refuses.
    fn next(&mut self) -> Result<Tok, String> {
        loop {
            while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
                self.bump();
            }
            self.tok_line = self.line;
            self.tok_col = self.col;
            // Comments are skipped as whitespace.
            if self.peek() == Some('/') {
                match self.chars.get(self.pos + 1) {
                    Some('/') => {
                        while !matches!(self.peek(), None | Some('\n')) {
                            self.bump();
                        }
                        continue;
                    }
                    Some('*') => {
                        self.bump();
                        self.bump();
                        loop {
                            match self.bump() {
                                None => return Err(self.error("comment not terminated")),
                                Some('*') if self.peek() == Some('/') => {
                                    self.bump();
                                    break;
                                }
                                Some(_) => {}
                            }
                        }
                        continue;
                    }
                    _ => {}
                }
            }
            break;
        }
        let Some(c) = self.peek() else {
            return Ok(Tok::End);
        };
        if c.is_alphabetic() || c == '_' {
            let mut s = String::new();
            while let Some(c) = self.peek().filter(|c| c.is_alphanumeric() || *c == '_') {
                s.push(c);
                self.bump();
            }
            return Ok(Tok::Ident(s));
        }
        if c.is_ascii_digit()
            || (c == '.'
                && self
                    .chars
                    .get(self.pos + 1)
                    .is_some_and(char::is_ascii_digit))
        {
            // A number: an identifier to the grammar, which expects none.
            let mut s = String::new();
            while let Some(c) = self
                .peek()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
            {
                s.push(c);
                self.bump();
            }
            return Ok(Tok::Ident(s));
        }
        if c == '"' {
            let mut raw = String::from('"');
            self.bump();
            loop {
                match self.bump() {
                    None | Some('\n') => return Err(self.error("literal not terminated")),
                    Some('"') => break,
                    Some('\\') => {
                        raw.push('\\');
                        match self.bump() {
                            None => return Err(self.error("literal not terminated")),
                            Some(e) => raw.push(e),
                        }
                    }
                    Some(c) => raw.push(c),
                }
            }
            raw.push('"');
            return match ingot_gocompat::strconv::unquote(&raw) {
                Some(s) => Ok(Tok::Str(s)),
                None => Err(self.error("invalid char escape")),
            };
        }
        if c == '`' || c == '\'' {
            // Raw strings and characters are no strings to this grammar: a single IDENTIFIER.
            let mut s = String::new();
            s.push(c);
            self.bump();
            loop {
                match self.bump() {
                    None => return Err(self.error("literal not terminated")),
                    Some('\n') if c == '\'' => return Err(self.error("literal not terminated")),
                    Some(x) if x == c => {
                        s.push(x);
                        break;
                    }
                    Some('\\') if c == '\'' => {
                        s.push('\\');
                        if let Some(x) = self.bump() {
                            s.push(x);
                        }
                    }
                    Some(x) => s.push(x),
                }
            }
            return Ok(Tok::Ident(s));
        }
        self.bump();
        let next = self.peek();
        let two = match (c, next) {
            ('!', Some('=')) => Some(Tok::Neq),
            ('=', Some('~')) => Some(Tok::Re),
            ('!', Some('~')) => Some(Tok::Nre),
            ('|', Some('=')) => Some(Tok::PipeExact),
            ('|', Some('~')) => Some(Tok::PipeMatch),
            _ => None,
        };
        if let Some(t) = two {
            self.bump();
            return Ok(t);
        }
        Ok(match c {
            ',' => Tok::Comma,
            '.' => Tok::Dot,
            '{' => Tok::Open,
            '}' => Tok::Close,
            '=' => Tok::Eq,
            other => Tok::Ident(other.to_string()),
        })
    }
}

struct Parser<'a> {
    lex: Lexer<'a>,
    tok: Tok,
}

impl Parser<'_> {
    fn advance(&mut self) -> Result<(), String> {
        self.tok = self.lex.next()?;
        Ok(())
    }

    fn unexpected(&self, expecting: &[&str]) -> String {
        let mut msg = format!("syntax error: unexpected {}", self.tok.name());
        if !expecting.is_empty() {
            msg.push_str(", expecting ");
            msg.push_str(&expecting.join(" or "));
        }
        self.lex.error(msg)
    }
}

/// Alloy's `logql.ParseExpr` followed by building its matchers and filter.
pub fn parse(input: &str) -> Result<Selector, String> {
    let mut p = Parser {
        lex: Lexer::new(input),
        tok: Tok::End,
    };
    p.advance()?;
    if p.tok != Tok::Open {
        return Err(p.unexpected(&["{"]));
    }
    p.advance()?;
    let mut matchers = Vec::new();
    loop {
        let Tok::Ident(name) = p.tok.clone() else {
            return Err(p.unexpected(&["IDENTIFIER"]));
        };
        p.advance()?;
        let op = p.tok.clone();
        if !matches!(op, Tok::Eq | Tok::Neq | Tok::Re | Tok::Nre) {
            return Err(p.unexpected(&["=", "!=", "=~", "!~"]));
        }
        p.advance()?;
        let Tok::Str(value) = p.tok.clone() else {
            return Err(p.unexpected(&["STRING"]));
        };
        let anchored = |v: &str| {
            ingot_gocompat::regexp::translate(v)
                .and_then(|t| {
                    regex::Regex::new(&format!("^(?s:{t})$"))
                        .map_err(|e| format!("error parsing regexp: {e}"))
                })
                .map_err(|e| p.lex.error(e))
        };
        matchers.push(match op {
            Tok::Eq => Matcher::Equal(name, value),
            Tok::Neq => Matcher::NotEqual(name, value),
            Tok::Re => Matcher::Regexp(name, anchored(&value)?),
            _ => Matcher::NotRegexp(name, anchored(&value)?),
        });
        p.advance()?;
        match p.tok {
            Tok::Comma => p.advance()?,
            Tok::Close => break,
            _ => return Err(p.unexpected(&["}", ","])),
        }
    }
    p.advance()?;
    let mut filters = Vec::new();
    loop {
        let op = p.tok.clone();
        match op {
            Tok::End => break,
            Tok::Neq | Tok::Nre | Tok::PipeMatch | Tok::PipeExact => {}
            _ => return Err(p.unexpected(&["!=", "!~", "|~", "|="])),
        }
        p.advance()?;
        let Tok::Str(s) = p.tok.clone() else {
            return Err(p.unexpected(&["STRING"]));
        };
        let re = |s: &str| {
            ingot_gocompat::regexp::compile(s).map_err(|e| format!("error parsing pipeline: {e}"))
        };
        filters.push(match op {
            Tok::PipeExact => Filter::Contains(s),
            Tok::Neq => Filter::NotContains(s),
            Tok::PipeMatch => Filter::Matches(re(&s)?),
            _ => Filter::NotMatches(re(&s)?),
        });
        p.advance()?;
    }
    Ok(Selector { matchers, filters })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> crate::process::pipeline::LabelMap {
        pairs.iter().copied().collect()
    }

    #[test]
    fn selectors_and_filters() {
        let s = parse(r#"{app="loki", level!="debug", job=~"a|b", env!~"dev.*"} |= "error" != "timeout" |~ "code=[45]" !~ "(?i)ignore""#).unwrap();
        let l = labels(&[("app", "loki"), ("job", "b"), ("env", "prod")]);
        assert!(s.matches(&l, "an error code=500"));
        assert!(!s.matches(&l, "an error code=500 timeout"));
        assert!(!s.matches(&l, "an error code=500 IGNORE"));
        assert!(!s.matches(&l, "an error code=200"));
        assert!(!s.matches(
            &labels(&[("app", "loki"), ("job", "bb")]),
            "an error code=500"
        ));
        // A missing label is "": != matches it, =~ ".*" matches it.
        let s = parse(r#"{missing=~".*", app!="x"}"#).unwrap();
        assert!(s.matches(&labels(&[]), "x"));
        // Anchored and (?s) for label values.
        let s = parse(r#"{v=~"a.b"}"#).unwrap();
        assert!(s.matches(&labels(&[("v", "a\nb")]), ""));
        assert!(!s.matches(&labels(&[("v", "xa\nb")]), ""));
        // Comments, escapes, whitespace.
        let s = parse("{ app = \"a\\tb\" } /* c */ |= \"\\u00e9\" // end").unwrap();
        assert!(s.matches(&labels(&[("app", "a\tb")]), "café"));
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = |s: &str| parse(s).unwrap_err();
        assert_eq!(
            err(""),
            "parse error at line 1, col 1: syntax error: unexpected $end, expecting {"
        );
        assert_eq!(
            err("{}"),
            "parse error at line 1, col 2: syntax error: unexpected }, expecting IDENTIFIER"
        );
        assert_eq!(
            err("{app=\"a\""),
            "parse error at line 1, col 9: syntax error: unexpected $end, expecting } or ,"
        );
        assert_eq!(
            err("{app==\"a\"}"),
            "parse error at line 1, col 6: syntax error: unexpected =, expecting STRING"
        );
        assert_eq!(
            err("{app=\"a\"} | \"x\""),
            "parse error at line 1, col 11: syntax error: unexpected IDENTIFIER, expecting != or !~ or |~ or |="
        );
        assert_eq!(
            err("{app=\"a\\q\"}"),
            "parse error at line 1, col 6: invalid char escape"
        );
        assert_eq!(
            err("{app=\"a}"),
            "parse error at line 1, col 6: literal not terminated"
        );
        assert_eq!(
            err("{app=`a`}"),
            "parse error at line 1, col 6: syntax error: unexpected IDENTIFIER, expecting STRING"
        );
        assert!(err("{app=\"a\"} |~ \"(\"")
            .contains("error parsing pipeline: error parsing regexp: missing closing )"));
        assert!(err("{app=~\"(\"}").contains("missing closing )"));
        assert_eq!(
            err("{a=\"b\"}\n  |= 1"),
            "parse error at line 2, col 6: syntax error: unexpected IDENTIFIER, expecting STRING"
        );
    }
}
