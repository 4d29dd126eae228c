//! `loki.write`'s whole path in one process: appends of 1,000 entries (100-byte lines, 10 streams, as a file
//! source hands them over) → WAL record → the WAL's thread → the endpoint's reader → shard batches → push
//! encoding and snappy → HTTP → a sink on loopback that reads each body and answers 204. Prints entries and
//! MiB of lines per second, CPU seconds per MiB (the whole process: the sink only reads bodies), and peak RSS.
//!
//! Run with `cargo bench -p ingot-loki --bench write`; `INGOT_BENCH_ENTRIES` (default 1,000,000) and
//! `INGOT_BENCH_LINE` (default 100 bytes) change the load. No peer is installable here to run beside it
//! (no Loki client agent is packaged); the anchors are Alloy's sizing guide (about one core per 1
//! MiB/s of logs) and Vector's file source (about 77 MiB/s).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_common::receiver::LogsReceiver;
use ingot_logs::{AppendError, Entry};
use ingot_loki::write::{Arguments, Component};
use ingot_prom::labels::Labels;
use ingot_runtime::component::{ComponentType, Context, MemoryHttp};
use ingot_runtime::exports::ExportsPublisher;
use ingot_runtime::health::HealthReporter;
use ingot_syntax::decode::decode_body;
use ingot_syntax::eval::{Evaluator, Scope};
use ingot_syntax::parser::parse_file;
use ingot_syntax::source::SourceFile;
use ingot_syntax::value::FromValue;
use ingot_testkit::cost::self_cpu_time;
use ingot_testkit::status_kib;
use tokio_util::sync::CancellationToken;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Answers 204 to every request after reading its body; counts body bytes.
fn start_sink(bytes: Arc<AtomicU64>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let bytes = bytes.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut len = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; len];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    bytes.fetch_add(len as u64, Ordering::Relaxed);
                    if stream
                        .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}/loki/api/v1/push")
}

fn main() {
    let total = env_or("INGOT_BENCH_ENTRIES", 1_000_000);
    let line_len = env_or("INGOT_BENCH_LINE", 100);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let _g = rt.enter();
    let body_bytes = Arc::new(AtomicU64::new(0));
    let url = start_sink(body_bytes.clone());
    let text = format!("endpoint {{\n  url = \"{url}\"\n  batch_wait = \"100ms\"\n}}\n");
    let (file, _) = parse_file(SourceFile::new("bench.alloy", &text));
    let scope = Scope::new();
    let mut ev = Evaluator::new(&file.source, &scope);
    let args: Arguments = decode_body(&file.body, &mut ev).unwrap();
    let data = tempfile::tempdir().unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let id = "loki.write.bench";
    let ctx = Context {
        id: id.into(),
        health: HealthReporter::new(id),
        exports: ExportsPublisher::new(id, tx),
        data_path: data.path().join(id),
        memory_addr: "alloy.internal:12345".into(),
        shutdown: CancellationToken::new(),
        tasks: tokio_util::task::TaskTracker::new(),
        memory_http: MemoryHttp::detached(),
        validate_only: false,
        features: Default::default(),
        live_debugging: ingot_runtime::livedebugging::Publisher::detached("test"),
    };
    let component = Arc::new(Component::build(ctx.clone(), args).unwrap());
    component.start();
    let receiver = LogsReceiver::from_value(ctx.exports.get().get("receiver").unwrap()).unwrap();

    // The entries, made before the clock starts.
    let streams: Vec<Labels> = (0..10)
        .map(|i| {
            Labels::from_pairs(&[
                ("job", "bench"),
                ("filename", &format!("/var/log/app{i}.log")),
            ])
        })
        .collect();
    let chunks: Vec<Vec<Entry>> = (0..total.div_ceil(1000))
        .map(|c| {
            (0..1000.min(total - c * 1000))
                .map(|i| {
                    let n = c * 1000 + i;
                    let mut line = format!("{n:012} level=info msg=\"request served\" path=/api ");
                    line.extend(std::iter::repeat_n(
                        'x',
                        line_len.saturating_sub(line.len()),
                    ));
                    line.truncate(line_len);
                    Entry::new(streams[n % 10].clone(), n as i64, line)
                })
                .collect()
        })
        .collect();
    let line_bytes: usize = chunks.iter().flatten().map(|e| e.line.len()).sum();
    let rss_before = status_kib(std::process::id(), "VmRSS");

    let sent = || -> f64 {
        component
            .debug_metrics()
            .iter()
            .filter(|m| m.name() == "loki_write_sent_entries_total")
            .filter_map(|m| m.scalar())
            .sum()
    };
    let cpu0 = self_cpu_time();
    let t0 = Instant::now();
    let mut refused = 0u64;
    for chunk in &chunks {
        loop {
            match receiver.0.append(chunk) {
                Ok(()) => break,
                Err(AppendError::Full { retry_after, .. }) => {
                    refused += 1;
                    std::thread::sleep(retry_after.min(Duration::from_millis(5)));
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    let appended = t0.elapsed();
    while sent() < total as f64 {
        assert!(t0.elapsed() < Duration::from_secs(600), "not delivered");
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = t0.elapsed();
    let cpu = self_cpu_time() - cpu0;
    let mib = line_bytes as f64 / (1 << 20) as f64;
    let hwm = status_kib(std::process::id(), "VmHWM");
    println!("loki.write, {total} entries of {line_len} bytes ({mib:.1} MiB of lines), 10 streams, appends of 1000:");
    println!(
        "  appended in {:.2} s ({refused} appends answered Full and offered again)",
        appended.as_secs_f64()
    );
    println!(
        "  delivered in {:.2} s: {:.0} entries/s, {:.1} MiB/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        mib / elapsed.as_secs_f64()
    );
    println!(
        "  CPU {:.2} s (whole process): {:.3} CPU-s per MiB, {:.2} cores while running",
        cpu.as_secs_f64(),
        cpu.as_secs_f64() / mib,
        cpu.as_secs_f64() / elapsed.as_secs_f64()
    );
    println!(
        "  compressed bytes pushed: {:.1} MiB; RSS {:.1} MiB before the run, peak {:.1} MiB (the entries made up front included)",
        body_bytes.load(Ordering::Relaxed) as f64 / (1 << 20) as f64,
        rss_before as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    ctx.shutdown.cancel();
}
