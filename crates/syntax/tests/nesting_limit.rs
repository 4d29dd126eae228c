//! Deeply nested configurations are refused at the place where they pass [`MAX_NESTING_DEPTH`], and never
//! overflow a thread's stack: everything here runs on a 2 MiB thread, the stack tokio gives the blocking
//! threads that run `/-/reload` and SIGHUP reloads. A configuration nested up to the limit still parses,
//! formats (both ways) and evaluates on half of that.

use ingot_syntax::ast::Stmt;
use ingot_syntax::eval::{Evaluator, Scope};
use ingot_syntax::limits::{nesting_message, MAX_NESTING_DEPTH};
use ingot_syntax::parser::{parse_expression, parse_file};
use ingot_syntax::printer::format_file;
use ingot_syntax::SourceFile;

const TWO_MIB: usize = 2 << 20;

fn on_stack<T: Send + 'static>(bytes: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(bytes)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// A construct nested `n` levels, and where (line, column) the level past the limit starts.
struct Shape {
    name: &'static str,
    text: fn(usize) -> String,
    /// Line and column of the token that opens level `MAX_NESTING_DEPTH + 1`.
    past_limit: fn(usize) -> (usize, usize),
}

const SHAPES: &[Shape] = &[
    Shape {
        name: "parentheses",
        text: |n| format!("a = {}1{}\n", "(".repeat(n), ")".repeat(n)),
        past_limit: |k| (1, 4 + k),
    },
    Shape {
        name: "brackets",
        text: |n| format!("a = {}1{}\n", "[".repeat(n), "]".repeat(n)),
        past_limit: |k| (1, 4 + k),
    },
    Shape {
        name: "braces",
        text: |n| format!("a = {}1{}\n", "{b = ".repeat(n), "}".repeat(n)),
        past_limit: |k| (1, 5 + (k - 1) * 5),
    },
    Shape {
        name: "blocks",
        text: |n| format!("{}{}", "b {\n".repeat(n), "}\n".repeat(n)),
        past_limit: |k| (k, 3),
    },
    Shape {
        name: "unary minus",
        text: |n| format!("a = {}1\n", "-".repeat(n)),
        past_limit: |k| (1, 4 + k),
    },
    Shape {
        name: "calls",
        text: |n| format!("a = {}1{}\n", "f(".repeat(n), ")".repeat(n)),
        past_limit: |k| (1, 4 + 2 * k),
    },
    Shape {
        name: "a sum",
        text: |n| format!("a = 1{}\n", "+1".repeat(n)),
        past_limit: |k| (1, 4 + 2 * k),
    },
    Shape {
        name: "a power (right-associative)",
        text: |n| format!("a = 1{}\n", "^1".repeat(n)),
        past_limit: |k| (1, 4 + 2 * k),
    },
    Shape {
        name: "field accesses",
        text: |n| format!("a = x{}\n", ".b".repeat(n)),
        past_limit: |k| (1, 4 + 2 * k),
    },
    Shape {
        name: "indexes",
        text: |n| format!("a = x{}\n", "[0]".repeat(n)),
        past_limit: |k| (1, 3 + 3 * k),
    },
];

#[test]
fn nesting_past_the_limit_is_one_error_at_its_place() {
    let limit = MAX_NESTING_DEPTH as usize;
    for shape in SHAPES {
        for n in [limit + 1, 3_000, 12_000, 100_000] {
            let text = (shape.text)(n);
            let size = text.len();
            let (line, column) = (shape.past_limit)(limit + 1);
            let errors = on_stack(TWO_MIB, move || {
                let (_, diags) = parse_file(SourceFile::new("deep.alloy", text));
                diags.iter().map(|d| d.short()).collect::<Vec<_>>()
            });
            assert_eq!(
                errors,
                vec![format!("deep.alloy:{line}:{column}: {}", nesting_message())],
                "{} nested {n} levels ({size} bytes)",
                shape.name
            );
        }
    }
}

#[test]
fn a_single_expression_past_the_limit_is_refused_too() {
    let text = format!("{}1{}", "[".repeat(50_000), "]".repeat(50_000));
    let (message, evaluated) = on_stack(TWO_MIB, move || {
        let source = SourceFile::new("expr", text);
        let (expr, diags) = parse_expression(source.clone());
        let scope = Scope::new();
        // What was kept of the tree is within the limit: walking it is safe.
        let evaluated = Evaluator::new(&source, &scope).eval(&expr.unwrap()).is_ok();
        (diags.iter().next().unwrap().message.clone(), evaluated)
    });
    assert_eq!(message, nesting_message());
    assert!(evaluated);
}

#[test]
fn nesting_up_to_the_limit_parses_formats_and_evaluates_on_half_the_stack() {
    let limit = MAX_NESTING_DEPTH as usize;
    for shape in SHAPES {
        let text = (shape.text)(limit);
        let name = shape.name;
        on_stack(TWO_MIB / 2, move || {
            let (file, diags) = parse_file(SourceFile::new("deep.alloy", text));
            assert!(!diags.has_errors(), "{name}: {}", diags.render());
            let formatted = format_file(&file).unwrap();
            let (again, diags) = parse_file(SourceFile::new("again.alloy", formatted.clone()));
            assert!(!diags.has_errors(), "{name}: {}", diags.render());
            assert_eq!(format_file(&again).unwrap(), formatted, "{name}");
            let scope = Scope::new();
            let mut ev = Evaluator::new(&file.source, &scope);
            for stmt in &file.body {
                if let Stmt::Attribute(a) = stmt {
                    // `x` and `f` do not exist: those fail, at the bottom of the recursion.
                    let _ = ev.eval(&a.value);
                }
            }
            drop((file, again));
        });
    }
}

#[test]
fn the_deepest_value_one_expression_can_build_is_safe_to_walk() {
    use ingot_syntax::limits::MAX_DECODE_DEPTH;
    use ingot_syntax::stdlib::codec::to_json;
    // Brackets up to the nesting limit around a call (the call and `encoding.from_json` take two levels),
    // which decodes JSON nested up to its own limit: a value 398 + 1 levels deep.
    let around = MAX_NESTING_DEPTH as usize - 2;
    let json = format!(
        "{}1{}",
        "[".repeat(MAX_DECODE_DEPTH),
        "]".repeat(MAX_DECODE_DEPTH)
    );
    let text = format!(
        "{}encoding.from_json(\"{json}\"){}",
        "[".repeat(around),
        "]".repeat(around)
    );
    on_stack(TWO_MIB / 2, move || {
        let source = SourceFile::new("expr", text);
        let (expr, diags) = parse_expression(source.clone());
        assert!(!diags.has_errors(), "{}", diags.render());
        let scope = Scope::new();
        let value = Evaluator::new(&source, &scope)
            .eval(&expr.unwrap())
            .unwrap();
        let depth = around + MAX_DECODE_DEPTH;
        let expected = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(to_json(&value).unwrap(), expected);
        assert_eq!(value.to_string().len(), expected.len());
        assert!(value == value.clone());
        drop(value);
    });
}
