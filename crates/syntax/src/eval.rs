//! Expression evaluation with Alloy's semantics and error messages.
//!
//! Errors about a value name the expression the value came from, as Alloy does: `[0, 1, 2] should be
//! string, got array`, `key_value.object.field1[2] should be number, got string`. When the value was
//! written literally, the error points at the innermost literal (`"Hello, world!" should be number, got
//! string`); otherwise at the expression that produced it, followed by the path into the value.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::ast::{BinaryOp, Expr, ExprKind, Ident, Literal, ObjectField, UnaryOp};
use crate::diag::Diagnostic;
use crate::limits::{cut, MAX_QUOTED_CHARS};
use crate::source::{SourceFile, Span};
use crate::stdlib;
use crate::value::{
    path_to_string, CallError, FromValue, Function, Number, NumberKind, Object, OptionalSecret,
    PathSeg, Secret, Value, ValueError, ValueType,
};

/// How stable a feature is; evaluation refuses features below the configured minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stability {
    Experimental,
    PublicPreview,
    GenerallyAvailable,
}

impl Stability {
    /// The name used by `--stability.level`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stability::Experimental => "experimental",
            Stability::PublicPreview => "public-preview",
            Stability::GenerallyAvailable => "generally-available",
        }
    }

    pub fn parse(s: &str) -> Option<Stability> {
        match s {
            "experimental" => Some(Stability::Experimental),
            "public-preview" => Some(Stability::PublicPreview),
            "generally-available" => Some(Stability::GenerallyAvailable),
            _ => None,
        }
    }

    /// Alloy's `featuregate.CheckAllowed` message, or `None` when `feature` (at stability `self`) is allowed.
    pub fn check_allowed(self, min: Stability, feature: &str) -> Option<String> {
        (self < min).then(|| {
            format!(
                "{feature} is at stability level \"{}\", which is below the minimum allowed stability level \"{}\". \
                 Use --stability.level command-line flag to enable \"{}\" features",
                self.as_str(),
                min.as_str(),
                self.as_str()
            )
        })
    }
}

impl fmt::Display for Stability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The variables an expression can see. Names not found here fall back to the standard library; a variable
/// hides a stdlib name of the same name entirely (`string` as a variable hides `string.format`).
#[derive(Clone, Debug, Default)]
pub struct Scope {
    variables: HashMap<String, Value>,
}

/// Where an identifier was found.
#[derive(Clone, Debug)]
pub enum Lookup<'a> {
    Variable(&'a Value),
    Stdlib(&'static Value),
}

impl Scope {
    pub fn new() -> Scope {
        Scope::default()
    }

    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) {
        self.variables.insert(name.into(), value.into());
    }

    /// Builder form of [`insert`](Self::insert).
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Scope {
        self.insert(name, value);
        self
    }

    /// Stores `value` under a dotted path of nested objects, creating them as needed: the exports of
    /// `prometheus.exporter.unix.default` go to `["prometheus", "exporter", "unix", "default"]`.
    /// A non-object met on the way is replaced by an object.
    pub fn insert_path(&mut self, path: &[&str], value: Value) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        if rest.is_empty() {
            self.variables.insert(first.to_string(), value);
            return;
        }
        let slot = self
            .variables
            .entry(first.to_string())
            .or_insert_with(Value::empty_object);
        insert_nested(slot, rest, value);
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.variables.get(name)
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.variables.remove(name)
    }

    pub fn variables(&self) -> &HashMap<String, Value> {
        &self.variables
    }

    /// Alloy's `Scope.Lookup`: the variables first, then the standard library.
    pub fn lookup(&self, name: &str) -> Option<Lookup<'_>> {
        if let Some(v) = self.variables.get(name) {
            return Some(Lookup::Variable(v));
        }
        stdlib::lookup(name).map(Lookup::Stdlib)
    }
}

fn insert_nested(slot: &mut Value, path: &[&str], value: Value) {
    if !matches!(slot, Value::Object(_)) {
        *slot = Value::empty_object();
    }
    let Value::Object(obj) = slot else {
        unreachable!("just made an object")
    };
    let obj = Arc::make_mut(obj);
    let (first, rest) = path.split_first().expect("callers pass a non-empty path");
    if rest.is_empty() {
        obj.insert(first.to_string(), value);
    } else {
        insert_nested(
            obj.entry(first.to_string())
                .or_insert_with(Value::empty_object),
            rest,
            value,
        );
    }
}

/// Evaluates expressions of one file in one scope.
pub struct Evaluator<'a> {
    file: Arc<SourceFile>,
    scope: &'a Scope,
    min_stability: Stability,
    warnings: Vec<Diagnostic>,
    /// Spans of attribute values that were decoded as secrets.
    sensitive: Vec<Span>,
}

impl<'a> Evaluator<'a> {
    /// An evaluator allowing only generally-available features.
    pub fn new(file: &Arc<SourceFile>, scope: &'a Scope) -> Evaluator<'a> {
        Evaluator {
            file: file.clone(),
            scope,
            min_stability: Stability::GenerallyAvailable,
            warnings: Vec::new(),
            sensitive: Vec::new(),
        }
    }

    pub fn with_min_stability(mut self, min: Stability) -> Evaluator<'a> {
        self.min_stability = min;
        self
    }

    pub fn file(&self) -> &Arc<SourceFile> {
        &self.file
    }

    pub fn scope(&self) -> &'a Scope {
        self.scope
    }

    pub fn min_stability(&self) -> Stability {
        self.min_stability
    }

    /// Warnings so far (use of deprecated stdlib names).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Records that the expression at `span` was decoded as a secret.
    pub fn mark_sensitive(&mut self, span: Span) {
        self.sensitive.push(span);
    }

    /// Spans of the attribute values decoded as secrets so far.
    pub fn take_sensitive(&mut self) -> Vec<Span> {
        std::mem::take(&mut self.sensitive)
    }

    pub fn take_warnings(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.warnings)
    }

    /// Evaluates an expression into a value.
    ///
    /// This recurses once per level of the tree, so each kind of expression is evaluated by a function of
    /// its own: the frame that recursion repeats holds only that kind's locals.
    pub fn eval(&mut self, expr: &Expr) -> Result<Value, Diagnostic> {
        match &expr.kind {
            ExprKind::Literal(lit) => literal_value(lit).map_err(|m| self.error(expr, m)),
            ExprKind::Ident(name) => self.eval_ident(expr, name),
            ExprKind::Array { elements, .. } => self.eval_array(elements),
            ExprKind::Object { fields, .. } => self.eval_object(fields),
            ExprKind::Access { value, name } => self.eval_access(expr, value, name),
            ExprKind::Index { value, index } => self.eval_index(value, index),
            ExprKind::Call { callee, args, .. } => self.eval_call(expr, callee, args),
            ExprKind::Unary { op, operand, .. } => self.eval_unary(*op, operand),
            ExprKind::Binary { op, lhs, rhs, .. } => self.eval_binary(*op, lhs, rhs),
            ExprKind::Paren(inner) => self.eval(inner),
        }
    }

    fn eval_ident(&mut self, expr: &Expr, name: &str) -> Result<Value, Diagnostic> {
        match self.scope.lookup(name) {
            Some(Lookup::Variable(v)) => Ok(v.clone()),
            Some(Lookup::Stdlib(v)) => {
                if stdlib::is_deprecated(name) {
                    self.warnings.push(Diagnostic::warning(
                        &self.file,
                        expr.span,
                        stdlib::DEPRECATION_WARNING,
                    ));
                }
                Ok(v.clone())
            }
            None => Err(self.error(expr, format!("identifier \"{name}\" does not exist"))),
        }
    }

    fn eval_array(&mut self, elements: &[Expr]) -> Result<Value, Diagnostic> {
        let mut items = Vec::with_capacity(elements.len());
        for e in elements {
            items.push(self.eval(e)?);
        }
        Ok(Value::Array(Arc::new(items)))
    }

    fn eval_object(&mut self, fields: &[ObjectField]) -> Result<Value, Diagnostic> {
        let mut obj = Object::new();
        for f in fields {
            let v = self.eval(&f.value)?;
            obj.insert(f.key.to_string(), v);
        }
        Ok(Value::Object(Arc::new(obj)))
    }

    fn eval_access(
        &mut self,
        expr: &Expr,
        value: &Expr,
        name: &Ident,
    ) -> Result<Value, Diagnostic> {
        let base = self.eval(value)?;
        self.access(expr, value, name, base)
    }

    /// `base.name`, where `base` is the value of `value`.
    fn access(
        &self,
        expr: &Expr,
        value: &Expr,
        name: &Ident,
        base: Value,
    ) -> Result<Value, Diagnostic> {
        let field = match &base {
            Value::Object(o) => o.get(name.name.as_str()),
            Value::Capsule(c) if c.as_object().is_some() => {
                c.as_object().and_then(|o| o.get(name.name.as_str()))
            }
            Value::Capsule(_) | Value::Secret(_) | Value::OptionalSecret(_) => {
                return Err(self.about(
                    value,
                    "expected object or array or a capsule convertible to an object, got capsule"
                        .to_string(),
                ))
            }
            other => {
                return Err(self.about(
                    value,
                    format!(
                        "cannot access field \"{}\" on value of type {}",
                        name.name,
                        other.type_name()
                    ),
                ))
            }
        };
        let Some(field) = field else {
            return Err(Diagnostic::error(
                &self.file,
                name.span,
                format!("field \"{}\" does not exist", name.name),
            ));
        };
        if let Value::Function(f) = field {
            if f.experimental {
                if let Some(msg) = Stability::Experimental.check_allowed(self.min_stability, f.name)
                {
                    return Err(self.error(expr, msg));
                }
            }
        }
        Ok(field.clone())
    }

    fn eval_index(&mut self, value: &Expr, index: &Expr) -> Result<Value, Diagnostic> {
        let base = self.eval(value)?;
        let idx = self.eval(index)?;
        self.index(value, index, base, idx)
    }

    /// `base[idx]`, where `base` and `idx` are the values of `value` and `index`.
    fn index(
        &self,
        value: &Expr,
        index: &Expr,
        base: Value,
        idx: Value,
    ) -> Result<Value, Diagnostic> {
        let object_like = matches!(&base, Value::Object(_))
            || matches!(&base, Value::Capsule(c) if c.as_object().is_some());
        match &base {
            Value::Array(items) => {
                let Value::Number(n) = idx else {
                    return Err(self.about(
                        index,
                        ValueError::type_mismatch(ValueType::Number, &idx).message,
                    ));
                };
                let i = n.as_i64();
                if i < 0 || i as u64 >= items.len() as u64 {
                    return Err(self.about(
                        index,
                        format!(
                            "index {i} is out of range of array with length {}",
                            items.len()
                        ),
                    ));
                }
                Ok(items[i as usize].clone())
            }
            _ if object_like => {
                let Value::String(key) = &idx else {
                    return Err(self.about(
                        index,
                        ValueError::type_mismatch(ValueType::String, &idx).message,
                    ));
                };
                // A missing key read with [] is null, unlike a missing field read with `.`.
                Ok(base.get(key).cloned().unwrap_or(Value::Null))
            }
            Value::Capsule(_) | Value::Secret(_) | Value::OptionalSecret(_) => Err(self.about(
                value,
                "expected object or array or a capsule convertible to an object, got capsule"
                    .to_string(),
            )),
            other => Err(self.about(
                value,
                format!("expected object or array, got {}", other.type_name()),
            )),
        }
    }

    fn eval_call(
        &mut self,
        expr: &Expr,
        callee: &Expr,
        args: &[Expr],
    ) -> Result<Value, Diagnostic> {
        let f = self.eval(callee)?;
        let Value::Function(f) = f else {
            return Err(self.not_a_function(callee, &f));
        };
        let mut values = Vec::with_capacity(args.len());
        for a in args {
            values.push(self.eval(a)?);
        }
        self.call(expr, callee, args, &f, &values)
    }

    /// Calls `f` with `values`, the values of `args`.
    fn call(
        &self,
        expr: &Expr,
        callee: &Expr,
        args: &[Expr],
        f: &Function,
        values: &[Value],
    ) -> Result<Value, Diagnostic> {
        f.call(values).map_err(|e| match e {
            CallError::Function(msg) => self.about(callee, msg),
            CallError::Arg { index, error } => match args.get(index) {
                Some(arg) => self.value_error(arg, &error),
                None => self.error(expr, error.to_string()),
            },
            CallError::Plain(msg) => self.error(expr, msg),
        })
    }

    fn eval_unary(&mut self, op: UnaryOp, operand: &Expr) -> Result<Value, Diagnostic> {
        let v = self.eval(operand)?;
        unary_op(op, &v).map_err(|msg| self.about(operand, msg))
    }

    fn eval_binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Result<Value, Diagnostic> {
        // Both sides are always evaluated: Alloy does not short-circuit.
        let l = self.eval(lhs)?;
        let r = self.eval(rhs)?;
        binary_op(op, &l, &r).map_err(|e| match e.operand {
            Operand::Lhs => self.about(lhs, e.message),
            Operand::Rhs => self.about(rhs, e.message),
        })
    }

    /// Evaluates an expression and converts the value, reporting conversion errors at the sub-expression
    /// the offending part of the value came from.
    pub fn eval_as<T: FromValue>(&mut self, expr: &Expr) -> Result<T, Diagnostic> {
        let v = self.eval(expr)?;
        T::from_value(&v).map_err(|e| self.value_error(expr, &e))
    }

    /// The diagnostic for a conversion error about the value of `expr`: it follows the error's path into
    /// array and object literals as far as they go, and names the rest of the path after that expression.
    pub fn value_error(&self, expr: &Expr, err: &ValueError) -> Diagnostic {
        let mut node = expr;
        let mut i = 0;
        while i < err.path.len() {
            match (&node.kind, &err.path[i]) {
                (ExprKind::Paren(inner), _) => node = inner,
                (ExprKind::Array { elements, .. }, PathSeg::Index(k)) if *k < elements.len() => {
                    node = &elements[*k];
                    i += 1;
                }
                (ExprKind::Object { fields, .. }, PathSeg::Field(name)) => {
                    // The last field of a name wins, as it does in the object's value.
                    match fields.iter().rev().find(|f| f.key == name) {
                        Some(f) => {
                            node = &f.value;
                            i += 1;
                        }
                        None => break,
                    }
                }
                _ => break,
            }
        }
        let msg = format!(
            "{}{} {}",
            quoted(node),
            path_to_string(&err.path[i..]),
            err.message
        );
        Diagnostic::error(&self.file, node.span, msg)
    }

    fn not_a_function(&self, callee: &Expr, value: &Value) -> Diagnostic {
        self.about(
            callee,
            ValueError::type_mismatch(ValueType::Function, value).message,
        )
    }

    fn error(&self, expr: &Expr, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::error(&self.file, expr.span, msg)
    }

    /// An error about the value of `expr`, written after the expression's text.
    fn about(&self, expr: &Expr, msg: String) -> Diagnostic {
        Diagnostic::error(&self.file, expr.span, format!("{} {msg}", quoted(expr)))
    }
}

/// The value of a literal (`010` is 8, `09` is the float 9; see [`Number::from_literal`]).
pub fn literal_value(lit: &Literal) -> Result<Value, String> {
    // Go's ParseFloat reports a number too large for a float64 (it would be ±Inf) as an error, and Alloy
    // refuses the literal with it.
    let out_of_range =
        |text: &str| format!("strconv.ParseFloat: parsing {text:?}: value out of range");
    Ok(match lit {
        Literal::Number(text) => match Number::from_literal(text) {
            Some(Number::Float(f)) if f.is_infinite() => return Err(out_of_range(text)),
            Some(n) => Value::Number(n),
            None => Value::Null,
        },
        Literal::Float(text) => match crate::value::parse_go_float(text) {
            Some(f) if f.is_infinite() => return Err(out_of_range(text)),
            f => Value::float(f.unwrap_or(f64::NAN)),
        },
        Literal::String { value, .. } => Value::string(value.as_str()),
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Null => Value::Null,
    })
}

/// An expression as a message names it: [`expr_text`], cut after [`MAX_QUOTED_CHARS`] characters.
fn quoted(expr: &Expr) -> String {
    cut(&expr_text(expr), MAX_QUOTED_CHARS).into_owned()
}

/// An expression as Alloy's printer writes it on one line, used to name values in messages.
pub fn expr_text(expr: &Expr) -> String {
    let mut s = String::new();
    write_expr(&mut s, expr);
    s
}

fn write_expr(s: &mut String, expr: &Expr) {
    match &expr.kind {
        ExprKind::Literal(lit) => match lit {
            Literal::Number(t) | Literal::Float(t) => s.push_str(t),
            Literal::String { raw, .. } => s.push_str(raw),
            Literal::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
            Literal::Null => s.push_str("null"),
        },
        ExprKind::Ident(name) => s.push_str(name),
        ExprKind::Array { elements, .. } => {
            s.push('[');
            for (i, e) in elements.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                write_expr(s, e);
            }
            s.push(']');
        }
        ExprKind::Object { fields, .. } => {
            s.push('{');
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                s.push_str(&f.raw_key);
                s.push_str(" = ");
                write_expr(s, &f.value);
            }
            s.push('}');
        }
        ExprKind::Access { value, name } => {
            write_expr(s, value);
            s.push('.');
            s.push_str(&name.name);
        }
        ExprKind::Index { value, index } => {
            write_expr(s, value);
            s.push('[');
            write_expr(s, index);
            s.push(']');
        }
        ExprKind::Call { callee, args, .. } => {
            write_expr(s, callee);
            s.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                write_expr(s, a);
            }
            s.push(')');
        }
        ExprKind::Unary { op, operand, .. } => {
            s.push_str(op.as_str());
            write_expr(s, operand);
        }
        ExprKind::Binary { op, lhs, rhs, .. } => {
            write_expr(s, lhs);
            s.push(' ');
            s.push_str(op.as_str());
            s.push(' ');
            write_expr(s, rhs);
        }
        ExprKind::Paren(inner) => {
            s.push('(');
            write_expr(s, inner);
            s.push(')');
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Operators

/// Which operand a [`BinaryOpError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    Lhs,
    Rhs,
}

/// A failed binary operation: the message to write after the offending operand.
#[derive(Clone, Debug, PartialEq)]
pub struct BinaryOpError {
    pub operand: Operand,
    pub message: String,
}

fn allowed_types(op: BinaryOp) -> &'static [ValueType] {
    match op {
        BinaryOp::Or | BinaryOp::And => &[ValueType::Bool],
        BinaryOp::Add => &[ValueType::Number, ValueType::String, ValueType::Capsule],
        BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod | BinaryOp::Pow => {
            &[ValueType::Number]
        }
        BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => {
            &[ValueType::Number, ValueType::String]
        }
        BinaryOp::Eq | BinaryOp::NotEq => &[],
    }
}

/// Brings a string and a (possibly optional) secret to a common kind before an operation, as Alloy does:
/// string + secret is a secret; a non-sensitive optional secret is a string.
fn unwrap_secrets(lhs: &Value, rhs: &Value) -> (Value, Value) {
    match (lhs, rhs) {
        (Value::OptionalSecret(l), Value::Secret(_)) => {
            (Value::Secret(Secret::new(l.value.clone())), rhs.clone())
        }
        (Value::OptionalSecret(l), Value::String(r)) => {
            if l.is_secret {
                (
                    lhs.clone(),
                    Value::OptionalSecret(OptionalSecret::secret(r.clone())),
                )
            } else {
                (Value::String(l.value.clone()), rhs.clone())
            }
        }
        (Value::Secret(_), Value::OptionalSecret(r)) => {
            (lhs.clone(), Value::Secret(Secret::new(r.value.clone())))
        }
        (Value::Secret(_), Value::String(r)) => {
            (lhs.clone(), Value::Secret(Secret::new(r.clone())))
        }
        (Value::String(l), Value::OptionalSecret(r)) => {
            if r.is_secret {
                (
                    Value::OptionalSecret(OptionalSecret::secret(l.clone())),
                    rhs.clone(),
                )
            } else {
                (lhs.clone(), Value::String(r.value.clone()))
            }
        }
        (Value::String(l), Value::Secret(_)) => {
            (Value::Secret(Secret::new(l.clone())), rhs.clone())
        }
        _ => (lhs.clone(), rhs.clone()),
    }
}

/// Go's `n^m` on integers: repeated wrapping multiplication, where an exponent below 2 leaves `n` (so a
/// negative exponent gives `n` back).
fn int_pow(n: u64, m_negative: bool, m: u64) -> u64 {
    if m == 0 && !m_negative || n == 1 {
        return 1;
    }
    if n == 0 && !m_negative {
        return 0;
    }
    if m_negative || m < 2 {
        return n;
    }
    let (mut base, mut exp, mut acc) = (n, m, 1u64);
    while exp > 0 {
        if exp & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        exp >>= 1;
    }
    acc
}

/// Applies a binary operator with Alloy's rules.
pub fn binary_op(op: BinaryOp, lhs: &Value, rhs: &Value) -> Result<Value, BinaryOpError> {
    let (l, r) = if lhs.value_type() == ValueType::Capsule || rhs.value_type() == ValueType::Capsule
    {
        unwrap_secrets(lhs, rhs)
    } else {
        (lhs.clone(), rhs.clone())
    };
    match op {
        BinaryOp::Eq => return Ok(Value::Bool(l == r)),
        BinaryOp::NotEq => return Ok(Value::Bool(l != r)),
        _ => {}
    }
    let allowed = allowed_types(op);
    let names: Vec<&str> = allowed.iter().map(|t| t.name()).collect();
    for (v, operand) in [(&l, Operand::Lhs), (&r, Operand::Rhs)] {
        if !allowed.contains(&v.value_type()) {
            return Err(BinaryOpError {
                operand,
                message: format!(
                    "should be one of [{}] for binop {}, got {}",
                    names.join(" "),
                    op.as_str(),
                    v.type_name()
                ),
            });
        }
    }
    if l.value_type() != r.value_type() {
        return Err(BinaryOpError {
            operand: Operand::Rhs,
            message: ValueError::type_mismatch(l.value_type(), &r).message,
        });
    }
    let rhs_err = |m: &str| BinaryOpError {
        operand: Operand::Rhs,
        message: m.to_string(),
    };

    match (&l, &r) {
        (Value::Bool(a), Value::Bool(b)) => {
            return Ok(Value::Bool(if op == BinaryOp::Or {
                *a || *b
            } else {
                *a && *b
            }));
        }
        (Value::String(a), Value::String(b)) => {
            return Ok(match op {
                BinaryOp::Add => Value::string(format!("{a}{b}")),
                BinaryOp::Lt => Value::Bool(a < b),
                BinaryOp::LtEq => Value::Bool(a <= b),
                BinaryOp::Gt => Value::Bool(a > b),
                _ => Value::Bool(a >= b),
            });
        }
        (Value::Number(_), Value::Number(_)) => {}
        // Only `+` reaches here with capsules.
        (Value::OptionalSecret(a), other) => {
            let (text, secret) = match other {
                Value::OptionalSecret(b) => (b.value.clone(), b.is_secret),
                _ => ("".into(), false),
            };
            return Ok(Value::OptionalSecret(OptionalSecret::new(
                format!("{}{}", a.value, text),
                a.is_secret || secret,
            )));
        }
        (Value::Secret(a), other) => {
            let text = match other {
                Value::Secret(b) => b.expose().to_string(),
                _ => String::new(),
            };
            return Ok(Value::Secret(Secret::new(format!(
                "{}{}",
                a.expose(),
                text
            ))));
        }
        _ => {
            return Err(BinaryOpError {
                operand: Operand::Lhs,
                message: format!(
                    "could not perform binop {} for unknown types lhs {} rhs {}",
                    op.as_str(),
                    l.type_name(),
                    r.type_name()
                ),
            })
        }
    }

    let (Value::Number(a), Value::Number(b)) = (l, r) else {
        unreachable!("numbers checked above")
    };
    if matches!(op, BinaryOp::Div | BinaryOp::Mod) && b.is_zero() {
        return Err(rhs_err("divide by zero error"));
    }
    let kind = Number::fit(a, b);
    let num = |n: Number| Ok(Value::Number(n));
    let cmp = |o: std::cmp::Ordering| -> Result<Value, BinaryOpError> {
        use std::cmp::Ordering::*;
        Ok(Value::Bool(match op {
            BinaryOp::Lt => o == Less,
            BinaryOp::LtEq => o != Greater,
            BinaryOp::Gt => o == Greater,
            _ => o != Less,
        }))
    };
    match kind {
        NumberKind::Uint => {
            let (x, y) = (a.as_u64(), b.as_u64());
            match op {
                BinaryOp::Add => num(Number::Uint(x.wrapping_add(y))),
                BinaryOp::Sub => num(Number::Uint(x.wrapping_sub(y))),
                BinaryOp::Mul => num(Number::Uint(x.wrapping_mul(y))),
                BinaryOp::Div => num(Number::Uint(x / y)),
                BinaryOp::Mod => num(Number::Uint(x % y)),
                BinaryOp::Pow => num(Number::Uint(int_pow(x, false, y))),
                _ => cmp(x.cmp(&y)),
            }
        }
        NumberKind::Int => {
            let (x, y) = (a.as_i64(), b.as_i64());
            match op {
                BinaryOp::Add => num(Number::Int(x.wrapping_add(y))),
                BinaryOp::Sub => num(Number::Int(x.wrapping_sub(y))),
                BinaryOp::Mul => num(Number::Int(x.wrapping_mul(y))),
                BinaryOp::Div => num(Number::Int(x.wrapping_div(y))),
                BinaryOp::Mod => num(Number::Int(x.wrapping_rem(y))),
                BinaryOp::Pow => num(Number::Int(
                    int_pow(x as u64, y < 0, y.unsigned_abs()) as i64
                )),
                _ => cmp(x.cmp(&y)),
            }
        }
        NumberKind::Float => {
            let (x, y) = (a.as_f64(), b.as_f64());
            match op {
                BinaryOp::Add => num(Number::Float(x + y)),
                BinaryOp::Sub => num(Number::Float(x - y)),
                BinaryOp::Mul => num(Number::Float(x * y)),
                BinaryOp::Div => num(Number::Float(x / y)),
                BinaryOp::Mod => num(Number::Float(x % y)),
                BinaryOp::Pow => num(Number::Float(x.powf(y))),
                // Comparisons with NaN are all false, as in Go.
                BinaryOp::Lt => Ok(Value::Bool(x < y)),
                BinaryOp::LtEq => Ok(Value::Bool(x <= y)),
                BinaryOp::Gt => Ok(Value::Bool(x > y)),
                _ => Ok(Value::Bool(x >= y)),
            }
        }
    }
}

/// Applies a unary operator; the error is the message to write after the operand.
pub fn unary_op(op: UnaryOp, v: &Value) -> Result<Value, String> {
    match (op, v) {
        (UnaryOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (UnaryOp::Not, other) => Err(ValueError::type_mismatch(ValueType::Bool, other).message),
        // Negating a uint gives an int, as in Alloy.
        (UnaryOp::Neg, Value::Number(Number::Float(f))) => Ok(Value::float(-f)),
        (UnaryOp::Neg, Value::Number(n)) => Ok(Value::int(n.as_i64().wrapping_neg())),
        (UnaryOp::Neg, other) => Err(ValueError::type_mismatch(ValueType::Number, other).message),
    }
}

#[cfg(test)]
mod tests;
