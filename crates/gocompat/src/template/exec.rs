//! `text/template`'s execution: walking the tree with dot and variables, evaluating pipelines, typing
//! function arguments as Go's reflection does, and printing values as `fmt.Fprint` would.

use super::funcs::{Func, FuncImpl, Kind};
use super::parse::{Arg, Branch, List, Node, Pipe};
use super::{fmt, Funcs, Val};

/// Go's `truth`: false, 0, "", nil and empty lists and maps are false; so is a missing value.
pub fn truth(v: &Val) -> bool {
    match v {
        Val::Missing | Val::Nil => false,
        Val::Bool(b) => *b,
        Val::Int(i) => *i != 0,
        Val::Float(f) => *f != 0.0,
        Val::Str(s) => !s.is_empty(),
        Val::List(l) => !l.is_empty(),
        Val::Map(m) => !m.is_empty(),
        Val::StrMap(m) => !m.is_empty(),
    }
}

/// How an action prints its value: `<no value>` for a missing or nil value, else `fmt.Fprint`.
pub fn print_val(out: &mut String, v: &Val) {
    match v {
        Val::Missing | Val::Nil => out.push_str("<no value>"),
        v => fmt::v(out, v),
    }
}

enum Flow {
    Normal,
    Break,
    Continue,
}

struct State<'a> {
    name: &'a str,
    funcs: &'a Funcs,
    vars: Vec<(String, Val)>,
    out: String,
    line: usize,
    depth: usize,
}

pub fn execute(name: &str, root: &List, funcs: &Funcs, data: &Val) -> Result<String, String> {
    let mut s = State {
        name,
        funcs,
        vars: vec![("$".to_string(), data.clone())],
        out: String::new(),
        line: 1,
        depth: 0,
    };
    s.list(root, data)?;
    Ok(s.out)
}

impl State<'_> {
    fn err(&self, msg: impl std::fmt::Display) -> String {
        format!(
            "template: {}:{}: executing \"{}\": {msg}",
            self.name, self.line, self.name
        )
    }

    fn list(&mut self, l: &List, dot: &Val) -> Result<Flow, String> {
        for n in &l.0 {
            match n {
                Node::Text(t) => self.out.push_str(t),
                Node::Action(p) => {
                    let v = self.pipe(p, dot)?;
                    // A declaration prints nothing.
                    if p.decl.is_empty() {
                        print_val(&mut self.out, &v);
                    }
                }
                Node::If(b) => {
                    let v = self.pipe(&b.pipe, dot)?;
                    let f = if truth(&v) {
                        self.scoped(|s| s.list(&b.list, dot))?
                    } else if let Some(e) = &b.else_list {
                        self.scoped(|s| s.list(e, dot))?
                    } else {
                        Flow::Normal
                    };
                    if !matches!(f, Flow::Normal) {
                        return Ok(f);
                    }
                }
                Node::With(b) => {
                    let v = self.pipe(&b.pipe, dot)?;
                    let f = if truth(&v) {
                        self.scoped(|s| s.list(&b.list, &v))?
                    } else if let Some(e) = &b.else_list {
                        self.scoped(|s| s.list(e, dot))?
                    } else {
                        Flow::Normal
                    };
                    if !matches!(f, Flow::Normal) {
                        return Ok(f);
                    }
                }
                Node::Range(b) => self.range(b, dot)?,
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    fn scoped<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, String>) -> Result<T, String> {
        let n = self.vars.len();
        self.depth += 1;
        if self.depth > 10_000 {
            return Err(self.err("exceeded maximum template depth (100000)"));
        }
        let r = f(self);
        self.depth -= 1;
        self.vars.truncate(n);
        r
    }

    fn range(&mut self, b: &Branch, dot: &Val) -> Result<(), String> {
        self.line = b.line;
        // The pipeline's declarations are the loop's variables, not the value's.
        let v = self.pipe_value(&b.pipe, dot)?;
        let items: Vec<(Val, Val)> = match &v {
            Val::List(l) => l
                .iter()
                .enumerate()
                .map(|(i, e)| (Val::Int(i as i64), e.clone()))
                .collect(),
            Val::Map(m) => m
                .iter()
                .map(|(k, e)| (Val::Str(k.clone()), e.clone()))
                .collect(),
            Val::StrMap(m) => m
                .iter()
                .map(|(k, e)| (Val::Str(k.clone()), Val::Str(e.clone())))
                .collect(),
            Val::Int(n) => (0..*n).map(|i| (Val::Int(i), Val::Int(i))).collect(),
            Val::Nil | Val::Missing => Vec::new(),
            x => {
                return Err(self.err(format!("range can't iterate over {}", {
                    let mut s = String::new();
                    fmt::v(&mut s, x);
                    s
                })))
            }
        };
        if items.is_empty() {
            if let Some(e) = &b.else_list {
                self.scoped(|s| s.list(e, dot))?;
            }
            return Ok(());
        }
        for (k, e) in items {
            let f = self.scoped(|s| {
                match b.pipe.decl.len() {
                    1 => s.vars.push((b.pipe.decl[0].clone(), e.clone())),
                    2 => {
                        s.vars.push((b.pipe.decl[0].clone(), k.clone()));
                        s.vars.push((b.pipe.decl[1].clone(), e.clone()));
                    }
                    _ => {}
                }
                s.list(&b.list, &e)
            })?;
            if matches!(f, Flow::Break) {
                break;
            }
        }
        Ok(())
    }

    /// A pipeline's value, with its declarations made.
    fn pipe(&mut self, p: &Pipe, dot: &Val) -> Result<Val, String> {
        let v = self.pipe_value(p, dot)?;
        for name in &p.decl {
            if p.assign {
                if let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                    slot.1 = v.clone();
                }
            } else {
                self.vars.push((name.clone(), v.clone()));
            }
        }
        Ok(v)
    }

    fn pipe_value(&mut self, p: &Pipe, dot: &Val) -> Result<Val, String> {
        self.line = p.line;
        let mut last: Option<Val> = None;
        for c in &p.cmds {
            let v = self.command(&c.args, dot, last.take())?;
            last = Some(v);
        }
        Ok(last.unwrap_or(Val::Missing))
    }

    fn command(&mut self, args: &[Arg], dot: &Val, fin: Option<Val>) -> Result<Val, String> {
        let first = &args[0];
        let rest = &args[1..];
        match first {
            Arg::Func(name) => {
                let f = *self
                    .funcs
                    .get(name.as_str())
                    .expect("checked at parse time");
                self.call(name, &f, rest, dot, fin)
            }
            Arg::Field(names) => {
                self.not_a_function(first, rest, &fin)?;
                self.chain(dot.clone(), names)
            }
            Arg::Var(v, names) => {
                self.not_a_function(first, rest, &fin)?;
                let val = self.var(v);
                self.chain(val, names)
            }
            Arg::Pipe(p, names) => {
                self.not_a_function(first, rest, &fin)?;
                let val = self.scoped(|s| s.pipe(p, dot))?;
                self.chain(val, names)
            }
            Arg::Nil => Err(self.err("nil is not a command")),
            Arg::Dot => {
                self.not_a_function(first, rest, &fin)?;
                Ok(dot.clone())
            }
            _ => {
                self.not_a_function(first, rest, &fin)?;
                Ok(self.literal(first, Kind::Any)?)
            }
        }
    }

    fn not_a_function(&self, first: &Arg, rest: &[Arg], fin: &Option<Val>) -> Result<(), String> {
        if !rest.is_empty() || fin.is_some() {
            let what = match first {
                Arg::Field(n) => format!(".{}", n.join(".")),
                Arg::Var(v, _) => v.clone(),
                _ => "value".to_string(),
            };
            return Err(self.err(format!("can't give argument to non-function {what}")));
        }
        Ok(())
    }

    fn var(&self, name: &str) -> Val {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or(Val::Missing)
    }

    /// `.A.B` on `v`: map lookups (a missing key is no value); anything else has no fields.
    fn chain(&self, mut v: Val, names: &[String]) -> Result<Val, String> {
        for n in names {
            v = match v {
                Val::Map(m) => m.get(n).cloned().unwrap_or(Val::Missing),
                Val::StrMap(m) => m.get(n).map_or(Val::Missing, |s| Val::Str(s.clone())),
                Val::Missing | Val::Nil => {
                    return Err(self.err(format!("nil pointer evaluating interface {{}}.{n}")));
                }
                other => {
                    return Err(self.err(format!(
                        "can't evaluate field {n} in type {}",
                        other.type_name()
                    )));
                }
            };
        }
        Ok(v)
    }

    /// A literal operand as a value of `kind`.
    fn literal(&self, a: &Arg, kind: Kind) -> Result<Val, String> {
        let v = match a {
            Arg::Bool(b) => Val::Bool(*b),
            Arg::Str(s) => Val::Str(s.clone()),
            Arg::Number(text, n) => {
                let v = n.val();
                return match (kind, v) {
                    (Kind::Any, v) => Ok(v),
                    (Kind::Int, Val::Int(i)) => Ok(Val::Int(i)),
                    (Kind::Float, Val::Int(i)) => Ok(Val::Float(i as f64)),
                    (Kind::Float, Val::Float(f)) => Ok(Val::Float(f)),
                    (k, _) => Err(self.err(format!("expected {}; found {text}", k.go_name()))),
                };
            }
            Arg::Dot | Arg::Nil => Val::Nil,
            _ => Val::Missing,
        };
        self.typed(v, kind)
    }

    /// Go's `validateType`: a value for a parameter of `kind`.
    fn typed(&self, v: Val, kind: Kind) -> Result<Val, String> {
        match (kind, v) {
            (Kind::Any, Val::Missing) => Ok(Val::Nil),
            (Kind::Any, v) => Ok(v),
            (k, Val::Missing) => Err(self.err(format!("invalid value; expected {}", k.go_name()))),
            (k, Val::Nil) => Err(self.err(format!("cannot assign nil to {}", k.go_name()))),
            (Kind::Str, v @ Val::Str(_)) => Ok(v),
            (Kind::Int, v @ Val::Int(_)) => Ok(v),
            (Kind::Float, v @ Val::Float(_)) => Ok(v),
            (Kind::Bool, v @ Val::Bool(_)) => Ok(v),
            (k, v) => Err(self.err(format!(
                "wrong type for value; expected {}; got {}",
                k.go_name(),
                v.type_name()
            ))),
        }
    }

    /// An argument for a parameter of `kind`.
    fn arg(&mut self, a: &Arg, kind: Kind, dot: &Val) -> Result<Val, String> {
        match a {
            Arg::Field(names) => {
                let v = self.chain(dot.clone(), names)?;
                self.typed(v, kind)
            }
            Arg::Dot => self.typed(dot.clone(), kind),
            Arg::Var(v, names) => {
                let val = self.var(v);
                let val = self.chain(val, names)?;
                self.typed(val, kind)
            }
            Arg::Pipe(p, names) => {
                let val = self.scoped(|s| s.pipe(p, dot))?;
                let val = self.chain(val, names)?;
                self.typed(val, kind)
            }
            Arg::Func(name) => {
                let f = *self
                    .funcs
                    .get(name.as_str())
                    .expect("checked at parse time");
                let v = self.call(name, &f, &[], dot, None)?;
                self.typed(v, kind)
            }
            Arg::Nil => match kind {
                Kind::Any => Ok(Val::Nil),
                k => Err(self.err(format!("cannot assign nil to {}", k.go_name()))),
            },
            lit => self.literal(lit, kind),
        }
    }

    fn call(
        &mut self,
        name: &str,
        f: &Func,
        args: &[Arg],
        dot: &Val,
        fin: Option<Val>,
    ) -> Result<Val, String> {
        let n = args.len() + usize::from(fin.is_some());
        let fixed = f.params.len();
        let arity_ok = match f.variadic {
            Some(_) => n >= fixed,
            None => n == fixed,
        };
        if !arity_ok {
            return Err(self.err(format!(
                "wrong number of args for {name}: want {}{fixed} got {n}",
                if f.variadic.is_some() {
                    "at least "
                } else {
                    ""
                }
            )));
        }
        let kind_at = |i: usize| -> Kind {
            if i < fixed {
                f.params[i]
            } else {
                f.variadic.unwrap_or(Kind::Any)
            }
        };
        match f.imp {
            FuncImpl::And | FuncImpl::Or => {
                let want = matches!(f.imp, FuncImpl::Or);
                let mut last = Val::Nil;
                for (i, a) in args.iter().enumerate() {
                    last = self.arg(a, kind_at(i), dot)?;
                    if truth(&last) == want {
                        return Ok(last);
                    }
                }
                if let Some(v) = fin {
                    last = self.typed(v, Kind::Any)?;
                }
                Ok(last)
            }
            FuncImpl::Plain(imp) => {
                let mut vals = Vec::with_capacity(n);
                for (i, a) in args.iter().enumerate() {
                    vals.push(self.arg(a, kind_at(i), dot)?);
                }
                if let Some(v) = fin {
                    let k = kind_at(args.len());
                    vals.push(self.typed(v, k)?);
                }
                imp(&vals).map_err(|e| self.err(format!("error calling {name}: {e}")))
            }
        }
    }
}
