//! `text/template/parse`: the tree of a template, with Go's checks made at parse time (functions must be
//! defined, variables declared, `break` inside `range`, literals not executed in later pipeline stages).

use super::lex::{lex, Tok, Token};
use super::{Funcs, Val};

#[derive(Debug, Default)]
pub struct List(pub Vec<Node>);

#[derive(Debug)]
pub enum Node {
    Text(String),
    Action(Pipe),
    If(Branch),
    With(Branch),
    Range(Branch),
    Break,
    Continue,
}

#[derive(Debug)]
pub struct Branch {
    pub line: usize,
    pub pipe: Pipe,
    pub list: List,
    pub else_list: Option<List>,
}

#[derive(Debug, Default)]
pub struct Pipe {
    pub line: usize,
    /// Variables declared (`:=`) or assigned (`=`).
    pub decl: Vec<String>,
    pub assign: bool,
    pub cmds: Vec<Cmd>,
}

#[derive(Debug)]
pub struct Cmd {
    pub args: Vec<Arg>,
}

#[derive(Debug)]
pub enum Arg {
    /// `.A.B` on dot.
    Field(Vec<String>),
    Dot,
    /// `$x.A.B`.
    Var(String, Vec<String>),
    /// A function, called with the command's other arguments when first, with none elsewhere.
    Func(String),
    /// `(pipeline).A.B`.
    Pipe(Box<Pipe>, Vec<String>),
    Nil,
    Bool(bool),
    Str(String),
    /// A number literal: its text, and its value as Go's untyped constant would convert.
    Number(String, Num),
}

#[derive(Clone, Copy, Debug)]
pub enum Num {
    Int(i64),
    Float(f64),
    /// A character constant: an int that prints as a number.
    Char(i64),
}

impl Num {
    pub fn val(self) -> Val {
        match self {
            Num::Int(i) | Num::Char(i) => Val::Int(i),
            Num::Float(f) => Val::Float(f),
        }
    }
}

pub fn parse(name: &str, text: &str, funcs: &Funcs) -> Result<List, String> {
    let toks = lex(name, text)?;
    let mut p = Parser {
        name,
        toks,
        pos: 0,
        funcs,
        vars: vec!["$".to_string()],
        range_depth: 0,
    };
    let (list, end) = p.list()?;
    match end {
        End::Eof => Ok(list),
        End::End => Err(p.err_line("unexpected {{end}}")),
        End::Else(_) => Err(p.err_line("unexpected {{else}}")),
    }
}

#[allow(clippy::enum_variant_names)] // Go's names: EOF, {{end}}, {{else}}.
enum End {
    Eof,
    End,
    /// `{{else}}` or `{{else if ...}}` / `{{else with ...}}`: the keyword after else, if any.
    Else(Option<String>),
}

struct Parser<'a> {
    name: &'a str,
    toks: Vec<Token>,
    pos: usize,
    funcs: &'a Funcs,
    vars: Vec<String>,
    range_depth: usize,
}

impl Parser<'_> {
    fn line(&self) -> usize {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map_or(1, |t| t.line)
    }

    fn err_line(&self, msg: impl std::fmt::Display) -> String {
        format!("template: {}:{}: {msg}", self.name, self.line())
    }

    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }

    fn skip_space(&mut self) {
        while *self.peek() == Tok::Space {
            self.pos += 1;
        }
    }

    /// Nodes up to `{{end}}`, `{{else}}` or the end of the text.
    fn list(&mut self) -> Result<(List, End), String> {
        let mut nodes = Vec::new();
        loop {
            match self.next() {
                Tok::Eof => return Ok((List(nodes), End::Eof)),
                Tok::Text(t) => nodes.push(Node::Text(t)),
                Tok::Left => {
                    self.skip_space();
                    let line = self.line();
                    match self.peek().clone() {
                        Tok::Ident(k) if k == "end" => {
                            self.pos += 1;
                            self.close()?;
                            return Ok((List(nodes), End::End));
                        }
                        Tok::Ident(k) if k == "else" => {
                            self.pos += 1;
                            self.skip_space();
                            let kw = match self.peek().clone() {
                                Tok::Ident(k) if k == "if" || k == "with" => Some(k),
                                _ => {
                                    self.close()?;
                                    None
                                }
                            };
                            return Ok((List(nodes), End::Else(kw)));
                        }
                        Tok::Ident(k) if k == "if" || k == "with" || k == "range" => {
                            self.pos += 1;
                            nodes.push(self.branch(&k, line)?);
                        }
                        Tok::Ident(k) if k == "break" || k == "continue" => {
                            self.pos += 1;
                            if self.range_depth == 0 {
                                return Err(
                                    self.err_line(format!("{{{{{k}}}}} outside {{{{range}}}}"))
                                );
                            }
                            self.close()?;
                            nodes.push(if k == "break" {
                                Node::Break
                            } else {
                                Node::Continue
                            });
                        }
                        Tok::Ident(k) if k == "define" || k == "template" || k == "block" => {
                            return Err(self.err_line(format!(
                                "{{{{{k}}}}} is not implemented in ingot's templates yet"
                            )));
                        }
                        _ => {
                            let pipe = self.pipeline("command", true)?;
                            nodes.push(Node::Action(pipe));
                        }
                    }
                }
                other => return Err(self.err_line(format!("unexpected {other:?}"))),
            }
        }
    }

    /// `}}` after optional spaces.
    fn close(&mut self) -> Result<(), String> {
        self.skip_space();
        match self.next() {
            Tok::Right => Ok(()),
            t => Err(self.err_line(format!("unexpected {} in end", describe(&t)))),
        }
    }

    fn branch(&mut self, kind: &str, line: usize) -> Result<Node, String> {
        let vars = self.vars.len();
        let pipe = self.pipeline(kind, false)?;
        if kind == "range" {
            self.range_depth += 1;
        }
        let (list, end) = self.list()?;
        if kind == "range" {
            self.range_depth -= 1;
        }
        let else_list = match end {
            End::Eof => return Err(self.err_line("unexpected EOF")),
            End::End => None,
            End::Else(None) => {
                let (l, end) = self.list()?;
                match end {
                    End::End => Some(l),
                    End::Eof => return Err(self.err_line("unexpected EOF")),
                    End::Else(_) => return Err(self.err_line("expected end; found {{else}}")),
                }
            }
            End::Else(Some(kw)) => {
                // `{{else if x}}` is `{{else}}{{if x}}...{{end}}{{end}}` sharing the one end.
                if kw != kind || kind == "range" {
                    return Err(self.err_line(format!("unexpected {kw} in else")));
                }
                self.pos += 1;
                let nested = self.branch(&kw, self.line())?;
                Some(List(vec![nested]))
            }
        };
        self.vars.truncate(vars);
        let b = Branch {
            line,
            pipe,
            list,
            else_list,
        };
        Ok(match kind {
            "if" => Node::If(b),
            "with" => Node::With(b),
            _ => Node::Range(b),
        })
    }

    /// A pipeline up to `}}` (or `)` when `paren`), with its declarations.
    fn pipeline(&mut self, context: &str, allow_decl_any: bool) -> Result<Pipe, String> {
        let _ = allow_decl_any;
        self.skip_space();
        let line = self.line();
        let mut pipe = Pipe {
            line,
            ..Pipe::default()
        };
        // Declarations: $x := / $x = / $i, $e :=
        let save = self.pos;
        if let Tok::Var(v) = self.peek().clone() {
            self.pos += 1;
            // A variable followed by fields is not a declaration.
            let mut names = vec![v];
            self.skip_space();
            if *self.peek() == Tok::Comma && context == "range" {
                self.pos += 1;
                self.skip_space();
                match self.next() {
                    Tok::Var(v2) => names.push(v2),
                    t => {
                        return Err(self.err_line(format!(
                            "range can only initialize variables; found {}",
                            describe(&t)
                        )))
                    }
                }
                self.skip_space();
            }
            match self.peek().clone() {
                Tok::Declare => {
                    self.pos += 1;
                    pipe.decl = names;
                }
                Tok::Assign => {
                    self.pos += 1;
                    for n in &names {
                        if !self.vars.contains(n) {
                            return Err(self.err_line(format!("undefined variable \"{n}\"")));
                        }
                    }
                    pipe.decl = names;
                    pipe.assign = true;
                }
                _ => {
                    if names.len() > 1 {
                        return Err(self.err_line("too many declarations in range"));
                    }
                    self.pos = save;
                }
            }
        }
        loop {
            self.skip_space();
            match self.peek().clone() {
                Tok::Right | Tok::RParen => {
                    let closing = self.next();
                    if pipe.cmds.is_empty() {
                        return Err(self.err_line(format!("missing value for {context}")));
                    }
                    if closing == Tok::RParen && context != "parenthesized pipeline" {
                        return Err(self.err_line("unexpected right paren"));
                    }
                    if closing == Tok::Right && context == "parenthesized pipeline" {
                        return Err(self.err_line("unclosed left paren"));
                    }
                    break;
                }
                Tok::Eof => return Err(self.err_line("unclosed action")),
                _ => {
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
            }
        }
        // Declared variables are visible from here on.
        if !pipe.assign {
            for d in &pipe.decl {
                self.vars.push(d.clone());
            }
        }
        // Only the first command may start with a literal.
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(Arg::Bool(_) | Arg::Dot | Arg::Nil | Arg::Number(..) | Arg::Str(_))
            ) {
                return Err(self.err_line(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(pipe)
    }

    /// Operands up to `|`, `}}` or `)`.
    fn command(&mut self) -> Result<Cmd, String> {
        let mut args = Vec::new();
        loop {
            self.skip_space();
            match self.peek().clone() {
                Tok::Pipe => {
                    self.pos += 1;
                    if args.is_empty() {
                        return Err(self.err_line("missing command"));
                    }
                    return Ok(Cmd { args });
                }
                Tok::Right | Tok::RParen => {
                    if args.is_empty() {
                        return Err(self.err_line("missing value for command"));
                    }
                    return Ok(Cmd { args });
                }
                _ => {
                    let a = self.operand()?;
                    args.push(a);
                    // Operands are separated by spaces.
                    match self.peek() {
                        Tok::Space | Tok::Right | Tok::RParen | Tok::Pipe => {}
                        t => {
                            return Err(
                                self.err_line(format!("unexpected {} in operand", describe(t)))
                            )
                        }
                    }
                }
            }
        }
    }

    fn operand(&mut self) -> Result<Arg, String> {
        let t = self.next();
        let arg = match t {
            Tok::Field(names) => Arg::Field(names),
            Tok::Dot => Arg::Dot,
            Tok::Var(v) => {
                if !self.vars.contains(&v) {
                    return Err(self.err_line(format!("undefined variable \"{v}\"")));
                }
                let chain = self.chain();
                Arg::Var(v, chain)
            }
            Tok::Ident(name) => {
                if matches!(
                    name.as_str(),
                    "if" | "else"
                        | "end"
                        | "range"
                        | "with"
                        | "define"
                        | "template"
                        | "block"
                        | "break"
                        | "continue"
                ) {
                    return Err(self.err_line(format!("unexpected <{name}> in command")));
                }
                if !self.funcs.contains_key(name.as_str()) {
                    return Err(self.err_line(format!("function \"{name}\" not defined")));
                }
                Arg::Func(name)
            }
            Tok::LParen => {
                let p = self.pipeline("parenthesized pipeline", false)?;
                let chain = self.chain();
                Arg::Pipe(Box::new(p), chain)
            }
            Tok::Nil => Arg::Nil,
            Tok::Bool(b) => Arg::Bool(b),
            Tok::Str(s) => Arg::Str(s),
            Tok::Char(c) => Arg::Number(format!("{c:?}"), Num::Char(c as i64)),
            Tok::Number(text) => {
                let n = parse_number(&text)
                    .ok_or_else(|| self.err_line(format!("bad number syntax: \"{text}\"")))?;
                Arg::Number(text, n)
            }
            t => return Err(self.err_line(format!("unexpected {} in operand", describe(&t)))),
        };
        Ok(arg)
    }

    /// Fields written straight after an operand: `$x.A`, `(pipe).A`.
    fn chain(&mut self) -> Vec<String> {
        if let Tok::Field(names) = self.peek().clone() {
            self.pos += 1;
            return names;
        }
        Vec::new()
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Right => "\"}}\"".into(),
        Tok::RParen => "\")\"".into(),
        Tok::Eof => "EOF".into(),
        Tok::Ident(s) => format!("<{s}>"),
        Tok::Str(s) => crate::strconv::quote(s),
        Tok::Number(n) => n.clone(),
        Tok::Field(f) => format!("<.{}>", f.join(".")),
        Tok::Var(v) => v.clone(),
        other => format!("{other:?}"),
    }
}

/// A number literal as Go's template parser reads it: an int when it is an integer constant (decimal,
/// `0x`, `0o`, `0b` or leading-zero octal, with `_` separators), else a float.
fn parse_number(text: &str) -> Option<Num> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if body.ends_with('i') {
        return None;
    }
    let clean: String = body.chars().filter(|&c| c != '_').collect();
    if body.contains('_') && (body.starts_with('_') || body.ends_with('_') || body.contains("__")) {
        return None;
    }
    let lower = clean.to_ascii_lowercase();
    let int = if let Some(h) = lower.strip_prefix("0x") {
        if h.contains(['.', 'p']) {
            None
        } else {
            u64::from_str_radix(h, 16).ok()
        }
    } else if let Some(o) = lower.strip_prefix("0o") {
        u64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        u64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|c| c.is_ascii_digit())
    {
        match u64::from_str_radix(&lower[1..], 8) {
            Ok(v) => Some(v),
            Err(_) => return None,
        }
    } else if lower.bytes().all(|c| c.is_ascii_digit()) && !lower.is_empty() {
        match lower.parse::<u64>() {
            Ok(v) => Some(v),
            // Go: "integer overflow".
            Err(_) => return None,
        }
    } else {
        None
    };
    if let Some(v) = int {
        let v = if neg { -(v as i128) } else { v as i128 };
        return match i64::try_from(v) {
            Ok(i) => Some(Num::Int(i)),
            Err(_) => Some(Num::Float(v as f64)),
        };
    }
    if lower.starts_with("0x") {
        return None;
    }
    // A decimal float: digits, one '.', an exponent.
    let valid = {
        let (mant, exp) = match lower.split_once('e') {
            Some((m, e)) => (m, Some(e)),
            None => (lower.as_str(), None),
        };
        let mant_ok = !mant.is_empty()
            && mant != "."
            && mant.matches('.').count() <= 1
            && mant.bytes().all(|c| c.is_ascii_digit() || c == b'.');
        let exp_ok = exp.is_none_or(|e| {
            let d = e.strip_prefix(['+', '-']).unwrap_or(e);
            !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit())
        });
        mant_ok && exp_ok
    };
    if !valid {
        return None;
    }
    let f: f64 = lower.parse().ok()?;
    if f.is_infinite() {
        return None;
    }
    // A float literal (2.0, 1e3) is a float64 wherever a value of any type is wanted, as in Go.
    Some(Num::Float(if neg { -f } else { f }))
}
