//! Token kinds of the Alloy syntax, named as Alloy names them in its messages.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Illegal,
    Eof,
    Comment,
    Ident,
    Number,
    Float,
    String,
    Bool,
    Null,
    /// An automatic terminator: a newline (or EOF, or a comment running to the end of the line) after a token
    /// that can end a statement.
    Terminator,
    Or,
    And,
    Not,
    Assign,
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
    LCurly,
    RCurly,
    LParen,
    RParen,
    LBrack,
    RBrack,
    Comma,
    Dot,
}

impl TokenKind {
    /// The name Alloy uses for the token in diagnostics (`IDENT`, `STRING`, `+`, `)` ...).
    pub fn as_str(self) -> &'static str {
        use TokenKind::*;
        match self {
            Illegal => "ILLEGAL",
            Eof => "EOF",
            Comment => "COMMENT",
            Ident => "IDENT",
            Number => "NUMBER",
            Float => "FLOAT",
            String => "STRING",
            Bool => "BOOL",
            Null => "NULL",
            Terminator => "TERMINATOR",
            Or => "||",
            And => "&&",
            Not => "!",
            Assign => "=",
            Eq => "==",
            NotEq => "!=",
            Lt => "<",
            LtEq => "<=",
            Gt => ">",
            GtEq => ">=",
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Mod => "%",
            Pow => "^",
            LCurly => "{",
            RCurly => "}",
            LParen => "(",
            RParen => ")",
            LBrack => "[",
            RBrack => "]",
            Comma => ",",
            Dot => ".",
        }
    }

    /// Whether a newline right after this token ends the statement.
    pub fn inserts_terminator(self) -> bool {
        use TokenKind::*;
        matches!(
            self,
            Ident | Number | Float | String | Bool | Null | RParen | RBrack | RCurly
        )
    }

    /// Binary operator precedence (0 when the token is not a binary operator).
    pub fn binary_precedence(self) -> u8 {
        use TokenKind::*;
        match self {
            Or => 1,
            And => 2,
            Eq | NotEq | Lt | LtEq | Gt | GtEq => 3,
            Add | Sub => 4,
            Mul | Div | Mod => 5,
            Pow => 6,
            _ => 0,
        }
    }

    /// Literal tokens whose text is their content (identifiers, numbers, strings ...).
    pub fn is_literal(self) -> bool {
        use TokenKind::*;
        matches!(
            self,
            Ident | Number | Float | String | Bool | Null | Comment | Illegal
        )
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
