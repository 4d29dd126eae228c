//! Alloy's formatter corpus (`shared/corpus/alloy/printer`): every `NAME.in` formats to `NAME.expect`, compared
//! as Alloy's `printer_test.go` compares (the expected file with trailing whitespace trimmed, the output as is),
//! and `NAME.error` cases fail with a message containing the expected text. Every real config also formats
//! idempotently and keeps its tree.

mod shared;

use std::path::{Path, PathBuf};

use ingot_syntax::ast::{Expr, ExprKind, Literal, Stmt};
use ingot_syntax::parser::parse_file;
use ingot_syntax::printer::format_file;
use ingot_syntax::SourceFile;

fn files_with_extension(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    files
}

#[test]
fn golden_files_format_exactly_like_alloy() {
    let Some(root) = shared::corpus_dir() else {
        return;
    };
    let inputs = files_with_extension(&root.join("printer"), "in");
    assert_eq!(inputs.len(), 10);
    let mut failures = Vec::new();
    for input in &inputs {
        let text = std::fs::read_to_string(input).unwrap();
        let (file, diags) = parse_file(SourceFile::new(input.display().to_string(), text));
        let error_path = input.with_extension("error");
        if error_path.exists() {
            // Alloy's test takes the error file with CRLFs normalised and looks for it in the parse error.
            let expected = std::fs::read_to_string(&error_path)
                .unwrap()
                .replace("\r\n", "\n");
            assert!(
                diags.iter().any(|d| d.message.contains(&expected)),
                "{}: parse errors {:?} do not contain {expected:?}",
                input.display(),
                diags.iter().map(|d| &d.message).collect::<Vec<_>>()
            );
            let err = format_file(&file).expect_err("formatting a raw-string label must fail");
            assert!(
                err.message.contains(&expected),
                "{}: {:?}",
                input.display(),
                err.message
            );
            continue;
        }
        assert!(diags.is_empty(), "{}:\n{}", input.display(), diags.render());
        let expected = std::fs::read_to_string(input.with_extension("expect")).unwrap();
        let expected = expected.trim_end();
        let got = format_file(&file).unwrap();
        if got != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}\n--- got\n{got}\n",
                input.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The tree without spans and without the parentheses' and comments' places: what must survive formatting.
fn shape(stmts: &[Stmt]) -> String {
    let mut out = String::new();
    for s in stmts {
        match s {
            Stmt::Attribute(a) => {
                out.push_str(&format!("(attr {} ", a.name.name));
                expr_shape(&a.value, &mut out);
                out.push(')');
            }
            Stmt::Block(b) => {
                let label = b
                    .label
                    .as_ref()
                    .map(|l| l.value.clone())
                    .unwrap_or_default();
                out.push_str(&format!(
                    "(block {} {label:?} {})",
                    b.name_string(),
                    shape(&b.body)
                ));
            }
        }
    }
    out
}

fn expr_shape(e: &Expr, out: &mut String) {
    match &e.kind {
        ExprKind::Literal(Literal::String { value, .. }) => out.push_str(&format!("{value:?}")),
        ExprKind::Literal(Literal::Number(n) | Literal::Float(n)) => out.push_str(n),
        ExprKind::Literal(Literal::Bool(b)) => out.push_str(&b.to_string()),
        ExprKind::Literal(Literal::Null) => out.push_str("null"),
        ExprKind::Ident(name) => out.push_str(name),
        ExprKind::Array { elements, .. } => {
            out.push('[');
            for el in elements {
                expr_shape(el, out);
                out.push(' ');
            }
            out.push(']');
        }
        ExprKind::Object { fields, .. } => {
            out.push('{');
            for f in fields {
                out.push_str(&format!("{:?}=", f.key));
                expr_shape(&f.value, out);
                out.push(' ');
            }
            out.push('}');
        }
        ExprKind::Access { value, name } => {
            out.push_str("(. ");
            expr_shape(value, out);
            out.push_str(&format!(" {})", name.name));
        }
        ExprKind::Index { value, index } => {
            out.push_str("(index ");
            expr_shape(value, out);
            out.push(' ');
            expr_shape(index, out);
            out.push(')');
        }
        ExprKind::Call { callee, args, .. } => {
            out.push_str("(call ");
            expr_shape(callee, out);
            for a in args {
                out.push(' ');
                expr_shape(a, out);
            }
            out.push(')');
        }
        ExprKind::Unary { op, operand, .. } => {
            out.push_str(&format!("({} ", op.as_str()));
            expr_shape(operand, out);
            out.push(')');
        }
        ExprKind::Binary { op, lhs, rhs, .. } => {
            out.push_str(&format!("({} ", op.as_str()));
            expr_shape(lhs, out);
            out.push(' ');
            expr_shape(rhs, out);
            out.push(')');
        }
        ExprKind::Paren(inner) => {
            out.push_str("(paren ");
            expr_shape(inner, out);
            out.push(')');
        }
    }
}

#[test]
fn real_configs_format_idempotently_and_keep_their_tree() {
    let Some(root) = shared::corpus_dir() else {
        return;
    };
    let files = files_with_extension(&root.join("configs"), "alloy");
    assert_eq!(files.len(), 49);
    let mut checked = 0;
    for path in files {
        // The oracledb Dockerfile merely ends in `.alloy`; it is not Alloy syntax (see corpus_parser.rs).
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .contains("Dockerfile")
        {
            continue;
        }
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let (file, diags) = parse_file(SourceFile::new(name.clone(), text));
        assert!(diags.is_empty(), "{name}:\n{}", diags.render());
        let once = format_file(&file).unwrap();

        let (again, diags) = parse_file(SourceFile::new(name.clone(), once.clone()));
        assert!(
            diags.is_empty(),
            "{name}: the formatted text does not parse:\n{}\n{once}",
            diags.render()
        );
        assert_eq!(
            shape(&file.body),
            shape(&again.body),
            "{name}: formatting changed the tree"
        );
        let comments = |f: &ingot_syntax::ast::File| {
            f.comments
                .iter()
                .map(|c| c.text.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            comments(&file),
            comments(&again),
            "{name}: formatting changed the comments"
        );

        let twice = format_file(&again).unwrap();
        assert_eq!(once, twice, "{name}: formatting is not idempotent");
        checked += 1;
    }
    assert_eq!(checked, 48);
}

#[test]
fn trees_recovered_from_broken_files_format_without_panicking() {
    let Some(root) = shared::corpus_dir() else {
        return;
    };
    let mut count = 0;
    for path in files_with_extension(&root.join("parser"), "alloy") {
        let text = std::fs::read_to_string(&path).unwrap();
        let (file, diags) = parse_file(SourceFile::new(path.display().to_string(), text));
        assert!(diags.has_errors());
        let _ = format_file(&file);
        count += 1;
    }
    for entry in std::fs::read_dir(root.join("parser/fuzz/FuzzParser")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let quoted = text
            .lines()
            .nth(1)
            .unwrap()
            .strip_prefix("[]byte(")
            .unwrap()
            .strip_suffix(')')
            .unwrap();
        let input = ingot_syntax::scanner::unquote(quoted).unwrap();
        let (file, _) = parse_file(SourceFile::new("fuzz", input));
        let _ = format_file(&file);
        count += 1;
    }
    assert_eq!(count, 9);
}
