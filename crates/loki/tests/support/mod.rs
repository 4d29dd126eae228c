//! Shared by the `loki.source.file` tests: a `test.logs` component that records every entry it takes (and
//! answers `Full` on cue), a controller with the file components and the sink, a writer of numbered
//! lines that reopens its file when the path names another file, and checks of what arrived.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ingot_common::receiver::LogsReceiver;
use ingot_logs::{AppendError, Entry, LogsAppender};
use ingot_runtime::component::{ComponentType, Context, Registration, Registry, Stability};
use ingot_runtime::controller::{Controller, Options};
use ingot_runtime::source::from_text;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct SinkState {
    entries: Mutex<Vec<Entry>>,
    full: AtomicBool,
    offered_while_full: AtomicU64,
}

fn sinks() -> &'static Mutex<HashMap<String, Arc<SinkState>>> {
    static S: OnceLock<Mutex<HashMap<String, Arc<SinkState>>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

fn sink(id: &str) -> Arc<SinkState> {
    sinks()
        .lock()
        .unwrap()
        .entry(id.to_string())
        .or_default()
        .clone()
}

/// Every entry the sink `id` (`test.logs.<label>`) took so far.
pub fn entries(id: &str) -> Vec<Entry> {
    sink(id).entries.lock().unwrap().clone()
}

pub fn entry_count(id: &str) -> usize {
    sink(id).entries.lock().unwrap().len()
}

/// Makes the sink answer `Full` (and take nothing) until set back.
pub fn set_full(id: &str, full: bool) {
    sink(id).full.store(full, Ordering::SeqCst);
}

/// How many batches were offered while the sink was full.
pub fn refused_batches(id: &str) -> u64 {
    sink(id).offered_while_full.load(Ordering::SeqCst)
}

struct Recorder(Arc<SinkState>);

impl LogsAppender for Recorder {
    fn append(&self, batch: &[Entry]) -> Result<(), AppendError> {
        if self.0.full.load(Ordering::SeqCst) {
            self.0.offered_while_full.fetch_add(1, Ordering::SeqCst);
            return Err(AppendError::Full {
                retry_after: Duration::from_millis(20),
                reason: "test sink full".into(),
            });
        }
        self.0.entries.lock().unwrap().extend_from_slice(batch);
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SinkArgs;

impl Decode for SinkArgs {
    fn decode(_: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(SinkArgs)
    }
}

/// `test.logs "x" {}` exports `receiver`.
pub struct Sink;

impl ComponentType for Sink {
    const NAME: &'static str = "test.logs";
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = SinkArgs;

    fn build(ctx: Context, _: SinkArgs) -> Result<Sink, String> {
        let r = ingot_logs::LogsReceiver::new(ctx.id.clone(), Arc::new(Recorder(sink(&ctx.id))));
        ctx.exports
            .init(Value::object([("receiver", Value::from(LogsReceiver(r)))]));
        Ok(Sink)
    }

    fn update(&self, _: SinkArgs) -> Result<(), String> {
        Ok(())
    }
}

/// A controller running the file components and the sink, with its storage in `storage`.
pub struct Agent {
    pub controller: Arc<Controller>,
    run: tokio::task::JoinHandle<()>,
}

impl Agent {
    pub fn start(storage: &Path) -> Agent {
        let registry = Registry::new(vec![
            Registration::of::<Sink>(),
            Registration::of::<ingot_loki::source::file::Component>(),
            Registration::of::<ingot_local::file_match::Component>(),
            Registration::of::<ingot_loki::source::journal::Component>(),
            Registration::of::<ingot_loki::relabel::Component>(),
        ]);
        let controller = Controller::new(
            Arc::new(registry),
            Options {
                storage_path: storage.to_path_buf(),
                ..Options::default()
            },
        );
        let run = tokio::spawn(controller.clone().run(CancellationToken::new()));
        Agent { controller, run }
    }

    pub fn apply(&self, text: &str) {
        let (config, diags) = from_text("main.alloy", text);
        assert!(!diags.has_errors(), "{}", diags.render());
        if let Err(d) = self.controller.apply(&config) {
            panic!("{}", d.render());
        }
    }

    /// The rendered errors of a config that must be refused.
    pub fn refused(&self, text: &str) -> String {
        let (config, diags) = from_text("main.alloy", text);
        assert!(!diags.has_errors(), "{}", diags.render());
        self.controller.apply(&config).unwrap_err().render()
    }

    /// Stops every component (positions are saved) within 10 s.
    pub async fn stop(self) {
        self.controller.shutdown(Duration::from_secs(10)).await;
        self.run.abort();
    }

    pub fn health(&self, id: &str) -> ingot_runtime::health::Health {
        self.controller.component(id).unwrap().health
    }

    pub fn debug_info(&self, id: &str) -> Value {
        self.controller.component(id).unwrap().debug_info.unwrap()
    }

    /// The value of a component metric with the given label (any value when `None`).
    pub fn metric_with(&self, name: &str, label: &str, value: &str) -> Option<f64> {
        self.controller
            .debug_metrics()
            .into_iter()
            .find(|(_, m)| m.name() == name && m.label(label) == Some(value))
            .and_then(|(_, m)| m.scalar())
    }

    /// The value of a component metric with the given path label.
    pub fn metric(&self, name: &str, path: Option<&str>) -> Option<f64> {
        self.controller
            .debug_metrics()
            .into_iter()
            .find(|(_, m)| m.name() == name && path.is_none_or(|p| m.label("path") == Some(p)))
            .and_then(|(_, m)| m.scalar())
    }
}

/// Polls `f` every 20 ms until it is true, failing after `timeout`.
pub async fn wait_for(timeout: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The sequence numbers of the entries (`seq=<n> ...` lines), in arrival order.
pub fn seqs(entries: &[Entry]) -> Vec<u64> {
    entries
        .iter()
        .filter_map(|e| {
            e.line
                .strip_prefix("seq=")
                .and_then(|r| r.split(' ').next())
                .and_then(|n| n.parse().ok())
        })
        .collect()
}

/// Numbers in `0..n` never received, and how many numbers arrived more than once (extra copies).
pub fn missing_and_duplicates(received: &[u64], n: u64) -> (Vec<u64>, u64) {
    let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
    for &s in received {
        *counts.entry(s).or_default() += 1;
    }
    let missing = (0..n).filter(|i| !counts.contains_key(i)).collect();
    let dups = counts.values().map(|c| c - 1).sum();
    (missing, dups)
}

/// Writes `seq=<n> <filler>` lines to a path at a steady rate, as an application logging with
/// `O_APPEND` does; when the path names another file, it reopens it, as an application told to reopen its
/// log does. It never creates the file once started: while the path names nothing (between logrotate's
/// rename and its create) it goes on writing to the file it has open. Creating it there raced logrotate,
/// which then moved the writer's file aside to `<name>-<date>.backup`, a file no reader tails, and the
/// lines in it looked lost.
pub struct Writer {
    stop: Arc<AtomicBool>,
    paused: Arc<AtomicBool>,
    written: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    pub fn start(path: &Path, lines_per_sec: u64) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let paused = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let (s, p, w, path) = (
            stop.clone(),
            paused.clone(),
            written.clone(),
            path.to_path_buf(),
        );
        let thread = std::thread::spawn(move || {
            let open = |path: &PathBuf| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .unwrap()
            };
            let mut f = open(&path);
            let mut ino = f.metadata().unwrap().ino();
            let reopen = |path: &PathBuf| std::fs::OpenOptions::new().append(true).open(path).ok();
            let started = Instant::now();
            let mut n = 0u64;
            while !s.load(Ordering::SeqCst) {
                if p.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                }
                let now_ino = std::fs::metadata(&path).map(|m| m.ino()).ok();
                if now_ino.is_some_and(|n| n != ino) {
                    if let Some(g) = reopen(&path) {
                        f = g;
                        ino = f.metadata().unwrap().ino();
                    }
                }
                writeln!(
                    f,
                    "seq={n} some filler text to make the line longer than a few bytes"
                )
                .unwrap();
                n += 1;
                w.store(n, Ordering::SeqCst);
                let due = started + Duration::from_micros(n * 1_000_000 / lines_per_sec);
                if let Some(d) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(d);
                }
            }
        });
        Writer {
            stop,
            paused,
            written,
            thread: Some(thread),
        }
    }

    pub fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }

    pub fn pause(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
    }

    /// Stops writing; returns how many lines were written.
    pub fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        self.written()
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Runs Debian's `logrotate` once, forced, with `config` (its own state file beside it).
pub fn logrotate(dir: &Path, config: &str) {
    let bin = ingot_testkit::require_binary("logrotate", "logrotate");
    let conf = dir.join("logrotate.conf");
    std::fs::write(&conf, config).unwrap();
    let out = std::process::Command::new(bin)
        .arg("-f")
        .arg("-s")
        .arg(dir.join("logrotate.state"))
        .arg(&conf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "logrotate failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
