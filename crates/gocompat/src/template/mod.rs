//! Go's `text/template`: the template language (`lex.rs`, `parse.rs`), its execution on dynamic values
//! (`exec.rs`) and Go's predefined functions with `fmt`'s printing (`funcs.rs`, `fmt.rs`).
//!
//! A template is parsed with the functions it may call (a [`Funcs`] table: Go's builtins plus whatever the
//! caller adds, such as the ones Alloy's `loki.process` adds), as Go's `template.New(name).Funcs(m).Parse`
//! does, and runs on a [`Val`] (Alloy's stages hand it a map of strings). What prints, and which templates
//! parse, are Go's: checked against Go 1.26.5 in `tests/oracle.rs`.
//!
//! Not implemented (refused when the template is parsed, with a message naming it): `define`, `template`
//! and `block` (templates calling other templates), complex number literals, and the `call` builtin.

mod exec;
mod fmt;
mod funcs;
mod lex;
mod parse;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use exec::{print_val, truth};
pub use fmt::sprintf;
pub use funcs::{builtins, Func, FuncImpl, Kind};
pub use lex::unquote;

/// A dynamic value, as `reflect.Value` holds one for a template.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// No value at all (Go's invalid `reflect.Value`: a missing map key); prints as `<no value>`.
    Missing,
    /// Go's `nil`.
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Val>),
    /// A `map[string]...`; ranges and prints in key order, as Go's `fmt` and templates do.
    Map(BTreeMap<String, Val>),
    /// A `map[string]string`: like [`Val::Map`], except that `index` of a missing key is `""`.
    StrMap(BTreeMap<String, String>),
}

impl Val {
    /// Go's type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Missing => "<nil>",
            Val::Nil => "<nil>",
            Val::Bool(_) => "bool",
            Val::Int(_) => "int",
            Val::Float(_) => "float64",
            Val::Str(_) => "string",
            Val::List(_) => "[]interface {}",
            Val::Map(_) => "map[string]interface {}",
            Val::StrMap(_) => "map[string]string",
        }
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Str(s.to_string())
    }
}

impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Str(s)
    }
}

/// The functions a template may call, by name.
pub type Funcs = BTreeMap<&'static str, Func>;

/// A parsed template.
#[derive(Clone)]
pub struct Template {
    name: String,
    text: String,
    root: Arc<parse::List>,
    funcs: Arc<Funcs>,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Template({:?})", self.text)
    }
}

impl PartialEq for Template {
    fn eq(&self, o: &Template) -> bool {
        self.name == o.name && self.text == o.text
    }
}

impl Template {
    /// `template.New(name).Funcs(funcs).Parse(text)`: errors as Go writes them
    /// (`template: NAME:LINE: why`).
    pub fn parse(name: &str, text: &str, funcs: Arc<Funcs>) -> Result<Template, String> {
        let root = parse::parse(name, text, &funcs)?;
        Ok(Template {
            name: name.to_string(),
            text: text.to_string(),
            root: Arc::new(root),
            funcs,
        })
    }

    /// The source text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// `Execute` with `data` as `.`: the output, or Go's error (what was written before it is lost, as a
    /// buffer the caller throws away would be).
    pub fn execute(&self, data: &Val) -> Result<String, String> {
        exec::execute(&self.name, &self.root, &self.funcs, data)
    }
}
