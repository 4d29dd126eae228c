//! A JSONPath evaluator for `json_path`, covering what Alloy's `ojg` parser is used for: an optional `$`
//! root, `.name`, `['name']`, `..name` (recursive descent), `*` wildcards, `[n]` / `[-n]` indexes, `[a:b:s]`
//! slices, unions (`[0,2]`, `['a','b']`) and filters `[?(@.x == "y" && @.n > 1)]` with `== != < <= > >=
//! && || !`, parentheses, existence tests (`[?(@.x)]`) and literals.

use crate::value::{Number, Value};

#[derive(Clone, Debug)]
enum Step {
    /// A named child.
    Child(String),
    /// Every child (array elements or object values).
    Wildcard,
    /// Array elements at indexes (negative counts from the end).
    Indexes(Vec<i64>),
    /// Object fields by name.
    Names(Vec<String>),
    Slice(Option<i64>, Option<i64>, i64),
    /// The following step applied to this node and every descendant.
    Descent,
    Filter(Expr),
}

#[derive(Clone, Debug)]
enum Expr {
    Literal(Value),
    /// A path relative to the current element (`@…`) or the root (`$…`).
    Path {
        root: bool,
        steps: Vec<Step>,
    },
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
}

/// Evaluates `path` against `doc`, returning every match in document order.
pub fn query(doc: &Value, path: &str) -> Result<Vec<Value>, String> {
    let mut p = Parser {
        s: path.as_bytes(),
        text: path,
        pos: 0,
    };
    let steps = p.path_steps(false)?;
    if p.pos < p.s.len() {
        return Err(p.error("unexpected character"));
    }
    let mut out = Vec::new();
    apply(doc, doc, &steps, &mut out);
    Ok(out)
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        format!("{what} at {} in {}", self.pos + 1, self.text)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// Steps of a path: at top level the leading `$` is optional; inside a filter `@` or `$` has been read.
    fn path_steps(&mut self, in_filter: bool) -> Result<Vec<Step>, String> {
        let mut steps = Vec::new();
        if !in_filter {
            if self.peek() == Some(b'$') || self.peek() == Some(b'@') {
                self.pos += 1;
            } else if let Some(c) = self.peek() {
                // A bare leading name (`a.b`) is a child of the root.
                if c != b'.' && c != b'[' {
                    let name = self.name()?;
                    steps.push(if name == "*" {
                        Step::Wildcard
                    } else {
                        Step::Child(name)
                    });
                }
            }
        }
        loop {
            match self.peek() {
                Some(b'.') => {
                    self.pos += 1;
                    if self.peek() == Some(b'.') {
                        self.pos += 1;
                        steps.push(Step::Descent);
                        if self.peek() == Some(b'[') {
                            continue;
                        }
                    }
                    let name = self.name()?;
                    steps.push(if name == "*" {
                        Step::Wildcard
                    } else {
                        Step::Child(name)
                    });
                }
                Some(b'[') => {
                    self.pos += 1;
                    steps.push(self.bracket()?);
                }
                _ => return Ok(steps),
            }
        }
    }

    fn name(&mut self) -> Result<String, String> {
        let start = self.pos;
        if self.peek() == Some(b'*') {
            self.pos += 1;
            return Ok("*".to_string());
        }
        while let Some(c) = self.peek() {
            if matches!(
                c,
                b'.' | b'['
                    | b']'
                    | b' '
                    | b'('
                    | b')'
                    | b'='
                    | b'!'
                    | b'<'
                    | b'>'
                    | b'&'
                    | b'|'
                    | b','
            ) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error("expected a name"));
        }
        Ok(self.text[start..self.pos].to_string())
    }

    fn bracket(&mut self) -> Result<Step, String> {
        self.skip_ws();
        let step = match self.peek() {
            Some(b'*') => {
                self.pos += 1;
                Step::Wildcard
            }
            Some(b'?') => {
                self.pos += 1;
                self.skip_ws();
                let paren = self.peek() == Some(b'(');
                if paren {
                    self.pos += 1;
                }
                let e = self.or_expr()?;
                self.skip_ws();
                if paren {
                    if self.peek() != Some(b')') {
                        return Err(self.error("expected )"));
                    }
                    self.pos += 1;
                }
                Step::Filter(e)
            }
            Some(b'\'' | b'"') => {
                let mut names = vec![self.quoted()?];
                loop {
                    self.skip_ws();
                    if self.peek() != Some(b',') {
                        break;
                    }
                    self.pos += 1;
                    self.skip_ws();
                    names.push(self.quoted()?);
                }
                Step::Names(names)
            }
            _ => {
                let first = self.opt_int()?;
                self.skip_ws();
                if self.peek() == Some(b':') {
                    self.pos += 1;
                    let end = self.opt_int()?;
                    let mut step = 1;
                    if self.peek() == Some(b':') {
                        self.pos += 1;
                        step = self.opt_int()?.unwrap_or(1);
                    }
                    Step::Slice(first, end, step)
                } else {
                    let mut idx = vec![first.ok_or_else(|| self.error("expected an index"))?];
                    loop {
                        self.skip_ws();
                        if self.peek() != Some(b',') {
                            break;
                        }
                        self.pos += 1;
                        self.skip_ws();
                        idx.push(
                            self.opt_int()?
                                .ok_or_else(|| self.error("expected an index"))?,
                        );
                    }
                    Step::Indexes(idx)
                }
            }
        };
        self.skip_ws();
        if self.peek() != Some(b']') {
            return Err(self.error("expected ]"));
        }
        self.pos += 1;
        Ok(step)
    }

    fn opt_int(&mut self) -> Result<Option<i64>, String> {
        self.skip_ws();
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == start {
            return Ok(None);
        }
        self.text[start..self.pos]
            .parse()
            .map(Some)
            .map_err(|_| self.error("invalid number"))
    }

    fn quoted(&mut self) -> Result<String, String> {
        let q = self.peek().ok_or_else(|| self.error("expected a string"))?;
        if q != b'\'' && q != b'"' {
            return Err(self.error("expected a string"));
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            let c = self.text[self.pos..]
                .chars()
                .next()
                .ok_or_else(|| self.error("unterminated string"))?;
            self.pos += c.len_utf8();
            if c as u32 == q as u32 {
                return Ok(out);
            }
            if c == '\\' {
                let e = self.text[self.pos..]
                    .chars()
                    .next()
                    .ok_or_else(|| self.error("unterminated string"))?;
                self.pos += e.len_utf8();
                out.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    other => other,
                });
            } else {
                out.push(c);
            }
        }
    }

    fn or_expr(&mut self) -> Result<Expr, String> {
        let mut lhs = self.and_expr()?;
        loop {
            self.skip_ws();
            if self.s[self.pos..].starts_with(b"||") {
                self.pos += 2;
                let rhs = self.and_expr()?;
                lhs = Expr::Or(Box::new(lhs), Box::new(rhs));
            } else {
                return Ok(lhs);
            }
        }
    }

    fn and_expr(&mut self) -> Result<Expr, String> {
        let mut lhs = self.cmp_expr()?;
        loop {
            self.skip_ws();
            if self.s[self.pos..].starts_with(b"&&") {
                self.pos += 2;
                let rhs = self.cmp_expr()?;
                lhs = Expr::And(Box::new(lhs), Box::new(rhs));
            } else {
                return Ok(lhs);
            }
        }
    }

    fn cmp_expr(&mut self) -> Result<Expr, String> {
        let lhs = self.unary()?;
        self.skip_ws();
        let rest = &self.s[self.pos..];
        let (op, len) = if rest.starts_with(b"==") {
            (CmpOp::Eq, 2)
        } else if rest.starts_with(b"!=") {
            (CmpOp::Ne, 2)
        } else if rest.starts_with(b"<=") {
            (CmpOp::Le, 2)
        } else if rest.starts_with(b">=") {
            (CmpOp::Ge, 2)
        } else if rest.starts_with(b"<") {
            (CmpOp::Lt, 1)
        } else if rest.starts_with(b">") {
            (CmpOp::Gt, 1)
        } else {
            return Ok(lhs);
        };
        self.pos += len;
        let rhs = self.unary()?;
        Ok(Expr::Cmp(op, Box::new(lhs), Box::new(rhs)))
    }

    fn unary(&mut self) -> Result<Expr, String> {
        self.skip_ws();
        match self.peek() {
            Some(b'!') => {
                self.pos += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some(b'(') => {
                self.pos += 1;
                let e = self.or_expr()?;
                self.skip_ws();
                if self.peek() != Some(b')') {
                    return Err(self.error("expected )"));
                }
                self.pos += 1;
                Ok(e)
            }
            Some(c @ (b'@' | b'$')) => {
                self.pos += 1;
                let steps = self.path_steps(true)?;
                Ok(Expr::Path {
                    root: c == b'$',
                    steps,
                })
            }
            Some(b'\'' | b'"') => Ok(Expr::Literal(Value::string(self.quoted()?))),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                self.pos += 1;
                while self.peek().is_some_and(|c| {
                    c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-')
                }) {
                    self.pos += 1;
                }
                let lit = &self.text[start..self.pos];
                if let Ok(i) = lit.parse::<i64>() {
                    Ok(Expr::Literal(Value::int(i)))
                } else {
                    lit.parse::<f64>()
                        .map(|f| Expr::Literal(Value::float(f)))
                        .map_err(|_| self.error("invalid number"))
                }
            }
            _ => {
                for (word, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.s[self.pos..].starts_with(word.as_bytes()) {
                        self.pos += word.len();
                        return Ok(Expr::Literal(v));
                    }
                }
                Err(self.error("unexpected character in filter"))
            }
        }
    }
}

fn children(node: &Value) -> Vec<&Value> {
    match node {
        Value::Array(items) => items.iter().collect(),
        Value::Object(fields) => fields.values().collect(),
        _ => Vec::new(),
    }
}

fn index_of(len: usize, i: i64) -> Option<usize> {
    let i = if i < 0 { len as i64 + i } else { i };
    (0..len as i64).contains(&i).then_some(i as usize)
}

fn apply(root: &Value, node: &Value, steps: &[Step], out: &mut Vec<Value>) {
    let Some((step, rest)) = steps.split_first() else {
        out.push(node.clone());
        return;
    };
    match step {
        Step::Child(name) => {
            if let Some(v) = node.as_object().and_then(|o| o.get(name)) {
                apply(root, v, rest, out);
            }
        }
        Step::Names(names) => {
            if let Some(o) = node.as_object() {
                for name in names {
                    if let Some(v) = o.get(name) {
                        apply(root, v, rest, out);
                    }
                }
            }
        }
        Step::Wildcard => {
            for child in children(node) {
                apply(root, child, rest, out);
            }
        }
        Step::Indexes(indexes) => {
            if let Some(items) = node.as_array() {
                for &i in indexes {
                    if let Some(i) = index_of(items.len(), i) {
                        apply(root, &items[i], rest, out);
                    }
                }
            }
        }
        Step::Slice(start, end, step) => {
            if let Some(items) = node.as_array() {
                let len = items.len() as i64;
                let norm = |v: i64| if v < 0 { (len + v).max(0) } else { v.min(len) };
                let step = *step;
                if step > 0 {
                    let (s, e) = (norm(start.unwrap_or(0)), norm(end.unwrap_or(len)));
                    let mut i = s;
                    while i < e {
                        apply(root, &items[i as usize], rest, out);
                        i += step;
                    }
                } else if step < 0 {
                    let s = start
                        .map(|v| if v < 0 { len + v } else { v.min(len - 1) })
                        .unwrap_or(len - 1);
                    let e = end.map(|v| if v < 0 { len + v } else { v }).unwrap_or(-1);
                    let mut i = s;
                    while i > e && i >= 0 {
                        apply(root, &items[i as usize], rest, out);
                        i += step;
                    }
                }
            }
        }
        Step::Descent => {
            // Preorder: the node itself, then each child's subtree.
            apply(root, node, rest, out);
            for child in children(node) {
                if matches!(child, Value::Array(_) | Value::Object(_)) {
                    apply(root, child, steps, out);
                }
            }
        }
        Step::Filter(expr) => {
            for child in children(node) {
                if truthy(&eval(root, child, expr)) {
                    apply(root, child, rest, out);
                }
            }
        }
    }
}

/// A filter operand: nothing (a path that matched nothing), or a value.
fn eval(root: &Value, current: &Value, expr: &Expr) -> Option<Value> {
    match expr {
        Expr::Literal(v) => Some(v.clone()),
        Expr::Path {
            root: from_root,
            steps,
        } => {
            let mut out = Vec::new();
            apply(
                root,
                if *from_root { root } else { current },
                steps,
                &mut out,
            );
            out.into_iter().next()
        }
        Expr::Not(e) => Some(Value::Bool(!truthy(&eval(root, current, e)))),
        Expr::And(a, b) => Some(Value::Bool(
            truthy(&eval(root, current, a)) && truthy(&eval(root, current, b)),
        )),
        Expr::Or(a, b) => Some(Value::Bool(
            truthy(&eval(root, current, a)) || truthy(&eval(root, current, b)),
        )),
        Expr::Cmp(op, a, b) => {
            let (a, b) = (eval(root, current, a), eval(root, current, b));
            Some(Value::Bool(compare(*op, a.as_ref(), b.as_ref())))
        }
    }
}

fn truthy(v: &Option<Value>) -> bool {
    match v {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => true,
    }
}

fn compare(op: CmpOp, a: Option<&Value>, b: Option<&Value>) -> bool {
    use std::cmp::Ordering;
    let ord = match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => number_cmp(*x, *y),
        (Some(Value::String(x)), Some(Value::String(y))) => Some(x.cmp(y)),
        (Some(x), Some(y)) => (x == y).then_some(Ordering::Equal),
        (None, None) => Some(Ordering::Equal),
        _ => None,
    };
    match op {
        CmpOp::Eq => ord == Some(Ordering::Equal),
        CmpOp::Ne => ord != Some(Ordering::Equal),
        CmpOp::Lt => ord == Some(Ordering::Less),
        CmpOp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        CmpOp::Gt => ord == Some(Ordering::Greater),
        CmpOp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
    }
}

fn number_cmp(a: Number, b: Number) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => Some(x.cmp(&y)),
        _ => a.as_f64().partial_cmp(&b.as_f64()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stdlib::codec::{parse_json, JsonNumbers};

    fn q(json: &str, path: &str) -> String {
        let doc = parse_json(json, JsonNumbers::KeepIntegers).unwrap();
        match query(&doc, path) {
            Ok(v) => Value::array(v).to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn paths() {
        let store = r#"{"store": {"book": [{"title": "A", "price": 8, "tags": ["x"]}, {"title": "B", "price": 12.5}],
                        "bicycle": {"price": 19}}, "a": "b"}"#;
        let cases = [
            (r#"{"a": "b"}"#, ".a", r#"["b"]"#),
            (r#"{"a": "b"}"#, "$.a", r#"["b"]"#),
            (r#"{"a": "b"}"#, ".nonexists", "[]"),
            (r#"{"a": {"b": 1}}"#, "a.b", "[1]"),
            (store, "$.store.book[0].title", r#"["A"]"#),
            (store, "$.store.book[-1].title", r#"["B"]"#),
            (store, "$.store.book[*].price", "[8, 12.5]"),
            (store, "$..price", "[19, 8, 12.5]"),
            (store, "$.store.book[?(@.price < 10)].title", r#"["A"]"#),
            (
                store,
                "$.store.book[?(@.price > 10 && @.title == 'B')].title",
                r#"["B"]"#,
            ),
            (store, "$.store.book[?(@.tags)].title", r#"["A"]"#),
            (store, "$.store.book[?(!@.tags)].title", r#"["B"]"#),
            (store, "$['a']", r#"["b"]"#),
            (store, "$.store.*.price", "[19]"),
            (r#"[1,2,3,4,5]"#, "$[1:3]", "[2, 3]"),
            (r#"[1,2,3,4,5]"#, "$[::-2]", "[5, 3, 1]"),
            (r#"[1,2,3,4,5]"#, "$[0,4]", "[1, 5]"),
            (r#"[1,2,3]"#, "$[5]", "[]"),
            (
                r#"[{"name": "Department","value": "IT"},{"name":"ReferenceNumber","value":"123456"},{"name":"TestStatus","value":"Pending"}]"#,
                r#"[?(@.name == "Department")].value"#,
                r#"["IT"]"#,
            ),
        ];
        for (json, path, want) in cases {
            assert_eq!(q(json, path), want, "{path}");
        }
        assert!(q("{}", "$[").starts_with("error: "));
    }
}
