//! Alloy values: what expressions evaluate to and what component arguments are decoded from.
//!
//! Numbers keep Go's three kinds (int64, uint64, float64) because Alloy's arithmetic depends on them
//! (`1/2` is `0`, `1/2.0` is `0.5`). Arrays, objects and strings are behind `Arc` so that values coming
//! out of component exports can be shared by many consumers without copying.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::Duration;

use ingot_gocompat::strconv;

/// Go's `strconv.Quote`; kept here for callers that use this path.
pub use ingot_gocompat::strconv::quote as go_quote;
/// Go's `time.Duration.String` of signed nanoseconds; kept here for callers that use this path.
pub use ingot_gocompat::time::format_duration as format_go_duration;
/// Go's `time.Duration.String` of a `std::time::Duration` (`1h30m0s`); kept here for callers that use this path.
pub use ingot_gocompat::time::format_std_duration as format_duration;
/// Go's `time.ParseDuration`, in nanoseconds, with Go's errors; kept here for callers that use this path.
pub use ingot_gocompat::time::parse_duration as parse_go_duration;

/// The fields of an object. Keys are kept sorted so that every rendering of an object is deterministic.
pub type Object = BTreeMap<String, Value>;

/// An Alloy value.
#[derive(Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Number(Number),
    String(Arc<str>),
    Bool(bool),
    Array(Arc<Vec<Value>>),
    Object(Arc<Object>),
    Function(Function),
    /// An opaque host value (a receiver, a relabel rule set…).
    Capsule(Capsule),
    /// A sensitive string; never turns back into a string except through `convert.nonsensitive`.
    Secret(Secret),
    /// A string that may be sensitive (`local.file`'s `content`): it acts as a string unless marked secret.
    OptionalSecret(OptionalSecret),
}

/// The type of a value, named as Alloy names it in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    Null,
    Number,
    String,
    Bool,
    Array,
    Object,
    Function,
    Capsule,
}

impl ValueType {
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Null => "null",
            ValueType::Number => "number",
            ValueType::String => "string",
            ValueType::Bool => "bool",
            ValueType::Array => "array",
            ValueType::Object => "object",
            ValueType::Function => "function",
            ValueType::Capsule => "capsule",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// ---------------------------------------------------------------------------------------------------------
// Numbers

/// A number with Go's kind: Alloy keeps integer arithmetic integral and widens uint → int → float.
#[derive(Clone, Copy, Debug)]
pub enum Number {
    Int(i64),
    Uint(u64),
    Float(f64),
}

/// The kind of a number, ordered by Alloy's widening precedence (uint < int < float).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NumberKind {
    Uint,
    Int,
    Float,
}

impl Number {
    pub fn kind(self) -> NumberKind {
        match self {
            Number::Int(_) => NumberKind::Int,
            Number::Uint(_) => NumberKind::Uint,
            Number::Float(_) => NumberKind::Float,
        }
    }

    /// The kind two operands are computed in (Go's `fitNumberKinds`).
    pub fn fit(a: Number, b: Number) -> NumberKind {
        a.kind().max(b.kind())
    }

    /// Go's `int64(x)` conversion (wrapping for uints; floats truncate toward zero).
    pub fn as_i64(self) -> i64 {
        match self {
            Number::Int(i) => i,
            Number::Uint(u) => u as i64,
            Number::Float(f) => f as i64,
        }
    }

    /// Go's `uint64(x)` conversion.
    pub fn as_u64(self) -> u64 {
        match self {
            Number::Int(i) => i as u64,
            Number::Uint(u) => u,
            Number::Float(f) => {
                if f < 0.0 {
                    (f as i64) as u64
                } else {
                    f as u64
                }
            }
        }
    }

    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Uint(u) => u as f64,
            Number::Float(f) => f,
        }
    }

    /// Whether this is the number zero (of any kind).
    pub fn is_zero(self) -> bool {
        match self {
            Number::Int(i) => i == 0,
            Number::Uint(u) => u == 0,
            Number::Float(f) => f == 0.0,
        }
    }

    /// Parses a `NUMBER` literal as Alloy does: Go `strconv.ParseInt(lit, 0, 64)`, then `ParseUint`, then
    /// `ParseFloat`. Base prefixes follow Go: a leading `0` means octal, so `010` is 8 and `09` (not octal)
    /// falls through to the float 9.
    pub fn from_literal(lit: &str) -> Option<Number> {
        if let Some(u) = parse_go_uint_base0(lit) {
            return Some(if u <= i64::MAX as u64 {
                Number::Int(u as i64)
            } else {
                Number::Uint(u)
            });
        }
        parse_go_float(lit).map(Number::Float)
    }
}

/// Go's `ParseUint(s, 0, 64)` for the unsigned digit strings the scanner produces.
fn parse_go_uint_base0(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    let (digits, radix) = if let Some(rest) = lower.strip_prefix("0x") {
        (rest, 16)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (rest, 2)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (rest, 8)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    // Go accepts underscores only with a base prefix; the scanner never produces them, so refuse them.
    if digits.is_empty()
        || digits.contains('_')
        || digits.starts_with('+')
        || digits.starts_with('-')
    {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal literals (out-of-range values become ±Inf like Go's value).
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.trim_start_matches(['+', '-']);
    let lower = t.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" || lower == "nan" {
        return s.parse::<f64>().ok().or(Some(if lower == "nan" {
            f64::NAN
        } else if s.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }));
    }
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    s.parse::<f64>().ok()
}

impl fmt::Display for Number {
    /// Go's `Number.ToString`: decimal integers, floats in the shortest exact form without exponent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Uint(u) => write!(f, "{u}"),
            Number::Float(x) => f.write_str(&strconv::format_float(x, 'f', -1)),
        }
    }
}

impl PartialEq for Number {
    /// Alloy's `==` on numbers: compared in the wider kind, so `3 == 3.0`.
    fn eq(&self, other: &Number) -> bool {
        match Number::fit(*self, *other) {
            NumberKind::Uint => self.as_u64() == other.as_u64(),
            NumberKind::Int => self.as_i64() == other.as_i64(),
            NumberKind::Float => self.as_f64() == other.as_f64(),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Secrets

/// A sensitive string. Debug and Display never show the content.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Secret(Arc<str>);

impl Secret {
    pub fn new(s: impl Into<Arc<str>>) -> Secret {
        Secret(s.into())
    }

    /// The secret text. Call only where the value must really be used (an HTTP header, a password).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(secret)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(secret)")
    }
}

/// A string that is sensitive only when `is_secret` is set.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct OptionalSecret {
    pub value: Arc<str>,
    pub is_secret: bool,
}

impl OptionalSecret {
    pub fn new(value: impl Into<Arc<str>>, is_secret: bool) -> OptionalSecret {
        OptionalSecret {
            value: value.into(),
            is_secret,
        }
    }

    pub fn plain(value: impl Into<Arc<str>>) -> OptionalSecret {
        OptionalSecret::new(value, false)
    }

    pub fn secret(value: impl Into<Arc<str>>) -> OptionalSecret {
        OptionalSecret::new(value, true)
    }

    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for OptionalSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_secret {
            f.write_str("(secret)")
        } else {
            write!(f, "{}", go_quote(&self.value))
        }
    }
}

impl fmt::Display for OptionalSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

// ---------------------------------------------------------------------------------------------------------
// Capsules

type CapsuleEq = fn(&(dyn Any + Send + Sync), &(dyn Any + Send + Sync)) -> bool;

/// An opaque host value with a type name (`capsule("prometheus.Receiver")`). Only assignable to an
/// argument expecting the same Rust type.
#[derive(Clone)]
pub struct Capsule {
    type_name: Arc<str>,
    inner: Arc<dyn Any + Send + Sync>,
    eq: CapsuleEq,
    /// Some capsules can be looked into like an object (`capsule.field`); Alloy's `TryConvertToObject`.
    object: Option<Arc<Object>>,
}

fn capsule_eq<T: Any + PartialEq>(
    a: &(dyn Any + Send + Sync),
    b: &(dyn Any + Send + Sync),
) -> bool {
    match (a.downcast_ref::<T>(), b.downcast_ref::<T>()) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

impl Capsule {
    pub fn new<T: Any + Send + Sync + PartialEq>(
        type_name: impl Into<Arc<str>>,
        value: T,
    ) -> Capsule {
        Capsule {
            type_name: type_name.into(),
            inner: Arc::new(value),
            eq: capsule_eq::<T>,
            object: None,
        }
    }

    /// Lets expressions read fields of this capsule as if it were an object.
    pub fn with_object(mut self, object: Object) -> Capsule {
        self.object = Some(Arc::new(object));
        self
    }

    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.inner.downcast_ref::<T>()
    }

    pub fn as_object(&self) -> Option<&Arc<Object>> {
        self.object.as_ref()
    }
}

impl PartialEq for Capsule {
    fn eq(&self, other: &Capsule) -> bool {
        (self.eq)(self.inner.as_ref(), other.inner.as_ref())
    }
}

impl fmt::Debug for Capsule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "capsule({})", go_quote(&self.type_name))
    }
}

/// Implements [`FromValue`] and `Into<Value>` for a `Clone + PartialEq + Send + Sync` type so that it travels
/// as a capsule named `$name`:
///
/// ```text
/// #[derive(Clone, PartialEq)]
/// pub struct MetricsReceiver(Arc<dyn Appendable>);
/// ingot_syntax::capsule_type!(MetricsReceiver, "storage.Appendable");
/// ```
#[macro_export]
macro_rules! capsule_type {
    ($ty:ty, $name:expr) => {
        impl $crate::value::FromValue for $ty {
            fn from_value(
                value: &$crate::value::Value,
            ) -> ::std::result::Result<Self, $crate::value::ValueError> {
                $crate::value::capsule_from_value::<$ty>(value, $name)
            }
        }
        impl ::std::convert::From<$ty> for $crate::value::Value {
            fn from(v: $ty) -> $crate::value::Value {
                $crate::value::Value::Capsule($crate::value::Capsule::new($name, v))
            }
        }
    };
}

/// The body of [`capsule_type!`]'s `from_value`.
pub fn capsule_from_value<T: Any + Clone>(value: &Value, name: &str) -> Result<T, ValueError> {
    if let Value::Capsule(c) = value {
        if let Some(v) = c.downcast_ref::<T>() {
            return Ok(v.clone());
        }
    }
    Err(ValueError::new(format!(
        "expected capsule({}), got {}",
        go_quote(name),
        value.describe()
    )))
}

// ---------------------------------------------------------------------------------------------------------
// Functions

/// What a native function reports when it fails; the evaluator turns it into a positioned diagnostic.
#[derive(Clone, Debug, PartialEq)]
pub enum CallError {
    /// About the call as a whole (Go's `value.Error` on the function): shown after the callee's text.
    Function(String),
    /// About argument `index`, or about the part of it at `path`: shown after that argument's text.
    Arg { index: usize, error: ValueError },
    /// A message that stands alone.
    Plain(String),
}

impl CallError {
    pub fn arg(index: usize, error: ValueError) -> CallError {
        CallError::Arg { index, error }
    }
}

pub type NativeFn = fn(&[Value]) -> Result<Value, CallError>;

/// A native (standard library) function.
#[derive(Clone, Copy)]
pub struct Function {
    /// The full name (`string.format`), used in messages and stability checks.
    pub name: &'static str,
    pub func: NativeFn,
    /// Needs `--stability.level=experimental`.
    pub experimental: bool,
}

impl Function {
    pub fn call(&self, args: &[Value]) -> Result<Value, CallError> {
        (self.func)(args)
    }
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "function({})", self.name)
    }
}

// ---------------------------------------------------------------------------------------------------------
// Value

impl Value {
    pub fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }

    pub fn uint(u: u64) -> Value {
        Value::Number(Number::Uint(u))
    }

    pub fn float(f: f64) -> Value {
        Value::Number(Number::Float(f))
    }

    pub fn string(s: impl Into<Arc<str>>) -> Value {
        Value::String(s.into())
    }

    pub fn array(items: impl IntoIterator<Item = Value>) -> Value {
        Value::Array(Arc::new(items.into_iter().collect()))
    }

    pub fn object<K: Into<String>>(fields: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(Arc::new(
            fields.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        ))
    }

    pub fn empty_object() -> Value {
        Value::Object(Arc::new(Object::new()))
    }

    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Null => ValueType::Null,
            Value::Number(_) => ValueType::Number,
            Value::String(_) => ValueType::String,
            Value::Bool(_) => ValueType::Bool,
            Value::Array(_) => ValueType::Array,
            Value::Object(_) => ValueType::Object,
            Value::Function(_) => ValueType::Function,
            Value::Capsule(_) | Value::Secret(_) | Value::OptionalSecret(_) => ValueType::Capsule,
        }
    }

    /// The type name as Alloy prints it in "should be X, got Y" (secrets are capsules).
    pub fn type_name(&self) -> &'static str {
        self.value_type().name()
    }

    /// Like [`type_name`](Self::type_name) but naming the capsule's type (Go's `Value.Describe`).
    pub fn describe(&self) -> String {
        match self {
            Value::Capsule(c) => format!("capsule({})", go_quote(c.type_name())),
            Value::Secret(_) => "capsule(\"alloytypes.Secret\")".to_string(),
            Value::OptionalSecret(_) => "capsule(\"alloytypes.OptionalSecret\")".to_string(),
            other => other.type_name().to_string(),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<Number> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// A field of an object (or of a capsule that can be seen as one).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(o) => o.get(key),
            Value::Capsule(c) => c.as_object().and_then(|o| o.get(key)),
            _ => None,
        }
    }

    /// Strict structural equality, unlike `==` which follows Alloy (`1 == 1.0`): number kinds must match too.
    /// Meant for tests.
    pub fn strict_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Number(a), Value::Number(b)) => match (a, b) {
                (Number::Int(a), Number::Int(b)) => a == b,
                (Number::Uint(a), Number::Uint(b)) => a == b,
                (Number::Float(a), Number::Float(b)) => a.to_bits() == b.to_bits() || a == b,
                _ => false,
            },
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.strict_eq(y))
            }
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|((ka, va), (kb, vb))| ka == kb && va.strict_eq(vb))
            }
            (Value::Secret(a), Value::Secret(b)) => a == b,
            (Value::OptionalSecret(a), Value::OptionalSecret(b)) => a == b,
            _ => self == other,
        }
    }
}

impl PartialEq for Value {
    /// Alloy's deep equality (`==`): values of different types are never equal, numbers compare across
    /// kinds, functions are never equal, capsules compare their contents.
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => Arc::ptr_eq(a, b) || a == b,
            (Value::Object(a), Value::Object(b)) => Arc::ptr_eq(a, b) || a == b,
            (Value::Function(_), Value::Function(_)) => false,
            (Value::Capsule(a), Value::Capsule(b)) => a == b,
            (Value::Secret(a), Value::Secret(b)) => a == b,
            (Value::OptionalSecret(a), Value::OptionalSecret(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Value {
    /// Alloy syntax for the value, on one line: `[1, "a"]`, `{ a = 1, "b c" = 2 }`, `(secret)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => f.write_str(&go_quote(s)),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Array(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Value::Object(fields) => write_object(f, fields),
            Value::Function(_) => f.write_str("function"),
            Value::Capsule(c) => match c.as_object() {
                Some(o) => write_object(f, o),
                None => write!(f, "{c:?}"),
            },
            Value::Secret(s) => write!(f, "{s}"),
            Value::OptionalSecret(s) => write!(f, "{s}"),
        }
    }
}

fn write_object(f: &mut fmt::Formatter<'_>, fields: &Object) -> fmt::Result {
    if fields.is_empty() {
        return f.write_str("{}");
    }
    f.write_str("{ ")?;
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        if is_valid_identifier(k) {
            f.write_str(k)?;
        } else {
            f.write_str(&go_quote(k))?;
        }
        write!(f, " = {v}")?;
    }
    f.write_str(" }")
}

/// Whether `s` is an Alloy identifier (a letter or `_`, then letters, digits or `_`).
pub fn is_valid_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_alphanumeric())
}

// Conversions into values.

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.into())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s.into())
    }
}
impl From<Arc<str>> for Value {
    fn from(s: Arc<str>) -> Value {
        Value::String(s)
    }
}
impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}
macro_rules! from_signed {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(i: $t) -> Value { Value::Number(Number::Int(i as i64)) }
        }
    )*};
}
macro_rules! from_unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(u: $t) -> Value {
                let u = u as u64;
                // Ints where they fit, so that exported counters subtract like Alloy literals do.
                if u <= i64::MAX as u64 { Value::Number(Number::Int(u as i64)) } else { Value::Number(Number::Uint(u)) }
            }
        }
    )*};
}
from_signed!(i8, i16, i32, i64, isize);
from_unsigned!(u8, u16, u32, u64, usize);
impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Number(Number::Float(f))
    }
}
impl From<f32> for Value {
    fn from(f: f32) -> Value {
        Value::Number(Number::Float(f as f64))
    }
}
impl From<Secret> for Value {
    fn from(s: Secret) -> Value {
        Value::Secret(s)
    }
}
impl From<OptionalSecret> for Value {
    fn from(s: OptionalSecret) -> Value {
        Value::OptionalSecret(s)
    }
}
impl From<Capsule> for Value {
    fn from(c: Capsule) -> Value {
        Value::Capsule(c)
    }
}
impl From<Duration> for Value {
    /// Durations are strings in Alloy, written as Go prints them (`1h30m0s`).
    fn from(d: Duration) -> Value {
        Value::String(format_duration(d).into())
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Value {
        Value::Array(Arc::new(v.into_iter().map(Into::into).collect()))
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map(Into::into).unwrap_or(Value::Null)
    }
}
impl<T: Into<Value>> From<BTreeMap<String, T>> for Value {
    fn from(m: BTreeMap<String, T>) -> Value {
        Value::Object(Arc::new(
            m.into_iter().map(|(k, v)| (k, v.into())).collect(),
        ))
    }
}
impl<T: Into<Value>> From<HashMap<String, T>> for Value {
    fn from(m: HashMap<String, T>) -> Value {
        Value::Object(Arc::new(
            m.into_iter().map(|(k, v)| (k, v.into())).collect(),
        ))
    }
}

// ---------------------------------------------------------------------------------------------------------
// Conversion errors and FromValue

/// One step into a value: an array element or an object field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSeg {
    Index(usize),
    Field(String),
}

/// Why a value could not be converted, and where inside the value the problem is.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueError {
    /// From the outermost step to the innermost.
    pub path: Vec<PathSeg>,
    /// The text after the offending expression: `should be string, got array`.
    pub message: String,
}

impl ValueError {
    pub fn new(message: impl Into<String>) -> ValueError {
        ValueError {
            path: Vec::new(),
            message: message.into(),
        }
    }

    /// `should be <expected>, got <type of value>`, Alloy's type error.
    pub fn type_mismatch(expected: impl fmt::Display, got: &Value) -> ValueError {
        ValueError::new(format!("should be {expected}, got {}", got.type_name()))
    }

    /// The same error, one array element further out.
    pub fn in_element(mut self, index: usize) -> ValueError {
        self.path.insert(0, PathSeg::Index(index));
        self
    }

    /// The same error, one object field further out.
    pub fn in_field(mut self, key: impl Into<String>) -> ValueError {
        self.path.insert(0, PathSeg::Field(key.into()));
        self
    }

    /// The path as Alloy writes it after an expression: `.object.field1[2]`.
    pub fn path_string(&self) -> String {
        path_to_string(&self.path)
    }
}

pub(crate) fn path_to_string(path: &[PathSeg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            PathSeg::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
            PathSeg::Field(f) => {
                let _ = write!(s, ".{f}");
            }
        }
    }
    s
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{} {}", self.path_string(), self.message)
        }
    }
}

impl std::error::Error for ValueError {}

/// Conversion of an Alloy value into a Rust value, with Alloy's assignability rules: `null` gives the zero
/// value, numbers become strings (`24` → `"24"`), numeric strings become numbers, strings become secrets
/// but secrets never become strings.
pub trait FromValue: Sized {
    /// Whether values of this type are secrets: the runtime then never shows the attribute's value, even
    /// when the user wrote it as a plain string.
    const SENSITIVE: bool = false;

    fn from_value(value: &Value) -> Result<Self, ValueError>;
}

impl FromValue for Value {
    fn from_value(value: &Value) -> Result<Value, ValueError> {
        Ok(value.clone())
    }
}

/// A value seen as a string, if Alloy would convert it to one.
pub fn value_to_string(value: &Value) -> Result<Arc<str>, ValueError> {
    match value {
        Value::Null => Ok("".into()),
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string().into()),
        Value::OptionalSecret(s) if !s.is_secret => Ok(s.value.clone()),
        Value::OptionalSecret(_) | Value::Secret(_) => {
            Err(ValueError::new("secrets may not be converted into strings"))
        }
        other => Err(ValueError::type_mismatch(ValueType::String, other)),
    }
}

impl FromValue for String {
    fn from_value(value: &Value) -> Result<String, ValueError> {
        value_to_string(value).map(|s| s.to_string())
    }
}

impl FromValue for Arc<str> {
    fn from_value(value: &Value) -> Result<Arc<str>, ValueError> {
        value_to_string(value)
    }
}

impl FromValue for bool {
    fn from_value(value: &Value) -> Result<bool, ValueError> {
        match value {
            Value::Null => Ok(false),
            Value::Bool(b) => Ok(*b),
            other => Err(ValueError::type_mismatch(ValueType::Bool, other)),
        }
    }
}

/// A value seen as a number, with Alloy's string → number rule: a leading `-` parses as int64, text with
/// `.`, `e` or `E` as float64, anything else as uint64.
pub fn value_to_number(value: &Value) -> Result<Number, ValueError> {
    let text = match value {
        Value::Null => return Ok(Number::Int(0)),
        Value::Number(n) => return Ok(*n),
        Value::String(s) => s.clone(),
        Value::OptionalSecret(s) if !s.is_secret => s.value.clone(),
        other => return Err(ValueError::type_mismatch(ValueType::Number, other)),
    };
    let parsed = if text.starts_with('-') {
        text.parse::<i64>()
            .ok()
            .filter(|_| text[1..].bytes().all(|b| b.is_ascii_digit()))
            .map(Number::Int)
    } else if text.contains(['.', 'e', 'E']) {
        parse_go_float(&text).map(Number::Float)
    } else if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<u64>().ok().map(Number::Uint)
    } else {
        None
    };
    parsed.ok_or_else(|| ValueError::type_mismatch(ValueType::Number, value))
}

impl FromValue for Number {
    fn from_value(value: &Value) -> Result<Number, ValueError> {
        value_to_number(value)
    }
}

macro_rules! from_value_int {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            /// A whole number that fits. Alloy decodes numbers with Go's conversions, which wrap `-1` into
            /// an unsigned attribute as 18446744073709551615, truncate `1.5` to 1 and wrap what does not
            /// fit, all silently; ingot refuses these, saying what Go would have made of them.
            fn from_value(value: &Value) -> Result<$t, ValueError> {
                let n = value_to_number(value)?;
                let whole = match n {
                    Number::Int(i) => <$t>::try_from(i).ok(),
                    Number::Uint(u) => <$t>::try_from(u).ok(),
                    Number::Float(f) if f.is_finite() && f.fract() == 0.0 => {
                        let (lo, hi) = (<$t>::MIN as f64, <$t>::MAX as f64);
                        (f >= lo && f < hi + 1.0).then(|| f as $t)
                    }
                    Number::Float(_) => None,
                };
                whole.ok_or_else(|| {
                    let go = match n {
                        Number::Int(i) => i as $t,
                        Number::Uint(u) => u as $t,
                        Number::Float(f) => f as $t,
                    };
                    let why = match n {
                        Number::Float(f) if !(f.is_finite() && f.fract() == 0.0) => {
                            "is not a whole number".to_string()
                        }
                        _ if n.as_f64() < 0.0 && <$t>::MIN == 0 => "is negative".to_string(),
                        _ => format!("is out of range ({} to {})", <$t>::MIN, <$t>::MAX),
                    };
                    let kind = if <$t>::MIN == 0 { "a non-negative integer" } else { "an integer" };
                    ValueError::new(format!(
                        "{why}: expected {kind} (Alloy's conversion would silently make it {go})"
                    ))
                })
            }
        }
    )*};
}
from_value_int!(i64, i32, i16, i8, isize, u64, u32, u16, u8, usize);

impl FromValue for f64 {
    fn from_value(value: &Value) -> Result<f64, ValueError> {
        value_to_number(value).map(Number::as_f64)
    }
}

impl FromValue for f32 {
    fn from_value(value: &Value) -> Result<f32, ValueError> {
        value_to_number(value).map(|n| n.as_f64() as f32)
    }
}

impl<T: FromValue> FromValue for Option<T> {
    const SENSITIVE: bool = T::SENSITIVE;
    fn from_value(value: &Value) -> Result<Option<T>, ValueError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    const SENSITIVE: bool = T::SENSITIVE;
    fn from_value(value: &Value) -> Result<Vec<T>, ValueError> {
        match value {
            Value::Null => Ok(Vec::new()),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| T::from_value(item).map_err(|e| e.in_element(i)))
                .collect(),
            other => Err(ValueError::type_mismatch(ValueType::Array, other)),
        }
    }
}

/// The fields of an object value (or of a capsule that can be seen as one), for map-like targets.
fn object_fields(value: &Value) -> Result<Option<&Object>, ValueError> {
    match value {
        Value::Null => Ok(None),
        Value::Object(o) => Ok(Some(o)),
        Value::Capsule(c) if c.as_object().is_some() => Ok(c.as_object().map(|o| &**o)),
        other => Err(ValueError::type_mismatch(ValueType::Object, other)),
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    const SENSITIVE: bool = T::SENSITIVE;
    fn from_value(value: &Value) -> Result<BTreeMap<String, T>, ValueError> {
        let Some(fields) = object_fields(value)? else {
            return Ok(BTreeMap::new());
        };
        fields
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.clone(),
                    T::from_value(v).map_err(|e| e.in_field(k.clone()))?,
                ))
            })
            .collect()
    }
}

impl<T: FromValue> FromValue for HashMap<String, T> {
    const SENSITIVE: bool = T::SENSITIVE;
    fn from_value(value: &Value) -> Result<HashMap<String, T>, ValueError> {
        let Some(fields) = object_fields(value)? else {
            return Ok(HashMap::new());
        };
        fields
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.clone(),
                    T::from_value(v).map_err(|e| e.in_field(k.clone()))?,
                ))
            })
            .collect()
    }
}

impl FromValue for Secret {
    const SENSITIVE: bool = true;
    fn from_value(value: &Value) -> Result<Secret, ValueError> {
        match value {
            Value::Null => Ok(Secret::default()),
            Value::Secret(s) => Ok(s.clone()),
            Value::String(s) => Ok(Secret(s.clone())),
            Value::OptionalSecret(s) => Ok(Secret(s.value.clone())),
            other => Err(ValueError::type_mismatch(ValueType::Capsule, other)),
        }
    }
}

impl FromValue for OptionalSecret {
    fn from_value(value: &Value) -> Result<OptionalSecret, ValueError> {
        match value {
            Value::Null => Ok(OptionalSecret::default()),
            Value::Secret(s) => Ok(OptionalSecret::secret(s.0.clone())),
            Value::String(s) => Ok(OptionalSecret::plain(s.clone())),
            Value::OptionalSecret(s) => Ok(s.clone()),
            other => Err(ValueError::type_mismatch(ValueType::Capsule, other)),
        }
    }
}

impl FromValue for Capsule {
    /// Any capsule, whatever its type; use [`capsule_type!`] for a typed one.
    fn from_value(value: &Value) -> Result<Capsule, ValueError> {
        match value {
            Value::Capsule(c) => Ok(c.clone()),
            other => Err(ValueError::type_mismatch(ValueType::Capsule, other)),
        }
    }
}

impl FromValue for Duration {
    /// A Go duration string (`"1h30m"`, `"500ms"`); numbers are first turned into strings as Go does, so only
    /// `0` is accepted without a unit.
    fn from_value(value: &Value) -> Result<Duration, ValueError> {
        if value.is_null() {
            return Ok(Duration::ZERO);
        }
        let text = value_to_string(value)?;
        let nanos = parse_go_duration(&text).map_err(ValueError::new)?;
        if nanos < 0 {
            return Err(ValueError::new(format!(
                "duration {} must not be negative",
                go_quote(&text)
            )));
        }
        Ok(Duration::from_nanos(nanos as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_literals_follow_go_parse_int_base_zero() {
        let cases: &[(&str, &str)] = &[
            ("0", "Int(0)"),
            ("10", "Int(10)"),
            ("010", "Int(8)"),
            ("0777", "Int(511)"),
            ("09", "Float(9.0)"),
            ("9223372036854775807", "Int(9223372036854775807)"),
            ("9223372036854775808", "Uint(9223372036854775808)"),
            ("18446744073709551615", "Uint(18446744073709551615)"),
            ("18446744073709551616", "Float(1.8446744073709552e19)"),
            ("3.5", "Float(3.5)"),
            ("1e3", "Float(1000.0)"),
            (".5", "Float(0.5)"),
        ];
        for (lit, want) in cases {
            assert_eq!(
                format!("{:?}", Number::from_literal(lit).unwrap()),
                *want,
                "{lit}"
            );
        }
    }

    #[test]
    fn integers_refuse_what_go_would_wrap_or_truncate() {
        assert_eq!(u64::from_value(&(Value::int(5))).unwrap(), 5);
        assert_eq!(u64::from_value(&(Value::float(2.0))).unwrap(), 2);
        assert_eq!(i32::from_value(&(Value::int(-7))).unwrap(), -7);
        assert_eq!(u8::from_value(&(Value::int(255))).unwrap(), 255);
        let err = |r: Result<_, ValueError>| r.map(|_: u64| ()).unwrap_err().message;
        assert_eq!(
            err(u64::from_value(&Value::int(-1))),
            "is negative: expected a non-negative integer (Alloy's conversion would silently make it 18446744073709551615)"
        );
        assert_eq!(
            err(u64::from_value(&Value::float(1.5))),
            "is not a whole number: expected a non-negative integer (Alloy's conversion would silently make it 1)"
        );
        assert!(u64::from_value(&Value::float(f64::INFINITY)).is_err());
        assert!(u64::from_value(&Value::float(f64::NAN)).is_err());
        assert!(u64::from_value(&Value::float(18446744073709551616.0)).is_err());
        let e = u8::from_value(&Value::int(256)).unwrap_err().message;
        assert_eq!(
            e,
            "is out of range (0 to 255): expected a non-negative integer (Alloy's conversion would silently make it 0)"
        );
        let e = i8::from_value(&Value::int(-129)).unwrap_err().message;
        assert!(
            e.starts_with("is out of range (-128 to 127): expected an integer"),
            "{e}"
        );
    }

    #[test]
    fn numbers_print_like_go_to_string() {
        assert_eq!(Number::Float(0.9).to_string(), "0.9");
        assert_eq!(Number::Float(1e21).to_string(), "1000000000000000000000");
        assert_eq!(Number::Float(3.0).to_string(), "3");
        assert_eq!(Number::Float(f64::INFINITY).to_string(), "+Inf");
        assert_eq!(Number::Int(-3).to_string(), "-3");
    }

    #[test]
    fn conversions_follow_alloy_assignability() {
        assert_eq!(String::from_value(&Value::int(24)).unwrap(), "24");
        assert_eq!(String::from_value(&Value::float(0.9)).unwrap(), "0.9");
        assert_eq!(i64::from_value(&Value::string("12")).unwrap(), 12);
        assert_eq!(f64::from_value(&Value::string("12")).unwrap(), 12.0);
        assert_eq!(i64::from_value(&Value::string("-123")).unwrap(), -123);
        assert_eq!(
            f64::from_value(&Value::OptionalSecret(OptionalSecret::plain("23.5"))).unwrap(),
            23.5
        );
        assert_eq!(
            i64::from_value(&Value::string("abc")).unwrap_err().message,
            "should be number, got string"
        );
        assert_eq!(
            i64::from_value(&Value::string("")).unwrap_err().message,
            "should be number, got string"
        );
        assert_eq!(
            String::from_value(&Value::Secret(Secret::new("x")))
                .unwrap_err()
                .message,
            "secrets may not be converted into strings"
        );
        assert_eq!(
            String::from_value(&Value::OptionalSecret(OptionalSecret::secret("x")))
                .unwrap_err()
                .message,
            "secrets may not be converted into strings"
        );
        assert_eq!(
            Secret::from_value(&Value::string("pw")).unwrap().expose(),
            "pw"
        );
        assert_eq!(
            bool::from_value(&Value::string("true"))
                .unwrap_err()
                .message,
            "should be bool, got string"
        );
        let err = Vec::<String>::from_value(&Value::array([Value::int(1), Value::array([])]))
            .unwrap_err();
        assert_eq!(err.to_string(), "[1] should be string, got array");
        let err = BTreeMap::<String, Vec<i64>>::from_value(&Value::object([(
            "a",
            Value::array(["x".into()]),
        )]))
        .unwrap_err();
        assert_eq!(err.to_string(), ".a[0] should be number, got string");
        assert_eq!(String::from_value(&Value::Null).unwrap(), "");
        assert_eq!(Option::<String>::from_value(&Value::Null).unwrap(), None);
    }

    proptest::proptest! {
        #[test]
        fn integer_literals_keep_their_kind(u in proptest::prelude::any::<u64>()) {
            let n = Number::from_literal(&u.to_string()).unwrap();
            if u <= i64::MAX as u64 {
                proptest::prop_assert!(matches!(n, Number::Int(i) if i as u64 == u));
            } else {
                proptest::prop_assert!(matches!(n, Number::Uint(x) if x == u));
            }
        }
    }

    #[test]
    fn display_is_alloy_syntax() {
        let v = Value::object([
            ("a", Value::array([Value::int(1), "x".into(), Value::Null])),
            ("b c", Value::Secret(Secret::new("pw"))),
            ("d", Value::object::<String>([])),
        ]);
        assert_eq!(
            v.to_string(),
            r#"{ a = [1, "x", null], "b c" = (secret), d = {} }"#
        );
        assert_eq!(format!("{:?}", Secret::new("pw")), "(secret)");
    }
}
