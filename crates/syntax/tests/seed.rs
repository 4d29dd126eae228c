//! Every config block quoted in the seed story (`shared/seed/`) parses, evaluates and formats as Alloy would
//! (Alloy's formatter indents with tabs; the blocks are otherwise already formatted, so the output is the
//! block with its two-space indents turned into tabs, and formatting it again changes nothing).

mod shared;

use ingot_syntax::ast::{Body, Expr, ExprKind, Stmt};
use ingot_syntax::eval::{Evaluator, Scope};
use ingot_syntax::parser::parse_file;
use ingot_syntax::printer::format_file;
use ingot_syntax::value::Value;
use ingot_syntax::SourceFile;

/// The top-level blocks of the seed text: a line `name.parts "label" {` up to the next line that is `}`.
fn seed_blocks(text: &str) -> Vec<String> {
    let header = regex::Regex::new(r#"^[a-z_]+(\.[a-z_]+)+ "[a-z_]+" \{$"#).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in text.lines() {
        match current.as_mut() {
            None if header.is_match(line) => current = Some(vec![line]),
            None => {}
            Some(lines) => {
                lines.push(line);
                if line == "}" {
                    blocks.push(lines.join("\n") + "\n");
                    current = None;
                }
            }
        }
    }
    blocks
}

/// Puts a stand-in value at every traversal's path, so that references to other components evaluate.
fn stand_ins(body: &Body, scope: &mut Scope) {
    fn walk(e: &Expr, scope: &mut Scope) {
        let mut path = Vec::new();
        let mut cur = e;
        loop {
            match &cur.kind {
                ExprKind::Access { value, name } => {
                    path.push(name.name.to_string());
                    cur = value;
                }
                ExprKind::Ident(first) if !path.is_empty() => {
                    path.push(first.to_string());
                    path.reverse();
                    let parts: Vec<&str> = path.iter().map(String::as_str).collect();
                    scope.insert_path(
                        &parts,
                        Value::string(format!("stand-in for {}", parts.join("."))),
                    );
                    return;
                }
                _ => break,
            }
        }
        if let ExprKind::Array { elements, .. } = &e.kind {
            elements.iter().for_each(|x| walk(x, scope));
        }
    }
    for stmt in body {
        match stmt {
            Stmt::Attribute(a) => walk(&a.value, scope),
            Stmt::Block(b) => stand_ins(&b.body, scope),
        }
    }
}

fn evaluate_all(body: &Body, ev: &mut Evaluator<'_>, count: &mut usize) {
    for stmt in body {
        match stmt {
            Stmt::Attribute(a) => {
                ev.eval(&a.value)
                    .unwrap_or_else(|d| panic!("{}", d.render()));
                *count += 1;
            }
            Stmt::Block(b) => evaluate_all(&b.body, ev, count),
        }
    }
}

#[test]
fn every_seed_block_parses_evaluates_and_formats() {
    let Some(shared) = shared::shared_dir() else {
        return;
    };
    let seed_dir = shared.join("seed");
    let mut blocks = Vec::new();
    for entry in std::fs::read_dir(&seed_dir).unwrap() {
        blocks.extend(seed_blocks(
            &std::fs::read_to_string(entry.unwrap().path()).unwrap(),
        ));
    }
    // The seed quotes the unix exporter twice, a scrape, a remote_write and the postgres exporter.
    assert_eq!(blocks.len(), 5, "{blocks:#?}");

    let mut attributes = 0;
    for text in blocks {
        let source = SourceFile::new("seed.alloy", text.clone());
        let (file, diags) = parse_file(source.clone());
        assert!(diags.is_empty(), "{}\n{text}", diags.render());

        let mut scope = Scope::new();
        stand_ins(&file.body, &mut scope);
        evaluate_all(
            &file.body,
            &mut Evaluator::new(&source, &scope),
            &mut attributes,
        );

        let formatted = format_file(&file).unwrap() + "\n";
        let tabbed: String = text
            .lines()
            .map(|l| {
                let spaces = l.len() - l.trim_start_matches(' ').len();
                format!("{}{}\n", "\t".repeat(spaces / 2), &l[spaces..])
            })
            .collect();
        assert_eq!(formatted, tabbed);
        let (again, _) = parse_file(SourceFile::new("again.alloy", formatted.clone()));
        assert_eq!(
            format_file(&again).unwrap() + "\n",
            formatted,
            "formatting is not idempotent"
        );
    }
    // set_collectors twice, targets, forward_to, url, data_source_names.
    assert_eq!(attributes, 6);
}
