//! `loki.relabel` and `loki.echo` built as the runtime builds them: rules applied through the cache, Alloy's
//! metrics, exports, and a full receiver that never makes an entry go missing or arrive twice.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ingot_common::receiver::LogsReceiver;
use ingot_common::relabel::Rules;
use ingot_logs::{AppendError, Entry, LogsAppender};
use ingot_loki::relabel::{Arguments, Component};
use ingot_prom::labels::Labels;
use ingot_runtime::component::{ComponentType, Context, DebugMetric, MemoryHttp};
use ingot_runtime::exports::ExportsPublisher;
use ingot_runtime::health::HealthReporter;
use ingot_syntax::decode::decode_body;
use ingot_syntax::eval::{Evaluator, Scope};
use ingot_syntax::parser::parse_file;
use ingot_syntax::source::SourceFile;
use ingot_syntax::value::{FromValue, Value};
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct Sink {
    got: Mutex<Vec<Entry>>,
    full: AtomicBool,
}

impl LogsAppender for Sink {
    fn append(&self, entries: &[Entry]) -> Result<(), AppendError> {
        if self.full.load(Ordering::SeqCst) {
            return Err(AppendError::Full {
                retry_after: Duration::from_millis(10),
                reason: "full for the test".into(),
            });
        }
        self.got.lock().unwrap().extend_from_slice(entries);
        Ok(())
    }
}

fn context(id: &str) -> Context {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    Context {
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
    }
}

/// Decodes `body` with `sinks` in scope as `sink_<i>.receiver`.
fn decode(body: &str, sinks: &[Arc<Sink>]) -> Result<Arguments, String> {
    let (file, diags) = parse_file(SourceFile::new("test.alloy", body));
    assert!(!diags.has_errors(), "{diags}");
    let mut scope = Scope::new();
    for (i, s) in sinks.iter().enumerate() {
        let r = ingot_logs::LogsReceiver::new(format!("sink_{i}"), s.clone());
        scope.insert(
            format!("sink_{i}"),
            Value::object([("receiver", Value::from(LogsReceiver(r)))]),
        );
    }
    let mut ev = Evaluator::new(&file.source, &scope);
    decode_body::<Arguments>(&file.body, &mut ev).map_err(|d| d.to_string())
}

fn entry(labels: &[(&str, &str)], line: &str) -> Entry {
    Entry::new(Labels::from_pairs(labels), 1, line)
}

fn metric(c: &Component, name: &str) -> f64 {
    c.debug_metrics()
        .iter()
        .find(|m| m.name() == name)
        .and_then(DebugMetric::scalar)
        .unwrap()
}

#[test]
fn rules_rewrite_and_drop_through_the_cache() {
    let sink = Arc::new(Sink::default());
    let args = decode(
        r#"
forward_to = [sink_0.receiver]
rule {
  source_labels = ["__path__"]
  regex         = "/var/log/(.*)\\.log"
  target_label  = "file"
}
rule {
  source_labels = ["level"]
  regex         = "debug"
  action        = "drop"
}
"#,
        std::slice::from_ref(&sink),
    )
    .unwrap();
    assert_eq!(args.max_cache_size, 10_000);
    let ctx = context("loki.relabel.test");
    let c = Component::build(ctx.clone(), args).unwrap();
    let exports = ctx.exports.get();
    let receiver = LogsReceiver::from_value(exports.get("receiver").unwrap()).unwrap();
    let rules = Rules::from_value(exports.get("rules").unwrap()).unwrap();
    assert_eq!(rules.0.len(), 2);
    let batch = vec![
        entry(&[("__path__", "/var/log/app.log"), ("level", "info")], "a"),
        entry(&[("__path__", "/var/log/app.log"), ("level", "debug")], "b"),
        entry(&[("__path__", "/var/log/app.log"), ("level", "info")], "c"),
        // No labels at all: dropped, as Alloy drops an entry left without labels.
        entry(&[], "d"),
    ];
    receiver.0.append(&batch).unwrap();
    let got = sink.got.lock().unwrap().clone();
    let lines: Vec<&str> = got.iter().map(|e| e.line.as_str()).collect();
    assert_eq!(lines, vec!["a", "c"]);
    assert_eq!(got[0].labels.get("file"), Some("app"));
    assert_eq!(got[0].labels.get("__path__"), Some("/var/log/app.log"));
    assert_eq!(metric(&c, "loki_relabel_entries_processed"), 4.0);
    assert_eq!(metric(&c, "loki_relabel_entries_written"), 2.0);
    assert_eq!(metric(&c, "loki_relabel_cache_misses"), 3.0);
    assert_eq!(metric(&c, "loki_relabel_cache_hits"), 1.0);
    assert_eq!(metric(&c, "loki_relabel_cache_size"), 3.0);
    let err = decode("forward_to = []\nmax_cache_size = 0", &[]).unwrap_err();
    assert!(err.contains("must provide a positive size"), "{err}");
}

#[test]
fn a_full_receiver_holds_the_sender_back_and_nothing_is_doubled() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let (a, b) = (Arc::new(Sink::default()), Arc::new(Sink::default()));
    let args = decode(
        "forward_to = [sink_0.receiver, sink_1.receiver]",
        &[a.clone(), b.clone()],
    )
    .unwrap();
    let ctx = context("loki.relabel.full");
    let c = Arc::new(Component::build(ctx.clone(), args).unwrap());
    c.start();
    let receiver = LogsReceiver::from_value(ctx.exports.get().get("receiver").unwrap()).unwrap();
    // Both full: nothing taken, the sender keeps its entries.
    a.full.store(true, Ordering::SeqCst);
    b.full.store(true, Ordering::SeqCst);
    assert!(matches!(
        receiver.0.append(&[entry(&[("job", "x")], "1")]),
        Err(AppendError::Full { .. })
    ));
    // Only b full: taken; b's copy is held and delivered by the component's retry on its own.
    a.full.store(false, Ordering::SeqCst);
    receiver.0.append(&[entry(&[("job", "x")], "1")]).unwrap();
    assert!(matches!(
        receiver.0.append(&[entry(&[("job", "x")], "2")]),
        Err(AppendError::Full { .. })
    ));
    b.full.store(false, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(400));
    receiver.0.append(&[entry(&[("job", "x")], "2")]).unwrap();
    let lines = |s: &Sink| -> Vec<String> {
        s.got
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.line.clone())
            .collect()
    };
    assert_eq!(lines(&a), vec!["1", "2"]);
    assert_eq!(lines(&b), vec!["1", "2"]);
    ctx.shutdown.cancel();
}

#[test]
fn echo_takes_everything() {
    let ctx = context("loki.echo.test");
    let _c = ingot_loki::echo::Component::build(ctx.clone(), ingot_loki::echo::Arguments).unwrap();
    let receiver = LogsReceiver::from_value(ctx.exports.get().get("receiver").unwrap()).unwrap();
    receiver
        .0
        .append(&[entry(&[("job", "x")], "hello")])
        .unwrap();
}
