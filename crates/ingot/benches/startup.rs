//! Start-to-ready time and idle memory of `ingot run` with the seed's host config, beside Debian's
//! node_exporter with the same collectors started the same way, in the same run (the machine is shared and
//! noisy, so the ratio is the figure to read). Run with `cargo bench -p ingot --bench startup`.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use ingot_testkit::{free_port, http_get, require_binary, status_kib, Peer};

const RUNS: usize = 15;

/// Starts the command and returns the time until `ready_path` answers 200, with the running peer.
fn start(
    name: &str,
    build: &dyn Fn(SocketAddr) -> Command,
    ready_path: &str,
) -> (Duration, Peer, SocketAddr) {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let cmd = build(addr);
    let t = Instant::now();
    let mut peer = Peer::spawn(name, cmd, tempfile::tempdir().unwrap());
    loop {
        if let Ok((200, _)) = http_get(addr, ready_path) {
            return (t.elapsed(), peer, addr);
        }
        assert!(peer.is_running(), "{name} exited:\n{}", peer.log());
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "{name} not ready:\n{}",
            peer.log()
        );
        std::thread::sleep(Duration::from_micros(500));
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let ingot = env!("CARGO_BIN_EXE_ingot");
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/host-pull.alloy"
    );
    let node_exporter = require_binary("prometheus-node-exporter", "prometheus-node-exporter");
    let collectors = [
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
    let data = tempfile::tempdir().unwrap();
    let storage = format!("--storage.path={}", data.path().display());
    let ingot_cmd = |addr: SocketAddr| {
        let mut c = Command::new(ingot);
        c.args([
            "run",
            &format!("--server.http.listen-addr={addr}"),
            &storage,
            config,
        ]);
        c
    };
    let node_cmd = |addr: SocketAddr| {
        let mut c = Command::new(&node_exporter);
        c.arg(format!("--web.listen-address={addr}"))
            .arg("--collector.disable-defaults");
        for name in collectors {
            c.arg(format!("--collector.{name}"));
        }
        c
    };

    let (mut ingot_times, mut node_times) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        ingot_times.push(start("ingot", &ingot_cmd, "/-/ready").0);
        node_times.push(start("node_exporter", &node_cmd, "/").0);
    }
    let (ingot_ready, node_ready) = (median(ingot_times), median(node_times));

    // Idle memory: after one scrape of the host metrics and two quiet seconds.
    let (_, ingot_peer, ingot_addr) = start("ingot", &ingot_cmd, "/-/ready");
    let (_, node_peer, node_addr) = start("node_exporter", &node_cmd, "/");
    http_get(
        ingot_addr,
        "/api/v0/component/prometheus.exporter.unix.localhost/metrics",
    )
    .unwrap();
    http_get(node_addr, "/metrics").unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let (ingot_rss, node_rss) = (
        status_kib(ingot_peer.pid(), "VmRSS"),
        status_kib(node_peer.pid(), "VmRSS"),
    );

    println!("start to ready (median of {RUNS}):");
    println!(
        "  ingot          {:>8.1} ms",
        ingot_ready.as_secs_f64() * 1e3
    );
    println!(
        "  node_exporter  {:>8.1} ms",
        node_ready.as_secs_f64() * 1e3
    );
    println!(
        "  ratio ingot/node_exporter {:.2}",
        ingot_ready.as_secs_f64() / node_ready.as_secs_f64()
    );
    println!("idle RSS after one scrape:");
    println!("  ingot          {:>8.1} MiB", ingot_rss as f64 / 1024.0);
    println!("  node_exporter  {:>8.1} MiB", node_rss as f64 / 1024.0);
    println!(
        "  ratio ingot/node_exporter {:.2}",
        ingot_rss as f64 / node_rss as f64
    );
}
