//! `loki.write` against an independent Loki sink (`tests/peers/loki_sink.py`: Python with Debian's
//! python3-protobuf and python3-snappy, its own `push.proto` compiled by `protoc`): what a push carries,
//! 500s and 429 with `Retry-After` retried without loss, a 400 dropped and counted, an outage, a restart
//! with entries pending. Every wait is bounded.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_common::receiver::LogsReceiver;
use ingot_logs::{AppendError, Entry};
use ingot_loki::write::{Arguments, Component};
use ingot_prom::labels::Labels;
use ingot_runtime::component::{ComponentType, Context, DebugMetric, MemoryHttp};
use ingot_runtime::exports::ExportsPublisher;
use ingot_runtime::health::{HealthReporter, HealthState};
use ingot_syntax::decode::decode_body;
use ingot_syntax::eval::{Evaluator, Scope, Stability};
use ingot_syntax::parser::parse_file;
use ingot_syntax::source::SourceFile;
use ingot_syntax::value::{FromValue, Value};
use ingot_testkit::loki_sink::{LokiSink, Received};
use tokio_util::sync::CancellationToken;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn decode_args(text: &str) -> Result<Arguments, String> {
    decode_args_at(text, Stability::GenerallyAvailable)
}

fn decode_args_at(text: &str, min: Stability) -> Result<Arguments, String> {
    let (file, diags) = parse_file(SourceFile::new("test.alloy", text));
    assert!(!diags.has_errors(), "parse errors: {diags}");
    let scope = Scope::new();
    let mut ev = Evaluator::new(&file.source, &scope).with_min_stability(min);
    decode_body::<Arguments>(&file.body, &mut ev).map_err(|d| d.to_string())
}

/// An endpoint with short waits, for tests.
fn config(url: &str, extra_endpoint: &str, extra: &str) -> String {
    format!(
        r#"
external_labels = {{ cluster = "c1" }}
{extra}
endpoint {{
  name               = "sink"
  url                = "{url}"
  tenant_id          = "team-a"
  batch_wait         = "50ms"
  min_backoff_period = "50ms"
  max_backoff_period = "200ms"
  remote_timeout     = "2s"
  headers            = {{ "X-Test" = "yes" }}
  {extra_endpoint}
}}
"#
    )
}

struct Running {
    component: Arc<Component>,
    ctx: Context,
    receiver: LogsReceiver,
}

fn start(data: &std::path::Path, args: Arguments) -> Running {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let id = "loki.write.test";
    let ctx = Context {
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
    };
    let existed = ctx.data_path.exists();
    let component = Arc::new(Component::build(ctx.clone(), args).unwrap());
    // Building creates no files: `ingot validate` builds components too.
    assert_eq!(ctx.data_path.exists(), existed);
    component.start();
    let exports = ctx.exports.get();
    let Value::Object(fields) = &exports else {
        panic!("{exports:?}")
    };
    let receiver = LogsReceiver::from_value(fields.get("receiver").unwrap()).unwrap();
    Running {
        component,
        ctx,
        receiver,
    }
}

impl Running {
    /// Stops the component as the runtime does and waits for its tasks (flush included).
    fn stop(self, rt: &tokio::runtime::Runtime) {
        self.ctx.shutdown.cancel();
        self.ctx.tasks.close();
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(30), self.ctx.tasks.wait())
                .await
                .expect("stopped within 30s")
        });
    }

    fn append(&self, entries: &[Entry]) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.receiver.0.append(entries) {
                Ok(()) => return,
                Err(AppendError::Full { retry_after, .. }) if Instant::now() < deadline => {
                    std::thread::sleep(retry_after)
                }
                Err(e) => panic!("append: {e}"),
            }
        }
    }

    fn metric(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.component
            .debug_metrics()
            .iter()
            .filter(|m| m.name() == name)
            .filter(|m| labels.iter().all(|(k, v)| m.label(k) == Some(*v)))
            .filter_map(DebugMetric::scalar)
            .sum()
    }

    fn health(&self) -> (HealthState, String) {
        let h = self.ctx.health.get();
        (h.state, h.message)
    }
}

fn entries(from: usize, n: usize) -> Vec<Entry> {
    (from..from + n)
        .map(|i| {
            let mut e = Entry::new(
                Labels::from_pairs(&[
                    ("job", "test"),
                    ("stream", &(i % 3).to_string()),
                    ("__path__", "/var/log/x.log"),
                ]),
                1_700_000_000_000_000_000 + i as i64,
                format!("line {i}"),
            );
            if i % 2 == 0 {
                e.structured_metadata = vec![("seq".into(), i.to_string())];
            }
            e
        })
        .collect()
}

fn wait_for(what: &str, timeout: Duration, sink: &LokiSink, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!(
        "timed out after {timeout:?} waiting for {what}; the sink said:\n{}",
        sink.log()
    );
}

/// The numbers of the lines the sink accepted, sorted, duplicates kept.
fn lines(sink: &LokiSink) -> Vec<usize> {
    let mut v: Vec<usize> = sink
        .entries()
        .iter()
        .map(|r| r.line.strip_prefix("line ").unwrap().parse().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn a_push_carries_lokis_message_headers_and_labels() {
    let rt = runtime();
    let _guard = rt.enter();
    let sink = LokiSink::start();
    let data = tempfile::tempdir().unwrap();
    let w = start(
        data.path(),
        decode_args(&config(&sink.url(), "", "")).unwrap(),
    );
    let sent = entries(0, 30);
    w.append(&sent[..10]);
    w.append(&sent[10..]);
    wait_for("30 lines", Duration::from_secs(20), &sink, || {
        sink.entries().len() >= 30
    });
    let got = sink.entries();
    assert_eq!(lines(&sink), (0..30).collect::<Vec<_>>());
    let r: &Received = got.iter().find(|r| r.line == "line 4").unwrap();
    // `__` labels stripped, external labels merged, Loki's label string, the tenant header.
    assert_eq!(r.labels, r#"{cluster="c1", job="test", stream="1"}"#);
    assert_eq!(r.tenant, "team-a");
    assert_eq!(r.timestamp_ns, 1_700_000_000_000_000_004);
    assert_eq!(
        r.structured_metadata,
        vec![("seq".to_string(), "4".to_string())]
    );
    let requests = sink.requests();
    let first = &requests[0];
    assert_eq!(first["content_type"], "application/x-protobuf");
    assert_eq!(first["content_encoding"], "snappy");
    assert_eq!(first["headers"]["x-test"], "yes");
    assert!(
        first["user_agent"].as_str().unwrap().starts_with("ingot/"),
        "{first}"
    );
    // Entries of one stream arrive in order.
    let stream1: Vec<i64> = got
        .iter()
        .filter(|r| r.labels.contains("stream=\"1\""))
        .map(|r| r.timestamp_ns)
        .collect();
    assert!(stream1.windows(2).all(|w| w[0] < w[1]), "{stream1:?}");
    let sent_entries = w.metric(
        "loki_write_sent_entries_total",
        &[("host", &sink.addr().to_string()), ("tenant", "team-a")],
    );
    assert_eq!(sent_entries, 30.0);
    let (state, msg) = w.health();
    assert_eq!(state, HealthState::Healthy, "{msg}");
    assert!(msg.contains("last push 204 No Content"), "{msg}");
    w.stop(&rt);
}

#[test]
fn server_errors_and_429_with_retry_after_are_retried_without_loss() {
    let rt = runtime();
    let _guard = rt.enter();
    let sink = LokiSink::start();
    sink.answer(500, Some(3), None, "ingester unavailable");
    sink.answer(429, Some(1), Some("2"), "rate limited");
    let data = tempfile::tempdir().unwrap();
    let w = start(
        data.path(),
        decode_args(&config(&sink.url(), "", "")).unwrap(),
    );
    let started = Instant::now();
    w.append(&entries(0, 20));
    wait_for(
        "20 lines after the failures",
        Duration::from_secs(30),
        &sink,
        || sink.entries().len() >= 20,
    );
    // The 429 asked for 2 s; the backoff alone would have retried within 200 ms.
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(lines(&sink), (0..20).collect::<Vec<_>>());
    let statuses: Vec<u64> = sink
        .requests()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(&statuses[..5], &[500, 500, 500, 429, 204], "{statuses:?}");
    let host = sink.addr().to_string();
    assert_eq!(
        w.metric("loki_write_batch_retries_total", &[("host", &host)]),
        4.0
    );
    assert_eq!(
        w.metric("loki_write_dropped_entries_total", &[("host", &host)]),
        0.0
    );
    // Request durations by status code, as Alloy labels them.
    let codes: Vec<String> = w
        .component
        .debug_metrics()
        .iter()
        .filter(|m| m.name() == "loki_write_request_duration_seconds")
        .map(|m| m.label("status_code").unwrap().to_string())
        .collect();
    assert_eq!(codes, vec!["204", "429", "500"]);
    w.stop(&rt);
}

#[test]
fn a_400_is_dropped_counted_and_logged_with_the_endpoints_message() {
    let rt = runtime();
    let _guard = rt.enter();
    let sink = LokiSink::start();
    sink.answer(400, Some(1), None, "entry too far behind");
    let data = tempfile::tempdir().unwrap();
    let w = start(
        data.path(),
        decode_args(&config(&sink.url(), "", "")).unwrap(),
    );
    w.append(&entries(0, 5));
    let host = sink.addr().to_string();
    let dropped = || {
        w.metric(
            "loki_write_dropped_entries_total",
            &[("host", &host), ("reason", "ingester_error")],
        )
    };
    wait_for(
        "the 400 to be counted",
        Duration::from_secs(20),
        &sink,
        || dropped() == 5.0,
    );
    let (state, msg) = w.health();
    assert_eq!(state, HealthState::Unhealthy);
    assert!(
        msg.contains("sink")
            && msg.contains("400 Bad Request")
            && msg.contains("entry too far behind"),
        "{msg}"
    );
    // Every one of Alloy's reasons is exported, at zero until used.
    for reason in [
        "rate_limited",
        "stream_limited",
        "line_too_long",
        "queue_is_full",
    ] {
        assert_eq!(
            w.metric(
                "loki_write_dropped_entries_total",
                &[("host", &host), ("reason", reason)]
            ),
            0.0
        );
    }
    assert!(
        w.metric(
            "loki_write_dropped_bytes_total",
            &[("host", &host), ("reason", "ingester_error")]
        ) > 0.0
    );
    // What follows is delivered, and the endpoint is healthy again.
    w.append(&entries(5, 5));
    wait_for("the next 5 lines", Duration::from_secs(20), &sink, || {
        sink.entries().len() >= 5
    });
    assert_eq!(lines(&sink), (5..10).collect::<Vec<_>>());
    wait_for("health to recover", Duration::from_secs(5), &sink, || {
        w.health().0 == HealthState::Healthy
    });
    w.stop(&rt);
}

#[test]
fn a_429_without_retry_on_http_429_is_dropped_as_rate_limited() {
    let rt = runtime();
    let _guard = rt.enter();
    let sink = LokiSink::start();
    sink.answer(429, Some(1), Some("1"), "slow down");
    let data = tempfile::tempdir().unwrap();
    let w = start(
        data.path(),
        decode_args(&config(&sink.url(), "retry_on_http_429 = false", "")).unwrap(),
    );
    w.append(&entries(0, 4));
    let host = sink.addr().to_string();
    wait_for(
        "the 429 to be counted",
        Duration::from_secs(20),
        &sink,
        || {
            w.metric(
                "loki_write_dropped_entries_total",
                &[("host", &host), ("reason", "rate_limited")],
            ) == 4.0
        },
    );
    w.stop(&rt);
}

#[test]
fn an_outage_and_a_restart_with_entries_pending_lose_nothing() {
    let rt = runtime();
    let _guard = rt.enter();
    let mut sink = LokiSink::start();
    let data = tempfile::tempdir().unwrap();
    let args = decode_args(&config(&sink.url(), "", "")).unwrap();
    let w = start(data.path(), args.clone());
    w.append(&entries(0, 10));
    wait_for("the first 10 lines", Duration::from_secs(20), &sink, || {
        sink.entries().len() >= 10
    });
    // The endpoint goes away: connections are refused.
    sink.stop();
    w.append(&entries(10, 10));
    std::thread::sleep(Duration::from_millis(600));
    let (state, msg) = w.health();
    assert_eq!(state, HealthState::Unhealthy);
    assert!(msg.contains("sink") && msg.contains("retrying"), "{msg}");
    // Stopped while the endpoint is down: the pending entries stay in the WAL.
    w.stop(&rt);
    sink.restart();
    let w = start(data.path(), args);
    w.append(&entries(20, 10));
    wait_for("all 30 lines", Duration::from_secs(30), &sink, || {
        sink.entries().len() >= 30
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(lines(&sink), (0..30).collect::<Vec<_>>());
    w.stop(&rt);
}

#[test]
fn max_streams_drops_new_streams_past_the_limit() {
    let rt = runtime();
    let _guard = rt.enter();
    let sink = LokiSink::start();
    let data = tempfile::tempdir().unwrap();
    let w = start(
        data.path(),
        decode_args(
            &config(&sink.url(), "", "max_streams = 2")
                .replace(r#"batch_wait         = "50ms""#, r#"batch_wait = "2s""#),
        )
        .unwrap(),
    );
    // Three streams in one batch: the third is dropped.
    w.append(&entries(0, 3));
    let host = sink.addr().to_string();
    wait_for("two lines", Duration::from_secs(20), &sink, || {
        sink.entries().len() >= 2
    });
    assert_eq!(
        w.metric(
            "loki_write_dropped_entries_total",
            &[("host", &host), ("reason", "stream_limited")]
        ),
        1.0
    );
    w.stop(&rt);
}

#[test]
fn arguments_follow_alloy() {
    let args = decode_args(r#"endpoint { url = "http://loki:3100/loki/api/v1/push" }"#).unwrap();
    let e = &args.endpoints[0];
    assert_eq!(e.batch_size, 1 << 20);
    assert_eq!(e.batch_wait, Duration::from_secs(1));
    assert_eq!(e.remote_timeout, Duration::from_secs(10));
    assert_eq!(e.min_backoff, Duration::from_millis(500));
    assert_eq!(e.max_backoff, Duration::from_secs(300));
    assert_eq!(e.max_backoff_retries, 10);
    assert!(e.retry_on_http_429);
    assert!(e.http.enable_http2 && e.http.follow_redirects);
    assert_eq!(e.queue.capacity, 10 << 20);
    assert_eq!(e.host(), "loki:3100");
    assert_eq!(e.id().len(), 6);
    assert_eq!(args.max_streams, 0);
    assert!(args.warnings.is_empty());
    assert_eq!(args.external_labels, BTreeMap::new());

    let err = decode_args(
        r#"endpoint {
  url = "http://a/"
  queue_config { min_shards = 2 }
}"#,
    )
    .unwrap_err();
    assert!(
        err.contains("changing queue_config requires stability.level flag to be experimental"),
        "{err}"
    );
    decode_args_at(
        r#"endpoint {
  url = "http://a/"
  queue_config { min_shards = 2 }
}"#,
        Stability::Experimental,
    )
    .unwrap();
    let err = decode_args(
        r#"endpoint { url = "http://a/" }
wal {
  min_read_frequency = "2s"
}"#,
    )
    .unwrap_err();
    assert!(
        err.contains("WAL min read frequency should be lower than max read frequency"),
        "{err}"
    );
    let err = decode_args(
        r#"endpoint {
  url = "http://a/"
  name = "x"
}
endpoint {
  url = "http://b/"
  name = "x"
}"#,
    )
    .unwrap_err();
    assert!(
        err.contains("duplicate endpoint configs are not allowed, found duplicate for name: x"),
        "{err}"
    );
    let err = decode_args(r#"endpoint { url = "ftp://a/" }"#).unwrap_err();
    assert!(err.contains("unsupported protocol scheme"), "{err}");
    let err = decode_args(
        r#"endpoint {
  url = "http://a/"
  bearer_token = "t"
  basic_auth {
    username = "u"
  }
}"#,
    )
    .unwrap_err();
    assert!(err.contains("at most one of"), "{err}");
    let warned = decode_args(
        r#"endpoint {
  url = "http://a/"
  max_backoff_retries = 3
}
wal {
  enabled = false
}"#,
    )
    .unwrap();
    assert_eq!(warned.warnings.len(), 2, "{:?}", warned.warnings);
    assert!(warned.warnings[0].starts_with("wal.enabled = false has no effect"));
    assert!(warned.warnings[1].contains("max_backoff_retries has no effect"));
}

#[test]
fn a_receipt_completes_once_the_entries_are_in_the_wal_and_appends_wait_for_an_open_wal() {
    let rt = runtime();
    let _guard = rt.enter();
    let sink = LokiSink::start();
    sink.answer(503, None, None, "down for the test");
    let data = tempfile::tempdir().unwrap();
    // A short drain: stopping with the endpoint down need not wait the default 15 s.
    let args = decode_args_at(
        &config(&sink.url(), r#"queue_config { drain_timeout = "1s" }"#, ""),
        Stability::Experimental,
    )
    .unwrap();
    // Built, not started: no WAL yet, so the sender is told to come back (and keeps its entries).
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let id = "loki.write.unstarted";
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
    let unstarted = Component::build(ctx.clone(), args.clone()).unwrap();
    let exports = ctx.exports.get();
    let receiver = LogsReceiver::from_value(exports.get("receiver").unwrap()).unwrap();
    assert!(matches!(
        receiver.0.append(&entries(0, 1)),
        Err(AppendError::Full { .. })
    ));
    drop(unstarted);

    let w = start(data.path(), args);
    let (receipt, token) = ingot_logs::receipt();
    w.receiver.0.append_with(&entries(0, 3), &token).unwrap();
    drop(token);
    let stored =
        rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), receipt.stored()).await });
    assert_eq!(stored, Ok(Ok(())));
    // Stored, not delivered: the endpoint refuses everything.
    assert!(sink.entries().is_empty());
    w.stop(&rt);
}
