//! Parser throughput on a generated 100,000-series exposition.
//!
//! Run: `cargo bench -p ingot-prom --bench text_parse` (prints ns/sample and
//! MB/s per parser; best of several rounds, since the machines are shared).

use std::hint::black_box;
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
