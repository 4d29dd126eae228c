//! Parser throughput on a generated 100,000-series exposition.
//!
//! Run: `cargo bench -p ingot-prom --bench text_parse` (prints ns/sample and
//! MB/s per parser; best of several rounds, since the machines are shared).

use std::hint::black_box;
use std::time::{Duration, Instant};

use ingot_prom::labels::LabelsBuilder;
use ingot_prom::text_parse::{Entry, OpenMetricsParser, PromParser};

const SERIES: usize = 100_000;

/// A small deterministic PRNG so the body is identical run to run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// Families shaped like node_exporter / Go client output: counters, gauges,
/// histograms with `le`, 3-6 labels per series, values as integers, decimals
/// and exponent forms.
fn generate(om: bool) -> (Vec<u8>, usize) {
    let subsystems = [
        "node_cpu",
        "node_disk",
        "node_network",
        "http_server",
        "process",
        "go_gc",
        "grpc_client",
        "db_pool",
    ];
    let things = [
        "seconds",
        "bytes",
        "requests",
        "errors",
        "operations",
        "packets",
        "connections",
    ];
    let label_names = [
        "instance",
        "job",
        "device",
        "mode",
        "method",
        "code",
        "handler",
        "cluster",
        "namespace",
        "pod",
    ];
    let label_values = [
        "sda",
        "eth0",
        "GET",
        "POST",
        "200",
        "404",
        "500",
        "/api/v1/query",
        "/metrics",
        "user",
        "system",
        "idle",
        "iowait",
        "prod-eu-west-1",
        "kube-system",
        "web-7f9c8d6b5-x2x9k",
        "10.0.3.17:9100",
        "node-exporter",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(SERIES * 110);
    let mut samples = 0;
    let mut family = 0;
    while samples < SERIES {
        let name = format!("{}_{}_{}", rng.pick(&subsystems), rng.pick(&things), family);
        family += 1;
        let kind = rng.next() % 3;
        let (type_name, suffix) = match kind {
            0 => ("counter", "_total"),
            1 => ("gauge", ""),
            _ => ("histogram", "_bucket"),
        };
        out.push_str(&format!(
            "# HELP {name} Generated {type_name} family number {family}.\n"
        ));
        out.push_str(&format!("# TYPE {name} {type_name}\n"));
        let n_label = 3 + (rng.next() % 4) as usize;
        let mut names: Vec<&str> = Vec::new();
        while names.len() < n_label - usize::from(kind == 2) {
            let n = rng.pick(&label_names);
            if !names.contains(&n) {
                names.push(n);
            }
        }
        names.sort();
        let per_family = 20 + (rng.next() % 60) as usize;
        for j in 0..per_family {
            if samples >= SERIES {
                break;
            }
            let metric = if om && kind == 0 {
                format!("{name}_total")
            } else {
                format!("{name}{suffix}")
            };
            out.push_str(&metric);
            out.push('{');
            for (k, n) in names.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                out.push_str(&format!("{n}=\"{}\"", rng.pick(&label_values)));
            }
            if kind == 2 {
                let les = [
                    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
                    "+Inf",
                ];
                out.push_str(&format!(",le=\"{}\"", les[j % les.len()]));
            }
            out.push_str("} ");
            match rng.next() % 4 {
                0 => out.push_str(&format!("{}", rng.next() % 1_000_000)),
                1 => out.push_str(&format!(
                    "{}.{:03}",
                    rng.next() % 100_000,
                    rng.next() % 1000
                )),
                2 => out.push_str(&format!("{:e}", (rng.next() % 1_000_000) as f64 * 1.37e-9)),
                _ => out.push_str(&format!("{}", (rng.next() % 10_000_000) as f64 / 7.0)),
            }
            out.push('\n');
            samples += 1;
        }
    }
    if om {
        out.push_str("# EOF\n");
    }
    (out.into_bytes(), samples)
}

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
