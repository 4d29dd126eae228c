//! Functions a template calls: how their arguments are typed (Go converts and checks each argument against
//! the Go function's parameter type) and Go's predefined ones (`and`, `or`, `not`, `len`, `index`, `slice`,
//! `print`, `printf`, `println`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `html`, `js`, `urlquery`).

use std::cmp::Ordering;

use super::exec::truth;
use super::fmt::{sprint, sprintf, sprintln};
use super::{Funcs, Val};

/// A parameter's Go type, as far as templates care.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// `string`
    Str,
    /// `int`
    Int,
    /// `float64`
    Float,
    /// `bool`
    Bool,
    /// `interface{}` (`any`).
    Any,
}

impl Kind {
    pub fn go_name(self) -> &'static str {
        match self {
            Kind::Str => "string",
            Kind::Int => "int",
            Kind::Float => "float64",
            Kind::Bool => "bool",
            Kind::Any => "interface {}",
        }
    }
}

#[derive(Clone, Copy)]
pub enum FuncImpl {
    /// Called with the arguments converted to the parameter kinds.
    Plain(fn(&[Val]) -> Result<Val, String>),
    /// `and` / `or`: arguments evaluated one at a time, stopping at the first that decides.
    And,
    Or,
}

/// A function a template can call.
#[derive(Clone, Copy)]
pub struct Func {
    pub params: &'static [Kind],
    /// The kind of the `...` parameter, if the function is variadic.
    pub variadic: Option<Kind>,
    pub imp: FuncImpl,
}

impl Func {
    pub const fn plain(params: &'static [Kind], f: fn(&[Val]) -> Result<Val, String>) -> Func {
        Func {
            params,
            variadic: None,
            imp: FuncImpl::Plain(f),
        }
    }

    pub const fn variadic(
        params: &'static [Kind],
        rest: Kind,
        f: fn(&[Val]) -> Result<Val, String>,
    ) -> Func {
        Func {
            params,
            variadic: Some(rest),
            imp: FuncImpl::Plain(f),
        }
    }
}

use Kind::*;

/// Go's predefined template functions.
pub fn builtins() -> Funcs {
    let mut m = Funcs::new();
    m.insert(
        "and",
        Func {
            params: &[Any],
            variadic: Some(Any),
            imp: FuncImpl::And,
        },
    );
    m.insert(
        "or",
        Func {
            params: &[Any],
            variadic: Some(Any),
            imp: FuncImpl::Or,
        },
    );
    m.insert("not", Func::plain(&[Any], |a| Ok(Val::Bool(!truth(&a[0])))));
    m.insert("len", Func::plain(&[Any], len));
    m.insert("index", Func::variadic(&[Any], Any, index));
    m.insert("slice", Func::variadic(&[Any], Any, slice));
    m.insert(
        "print",
        Func::variadic(&[], Any, |a| Ok(Val::Str(sprint(a)))),
    );
    m.insert(
        "println",
        Func::variadic(&[], Any, |a| Ok(Val::Str(sprintln(a)))),
    );
    m.insert(
        "printf",
        Func::variadic(&[Str], Any, |a| {
            let Val::Str(f) = &a[0] else {
                unreachable!("typed")
            };
            Ok(Val::Str(sprintf(f, &a[1..])))
        }),
    );
    m.insert("eq", Func::variadic(&[Any], Any, eq));
    m.insert(
        "ne",
        Func::plain(&[Any, Any], |a| Ok(Val::Bool(!equal(&a[0], &a[1])?))),
    );
    m.insert(
        "lt",
        Func::plain(&[Any, Any], |a| cmp(a, |o| o == Ordering::Less)),
    );
    m.insert(
        "le",
        Func::plain(&[Any, Any], |a| cmp(a, |o| o != Ordering::Greater)),
    );
    m.insert(
        "gt",
        Func::plain(&[Any, Any], |a| cmp(a, |o| o == Ordering::Greater)),
    );
    m.insert(
        "ge",
        Func::plain(&[Any, Any], |a| cmp(a, |o| o != Ordering::Less)),
    );
    m.insert(
        "html",
        Func::variadic(&[], Any, |a| Ok(Val::Str(html(&eval_args(a))))),
    );
    m.insert(
        "js",
        Func::variadic(&[], Any, |a| Ok(Val::Str(js(&eval_args(a))))),
    );
    m.insert(
        "urlquery",
        Func::variadic(&[], Any, |a| Ok(Val::Str(query_escape(&eval_args(a))))),
    );
    m
}

/// `text/template`'s `evalArgs`: a lone string as is, else `fmt.Sprint`.
fn eval_args(a: &[Val]) -> String {
    match a {
        [Val::Str(s)] => s.clone(),
        _ => sprint(a),
    }
}

fn len(a: &[Val]) -> Result<Val, String> {
    match &a[0] {
        Val::Str(s) => Ok(Val::Int(s.len() as i64)),
        Val::List(l) => Ok(Val::Int(l.len() as i64)),
        Val::Map(m) => Ok(Val::Int(m.len() as i64)),
        Val::StrMap(m) => Ok(Val::Int(m.len() as i64)),
        Val::Nil | Val::Missing => Err("len of nil pointer".to_string()),
        x => Err(format!("len of type {}", x.type_name())),
    }
}

fn int_index(v: &Val, len: usize, cap: usize) -> Result<usize, String> {
    match v {
        Val::Int(i) if *i < 0 => Err(format!("index out of range: {i}")),
        Val::Int(i) if *i as usize > cap => Err(format!("index out of range: {i}")),
        Val::Int(i) => {
            let _ = len;
            Ok(*i as usize)
        }
        Val::Nil | Val::Missing => Err("cannot index slice/array with nil".to_string()),
        x => Err(format!(
            "cannot index slice/array with type {}",
            x.type_name()
        )),
    }
}

fn index(a: &[Val]) -> Result<Val, String> {
    let mut item = a[0].clone();
    for ix in &a[1..] {
        item = match (&item, ix) {
            (Val::List(l), _) => {
                let i = int_index(ix, l.len(), l.len())?;
                if i >= l.len() {
                    return Err(format!("error calling index: index out of range: {i}"));
                }
                l[i].clone()
            }
            (Val::Str(s), _) => {
                let i = int_index(ix, s.len(), s.len())?;
                if i >= s.len() {
                    return Err(format!("error calling index: index out of range: {i}"));
                }
                Val::Int(s.as_bytes()[i] as i64)
            }
            (Val::Map(m), Val::Str(k)) => m.get(k).cloned().unwrap_or(Val::Nil),
            (Val::StrMap(m), Val::Str(k)) => Val::Str(m.get(k).cloned().unwrap_or_default()),
            (Val::Map(_) | Val::StrMap(_), k) => {
                return Err(format!(
                    "error calling index: value has type {}; should be string",
                    k.type_name()
                ))
            }
            (Val::Nil | Val::Missing, _) => {
                return Err("error calling index: index of untyped nil".to_string())
            }
            (x, _) => {
                return Err(format!(
                    "error calling index: can't index item of type {}",
                    x.type_name()
                ))
            }
        };
    }
    Ok(item)
}

fn slice(a: &[Val]) -> Result<Val, String> {
    let item = &a[0];
    let idx = &a[1..];
    if idx.len() > 3 {
        return Err(format!("too many slice indexes: {}", idx.len()));
    }
    let len = match item {
        Val::Str(s) => s.len(),
        Val::List(l) => l.len(),
        Val::Nil | Val::Missing => return Err("slice of untyped nil".to_string()),
        x => return Err(format!("can't slice item of type {}", x.type_name())),
    };
    if matches!(item, Val::Str(_)) && idx.len() == 3 {
        return Err("cannot 3-index slice a string".to_string());
    }
    let mut ix = [0, len, len];
    for (k, v) in idx.iter().enumerate() {
        ix[k] = int_index(v, len, len)?;
    }
    if ix[0] > ix[1] {
        return Err(format!("invalid slice index: {} > {}", ix[0], ix[1]));
    }
    Ok(match item {
        Val::Str(s) => match s.get(ix[0]..ix[1]) {
            Some(t) => Val::Str(t.to_string()),
            None => {
                return Err(
                    "slice splits a UTF-8 sequence (ingot keeps strings as UTF-8)".to_string(),
                )
            }
        },
        Val::List(l) => Val::List(l[ix[0]..ix[1]].to_vec()),
        _ => unreachable!("checked"),
    })
}

/// Go's basic kinds for comparisons.
enum Basic<'a> {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

fn basic(v: &Val) -> Result<Option<Basic<'_>>, String> {
    Ok(match v {
        Val::Bool(b) => Some(Basic::Bool(*b)),
        Val::Int(i) => Some(Basic::Int(*i)),
        Val::Float(f) => Some(Basic::Float(*f)),
        Val::Str(s) => Some(Basic::Str(s)),
        _ => None,
    })
}

fn equal(a: &Val, b: &Val) -> Result<bool, String> {
    match (basic(a)?, basic(b)?) {
        (Some(Basic::Bool(x)), Some(Basic::Bool(y))) => Ok(x == y),
        (Some(Basic::Int(x)), Some(Basic::Int(y))) => Ok(x == y),
        (Some(Basic::Float(x)), Some(Basic::Float(y))) => Ok(x == y),
        (Some(Basic::Str(x)), Some(Basic::Str(y))) => Ok(x == y),
        (Some(_), Some(_)) => Err("incompatible types for comparison".to_string()),
        _ => match (a, b) {
            (Val::Nil | Val::Missing, Val::Nil | Val::Missing) => Ok(true),
            (Val::Nil | Val::Missing, _) | (_, Val::Nil | Val::Missing) => Ok(false),
            _ => Err("non-comparable types".to_string()),
        },
    }
}

fn eq(a: &[Val]) -> Result<Val, String> {
    if a.len() < 2 {
        return Err("missing argument for comparison".to_string());
    }
    for b in &a[1..] {
        if equal(&a[0], b)? {
            return Ok(Val::Bool(true));
        }
    }
    Ok(Val::Bool(false))
}

fn cmp(a: &[Val], f: fn(Ordering) -> bool) -> Result<Val, String> {
    let o = match (basic(&a[0])?, basic(&a[1])?) {
        (Some(Basic::Int(x)), Some(Basic::Int(y))) => x.cmp(&y),
        (Some(Basic::Float(x)), Some(Basic::Float(y))) => match x.partial_cmp(&y) {
            Some(o) => o,
            None => return Ok(Val::Bool(false)),
        },
        (Some(Basic::Str(x)), Some(Basic::Str(y))) => x.cmp(y),
        (Some(Basic::Bool(_)), _) | (_, Some(Basic::Bool(_))) | (None, _) | (_, None) => {
            return Err("invalid type for comparison".to_string())
        }
        _ => return Err("incompatible types for comparison".to_string()),
    };
    Ok(Val::Bool(f(o)))
}

/// `template.HTMLEscapeString`.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{fffd}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// `template.JSEscapeString`.
pub fn js(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if !c.is_ascii() && !crate::strconv::is_print(c) => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
