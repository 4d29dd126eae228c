//! Parses (and formats) a generated configuration of 10,000 blocks and prints throughput in MB/s.
//! Run with `cargo bench -p ingot-syntax --bench parse`. The goal for parsing is at least 100 MB/s on one core.

use std::time::{Duration, Instant};

use ingot_syntax::parser::parse_file;
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

fn measure(label: &str, bytes: usize, mut f: impl FnMut()) {
    // Warm up, then run for about two seconds and report the best run (the machine is shared and noisy).
    f();
    let mut best = Duration::MAX;
    let start = Instant::now();
    let mut runs = 0;
    while start.elapsed() < Duration::from_secs(2) || runs < 3 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
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
    measure("parse 10,000 blocks", text.len(), || {
        let (file, _) = parse_file(source.clone());
        std::hint::black_box(file);
    });
}
