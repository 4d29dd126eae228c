//! `loki.write` at its bounds, against the Loki sink: a WAL that cannot keep up answers appends `Full` (the
//! sender keeps its entries; nothing is dropped), undelivered segments past `wal.max_segment_age` are removed
//! and their entries counted as dropped, and new arguments on a running component lose nothing.
//!
//! The slow disk is the WAL's `test-hooks` delay (`INGOT_TEST_WAL_APPEND_DELAY_MS`, read when a WAL thread
//! starts), so the tests here run one at a time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ingot_common::receiver::LogsReceiver;
use ingot_logs::{AppendError, Entry};
use ingot_loki::write::{Arguments, Component};
use ingot_prom::labels::Labels;
use ingot_runtime::component::{ComponentType, Context, DebugMetric, MemoryHttp};
use ingot_runtime::exports::ExportsPublisher;
use ingot_runtime::health::HealthReporter;
use ingot_syntax::decode::decode_body;
use ingot_syntax::eval::{Evaluator, Scope, Stability};
use ingot_syntax::parser::parse_file;
use ingot_syntax::source::SourceFile;
use ingot_syntax::value::FromValue;
use ingot_testkit::loki_sink::LokiSink;
use tokio_util::sync::CancellationToken;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn decode_args(text: &str) -> Arguments {
    let (file, diags) = parse_file(SourceFile::new("test.alloy", text));
    assert!(!diags.has_errors(), "parse errors: {diags}");
    let scope = Scope::new();
    let mut ev = Evaluator::new(&file.source, &scope).with_min_stability(Stability::Experimental);
    decode_body::<Arguments>(&file.body, &mut ev).unwrap()
}

fn context(data: &std::path::Path) -> Context {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let id = "loki.write.bounds";
    Context {
        id: id.into(),
        health: HealthReporter::new(id),
        exports: ExportsPublisher::new(id, tx),
        data_path: data.join(id),
        memory_addr: "alloy.internal:12345".into(),
        shutdown: CancellationToken::new(),
        tasks: tokio_util::task::TaskTracker::new(),
        memory_http: MemoryHttp::detached(),
        validate_only: false,
        features: Default::default(),
        live_debugging: ingot_runtime::livedebugging::Publisher::detached("test"),
    }
}

fn start(ctx: &Context, args: Arguments) -> (Arc<Component>, LogsReceiver) {
    let c = Arc::new(Component::build(ctx.clone(), args).unwrap());
    c.start();
    let r = LogsReceiver::from_value(ctx.exports.get().get("receiver").unwrap()).unwrap();
    (c, r)
}

fn stop(ctx: &Context, rt: &tokio::runtime::Runtime) {
    ctx.shutdown.cancel();
    ctx.tasks.close();
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), ctx.tasks.wait())
            .await
            .expect("stopped within 30s")
    });
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn metric(c: &Component, name: &str, label: Option<(&str, &str)>) -> f64 {
    c.debug_metrics()
        .iter()
        .filter(|m| m.name() == name)
        .filter(|m| label.is_none_or(|(k, v)| m.label(k) == Some(v)))
        .filter_map(DebugMetric::scalar)
        .sum()
}

/// `n` entries of about `size` bytes each, numbered from `from`.
fn entries(from: usize, n: usize, size: usize) -> Vec<Entry> {
    (from..from + n)
        .map(|i| {
            let mut line = format!("line {i} ");
            line.extend(std::iter::repeat_n('x', size.saturating_sub(line.len())));
            Entry::new(Labels::from_pairs(&[("job", "bounds")]), i as i64, line)
        })
        .collect()
}

fn numbers(sink: &LokiSink) -> Vec<usize> {
    let mut v: Vec<usize> = sink
        .entries()
        .iter()
        .map(|r| r.line.split_whitespace().nth(1).unwrap().parse().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn a_wal_that_cannot_keep_up_answers_full_and_the_sender_keeps_its_entries() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = runtime();
    let _g = rt.enter();
    let sink = LokiSink::start();
    let data = tempfile::tempdir().unwrap();
    let ctx = context(data.path());
    // Every WAL append takes 300 ms: the queue in front of the WAL (64 MiB) fills up.
    std::env::set_var("INGOT_TEST_WAL_APPEND_DELAY_MS", "300");
    let (c, receiver) = start(
        &ctx,
        decode_args(&format!(
            r#"endpoint {{
  url        = "{}"
  batch_wait = "50ms"
  batch_size = "8MiB"
  queue_config {{ drain_timeout = "1s" }}
}}"#,
            sink.url()
        )),
    );
    std::env::remove_var("INGOT_TEST_WAL_APPEND_DELAY_MS");
    // 2 MiB per append: the 33rd queued append passes 64 MiB.
    let mut taken = 0;
    let mut full_at = None;
    for round in 0..60 {
        match receiver.0.append(&entries(round * 2048, 2048, 1024)) {
            Ok(()) => taken += 1,
            Err(AppendError::Full {
                retry_after,
                reason,
            }) => {
                assert!(reason.contains("not keeping up"), "{reason}");
                assert!(retry_after > Duration::ZERO);
                full_at = Some(round);
                break;
            }
            Err(e) => panic!("refused for good: {e}"),
        }
    }
    let full_at = full_at.expect("the WAL's queue never filled");
    assert!(taken >= 30, "only {taken} appends taken before Full");
    assert!(metric(&c, "loki_write_wal_entries_refused_total", None) >= 2048.0);
    // The sender offers the refused entries again until they are taken: nothing is lost.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match receiver.0.append(&entries(full_at * 2048, 2048, 1024)) {
            Ok(()) => break,
            Err(AppendError::Full { retry_after, .. }) if Instant::now() < deadline => {
                std::thread::sleep(retry_after)
            }
            Err(e) => panic!("{e}"),
        }
    }
    let total = (full_at + 1) * 2048;
    let deadline = Instant::now() + Duration::from_secs(90);
    while sink.entries().len() < total && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(numbers(&sink), (0..total).collect::<Vec<_>>());
    assert_eq!(metric(&c, "loki_write_dropped_entries_total", None), 0.0);
    stop(&ctx, &rt);
}

#[test]
fn undelivered_segments_past_max_segment_age_are_removed_and_counted() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = runtime();
    let _g = rt.enter();
    let sink = LokiSink::start();
    sink.answer(503, None, None, "down for good");
    let data = tempfile::tempdir().unwrap();
    let ctx = context(data.path());
    let (c, receiver) = start(
        &ctx,
        decode_args(&format!(
            r#"endpoint {{
  url        = "{}"
  name       = "gone"
  batch_wait = "50ms"
  max_backoff_period = "1s"
  queue_config {{ drain_timeout = "1s" }}
}}
wal {{
  max_segment_age = "1s"
}}"#,
            sink.url()
        )),
    );
    // 20 MiB: more than one 16 MiB segment, so the first is closed and can age.
    for round in 0..20 {
        receiver
            .0
            .append(&entries(round * 1024, 1024, 1024))
            .unwrap();
    }
    let host = sink.addr().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    let expired = || {
        metric(
            &c,
            "loki_write_dropped_entries_total",
            Some(("reason", "wal_segment_expired")),
        )
    };
    while expired() == 0.0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let n = expired();
    assert!(
        n > 10_000.0 && n < 20_480.0,
        "entries counted as expired: {n}"
    );
    assert_eq!(
        metric(
            &c,
            "loki_write_dropped_entries_total",
            Some(("host", host.as_str()))
        ),
        n
    );
    assert_eq!(metric(&c, "loki_write_wal_segments", None), 1.0);
    stop(&ctx, &rt);
}

#[test]
fn new_arguments_on_a_running_component_lose_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = runtime();
    let _g = rt.enter();
    let sink = LokiSink::start();
    sink.answer(500, Some(5), None, "flaky");
    let data = tempfile::tempdir().unwrap();
    let ctx = context(data.path());
    let config = |wait: &str, external: &str| {
        decode_args(&format!(
            r#"external_labels = {{ v = "{external}" }}
endpoint {{
  url                = "{}"
  name               = "e"
  batch_wait         = "{wait}"
  min_backoff_period = "50ms"
  max_backoff_period = "100ms"
}}"#,
            sink.url()
        ))
    };
    let (c, receiver) = start(&ctx, config("50ms", "1"));
    for round in 0..10 {
        receiver.0.append(&entries(round * 10, 10, 50)).unwrap();
        if round == 4 {
            c.update(config("80ms", "2")).unwrap();
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while sink.entries().len() < 100 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(numbers(&sink), (0..100).collect::<Vec<_>>());
    // Entries still pending at the update are sent with the new external labels.
    assert!(sink.entries().iter().any(|r| r.labels.contains(r#"v="2""#)));
    stop(&ctx, &rt);
}
