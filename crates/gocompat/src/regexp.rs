//! Go's `regexp` (RE2 syntax, Perl flags, as `regexp.Compile` reads it) on the `regex` crate.
//!
//! The two engines share leftmost-first matching and most of the syntax, but not all of it. [`compile`]
//! reads the pattern the way Go's `regexp/syntax` parser does and writes an equivalent pattern for `regex`,
//! so that what matches, and where, is Go's:
//!
//! - `\d`, `\w`, `\s`, `\b` are ASCII in Go (and `\s` has no `\v`): written as explicit ASCII classes;
//! - inside a class `[` and `&&`, `--`, `~~` are literals in Go (nested classes and set operations in
//!   `regex`), and `-` is a literal anywhere a range cannot be: every class item is written as an escape;
//! - `\Q…\E` quotes, octal escapes (`\0`, `\012`) and escaped punctuation (`\<` is `<` in Go, a word start
//!   in `regex`) are written as hex escapes;
//! - a `{` that does not start a repetition is a literal in Go (an error in `regex`); repeat counts above
//!   1000, stacked repetitions (`a**`), flags other than `imsU` and names that are not ASCII word
//!   characters are Go's errors.
//!
//! What ingot cannot match exactly is refused with an error saying so: Unicode classes (`\pL`, `\p{Greek}`,
//! `[[:^alpha:]]` is fine) depend on the Unicode version each engine ships, and names starting with a digit
//! (valid in Go) and a name used twice cannot be named in `regex`. Errors name Go's error codes (`missing closing )`, ...) where
//! the parser here finds them first; others carry the `regex` crate's text.

use std::fmt::Write as _;

/// Go's `regexp.QuoteMeta`.
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Compiles `expr` as Go's `regexp.Compile` reads it. Errors start with `error parsing regexp: ` as Go's
/// do.
pub fn compile(expr: &str) -> Result<regex::Regex, String> {
    let translated = translate(expr)?;
    regex::RegexBuilder::new(&translated)
        .size_limit(64 << 20)
        .build()
        .map_err(|e| format!("error parsing regexp: {e}"))
}

/// The `regex` crate's spelling of the Go pattern `expr`.
pub fn translate(expr: &str) -> Result<String, String> {
    Translator {
        chars: expr.chars().collect(),
        pos: 0,
        out: String::with_capacity(expr.len() + 16),
        depth: 0,
        names: Vec::new(),
        expr,
    }
    .run()
}

struct Translator<'a> {
    chars: Vec<char>,
    pos: usize,
    out: String,
    depth: usize,
    names: Vec<String>,
    expr: &'a str,
}

fn err(code: &str, arg: &str) -> String {
    format!("error parsing regexp: {code}: `{arg}`")
}

fn hex(out: &mut String, c: char) {
    let _ = write!(out, "\\x{{{:x}}}", c as u32);
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// What the last item written was, for Go's repetition rules.
#[derive(Clone, Copy, PartialEq)]
enum Last {
    /// Nothing to repeat (start, `(`, `|`).
    Nothing,
    /// An operand.
    Operand,
    /// A repetition operator, which Go does not let another follow.
    Repeat,
}

impl Translator<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn rest(&self) -> String {
        self.chars[self.pos..].iter().collect()
    }

    fn run(mut self) -> Result<String, String> {
        let mut last = Last::Nothing;
        // Where the current repetition operator's text starts, for Go's error argument.
        let mut repeat_start = 0;
        while let Some(c) = self.peek(0) {
            match c {
                '(' => {
                    // After `(` or a flag group `(?i)` there is nothing to repeat yet.
                    self.group()?;
                    last = Last::Nothing;
                    continue;
                }
                ')' => {
                    if self.depth == 0 {
                        return Err(err("unexpected )", self.expr));
                    }
                    self.depth -= 1;
                    self.out.push(')');
                    self.pos += 1;
                    last = Last::Operand;
                }
                '|' => {
                    self.out.push('|');
                    self.pos += 1;
                    last = Last::Nothing;
                }
                '*' | '+' | '?' | '{' => {
                    let start = self.pos;
                    let op = if c == '{' {
                        match self.repeat_braces()? {
                            Some(text) => text,
                            None => {
                                // Not a repetition: a literal brace.
                                hex(&mut self.out, '{');
                                self.pos += 1;
                                last = Last::Operand;
                                continue;
                            }
                        }
                    } else {
                        self.pos += 1;
                        c.to_string()
                    };
                    let mut op = op;
                    if self.peek(0) == Some('?') {
                        op.push('?');
                        self.pos += 1;
                    }
                    let text: String = self.chars[start..self.pos].iter().collect();
                    match last {
                        Last::Nothing => {
                            return Err(err("missing argument to repetition operator", &text))
                        }
                        Last::Repeat => {
                            let both: String = self.chars[repeat_start..self.pos].iter().collect();
                            return Err(err("invalid nested repetition operator", &both));
                        }
                        Last::Operand => {}
                    }
                    repeat_start = start;
                    self.out.push_str(&op);
                    last = Last::Repeat;
                }
                '[' => {
                    self.class()?;
                    last = Last::Operand;
                }
                '\\' => {
                    self.escape_outside()?;
                    last = Last::Operand;
                }
                '.' | '^' | '$' => {
                    self.out.push(c);
                    self.pos += 1;
                    last = Last::Operand;
                }
                _ => {
                    // A literal: written as is unless `regex` would read it differently.
                    if c.is_ascii_punctuation() || c.is_whitespace() {
                        hex(&mut self.out, c);
                    } else {
                        self.out.push(c);
                    }
                    self.pos += 1;
                    last = Last::Operand;
                }
            }
        }
        if self.depth > 0 {
            return Err(err("missing closing )", self.expr));
        }
        Ok(self.out)
    }

    /// `{n}`, `{n,}`, `{n,m}` at `pos`: the operator text for `regex`, or `None` when Go reads the brace as
    /// a literal.
    fn repeat_braces(&mut self) -> Result<Option<String>, String> {
        let start = self.pos;
        let mut i = self.pos + 1;
        let digits = |i: &mut usize, chars: &[char]| -> Option<String> {
            let s = *i;
            while *i < chars.len() && chars[*i].is_ascii_digit() {
                *i += 1;
            }
            (*i > s).then(|| chars[s..*i].iter().collect())
        };
        let Some(min) = digits(&mut i, &self.chars) else {
            return Ok(None);
        };
        let mut max: Option<Option<String>> = None;
        if self.chars.get(i) == Some(&',') {
            i += 1;
            if self.chars.get(i) == Some(&'}') {
                max = Some(None);
            } else {
                match digits(&mut i, &self.chars) {
                    Some(m) => max = Some(Some(m)),
                    None => return Ok(None),
                }
            }
        }
        if self.chars.get(i) != Some(&'}') {
            return Ok(None);
        }
        i += 1;
        let text: String = self.chars[start..i].iter().collect();
        // Go: a count above 1000 (or past an int) is `invalid repeat count`; so is max < min.
        let parse = |s: &str| -> Option<u32> { s.parse::<u32>().ok().filter(|&n| n <= 1000) };
        let Some(lo) = parse(&min) else {
            return Err(err("invalid repeat count", &text));
        };
        let hi = match &max {
            Some(Some(m)) => match parse(m) {
                Some(h) if h >= lo => Some(h),
                _ => return Err(err("invalid repeat count", &text)),
            },
            _ => None,
        };
        self.pos = i;
        Ok(Some(match (max, hi) {
            (None, _) => format!("{{{lo}}}"),
            (Some(None), _) => format!("{{{lo},}}"),
            (Some(Some(_)), Some(h)) => format!("{{{lo},{h}}}"),
            (Some(Some(_)), None) => unreachable!("checked above"),
        }))
    }

    fn group(&mut self) -> Result<(), String> {
        // At '('.
        if self.peek(1) != Some('?') {
            self.out.push('(');
            self.pos += 1;
            self.depth += 1;
            return Ok(());
        }
        let rest = self.rest();
        // Named groups: (?P<name>re) and (?<name>re).
        let name_start = if rest.starts_with("(?P<") {
            Some(4)
        } else if rest.starts_with("(?<") && !rest.starts_with("(?<=") && !rest.starts_with("(?<!")
        {
            Some(3)
        } else {
            None
        };
        if let Some(skip) = name_start {
            let Some(end) = rest.find('>') else {
                return Err(err("invalid named capture", &rest));
            };
            let name = &rest[skip..end];
            let whole = &rest[..=end];
            if name.is_empty() || !name.chars().all(is_word) {
                return Err(err("invalid named capture", whole));
            }
            if name.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(format!(
                    "error parsing regexp: ingot cannot use a group name starting with a digit: `{whole}` (valid in Go, not in ingot's engine)"
                ));
            }
            if self.names.iter().any(|n| n == name) {
                return Err(format!(
                    "error parsing regexp: ingot cannot use the group name {name:?} twice: `{whole}` (valid in Go, not in ingot's engine)"
                ));
            }
            self.names.push(name.to_string());
            self.out.push_str("(?P<");
            self.out.push_str(name);
            self.out.push('>');
            self.pos += whole.chars().count();
            self.depth += 1;
            return Ok(());
        }
        // Flags: (?flags) or (?flags:re).
        let mut i = 2;
        let chars: Vec<char> = rest.chars().collect();
        let mut flags = String::new();
        let mut negated = false;
        let mut saw_flag = false;
        loop {
            let Some(&c) = chars.get(i) else {
                return Err(err("missing closing )", self.expr));
            };
            match c {
                'i' | 'm' | 's' | 'U' => {
                    flags.push(c);
                    saw_flag = true;
                }
                '-' => {
                    if negated {
                        return Err(err(
                            "invalid or unsupported Perl syntax",
                            &chars[..=i].iter().collect::<String>(),
                        ));
                    }
                    negated = true;
                    saw_flag = false;
                    flags.push('-');
                }
                ':' | ')' => {
                    // Go: `(?-)` and `(?i-)` are errors (a dash must be followed by a flag).
                    if negated && !saw_flag {
                        return Err(err(
                            "invalid or unsupported Perl syntax",
                            &chars[..=i].iter().collect::<String>(),
                        ));
                    }
                    self.out.push_str("(?");
                    self.out.push_str(&flags);
                    self.out.push(c);
                    self.pos += i + 1;
                    if c == ':' {
                        self.depth += 1;
                    }
                    return Ok(());
                }
                _ => {
                    return Err(err(
                        "invalid or unsupported Perl syntax",
                        &chars[..=i].iter().collect::<String>(),
                    ));
                }
            }
            i += 1;
        }
    }

    /// An escape outside a class, at `\`.
    fn escape_outside(&mut self) -> Result<(), String> {
        let Some(c) = self.peek(1) else {
            return Err(err("trailing backslash at end of expression", ""));
        };
        match c {
            'A' => self.out.push_str("\\A"),
            'z' => self.out.push_str("\\z"),
            'b' => self.out.push_str("(?-u:\\b)"),
            'B' => self.out.push_str("(?-u:\\B)"),
            'Q' => {
                self.pos += 2;
                while self.pos < self.chars.len() {
                    if self.peek(0) == Some('\\') && self.peek(1) == Some('E') {
                        self.pos += 2;
                        return Ok(());
                    }
                    let c = self.chars[self.pos];
                    hex(&mut self.out, c);
                    self.pos += 1;
                }
                return Ok(());
            }
            'E' => {
                // A stray \E: Go ignores it... only after \Q; elsewhere it is an invalid escape.
                return Err(err("invalid escape sequence", "\\E"));
            }
            _ => {
                let mut item = String::new();
                self.class_escape(&mut item, false)?;
                self.out.push_str(&item);
                return Ok(());
            }
        }
        self.pos += 2;
        Ok(())
    }

    /// An escape that may also appear in a class (`\d`, `\n`, `\x41`, `\.`): writes it to `out` as a
    /// `regex` class item (`inside`) or as an atom, and moves past it.
    fn class_escape(&mut self, out: &mut String, inside: bool) -> Result<Option<char>, String> {
        let c = self
            .peek(1)
            .ok_or_else(|| err("trailing backslash at end of expression", ""))?;
        let start = self.pos;
        self.pos += 2;
        let perl = |neg: bool, body: &str| {
            if inside {
                if neg {
                    // A negated Perl class inside a class: `regex` takes a nested negated class.
                    format!("[^{body}]")
                } else {
                    body.to_string()
                }
            } else if neg {
                format!("[^{body}]")
            } else {
                format!("[{body}]")
            }
        };
        let single = match c {
            'd' => {
                out.push_str(&perl(false, "0-9"));
                None
            }
            'D' => {
                out.push_str(&perl(true, "0-9"));
                None
            }
            'w' => {
                out.push_str(&perl(false, "0-9A-Za-z_"));
                None
            }
            'W' => {
                out.push_str(&perl(true, "0-9A-Za-z_"));
                None
            }
            's' => {
                out.push_str(&perl(false, "\\t\\n\\f\\r "));
                None
            }
            'S' => {
                out.push_str(&perl(true, "\\t\\n\\f\\r "));
                None
            }
            'p' | 'P' => {
                let text: String = self.chars[start..(start + 3).min(self.chars.len())]
                    .iter()
                    .collect();
                return Err(format!(
                    "error parsing regexp: ingot does not support Unicode classes such as `{text}`: their tables differ between Go's engine and ingot's"
                ));
            }
            'a' => Some('\x07'),
            'f' => Some('\x0c'),
            't' => Some('\t'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            'v' => Some('\x0b'),
            '0'..='7' => {
                // Go: a single non-zero digit is a backreference (unsupported); otherwise up to three octal
                // digits.
                if c != '0' && !matches!(self.peek(0), Some('0'..='7')) {
                    return Err(err("invalid escape sequence", &format!("\\{c}")));
                }
                let mut v = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek(0) {
                        Some(d @ '0'..='7') => {
                            v = v * 8 + d.to_digit(8).unwrap_or(0);
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                Some(char::from_u32(v).unwrap_or('\u{fffd}'))
            }
            'x' => {
                let bad = |t: &Self| {
                    let end = t.pos.min(t.chars.len());
                    err(
                        "invalid escape sequence",
                        &t.chars[start..end].iter().collect::<String>(),
                    )
                };
                if self.peek(0) == Some('{') {
                    self.pos += 1;
                    let mut v: u32 = 0;
                    let mut n = 0;
                    loop {
                        match self.peek(0) {
                            Some('}') if n > 0 => {
                                self.pos += 1;
                                break;
                            }
                            Some(d) if d.is_ascii_hexdigit() => {
                                v = v
                                    .saturating_mul(16)
                                    .saturating_add(d.to_digit(16).unwrap_or(0));
                                n += 1;
                                self.pos += 1;
                                if v > 0x10FFFF {
                                    return Err(bad(self));
                                }
                            }
                            _ => {
                                self.pos += 1;
                                return Err(bad(self));
                            }
                        }
                    }
                    Some(char::from_u32(v).ok_or_else(|| bad(self))?)
                } else {
                    let mut v = 0;
                    for _ in 0..2 {
                        match self.peek(0) {
                            Some(d) if d.is_ascii_hexdigit() => {
                                v = v * 16 + d.to_digit(16).unwrap_or(0);
                                self.pos += 1;
                            }
                            _ => {
                                self.pos = (self.pos + 1).min(self.chars.len());
                                return Err(bad(self));
                            }
                        }
                    }
                    Some(char::from_u32(v).unwrap_or('\u{fffd}'))
                }
            }
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Some(c),
            _ => {
                return Err(err("invalid escape sequence", &format!("\\{c}")));
            }
        };
        if let Some(ch) = single {
            hex(out, ch);
        }
        Ok(single)
    }

    /// A class, at `[`.
    fn class(&mut self) -> Result<(), String> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::from("[");
        if self.peek(0) == Some('^') {
            out.push('^');
            self.pos += 1;
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek(0) else {
                let text: String = self.chars[start..].iter().collect();
                return Err(err("missing closing ]", &text));
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            // POSIX class [:name:] or [:^name:].
            if c == '[' && self.peek(1) == Some(':') {
                let rest = self.rest();
                if let Some(end) = rest[2..].find(":]") {
                    let inner = &rest[2..2 + end];
                    let name = inner.strip_prefix('^').unwrap_or(inner);
                    const POSIX: &[&str] = &[
                        "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower",
                        "print", "punct", "space", "upper", "word", "xdigit",
                    ];
                    if POSIX.contains(&name) {
                        out.push_str(&rest[..end + 4]);
                        self.pos += rest[..end + 4].chars().count();
                        continue;
                    }
                    return Err(err("invalid character class range", &rest[..end + 4]));
                }
            }
            // One item: a char, an escape, or a range lo-hi.
            let lo = self.class_char(&mut out)?;
            let Some(lo) = lo else { continue };
            if self.peek(0) == Some('-') && self.peek(1).is_some_and(|n| n != ']') {
                let range_start = self.pos - 1;
                self.pos += 1;
                let mut hi_text = String::new();
                let hi = self.class_char(&mut hi_text)?;
                let Some(hi) = hi else {
                    let text: String = self.chars[range_start..self.pos].iter().collect();
                    return Err(err("invalid character class range", &text));
                };
                if hi < lo {
                    let text: String = self.chars[range_start.saturating_sub(0)..self.pos]
                        .iter()
                        .collect();
                    return Err(err("invalid character class range", &text));
                }
                // `out` ends with lo's escape; add the range's end.
                out.push('-');
                hex(&mut out, hi);
            }
        }
        out.push(']');
        self.out.push_str(&out);
        Ok(())
    }

    /// One class character (written to `out`): `Some(c)` for a single character, `None` for a Perl class.
    fn class_char(&mut self, out: &mut String) -> Result<Option<char>, String> {
        let Some(c) = self.peek(0) else {
            return Err(err("missing closing ]", self.expr));
        };
        if c == '\\' {
            return self.class_escape(out, true);
        }
        self.pos += 1;
        hex(out, c);
        Ok(Some(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_are_ascii_as_in_go() {
        let re = compile(r"^\d+\s\w+$").unwrap();
        assert!(re.is_match("12 ab_9"));
        assert!(!re.is_match("١٢ ab"));
        assert!(!compile(r"\s").unwrap().is_match("\x0b"));
        assert!(compile(r"[[:space:]]").unwrap().is_match("\x0b"));
    }

    #[test]
    fn go_literals_that_regex_reads_otherwise() {
        assert!(compile(r"a{").unwrap().is_match("a{"));
        assert!(compile(r"[a[]").unwrap().is_match("["));
        assert!(compile(r"[a-c-e]").unwrap().is_match("-"));
        assert!(compile(r"\<b\>").unwrap().is_match("<b>"));
        assert!(compile(r"\Q.*\E").unwrap().is_match(".*"));
        assert!(!compile(r"\Q.*\E").unwrap().is_match("ab"));
        assert!(compile(r"[&&]").unwrap().is_match("&"));
        assert!(compile(r"a#b c").unwrap().is_match("a#b c"));
    }

    #[test]
    fn go_errors() {
        assert!(compile("a**")
            .unwrap_err()
            .contains("invalid nested repetition operator"));
        assert!(compile("a{1001}")
            .unwrap_err()
            .contains("invalid repeat count"));
        assert!(compile("(?x)a").is_err());
        assert!(compile(r"\pL").unwrap_err().contains("Unicode classes"));
        assert!(compile("(a").unwrap_err().contains("missing closing )"));
        assert!(compile(r"\1").is_err());
    }

    #[test]
    fn named_groups_both_spellings() {
        let re = compile(r"(?P<a>x)(?<b>y)").unwrap();
        let names: Vec<_> = re.capture_names().flatten().collect();
        assert_eq!(names, ["a", "b"]);
    }
}
