//! Host metrics scraped from ingot and from Debian's node_exporter side by side, in one run, with the same
//! collectors and Alloy's collector settings on both: CPU time per scrape (from /proc/<pid>/stat, so the
//! server's HTTP work is included), scrape latency and resident memory for each, and their ratios; first for
//! Alloy's whole default set, then for each of its collectors alone. Run with
//! `cargo bench -p ingot --bench unix_scrape` (`-- <collector>...` measures only those alone).
//!
//! The goals (issue 17): with the whole default set, CPU per scrape at most 0.25x node_exporter's and
//! resident memory under 10 MiB.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ingot_prometheus::exporter::unix::{
    ALLOY_DEFAULT_COLLECTORS, DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE,
    DEFAULT_NETSTAT_FIELDS, DEFAULT_VMSTAT_FIELDS,
};
use ingot_testkit::{free_port, http_get, require_binary, status_kib, Peer};

/// Scrapes of the whole default set, and of each collector alone (CPU time is counted in 10 ms ticks, so
/// 500 scrapes resolve 0.02 ms per scrape).
const SCRAPES: usize = 500;
const SCRAPES_ALONE: usize = 500;

/// Collectors of Alloy's default set that Debian's node_exporter 1.5.0 lacks (not measured).
const NOT_IN_NODE_EXPORTER_1_5: &[&str] = &["watchdog"];

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

fn measure(peer: &Peer, addr: SocketAddr, path: &str, scrapes: usize) -> Result {
    // Warm up: first scrapes open files and size buffers.
    for _ in 0..10 {
        http_get(addr, path).unwrap();
    }
    let (user_before, sys_before) = cpu_times(peer.pid());
    let mut latencies = Vec::with_capacity(scrapes);
    let mut bytes = 0;
    for _ in 0..scrapes {
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
        cpu_ms_per_scrape: cpu * 1e3 / scrapes as f64,
        sys_ms_per_scrape: sys * 1e3 / scrapes as f64,
        median_latency_ms: latencies[scrapes / 2].as_secs_f64() * 1e3,
        rss_mib: status_kib(peer.pid(), "VmRSS") as f64 / 1024.0,
        anon_mib: status_kib(peer.pid(), "RssAnon") as f64 / 1024.0,
        bytes,
    }
}

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let default_set: Vec<&str> = ALLOY_DEFAULT_COLLECTORS
        .iter()
        .copied()
        .filter(|c| !NOT_IN_NODE_EXPORTER_1_5.contains(c))
        .collect();
    let textfiles = tempfile::tempdir().unwrap();
    if only.is_empty() {
        let (ours, theirs) = compare(&default_set, textfiles.path(), SCRAPES);
        println!(
            "Alloy's default set ({} collectors; {} not in node_exporter 1.5), {SCRAPES} scrapes each",
            default_set.len(),
            NOT_IN_NODE_EXPORTER_1_5.join(", ")
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
            "  ratio ingot/node_exporter: CPU {:.3} (goal <= 0.25), latency {:.2}, RSS {:.2}; ingot RSS {:.1} MiB (goal < 10)",
            ours.cpu_ms_per_scrape / theirs.cpu_ms_per_scrape,
            ours.median_latency_ms / theirs.median_latency_ms,
            ours.rss_mib / theirs.rss_mib,
            ours.rss_mib
        );
        println!();
    }
    println!("Each collector alone, {SCRAPES_ALONE} scrapes each (CPU per scrape, the HTTP and exporter overhead included)");
    println!("  collector            ingot  node_exporter    ratio   ingot p50");
    for c in &default_set {
        if !only.is_empty() && !only.iter().any(|o| o == c) {
            continue;
        }
        let (ours, theirs) = compare(&[c], textfiles.path(), SCRAPES_ALONE);
        println!(
            "  {c:<16} {:>8.3} ms  {:>9.3} ms  {:>7.3}  {:>7.3} ms",
            ours.cpu_ms_per_scrape,
            theirs.cpu_ms_per_scrape,
            ours.cpu_ms_per_scrape / theirs.cpu_ms_per_scrape,
            ours.median_latency_ms
        );
    }
}

/// Runs both exporters with `collectors` and Alloy's settings, and measures each.
fn compare(collectors: &[&str], textfiles: &Path, scrapes: usize) -> (Result, Result) {
    let node_exporter = require_binary("prometheus-node-exporter", "prometheus-node-exporter");
    let node_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(node_exporter);
    cmd.arg(format!("--web.listen-address={node_addr}"))
        .arg("--collector.disable-defaults");
    for c in collectors {
        cmd.arg(format!("--collector.{c}"));
    }
    // Alloy's settings where Debian's defaults differ from them.
    cmd.arg("--collector.netdev.device-exclude=^$")
        .arg(format!(
            "--collector.filesystem.mount-points-exclude={DEFAULT_MOUNT_POINTS_EXCLUDE}"
        ))
        .arg(format!(
            "--collector.filesystem.fs-types-exclude={DEFAULT_FS_TYPES_EXCLUDE}"
        ))
        .arg(format!(
            "--collector.netstat.fields={DEFAULT_NETSTAT_FIELDS}"
        ))
        .arg(format!("--collector.vmstat.fields={DEFAULT_VMSTAT_FIELDS}"))
        .arg(format!(
            "--collector.textfile.directory={}",
            textfiles.display()
        ));
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
        format!(
            "prometheus.exporter.unix \"localhost\" {{\n\tset_collectors = [{list}]\n\ttextfile {{\n\t\tdirectory = {:?}\n\t}}\n}}\n",
            textfiles.display().to_string()
        ),
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

    let theirs = measure(&node, node_addr, "/metrics", scrapes);
    let ours = measure(
        &ingot,
        ingot_addr,
        "/api/v0/component/prometheus.exporter.unix.localhost/metrics",
        scrapes,
    );
    (ours, theirs)
}
