//! The syntax tree of an Alloy file. Every node keeps its span so that diagnostics, the formatter and the
//! reference walker can point back into the source. Comments are kept beside the tree (in source order) so that
//! the formatter can put them back where they were.

use std::sync::Arc;

use crate::source::{SourceFile, Span};

/// Text kept in the tree: identifiers, literals as written, labels, keys. Short texts (most of them) live
/// inline without a heap allocation, which is what makes parsing fast; longer ones are shared.
pub type Name = compact_str::CompactString;

/// A parsed file: its statements and every comment in it.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub source: Arc<SourceFile>,
    pub body: Body,
    /// Every comment of the file, in source order.
    pub comments: Vec<Comment>,
}

/// A `// line` or `/* block */` comment; `text` is the comment exactly as written (CRs removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub span: Span,
    pub text: Name,
}

impl Comment {
    /// A `/* */` comment (it may span lines); otherwise a `//` line comment.
    pub fn is_block(&self) -> bool {
        self.text.starts_with("/*")
    }
}

/// The statements of a file or of a block body.
pub type Body = Vec<Stmt>;

#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    Attribute(Attribute),
    Block(Block),
}

impl Stmt {
    pub fn span(&self) -> Span {
        match self {
            Stmt::Attribute(a) => a.span(),
            Stmt::Block(b) => b.span(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: Name,
    pub span: Span,
}

/// `name = value`
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    pub name: Ident,
    pub value: Expr,
}

impl Attribute {
    pub fn span(&self) -> Span {
        self.name.span.to(self.value.span)
    }
}

/// `name.fragments "label" { body }`
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// The dotted name, one identifier per fragment (`prometheus`, `exporter`, `unix`).
    pub name: Vec<Ident>,
    pub label: Option<Label>,
    pub body: Body,
    /// Span of `{`.
    pub lcurly: Span,
    /// Span of `}`.
    pub rcurly: Span,
}

impl Block {
    /// The dotted name as written: `prometheus.exporter.unix`.
    pub fn name_string(&self) -> String {
        let mut s = String::new();
        for (i, part) in self.name.iter().enumerate() {
            if i > 0 {
                s.push('.');
            }
            s.push_str(&part.name);
        }
        s
    }

    /// Span of the name fragments (without the label).
    pub fn name_span(&self) -> Span {
        match (self.name.first(), self.name.last()) {
            (Some(first), Some(last)) => first.span.to(last.span),
            _ => self.lcurly,
        }
    }

    /// The component id: the name and the label joined by `.` (`prometheus.scrape.default`).
    pub fn id(&self) -> String {
        match &self.label {
            Some(label) if !label.value.is_empty() => {
                format!("{}.{}", self.name_string(), label.value)
            }
            _ => self.name_string(),
        }
    }

    pub fn span(&self) -> Span {
        self.name_span().to(self.rcurly)
    }
}

/// A block label: the decoded value and the literal as written (with its quotes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub value: Name,
    pub raw: Name,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A bare identifier: a variable, a component name fragment or a stdlib namespace.
    Ident(Name),
    Array {
        elements: Vec<Expr>,
        lbrack: Span,
        rbrack: Span,
    },
    Object {
        fields: Vec<ObjectField>,
        lcurly: Span,
        rcurly: Span,
    },
    /// `value.name`
    Access {
        value: Box<Expr>,
        name: Ident,
    },
    /// `value[index]`
    Index {
        value: Box<Expr>,
        index: Box<Expr>,
    },
    /// `callee(args…)`
    Call {
        callee: Box<Expr>,
        args: Vec<Expr>,
        lparen: Span,
        rparen: Span,
    },
    Unary {
        op: UnaryOp,
        op_span: Span,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `( inner )`, kept so that the formatter prints the parentheses back.
    Paren(Box<Expr>),
}

/// A literal, keeping the text as written so that the formatter prints it back unchanged.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// An integer literal as written (`10`, `010`); its value is decided at evaluation (int, uint or float).
    Number(Name),
    /// A float literal as written (`1.5`, `.5`, `1e3`).
    Float(Name),
    /// A string: `raw` as written (with its quotes or backticks), `value` decoded.
    String {
        raw: Name,
        value: Name,
    },
    Bool(bool),
    Null,
}

/// `key = value` inside an object literal. A quoted key keeps its quotes in `raw_key`.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectField {
    /// The key's value: the identifier, or the quoted key's text between the quotes (taken verbatim).
    pub key: Name,
    /// The key exactly as written (`foo` or `"foo bar"`).
    pub raw_key: Name,
    pub key_span: Span,
    pub quoted: bool,
    pub value: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Not,
    Neg,
}

impl UnaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            UnaryOp::Not => "!",
            UnaryOp::Neg => "-",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Pow => "^",
        }
    }

    /// Alloy's precedence: `||` 1, `&&` 2, comparisons 3, `+ -` 4, `* / %` 5, `^` 6.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq => 3,
            BinaryOp::Add | BinaryOp::Sub => 4,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 5,
            BinaryOp::Pow => 6,
        }
    }
}
