//! `loki.source.file` costs, measured on its threads (the reading thread and the one passing the kernel's
//! change notices on; `/proc/self/task/<tid>/schedstat`):
//!
//! - throughput: a 256 MiB file of 100-byte lines read into a receiver that counts (MiB/s, CPU per MiB);
//! - steady: 10,000 lines/s of 100 bytes appended to one file for 10 s (share of a core);
//! - idle: 500 files that do not change, with Alloy's default `file_watch` (a poll every 250 ms; ingot
//!   backs off to a look every 5 s for files its change notices cover), for 10 s.
//!
//! `cargo bench -p ingot-loki --bench source_file` (`SOURCE_FILE_BENCH=idle` runs one part)

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_common::receiver::LogsReceiver;
use ingot_logs::{AppendError, Entry, LogsAppender};
use ingot_runtime::component::{ComponentType, Context, Registration, Registry, Stability};
use ingot_runtime::controller::{Controller, Options};
use ingot_runtime::source::from_text;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;

static LINES: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

struct Count;
impl LogsAppender for Count {
    fn append(&self, entries: &[Entry]) -> Result<(), AppendError> {
        LINES.fetch_add(entries.len() as u64, Ordering::Relaxed);
        BYTES.fetch_add(
            entries.iter().map(|e| e.line.len() as u64 + 1).sum(),
            Ordering::Relaxed,
        );
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq)]
struct NoArgs;
impl Decode for NoArgs {
    fn decode(_: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(NoArgs)
    }
}

struct Sink;
impl ComponentType for Sink {
    const NAME: &'static str = "bench.count";
    const STABILITY: Stability = Stability::GenerallyAvailable;
    type Args = NoArgs;
    fn build(ctx: Context, _: NoArgs) -> Result<Sink, String> {
        let r = ingot_logs::LogsReceiver::new(ctx.id.clone(), Arc::new(Count));
        ctx.exports
            .init(Value::object([("receiver", Value::from(LogsReceiver(r)))]));
        Ok(Sink)
    }
    fn update(&self, _: NoArgs) -> Result<(), String> {
        Ok(())
    }
}

fn controller(storage: &std::path::Path) -> Arc<Controller> {
    Controller::new(
        Arc::new(Registry::new(vec![
            Registration::of::<Sink>(),
            Registration::of::<ingot_loki::source::file::Component>(),
        ])),
        Options {
            storage_path: storage.to_path_buf(),
            ..Options::default()
        },
    )
}

fn apply(c: &Controller, targets: &str, extra: &str) {
    let text = format!(
        "bench.count \"c\" {{}}\nloki.source.file \"f\" {{\n  targets = {targets}\n  forward_to = [bench.count.c.receiver]\n  {extra}\n}}\n"
    );
    let (config, diags) = from_text("main.alloy", &text);
    assert!(!diags.has_errors(), "{}", diags.render());
    c.apply(&config).map_err(|d| d.render()).unwrap();
}

/// CPU time of this process's threads named `name` (`schedstat`: nanoseconds on the CPU).
fn thread_cpu(name: &str) -> Duration {
    let mut total = Duration::ZERO;
    for t in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        // The kernel keeps 15 bytes of a thread name.
        if comm.trim().is_empty() || !name.starts_with(comm.trim()) {
            continue;
        }
        total += schedstat(&t.path());
    }
    total
}

fn schedstat(task: &std::path::Path) -> Duration {
    let s = std::fs::read_to_string(task.join("schedstat")).unwrap_or_default();
    Duration::from_nanos(
        s.split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
    )
}

/// CPU time of every thread of this process.
fn process_cpu() -> Duration {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .map(|t| schedstat(&t.path()))
        .sum()
}

fn line(i: u64) -> String {
    // 100 bytes with the newline.
    let mut s = format!(
        "ts=2026-01-01T00:00:00Z level=info seq={i} msg=\"request served\" path=/api/v1/items"
    );
    while s.len() < 99 {
        s.push('x');
    }
    s.push('\n');
    s
}

async fn throughput(dir: &std::path::Path) {
    let log = dir.join("big.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
    let total: u64 = 256 * 1024 * 1024;
    let n = total / 100;
    for i in 0..n {
        f.write_all(line(i).as_bytes()).unwrap();
    }
    drop(f);
    LINES.store(0, Ordering::SeqCst);
    let c = controller(&dir.join("data1"));
    let proc0 = process_cpu();
    let started = Instant::now();
    apply(&c, &format!("[{{ __path__ = \"{}\" }}]", log.display()), "");
    while LINES.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let wall = started.elapsed();
    let cpu = thread_cpu("loki.source.file");
    let proc = process_cpu() - proc0;
    let mib = total as f64 / (1024.0 * 1024.0);
    println!(
        "throughput: {mib:.0} MiB ({n} lines of 100 bytes, in the page cache) in {:.2} s: {:.0} MiB/s; its threads {:.2} s CPU ({:.2} ms per MiB), whole process {:.2} s",
        wall.as_secs_f64(),
        mib / wall.as_secs_f64(),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1000.0 / mib,
        proc.as_secs_f64()
    );
    c.shutdown(Duration::from_secs(10)).await;
    std::fs::remove_file(&log).unwrap();
}

async fn steady(dir: &std::path::Path) {
    let log = dir.join("steady.log");
    std::fs::write(&log, "").unwrap();
    LINES.store(0, Ordering::SeqCst);
    let c = controller(&dir.join("data2"));
    apply(&c, &format!("[{{ __path__ = \"{}\" }}]", log.display()), "");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        let started = Instant::now();
        for i in 0..100_000u64 {
            f.write_all(line(i).as_bytes()).unwrap();
            let due = started + Duration::from_micros(i * 100);
            if let Some(d) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(d);
            }
        }
    });
    let cpu0 = thread_cpu("loki.source.file");
    let t0 = Instant::now();
    writer.join().unwrap();
    while LINES.load(Ordering::Relaxed) < 100_000 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cpu = thread_cpu("loki.source.file") - cpu0;
    let wall = t0.elapsed();
    println!(
        "steady: 10,000 lines/s of 100 bytes for {:.1} s: its threads {:.2}% of a core",
        wall.as_secs_f64(),
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
    );
    c.shutdown(Duration::from_secs(10)).await;
}

async fn idle(dir: &std::path::Path) {
    let logs = dir.join("idle");
    std::fs::create_dir(&logs).unwrap();
    let mut targets = String::from("[");
    for i in 0..500 {
        let p = logs.join(format!("f{i}.log"));
        std::fs::write(&p, line(i)).unwrap();
        targets.push_str(&format!("{{ __path__ = \"{}\" }},", p.display()));
    }
    targets.push(']');
    LINES.store(0, Ordering::SeqCst);
    let c = controller(&dir.join("data3"));
    apply(&c, &targets, "");
    while LINES.load(Ordering::Relaxed) < 500 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cpu0 = thread_cpu("loki.source.file");
    let proc0 = process_cpu();
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let cpu = thread_cpu("loki.source.file") - cpu0;
    let proc = process_cpu() - proc0;
    println!(
        "idle: 500 unchanged files, file_watch defaults, for 10 s: its threads {:.2}% of a core (whole process {:.2}%)",
        100.0 * cpu.as_secs_f64() / t0.elapsed().as_secs_f64(),
        100.0 * proc.as_secs_f64() / t0.elapsed().as_secs_f64()
    );
    c.shutdown(Duration::from_secs(10)).await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // SOURCE_FILE_BENCH=idle (or throughput, steady) runs one part.
    let only = std::env::var("SOURCE_FILE_BENCH").unwrap_or_default();
    let run = |part: &str| only.is_empty() || only == part;
    rt.block_on(async {
        if run("throughput") {
            throughput(dir.path()).await;
        }
        if run("steady") {
            steady(dir.path()).await;
        }
        if run("idle") {
            idle(dir.path()).await;
        }
    });
}
