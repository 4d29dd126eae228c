//! CPU per scrape and resident memory of ingot's postgres and nginx exporters next to Debian's standalone
//! exporters, against the same real servers, in the same run (the machines are shared and noisy; the
//! ratio is the figure to read).
//!
//! ingot's exporters run in this process: CPU is `getrusage(RUSAGE_SELF)` around N scrapes, which does
//! not include an HTTP round trip. A standalone exporter's CPU is its `/proc/<pid>/stat` utime+stime around
//! N scrapes over HTTP, which does. RSS is `VmRSS`: this whole bench process for ingot (test harness and
//! all, so an upper bound for the exporter), the exporter process for the others.
//!
//! Run with `cargo bench -p ingot-prometheus --bench exporters`; `EXPORTER_BENCH_SCRAPES` overrides N.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use ingot_prom::exposition::FamilySet;
use ingot_prometheus::exporter::nginx::{self, ScrapeUri};
use ingot_prometheus::exporter::postgres::collectors::Kind;
use ingot_prometheus::exporter::postgres::dsn::DataSource;
use ingot_prometheus::exporter::postgres::exporter::SCRAPE_TIMEOUT;
use ingot_prometheus::exporter::postgres::{PostgresExporter, Settings};
use ingot_syntax::value::Secret;
use ingot_testkit::cost::{cpu_time, self_cpu_time};
use ingot_testkit::{free_port, require_binary};
use support::{Nginx, Postgres, DATABASE, PASSWORD, USER};

fn rss_kib(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

struct Row {
    name: String,
    scrapes: usize,
    cpu: Duration,
    wall: Duration,
    rss_kib: u64,
}

impl Row {
    fn cpu_per_scrape_us(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.scrapes as f64
    }
}

fn print(title: &str, ours: &Row, theirs: &Row) {
    println!("\n{title}");
    println!(
        "  {:<40} {:>8} {:>16} {:>14} {:>12}",
        "exporter", "scrapes", "CPU/scrape (us)", "wall/scrape", "RSS (MiB)"
    );
    for r in [ours, theirs] {
        println!(
            "  {:<40} {:>8} {:>16.1} {:>12.2}ms {:>12.1}",
            r.name,
            r.scrapes,
            r.cpu_per_scrape_us(),
            r.wall.as_secs_f64() * 1e3 / r.scrapes as f64,
            r.rss_kib as f64 / 1024.0
        );
    }
    println!(
        "  ratio standalone/ingot: CPU {:.2}x, RSS {:.2}x",
        theirs.cpu_per_scrape_us() / ours.cpu_per_scrape_us().max(1e-9),
        theirs.rss_kib as f64 / ours.rss_kib.max(1) as f64
    );
}

fn scrape_http(port: u16, n: usize, pid: u32, name: &str) -> Row {
    support::scrape_peer(port); // warm-up: connections, caches
    let (cpu0, t0) = (cpu_time(pid), Instant::now());
    for _ in 0..n {
        support::scrape_peer(port);
    }
    Row {
        name: name.into(),
        scrapes: n,
        cpu: cpu_time(pid) - cpu0,
        wall: t0.elapsed(),
        rss_kib: rss_kib(&pid.to_string()),
    }
}

fn main() {
    let n: usize = std::env::var("EXPORTER_BENCH_SCRAPES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);

    // PostgreSQL ----------------------------------------------------------------------------------------
    let pg = Postgres::start();
    pg.psql(
        DATABASE,
        "CREATE TABLE items (id int PRIMARY KEY, v text); \
         INSERT INTO items SELECT g, 'x' FROM generate_series(1, 1000) g;",
    );
    let dsn = pg.dsn(USER, PASSWORD, DATABASE);
    let settings = Settings {
        sources: vec![DataSource::parse(&Secret::new(dsn.clone())).unwrap()],
        collectors: Kind::defaults(),
        exclude_databases: Vec::new(),
        timeout: SCRAPE_TIMEOUT,
        default_metrics: true,
        user_queries: None,
    };
    let mut exporter = PostgresExporter::new(settings).unwrap();
    let mut body = Vec::new();
    let report = exporter.gather_into(&mut body);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let (cpu0, t0) = (self_cpu_time(), Instant::now());
    for _ in 0..n {
        body.clear();
        exporter.gather_into(&mut body);
    }
    let ours = Row {
        name: "ingot prometheus.exporter.postgres".into(),
        scrapes: n,
        cpu: self_cpu_time() - cpu0,
        wall: t0.elapsed(),
        rss_kib: rss_kib("self"),
    };
    let series = body
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty() && l[0] != b'#')
        .count();

    let binary = require_binary(
        "prometheus-postgres-exporter",
        "prometheus-postgres-exporter",
    );
    let port = free_port();
    let peer = support::start_exporter(
        "postgres_exporter",
        &binary,
        &[format!("--web.listen-address=127.0.0.1:{port}")],
        &[("DATA_SOURCE_NAME", &dsn)],
        port,
    );
    let theirs = scrape_http(
        port,
        n,
        peer.pid(),
        "Debian postgres_exporter 0.11.1 (HTTP)",
    );
    print(
        &format!("postgres ({series} series from ingot; 0.11.1 runs fewer collectors and its own queries)"),
        &ours,
        &theirs,
    );
    drop(peer);
    drop(exporter);
    drop(pg);

    // nginx ---------------------------------------------------------------------------------------------
    let nginx_n = n * 10;
    let nginx_server = Nginx::start();
    let uri = ScrapeUri::parse(&nginx_server.url("/stub_status")).unwrap();
    let mut families = FamilySet::new();
    let mut out = Vec::new();
    let (cpu0, t0) = (self_cpu_time(), Instant::now());
    for _ in 0..nginx_n {
        out.clear();
        let result = nginx::scrape(&uri, Duration::from_secs(5));
        assert!(result.is_ok(), "{:?}", result.err());
        nginx::encode(&result, &mut families, &mut out);
    }
    let ours = Row {
        name: "ingot prometheus.exporter.nginx".into(),
        scrapes: nginx_n,
        cpu: self_cpu_time() - cpu0,
        wall: t0.elapsed(),
        rss_kib: rss_kib("self"),
    };
    let binary = require_binary("prometheus-nginx-exporter", "prometheus-nginx-exporter");
    let port = free_port();
    let peer = support::start_exporter(
        "nginx_exporter",
        &binary,
        &[
            "-nginx.scrape-uri".into(),
            uri.uri.clone(),
            "-web.listen-address".into(),
            format!("127.0.0.1:{port}"),
        ],
        &[],
        port,
    );
    let theirs = scrape_http(
        port,
        nginx_n,
        peer.pid(),
        "Debian nginx-prometheus-exporter 0.11.0 (HTTP)",
    );
    print("nginx (stub_status)", &ours, &theirs);
}
