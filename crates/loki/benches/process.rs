//! `loki.process` beside Debian's syslog-ng doing the same work on the same lines, in the same run.
//!
//! The lines: 1,000,000 JSON objects of about 130 bytes (`time` with nanoseconds, `level`, `app`, `msg`,
//! `user`, `status`), one in eight at level `debug`.
//!
//! - ingot: `stage.json` (`ts`, `level`, `msg`), `stage.labels` (`level`), `stage.timestamp` (RFC3339Nano),
//!   `stage.drop` (level `debug`) and `stage.output` (`msg`), the component built as the runtime builds it,
//!   fed appends of 1,000 entries on one thread; what comes out goes to a receiver that counts it.
//! - syslog-ng: `file()` source, `json-parser()`, `date-parser()` on the time, a filter dropping `debug`,
//!   a rewrite setting the message to `msg`, a `file()` destination. Its CPU time is read from /proc once
//!   every line is out.
//!
//! Prints lines/s and ns/line per core (CPU time) for each and the ratio, then the `regex` stage against the
//! `regex` crate's own `captures` on the same lines. Run with `cargo bench -p ingot-loki --bench process`;
//! `INGOT_BENCH_LINES` changes the count. A missing syslog-ng fails with its install command.
//! `PROCESS_BENCH=pipeline` (or `regex`) runs only that part of ingot, without the peer: for profiling
//! (`perf record`), never for the figures.

use std::io::{BufWriter, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_common::receiver::LogsReceiver;
use ingot_logs::{AppendError, Entry, LogsAppender};
use ingot_loki::process::{Arguments, Component};
use ingot_prom::labels::Labels;
use ingot_runtime::component::{ComponentType, Context, MemoryHttp};
use ingot_runtime::exports::ExportsPublisher;
use ingot_runtime::health::HealthReporter;
use ingot_syntax::decode::decode_body;
use ingot_syntax::eval::{Evaluator, Scope};
use ingot_syntax::parser::parse_file;
use ingot_syntax::source::SourceFile;
use ingot_syntax::value::{FromValue, Value};
use ingot_testkit::cost::{cpu_time, self_cpu_time};
use tokio_util::sync::CancellationToken;

const LEVELS: [&str; 8] = [
    "info", "warn", "error", "info", "info", "warn", "info", "debug",
];

fn line(i: usize) -> String {
    let s = i % 86_400;
    format!(
        r#"{{"time":"2024-05-01T{:02}:{:02}:{:02}.{:09}Z","level":"{}","app":"checkout","msg":"request {i} served in {}ms","user":"u{}","status":200}}"#,
        s / 3600,
        s / 60 % 60,
        s % 60,
        (i * 7919) % 1_000_000_000,
        LEVELS[i % 8],
        i % 977,
        i % 1000
    )
}

#[derive(Default)]
struct Counter(AtomicU64);

impl LogsAppender for Counter {
    fn append(&self, entries: &[Entry]) -> Result<(), AppendError> {
        self.0.fetch_add(entries.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

fn component(stages: &str, sink: Arc<Counter>) -> (Arc<Component>, LogsReceiver) {
    let text = format!("forward_to = [sink.receiver]\n{stages}");
    let (file, diags) = parse_file(SourceFile::new("bench.alloy", &text));
    assert!(!diags.has_errors(), "{diags}");
    let mut scope = Scope::new();
    let r = ingot_logs::LogsReceiver::new("sink".to_string(), sink);
    scope.insert(
        "sink".to_string(),
        Value::object([("receiver", Value::from(LogsReceiver(r)))]),
    );
    let mut ev = Evaluator::new(&file.source, &scope);
    let args: Arguments = decode_body(&file.body, &mut ev).unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let id = "loki.process.bench";
    let ctx = Context {
        id: id.into(),
        health: HealthReporter::new(id),
        exports: ExportsPublisher::new(id, tx),
        data_path: std::env::temp_dir().join(id),
        memory_addr: "alloy.internal:12345".into(),
        shutdown: CancellationToken::new(),
        tasks: tokio_util::task::TaskTracker::new(),
        memory_http: MemoryHttp::detached(),
        validate_only: false,
        features: Default::default(),
        live_debugging: ingot_runtime::livedebugging::Publisher::detached("test"),
    };
    let c = Arc::new(Component::build(ctx.clone(), args).unwrap());
    let receiver = LogsReceiver::from_value(ctx.exports.get().get("receiver").unwrap()).unwrap();
    (c, receiver)
}

/// Runs `chunks` through a component with `stages`; (wall, CPU, entries out).
fn run_ingot(stages: &str, chunks: &[Vec<Entry>]) -> (Duration, Duration, u64) {
    let sink = Arc::new(Counter::default());
    let (_c, receiver) = component(stages, sink.clone());
    let cpu0 = self_cpu_time();
    let t0 = Instant::now();
    for chunk in chunks {
        receiver
            .0
            .append(chunk)
            .expect("the pipeline takes every batch");
    }
    (
        t0.elapsed(),
        self_cpu_time() - cpu0,
        sink.0.load(Ordering::Relaxed),
    )
}

const PIPELINE: &str = r#"
stage.json {
  expressions = { ts = "time", level = "", msg = "" }
}
stage.labels {
  values = { level = "" }
}
stage.timestamp {
  source = "ts"
  format = "RFC3339Nano"
}
stage.drop {
  source = "level"
  value  = "debug"
}
stage.output {
  source = "msg"
}
"#;

const SYSLOG_NG: &str = r#"@version: 3.38
options { stats-freq(0); };
source s { file("IN" flags(no-parse) follow-freq(1) log-fetch-limit(1000) log-iw-size(10000)); };
parser p_json { json-parser(prefix(".json.")); };
parser p_date { date-parser(format("%Y-%m-%dT%H:%M:%S.%f%z") template("${.json.time}")); };
filter f_drop { not match("^debug$" value(".json.level")); };
rewrite r_msg { set("${.json.msg}" value("MESSAGE")); };
destination d { file("OUT" template("${ISODATE} ${.json.level} ${MESSAGE}\n")); };
log { source(s); parser(p_json); parser(p_date); filter(f_drop); rewrite(r_msg); destination(d); };
"#;

/// syslog-ng on the lines in `input`: (wall until every expected line is out, its CPU time).
fn run_syslog_ng(dir: &std::path::Path, expected: u64) -> (Duration, Duration) {
    let bin = ingot_testkit::require_binary("syslog-ng", "syslog-ng-core");
    let conf = dir.join("syslog-ng.conf");
    let out = dir.join("out.log");
    std::fs::write(
        &conf,
        SYSLOG_NG
            .replace("IN", &dir.join("in.log").display().to_string())
            .replace("OUT", &out.display().to_string()),
    )
    .unwrap();
    let t0 = Instant::now();
    let mut child = std::process::Command::new(bin)
        .arg("-F")
        .arg("-f")
        .arg(&conf)
        .arg("-R")
        .arg(dir.join("persist"))
        .arg("-p")
        .arg(dir.join("pid"))
        .arg("-c")
        .arg(dir.join("ctl"))
        .arg("--no-caps")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starting syslog-ng");
    let pid = child.id();
    let mut seen = 0u64;
    let mut offset = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    while seen < expected {
        assert!(
            t0.elapsed() < Duration::from_secs(300),
            "syslog-ng did not finish: {seen} of {expected}"
        );
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("syslog-ng exited ({status}): {err}");
        }
        if let Ok(mut f) = std::fs::File::open(&out) {
            use std::io::Seek;
            f.seek(std::io::SeekFrom::Start(offset)).unwrap();
            loop {
                let n = f.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                offset += n as u64;
                seen += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let wall = t0.elapsed();
    let cpu = cpu_time(pid);
    let _ = child.kill();
    let _ = child.wait();
    (wall, cpu)
}

fn per_core(label: &str, lines: usize, wall: Duration, cpu: Duration) -> f64 {
    let per_cpu_s = lines as f64 / cpu.as_secs_f64();
    println!(
        "  {label:<10} {:>6.2} s wall, {:>6.2} CPU-s: {:>10.0} lines/s, {:>10.0} lines per CPU-second, {:>6.0} ns/line per core",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        lines as f64 / wall.as_secs_f64(),
        per_cpu_s,
        cpu.as_nanos() as f64 / lines as f64
    );
    per_cpu_s
}

fn main() {
    let total: usize = std::env::var("INGOT_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let _g = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..total).map(line).collect();
    {
        let mut f = BufWriter::new(std::fs::File::create(dir.path().join("in.log")).unwrap());
        for l in &lines {
            f.write_all(l.as_bytes()).unwrap();
            f.write_all(b"\n").unwrap();
        }
    }
    let labels = Labels::from_pairs(&[("job", "bench"), ("filename", "/var/log/app.log")]);
    let chunks: Vec<Vec<Entry>> = lines
        .chunks(1000)
        .map(|c| {
            c.iter()
                .map(|l| Entry::new(labels.clone(), 0, l.clone()))
                .collect()
        })
        .collect();
    let kept = (0..total).filter(|i| i % 8 != 7).count() as u64;
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    println!(
        "{total} JSON lines ({:.1} MiB), json + labels + timestamp + drop (1 in 8) + output:",
        bytes as f64 / (1 << 20) as f64
    );
    let only = std::env::var("PROCESS_BENCH").unwrap_or_default();
    if only != "regex" {
        let (wall, cpu, out) = run_ingot(PIPELINE, &chunks);
        assert_eq!(
            out, kept,
            "ingot kept {out} of {total} lines, expected {kept}"
        );
        let ingot = per_core("ingot", total, wall, cpu);
        if only == "pipeline" {
            println!("  (PROCESS_BENCH=pipeline: no peer, no figures to compare)");
            return;
        }
        peer(dir.path(), total, kept, ingot, &chunks);
    }
    regex_part(total, &lines, &chunks);
}

/// syslog-ng on the same lines, and the component with no stages.
fn peer(dir: &std::path::Path, total: usize, kept: u64, ingot: f64, chunks: &[Vec<Entry>]) {
    let (wall, cpu) = run_syslog_ng(dir, kept);
    let sng = per_core("syslog-ng", total, wall, cpu);
    println!(
        "  ingot does {:.1}x syslog-ng's lines per CPU-second (goals: 1,000,000 lines/s per core, 3x syslog-ng)",
        ingot / sng
    );

    // What the component costs around its stages.
    let (wall, cpu, out) = run_ingot("", chunks);
    assert_eq!(out, total as u64);
    println!("{total} lines through loki.process with no stages (the component's own cost):");
    per_core("ingot", total, wall, cpu);
}

/// The regex stage against the regex crate's own captures on the same lines.
fn regex_part(total: usize, lines: &[String], chunks: &[Vec<Entry>]) {
    let expr = r#"^\{"time":"(?P<time>[^"]+)","level":"(?P<level>\w+)","app":"(?P<app>[^"]*)""#;
    let stage = format!(
        "stage.regex {{\n  expression = {}\n}}\n",
        serde_json::Value::String(expr.into())
    );
    let (wall, cpu, out) = run_ingot(&stage, chunks);
    assert_eq!(out, total as u64);
    println!("{total} lines through stage.regex with 3 named groups:");
    per_core("stage", total, wall, cpu);
    let re = ingot_gocompat::regexp::compile(expr).unwrap();
    let cpu0 = self_cpu_time();
    let t0 = Instant::now();
    let mut found = 0usize;
    for l in lines {
        if let Some(c) = re.captures(l) {
            found += c.len();
        }
    }
    let (rwall, rcpu) = (t0.elapsed(), self_cpu_time() - cpu0);
    assert_eq!(found, total * 4);
    per_core("regex", total, rwall, rcpu);
    println!(
        "  the stage takes {:.2}x the regex crate's time (goal: within 2x)",
        cpu.as_secs_f64() / rcpu.as_secs_f64()
    );
}
