//! The Alloy configuration language: scanner, parser, syntax tree, formatter, values, evaluation and the
//! standard library. No IO beyond what the standard library functions need, no async.

pub mod ast;
pub mod decode;
pub mod diag;
pub mod eval;
pub mod limits;
pub mod parser;
pub mod printer;
pub mod scanner;
pub mod source;
pub mod stdlib;
pub mod token;
pub mod value;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use source::{Position, SourceFile, Span};
