//! Log files → Loki, side by side: ingot (`loki.source.file` → `loki.write`) and Debian's `syslog-ng` (a
//! `file()` source → an `http()` destination posting Loki's JSON push body), one after the other, tailing
//! the same kind of file and posting to the same receiver (a sink in this process that decodes every
//! request, Loki's protobuf + snappy or its JSON, and counts the lines).
//!
//! Two measures for each agent, CPU from utime + stime in /proc/<pid>/stat and peak RSS (VmHWM):
//! - **throughput**: a file of `INGOT_BENCH_MIB` MiB (default 128) of 100-byte lines written before the
//!   agent starts; the time until the sink has every line, MiB/s, and CPU seconds per MiB shipped;
//! - **steady rate**: 10,000 lines/s of 100 bytes appended for `INGOT_BENCH_SECONDS` (default 20); the share
//!   of a core over the window after a warm-up, and peak RSS;
//! - **idle files**: 500 files read to their end that do not change, for 20 s: the share of a core (both
//!   agents with their default look every 250 ms; ingot backs off for files the kernel's change notices
//!   cover, syslog-ng polls each `file()` at `follow-freq(0.25)`).
//!
//! Both agents batch about alike: ingot with `loki.write`'s defaults (1 MiB or 1 s), syslog-ng with
//! `batch-lines(10000)`, `batch-bytes(1MiB)` and `batch-timeout(1000)` (its default is one request per
//! line). syslog-ng's body is built by a template that does not escape JSON: the bench's lines need none
//! (no quotes, no backslashes).
//!
//! Run with `cargo bench -p ingot --bench logs_ship` (`LOGS_SHIP_BENCH=idle` runs one part: `throughput`,
//! `steady` or `idle`). Missing syslog-ng fails with the install command.

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_testkit::bench::{env_or, read_request_head};
use ingot_testkit::{free_port, require_binary, status_kib, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");
const LINE_BYTES: usize = 100;
const RATE: u64 = 10_000;
const WARM_UP: Duration = Duration::from_secs(3);
const IDLE_FILES: u64 = 500;
const IDLE_WINDOW: Duration = Duration::from_secs(20);

/// A 100-byte line (newline included) carrying its number.
fn line(n: u64) -> String {
    let mut l = format!("seq={n:010} level=info msg=a_benchmark_line_of_a_log_file host=bench ");
    while l.len() < LINE_BYTES - 1 {
        l.push('x');
    }
    l.push('\n');
    l
}

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    lines: AtomicU64,
    bad: AtomicU64,
}

/// Lines in a push body: Loki's protobuf with snappy, or its JSON (`{"streams":[{"values":[...]}]}`).
fn count_lines(body: &[u8]) -> Result<u64, String> {
    if body.first() == Some(&b'{') {
        let doc: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let streams = doc["streams"].as_array().ok_or("no streams")?;
        return Ok(streams
            .iter()
            .map(|s| s["values"].as_array().map_or(0, |v| v.len() as u64))
            .sum());
    }
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| e.to_string())?;
    let streams = ingot_loki::push::decode_push_request(&raw, usize::MAX)?;
    Ok(streams.iter().map(|s| s.entries.len() as u64).sum())
}

/// A Loki push receiver that decodes every request and counts its lines.
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
                    let (path, len, expect) =
                        (head.path, head.content_length, head.expect_continue);
                    if expect && stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
                        return;
                    }
                    let mut body = vec![0; len];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let status = match (path.as_str(), count_lines(&body)) {
                        ("/loki/api/v1/push", Ok(n)) => {
                            counts.requests.fetch_add(1, Ordering::Relaxed);
                            counts.lines.fetch_add(n, Ordering::Relaxed);
                            "204 No Content"
                        }
                        _ => {
                            counts.bad.fetch_add(1, Ordering::Relaxed);
                            "400 Bad Request"
                        }
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

fn run_ingot(dir: &Path, logs: &[PathBuf], sink: SocketAddr) -> Peer {
    let config = dir.join("config.alloy");
    let targets: Vec<String> = logs
        .iter()
        .map(|l| format!(r#"{{ __path__ = "{}", job = "bench" }}"#, l.display()))
        .collect();
    std::fs::write(
        &config,
        format!(
            r#"
loki.source.file "bench" {{
  targets    = [{}]
  forward_to = [loki.write.sink.receiver]
}}

loki.write "sink" {{
  endpoint {{
    url = "http://{sink}/loki/api/v1/push"
  }}
}}
"#,
            targets.join(", ")
        ),
    )
    .unwrap();
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(&config)
        .arg(format!("--server.http.listen-addr={addr}"))
        .arg(format!("--storage.path={}", dir.join("data").display()));
    Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap())
}

fn run_syslog_ng(dir: &Path, logs: &[PathBuf], sink: SocketAddr) -> Peer {
    let bin = require_binary("syslog-ng", "syslog-ng-core syslog-ng-mod-http");
    let config = dir.join("syslog-ng.conf");
    let files: String = logs
        .iter()
        .map(|l| {
            format!(
                r#"file("{}" flags(no-parse) follow-freq(0.25)); "#,
                l.display()
            )
        })
        .collect();
    std::fs::write(
        &config,
        format!(
            r#"@version: 3.38
options {{ stats-freq(0); }};
source s_file {{ {files}}};
destination d_loki {{
  http(
    url("http://{sink}/loki/api/v1/push")
    method("POST")
    headers("Content-Type: application/json")
    batch-lines(10000)
    batch-bytes(1048576)
    batch-timeout(1000)
    body-prefix("{{\"streams\":[{{\"stream\":{{\"job\":\"bench\"}},\"values\":[")
    body("[\"${{R_UNIXTIME}}000000000\",\"${{MESSAGE}}\"]")
    delimiter(",")
    body-suffix("]}}]}}")
  );
}};
log {{ source(s_file); destination(d_loki); }};
"#
        ),
    )
    .unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg("-F")
        .arg("--no-caps")
        .arg("-f")
        .arg(&config)
        .arg("-R")
        .arg(dir.join("syslog-ng.persist"))
        .arg("-p")
        .arg(dir.join("syslog-ng.pid"))
        .arg("-c")
        .arg(dir.join("syslog-ng.ctl"));
    Peer::spawn("syslog-ng", cmd, tempfile::tempdir().unwrap())
}

type Start = fn(&Path, &[PathBuf], SocketAddr) -> Peer;

struct Throughput {
    seconds: f64,
    cpu_s: f64,
    hwm_mib: f64,
}

fn throughput(name: &str, start: Start, mib: u64) -> Throughput {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let lines = mib * 1024 * 1024 / LINE_BYTES as u64;
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
        for n in 0..lines {
            f.write_all(line(n).as_bytes()).unwrap();
        }
    }
    let counts = Arc::new(Counts::default());
    let sink = start_sink(counts.clone());
    let t0 = Instant::now();
    let mut peer = start(dir.path(), std::slice::from_ref(&log), sink);
    let deadline = t0 + Duration::from_secs(600);
    while counts.lines.load(Ordering::Relaxed) < lines {
        assert!(peer.is_running(), "{name} exited:\n{}", peer.log());
        assert!(
            Instant::now() < deadline,
            "{name}: {} of {lines} lines after 600 s:\n{}",
            counts.lines.load(Ordering::Relaxed),
            peer.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let seconds = t0.elapsed().as_secs_f64();
    let cpu_s = ingot_testkit::cost::cpu_time(peer.pid()).as_secs_f64();
    let hwm_mib = status_kib(peer.pid(), "VmHWM") as f64 / 1024.0;
    assert_eq!(
        counts.bad.load(Ordering::Relaxed),
        0,
        "{name}: bad requests"
    );
    Throughput {
        seconds,
        cpu_s,
        hwm_mib,
    }
}

struct Steady {
    core_share: f64,
    hwm_mib: f64,
    delivered_per_s: f64,
}

fn steady(name: &str, start: Start, seconds: u64) -> Steady {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    std::fs::write(&log, "").unwrap();
    let counts = Arc::new(Counts::default());
    let sink = start_sink(counts.clone());
    let mut peer = start(dir.path(), std::slice::from_ref(&log), sink);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, log) = (stop.clone(), log.clone());
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
            let t0 = Instant::now();
            let mut n = 0u64;
            let mut buf = String::new();
            while !stop.load(Ordering::Relaxed) {
                // Every millisecond, the lines due by then, in one write.
                let due = t0.elapsed().as_micros() as u64 * RATE / 1_000_000;
                buf.clear();
                while n < due {
                    buf.push_str(&line(n));
                    n += 1;
                }
                f.write_all(buf.as_bytes()).unwrap();
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    std::thread::sleep(WARM_UP);
    assert!(
        counts.lines.load(Ordering::Relaxed) > 0,
        "{name} delivered nothing in the warm-up:\n{}",
        peer.log()
    );
    let cpu0 = ingot_testkit::cost::cpu_time(peer.pid()).as_secs_f64();
    let lines0 = counts.lines.load(Ordering::Relaxed);
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let cpu1 = ingot_testkit::cost::cpu_time(peer.pid()).as_secs_f64();
    let lines1 = counts.lines.load(Ordering::Relaxed);
    let window = t0.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(peer.is_running(), "{name} exited:\n{}", peer.log());
    Steady {
        core_share: (cpu1 - cpu0) / window,
        hwm_mib: status_kib(peer.pid(), "VmHWM") as f64 / 1024.0,
        delivered_per_s: (lines1 - lines0) as f64 / window,
    }
}

/// The share of a core an agent takes while it holds [`IDLE_FILES`] files read to their end.
fn idle(name: &str, start: Start) -> Idle {
    let dir = tempfile::tempdir().unwrap();
    let logs: Vec<PathBuf> = (0..IDLE_FILES)
        .map(|i| {
            let p = dir.path().join(format!("idle-{i}.log"));
            std::fs::write(&p, line(i)).unwrap();
            p
        })
        .collect();
    let counts = Arc::new(Counts::default());
    let sink = start_sink(counts.clone());
    let mut peer = start(dir.path(), &logs, sink);
    let deadline = Instant::now() + Duration::from_secs(60);
    while counts.lines.load(Ordering::Relaxed) < IDLE_FILES {
        assert!(peer.is_running(), "{name} exited:\n{}", peer.log());
        assert!(
            Instant::now() < deadline,
            "{name}: {} of {IDLE_FILES} lines after 60 s:\n{}",
            counts.lines.load(Ordering::Relaxed),
            peer.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Settled: batches sent, back-off reached.
    std::thread::sleep(Duration::from_secs(6));
    let cost = || {
        let pid = peer.pid();
        (
            ingot_testkit::cost::run_time(pid).as_secs_f64(),
            ingot_testkit::cost::cpu_time(pid).as_secs_f64(),
        )
    };
    let (run0, ticks0) = cost();
    let t0 = Instant::now();
    std::thread::sleep(IDLE_WINDOW);
    let (run1, ticks1) = cost();
    let window = t0.elapsed().as_secs_f64();
    assert!(peer.is_running(), "{name} exited:\n{}", peer.log());
    assert_eq!(counts.lines.load(Ordering::Relaxed), IDLE_FILES, "{name}");
    Idle {
        share: (run1 - run0) / window,
        ticks_share: (ticks1 - ticks0) / window,
    }
}

/// An idle agent's share of a core: from its threads' run time (nanoseconds), and from utime + stime
/// (10 ms ticks, but counting threads that ended in the window too).
struct Idle {
    share: f64,
    ticks_share: f64,
}

fn main() {
    // `cargo bench` passes `--bench`; a filter naming another bench skips this one.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "logs_ship")
    {
        return;
    }
    let mib = env_or("INGOT_BENCH_MIB", 128);
    let seconds = env_or("INGOT_BENCH_SECONDS", 20);
    let agents: [(&str, Start); 2] = [("ingot", run_ingot), ("syslog-ng", run_syslog_ng)];
    let part = std::env::var("LOGS_SHIP_BENCH").ok();
    let runs = |name: &str| part.as_deref().is_none_or(|p| p == name);

    if runs("throughput") {
        throughput_part(agents, mib);
    }
    if runs("steady") {
        steady_part(agents, seconds);
    }
    if runs("idle") {
        idle_part(agents);
    }
}

fn throughput_part(agents: [(&str, Start); 2], mib: u64) {
    println!("throughput: {mib} MiB of {LINE_BYTES}-byte lines, file to Loki push receiver");
    let mut tp = Vec::new();
    for (name, start) in agents {
        let r = throughput(name, start, mib);
        println!(
            "  {name:<10} {:>7.1} MiB/s  {:>7.4} CPU-s/MiB  {:>6.1} MiB/s per core  peak RSS {:>6.1} MiB",
            mib as f64 / r.seconds,
            r.cpu_s / mib as f64,
            mib as f64 / r.cpu_s,
            r.hwm_mib
        );
        tp.push(r);
    }
    println!(
        "  CPU per MiB, ingot / syslog-ng: {:.3}",
        (tp[0].cpu_s / mib as f64) / (tp[1].cpu_s / mib as f64)
    );
}

fn steady_part(agents: [(&str, Start); 2], seconds: u64) {
    println!(
        "steady: {RATE} lines/s of {LINE_BYTES} bytes for {seconds} s after a {WARM_UP:?} warm-up"
    );
    let mut st = Vec::new();
    for (name, start) in agents {
        let r = steady(name, start, seconds);
        println!(
            "  {name:<10} {:>6.2}% of a core  peak RSS {:>6.1} MiB  delivered {:>8.0} lines/s",
            r.core_share * 100.0,
            r.hwm_mib,
            r.delivered_per_s
        );
        st.push(r);
    }
    println!(
        "  core share, ingot / syslog-ng: {:.3}; peak RSS, ingot / syslog-ng: {:.3}",
        st[0].core_share / st[1].core_share,
        st[0].hwm_mib / st[1].hwm_mib
    );
}

fn idle_part(agents: [(&str, Start); 2]) {
    println!("idle: {IDLE_FILES} files read to their end, unchanged for {IDLE_WINDOW:?}");
    let mut shares = Vec::new();
    for (name, start) in agents {
        let r = idle(name, start);
        println!(
            "  {name:<10} {:>6.3}% of a core (threads' run time; {:.2}% from utime + stime)",
            r.share * 100.0,
            r.ticks_share * 100.0
        );
        shares.push(r.share);
    }
    println!(
        "  core share, ingot / syslog-ng: {:.3} (goal: ingot under 0.5% of a core)",
        shares[0] / shares[1]
    );
}
