//! Host metrics scraped from ingot and from Debian's node_exporter side by side, in one run, with the same
//! collectors: CPU time per scrape (from /proc/<pid>/stat, so the server's HTTP work is included), scrape
//! latency and resident memory for each, and their ratios. Run with `cargo bench -p ingot --bench unix_scrape`.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use ingot_testkit::{free_port, http_get, require_binary, status_kib, Peer};

const SCRAPES: usize = 300;
const WITH_PROCESSES: &[&str] = &[
    "cpu",
    "meminfo",
    "diskstats",
    "filesystem",
    "netdev",
    "loadavg",
    "uname",
    "time",
    "processes",
];
/// `processes` walks every task of every process in /proc: kernel time that no exporter can avoid, which
/// hides the exporters' own cost, so the set is also measured without it.
const WITHOUT_PROCESSES: &[&str] = &[
    "cpu",
    "meminfo",
    "diskstats",
    "filesystem",
    "netdev",
    "loadavg",
    "uname",
    "time",
];

struct Result {
    cpu_ms_per_scrape: f64,
    /// The kernel's share of `cpu_ms_per_scrape` (stime).
    sys_ms_per_scrape: f64,
    median_latency_ms: f64,
    rss_mib: f64,
    /// The anonymous part of `rss_mib` (heap, stacks); the rest is mapped files, mostly the
    /// binary's own code.
    anon_mib: f64,
    bytes: usize,
}

/// User and system CPU seconds of a process.
fn cpu_times(pid: u32) -> (f64, f64) {
    let (user, system) = ingot_testkit::cost::cpu_times(pid).unwrap_or_default();
    (user.as_secs_f64(), system.as_secs_f64())
}

fn measure(peer: &Peer, addr: SocketAddr, path: &str) -> Result {
    // Warm up: first scrapes open files and size buffers.
    for _ in 0..10 {
        http_get(addr, path).unwrap();
    }
    let (user_before, sys_before) = cpu_times(peer.pid());
    let mut latencies = Vec::with_capacity(SCRAPES);
    let mut bytes = 0;
    for _ in 0..SCRAPES {
        let t = Instant::now();
        let (status, body) = http_get(addr, path).unwrap();
        latencies.push(t.elapsed());
        assert_eq!(status, 200);
        bytes = body.len();
    }
    let (user_after, sys_after) = cpu_times(peer.pid());
    let sys = sys_after - sys_before;
    let cpu = user_after - user_before + sys;
    latencies.sort();
    Result {
        cpu_ms_per_scrape: cpu * 1e3 / SCRAPES as f64,
        sys_ms_per_scrape: sys * 1e3 / SCRAPES as f64,
        median_latency_ms: latencies[SCRAPES / 2].as_secs_f64() * 1e3,
        rss_mib: status_kib(peer.pid(), "VmRSS") as f64 / 1024.0,
        anon_mib: status_kib(peer.pid(), "RssAnon") as f64 / 1024.0,
        bytes,
    }
}

fn main() {
    for collectors in [WITH_PROCESSES, WITHOUT_PROCESSES] {
        compare(collectors);
    }
}

fn compare(collectors: &[&str]) {
    let node_exporter = require_binary("prometheus-node-exporter", "prometheus-node-exporter");
    let node_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(node_exporter);
    cmd.arg(format!("--web.listen-address={node_addr}"))
        .arg("--collector.disable-defaults");
    for c in collectors {
        cmd.arg(format!("--collector.{c}"));
    }
    let mut node = Peer::spawn("node_exporter", cmd, tempfile::tempdir().unwrap());
    node.wait_for_port(node_addr, Duration::from_secs(10));

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("host.alloy");
    let list = collectors
        .iter()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    std::fs::write(
        &config,
        format!("prometheus.exporter.unix \"localhost\" {{\n\tset_collectors = [{list}]\n}}\n"),
    )
    .unwrap();
    let ingot_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ingot"));
    cmd.args([
        "run",
        &format!("--server.http.listen-addr={ingot_addr}"),
        &format!("--storage.path={}", dir.path().join("data").display()),
        config.to_str().unwrap(),
    ]);
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(ingot_addr, Duration::from_secs(10));

    let theirs = measure(&node, node_addr, "/metrics");
    let ours = measure(
        &ingot,
        ingot_addr,
        "/api/v0/component/prometheus.exporter.unix.localhost/metrics",
    );

    println!(
        "{SCRAPES} scrapes each, collectors: {}",
        collectors.join(",")
    );
    println!(
        "                 CPU/scrape  (of it kernel)   latency p50   RSS after (of it anon)      body"
    );
    for (name, r) in [("ingot", &ours), ("node_exporter", &theirs)] {
        println!(
            "  {name:<14} {:>8.3} ms  ({:>8.3} ms)  {:>9.3} ms  {:>8.1} MiB  ({:>4.1} MiB)  {:>7} B",
            r.cpu_ms_per_scrape,
            r.sys_ms_per_scrape,
            r.median_latency_ms,
            r.rss_mib,
            r.anon_mib,
            r.bytes
        );
    }
    println!(
        "  ratio ingot/node_exporter: CPU {:.3}, latency {:.2}, RSS {:.2}",
        ours.cpu_ms_per_scrape / theirs.cpu_ms_per_scrape,
        ours.median_latency_ms / theirs.median_latency_ms,
        ours.rss_mib / theirs.rss_mib
    );
}
