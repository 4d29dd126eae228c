//! Decoding a block body into a typed Rust struct, with Alloy's checks and messages.
//!
//! A component declares its arguments by implementing [`Decode`]; every field is one call on the
//! [`BodyDecoder`], and whatever the body contains that no call asked for is reported afterwards:
//!
//! ```text
//! struct Args { url: String, timeout: Duration, endpoints: Vec<Endpoint>, tls: Option<TlsConfig> }
//!
//! impl Decode for Args {
//!     fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
//!         Ok(Args {
//!             url: d.required("url")?,
//!             timeout: d.optional("timeout")?.unwrap_or(Duration::from_secs(10)),
//!             endpoints: d.blocks("endpoint")?,
//!             tls: d.block("tls_config")?,
//!         })
//!     }
//! }
//!
//! let args: Args = decode_args(&block, &mut evaluator)?;   // Err(Diagnostics) with every problem found
//! ```
//!
//! Messages are Alloy's: `missing required attribute "url"`, `unrecognized attribute name "frequenc"`,
//! `attribute "url" may only be provided once`, `block "tls_config" may only be specified once`,
//! `"endpoint" must be a block, but is used as an attribute`, `[0, 1, 2] should be string, got array`.
//!
//! A field's `?` ends the decoding of that body at its first failing field (later fields are not looked
//! at, and no `unrecognized` check is made since the unread names are unknown), but every block of a
//! repeated block and every body level report their own errors.

use std::collections::{BTreeMap, HashSet};

use crate::ast::{Attribute, Block, Body, Stmt};
use crate::diag::{Diagnostic, Diagnostics};
use crate::eval::Evaluator;
use crate::source::Span;
use crate::value::{FromValue, Object, Value, ValueError};

/// A decoding step failed; the reason has been recorded in the decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failed;

/// A type decoded from a block body.
pub trait Decode: Sized {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed>;
}

/// An empty block (`enabled {}`): only checks that nothing is inside.
impl Decode for () {
    fn decode(_: &mut BodyDecoder<'_, '_>) -> Result<(), Failed> {
        Ok(())
    }
}

/// A block of free-form attributes (`extra_labels { a = "b" }`), Alloy's map-typed block.
impl<T: FromValue> Decode for BTreeMap<String, T> {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        d.attributes_map()
    }
}

/// Decodes a whole body (a file's root, or a body without an enclosing block).
pub fn decode_body<T: Decode>(body: &Body, ev: &mut Evaluator<'_>) -> Result<T, Diagnostics> {
    let mut d = BodyDecoder::new(body, ev);
    let result = T::decode(&mut d);
    d.finish_after(result)
}

/// Decodes a component's arguments from its block body. The block's label is the component's name and is
/// not part of the arguments; the block gives "missing required …" errors a place.
pub fn decode_args<T: Decode>(block: &Block, ev: &mut Evaluator<'_>) -> Result<T, Diagnostics> {
    let mut d = BodyDecoder::new(&block.body, ev);
    d.block = Some(block);
    d.label_used = true;
    let result = T::decode(&mut d);
    d.finish_after(result)
}

/// Decodes a block, label included (the type asks for it with [`BodyDecoder::label`]).
pub fn decode_block<T: Decode>(block: &Block, ev: &mut Evaluator<'_>) -> Result<T, Diagnostics> {
    let mut d = BodyDecoder::for_block(block, ev);
    let result = T::decode(&mut d);
    d.finish_after(result)
}

/// Reads the attributes and blocks of one body; see the [module docs](self).
pub struct BodyDecoder<'e, 'a> {
    ev: &'e mut Evaluator<'a>,
    body: &'e [Stmt],
    block: Option<&'e Block>,
    used: Vec<bool>,
    label_used: bool,
    errors: Vec<Diagnostic>,
}

impl<'e, 'a> BodyDecoder<'e, 'a> {
    /// A decoder for a body. Attributes given twice are reported at once.
    pub fn new(body: &'e [Stmt], ev: &'e mut Evaluator<'a>) -> BodyDecoder<'e, 'a> {
        let mut d = BodyDecoder {
            ev,
            body,
            block: None,
            used: vec![false; body.len()],
            label_used: false,
            errors: Vec::new(),
        };
        let mut seen = HashSet::new();
        for (i, stmt) in body.iter().enumerate() {
            if let Stmt::Attribute(a) = stmt {
                if !seen.insert(a.name.name.as_str()) {
                    d.used[i] = true;
                    let msg = format!("attribute \"{}\" may only be provided once", a.name.name);
                    d.errors.push(Diagnostic::error(d.ev.file(), a.span(), msg));
                }
            }
        }
        d
    }

    /// A decoder for a block's body that also knows its label.
    pub fn for_block(block: &'e Block, ev: &'e mut Evaluator<'a>) -> BodyDecoder<'e, 'a> {
        let mut d = BodyDecoder::new(&block.body, ev);
        d.block = Some(block);
        d
    }

    /// The evaluator, for expressions a component evaluates itself.
    pub fn evaluator(&mut self) -> &mut Evaluator<'a> {
        self.ev
    }

    /// The block being decoded, if any.
    pub fn current_block(&self) -> Option<&'e Block> {
        self.block
    }

    // Attributes.

    /// A required attribute.
    pub fn required<T: FromValue>(&mut self, name: &str) -> Result<T, Failed> {
        match self.attribute(name)? {
            Some(attr) => self.eval_attr(attr),
            None => Err(self.missing(format!("missing required attribute \"{name}\""))),
        }
    }

    /// An optional attribute: `None` when absent. (An explicit `null` gives the type's zero value, as in
    /// Alloy, not `None`, unless `T` is itself an `Option`.)
    pub fn optional<T: FromValue>(&mut self, name: &str) -> Result<Option<T>, Failed> {
        match self.attribute(name)? {
            Some(attr) => self.eval_attr(attr).map(Some),
            None => Ok(None),
        }
    }

    /// An optional attribute with a default.
    pub fn optional_or<T: FromValue>(&mut self, name: &str, default: T) -> Result<T, Failed> {
        Ok(self.optional(name)?.unwrap_or(default))
    }

    /// The attribute's statement without evaluating it (marks it as read).
    pub fn attribute(&mut self, name: &str) -> Result<Option<&'e Attribute>, Failed> {
        let mut found = None;
        let mut misused = None;
        for (i, stmt) in self.body.iter().enumerate() {
            match stmt {
                Stmt::Attribute(a) if a.name.name == name && found.is_none() => {
                    found = Some(a);
                    self.used[i] = true;
                }
                Stmt::Block(b) if b.name_string() == name && !self.used[i] => {
                    self.used[i] = true;
                    misused.get_or_insert(b.span());
                }
                _ => {}
            }
        }
        if let Some(span) = misused {
            return Err(self.fail_at(
                span,
                format!("\"{name}\" must be an attribute, but is used as a block"),
            ));
        }
        Ok(found)
    }

    /// Marks whatever is left of the body as read, without evaluating it: for a block that is refused as a
    /// whole, whose contents should not produce errors of their own.
    pub fn skip_rest(&mut self) {
        for u in self.used.iter_mut() {
            *u = true;
        }
    }

    /// Whether the body sets the attribute.
    pub fn has(&self, name: &str) -> bool {
        self.body
            .iter()
            .any(|s| matches!(s, Stmt::Attribute(a) if a.name.name == name))
    }

    /// Every attribute of the body as a map (and no blocks allowed): Alloy's map-typed block.
    pub fn attributes_map<T: FromValue>(&mut self) -> Result<BTreeMap<String, T>, Failed> {
        if let Some(block) = self.block {
            self.label_used = true;
            if block.label.as_ref().is_some_and(|l| !l.value.is_empty()) {
                let span = block.name_span().to(block.lcurly);
                return Err(self.fail_at(
                    span,
                    format!("block \"{}\" requires empty label", block.name_string()),
                ));
            }
        }
        let mut out = BTreeMap::new();
        let mut failed = false;
        for (i, stmt) in self.body.iter().enumerate() {
            if self.used[i] {
                continue;
            }
            self.used[i] = true;
            match stmt {
                Stmt::Attribute(a) => match self.eval_attr::<T>(a) {
                    Ok(v) => {
                        out.insert(a.name.name.to_string(), v);
                    }
                    Err(Failed) => failed = true,
                },
                Stmt::Block(b) => {
                    self.fail_at(b.span(), "nested blocks not supported here");
                    failed = true;
                }
            }
        }
        if failed {
            Err(Failed)
        } else {
            Ok(out)
        }
    }

    // Blocks.

    /// An optional block that may appear once.
    pub fn block<T: Decode>(&mut self, name: &str) -> Result<Option<T>, Failed> {
        let blocks = self.take_blocks(name)?;
        if let Some(second) = blocks.get(1) {
            return Err(self.fail_at(
                second.span(),
                format!("block \"{name}\" may only be specified once"),
            ));
        }
        match blocks.first() {
            Some(b) => self.decode_child(b).map(Some),
            None => Ok(None),
        }
    }

    /// An optional block that may appear once, decoded by `f` rather than by a type: for blocks whose shape
    /// is data (a table of attribute names and types).
    pub fn block_with<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut BodyDecoder<'_, '_>) -> Result<T, Failed>,
    ) -> Result<Option<T>, Failed> {
        let blocks = self.take_blocks(name)?;
        if let Some(second) = blocks.get(1) {
            return Err(self.fail_at(
                second.span(),
                format!("block \"{name}\" may only be specified once"),
            ));
        }
        let Some(&block) = blocks.first() else {
            return Ok(None);
        };
        let mut f = Some(f);
        self.decode_all(std::iter::once((block, ())), |d, _, ()| {
            (f.take().expect("one block"))(d)
        })
        .map(|mut v| v.pop())
    }

    /// A block that must appear exactly once.
    pub fn required_block<T: Decode>(&mut self, name: &str) -> Result<T, Failed> {
        match self.block(name)? {
            Some(v) => Ok(v),
            None => Err(self.missing(format!("missing required block \"{name}\""))),
        }
    }

    /// A block that may be repeated, in source order. Every instance is decoded and reports its errors.
    pub fn blocks<T: Decode>(&mut self, name: &str) -> Result<Vec<T>, Failed> {
        let blocks = self.take_blocks(name)?;
        self.decode_all(blocks.into_iter().map(|b| (b, ())), |d, _, ()| T::decode(d))
    }

    /// Blocks of several names that form one ordered list (Alloy's enum blocks, such as `loki.process`
    /// stages): each block in source order is decoded by `f`, which gets the block's full name.
    pub fn enum_blocks<T>(
        &mut self,
        names: &[&str],
        mut f: impl FnMut(&str, &mut BodyDecoder<'_, '_>) -> Result<T, Failed>,
    ) -> Result<Vec<T>, Failed> {
        let mut blocks = Vec::new();
        for name in names {
            for b in self.take_blocks(name)? {
                blocks.push((b, b.name_string()));
            }
        }
        blocks.sort_by_key(|(b, _)| b.span().start);
        self.decode_all(blocks.into_iter(), |d, _, name| f(&name, d))
    }

    /// The label of the block being decoded (`None` for no label or `""`). Asking for it allows it; a label
    /// nobody asked for is reported by [`finish`](Self::finish).
    pub fn label(&mut self) -> Option<&'e str> {
        self.label_used = true;
        self.block
            .and_then(|b| b.label.as_ref())
            .map(|l| l.value.as_str())
            .filter(|l| !l.is_empty())
    }

    /// A label that must be present and non-empty.
    pub fn required_label(&mut self) -> Result<String, Failed> {
        match self.label() {
            Some(l) => Ok(l.to_string()),
            None => {
                let (span, name) = match self.block {
                    Some(b) => (b.name_span().to(b.lcurly), b.name_string()),
                    None => (Span::default(), String::new()),
                };
                Err(self.fail_at(span, format!("block \"{name}\" requires non-empty label")))
            }
        }
    }

    // Errors.

    /// Records an error about the block being decoded (validation of the decoded values).
    pub fn error(&mut self, msg: impl Into<String>) -> Failed {
        let span = self.block.map(|b| b.name_span()).unwrap_or_default();
        match self.block {
            Some(_) => self.fail_at(span, msg),
            None => {
                self.errors.push(Diagnostic::global(msg));
                Failed
            }
        }
    }

    /// Records an error about an attribute's value (validation), placed at the attribute.
    pub fn error_at_attr(&mut self, name: &str, msg: impl Into<String>) -> Failed {
        let span = self.body.iter().find_map(|s| match s {
            Stmt::Attribute(a) if a.name.name == name => Some(a.value.span),
            _ => None,
        });
        match span {
            Some(span) => self.fail_at(span, msg),
            None => self.error(msg),
        }
    }

    /// Records an error at a span of the file being decoded.
    pub fn fail_at(&mut self, span: Span, msg: impl Into<String>) -> Failed {
        self.errors
            .push(Diagnostic::error(self.ev.file(), span, msg));
        Failed
    }

    /// The errors recorded so far.
    pub fn errors(&self) -> &[Diagnostic] {
        &self.errors
    }

    /// Reports what nobody asked for (`unrecognized attribute name "x"`, `unrecognized block name "x"`, an
    /// unexpected label) and returns all errors, if any.
    pub fn finish(mut self) -> Result<(), Diagnostics> {
        self.check_unused();
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Diagnostics(self.errors))
        }
    }

    /// Ends decoding with the decode function's result: the value when nothing at all went wrong.
    pub fn finish_after<T>(mut self, result: Result<T, Failed>) -> Result<T, Diagnostics> {
        if result.is_ok() {
            self.check_unused();
        }
        match result {
            Ok(v) if self.errors.is_empty() => Ok(v),
            _ => {
                if self.errors.is_empty() {
                    // A decode function returned Failed without recording why: still an error.
                    self.error("invalid block");
                }
                Err(Diagnostics(self.errors))
            }
        }
    }

    fn check_unused(&mut self) {
        for (i, stmt) in self.body.iter().enumerate() {
            if self.used[i] {
                continue;
            }
            self.used[i] = true;
            let d = match stmt {
                Stmt::Attribute(a) => Diagnostic::error(
                    self.ev.file(),
                    a.span(),
                    format!("unrecognized attribute name \"{}\"", a.name.name),
                ),
                Stmt::Block(b) => Diagnostic::error(
                    self.ev.file(),
                    b.span(),
                    format!("unrecognized block name \"{}\"", b.name_string()),
                ),
            };
            self.errors.push(d);
        }
        if !self.label_used {
            self.label_used = true;
            if let Some(b) = self.block {
                if b.label.as_ref().is_some_and(|l| !l.value.is_empty()) {
                    let msg = format!(
                        "block \"{}\" does not support specifying labels",
                        b.name_string()
                    );
                    self.errors.push(Diagnostic::error(
                        self.ev.file(),
                        b.name_span().to(b.lcurly),
                        msg,
                    ));
                }
            }
        }
    }

    fn missing(&mut self, msg: String) -> Failed {
        match self.block {
            Some(b) => self.fail_at(b.name_span(), msg),
            None => {
                self.errors.push(Diagnostic::global(msg));
                Failed
            }
        }
    }

    fn eval_attr<T: FromValue>(&mut self, attr: &Attribute) -> Result<T, Failed> {
        if T::SENSITIVE {
            self.ev.mark_sensitive(attr.value.span);
        }
        match self.ev.eval_as::<T>(&attr.value) {
            Ok(v) => Ok(v),
            Err(d) => {
                self.errors.push(d);
                Err(Failed)
            }
        }
    }

    /// Marks and returns the blocks of a name; an attribute of that name is an error.
    fn take_blocks(&mut self, name: &str) -> Result<Vec<&'e Block>, Failed> {
        let mut blocks = Vec::new();
        let mut misused = None;
        for (i, stmt) in self.body.iter().enumerate() {
            match stmt {
                Stmt::Block(b) if b.name_string() == name => {
                    self.used[i] = true;
                    blocks.push(b);
                }
                Stmt::Attribute(a) if a.name.name == name && !self.used[i] => {
                    self.used[i] = true;
                    misused.get_or_insert(a.span());
                }
                _ => {}
            }
        }
        if let Some(span) = misused {
            return Err(self.fail_at(
                span,
                format!("\"{name}\" must be a block, but is used as an attribute"),
            ));
        }
        Ok(blocks)
    }

    fn decode_child<T: Decode>(&mut self, block: &'e Block) -> Result<T, Failed> {
        self.decode_all(std::iter::once((block, ())), |d, _, ()| T::decode(d))
            .map(|mut v| v.remove(0))
    }

    fn decode_all<T, X>(
        &mut self,
        blocks: impl Iterator<Item = (&'e Block, X)>,
        mut f: impl FnMut(&mut BodyDecoder<'_, '_>, &Block, X) -> Result<T, Failed>,
    ) -> Result<Vec<T>, Failed> {
        let mut out = Vec::new();
        let mut failed = false;
        for (block, extra) in blocks {
            let mut child = BodyDecoder::for_block(block, &mut *self.ev);
            let result = f(&mut child, block, extra);
            match child.finish_after(result) {
                Ok(v) => out.push(v),
                Err(diags) => {
                    self.errors.extend(diags);
                    failed = true;
                }
            }
        }
        if failed {
            Err(Failed)
        } else {
            Ok(out)
        }
    }
}

/// Reads an object value field by field, for [`FromValue`] implementations of struct-like attribute values
/// (`key = { name = "x", port = 80 }`). Errors carry the path into the value, so they point at the field.
pub struct ObjectDecoder<'v> {
    fields: &'v Object,
    used: HashSet<&'v str>,
}

impl<'v> ObjectDecoder<'v> {
    pub fn new(value: &'v Value) -> Result<ObjectDecoder<'v>, ValueError> {
        match value {
            Value::Object(o) => Ok(ObjectDecoder {
                fields: o,
                used: HashSet::new(),
            }),
            Value::Capsule(c) if c.as_object().is_some() => Ok(ObjectDecoder {
                fields: c.as_object().expect("checked"),
                used: HashSet::new(),
            }),
            other => Err(ValueError::type_mismatch(
                crate::value::ValueType::Object,
                other,
            )),
        }
    }

    pub fn required<T: FromValue>(&mut self, key: &str) -> Result<T, ValueError> {
        match self.optional(key)? {
            Some(v) => Ok(v),
            None => Err(ValueError::new(format!("missing required field \"{key}\""))),
        }
    }

    pub fn optional<T: FromValue>(&mut self, key: &str) -> Result<Option<T>, ValueError> {
        match self.fields.get_key_value(key) {
            Some((k, v)) => {
                self.used.insert(k.as_str());
                T::from_value(v).map(Some).map_err(|e| e.in_field(key))
            }
            None => Ok(None),
        }
    }

    /// Fails on the first field nobody asked for, as Alloy does (`… does not have field named "x"`).
    pub fn finish(self) -> Result<(), ValueError> {
        for key in self.fields.keys() {
            if !self.used.contains(key.as_str()) {
                return Err(
                    ValueError::new(format!("does not have field named \"{key}\""))
                        .in_field(key.clone()),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
