//! JMESPath for `stage.json`: the `jmespath` crate (the JMESPath specification) with the functions the
//! JMESPath Community edition adds, as `github.com/jmespath-community/go-jmespath` v1.1.1 (what Alloy 1.18
//! compiles `expressions` with) defines them: `find_first`, `find_last`, `lower`, `upper`, `pad_left`,
//! `pad_right`, `replace`, `split`, `trim`, `trim_left`, `trim_right`, `items`, `from_items`, `zip`,
//! `group_by`, and `avg` of an empty array being null.
//!
//! Raw string literals are read with the Community's escapes (`\\'` and `\\\\`). Checked against the
//! Community compliance suite in `tests/jmespath_compliance.rs`: 1,004 of its 1,029 cases pass. What still
//! differs is listed there: the Community's arithmetic operators, `let` expressions and the root node `$`
//! do not parse (such an expression is refused when the config is loaded, with a message saying so), and
//! two corner cases give the original specification's result (a multi-select applied to null is null,
//! slicing a string is null).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use jmespath::functions::{ArgumentType, Function};
use jmespath::{Context, ErrorReason, JmespathError, Rcvar, Runtime, Variable};

type Result<T> = std::result::Result<T, JmespathError>;

fn fail(ctx: &Context<'_>, msg: impl Into<String>) -> JmespathError {
    JmespathError::new(ctx.expression, ctx.offset, ErrorReason::Parse(msg.into()))
}

fn arity(ctx: &Context<'_>, name: &str, args: &[Rcvar], min: usize, max: usize) -> Result<()> {
    if args.len() < min || args.len() > max {
        return Err(fail(ctx, format!("{name}: wrong number of arguments")));
    }
    Ok(())
}

fn string<'a>(ctx: &Context<'_>, name: &str, v: &'a Rcvar) -> Result<&'a str> {
    v.as_string()
        .map(String::as_str)
        .ok_or_else(|| fail(ctx, format!("{name}: expected a string")))
}

fn number(ctx: &Context<'_>, name: &str, v: &Rcvar) -> Result<f64> {
    v.as_number()
        .ok_or_else(|| fail(ctx, format!("{name}: expected a number")))
}

/// go-jmespath's `ToInteger`: a number without a fraction.
fn integer(ctx: &Context<'_>, name: &str, v: &Rcvar, positive: bool) -> Result<i64> {
    let n = number(ctx, name, v)?;
    if n.floor() != n || (positive && n < 0.0) {
        return Err(fail(ctx, format!("{name}: expected an integer")));
    }
    Ok(n as i64)
}

fn s(v: impl Into<String>) -> Rcvar {
    Arc::new(Variable::String(v.into()))
}

fn num(n: f64) -> Rcvar {
    Arc::new(
        serde_json::Number::from_f64(n)
            .map(Variable::Number)
            .unwrap_or(Variable::Null),
    )
}

fn null() -> Rcvar {
    Arc::new(Variable::Null)
}

type Body = dyn Fn(&[Rcvar], &mut Context<'_>) -> Result<Rcvar> + Send + Sync;

struct Func(Box<Body>);

impl Function for Func {
    fn evaluate(&self, args: &[Rcvar], ctx: &mut Context<'_>) -> Result<Rcvar> {
        (self.0)(args, ctx)
    }
}

fn register(
    rt: &mut Runtime,
    name: &str,
    f: impl Fn(&[Rcvar], &mut Context<'_>) -> Result<Rcvar> + Send + Sync + 'static,
) {
    rt.register_function(name, Box::new(Func(Box::new(f))));
}

fn find(args: &[Rcvar], ctx: &mut Context<'_>, name: &str, last: bool) -> Result<Rcvar> {
    arity(ctx, name, args, 2, 4)?;
    let subject = string(ctx, name, &args[0])?;
    let sub = string(ctx, name, &args[1])?;
    if subject.is_empty() || sub.is_empty() {
        return Ok(null());
    }
    let start = match args.get(2) {
        Some(v) => integer(ctx, name, v, false)?.max(0) as usize,
        None => 0,
    };
    let end = match args.get(3) {
        Some(v) => (integer(ctx, name, v, false)?.max(0) as usize).min(subject.len()),
        None => subject.len(),
    };
    // Go would panic on a range that is not one; there is nothing to find in it.
    let Some(hay) = subject.get(start..end.max(start)) else {
        return Ok(null());
    };
    let at = if last { hay.rfind(sub) } else { hay.find(sub) };
    Ok(at.map_or_else(null, |i| num((start + i) as f64)))
}

fn pad(args: &[Rcvar], ctx: &mut Context<'_>, name: &str, left: bool) -> Result<Rcvar> {
    arity(ctx, name, args, 2, 3)?;
    let subject = string(ctx, name, &args[0])?;
    let width = integer(ctx, name, &args[1], true)? as usize;
    let chars = match args.get(2) {
        Some(v) => string(ctx, name, v)?,
        None => " ",
    };
    if chars.len() > 1 {
        return Err(fail(ctx, format!("invalid value, the function '{name}' expects its 'pad' argument to be a string of length 1")));
    }
    let padding = chars.repeat(width.saturating_sub(subject.len()));
    Ok(s(if left {
        format!("{padding}{subject}")
    } else {
        format!("{subject}{padding}")
    }))
}

fn trim(
    args: &[Rcvar],
    ctx: &mut Context<'_>,
    name: &str,
    left: bool,
    right: bool,
) -> Result<Rcvar> {
    arity(ctx, name, args, 1, 2)?;
    let subject = string(ctx, name, &args[0])?;
    let cutset = match args.get(1) {
        Some(v) => string(ctx, name, v)?,
        None => "",
    };
    let in_set = |c: char| {
        if cutset.is_empty() {
            ingot_gocompat::unicode::is_space(c)
        } else {
            cutset.contains(c)
        }
    };
    let mut out = subject;
    if left {
        out = out.trim_start_matches(in_set);
    }
    if right {
        out = out.trim_end_matches(in_set);
    }
    Ok(s(out))
}

fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        let mut rt = Runtime::new();
        rt.register_builtin_functions();
        register(&mut rt, "avg", |args, ctx| {
            arity(ctx, "avg", args, 1, 1)?;
            if !ArgumentType::TypedArray(Box::new(ArgumentType::Number)).is_valid(&args[0]) {
                return Err(fail(ctx, "avg: expected an array of numbers"));
            }
            let a = args[0].as_array().map(Vec::as_slice).unwrap_or_default();
            if a.is_empty() {
                return Ok(null());
            }
            let sum: f64 = a.iter().filter_map(|v| v.as_number()).sum();
            Ok(num(sum / a.len() as f64))
        });
        register(&mut rt, "find_first", |a, c| find(a, c, "find_first", false));
        register(&mut rt, "find_last", |a, c| find(a, c, "find_last", true));
        register(&mut rt, "lower", |args, ctx| {
            arity(ctx, "lower", args, 1, 1)?;
            Ok(s(string(ctx, "lower", &args[0])?.to_lowercase()))
        });
        register(&mut rt, "upper", |args, ctx| {
            arity(ctx, "upper", args, 1, 1)?;
            Ok(s(string(ctx, "upper", &args[0])?.to_uppercase()))
        });
        register(&mut rt, "pad_left", |a, c| pad(a, c, "pad_left", true));
        register(&mut rt, "pad_right", |a, c| pad(a, c, "pad_right", false));
        register(&mut rt, "replace", |args, ctx| {
            arity(ctx, "replace", args, 3, 4)?;
            let subject = string(ctx, "replace", &args[0])?;
            let old = string(ctx, "replace", &args[1])?;
            let new = string(ctx, "replace", &args[2])?;
            let count = match args.get(3) {
                Some(v) => Some(integer(ctx, "replace", v, true)? as usize),
                None => None,
            };
            Ok(s(go_replace(subject, old, new, count)))
        });
        register(&mut rt, "split", |args, ctx| {
            arity(ctx, "split", args, 2, 3)?;
            let subject = string(ctx, "split", &args[0])?;
            let sep = string(ctx, "split", &args[1])?;
            if subject.is_empty() {
                return Ok(Arc::new(Variable::Array(Vec::new())));
            }
            let parts: Vec<Rcvar> = match args.get(2) {
                Some(v) => {
                    let n = integer(ctx, "split", v, true)? as usize;
                    if n == 0 {
                        vec![s(subject)]
                    } else {
                        go_split(subject, sep, Some(n + 1)).into_iter().map(s).collect()
                    }
                }
                None => go_split(subject, sep, None).into_iter().map(s).collect(),
            };
            Ok(Arc::new(Variable::Array(parts)))
        });
        register(&mut rt, "trim", |a, c| trim(a, c, "trim", true, true));
        register(&mut rt, "trim_left", |a, c| trim(a, c, "trim_left", true, false));
        register(&mut rt, "trim_right", |a, c| trim(a, c, "trim_right", false, true));
        register(&mut rt, "items", |args, ctx| {
            arity(ctx, "items", args, 1, 1)?;
            let o = args[0]
                .as_object()
                .ok_or_else(|| fail(ctx, "items: expected an object"))?;
            Ok(Arc::new(Variable::Array(
                o.iter()
                    .map(|(k, v)| Arc::new(Variable::Array(vec![s(k.clone()), v.clone()])))
                    .collect(),
            )))
        });
        register(&mut rt, "from_items", |args, ctx| {
            arity(ctx, "from_items", args, 1, 1)?;
            let a = args[0]
                .as_array()
                .ok_or_else(|| fail(ctx, "invalid type, first argument must be an array of arrays"))?;
            let mut out = BTreeMap::new();
            for item in a {
                let pair = item
                    .as_array()
                    .ok_or_else(|| fail(ctx, "invalid type, first argument must be an array of arrays"))?;
                match (pair.len(), pair.first().and_then(|k| k.as_string())) {
                    (2, Some(k)) => {
                        out.insert(k.clone(), pair[1].clone());
                    }
                    _ => return Err(fail(ctx, "invalid value, each array must contain two elements, a pair of string and value")),
                }
            }
            Ok(Arc::new(Variable::Object(out)))
        });
        register(&mut rt, "zip", |args, ctx| {
            if args.is_empty() {
                return Err(fail(ctx, "zip: wrong number of arguments"));
            }
            let arrays: Vec<&Vec<Rcvar>> = args
                .iter()
                .map(|a| a.as_array().ok_or_else(|| fail(ctx, "zip: expected arrays")))
                .collect::<Result<_>>()?;
            let n = arrays.iter().map(|a| a.len()).min().unwrap_or(0);
            Ok(Arc::new(Variable::Array(
                (0..n)
                    .map(|i| Arc::new(Variable::Array(arrays.iter().map(|a| a[i].clone()).collect())))
                    .collect(),
            )))
        });
        register(&mut rt, "group_by", |args, ctx| {
            arity(ctx, "group_by", args, 2, 2)?;
            let a = args[0]
                .as_array()
                .ok_or_else(|| fail(ctx, "group_by: expected an array"))?;
            let Variable::Expref(ast) = args[1].as_ref() else {
                return Err(fail(ctx, "group_by: expected an expression"));
            };
            if a.is_empty() {
                return Ok(null());
            }
            let mut groups: BTreeMap<String, Rcvar> = BTreeMap::new();
            for element in a {
                let key = jmespath::interpret(element, ast, ctx)?;
                let Some(key) = key.as_string() else {
                    return Err(fail(ctx, "invalid type, the expression must evaluate to a string"));
                };
                let slot = groups
                    .entry(key.clone())
                    .or_insert_with(|| Arc::new(Variable::Array(Vec::new())));
                if let Some(v) = Arc::get_mut(slot) {
                    if let Variable::Array(items) = v {
                        items.push(element.clone());
                    }
                } else {
                    let mut items = slot.as_array().cloned().unwrap_or_default();
                    items.push(element.clone());
                    *slot = Arc::new(Variable::Array(items));
                }
            }
            Ok(Arc::new(Variable::Object(groups)))
        });
        rt
    })
}

/// Go's `strings.Replace(s, old, new, n)` (`None`: every occurrence; an empty `old` matches before each
/// character and at the end).
fn go_replace(subject: &str, old: &str, new: &str, count: Option<usize>) -> String {
    if old.is_empty() {
        let mut out = String::new();
        let mut done = 0;
        for c in subject.chars() {
            if count.is_none_or(|n| done < n) {
                out.push_str(new);
                done += 1;
            }
            out.push(c);
        }
        if count.is_none_or(|n| done < n) {
            out.push_str(new);
        }
        return out;
    }
    match count {
        None => subject.replace(old, new),
        Some(n) => subject.replacen(old, new, n),
    }
}

/// Go's `strings.SplitN(s, sep, n)` (`None`: all; an empty `sep` splits into characters).
fn go_split<'a>(subject: &'a str, sep: &str, n: Option<usize>) -> Vec<&'a str> {
    if sep.is_empty() {
        let mut out: Vec<&str> = Vec::new();
        let mut rest = subject;
        while let Some(c) = rest.chars().next() {
            if n.is_some_and(|n| out.len() + 1 == n) {
                out.push(rest);
                return out;
            }
            out.push(&rest[..c.len_utf8()]);
            rest = &rest[c.len_utf8()..];
        }
        return out;
    }
    match n {
        None => subject.split(sep).collect(),
        Some(n) => subject.splitn(n, sep).collect(),
    }
}

/// A compiled expression.
#[derive(Clone)]
pub struct Expr(jmespath::Expression<'static>);

impl Expr {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn as_ast(&self) -> &jmespath::ast::Ast {
        self.0.as_ast()
    }

    pub fn search(&self, data: Rcvar) -> Result<Rcvar> {
        self.0.search(data)
    }

    /// Searches a `serde_json` document (for tests and the compliance suite).
    pub fn search_json(
        &self,
        data: &serde_json::Value,
    ) -> std::result::Result<serde_json::Value, String> {
        let var = jmespath::Variable::try_from(data).map_err(|e| e.to_string())?;
        let r = self.0.search(var).map_err(|e| e.to_string())?;
        serde_json::to_value(&*r).map_err(|e| e.to_string())
    }
}

/// Raw string literals (`'...'`) as the Community reads them (`\'` and `\\` are escapes), written as the
/// JSON literals they stand for: the `jmespath` crate knows only `\'`.
fn rewrite_raw_strings(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("\\\\") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // Quoted identifiers and JSON literals are copied as they are, escapes included.
            '"' | '`' => {
                out.push(c);
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == '\\' {
                        if let Some(e) = chars.next() {
                            out.push(e);
                        }
                    } else if d == c {
                        break;
                    }
                }
            }
            '\'' => {
                let mut lit = String::new();
                let mut closed = false;
                while let Some(d) = chars.next() {
                    match d {
                        '\\' if matches!(chars.peek(), Some('\'' | '\\')) => {
                            lit.push(chars.next().unwrap_or('\\'));
                        }
                        '\'' => {
                            closed = true;
                            break;
                        }
                        d => lit.push(d),
                    }
                }
                if !closed {
                    // Unclosed: left for the parser to report.
                    out.push('\'');
                    out.push_str(&lit);
                    continue;
                }
                out.push('`');
                out.push_str(
                    &serde_json::Value::String(lit)
                        .to_string()
                        .replace('`', "\\`"),
                );
                out.push('`');
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Compiles `text`; an error says when the expression uses Community syntax ingot does not read.
pub fn compile(text: &str) -> std::result::Result<Expr, String> {
    let rewritten = rewrite_raw_strings(text);
    runtime().compile(&rewritten).map(Expr).map_err(|e| {
        let community = text.contains('$')
            || text.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == "let")
            || text.contains(['+', '%', '\u{2212}', '\u{00d7}', '\u{00f7}'])
            || text.contains("//");
        if community {
            format!("{e} (ingot reads the JMESPath specification with the Community edition's functions, not its arithmetic, let expressions or $)")
        } else {
            e.to_string()
        }
    })
}
