//! Parser throughput on a generated 100,000-series exposition.
//!
//! Run: `cargo bench -p ingot-prom --bench text_parse` (prints ns/sample and
//! MB/s per parser; best of several rounds, since the machines are shared).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use ingot_prom::labels::LabelsBuilder;
use ingot_prom::text_parse::{Entry, OpenMetricsParser, PromParser};

mod support;
use support::generate;

fn best_of(rounds: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut n = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        n = black_box(f());
        best = best.min(t.elapsed());
    }
    (best, n)
}

fn report(what: &str, body: &[u8], (d, n): (Duration, usize)) {
    let ns = d.as_nanos() as f64 / n as f64;
    let mbs = body.len() as f64 / d.as_secs_f64() / 1e6;
    println!(
        "{what:<44} {ns:>7.1} ns/sample {mbs:>8.1} MB/s  ({n} samples, {} bytes)",
        body.len()
    );
}

fn prom_values(p: &mut PromParser<'_>) -> usize {
    let mut n = 0;
    let mut acc = 0.0;
    while let Some(e) = p.next_entry().expect("valid body") {
        if let Entry::Sample(s) = e {
            acc += s.value();
            n += s.label_count().min(1);
        }
    }
    black_box(acc);
    n
}

fn main() {
    let rounds = 15;
    let (prom_body, expected) = generate(false);
    let (om_body, _) = generate(true);
    println!(
        "text_parse bench: {} series, text {} bytes ({:.0} B/sample)",
        expected,
        prom_body.len(),
        prom_body.len() as f64 / expected as f64
    );

    let r = best_of(rounds, || prom_values(&mut PromParser::new(&prom_body)));
    assert_eq!(r.1, expected);
    report("prom text: parse (fast path)", &prom_body, r);
    // For profiling one case: `TEXT_PARSE_BENCH=fast cargo bench ...`.
    if std::env::var("TEXT_PARSE_BENCH").as_deref() == Ok("fast") {
        for _ in 0..10 {
            black_box(prom_values(&mut PromParser::new(&prom_body)));
        }
        return;
    }

    // Where the time goes: `TEXT_PARSE_BENCH=parts cargo bench ...` times the value parser
    // alone and the parser on variants of the body (no metadata, values all `1`, no labels).
    if std::env::var("TEXT_PARSE_BENCH").as_deref() == Ok("parts") {
        let values: Vec<&[u8]> = prom_body
            .split(|&c| c == b'\n')
            .filter(|l| !l.starts_with(b"#") && !l.is_empty())
            .map(|l| &l[l.iter().rposition(|&c| c == b' ').unwrap() + 1..])
            .collect();
        let r = best_of(rounds, || {
            let mut acc = 0.0;
            for v in &values {
                acc += ingot_prom::text_parse::parse_prom_float(v).unwrap();
            }
            black_box(acc);
            values.len()
        });
        report("parse_prom_float", &prom_body, r);
        let r = best_of(rounds, || {
            let mut acc = 0.0;
            for v in &values {
                acc += std::str::from_utf8(v).unwrap().parse::<f64>().unwrap();
            }
            black_box(acc);
            values.len()
        });
        report("std parse", &prom_body, r);
        let stripped: Vec<u8> = prom_body
            .split_inclusive(|&c| c == b'\n')
            .filter(|l| !l.starts_with(b"#"))
            .flatten()
            .copied()
            .collect();
        let r = best_of(rounds, || prom_values(&mut PromParser::new(&stripped)));
        report("prom text: parse, samples only", &stripped, r);
        let r = best_of(rounds, || {
            let mut n = 0;
            for line in stripped.split(|&c| c == b'\n') {
                n += line.len() & 1;
            }
            n
        });
        report("split lines only", &stripped, (r.0, expected));
        // Every value replaced by "1".
        let ones: Vec<u8> = stripped
            .split_inclusive(|&c| c == b'\n')
            .flat_map(|l| {
                let cut = l.iter().rposition(|&c| c == b' ').unwrap();
                let mut v = l[..cut].to_vec();
                v.extend_from_slice(b" 1\n");
                v
            })
            .collect();
        let r = best_of(rounds, || prom_values(&mut PromParser::new(&ones)));
        report("prom text: samples only, values all 1", &ones, r);
        // Names only: labels dropped.
        let bare: Vec<u8> = stripped
            .split_inclusive(|&c| c == b'\n')
            .flat_map(|l| {
                let a = l.iter().position(|&c| c == b'{').unwrap();
                let z = l.iter().rposition(|&c| c == b'}').unwrap();
                let mut v = l[..a].to_vec();
                v.extend_from_slice(&l[z + 1..]);
                v
            })
            .collect();
        // The floor: the shortest sample line.
        let tiny = b"a 1\n".repeat(expected);
        let r = best_of(rounds, || prom_values(&mut PromParser::new(&tiny)));
        report("prom text: `a 1` lines", &tiny, (r.0, expected));
        // (`prom_values` counts samples with labels, so count these by the body's lines.)
        let r = best_of(rounds, || prom_values(&mut PromParser::new(&bare)));
        report("prom text: samples only, no labels", &bare, (r.0, expected));
        return;
    }
    // node_exporter's own output (its end-to-end fixture, beside the repository in ../shared),
    // repeated to about as many samples: real label and value shapes rather than generated ones.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/node_exporter/e2e-output.txt");
    match std::fs::read(&fixture) {
        Ok(one) => {
            let samples = |body: &[u8]| {
                let mut p = PromParser::new(body);
                let mut n = 0;
                let mut acc = 0.0;
                while let Some(e) = p.next_entry().expect("node_exporter's output parses") {
                    if let Entry::Sample(s) = e {
                        acc += s.value();
                        n += 1;
                    }
                }
                black_box(acc);
                n
            };
            let body = one.repeat(expected / samples(&one) + 1);
            let r = best_of(rounds, || samples(&body));
            report("node_exporter's e2e output: parse (fast path)", &body, r);
        }
        Err(e) => println!(
            "node_exporter's e2e output: not read ({}: {e})",
            fixture.display()
        ),
    }

    let r = best_of(rounds, || {
        prom_values(&mut PromParser::new(&prom_body).exact_only())
    });
    report("prom text: parse (exact path only)", &prom_body, r);

    let mut b = LabelsBuilder::new();
    let r = best_of(rounds, || {
        let mut p = PromParser::new(&prom_body);
        let mut n = 0;
        while let Some(e) = p.next_entry().unwrap() {
            if let Entry::Sample(s) = e {
                s.write_labels(&mut b);
                n += 1;
            }
        }
        n
    });
    report("prom text: parse + decode labels (builder)", &prom_body, r);

    let r = best_of(rounds, || {
        let mut p = PromParser::new(&prom_body);
        let mut n = 0;
        let mut acc = 0u64;
        while let Some(e) = p.next_entry().unwrap() {
            if let Entry::Sample(s) = e {
                s.write_labels(&mut b);
                acc = acc.wrapping_add(b.labels().hash());
                n += 1;
            }
        }
        black_box(acc);
        n
    });
    report("prom text: parse + Labels + hash", &prom_body, r);

    let r = best_of(rounds, || {
        let mut p = OpenMetricsParser::new(&om_body);
        let mut n = 0;
        let mut acc = 0.0;
        while let Some(e) = p.next_entry().unwrap() {
            if let Entry::Sample(s) = e {
                acc += s.value();
                n += 1;
            }
        }
        black_box(acc);
        n
    });
    assert_eq!(r.1, expected);
    report("openmetrics: parse", &om_body, r);
}
