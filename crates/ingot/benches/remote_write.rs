//! Scrape → Remote Write, side by side: ingot (`prometheus.scrape` → `prometheus.remote_write`), Debian's
//! `vmagent` and Prometheus in agent mode (`--enable-feature=agent`), one after the other, on the same large
//! static exposition served on loopback and the same receiver (a counting sink in this process that decodes
//! every request). For each: CPU seconds per million samples delivered (utime + stime from /proc/<pid>/stat,
//! over a steady-state window after a warm-up), peak RSS (VmHWM), and the ratios to ingot.
//!
//! Run with `cargo bench -p ingot --bench remote_write`. `INGOT_BENCH_SERIES` (default 50000) and
//! `INGOT_BENCH_SECONDS` (default 30, the measured window of each agent) change the load and the run time.
//! Every agent runs with its defaults for queueing and batching; only the scrape interval (1 s), the target
//! and the receiver are set.

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_prom::remote_write::encode::decode_v1;
use ingot_testkit::bench::{env_or, read_request_head};
use ingot_testkit::{free_port, require_binary, status_kib, Peer};

const METRIC: &str = "bench_series";
const WARM_UP: Duration = Duration::from_secs(8);

/// Serves the same exposition to every request (HTTP/1.1, kept alive).
fn start_target(series: u64) -> SocketAddr {
    let mut body = format!("# HELP {METRIC} A benchmark series.\n# TYPE {METRIC} gauge\n");
    for i in 0..series {
        body.push_str(&format!(
            "{METRIC}{{group=\"g{}\",instance_id=\"i{i:06}\",shard=\"{}\"}} {}.5\n",
            i % 100,
            i % 7,
            i * 3
        ));
    }
    let response = Arc::new(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let response = response.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let Some(_) = read_request_head(&mut reader) else {
                        return;
                    };
                    if stream.write_all(&response).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    samples: AtomicU64,
    bench_samples: AtomicU64,
    bad: AtomicU64,
}

/// A Remote Write receiver that decodes every request (Remote Write 1.0, snappy) and counts its samples.
fn start_sink(counts: Arc<Counts>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let counts = counts.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                while let Some(head) = read_request_head(&mut reader) {
                    let (path, len) = (head.path, head.content_length);
                    let mut body = vec![0; len];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let status = if path.starts_with("/api/v1/write") {
                        match decode_v1(&body) {
                            Ok(req) => {
                                let mut all = 0;
                                let mut ours = 0;
                                for ts in &req.timeseries {
                                    let n = ts.samples.len() as u64;
                                    all += n;
                                    if ts
                                        .labels
                                        .iter()
                                        .any(|l| l.name == "__name__" && l.value == METRIC)
                                    {
                                        ours += n;
                                    }
                                }
                                counts.requests.fetch_add(1, Ordering::Relaxed);
                                counts.samples.fetch_add(all, Ordering::Relaxed);
                                counts.bench_samples.fetch_add(ours, Ordering::Relaxed);
                                "204 No Content"
                            }
                            Err(_) => {
                                counts.bad.fetch_add(1, Ordering::Relaxed);
                                "400 Bad Request"
                            }
                        }
                    } else {
                        // vmagent asks which protocol the receiver speaks: this one answers "plain RW 1.0".
                        "404 Not Found"
                    };
                    let head = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
                    if stream.write_all(head.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

struct Measured {
    name: &'static str,
    cpu_s: f64,
    delivered: u64,
    all_delivered: u64,
    hwm_mib: f64,
    window: Duration,
}

impl Measured {
    fn cpu_per_million(&self) -> f64 {
        self.cpu_s / (self.delivered as f64 / 1e6)
    }
}

fn measure(
    name: &'static str,
    peer: &mut Peer,
    counts: &Counts,
    window: Duration,
    expected_per_s: u64,
) -> Measured {
    let warm_deadline = Instant::now() + WARM_UP + Duration::from_secs(30);
    std::thread::sleep(WARM_UP);
    while counts.bench_samples.load(Ordering::Relaxed) < expected_per_s {
        assert!(peer.is_running(), "{name} exited:\n{}", peer.log());
        assert!(
            Instant::now() < warm_deadline,
            "{name} delivered nothing after {WARM_UP:?} and 30 s more:\n{}",
            peer.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let cpu0 = ingot_testkit::cost::cpu_time(peer.pid()).as_secs_f64();
    let ours0 = counts.bench_samples.load(Ordering::Relaxed);
    let all0 = counts.samples.load(Ordering::Relaxed);
    let t0 = Instant::now();
    std::thread::sleep(window);
    let cpu1 = ingot_testkit::cost::cpu_time(peer.pid()).as_secs_f64();
    let ours1 = counts.bench_samples.load(Ordering::Relaxed);
    let all1 = counts.samples.load(Ordering::Relaxed);
    let elapsed = t0.elapsed();
    assert!(peer.is_running(), "{name} exited:\n{}", peer.log());
    Measured {
        name,
        cpu_s: cpu1 - cpu0,
        delivered: ours1 - ours0,
        all_delivered: all1 - all0,
        hwm_mib: status_kib(peer.pid(), "VmHWM") as f64 / 1024.0,
        window: elapsed,
    }
}

fn prometheus_scrape_config(dir: &Path, target: SocketAddr, sink: Option<SocketAddr>) -> String {
    let mut yml = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: bench\n    static_configs:\n      - targets: ['{target}']\n"
    );
    if let Some(sink) = sink {
        yml.push_str(&format!(
            "remote_write:\n  - url: http://{sink}/api/v1/write\n"
        ));
    }
    let path = dir.join(if sink.is_some() {
        "prometheus.yml"
    } else {
        "scrape.yml"
    });
    std::fs::write(&path, yml).unwrap();
    path.display().to_string()
}

fn run_ingot(dir: &Path, target: SocketAddr, sink: SocketAddr) -> Peer {
    let config = dir.join("bench.alloy");
    std::fs::write(
        &config,
        format!(
            r#"
prometheus.scrape "bench" {{
  targets         = [{{ __address__ = "{target}" }}]
  forward_to      = [prometheus.remote_write.bench.receiver]
  job_name        = "bench"
  scrape_interval = "1s"
  scrape_timeout  = "1s"
}}

prometheus.remote_write "bench" {{
  endpoint {{
    url = "http://{sink}/api/v1/write"
  }}
}}
"#
        ),
    )
    .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ingot"));
    cmd.arg("run")
        .arg(&config)
        .arg(format!("--server.http.listen-addr={addr}"))
        .arg(format!(
            "--storage.path={}",
            dir.join("ingot-data").display()
        ));
    let mut peer = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(addr, Duration::from_secs(15));
    peer
}

fn run_vmagent(dir: &Path, target: SocketAddr, sink: SocketAddr) -> Peer {
    let bin = require_binary("vmagent", "victoria-metrics");
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg(format!(
        "-promscrape.config={}",
        prometheus_scrape_config(dir, target, None)
    ))
    .arg(format!("-remoteWrite.url=http://{sink}/api/v1/write"))
    .arg(format!("-httpListenAddr={addr}"))
    .arg(format!(
        "-remoteWrite.tmpDataPath={}",
        dir.join("vmagent-data").display()
    ))
    .arg("-loggerLevel=WARN");
    let mut peer = Peer::spawn("vmagent", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(addr, Duration::from_secs(15));
    peer
}

fn run_prometheus_agent(dir: &Path, target: SocketAddr, sink: SocketAddr) -> Peer {
    let bin = require_binary("prometheus", "prometheus");
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg("--enable-feature=agent")
        .arg(format!(
            "--config.file={}",
            prometheus_scrape_config(dir, target, Some(sink))
        ))
        .arg(format!(
            "--storage.agent.path={}",
            dir.join("agent-data").display()
        ))
        .arg(format!("--web.listen-address={addr}"));
    let mut peer = Peer::spawn("prometheus-agent", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(addr, Duration::from_secs(30));
    peer
}

fn main() {
    // `cargo bench` passes `--bench`; a name filter is not supported by this harness.
    let series = env_or("INGOT_BENCH_SERIES", 50_000);
    let window = Duration::from_secs(env_or("INGOT_BENCH_SECONDS", 30));
    let target = start_target(series);
    let counts = Arc::new(Counts::default());
    let sink = start_sink(counts.clone());
    // Checked before anything runs: a missing peer fails the bench, it is not skipped.
    require_binary("vmagent", "victoria-metrics");
    require_binary("prometheus", "prometheus");

    type Runner = fn(&Path, SocketAddr, SocketAddr) -> Peer;
    let agents: [(&'static str, Runner); 3] = [
        ("ingot", run_ingot),
        ("vmagent", run_vmagent),
        ("prometheus-agent", run_prometheus_agent),
    ];
    let mut results = Vec::new();
    for (name, run) in agents {
        for c in [
            &counts.requests,
            &counts.samples,
            &counts.bench_samples,
            &counts.bad,
        ] {
            c.store(0, Ordering::SeqCst);
        }
        let dir = tempfile::tempdir().unwrap();
        let mut peer = run(dir.path(), target, sink);
        let m = measure(name, &mut peer, &counts, window, series);
        peer.signal(9);
        let _ = peer.wait_exit(Duration::from_secs(10));
        drop(peer);
        assert_eq!(
            counts.bad.load(Ordering::SeqCst),
            0,
            "{name} sent bodies the sink could not decode"
        );
        eprintln!(
            "{name}: {:.2} CPU s, {} samples in {:.1} s",
            m.cpu_s,
            m.delivered,
            m.window.as_secs_f64()
        );
        results.push(m);
    }

    println!(
        "{series} series scraped every 1 s from loopback, Remote Write to a counting sink; {} s measured per agent after a {} s warm-up",
        window.as_secs(),
        WARM_UP.as_secs()
    );
    println!("                    samples/s   all samples/s   CPU s/M samples   peak RSS (VmHWM)");
    for m in &results {
        let secs = m.window.as_secs_f64();
        println!(
            "  {:<17} {:>9.0}   {:>13.0}   {:>15.3}   {:>12.1} MiB",
            m.name,
            m.delivered as f64 / secs,
            m.all_delivered as f64 / secs,
            m.cpu_per_million(),
            m.hwm_mib
        );
    }
    let ingot = &results[0];
    for other in &results[1..] {
        println!(
            "  ratio ingot/{}: CPU per sample {:.3}, peak RSS {:.3}",
            other.name,
            ingot.cpu_per_million() / other.cpu_per_million(),
            ingot.hwm_mib / other.hwm_mib
        );
    }
    // Each agent must have kept up (±10%): a slow one would look cheap per second, not per sample.
    for m in &results {
        let rate = m.delivered as f64 / m.window.as_secs_f64();
        assert!(
            rate > series as f64 * 0.9,
            "{} delivered {rate:.0} samples/s of {series}: it did not keep up",
            m.name
        );
    }
}
