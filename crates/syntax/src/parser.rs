//! The parser: tokens into a syntax tree plus diagnostics. It never panics and never stops at the first error;
//! like Alloy's, it reports at most one error per line so that one mistake does not cascade.

use std::sync::Arc;

use crate::ast::Name;
use crate::ast::{
    self, BinaryOp, Body, Expr, ExprKind, Ident, Literal, ObjectField, Stmt, UnaryOp,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::scanner::{unquote, Scanner, Token};
use crate::source::{SourceFile, Span};
use crate::token::TokenKind;

/// Parses a whole file. The tree is returned even when there are errors (with what could be recovered).
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
    let expr = p.parse_expression();
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
}

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
            TokenKind::Assign => {
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
                let value = self.parse_expression();
                let value = self.reject_block_as_expression(value);
                let name = name.fragments.into_iter().next()?;
                Some(Stmt::Attribute(ast::Attribute { name, value }))
            }
            TokenKind::LCurly => {
                let lcurly = self.expect(TokenKind::LCurly);
                let body = self.parse_body(TokenKind::RCurly);
                let rcurly = self.expect(TokenKind::RCurly);
                Some(Stmt::Block(ast::Block {
                    name: name.fragments,
                    label: name.label,
                    body,
                    lcurly,
                    rcurly,
                }))
            }
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
        self.next();
        self.parse_body(TokenKind::RCurly);
        self.expect(TokenKind::RCurly);
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

    fn parse_expression(&mut self) -> Expr {
        self.parse_binary(1)
    }

    fn parse_binary(&mut self, min_precedence: u8) -> Expr {
        let mut lhs = self.parse_unary();
        loop {
            let precedence = self.tok.kind.binary_precedence();
            if precedence == 0 || precedence < min_precedence {
                return lhs;
            }
            let op = binary_op(self.tok.kind);
            let op_span = self.tok.span;
            self.next();
            // `^` is right-associative; everything else is left-associative.
            let rhs = if op == BinaryOp::Pow {
                self.parse_binary(precedence)
            } else {
                self.parse_binary(precedence + 1)
            };
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    op_span,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
    }

    fn parse_unary(&mut self) -> Expr {
        let op = match self.tok.kind {
            TokenKind::Not => UnaryOp::Not,
            TokenKind::Sub => UnaryOp::Neg,
            _ => return self.parse_postfix(),
        };
        let op_span = self.tok.span;
        self.next();
        let operand = self.parse_unary();
        let span = op_span.to(operand.span);
        Expr {
            kind: ExprKind::Unary {
                op,
                op_span,
                operand: Box::new(operand),
            },
            span,
        }
    }

    fn parse_postfix(&mut self) -> Expr {
        let mut expr = self.parse_primary();
        loop {
            match self.tok.kind {
                TokenKind::Dot => {
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
                    expr = Expr {
                        kind: ExprKind::Access {
                            value: Box::new(expr),
                            name,
                        },
                        span,
                    };
                }
                TokenKind::LBrack => {
                    self.next();
                    let index = self.parse_expression();
                    let rbrack = self.expect(TokenKind::RBrack);
                    let span = expr.span.to(rbrack);
                    expr = Expr {
                        kind: ExprKind::Index {
                            value: Box::new(expr),
                            index: Box::new(index),
                        },
                        span,
                    };
                }
                TokenKind::LParen => {
                    let lparen = self.tok.span;
                    self.next();
                    let args = self.parse_expression_list(TokenKind::RParen);
                    let rparen = self.expect(TokenKind::RParen);
                    let span = expr.span.to(rparen);
                    expr = Expr {
                        kind: ExprKind::Call {
                            callee: Box::new(expr),
                            args,
                            lparen,
                            rparen,
                        },
                        span,
                    };
                }
                _ => return expr,
            }
        }
    }

    fn parse_expression_list(&mut self, until: TokenKind) -> Vec<Expr> {
        let mut exprs = Vec::new();
        while self.tok.kind != until && self.tok.kind != TokenKind::Eof {
            exprs.push(self.parse_expression());
            if self.tok.kind == until {
                break;
            }
            if self.tok.kind != TokenKind::Comma {
                self.error_at_token("missing ',' in expression list");
            }
            self.next();
        }
        exprs
    }

    fn parse_field_list(&mut self, until: TokenKind) -> Vec<ObjectField> {
        let mut fields = Vec::new();
        while self.tok.kind != until && self.tok.kind != TokenKind::Eof {
            if let Some(field) = self.parse_field(until) {
                fields.push(field);
            }
            if self.tok.kind == until {
                break;
            }
            if self.tok.kind != TokenKind::Comma {
                self.error_at_token("missing ',' in field list");
            }
            self.next();
        }
        fields
    }

    fn parse_field(&mut self, until: TokenKind) -> Option<ObjectField> {
        let key_token = self.tok;
        let raw_key = self.text(key_token);
        let (key, quoted) = match key_token.kind {
            TokenKind::Ident => (Name::new(raw_key), false),
            // A quoted key loses its quotes but is not unescaped (as in Alloy).
            TokenKind::String => (Name::new(strip_quotes(raw_key)), true),
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
                return None;
            }
        };
        self.next();
        self.expect(TokenKind::Assign);
        let value = self.parse_expression();
        Some(ObjectField {
            key,
            raw_key: Name::new(raw_key),
            key_span: key_token.span,
            quoted,
            value,
        })
    }

    fn parse_primary(&mut self) -> Expr {
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
            TokenKind::LParen => {
                self.next();
                let inner = self.parse_expression();
                let rparen = self.expect(TokenKind::RParen);
                return Expr {
                    kind: ExprKind::Paren(Box::new(inner)),
                    span: tok.span.to(rparen),
                };
            }
            TokenKind::LBrack => {
                self.next();
                let elements = self.parse_expression_list(TokenKind::RBrack);
                let rbrack = self.expect(TokenKind::RBrack);
                return Expr {
                    kind: ExprKind::Array {
                        elements,
                        lbrack: tok.span,
                        rbrack,
                    },
                    span: tok.span.to(rbrack),
                };
            }
            TokenKind::LCurly => {
                self.next();
                let fields = self.parse_field_list(TokenKind::RCurly);
                let rcurly = self.expect(TokenKind::RCurly);
                return Expr {
                    kind: ExprKind::Object {
                        fields,
                        lcurly: tok.span,
                        rcurly,
                    },
                    span: tok.span.to(rcurly),
                };
            }
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
                return Expr {
                    kind: ExprKind::Literal(Literal::Null),
                    span: tok.span,
                };
            }
        };
        self.next();
        expr
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
