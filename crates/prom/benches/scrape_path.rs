//! The scrape path on a generated 100,000-series exposition (3–6 labels per series, HELP/TYPE
//! lines): (a) parsing only, (b) everything a `prometheus.scrape` loop does with a body, as
//! `ingot_prom::scrape` runs it — parse, target labels (with `exported_` renaming), series cache,
//! staleness bookkeeping, report series — then relabeling with a few rules through a relabel cache
//! (as `prometheus.relabel` does) into a forwarding sink (a `Vec`).
//!
//! Run: `cargo bench -p ingot-prom --bench scrape_path`. Prints ns per sample and MB/s, best of
//! several rounds (the machines are shared). "steady state" is the second and later scrapes of the
//! same body, where the series and relabel caches hit; "first scrape" starts from empty caches.
//!
//! When `/usr/bin/prometheus` is installed (Debian's 2.42) the same body is also served on loopback
//! and scraped by Prometheus (`GOMAXPROCS=1`); its best `scrape_duration_seconds` is printed for
//! comparison. That figure covers HTTP + parse + TSDB head append, so the loopback fetch of the
//! body alone is printed too. `SCRAPE_PATH_BENCH_PROMETHEUS=0` skips it.

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_prom::labels::Labels;
use ingot_prom::relabel::{
    process_with, Action, CacheLimit, NameScheme, Regex, RelabelCache, Rule, RuleConfig, Scratch,
};
use ingot_prom::sample::{is_stale_nan, release, Sample};
use ingot_prom::scrape::{Report, ReportSeries, ScrapeCache, ScrapeOptions};
use ingot_prom::text_parse::{Entry, Format, PromParser};

mod support;
use support::generate;

const ROUNDS: usize = 15;

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

fn report(what: &str, body_len: usize, samples: usize, d: Duration) {
    let ns = d.as_nanos() as f64 / samples as f64;
    let mbs = body_len as f64 / d.as_secs_f64() / 1e6;
    println!("{what:<58} {ns:>7.1} ns/sample {mbs:>8.1} MB/s");
}

/// Parsing only: every entry, touching each sample's series text and value.
fn parse_only(body: &[u8]) -> usize {
    let mut p = PromParser::new(body);
    let mut n = 0;
    let mut acc = 0.0;
    let mut len = 0;
    while let Some(e) = p.next_entry().expect("valid body") {
        if let Entry::Sample(s) = e {
            acc += s.value();
            len += s.series().len();
            n += 1;
        }
    }
    black_box((acc, len));
    n
}

/// One target's loop state plus a downstream `prometheus.relabel`, feeding a `Vec`.
struct Pipeline {
    format: Format,
    target: Labels,
    opts: ScrapeOptions,
    cache: ScrapeCache,
    report: ReportSeries,
    rules: Vec<Rule>,
    scratch: Scratch,
    /// `prometheus.relabel`'s cache: incoming set to outgoing set (`None`: dropped).
    relabel_cache: RelabelCache,
    scraped: Vec<Sample>,
    /// The forwarding sink.
    sink: Vec<Sample>,
}

fn rule(f: impl FnOnce(&mut RuleConfig)) -> Rule {
    let mut c = RuleConfig::default();
    f(&mut c);
    Rule::new(c).expect("valid rule")
}

impl Pipeline {
    fn new() -> Pipeline {
        Pipeline::for_format(Format::PromText)
    }

    fn for_format(format: Format) -> Pipeline {
        // Public target labels; `job`, `instance` and `cluster` also occur in the body, so some
        // series take the `exported_` renaming.
        let target = Labels::from_pairs(&[
            ("cluster", "bench"),
            ("instance", "127.0.0.1:9100"),
            ("job", "node"),
        ]);
        let rules = vec![
            // Drop one subsystem by name.
            rule(|c| {
                c.source_labels = Some(vec!["__name__".into()]);
                c.regex = Regex::new("go_gc_.*").unwrap();
                c.action = Action::Drop;
            }),
            // Derive a label from another.
            rule(|c| {
                c.source_labels = Some(vec!["pod".into()]);
                c.regex = Regex::new("(.*)-[a-z0-9]+-[a-z0-9]+").unwrap();
                c.target_label = "workload".into();
                c.replacement = "$1".into();
            }),
            // Remove a label.
            rule(|c| {
                c.regex = Regex::new("handler").unwrap();
                c.action = Action::LabelDrop;
            }),
        ];
        Pipeline {
            format,
            report: ReportSeries::new(&target),
            target,
            opts: ScrapeOptions::default(),
            cache: ScrapeCache::new(),
            rules,
            scratch: Scratch::default(),
            relabel_cache: RelabelCache::new(CacheLimit::Size(100_000)),
            scraped: Vec::new(),
            sink: Vec::new(),
        }
    }

    /// One scrape of `body`; returns the number of samples forwarded.
    fn scrape(&mut self, body: &[u8], ts: i64) -> usize {
        let started = Instant::now();
        self.scraped.clear();
        let outcome = self.cache.append_body(
            body,
            self.format,
            &self.target,
            &self.opts,
            ts,
            &mut self.scraped,
        );
        assert!(outcome.error.is_none(), "{:?}", outcome.error);
        let r = Report {
            up: true,
            duration: started.elapsed(),
            samples_scraped: outcome.samples_scraped,
            samples_post_relabel: outcome.samples_post_relabel,
            series_added: outcome.series_added,
            extra: None,
        };
        self.report.append(&r, ts, &mut self.scraped);
        // prometheus.relabel's append: cache lookup, rules on a miss, forward the survivors.
        self.sink.clear();
        let now = Instant::now();
        self.relabel_cache.start_batch();
        for s in &self.scraped {
            let (rules, scratch) = (&self.rules, &mut self.scratch);
            let out = self.relabel_cache.get_or_compute(&s.labels, now, |labels| {
                let mut lb = labels.to_builder();
                process_with(rules, &mut lb, scratch, NameScheme::Legacy)
                    .then(|| lb.labels())
                    .filter(|l| !l.is_empty())
            });
            if is_stale_nan(s.value) {
                self.relabel_cache.remove(&s.labels);
            }
            if let Some(labels) = out {
                self.sink.push(Sample {
                    labels,
                    timestamp_ms: s.timestamp_ms,
                    value: s.value,
                    exemplar: s.exemplar.clone(),
                });
            }
        }
        // Both batches are done with, as in the components once a batch is forwarded.
        release(&mut self.scraped);
        let n = self.sink.len();
        release(&mut self.sink);
        n
    }
}

/// Serves `body` as `text/plain; version=0.0.4` to every request on a loopback port.
fn serve(body: Arc<Vec<u8>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let body = body.clone();
            std::thread::spawn(move || {
                conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(head.as_bytes());
                let _ = conn.write_all(&body);
            });
        }
    });
    addr
}

/// A plain loopback GET of the body: the transport share of Prometheus' figure.
fn fetch(addr: SocketAddr) -> usize {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = Vec::with_capacity(16 << 20);
    s.read_to_end(&mut out).unwrap();
    out.len()
}

fn http_get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string())
}

/// The first value of an instant query, e.g. `{"data":{"result":[{"value":[t,"0.123"]}]}}`.
fn query_value(addr: SocketAddr, query: &str) -> Option<f64> {
    let mut q = String::new();
    for b in query.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            q.push(b as char);
        } else {
            q.push_str(&format!("%{b:02X}"));
        }
    }
    let body = http_get(addr, &format!("/api/v1/query?query={q}"))?;
    let v = body.split("\"value\":[").nth(1)?;
    let v = v.split(',').nth(1)?;
    v.trim_matches(|c| c == '"' || c == ']' || c == '}')
        .parse()
        .ok()
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Scrapes the body with Prometheus 2.42 and returns its best steady-state scrape duration.
fn prometheus_comparison(body: Arc<Vec<u8>>, samples: usize) {
    let bin = Path::new("/usr/bin/prometheus");
    if std::env::var("SCRAPE_PATH_BENCH_PROMETHEUS").as_deref() == Ok("0") {
        println!("prometheus comparison: skipped (SCRAPE_PATH_BENCH_PROMETHEUS=0); ours only");
        return;
    }
    if !bin.is_file() {
        println!(
            "prometheus comparison: not run, /usr/bin/prometheus is not installed (apt-get install prometheus); ours only"
        );
        return;
    }
    let body_len = body.len();
    let target = serve(body);
    let (d, _) = best_of(5, || fetch(target));
    report(
        "loopback HTTP fetch of the body alone",
        body_len,
        samples,
        d,
    );

    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let prom: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\nscrape_configs:\n  - job_name: bench\n    static_configs:\n      - targets: ['{target}']\n        labels:\n          cluster: bench\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let child = Command::new(bin)
        .env("GOMAXPROCS", "1")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={prom}"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn();
    let Ok(child) = child else {
        println!(
            "prometheus comparison: could not start {}; ours only",
            bin.display()
        );
        return;
    };
    let _child = Killed(child);
    // Eight scrapes at most 40 s; the minimum is a steady-state scrape (the series exist).
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut scrapes = 0.0;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        scrapes = query_value(prom, "count_over_time(up{job=\"bench\"}[5m])").unwrap_or(0.0);
        if scrapes >= 8.0 {
            break;
        }
    }
    let best = query_value(
        prom,
        "min_over_time(scrape_duration_seconds{job=\"bench\"}[5m])",
    );
    let up = query_value(prom, "min_over_time(up{job=\"bench\"}[5m])");
    match (best, up) {
        (Some(best), Some(up)) if scrapes >= 2.0 && up == 1.0 => report(
            &format!("prometheus 2.42 scrape, HTTP+parse+append (best of {scrapes})"),
            body_len,
            samples,
            Duration::from_secs_f64(best),
        ),
        _ => println!(
            "prometheus comparison: no successful scrapes within 40 s ({scrapes} scrapes, up {up:?}); ours only"
        ),
    }
}

fn main() {
    let (body, expected) = generate(false);
    println!(
        "scrape_path bench: {} series, {} bytes ({:.0} B/sample)",
        expected,
        body.len(),
        body.len() as f64 / expected as f64
    );

    // For profiling the steady state alone: `SCRAPE_PATH_BENCH=steady cargo bench ...`.
    if std::env::var("SCRAPE_PATH_BENCH").as_deref() == Ok("steady") {
        let mut p = Pipeline::new();
        for i in 0..200 {
            black_box(p.scrape(&body, 1_000 + i * 15_000));
        }
        return;
    }

    // And the first scrape alone: `SCRAPE_PATH_BENCH=first cargo bench ...`.
    if std::env::var("SCRAPE_PATH_BENCH").as_deref() == Ok("first") {
        for _ in 0..10 {
            black_box(Pipeline::new().scrape(&body, 1_000));
        }
        return;
    }

    // (a) Parsing only.
    let (d, n) = best_of(ROUNDS, || parse_only(&body));
    assert_eq!(n, expected);
    report("(a) parse only", body.len(), n, d);

    // (b) The whole path, from empty caches.
    let mut forwarded = 0;
    let (d, _) = best_of(5, || {
        let mut p = Pipeline::new();
        forwarded = p.scrape(&body, 1_000);
        forwarded
    });
    report(
        "(b) whole scrape path, first scrape",
        body.len(),
        expected,
        d,
    );

    // (b) The whole path, steady state.
    let mut p = Pipeline::new();
    let first = p.scrape(&body, 1_000);
    let mut ts = 1_000;
    let (d, n) = best_of(ROUNDS, || {
        ts += 15_000;
        p.scrape(&body, ts)
    });
    assert_eq!(n, first, "a steady scrape forwards what the first did");
    report(
        "(b) whole scrape path, steady state",
        body.len(),
        expected,
        d,
    );
    println!(
        "    forwarded {forwarded} samples per scrape ({} series cached, {} relabel cache entries)",
        p.cache.len(),
        p.relabel_cache.len()
    );

    // The scrape loop's share alone (no relabel stage), steady state.
    let mut cache = ScrapeCache::new();
    let opts = ScrapeOptions::default();
    let target = p.target.clone();
    let mut out = Vec::new();
    cache.append_body(&body, Format::PromText, &target, &opts, 0, &mut out);
    let mut ts = 0;
    let (d, _) = best_of(ROUNDS, || {
        out.clear();
        ts += 15_000;
        cache.append_body(&body, Format::PromText, &target, &opts, ts, &mut out);
        out.len()
    });
    report(
        "    of which parse + target labels + series cache",
        body.len(),
        expected,
        d,
    );

    // The same body in OpenMetrics (what a target that offers it is scraped in by default).
    let (om_body, _) = generate(true);
    let mut p = Pipeline::for_format(Format::OpenMetrics);
    let first = p.scrape(&om_body, 1_000);
    let mut ts = 1_000;
    let (d, n) = best_of(ROUNDS, || {
        ts += 15_000;
        p.scrape(&om_body, ts)
    });
    assert_eq!(n, first);
    report(
        "(b) whole scrape path, steady state, OpenMetrics body",
        om_body.len(),
        expected,
        d,
    );

    // node_exporter's own output (its end-to-end fixture, beside the repository in ../shared),
    // repeated to nearly as many samples, each copy's metric names prefixed so no series repeats.
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/node_exporter/e2e-output.txt");
    match std::fs::read_to_string(&fixture) {
        Ok(one) => {
            let per_copy = one
                .lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .count();
            // As many copies as stay within the relabel cache's default size (100,000 series).
            let copies = expected / per_copy;
            let mut node_body = String::new();
            for copy in 0..copies {
                for line in one.lines() {
                    let (head, rest) = match line.strip_prefix("# HELP ") {
                        Some(rest) => ("# HELP ", rest),
                        None => match line.strip_prefix("# TYPE ") {
                            Some(rest) => ("# TYPE ", rest),
                            None => ("", line),
                        },
                    };
                    node_body.push_str(&format!("{head}c{copy}_{rest}\n"));
                }
            }
            let mut p = Pipeline::new();
            p.scrape(node_body.as_bytes(), 1_000);
            let mut ts = 1_000;
            let (d, _) = best_of(ROUNDS, || {
                ts += 15_000;
                p.scrape(node_body.as_bytes(), ts)
            });
            let parsed = {
                let mut n = 0;
                let mut parser = PromParser::new(node_body.as_bytes());
                while let Some(e) = parser.next_entry().expect("valid body") {
                    n += matches!(e, Entry::Sample(_)) as usize;
                }
                n
            };
            report(
                &format!("(b) steady state, {copies} copies of node_exporter's output"),
                node_body.len(),
                parsed,
                d,
            );
        }
        Err(e) => println!(
            "node_exporter's e2e output: not read ({}: {e})",
            fixture.display()
        ),
    }

    prometheus_comparison(Arc::new(body), expected);
}
