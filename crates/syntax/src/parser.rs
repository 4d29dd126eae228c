//! The parser: tokens into a syntax tree plus diagnostics. It never panics and never stops at the first error;
//! like Alloy's, it reports at most one error per line so that one mistake does not cascade.
//!
//! The one error it stops at is nesting past [`MAX_NESTING_DEPTH`]: every later walk over the tree recurses
//! once per level, so no tree deeper than that is ever built. The parser counts the levels of the tree it is
//! building, not its own recursion: `a.b.c` and `1 + 2 + 3` are parsed in a loop, but each accessor or operator
//! wraps the expression before it, one level deeper.

use std::sync::Arc;

use crate::ast::Name;
use crate::ast::{
    self, BinaryOp, Body, Expr, ExprKind, Ident, Literal, ObjectField, Stmt, UnaryOp,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::limits::{nesting_message, MAX_NESTING_DEPTH};
use crate::scanner::{unquote, Scanner, Token};
use crate::source::{SourceFile, Span};
use crate::token::TokenKind;

/// Parses a whole file. The tree is returned even when there are errors (with what could be recovered).
///
/// A file nested past [`MAX_NESTING_DEPTH`] gets one error, where the limit was passed, and parsing stops
/// there: the tree returned holds what came before.
pub fn parse_file(source: Arc<SourceFile>) -> (ast::File, Diagnostics) {
    let mut p = Parser::new(&source);
    let body = p.parse_body(TokenKind::Eof);
    let (comments, diags) = p.finish();
    (
        ast::File {
            source,
            body,
            comments,
        },
        diags,
    )
}

/// Parses a single expression; the whole text must be that one expression.
pub fn parse_expression(source: Arc<SourceFile>) -> (Option<Expr>, Diagnostics) {
    let mut p = Parser::new(&source);
    let (expr, _) = p.parse_expression();
    if p.tok.kind == TokenKind::Terminator {
        p.next();
    }
    if p.tok.kind != TokenKind::Eof {
        p.error_at_token(format!("expected EOF, got {}", p.tok.kind));
    }
    let (_, diags) = p.finish();
    (Some(expr), diags)
}

/// A block or attribute name as read before knowing which it is: `a.b.c "label"`.
struct StatementName {
    fragments: Vec<Ident>,
    label: Option<ast::Label>,
}

struct Parser<'a> {
    file: &'a Arc<SourceFile>,
    src: &'a str,
    scanner: Scanner<'a>,
    tok: Token,
    comments: Vec<ast::Comment>,
    diags: Diagnostics,
    /// Line of the last reported error, to report at most one per line.
    last_error_line: u32,
    scan_errors_seen: usize,
    /// Levels of the tree above the node being parsed (blocks, brackets, operators, ...).
    depth: u32,
    /// Set once the nesting limit was passed: parsing stops (every token after is taken as the end of the file).
    too_deep: bool,
}

/// The height of a parsed expression: how many levels it adds below the place it sits at (a literal adds none,
/// `(1)` one, `a.b.c` two).
type Height = u32;

impl<'a> Parser<'a> {
    fn new(file: &'a Arc<SourceFile>) -> Parser<'a> {
        let src = file.text();
        let mut p = Parser {
            file,
            src,
            scanner: Scanner::new(src),
            tok: Token {
                kind: TokenKind::Eof,
                span: Span::default(),
            },
            comments: Vec::new(),
            diags: Diagnostics::new(),
            last_error_line: 0,
            scan_errors_seen: 0,
            depth: 0,
            too_deep: false,
        };
        p.next();
        p
    }

    fn finish(mut self) -> (Vec<ast::Comment>, Diagnostics) {
        self.drain_scan_errors();
        // Scanner errors were merged in as they came; keep the report in source order.
        self.diags
            .0
            .sort_by_key(|d| d.location.as_ref().map(|(_, s)| s.start));
        (self.comments, self.diags)
    }

    fn drain_scan_errors(&mut self) {
        while self.scan_errors_seen < self.scanner.errors.len() {
            let e = &self.scanner.errors[self.scan_errors_seen];
            let d = Diagnostic::error(self.file, Span::at(e.offset), e.message.clone());
            self.diags.push(d);
            self.scan_errors_seen += 1;
        }
    }

    /// Advances to the next non-comment token, keeping comments aside.
    fn next(&mut self) {
        if self.too_deep {
            return;
        }
        loop {
            self.tok = self.scanner.next_token();
            if self.tok.kind != TokenKind::Comment {
                break;
            }
            let text = &self.src[self.tok.span.range()];
            let text = if text.contains('\r') {
                Name::from(text.replace('\r', ""))
            } else {
                Name::new(text)
            };
            self.comments.push(ast::Comment {
                span: self.tok.span,
                text,
            });
        }
        if self.scanner.errors.len() > self.scan_errors_seen {
            self.drain_scan_errors();
        }
    }

    fn text(&self, tok: Token) -> &'a str {
        &self.src[tok.span.range()]
    }

    fn error_at(&mut self, span: Span, message: impl Into<String>) {
        if self.too_deep {
            // Parsing stopped at the nesting limit: what follows is not an error of the file.
            return;
        }
        let line = self.file.line_of(span.start);
        if line == self.last_error_line {
            return;
        }
        self.last_error_line = line;
        self.diags.push(Diagnostic::error(self.file, span, message));
    }

    fn error_at_token(&mut self, message: impl Into<String>) {
        self.error_at(self.tok.span, message);
    }

    /// Reports nesting past the limit at `span` and stops parsing: the current token becomes the end of the
    /// file, so that every construct being parsed ends at once, keeping what it has.
    fn too_deep_at(&mut self, span: Span) {
        if self.too_deep {
            return;
        }
        self.error_at(span, nesting_message());
        self.too_deep = true;
        self.tok = Token {
            kind: TokenKind::Eof,
            span: Span::at(self.src.len() as u32),
        };
    }

    /// Goes one level down for what the current token opens; false (and parsing stops) when that level would
    /// pass the limit. Each `enter` that succeeded is paired with a [`leave`](Self::leave).
    fn enter(&mut self) -> bool {
        if self.too_deep {
            return false;
        }
        if self.depth >= MAX_NESTING_DEPTH {
            self.too_deep_at(self.tok.span);
            return false;
        }
        self.depth += 1;
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Whether a node of `height` may sit at the current level; if not, reports it at `span` (the accessor or
    /// operator that would make it) and stops parsing.
    fn fits(&mut self, height: Height, span: Span) -> bool {
        if self.depth + height > MAX_NESTING_DEPTH {
            self.too_deep_at(span);
            return false;
        }
        !self.too_deep
    }

    fn expect(&mut self, kind: TokenKind) -> Span {
        let span = self.tok.span;
        if self.tok.kind != kind {
            self.error_at_token(format!("expected {}, got {}", kind, self.tok.kind));
        }
        self.next();
        span
    }

    /// Skips the rest of a broken statement: up to its terminator, or to an unmatched `}` (left in place, as it
    /// closes the enclosing block).
    fn consume_statement(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.tok.kind {
                TokenKind::Eof => return,
                TokenKind::LCurly => depth += 1,
                TokenKind::RCurly => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                TokenKind::Terminator if depth == 0 => return,
                _ => {}
            }
            self.next();
        }
    }

    fn parse_body(&mut self, until: TokenKind) -> Body {
        let mut body = Vec::new();
        while self.tok.kind != until && self.tok.kind != TokenKind::Eof {
            if let Some(stmt) = self.parse_statement() {
                body.push(stmt);
            }
            if self.tok.kind == until || self.tok.kind == TokenKind::Eof {
                break;
            }
            if self.tok.kind != TokenKind::Terminator {
                self.error_at_token(format!(
                    "expected {}, got {}",
                    TokenKind::Terminator,
                    self.tok.kind
                ));
                self.consume_statement();
                if self.tok.kind == until || self.tok.kind == TokenKind::Eof {
                    break;
                }
            }
            self.next();
        }
        body
    }

    fn parse_statement(&mut self) -> Option<Stmt> {
        let name = self.parse_statement_name()?;
        match self.tok.kind {
            TokenKind::Assign => self.parse_attribute(name),
            TokenKind::LCurly => Some(self.parse_block(name)),
            _ => {
                self.error_at_token(format!(
                    "expected attribute assignment or block body, got {}",
                    self.tok.kind
                ));
                self.consume_statement();
                None
            }
        }
    }

    /// `name = value`, at the `=`.
    fn parse_attribute(&mut self, name: StatementName) -> Option<Stmt> {
        self.next();
        if name.fragments.len() != 1 {
            let span = name.fragments[0]
                .span
                .to(name.fragments[name.fragments.len() - 1].span);
            self.error_at(
                span,
                r#"attribute names may only consist of a single identifier with no ".""#,
            );
        } else if let Some(label) = &name.label {
            self.error_at(label.span, "attribute names may not have labels");
        }
        let (value, _) = self.parse_expression();
        let value = self.reject_block_as_expression(value);
        let name = name.fragments.into_iter().next()?;
        Some(Stmt::Attribute(ast::Attribute { name, value }))
    }

    /// `name "label" { body }`, at the `{`: the body is one level down.
    fn parse_block(&mut self, name: StatementName) -> Stmt {
        let entered = self.enter();
        let lcurly = self.expect(TokenKind::LCurly);
        let body = if entered {
            let body = self.parse_body(TokenKind::RCurly);
            self.leave();
            body
        } else {
            Vec::new()
        };
        let rcurly = self.expect(TokenKind::RCurly);
        Stmt::Block(ast::Block {
            name: name.fragments,
            label: name.label,
            body,
            lcurly,
            rcurly,
        })
    }

    /// `attr = some.component "label" { ... }`: the user wrote a block where a value belongs. Say so and skip
    /// the whole block, so that its body does not cause a cascade of errors.
    fn reject_block_as_expression(&mut self, value: Expr) -> Expr {
        let looks_like_name = {
            let mut e = &value;
            loop {
                match &e.kind {
                    ExprKind::Ident(_) => break true,
                    ExprKind::Access { value, .. } => e = value,
                    _ => break false,
                }
            }
        };
        if !looks_like_name || !matches!(self.tok.kind, TokenKind::String | TokenKind::LCurly) {
            return value;
        }
        if self.tok.kind == TokenKind::String {
            self.next();
            if self.tok.kind != TokenKind::LCurly {
                self.error_at_token(format!(
                    "expected {}, got {}",
                    TokenKind::LCurly,
                    self.tok.kind
                ));
                self.consume_statement();
                return value;
            }
        }
        self.error_at(value.span, "cannot use a block as an expression");
        if self.enter() {
            self.next();
            self.parse_body(TokenKind::RCurly);
            self.leave();
            self.expect(TokenKind::RCurly);
        }
        value
    }

    fn ident(&self) -> Ident {
        Ident {
            name: Name::new(self.text(self.tok)),
            span: self.tok.span,
        }
    }

    fn parse_statement_name(&mut self) -> Option<StatementName> {
        if self.tok.kind != TokenKind::Ident {
            self.error_at_token(format!(
                "expected {}, got {}",
                TokenKind::Ident,
                self.tok.kind
            ));
            self.consume_statement();
            return None;
        }
        let mut fragments = Vec::new();
        while self.tok.kind == TokenKind::Ident {
            fragments.push(self.ident());
            self.next();
            if self.tok.kind != TokenKind::Dot {
                break;
            }
            self.next();
        }
        let mut label = None;
        if self.tok.kind != TokenKind::Assign && self.tok.kind != TokenKind::LCurly {
            if self.tok.kind == TokenKind::String {
                let raw = self.text(self.tok);
                if !raw.starts_with('"') {
                    self.error_at_token(crate::printer::raw_label_message(raw));
                }
                // The label is the text between the quotes, taken verbatim; it must be an identifier (or empty).
                let value = strip_quotes(raw);
                if !value.is_empty() && !is_identifier(value) {
                    self.error_at_token(format!(
                        "expected block label to be a valid identifier, but got {}",
                        crate::value::go_quote(value)
                    ));
                }
                label = Some(ast::Label {
                    value: Name::new(value),
                    raw: Name::new(raw),
                    span: self.tok.span,
                });
            } else {
                self.error_at_token(format!("expected block label, got {}", self.tok.kind));
            }
            self.next();
        }
        Some(StatementName { fragments, label })
    }

    fn parse_expression(&mut self) -> (Expr, Height) {
        self.parse_binary(1)
    }

    // The functions on the path of the recursion (an expression inside brackets inside an expression...) are
    // split so that each keeps only its own locals: in a debug build a frame holds every local of its function,
    // and the deepest configuration allowed must stay well within a 2 MiB stack.

    fn parse_binary(&mut self, min_precedence: u8) -> (Expr, Height) {
        let (mut lhs, mut height) = self.parse_unary();
        loop {
            let precedence = self.tok.kind.binary_precedence();
            if precedence == 0 || precedence < min_precedence || self.too_deep {
                return (lhs, height);
            }
            (lhs, height) = self.parse_binary_rhs(lhs, height, precedence);
        }
    }

    /// The operator at the current token and its right operand, applied to `lhs`; `lhs` back unchanged if that
    /// passes the nesting limit.
    fn parse_binary_rhs(&mut self, lhs: Expr, height: Height, precedence: u8) -> (Expr, Height) {
        let op = binary_op(self.tok.kind);
        let op_span = self.tok.span;
        // The right operand sits one level below the operator.
        if !self.enter() {
            return (lhs, height);
        }
        self.next();
        // `^` is right-associative; everything else is left-associative.
        let rhs = if op == BinaryOp::Pow {
            self.parse_binary(precedence)
        } else {
            self.parse_binary(precedence + 1)
        };
        self.leave();
        self.binary_node(op, op_span, (lhs, height), rhs)
    }

    fn binary_node(
        &mut self,
        op: BinaryOp,
        op_span: Span,
        (lhs, height): (Expr, Height),
        (rhs, rhs_height): (Expr, Height),
    ) -> (Expr, Height) {
        // The operator wraps the left operand too: a long chain is a deep tree.
        let new_height = height.max(rhs_height) + 1;
        if !self.fits(new_height, op_span) {
            return (lhs, height);
        }
        let span = lhs.span.to(rhs.span);
        let expr = Expr {
            kind: ExprKind::Binary {
                op,
                op_span,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            span,
        };
        (expr, new_height)
    }

    fn parse_unary(&mut self) -> (Expr, Height) {
        let op = match self.tok.kind {
            TokenKind::Not => UnaryOp::Not,
            TokenKind::Sub => UnaryOp::Neg,
            _ => return self.parse_postfix(),
        };
        let op_span = self.tok.span;
        if !self.enter() {
            return (null_at(op_span), 0);
        }
        self.next();
        let operand = self.parse_unary();
        self.leave();
        unary_node(op, op_span, operand)
    }

    fn parse_postfix(&mut self) -> (Expr, Height) {
        let (mut expr, mut height) = self.parse_primary();
        loop {
            let step: fn(&mut Self, Expr, Height) -> (Expr, Height) = match self.tok.kind {
                TokenKind::Dot => Self::parse_access,
                TokenKind::LBrack => Self::parse_index,
                TokenKind::LParen => Self::parse_call,
                _ => return (expr, height),
            };
            (expr, height) = step(self, expr, height);
            if self.too_deep {
                return (expr, height);
            }
        }
    }

    /// `expr.name`; `expr` back unchanged if that passes the nesting limit.
    fn parse_access(&mut self, expr: Expr, height: Height) -> (Expr, Height) {
        let dot = self.tok.span;
        if !self.fits(height + 1, dot) {
            return (expr, height);
        }
        self.next();
        let name = self.ident();
        if self.tok.kind != TokenKind::Ident {
            self.error_at_token(format!(
                "expected {}, got {}",
                TokenKind::Ident,
                self.tok.kind
            ));
        }
        self.next();
        let span = expr.span.to(name.span);
        let expr = Expr {
            kind: ExprKind::Access {
                value: Box::new(expr),
                name,
            },
            span,
        };
        (expr, height + 1)
    }

    /// `expr[index]`; `expr` back unchanged if that passes the nesting limit.
    fn parse_index(&mut self, expr: Expr, height: Height) -> (Expr, Height) {
        let lbrack = self.tok.span;
        if !self.enter() {
            return (expr, height);
        }
        self.next();
        let (index, index_height) = self.parse_expression();
        self.leave();
        let height = height.max(index_height) + 1;
        if !self.fits(height, lbrack) {
            return (expr, height);
        }
        let rbrack = self.expect(TokenKind::RBrack);
        let span = expr.span.to(rbrack);
        let expr = Expr {
            kind: ExprKind::Index {
                value: Box::new(expr),
                index: Box::new(index),
            },
            span,
        };
        (expr, height)
    }

    /// `callee(args...)`; `callee` back unchanged if that passes the nesting limit.
    fn parse_call(&mut self, callee: Expr, height: Height) -> (Expr, Height) {
        let lparen = self.tok.span;
        if !self.enter() {
            return (callee, height);
        }
        self.next();
        let (args, args_height) = self.parse_expression_list(TokenKind::RParen);
        self.leave();
        let height = height.max(args_height) + 1;
        if !self.fits(height, lparen) {
            return (callee, height);
        }
        let rparen = self.expect(TokenKind::RParen);
        let span = callee.span.to(rparen);
        let expr = Expr {
            kind: ExprKind::Call {
                callee: Box::new(callee),
                args,
                lparen,
                rparen,
            },
            span,
        };
        (expr, height)
    }

    /// Expressions up to `until`, and the height of the tallest.
    fn parse_expression_list(&mut self, until: TokenKind) -> (Vec<Expr>, Height) {
        let mut exprs = Vec::new();
        let mut height = 0;
        while self.tok.kind != until && self.tok.kind != TokenKind::Eof {
            let (expr, h) = self.parse_expression();
            exprs.push(expr);
            height = height.max(h);
            if self.tok.kind == until {
                break;
            }
            if self.tok.kind != TokenKind::Comma {
                self.error_at_token("missing ',' in expression list");
            }
            self.next();
        }
        (exprs, height)
    }

    /// Fields up to `until`, and the height of the tallest value.
    fn parse_field_list(&mut self, until: TokenKind) -> (Vec<ObjectField>, Height) {
        let mut fields = Vec::new();
        let mut height = 0;
        while self.tok.kind != until && self.tok.kind != TokenKind::Eof {
            if let Some((field, h)) = self.parse_field(until) {
                fields.push(field);
                height = height.max(h);
            }
            if self.tok.kind == until {
                break;
            }
            if self.tok.kind != TokenKind::Comma {
                self.error_at_token("missing ',' in field list");
            }
            self.next();
        }
        (fields, height)
    }

    fn parse_field(&mut self, until: TokenKind) -> Option<(ObjectField, Height)> {
        let key_token = self.tok;
        let (key, quoted) = self.parse_field_key(until)?;
        self.next();
        self.expect(TokenKind::Assign);
        let (value, height) = self.parse_expression();
        let field = ObjectField {
            key,
            raw_key: Name::new(self.text(key_token)),
            key_span: key_token.span,
            quoted,
            value,
        };
        Some((field, height))
    }

    /// A field's key and whether it is quoted; on anything else, an error and the rest of the field skipped.
    fn parse_field_key(&mut self, until: TokenKind) -> Option<(Name, bool)> {
        let key_token = self.tok;
        let raw_key = self.text(key_token);
        match key_token.kind {
            TokenKind::Ident => Some((Name::new(raw_key), false)),
            // A quoted key loses its quotes but is not unescaped (as in Alloy).
            TokenKind::String => Some((Name::new(strip_quotes(raw_key)), true)),
            _ => {
                self.error_at_token(format!(
                    "expected field name (string or identifier), got {}",
                    key_token.kind
                ));
                // Skip to the end of this field.
                while !matches!(
                    self.tok.kind,
                    TokenKind::Comma | TokenKind::Terminator | TokenKind::Eof
                ) && self.tok.kind != until
                {
                    self.next();
                }
                None
            }
        }
    }

    fn parse_primary(&mut self) -> (Expr, Height) {
        let open = self.tok.span;
        let nested: fn(&mut Self, Span) -> (Expr, Height) = match self.tok.kind {
            TokenKind::LParen => Self::parse_paren,
            TokenKind::LBrack => Self::parse_array,
            TokenKind::LCurly => Self::parse_object,
            _ => return (self.parse_operand(), 0),
        };
        if !self.enter() {
            return (null_at(open), 0);
        }
        self.next();
        let (expr, height) = nested(self, open);
        (expr, height + 1)
    }

    /// `( inner )`, after the `(`, one level down (which it leaves); returns the height of what it holds.
    fn parse_paren(&mut self, lparen: Span) -> (Expr, Height) {
        let (inner, height) = self.parse_expression();
        self.leave();
        let rparen = self.expect(TokenKind::RParen);
        let expr = Expr {
            kind: ExprKind::Paren(Box::new(inner)),
            span: lparen.to(rparen),
        };
        (expr, height)
    }

    /// `[ elements ]`, after the `[`, one level down (which it leaves); returns the height of what it holds.
    fn parse_array(&mut self, lbrack: Span) -> (Expr, Height) {
        let (elements, height) = self.parse_expression_list(TokenKind::RBrack);
        self.leave();
        let rbrack = self.expect(TokenKind::RBrack);
        let expr = Expr {
            kind: ExprKind::Array {
                elements,
                lbrack,
                rbrack,
            },
            span: lbrack.to(rbrack),
        };
        (expr, height)
    }

    /// `{ fields }`, after the `{`, one level down (which it leaves); returns the height of what it holds.
    fn parse_object(&mut self, lcurly: Span) -> (Expr, Height) {
        let (fields, height) = self.parse_field_list(TokenKind::RCurly);
        self.leave();
        let rcurly = self.expect(TokenKind::RCurly);
        let expr = Expr {
            kind: ExprKind::Object {
                fields,
                lcurly,
                rcurly,
            },
            span: lcurly.to(rcurly),
        };
        (expr, height)
    }

    /// A literal or an identifier (or, after an error, a placeholder): a leaf of the tree.
    fn parse_operand(&mut self) -> Expr {
        let tok = self.tok;
        let text = self.text(tok);
        let literal = |kind| Expr {
            kind: ExprKind::Literal(kind),
            span: tok.span,
        };
        let expr = match tok.kind {
            TokenKind::Ident => Expr {
                kind: ExprKind::Ident(Name::new(text)),
                span: tok.span,
            },
            TokenKind::Number => literal(Literal::Number(Name::new(text))),
            TokenKind::Float => literal(Literal::Float(Name::new(text))),
            TokenKind::String => {
                let value = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                    // Most strings have no escapes: their value is their text, with no decoding.
                    Some(inner) if !inner.contains('\\') => Name::new(inner),
                    // A malformed string was reported by the scanner; keep its text so the tree stays whole.
                    _ => Name::from(
                        unquote(text).unwrap_or_else(|| text.trim_matches(['"', '`']).to_string()),
                    ),
                };
                literal(Literal::String {
                    raw: Name::new(text),
                    value,
                })
            }
            TokenKind::Bool => literal(Literal::Bool(text == "true")),
            TokenKind::Null => literal(Literal::Null),
            _ => {
                self.error_at_token(format!("expected expression, got {}", tok.kind));
                // Leave closing tokens in place for the enclosing construct; skip anything else so that
                // parsing always moves forward.
                if !matches!(
                    tok.kind,
                    TokenKind::RParen
                        | TokenKind::RBrack
                        | TokenKind::RCurly
                        | TokenKind::Comma
                        | TokenKind::Terminator
                        | TokenKind::Eof
                ) {
                    self.next();
                }
                return null_at(tok.span);
            }
        };
        self.next();
        expr
    }
}

fn unary_node(op: UnaryOp, op_span: Span, (operand, height): (Expr, Height)) -> (Expr, Height) {
    let span = op_span.to(operand.span);
    let expr = Expr {
        kind: ExprKind::Unary {
            op,
            op_span,
            operand: Box::new(operand),
        },
        span,
    };
    (expr, height + 1)
}

/// The placeholder for an expression that could not be parsed.
fn null_at(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Literal(Literal::Null),
        span,
    }
}

fn binary_op(kind: TokenKind) -> BinaryOp {
    match kind {
        TokenKind::Or => BinaryOp::Or,
        TokenKind::And => BinaryOp::And,
        TokenKind::Eq => BinaryOp::Eq,
        TokenKind::NotEq => BinaryOp::NotEq,
        TokenKind::Lt => BinaryOp::Lt,
        TokenKind::LtEq => BinaryOp::LtEq,
        TokenKind::Gt => BinaryOp::Gt,
        TokenKind::GtEq => BinaryOp::GtEq,
        TokenKind::Add => BinaryOp::Add,
        TokenKind::Sub => BinaryOp::Sub,
        TokenKind::Mul => BinaryOp::Mul,
        TokenKind::Div => BinaryOp::Div,
        TokenKind::Mod => BinaryOp::Mod,
        _ => BinaryOp::Pow,
    }
}

/// The text between a string literal's quotes (or backticks), taken verbatim. An unterminated literal (the
/// scanner reported it) has no closing quote to strip.
fn strip_quotes(raw: &str) -> &str {
    let inner = raw.get(1..).unwrap_or("");
    match raw.chars().next() {
        Some(q @ ('"' | '`')) => inner.strip_suffix(q).unwrap_or(inner),
        _ => raw,
    }
}

/// Whether `s` is one identifier by the scanner's rules (a letter or `_`, then letters, digits and `_`).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphabetic() || c.is_numeric() || c == '_')
}
