//! The parser, evaluator and formatter never panic on any input (the stable-toolchain twin of the fuzz
//! target in `fuzz/`): random bytes, and random mixes of Alloy's own tokens, which reach deeper states.

use ingot_syntax::eval::{Evaluator, Scope};
use ingot_syntax::parser::{parse_expression, parse_file};
use ingot_syntax::printer::format_file;
use ingot_syntax::SourceFile;
use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "a",
    "b.c",
    "\"s\"",
    "`r`",
    "\"\\x4",
    "1",
    "010",
    "09",
    "1.5e3",
    ".5",
    "true",
    "null",
    "=",
    "==",
    "!=",
    "<",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "!",
    "||",
    "&&",
    "|",
    "&",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "\n",
    " ",
    "// c\n",
    "/* c */",
    "/*",
    "'x'",
    "\u{feff}",
    "\0",
    "é",
    "blk \"l\" {",
    "x = ",
    "string.format(",
    "sys.env(\"A\")",
];

fn exercise(text: String) {
    let source = SourceFile::new("fuzz.alloy", text);
    let (file, diags) = parse_file(source.clone());
    if !diags.has_errors() {
        let formatted = format_file(&file);
        if let Ok(formatted) = formatted {
            let (again, diags) = parse_file(SourceFile::new("again.alloy", formatted.clone()));
            assert!(
                !diags.has_errors(),
                "formatted output does not parse:\n{formatted}\n{}",
                diags.render()
            );
            assert_eq!(
                format_file(&again).ok().as_deref(),
                Some(formatted.as_str()),
                "not idempotent"
            );
        }
    }
    let (expr, _) = parse_expression(source.clone());
    if let Some(expr) = expr {
        let scope = Scope::new();
        let _ = Evaluator::new(&source, &scope).eval(&expr);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        exercise(String::from_utf8_lossy(&bytes).into_owned());
    }

    #[test]
    fn random_token_soup(picks in proptest::collection::vec(0..TOKENS.len(), 0..60)) {
        exercise(picks.into_iter().map(|i| TOKENS[i]).collect::<Vec<_>>().join(""));
    }
}
