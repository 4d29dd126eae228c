//! The formatter behind `alloy fmt`, reproducing Alloy's output byte for byte.
//!
//! Alloy's printer is a port of Go's `go/printer`, and its output depends on three of that design's mechanics,
//! which this module therefore reproduces rather than approximates:
//!
//! 1. The walker emits tokens and *pending whitespace* (blank, vertical tab, newline, formfeed, indent,
//!    unindent) into a printer that keeps an estimate of the current *source* position. Comments are injected
//!    before the first token whose (estimated) source offset lies after them. Tokens written without a source
//!    position (`=`, `,`, `.` and the name after it, the `)` of a one-line call) only have an estimated
//!    position that lags behind, so a comment just before such a token comes out after it, as in Alloy.
//! 2. Alignment is done by an elastic-tabstop writer (Go's `text/tabwriter` with `DiscardEmptyColumns` and
//!    `TabIndent`): a `\v` ends a cell of an `=` column, a `\t` a cell of a comment column, and a formfeed ends
//!    every column. This is why a multi-line value, a blank line or a block breaks an alignment run.
//! 3. A final filter drops trailing blanks on every line and at the end of the output.
//!
//! Deviations from Alloy, each where Alloy's output would change the configuration's meaning, would not
//! parse, or would change again on a second run (the formatter must be idempotent):
//! - a string literal containing a tab, a form feed or vertical tab, or a blank at the end of one of its lines
//!   is kept verbatim (Alloy turns such tabs into alignment padding and trims those blanks);
//! - a quoted object key is printed as written (Alloy re-quotes the undecoded key, doubling its backslashes);
//! - `f(` followed by `)` on a later line prints `f()` (Alloy prints `f(,`);
//! - the `)` of a call that ends on its own line, the `(` of a call and both parentheses of `( expr )` are
//!   placed at their real positions, so comments next to them stay where they were (Alloy moves them across
//!   the parenthesis, and a second run then adds a blank line after a multi-line call);
//! - whether a statement or object field spans several lines (which ends an alignment run) is decided on the
//!   printed text, not on the source: they differ only where a line break is dropped (`a = 1 +` newline `2`),
//!   where Alloy aligns differently on its second run;
//! - a `//` comment is always followed by a line break (Alloy can, after a misplaced comment, print the next
//!   token on the comment's line, swallowing it).

use std::borrow::Cow;

use crate::ast::{self, Block, Comment, Expr, ExprKind, Literal, ObjectField, Stmt};
use crate::diag::Diagnostic;
use crate::source::SourceFile;

/// Formats a parsed file as `alloy fmt` does, without the final newline that the command adds (see
/// [`format_file_for_cli`]). Fails on a block label written as a raw string, which Alloy's parser rejects.
pub fn format_file(file: &ast::File) -> Result<String, Diagnostic> {
    check_labels(&file.source, &file.body)?;
    let mut p = Printer::new(&file.source, &file.comments);
    p.walk_stmts(&file.body);
    Ok(p.finish())
}

/// What `alloy fmt` prints or writes for a file: the formatted text and one newline.
pub fn format_file_for_cli(file: &ast::File) -> Result<String, Diagnostic> {
    let mut out = format_file(file)?;
    out.push('\n');
    Ok(out)
}

/// Formats one expression (without comments); `source` is the file its spans point into.
pub fn format_expr(expr: &Expr, source: &SourceFile) -> String {
    let mut p = Printer::new(source, &[]);
    p.walk_expr(expr);
    p.finish()
}

fn check_labels(source: &std::sync::Arc<SourceFile>, body: &[Stmt]) -> Result<(), Diagnostic> {
    for stmt in body {
        if let Stmt::Block(block) = stmt {
            if let Some(label) = &block.label {
                if !label.raw.starts_with('"') {
                    return Err(Diagnostic::error(
                        source,
                        label.span,
                        raw_label_message(&label.raw),
                    ));
                }
            }
            check_labels(source, &block.body)?;
        }
    }
    Ok(())
}

/// Alloy's message for a block label that is not a double-quoted string (shared with the parser).
pub(crate) fn raw_label_message(raw: &str) -> String {
    format!(
        "expected block label to be a double quoted string, but got {}",
        crate::value::go_quote(raw)
    )
}

// ---------------------------------------------------------------------------------------------------------
// The printer: tokens, pending whitespace, comment injection.

/// Marks text the tabwriter must pass through uninterpreted (it never occurs in UTF-8).
const ESCAPE: u8 = 0xff;

/// At most this many newlines in a row (one blank line).
const MAX_NEWLINES: i64 = 2;

/// Pending whitespace. Indent and unindent change the indentation applied to the next line written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ws {
    Ignore,
    Blank,
    VTab,
    Newline,
    Formfeed,
    Indent,
    Unindent,
}

/// The little the printer needs to know about the previous token: whether writing the next token right after
/// it could merge the two into another token when scanned again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Number,
    Div,
    Other,
}

/// A source position, possibly an estimate (see the module documentation). Line 0 means "no position".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Pos {
    offset: i64,
    line: i64,
    column: i64,
}

/// Comments in the groups Alloy's parser makes: comments with nothing but whitespace between them and no
/// blank line. A group is emitted whole once its first comment is due.
struct CommentCursor<'a> {
    groups: Vec<&'a [Comment]>,
    next_group: usize,
    current: &'a [Comment],
    /// Start offset of `current`, or `None` when every comment was written.
    due: Option<i64>,
}

impl<'a> CommentCursor<'a> {
    fn new(source: &SourceFile, comments: &'a [Comment]) -> CommentCursor<'a> {
        let mut groups = Vec::new();
        let mut start = 0;
        for i in 1..=comments.len() {
            let ends_group = i == comments.len() || {
                let (prev, next) = (&comments[i - 1], &comments[i]);
                let end_line =
                    source.line_of(prev.span.start) as usize + prev.text.matches('\n').count();
                let between = &source.text()[prev.span.end as usize..next.span.start as usize];
                !between
                    .bytes()
                    .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                    || source.line_of(next.span.start) as usize > end_line + 1
            };
            if ends_group {
                groups.push(&comments[start..i]);
                start = i;
            }
        }
        let mut cursor = CommentCursor {
            groups,
            next_group: 0,
            current: &[],
            due: None,
        };
        cursor.advance();
        cursor
    }

    fn advance(&mut self) {
        if let Some(group) = self.groups.get(self.next_group) {
            self.next_group += 1;
            self.current = group;
            self.due = Some(group[0].span.start as i64);
        } else {
            self.current = &[];
            self.due = None;
        }
    }

    fn before(&self, next: Pos) -> bool {
        self.due.is_some_and(|offset| offset <= next.offset)
    }
}

struct Printer<'a> {
    source: &'a SourceFile,
    /// Input for the tabwriter: text, `\t` `\v` `\n` `\f` and ESCAPE-bracketed literal text.
    output: Vec<u8>,
    indent: i64,
    last_tok: Tok,
    whitespace: Vec<Ws>,
    comments: CommentCursor<'a>,
    /// Estimated source position of the next thing written.
    pos: Pos,
    /// Source position after the last text written.
    last: Pos,
    /// Column in the output (1 when nothing was written on the current output line yet).
    out_column: i64,
    /// Output lines completed so far.
    out_line: i64,
    /// For each node being measured: the output line of its first text, once written.
    marks: Vec<Option<i64>>,
}

/// Go's printer keeps a fixed buffer of pending whitespace and writes it out early when it fills up.
const WHITESPACE_CAPACITY: usize = 16;

impl<'a> Printer<'a> {
    fn new(source: &'a SourceFile, comments: &'a [Comment]) -> Printer<'a> {
        let start = Pos {
            offset: 0,
            line: 1,
            column: 1,
        };
        Printer {
            source,
            output: Vec::new(),
            indent: 0,
            last_tok: Tok::Other,
            whitespace: Vec::with_capacity(WHITESPACE_CAPACITY),
            comments: CommentCursor::new(source, comments),
            pos: start,
            last: Pos::default(),
            out_column: 1,
            out_line: 0,
            marks: Vec::new(),
        }
    }

    /// The position of a source offset. Offsets before the file (an empty name's "last character") have none.
    fn position(&self, offset: i64) -> Pos {
        if offset < 0 {
            return Pos {
                offset,
                line: 0,
                column: 0,
            };
        }
        let p = self.source.position(offset as u32);
        Pos {
            offset,
            line: p.line as i64,
            column: p.column as i64,
        }
    }

    fn line(&self, offset: i64) -> i64 {
        self.position(offset).line
    }

    fn different_lines(&self, a: i64, b: i64) -> bool {
        self.line(a) != self.line(b)
    }

    /// Walks a node with `walk` and returns how many output lines its text spans. Deviation: Alloy counts the
    /// node's lines in the source, so a node it prints on fewer lines (`a = (1 ||` newline `2)`) ends an
    /// alignment run on the first run but not on the second. Wherever the printer keeps the source's line
    /// breaks the two counts agree.
    fn printed_lines(&mut self, walk: impl FnOnce(&mut Self)) -> i64 {
        self.marks.push(None);
        walk(self);
        let start = self.marks.pop().flatten().unwrap_or(self.out_line);
        self.out_line - start + 1
    }

    fn finish(mut self) -> String {
        // Comments left after the last token; pending whitespace is dropped so the output ends in text.
        let end = Pos {
            offset: i64::MAX,
            line: i64::MAX,
            column: i64::MAX,
        };
        if self.comments.before(end) {
            self.inject_comments(end, true);
        }
        let aligned = tabwriter(&self.output);
        trim(&aligned)
    }

    // --- what the walker calls ---

    fn ws(&mut self, ws: Ws) {
        self.last_tok = Tok::Other;
        if self.whitespace.len() == WHITESPACE_CAPACITY {
            self.write_whitespace(WHITESPACE_CAPACITY);
        }
        self.whitespace.push(ws);
    }

    /// Sets the source position of the next token to the exact position of `offset`.
    fn at(&mut self, offset: i64) {
        self.pos = self.position(offset);
    }

    /// A punctuation or operator token.
    fn token(&mut self, text: &str, tok: Tok) {
        let merges = match self.last_tok {
            Tok::Number => text.starts_with('.'),
            Tok::Div => text.starts_with('*'),
            Tok::Other => false,
        };
        if merges && self.whitespace.is_empty() {
            self.whitespace.push(Ws::Blank);
        }
        self.emit(text, tok, false);
    }

    /// An identifier or literal.
    fn text(&mut self, text: &str, tok: Tok) {
        self.emit(text, tok, false);
    }

    fn emit(&mut self, text: &str, tok: Tok, literal: bool) {
        self.last_tok = tok;
        let next = self.pos;
        if self.comments.before(next) {
            self.inject_comments(next, false);
        } else {
            self.write_whitespace(self.whitespace.len());
        }
        for mark in self.marks.iter_mut().filter(|m| m.is_none()) {
            *mark = Some(self.out_line);
        }
        self.write_string(next, text, literal);
    }

    // --- comments ---

    fn inject_comments(&mut self, next: Pos, eof: bool) {
        let mut last_comment = None;
        while self.comments.before(next) {
            let group = self.comments.current;
            for c in group {
                self.write_comment_prefix(next, c);
                let at = self.position(c.span.start as i64);
                self.write_string(at, &c.text, true);
                last_comment = Some(c);
            }
            self.comments.advance();
        }
        if let Some(c) = last_comment {
            if !eof {
                self.write_comment_suffix(next, c);
            }
        }
    }

    fn write_comment_prefix(&mut self, next: Pos, c: &Comment) {
        if self.output.is_empty() {
            return;
        }
        let c_pos = self.position(c.span.start as i64);
        if c_pos.line == self.last.line {
            // After a token on the same line: a tab makes trailing comments a column. Between two tokens of one
            // line (a block comment), a space.
            let separator = if c_pos.line == next.line { b' ' } else { b'\t' };
            self.write_byte(separator, 1);
            return;
        }
        // Apply the indentation changes that come before the first real whitespace, and drop that whitespace:
        // the comment brings its own line breaks.
        let mut count = 0;
        for i in 0..self.whitespace.len() {
            match self.whitespace[i] {
                Ws::Indent | Ws::Unindent => continue,
                Ws::Blank | Ws::VTab | Ws::Newline | Ws::Formfeed => {
                    self.whitespace[i] = Ws::Ignore
                }
                Ws::Ignore => {}
            }
            count = i;
            break;
        }
        self.write_whitespace(count);
        if c_pos.line > 0 && self.last.line > 0 {
            let newlines = c_pos.line - self.last.line;
            if newlines > 0 {
                self.write_byte(b'\x0c', newlines.min(MAX_NEWLINES) as usize);
            }
        }
    }

    fn write_comment_suffix(&mut self, next: Pos, last_comment: &Comment) {
        let end_line =
            self.line(last_comment.span.start as i64 + last_comment.text.len() as i64 - 1);
        if last_comment.is_block() && next.line == end_line {
            self.write_byte(b' ', 1);
        }
        let mut newlines = next.line - self.last.line;
        let mut dropped_formfeed = false;
        for ws in self.whitespace.iter_mut() {
            match *ws {
                Ws::Blank | Ws::VTab => *ws = Ws::Ignore,
                Ws::Newline => *ws = Ws::Ignore,
                Ws::Formfeed => {
                    dropped_formfeed = true;
                    *ws = Ws::Ignore;
                }
                Ws::Indent | Ws::Unindent | Ws::Ignore => {}
            }
        }
        self.write_whitespace(self.whitespace.len());
        if newlines <= 0 && !last_comment.is_block() {
            // Deviation: never let the next token land inside a line comment.
            newlines = 1;
        }
        if newlines > 0 {
            let ch = if dropped_formfeed { b'\x0c' } else { b'\n' };
            self.write_byte(ch, newlines.min(MAX_NEWLINES) as usize);
        }
    }

    // --- output ---

    fn write_indent(&mut self) {
        for _ in 0..self.indent {
            self.output.push(b'\t');
        }
        self.pos.offset += self.indent;
        self.pos.column += self.indent;
        self.out_column += self.indent;
    }

    /// Writes `s` as the text found at `pos`. Literal text (comments) is bracketed so that the tabwriter does
    /// not interpret the tabs and newlines in it.
    fn write_string(&mut self, pos: Pos, s: &str, literal: bool) {
        if self.out_column == 1 {
            self.write_indent();
        }
        if pos.line > 0 {
            self.pos = pos;
        }
        if literal {
            self.output.push(ESCAPE);
        }
        self.output.extend_from_slice(s.as_bytes());
        if literal {
            self.output.push(ESCAPE);
        }
        // Text written here is kept as it is (literal text inside ESCAPE brackets, tokens that cannot hold a
        // form feed), so only its newlines are line breaks. Deviation: Alloy's printer (after Go's) counts a
        // form feed as one too, which makes a comment ending in one lose the blank line after it on every
        // second run (`//\f` then a blank line); counting what the source and the output count keeps `fmt`
        // idempotent.
        let bytes = s.as_bytes();
        let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as i64;
        self.pos.offset += bytes.len() as i64;
        if newlines > 0 {
            let last_newline = bytes.iter().rposition(|&b| b == b'\n').unwrap_or(0);
            self.out_line += newlines;
            self.pos.line += newlines;
            self.pos.column = (bytes.len() - last_newline) as i64;
            self.out_column = self.pos.column;
        } else {
            self.pos.column += bytes.len() as i64;
            self.out_column += bytes.len() as i64;
        }
        self.last = self.pos;
    }

    fn write_byte(&mut self, ch: u8, n: usize) {
        if self.out_column == 1 {
            self.write_indent();
        }
        for _ in 0..n {
            self.output.push(ch);
        }
        self.pos.offset += n as i64;
        if ch == b'\n' || ch == b'\x0c' {
            self.out_line += n as i64;
            self.pos.line += n as i64;
            self.pos.column = 1;
            self.out_column = 1;
        } else {
            self.pos.column += n as i64;
            self.out_column += n as i64;
        }
    }

    /// Writes the first `n` pending whitespace entries and keeps the rest pending.
    fn write_whitespace(&mut self, n: usize) {
        for i in 0..n {
            match self.whitespace[i] {
                Ws::Ignore => {}
                Ws::Indent => self.indent += 1,
                Ws::Unindent => self.indent = (self.indent - 1).max(0),
                Ws::Blank => self.write_byte(b' ', 1),
                Ws::VTab => self.write_byte(b'\x0b', 1),
                Ws::Newline => self.write_byte(b'\n', 1),
                Ws::Formfeed => self.write_byte(b'\x0c', 1),
            }
        }
        self.whitespace.drain(..n);
    }

    // --- the walk ---

    fn walk_stmts(&mut self, stmts: &[Stmt]) {
        for (i, stmt) in stmts.iter().enumerate() {
            if i > 0 {
                if matches!(stmt, Stmt::Block(_)) {
                    // Blocks are always set apart by a blank line.
                    self.ws(Ws::Formfeed);
                } else if self.line(stmt_start(stmt)) - self.line(stmt_end(&stmts[i - 1])) > 1 {
                    // A blank line in the source is kept (the newline written after the previous statement
                    // plus this formfeed).
                    self.ws(Ws::Formfeed);
                }
            }
            let lines = self.printed_lines(|p| match stmt {
                Stmt::Attribute(attr) => {
                    p.at(attr.name.span.start as i64);
                    p.text(&attr.name.name, Tok::Other);
                    p.ws(Ws::VTab);
                    p.token("=", Tok::Other);
                    p.ws(Ws::Blank);
                    p.walk_expr(&attr.value);
                }
                Stmt::Block(block) => p.walk_block(block),
            });
            // A statement over several lines ends the alignment run.
            if lines > 1 {
                self.ws(Ws::Formfeed);
            } else {
                self.ws(Ws::Newline);
            }
        }
    }

    fn walk_block(&mut self, block: &Block) {
        self.at(stmt_start_block(block));
        self.text(&block.name_string(), Tok::Other);
        if let Some(label) = &block.label {
            // `""` is no label at all.
            if !label.value.is_empty() {
                self.ws(Ws::Blank);
                self.at(label.span.start as i64);
                self.text(&label.raw, Tok::Other);
            }
        }
        self.ws(Ws::Blank);
        self.at(block.lcurly.start as i64);
        self.token("{", Tok::Other);
        self.ws(Ws::Indent);
        if block.body.is_empty() {
            self.ws(Ws::Blank);
        } else {
            self.ws(Ws::Formfeed);
            self.walk_stmts(&block.body);
        }
        self.ws(Ws::Unindent);
        self.at(block.rcurly.start as i64);
        self.token("}", Tok::Other);
    }

    fn walk_expr(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Literal(lit) => {
                self.at(expr.span.start as i64);
                match lit {
                    Literal::Number(s) => self.text(s, Tok::Number),
                    Literal::Float(s) => self.text(s, Tok::Other),
                    Literal::String { raw, .. } => {
                        if string_needs_protection(raw) {
                            self.emit(raw, Tok::Other, true);
                        } else {
                            self.text(raw, Tok::Other);
                        }
                    }
                    Literal::Bool(b) => self.text(if *b { "true" } else { "false" }, Tok::Other),
                    Literal::Null => self.text("null", Tok::Other),
                }
            }
            ExprKind::Ident(name) => {
                self.at(expr.span.start as i64);
                self.text(name, Tok::Other);
            }
            ExprKind::Array {
                elements,
                lbrack,
                rbrack,
            } => self.walk_array(elements, *lbrack, *rbrack),
            ExprKind::Object {
                fields,
                lcurly,
                rcurly,
            } => self.walk_object(fields, *lcurly, *rcurly),
            ExprKind::Access { value, name } => {
                self.walk_expr(value);
                self.token(".", Tok::Other);
                self.text(&name.name, Tok::Other);
            }
            ExprKind::Index { value, index } => {
                self.walk_expr(value);
                let lbrack = self.find_byte_after(value.span.end as usize, b'[');
                self.at(lbrack);
                self.token("[", Tok::Other);
                self.walk_expr(index);
                self.at(expr.span.end as i64 - 1);
                self.token("]", Tok::Other);
            }
            ExprKind::Call {
                callee,
                args,
                lparen,
                rparen,
            } => {
                self.walk_expr(callee);
                self.at(lparen.start as i64);
                self.token("(", Tok::Other);
                let mut prev = lparen.start as i64;
                for (i, arg) in args.iter().enumerate() {
                    let on_new_line = self.different_lines(prev, arg.span.start as i64);
                    if on_new_line {
                        self.ws(Ws::Formfeed);
                        self.ws(Ws::Indent);
                    }
                    self.walk_expr(arg);
                    prev = arg.span.end as i64 - 1;
                    if i + 1 < args.len() {
                        self.token(",", Tok::Other);
                        self.ws(Ws::Blank);
                    }
                    if on_new_line {
                        self.ws(Ws::Unindent);
                    }
                }
                if !args.is_empty() && self.different_lines(prev, rparen.start as i64) {
                    self.token(",", Tok::Other);
                    // Deviation: Alloy estimates where this `)` was, a line too early, which moves comments
                    // before it out of the call and makes a second run add a blank line after it. Placed
                    // exactly and indented like an array's `]`, comments stay in the call.
                    self.ws(Ws::Indent);
                    self.ws(Ws::Formfeed);
                    self.ws(Ws::Unindent);
                    self.at(rparen.start as i64);
                }
                self.token(")", Tok::Other);
            }
            ExprKind::Unary {
                op,
                op_span,
                operand,
            } => {
                self.at(op_span.start as i64);
                self.token(op.as_str(), Tok::Other);
                self.walk_expr(operand);
            }
            ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => {
                self.walk_expr(lhs);
                self.ws(Ws::Blank);
                self.at(op_span.start as i64);
                let tok = if *op == ast::BinaryOp::Div {
                    Tok::Div
                } else {
                    Tok::Other
                };
                self.token(op.as_str(), tok);
                self.ws(Ws::Blank);
                self.walk_expr(rhs);
            }
            ExprKind::Paren(inner) => {
                // Deviation: Alloy writes these without positions, so a comment after `(` lands before it,
                // moves on each run, or comes out after the `)`.
                self.at(expr.span.start as i64);
                self.token("(", Tok::Other);
                self.walk_expr(inner);
                self.at(expr.span.end as i64 - 1);
                self.token(")", Tok::Other);
            }
        }
    }

    fn walk_array(&mut self, elements: &[Expr], lbrack: crate::Span, rbrack: crate::Span) {
        self.at(lbrack.start as i64);
        self.token("[", Tok::Other);
        let mut prev = lbrack.start as i64;
        for (i, element) in elements.iter().enumerate() {
            let on_new_line = self.different_lines(prev, element.span.start as i64);
            if on_new_line {
                // Indent before the line break so that comments written at the break are indented too.
                self.ws(Ws::Indent);
                self.ws(Ws::Formfeed);
            } else if i > 0 {
                self.ws(Ws::Blank);
            }
            prev = element.span.end as i64 - 1;
            self.walk_expr(element);
            if i + 1 < elements.len() {
                self.token(",", Tok::Other);
            }
            if on_new_line {
                self.ws(Ws::Unindent);
            }
        }
        if !elements.is_empty() && self.different_lines(prev, rbrack.start as i64) {
            self.token(",", Tok::Other);
            self.ws(Ws::Indent);
            self.ws(Ws::Formfeed);
            self.ws(Ws::Unindent);
        }
        self.at(rbrack.start as i64);
        self.token("]", Tok::Other);
    }

    fn walk_object(&mut self, fields: &[ObjectField], lcurly: crate::Span, rcurly: crate::Span) {
        self.at(lcurly.start as i64);
        self.token("{", Tok::Other);
        self.ws(Ws::Indent);
        let mut prev = lcurly.start as i64;
        let mut prev_value_lines = 0;
        for (i, field) in fields.iter().enumerate() {
            let start = field.key_span.start as i64;
            if self.different_lines(prev, start) {
                // `=` stays aligned with the previous field only if that one fit on one line.
                let prev_one_line = i > 0 && prev_value_lines == 1;
                self.ws(if prev_one_line {
                    Ws::Newline
                } else {
                    Ws::Formfeed
                });
            } else if i > 0 {
                self.ws(Ws::Blank);
            }
            // Alloy measures from the end of the key (not of the value) to decide on line breaks.
            prev = start + key_name_len(field) - 1;
            self.at(start);
            self.text(&key_text(field), Tok::Other);
            self.ws(Ws::VTab);
            self.token("=", Tok::Other);
            self.ws(Ws::Blank);
            prev_value_lines = self.printed_lines(|p| p.walk_expr(&field.value));
            if i + 1 < fields.len() {
                self.token(",", Tok::Other);
            }
        }
        if !fields.is_empty() && self.different_lines(prev, rcurly.start as i64) {
            self.token(",", Tok::Other);
            self.ws(Ws::Formfeed);
        }
        self.ws(Ws::Unindent);
        self.at(rcurly.start as i64);
        self.token("}", Tok::Other);
    }

    /// Offset of the first `byte` at or after `from`, skipping whitespace and comments (the tree does not keep
    /// the position of an index expression's `[`).
    fn find_byte_after(&self, from: usize, byte: u8) -> i64 {
        let text = self.source.text().as_bytes();
        let mut i = from;
        while i < text.len() {
            match text[i] {
                b if b == byte => return i as i64,
                b'/' if text.get(i + 1) == Some(&b'/') => {
                    while i < text.len() && text[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if text.get(i + 1) == Some(&b'*') => {
                    i += 2;
                    while i + 1 < text.len() && !(text[i] == b'*' && text[i + 1] == b'/') {
                        i += 1;
                    }
                    i += 2;
                }
                _ => i += 1,
            }
        }
        from as i64
    }
}

fn stmt_start_block(block: &Block) -> i64 {
    block
        .name
        .first()
        .map_or(block.lcurly.start, |n| n.span.start) as i64
}

/// Offset of a statement's first character.
fn stmt_start(stmt: &Stmt) -> i64 {
    match stmt {
        Stmt::Attribute(a) => a.name.span.start as i64,
        Stmt::Block(b) => stmt_start_block(b),
    }
}

/// Offset of a statement's last character.
fn stmt_end(stmt: &Stmt) -> i64 {
    match stmt {
        Stmt::Attribute(a) => a.value.span.end as i64 - 1,
        Stmt::Block(b) => b.rcurly.start as i64,
    }
}

/// The length Alloy gives a key: without its quotes, except for `""`, which it keeps whole.
fn key_name_len(field: &ObjectField) -> i64 {
    if field.quoted && field.raw_key.len() > 2 {
        field.raw_key.len() as i64 - 2
    } else {
        field.raw_key.len() as i64
    }
}

/// A key as printed: identifiers and double-quoted keys as written; a backtick key is re-quoted with double
/// quotes (as Alloy does) when that keeps its meaning.
fn key_text(field: &ObjectField) -> Cow<'_, str> {
    if field.raw_key.starts_with('`') {
        let plain = !field
            .key
            .chars()
            .any(|c| c == '\\' || c == '"' || c.is_control());
        if plain {
            return Cow::Owned(format!("\"{}\"", field.key));
        }
    }
    Cow::Borrowed(&field.raw_key)
}

/// Whether Alloy's tabwriter and trimming would change this string literal's text.
fn string_needs_protection(raw: &str) -> bool {
    let b = raw.as_bytes();
    b.iter().enumerate().any(|(i, &c)| match c {
        b'\t' | b'\x0b' | b'\x0c' => true,
        b'\n' => i > 0 && b[i - 1] == b' ',
        _ => false,
    })
}

// ---------------------------------------------------------------------------------------------------------
// Elastic tabstops, as Go's text/tabwriter does them with minwidth 0, tabwidth 8, padding 1, padchar ' ' and
// the DiscardEmptyColumns and TabIndent flags.

const TAB_WIDTH: usize = 8;
const PADDING: usize = 1;

#[derive(Clone, Copy, Debug, Default)]
struct Cell {
    /// Bytes of text.
    size: usize,
    /// Characters of text (runes), not counting ESCAPE bytes.
    width: usize,
    /// Ended by `\t` (a hard tab: its column is never discarded).
    htab: bool,
}

#[derive(Default)]
struct TabWriter {
    out: Vec<u8>,
    /// Text of the buffered cells, without the tabs and line breaks.
    buf: Vec<u8>,
    /// How far into `buf` the current cell's width has been counted.
    counted: usize,
    cell: Cell,
    in_escape: bool,
    lines: Vec<Vec<Cell>>,
    widths: Vec<usize>,
}

fn rune_count(bytes: &[u8]) -> usize {
    // Continuation bytes do not start a character; ESCAPE (invalid UTF-8) counts as one, like Go.
    bytes.iter().filter(|&&b| (b & 0xc0) != 0x80).count()
}

fn tabwriter(input: &[u8]) -> Vec<u8> {
    let mut w = TabWriter {
        lines: vec![Vec::new()],
        ..TabWriter::default()
    };
    w.write(input);
    w.flush();
    w.out
}

impl TabWriter {
    fn write(&mut self, data: &[u8]) {
        let mut n = 0;
        for (i, &ch) in data.iter().enumerate() {
            if self.in_escape {
                if ch == ESCAPE {
                    self.append(&data[n..=i]);
                    n = i + 1;
                    self.update_width();
                    self.cell.width -= 2;
                    self.in_escape = false;
                }
                continue;
            }
            match ch {
                b'\t' | b'\x0b' | b'\n' | b'\x0c' => {
                    self.append(&data[n..i]);
                    self.update_width();
                    n = i + 1;
                    let cells = self.terminate_cell(ch == b'\t');
                    if ch == b'\n' || ch == b'\x0c' {
                        self.lines.push(Vec::new());
                        // A formfeed ends all columns; a line of one cell cannot affect later lines.
                        if ch == b'\x0c' || cells == 1 {
                            self.flush();
                        }
                    }
                }
                ESCAPE => {
                    self.append(&data[n..i]);
                    self.update_width();
                    n = i;
                    self.in_escape = true;
                }
                _ => {}
            }
        }
        self.append(&data[n..]);
    }

    fn append(&mut self, text: &[u8]) {
        self.buf.extend_from_slice(text);
        self.cell.size += text.len();
    }

    fn update_width(&mut self) {
        self.cell.width += rune_count(&self.buf[self.counted..]);
        self.counted = self.buf.len();
    }

    fn terminate_cell(&mut self, htab: bool) -> usize {
        self.cell.htab = htab;
        let cell = std::mem::take(&mut self.cell);
        let line = self
            .lines
            .last_mut()
            .expect("there is always a current line");
        line.push(cell);
        line.len()
    }

    fn flush(&mut self) {
        if self.cell.size > 0 {
            if self.in_escape {
                self.update_width();
                self.cell.width = self.cell.width.saturating_sub(2);
                self.in_escape = false;
            }
            self.terminate_cell(false);
        }
        let line_count = self.lines.len();
        self.format(0, 0, line_count);
        self.buf.clear();
        self.counted = 0;
        self.cell = Cell::default();
        self.lines.clear();
        self.lines.push(Vec::new());
        self.widths.clear();
    }

    /// Formats lines `line0..line1` (starting at `pos` in `buf`) whose columns left of `widths.len()` are
    /// known, finding the blocks of consecutive lines that share the next column.
    fn format(&mut self, mut pos: usize, mut line0: usize, line1: usize) -> usize {
        let column = self.widths.len();
        let mut this = line0;
        while this < line1 {
            // The last cell of a line is not part of any column.
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            pos = self.write_lines(pos, line0, this);
            line0 = this;
            let mut width = 0;
            let mut discardable = true;
            while this < line1 {
                let line = &self.lines[this];
                if column + 1 >= line.len() {
                    break;
                }
                let c = line[column];
                width = width.max(c.width + PADDING);
                if c.width > 0 || c.htab {
                    discardable = false;
                }
                this += 1;
            }
            if discardable {
                width = 0;
            }
            self.widths.push(width);
            pos = self.format(pos, line0, this);
            self.widths.pop();
            line0 = this;
        }
        self.write_lines(pos, line0, line1)
    }

    fn write_lines(&mut self, mut pos: usize, line0: usize, line1: usize) -> usize {
        for i in line0..line1 {
            // Leading empty cells are indentation: tabs.
            let mut use_tabs = true;
            for j in 0..self.lines[i].len() {
                let c = self.lines[i][j];
                if c.size == 0 {
                    if j < self.widths.len() {
                        self.write_padding(c.width, self.widths[j], use_tabs);
                    }
                } else {
                    use_tabs = false;
                    self.out.extend_from_slice(&self.buf[pos..pos + c.size]);
                    pos += c.size;
                    if j < self.widths.len() {
                        self.write_padding(c.width, self.widths[j], false);
                    }
                }
            }
            if i + 1 == self.lines.len() {
                // The unterminated last line: whatever text is still buffered.
                let end = pos + self.cell.size;
                self.out.extend_from_slice(&self.buf[pos..end]);
                pos = end;
            } else {
                self.out.push(b'\n');
            }
        }
        pos
    }

    fn write_padding(&mut self, text_width: usize, cell_width: usize, use_tabs: bool) {
        if use_tabs {
            let cell_width = cell_width.div_ceil(TAB_WIDTH) * TAB_WIDTH;
            let n = cell_width.saturating_sub(text_width);
            for _ in 0..n.div_ceil(TAB_WIDTH) {
                self.out.push(b'\t');
            }
        } else {
            for _ in 0..cell_width.saturating_sub(text_width) {
                self.out.push(b' ');
            }
        }
    }
}

/// Drops blanks at the end of every line and of the text, turns formfeeds into newlines and removes the
/// ESCAPE brackets (keeping what they bracket verbatim).
fn trim(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len());
    let mut pending_space: Vec<u8> = Vec::new();
    let mut in_escape = false;
    for &b in input {
        if in_escape {
            if b == ESCAPE {
                in_escape = false;
            } else {
                out.push(b);
            }
            continue;
        }
        match b {
            b' ' | b'\t' | b'\x0b' => pending_space.push(if b == b'\x0b' { b'\t' } else { b }),
            b'\n' | b'\x0c' => {
                pending_space.clear();
                out.push(b'\n');
            }
            ESCAPE => {
                out.append(&mut pending_space);
                in_escape = true;
            }
            _ => {
                out.append(&mut pending_space);
                out.push(b);
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse_file;

    fn fmt(src: &str) -> String {
        let (file, diags) = parse_file(SourceFile::new("test.alloy", src));
        assert!(diags.is_empty(), "{}", diags.render());
        format_file(&file).unwrap()
    }

    #[test]
    fn tabwriter_aligns_columns_and_indents_with_tabs() {
        assert_eq!(
            tabwriter(b"a\x0b= 1\nlong\x0b= 2\n"),
            b"a    = 1\nlong = 2\n"
        );
        assert_eq!(
            tabwriter(b"\ta\x0b= 1\n\tbb\x0b= 2\x0cc\x0b= 3"),
            b"\ta  = 1\n\tbb = 2\nc = 3"
        );
        // Escaped text is one opaque run: its tab is no column and the ESCAPE bytes have no width.
        assert_eq!(
            tabwriter(b"x\t\xffa\tb\xff\nyy\t\xffc\xff"),
            b"x  \xffa\tb\xff\nyy \xffc\xff"
        );
    }

    #[test]
    fn trimmer_drops_trailing_blanks_but_not_inside_escapes() {
        assert_eq!(trim(b"a  \nb\t\x0c\xff// c  \xff  "), "a\nb\n// c  ");
    }

    #[test]
    fn spaces_operators_and_aligns_attributes() {
        assert_eq!(
            fmt("a=1+2*3\nlong_name=-x.y[0]\n"),
            "a         = 1 + 2 * 3\nlong_name = -x.y[0]"
        );
        // Right-associative `^` and explicit parentheses come back as written.
        assert_eq!(fmt("a=(1+2)*3^2^(1)\n"), "a = (1 + 2) * 3 ^ 2 ^ (1)");
    }

    #[test]
    fn blank_lines_blocks_and_comments_break_alignment_runs() {
        let src = "a = 1\n\nbb = 2\nccc = 3\n// c\nd = 4\nb {}\ne = 5\n";
        assert_eq!(
            fmt(src),
            "a = 1\n\nbb  = 2\nccc = 3\n// c\nd = 4\n\nb { }\ne = 5"
        );
    }

    #[test]
    fn trailing_comments_align_in_runs() {
        let src = "a = 1 // one\nlong = 22 // two\n\nx = 3 // three\n";
        assert_eq!(
            fmt(src),
            "a    = 1  // one\nlong = 22 // two\n\nx = 3 // three"
        );
    }

    #[test]
    fn comments_inside_empty_blocks_objects_and_arrays_stay_inside() {
        assert_eq!(fmt("b {\n// c\n}\n"), "b {\n\t// c\n}");
        assert_eq!(fmt("b { // c\n}\n"), "b { // c\n}");
        // An empty array has no indentation pending, so Alloy leaves its comment unindented.
        assert_eq!(fmt("a = [\n  // c\n]\n"), "a = [\n// c\n]");
        assert_eq!(fmt("a = {\nk = 1, // c\n}\n"), "a = {\n\tk = 1, // c\n}");
    }

    #[test]
    fn a_line_break_the_printer_drops_does_not_end_the_alignment_run() {
        // Alloy measures the source lines here and aligns only on a second run.
        assert_eq!(
            fmt("a = (0 ||\n0).a\nfoo = 0\n"),
            "a   = (0 || 0).a\nfoo = 0"
        );
    }

    #[test]
    fn a_form_feed_at_the_end_of_a_comment_keeps_fmt_idempotent() {
        // Found by the parse_config fuzz target.
        let once = fmt("//\x0c\n\n\nr{}");
        assert_eq!(once, "//\x0c\n\nr { }");
        assert_eq!(fmt(&once), once);
    }

    #[test]
    fn keeps_at_most_one_blank_line() {
        assert_eq!(
            fmt("a = 1\n\n\n\nb = 2\n\n\n// end\n"),
            "a = 1\n\nb = 2\n\n// end"
        );
    }

    #[test]
    fn one_line_and_multi_line_lists() {
        assert_eq!(fmt("a = [1,2,  3]\n"), "a = [1, 2, 3]");
        assert_eq!(fmt("a = [1,\n2]\n"), "a = [1,\n\t2]");
        assert_eq!(fmt("a = [\n1,\n2,\n]\n"), "a = [\n\t1,\n\t2,\n]");
        assert_eq!(fmt("a = {x=1, y=2}\n"), "a = {x = 1, y = 2}");
        assert_eq!(fmt("a = {}\nb = []\nc = f()\n"), "a = {}\nb = []\nc = f()");
    }

    #[test]
    fn multi_line_object_value_ends_the_field_alignment_run() {
        let src = "a = {\nx = 1,\nlonger = {\nk = 1,\n},\ny = 2,\nzz = 3,\n}\n";
        assert_eq!(
            fmt(src),
            "a = {\n\tx      = 1,\n\tlonger = {\n\t\tk = 1,\n\t},\n\ty  = 2,\n\tzz = 3,\n}"
        );
    }

    #[test]
    fn call_with_empty_args_on_two_lines_stays_parseable() {
        assert_eq!(fmt("a = f(\n)\n"), "a = f()");
    }

    #[test]
    fn comment_before_the_closing_paren_of_a_multi_line_call_stays_inside() {
        let src = "a = f(\n  1,\n  // c\n)\nb = 2\n";
        assert_eq!(fmt(src), "a = f(\n\t1,\n\t// c\n)\nb = 2");
        let src = "a = f(0,\n) // c\nb = 2\n";
        assert_eq!(fmt(src), "a = f(0,\n) // c\nb = 2");
    }

    #[test]
    fn comment_inside_a_one_line_call_moves_after_it_like_alloy() {
        // `)` has no recorded position in Alloy's tree; its estimate lies before the comment.
        assert_eq!(fmt("a = f(1 /* c */)\n"), "a = f(1) /* c */");
    }

    #[test]
    fn block_comments_between_tokens_keep_spaces() {
        assert_eq!(fmt("a = 1 + /* two */ 2\n"), "a = 1 + /* two */ 2");
        assert_eq!(fmt("/* head */ a = 1\n"), "/* head */ a = 1");
    }

    #[test]
    fn index_after_a_comment() {
        assert_eq!(fmt("a = x/* c */[0]\n"), "a = x /* c */ [0]");
    }

    #[test]
    fn strings_that_alloy_would_alter_are_kept() {
        assert_eq!(fmt("a = \"x\ty\"\nbb = 1\n"), "a  = \"x\ty\"\nbb = 1");
        assert_eq!(fmt("a = `x  \ny`\n"), "a = `x  \ny`");
    }

    #[test]
    fn empty_label_is_dropped_and_raw_label_is_an_error() {
        assert_eq!(fmt("b \"\" {\n}\n"), "b { }");
        let (file, _) = parse_file(SourceFile::new("t.alloy", "b `x` {\n}\n"));
        let err = format_file(&file).unwrap_err();
        assert_eq!(
            err.message,
            "expected block label to be a double quoted string, but got \"`x`\""
        );
    }

    #[test]
    fn backtick_keys_become_double_quoted() {
        assert_eq!(fmt("a = {`k` = 1}\n"), "a = {\"k\" = 1}");
    }

    #[test]
    fn format_expr_prints_one_expression() {
        let src = SourceFile::new("e", "[1,\n2]");
        let (expr, diags) = crate::parser::parse_expression(src.clone());
        assert!(diags.is_empty());
        assert_eq!(format_expr(&expr.unwrap(), &src), "[1,\n\t2]");
    }

    #[test]
    fn cli_output_ends_with_one_newline() {
        let (file, _) = parse_file(SourceFile::new("t.alloy", "a=1\n\n\n"));
        assert_eq!(format_file_for_cli(&file).unwrap(), "a = 1\n");
    }

    /// Random configurations: a generator renders a random tree as source text with a random layout (line
    /// breaks, blank lines, comments) and, beside it, the tree's span-free shape. The text must parse to that
    /// shape; formatting must keep the shape and the comments, and formatting again must change nothing.
    mod roundtrip {
        use proptest::prelude::*;

        use crate::ast::{BinaryOp, Expr, ExprKind, Literal, Stmt, UnaryOp};
        use crate::parser::parse_file;
        use crate::printer::format_file;
        use crate::SourceFile;

        fn shape_body(stmts: &[Stmt]) -> String {
            let parts: Vec<String> = stmts
                .iter()
                .map(|s| match s {
                    Stmt::Attribute(a) => format!("(attr {} {})", a.name.name, shape(&a.value)),
                    Stmt::Block(b) => {
                        let label = b
                            .label
                            .as_ref()
                            .map(|l| l.value.clone())
                            .unwrap_or_default();
                        format!(
                            "(block {} {label:?} {})",
                            b.name_string(),
                            shape_body(&b.body)
                        )
                    }
                })
                .collect();
            parts.join(" ")
        }

        fn shape(e: &Expr) -> String {
            let list = |items: Vec<String>| items.join(",");
            match &e.kind {
                ExprKind::Literal(Literal::String { value, .. }) => format!("{value:?}"),
                ExprKind::Literal(Literal::Number(n) | Literal::Float(n)) => n.to_string(),
                ExprKind::Literal(Literal::Bool(b)) => b.to_string(),
                ExprKind::Literal(Literal::Null) => "null".into(),
                ExprKind::Ident(name) => name.to_string(),
                ExprKind::Array { elements, .. } => {
                    format!("[{}]", list(elements.iter().map(shape).collect()))
                }
                ExprKind::Object { fields, .. } => {
                    format!(
                        "{{{}}}",
                        list(
                            fields
                                .iter()
                                .map(|f| format!("{:?}={}", f.key, shape(&f.value)))
                                .collect()
                        )
                    )
                }
                ExprKind::Access { value, name } => format!("(. {} {})", shape(value), name.name),
                ExprKind::Index { value, index } => {
                    format!("(idx {} {})", shape(value), shape(index))
                }
                ExprKind::Call { callee, args, .. } => {
                    let mut s = format!("(call {}", shape(callee));
                    for a in args {
                        s.push(' ');
                        s.push_str(&shape(a));
                    }
                    s + ")"
                }
                ExprKind::Unary { op, operand, .. } => {
                    format!("({} {})", op.as_str(), shape(operand))
                }
                ExprKind::Binary { op, lhs, rhs, .. } => {
                    format!("({} {} {})", op.as_str(), shape(lhs), shape(rhs))
                }
                ExprKind::Paren(inner) => format!("(paren {})", shape(inner)),
            }
        }

        /// How an expression may be combined without parentheses.
        #[derive(Clone, Copy, Debug, PartialEq)]
        enum Class {
            /// Can take `.name`, `[i]`, `(args)` after it.
            Postfix,
            Literal,
            Unary,
            Binary(u8),
        }

        #[derive(Clone, Debug)]
        struct G {
            text: String,
            shape: String,
            class: Class,
        }

        fn g(text: String, shape: String, class: Class) -> G {
            G { text, shape, class }
        }

        fn paren(e: G) -> G {
            g(
                format!("({})", e.text),
                format!("(paren {})", e.shape),
                Class::Postfix,
            )
        }

        /// A list with a line break (and maybe a trailing comment) where `breaks` says: before the first item,
        /// after each comma, and before the closing bracket (which then needs a trailing comma).
        fn list(
            open: &str,
            close: &str,
            items: &[String],
            breaks: &[(bool, bool)],
            comments: bool,
        ) -> String {
            let mut s = open.to_string();
            let newline = |s: &mut String, (brk, comment): (bool, bool), i: usize| {
                if brk {
                    if comments && comment {
                        s.push_str(&format!(" // c{i}"));
                    }
                    s.push('\n');
                }
            };
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                    if !breaks[i].0 {
                        s.push(' ');
                    }
                }
                newline(&mut s, breaks[i], i);
                s.push_str(item);
            }
            if !items.is_empty() && breaks[items.len()].0 {
                s.push(',');
                newline(&mut s, breaks[items.len()], items.len());
            }
            s.push_str(close);
            s
        }

        fn breaks(n: usize) -> impl Strategy<Value = Vec<(bool, bool)>> {
            prop::collection::vec((any::<bool>(), prop::bool::weighted(0.3)), n + 1)
        }

        fn string_literal() -> impl Strategy<Value = G> {
            let chars = prop::sample::select(vec!['a', 'b', ' ', 'é', '"', '\\', '\n', '\t', '.']);
            prop::collection::vec(chars, 0..6).prop_map(|cs| {
                let value: String = cs.into_iter().collect();
                let mut raw = String::from("\"");
                for c in value.chars() {
                    match c {
                        '"' => raw.push_str("\\\""),
                        '\\' => raw.push_str("\\\\"),
                        '\n' => raw.push_str("\\n"),
                        c => raw.push(c),
                    }
                }
                raw.push('"');
                g(raw, format!("{value:?}"), Class::Literal)
            })
        }

        fn raw_string() -> impl Strategy<Value = G> {
            let chars = prop::sample::select(vec!['a', ' ', '\n', '\t', '"', '\\', '{']);
            prop::collection::vec(chars, 0..8).prop_map(|cs| {
                let value: String = cs.into_iter().collect();
                g(format!("`{value}`"), format!("{value:?}"), Class::Literal)
            })
        }

        fn ident() -> impl Strategy<Value = String> {
            prop::sample::select(vec!["a", "foo", "bar_1", "x", "targets", "métrica"])
                .prop_map(String::from)
        }

        fn leaf() -> impl Strategy<Value = G> {
            prop_oneof![
                (0u32..1000).prop_map(|n| g(n.to_string(), n.to_string(), Class::Literal)),
                prop::sample::select(vec!["1.5", ".5", "2e3", "0."]).prop_map(|f| g(
                    f.to_string(),
                    f.to_string(),
                    Class::Literal
                )),
                string_literal(),
                raw_string(),
                any::<bool>().prop_map(|b| g(b.to_string(), b.to_string(), Class::Literal)),
                Just(g("null".into(), "null".into(), Class::Literal)),
                ident().prop_map(|i| g(i.clone(), i, Class::Postfix)),
            ]
        }

        const BINARY: [BinaryOp; 14] = [
            BinaryOp::Or,
            BinaryOp::And,
            BinaryOp::Eq,
            BinaryOp::NotEq,
            BinaryOp::Lt,
            BinaryOp::LtEq,
            BinaryOp::Gt,
            BinaryOp::GtEq,
            BinaryOp::Add,
            BinaryOp::Sub,
            BinaryOp::Mul,
            BinaryOp::Div,
            BinaryOp::Mod,
            BinaryOp::Pow,
        ];

        fn binary(op: BinaryOp, l: G, r: G, layout: u8) -> G {
            let prec = op.precedence();
            let pow = op == BinaryOp::Pow;
            let l = match l.class {
                Class::Binary(lp) if lp < prec || (lp == prec && pow) => paren(l),
                _ => l,
            };
            let r = match r.class {
                Class::Binary(rp) if rp < prec || (rp == prec && !pow) => paren(r),
                _ => r,
            };
            // The operator may end a line, and a block comment may sit after it.
            let sep = match layout % 4 {
                0 => format!(" {} ", op.as_str()),
                1 => op.as_str().to_string(),
                2 => format!(" {}\n", op.as_str()),
                _ => format!(" {} /* c */ ", op.as_str()),
            };
            // Without spaces, `-` followed by `-`, or `/` by `/` or `*`, would scan as something else.
            let sep = if sep == op.as_str()
                && (r.text.starts_with(['-', '/', '*', '.']) || l.text.ends_with(['-', '/']))
            {
                format!(" {} ", op.as_str())
            } else {
                sep
            };
            g(
                format!("{}{sep}{}", l.text, r.text),
                format!("({} {} {})", op.as_str(), l.shape, r.shape),
                Class::Binary(prec),
            )
        }

        fn expr() -> impl Strategy<Value = G> {
            leaf().prop_recursive(4, 32, 4, |inner| {
                let items = prop::collection::vec(inner.clone(), 0..4);
                prop_oneof![
                    items.clone().prop_flat_map(|xs| {
                        let n = xs.len();
                        (Just(xs), breaks(n)).prop_map(|(xs, b)| {
                            let texts: Vec<String> = xs.iter().map(|x| x.text.clone()).collect();
                            let shapes: Vec<String> = xs.iter().map(|x| x.shape.clone()).collect();
                            g(
                                list("[", "]", &texts, &b, true),
                                format!("[{}]", shapes.join(",")),
                                Class::Postfix,
                            )
                        })
                    }),
                    prop::collection::vec(
                        (
                            prop_oneof![
                                ident().prop_map(|i| (i.clone(), i)),
                                prop::sample::select(vec!["k y", "__address__", "", "a.b"])
                                    .prop_map(|k| (format!("\"{k}\""), k.to_string())),
                            ],
                            inner.clone()
                        ),
                        0..4
                    )
                    .prop_flat_map(|fs| {
                        let n = fs.len();
                        (Just(fs), breaks(n)).prop_map(|(fs, b)| {
                            let texts: Vec<String> = fs
                                .iter()
                                .map(|((raw, _), v)| format!("{raw} = {}", v.text))
                                .collect();
                            let shapes: Vec<String> = fs
                                .iter()
                                .map(|((_, key), v)| format!("{key:?}={}", v.shape))
                                .collect();
                            g(
                                list("{", "}", &texts, &b, true),
                                format!("{{{}}}", shapes.join(",")),
                                Class::Postfix,
                            )
                        })
                    }),
                    (
                        prop::sample::select(vec!["f", "array.concat", "encoding.from_json"]),
                        items
                    )
                        .prop_flat_map(|(callee, xs)| {
                            let n = xs.len();
                            (Just(callee), Just(xs), breaks(n)).prop_map(|(callee, xs, b)| {
                                let texts: Vec<String> =
                                    xs.iter().map(|x| x.text.clone()).collect();
                                let callee_shape = match callee.split_once('.') {
                                    Some((ns, f)) => format!("(. {ns} {f})"),
                                    None => callee.to_string(),
                                };
                                let mut shape = format!("(call {callee_shape}");
                                for x in &xs {
                                    shape.push(' ');
                                    shape.push_str(&x.shape);
                                }
                                g(
                                    list(&format!("{callee}("), ")", &texts, &b, true),
                                    shape + ")",
                                    Class::Postfix,
                                )
                            })
                        }),
                    (inner.clone(), ident()).prop_map(|(v, name)| {
                        let v = if v.class == Class::Postfix {
                            v
                        } else {
                            paren(v)
                        };
                        g(
                            format!("{}.{name}", v.text),
                            format!("(. {} {name})", v.shape),
                            Class::Postfix,
                        )
                    }),
                    (inner.clone(), inner.clone()).prop_map(|(v, i)| {
                        let v = if v.class == Class::Postfix {
                            v
                        } else {
                            paren(v)
                        };
                        g(
                            format!("{}[{}]", v.text, i.text),
                            format!("(idx {} {})", v.shape, i.shape),
                            Class::Postfix,
                        )
                    }),
                    (any::<bool>(), inner.clone()).prop_map(|(not, v)| {
                        let op = if not { UnaryOp::Not } else { UnaryOp::Neg };
                        let v = if matches!(v.class, Class::Binary(_)) {
                            paren(v)
                        } else {
                            v
                        };
                        g(
                            format!("{}{}", op.as_str(), v.text),
                            format!("({} {})", op.as_str(), v.shape),
                            Class::Unary,
                        )
                    }),
                    (
                        prop::sample::select(BINARY.to_vec()),
                        inner.clone(),
                        inner.clone(),
                        any::<u8>()
                    )
                        .prop_map(|(op, l, r, layout)| binary(op, l, r, layout)),
                    inner.prop_map(paren),
                ]
            })
        }

        #[derive(Clone, Debug)]
        struct Body {
            text: String,
            shape: String,
        }

        fn attribute() -> impl Strategy<Value = (String, String, bool)> {
            (ident(), expr(), prop::bool::weighted(0.2)).prop_map(|(name, v, trailing)| {
                let comment = if trailing { " // trailing" } else { "" };
                (
                    format!("{name} = {}{comment}", v.text),
                    format!("(attr {name} {})", v.shape),
                    trailing,
                )
            })
        }

        fn body(depth: u32) -> BoxedStrategy<Body> {
            let stmt: BoxedStrategy<(String, String)> = if depth == 0 {
                attribute().prop_map(|(t, s, _)| (t, s)).boxed()
            } else {
                prop_oneof![
                    3 => attribute().prop_map(|(t, s, _)| (t, s)),
                    1 => (
                        prop::sample::select(vec!["a", "b.c", "prometheus.scrape"]),
                        prop::sample::select(vec![None, Some("lbl"), Some("")]),
                        body(depth - 1),
                        0u8..3,
                    )
                        .prop_map(|(name, label, inner, layout)| {
                            let label_text = label.map(|l| format!(" \"{l}\"")).unwrap_or_default();
                            let text = if inner.text.is_empty() {
                                match layout {
                                    0 => format!("{name}{label_text} {{}}"),
                                    1 => format!("{name}{label_text} {{ // inside\n}}"),
                                    _ => format!("{name}{label_text} {{\n\n}}"),
                                }
                            } else {
                                format!("{name}{label_text} {{\n{}\n}}", inner.text)
                            };
                            let shape = format!("(block {name} {:?} {})", label.unwrap_or(""), inner.shape);
                            (text, shape)
                        }),
                ]
                .boxed()
            };
            prop::collection::vec((stmt, 1usize..4, prop::bool::weighted(0.2)), 0..5)
                .prop_map(|stmts| {
                    let mut text = String::new();
                    let mut shapes = Vec::new();
                    for (i, ((t, s), newlines, lead_comment)) in stmts.into_iter().enumerate() {
                        if i > 0 {
                            text.push_str(&"\n".repeat(newlines));
                        }
                        if lead_comment {
                            text.push_str("// leading\n");
                        }
                        text.push_str(&t);
                        shapes.push(s);
                    }
                    Body {
                        text,
                        shape: shapes.join(" "),
                    }
                })
                .boxed()
        }

        fn format_source(src: &str) -> (String, String, Vec<String>) {
            let (file, diags) = parse_file(SourceFile::new("gen.alloy", src));
            assert!(
                diags.is_empty(),
                "does not parse:\n{src}\n{}",
                diags.render()
            );
            let comments = file.comments.iter().map(|c| c.text.to_string()).collect();
            (
                shape_body(&file.body),
                format_file(&file).unwrap(),
                comments,
            )
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            #[test]
            fn formatting_keeps_the_tree_and_is_idempotent(b in body(2), end_comment in any::<bool>()) {
                let mut src = b.text.clone();
                if end_comment {
                    src.push_str("\n// the end\n");
                }
                let (shape, once, comments) = format_source(&src);
                prop_assert_eq!(&shape, &b.shape, "the generator and the parser disagree on:\n{}", src);
                let (shape2, twice, comments2) = format_source(&once);
                prop_assert_eq!(&shape2, &shape, "formatting changed the tree:\n{}\n---\n{}", src, once);
                prop_assert_eq!(&comments2, &comments, "formatting changed the comments:\n{}\n---\n{}", src, once);
                prop_assert_eq!(&twice, &once, "not idempotent:\n{}", src);
            }
        }
    }
}
