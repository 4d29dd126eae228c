//! Parses (and formats) a generated configuration of 10,000 blocks and prints throughput in MB/s.
//! Run with `cargo bench -p ingot-syntax --bench parse`. The goal for parsing is at least 100 MB/s on one core.

use std::time::{Duration, Instant};

use ingot_syntax::ast::{Body, Stmt};
use ingot_syntax::eval::{Evaluator, Scope};
use ingot_syntax::parser::parse_file;
use ingot_syntax::value::Value;
use ingot_syntax::SourceFile;

/// A config shaped like real ones: components with labels, nested blocks, lists, objects, references,
/// strings with escapes, comments and arithmetic.
fn generate(blocks: usize) -> String {
    let mut s = String::with_capacity(blocks * 400);
    for i in 0..blocks {
        s.push_str(&format!(
            r#"// Scrape job {i}, forwarding through relabeling.
prometheus.scrape "job_{i}" {{
	targets = [
		{{"__address__" = "10.0.{a}.{b}:9100", "env" = "prod", "team" = "infra-{i}"}},
		{{"__address__" = "10.1.{a}.{b}:9100", "env" = "staging"}},
	]
	forward_to      = [prometheus.relabel.r_{i}.receiver]
	scrape_interval = "15s"
	scrape_timeout  = string.format("%ds", 5 + {i} % 5)
	honor_labels    = {i} % 2 == 0 && true

	basic_auth {{
		username = "user_{i}"
		password = sys.env("PASSWORD_{i}")
	}}
}}

"#,
            a = i % 250,
            b = (i / 250) % 250
        ));
    }
    s
}

fn measure<T>(label: &str, bytes: usize, mut f: impl FnMut() -> T) {
    // Warm up, then run for about two seconds and report the best run (the machine is shared and noisy).
    // What `f` returns is dropped outside the timed part, so that building and freeing are told apart.
    drop(f());
    let mut best = Duration::MAX;
    let start = Instant::now();
    let mut runs = 0;
    while start.elapsed() < Duration::from_secs(2) || runs < 3 {
        let t = Instant::now();
        let out = std::hint::black_box(f());
        best = best.min(t.elapsed());
        drop(out);
        runs += 1;
    }
    let mbps = bytes as f64 / 1e6 / best.as_secs_f64();
    println!(
        "{label}: {:.1} MB/s (best of {runs} runs: {:.2} ms for {:.2} MB)",
        mbps,
        best.as_secs_f64() * 1e3,
        bytes as f64 / 1e6
    );
}

fn main() {
    let text = generate(10_000);
    let source = SourceFile::new("bench.alloy", text.clone());
    let (file, diags) = parse_file(source.clone());
    assert!(diags.is_empty(), "{}", diags.render());
    assert_eq!(file.body.len(), 10_000);
    if std::env::var_os("PARSE_ONLY").is_some() {
        // For profiling the parser alone.
        for _ in 0..40 {
            std::hint::black_box(parse_file(source.clone()));
        }
        return;
    }
    measure("scan 10,000 blocks (tokens only)", text.len(), || {
        let mut scanner = ingot_syntax::scanner::Scanner::new(&text);
        let mut n = 0usize;
        while scanner.next_token().kind != ingot_syntax::token::TokenKind::Eof {
            n += 1;
        }
        std::hint::black_box(n);
    });
    measure(
        "parse 10,000 blocks (building the tree)",
        text.len(),
        || parse_file(source.clone()),
    );
    measure("parse 10,000 blocks and free the tree", text.len(), || {
        drop(parse_file(source.clone()));
    });

    // Evaluation: every attribute of every block, in a scope holding the 10,000 relabel receivers the
    // blocks reference (as the runtime builds it from component exports).
    let mut scope = Scope::new();
    for i in 0..10_000 {
        let label = format!("r_{i}");
        scope.insert_path(
            &["prometheus", "relabel", &label],
            Value::object([("receiver", Value::string("rx"))]),
        );
    }
    fn eval_body(ev: &mut Evaluator<'_>, body: &Body, count: &mut usize) {
        for stmt in body {
            match stmt {
                Stmt::Attribute(a) => {
                    ev.eval(&a.value).expect("the generated config evaluates");
                    *count += 1;
                }
                Stmt::Block(b) => eval_body(ev, &b.body, count),
            }
        }
    }
    let mut attributes = 0;
    eval_body(
        &mut Evaluator::new(&source, &scope),
        &file.body,
        &mut attributes,
    );
    measure(
        &format!("evaluate {attributes} attributes"),
        text.len(),
        || {
            let mut count = 0;
            eval_body(&mut Evaluator::new(&source, &scope), &file.body, &mut count);
            std::hint::black_box(count);
        },
    );
}
