//! `prometheus.remote_write` end to end against a scripted receiver: outages, 5xx, 429 with Retry-After,
//! 400, and a restart that must resend exactly what was not acknowledged. Every wait is bounded.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_common::receiver::MetricsReceiver;
use ingot_prom::labels::Labels;
use ingot_prom::remote_write::encode::decode_v1;
use ingot_prom::remote_write::Protocol;
use ingot_prom::sample::{Batch, Sample};
use ingot_prometheus::remote_write::args::{
    Arguments, Endpoint, HttpClient, MetadataOptions, QueueOptions, WalOptions,
};
use ingot_prometheus::remote_write::Component;
use ingot_runtime::component::{ComponentType, Context, MemoryHttp};
use ingot_runtime::exports::ExportsPublisher;
use ingot_runtime::health::{HealthReporter, HealthState};
use ingot_syntax::decode::decode_body;
use ingot_syntax::eval::{Evaluator, Scope};
use ingot_syntax::parser::parse_file;
use ingot_syntax::source::SourceFile;
use ingot_syntax::value::{FromValue, Value};
use ingot_testkit::remote_write_sink::{RemoteWriteSink, Reply};
use tokio_util::sync::CancellationToken;

fn endpoint(url: &str) -> Endpoint {
    Endpoint {
        name: "test".into(),
        url: url.into(),
        remote_timeout: Duration::from_secs(5),
        headers: BTreeMap::new(),
        send_exemplars: true,
        send_native_histograms: false,
        protobuf_message: Protocol::V1,
        http: HttpClient {
            follow_redirects: true,
            ..Default::default()
        },
        queue: QueueOptions {
            max_samples_per_send: 100,
            batch_send_deadline: Duration::from_millis(50),
            min_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(100),
            min_shards: 2,
            ..Default::default()
        },
        metadata: MetadataOptions {
            send: false,
            ..Default::default()
        },
        write_relabel: Vec::new(),
    }
}

struct Running {
    component: Arc<Component>,
    ctx: Context,
    receiver: MetricsReceiver,
}

fn start(data: &std::path::Path, url: &str) -> Running {
    let args = Arguments {
        external_labels: BTreeMap::from([("cluster".to_string(), "c1".to_string())]),
        endpoints: vec![endpoint(url)],
        wal: WalOptions::default(),
    };
    start_with(data, args)
}

fn start_with(data: &std::path::Path, args: Arguments) -> Running {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let id = "prometheus.remote_write.test";
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
    let receiver = MetricsReceiver::from_value(fields.get("receiver").unwrap()).unwrap();
    Running {
        component,
        ctx,
        receiver,
    }
}

fn batch(series: usize, ts: i64) -> Batch {
    Batch {
        samples: (0..series)
            .map(|i| Sample {
                labels: Labels::from_pairs(&[("__name__", "t"), ("s", &i.to_string())]),
                timestamp_ms: ts,
                value: ts as f64 + i as f64,
                exemplar: None,
            })
            .collect(),
        metadata: Vec::new(),
    }
}

/// Samples in 2xx-answered requests, in arrival order: (series, timestamp, value).
fn accepted(sink: &RemoteWriteSink) -> Vec<(String, i64, f64)> {
    let mut out = Vec::new();
    for r in sink.requests() {
        if !(200..300).contains(&r.status) {
            continue;
        }
        for ts in decode_v1(&r.body).unwrap().timeseries {
            let labels: HashMap<_, _> = ts
                .labels
                .iter()
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect();
            assert_eq!(labels["cluster"], "c1", "external labels are added");
            for s in ts.samples {
                out.push((labels["s"].clone(), s.timestamp, s.value));
            }
        }
    }
    out
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

fn expected(series: usize, batches: i64) -> Vec<(String, i64, f64)> {
    let mut v = Vec::new();
    for b in 0..batches {
        for i in 0..series {
            v.push((i.to_string(), 1000 + b, (1000 + b) as f64 + i as f64));
        }
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v
}

fn check_order(got: &[(String, i64, f64)]) {
    let mut last: HashMap<&str, i64> = HashMap::new();
    for (s, ts, _) in got {
        if let Some(prev) = last.insert(s, *ts) {
            assert!(*ts > prev, "series {s}: {ts} sent after {prev}");
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn nothing_is_lost_through_an_outage_500s_and_a_429() {
    let rt = runtime();
    let _guard = rt.enter();
    let mut sink = RemoteWriteSink::start();
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    sink.respond_with(move |_| match n2.fetch_add(1, Ordering::SeqCst) {
        0..=2 => Reply::status(500).with_body("overloaded"),
        3 => Reply::status(429).with_header("Retry-After", "1"),
        _ => Reply::status(204),
    });
    let data = tempfile::tempdir().unwrap();
    let r = start(data.path(), &sink.url());
    for b in 0..20 {
        r.receiver.0.append(&batch(10, 1000 + b)).unwrap();
    }
    // The receiver goes away while data keeps coming, then returns.
    wait_until("first accepted request", Duration::from_secs(15), || {
        !accepted(&sink).is_empty()
    });
    sink.stop();
    for b in 20..40 {
        r.receiver.0.append(&batch(10, 1000 + b)).unwrap();
    }
    std::thread::sleep(Duration::from_millis(500));
    let health = r.ctx.health.get();
    assert_eq!(health.state, HealthState::Unhealthy, "{health:?}");
    assert!(health.message.contains(&sink.url()), "{}", health.message);
    sink.restart();
    wait_until("all 400 samples", Duration::from_secs(20), || {
        accepted(&sink).len() >= 400
    });
    std::thread::sleep(Duration::from_millis(200));
    let got = accepted(&sink);
    check_order(&got);
    let mut sorted = got.clone();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(
        sorted,
        expected(10, 40),
        "exactly the samples appended, once each"
    );
    let statuses: Vec<u16> = sink.requests().iter().map(|q| q.status).take(4).collect();
    assert_eq!(statuses, [500, 500, 500, 429]);
    wait_until("healthy again", Duration::from_secs(5), || {
        r.ctx.health.get().state == HealthState::Healthy
    });
    let metrics = r.component.debug_metrics();
    let metric = |name: &str| {
        metrics
            .iter()
            .find(|m| m.name() == name)
            .and_then(|m| m.scalar())
            .unwrap()
    };
    assert_eq!(metric("prometheus_remote_storage_samples_total"), 400.0);
    assert!(metric("prometheus_remote_storage_samples_retried_total") >= 40.0);
    assert_eq!(
        metric("prometheus_remote_storage_samples_failed_total"),
        0.0
    );
    assert_eq!(metric("prometheus_remote_storage_samples_pending"), 0.0);
    // Whole seconds, as Prometheus sets both: the newest sample is at 1.039 s.
    assert_eq!(
        metric("prometheus_remote_storage_queue_highest_sent_timestamp_seconds"),
        1.0
    );
    assert_eq!(
        metric("prometheus_remote_storage_highest_timestamp_in_seconds"),
        1.0
    );
    assert_eq!(
        metric("prometheus_remote_write_wal_samples_appended_total"),
        400.0
    );
    assert_eq!(
        metric("prometheus_remote_write_wal_storage_active_series"),
        10.0
    );
    assert_eq!(metric("prometheus_remote_storage_shards_min"), 2.0);
    assert_eq!(metric("prometheus_remote_storage_shards_max"), 50.0);
    // Every try is observed, the refused ones included.
    let durations = metrics
        .iter()
        .find(|m| m.name() == "prometheus_remote_storage_sent_batch_duration_seconds")
        .map(|m| m.value.clone());
    let Some(ingot_prom::exposition::MetricValue::Histogram(h)) = durations else {
        panic!("no send-duration histogram: {durations:?}");
    };
    let answered = sink.requests().len() as u64;
    assert!(
        h.count >= answered,
        "{} tries observed, {answered} answered",
        h.count
    );
    assert_eq!(h.buckets.len(), 15);
}

#[test]
fn a_400_is_dropped_reported_and_not_retried() {
    let rt = runtime();
    let _guard = rt.enter();
    let sink = RemoteWriteSink::start();
    sink.respond_with(|_| Reply::status(400).with_body("out of bounds"));
    let data = tempfile::tempdir().unwrap();
    let r = start(data.path(), &sink.url());
    r.receiver.0.append(&batch(1, 1000)).unwrap();
    let metric = |name: &str| {
        r.component
            .debug_metrics()
            .iter()
            .find(|m| m.name() == name)
            .and_then(|m| m.scalar())
            .unwrap()
    };
    wait_until("the drop to be counted", Duration::from_secs(10), || {
        metric("prometheus_remote_storage_samples_failed_total") == 1.0
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.requests().len(), 1, "a 400 is not retried");
    let h = r.ctx.health.get();
    assert_eq!(h.state, HealthState::Unhealthy);
    assert!(
        h.message.contains("400") && h.message.contains("out of bounds"),
        "{}",
        h.message
    );
    // The dropped sample counts as done: later data flows and health recovers.
    sink.respond_with(|_| Reply::status(204));
    r.receiver.0.append(&batch(1, 1001)).unwrap();
    wait_until("healthy", Duration::from_secs(10), || {
        r.ctx.health.get().state == HealthState::Healthy
    });
    assert_eq!(accepted(&sink), vec![("0".to_string(), 1001, 1001.0)]);
}

#[test]
fn a_crash_then_restart_resends_exactly_what_was_not_acknowledged() {
    let mut sink = RemoteWriteSink::start();
    let data = tempfile::tempdir().unwrap();
    {
        let rt = runtime();
        let _guard = rt.enter();
        let r = start(data.path(), &sink.url());
        for b in 0..10 {
            r.receiver.0.append(&batch(10, 1000 + b)).unwrap();
        }
        wait_until("first 100 delivered", Duration::from_secs(10), || {
            accepted(&sink).len() == 100
        });
        sink.stop();
        for b in 10..25 {
            r.receiver.0.append(&batch(10, 1000 + b)).unwrap();
        }
        std::thread::sleep(Duration::from_millis(300));
        drop(_guard);
        // Like a killed process: every task stops at its next await, without flushing or saving anything
        // more (and none is left running to race the restarted component).
        rt.shutdown_timeout(Duration::from_secs(5));
    }
    sink.restart();
    let rt = runtime();
    let _guard = rt.enter();
    let r = start(data.path(), &sink.url());
    wait_until("the rest after restart", Duration::from_secs(15), || {
        accepted(&sink).len() >= 250
    });
    std::thread::sleep(Duration::from_millis(300));
    let got = accepted(&sink);
    check_order(&got);
    let mut sorted = got.clone();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(
        sorted,
        expected(10, 25),
        "every sample exactly once across the crash"
    );
    let info = format!("{:?}", r.component.debug_info());
    assert!(info.contains("records_replayed"), "{info}");
}

/// Decodes a `prometheus.remote_write` body written in the config language.
fn decode_args(text: &str) -> Result<Arguments, String> {
    let (file, diags) = parse_file(SourceFile::new("test.alloy", text));
    assert!(!diags.has_errors(), "parse errors: {diags}");
    let scope = Scope::new();
    let mut ev = Evaluator::new(&file.source, &scope);
    decode_body::<Arguments>(&file.body, &mut ev).map_err(|d| d.to_string())
}

#[test]
fn write_relabel_config_drops_and_rewrites_series_before_sending() {
    let rt = runtime();
    let _guard = rt.enter();
    let sink = RemoteWriteSink::start();
    let data = tempfile::tempdir().unwrap();
    let args = decode_args(&format!(
        r#"
external_labels = {{ cluster = "c1" }}
endpoint {{
  name = "test"
  url  = "{}"
  queue_config {{
    max_samples_per_send = 100
    batch_send_deadline  = "50ms"
    min_shards           = 2
  }}
  metadata_config {{ send = false }}
  // Series s=0..4 never leave ingot.
  write_relabel_config {{
    source_labels = ["s"]
    regex         = "[0-4]"
    action        = "drop"
  }}
  // The rules see the external labels (added first, as in Prometheus)...
  write_relabel_config {{
    source_labels = ["cluster", "s"]
    separator     = "-"
    target_label  = "origin"
    replacement   = "from-$1"
  }}
  // ...and may remove them: they are not added back.
  write_relabel_config {{
    regex  = "cluster"
    action = "labeldrop"
  }}
}}
"#,
        sink.url()
    ))
    .unwrap();
    assert_eq!(args.endpoints[0].write_relabel.len(), 3);
    let r = start_with(data.path(), args);
    for b in 0..20 {
        r.receiver.0.append(&batch(10, 1000 + b)).unwrap();
    }
    let sent = |sink: &RemoteWriteSink| {
        let mut out = Vec::new();
        for q in sink.requests() {
            for ts in decode_v1(&q.body).unwrap().timeseries {
                let labels: BTreeMap<String, String> = ts
                    .labels
                    .iter()
                    .map(|l| (l.name.clone(), l.value.clone()))
                    .collect();
                for smp in ts.samples {
                    out.push((labels.clone(), smp.timestamp, smp.value));
                }
            }
        }
        out
    };
    wait_until("the 100 kept samples", Duration::from_secs(15), || {
        sent(&sink).len() >= 100
    });
    // Time for anything that should not come to come.
    std::thread::sleep(Duration::from_millis(500));
    let mut got = sent(&sink);
    got.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut want = Vec::new();
    for b in 0..20i64 {
        for i in 5..10usize {
            let labels = BTreeMap::from([
                ("__name__".to_string(), "t".to_string()),
                ("origin".to_string(), format!("from-c1-{i}")),
                ("s".to_string(), i.to_string()),
            ]);
            want.push((labels, 1000 + b, (1000 + b) as f64 + i as f64));
        }
    }
    want.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(got, want, "exactly the kept series, relabeled, once each");
    let metrics = r.component.debug_metrics();
    let dropped = metrics
        .iter()
        .find(|m| {
            m.name() == "prometheus_remote_storage_samples_dropped_total"
                && m.label("reason") == Some("dropped_series")
        })
        .and_then(|m| m.scalar());
    assert_eq!(dropped, Some(100.0));
    let total = metrics
        .iter()
        .find(|m| m.name() == "prometheus_remote_storage_samples_total")
        .and_then(|m| m.scalar());
    assert_eq!(total, Some(100.0));
    // Everything read was dealt with: nothing is left pending, so the dropped samples do not hold back
    // the delivered position.
    let pending = metrics
        .iter()
        .find(|m| m.name() == "prometheus_remote_storage_samples_pending")
        .and_then(|m| m.scalar());
    assert_eq!(pending, Some(0.0));
}

#[test]
fn an_invalid_write_relabel_config_is_a_config_error() {
    let err = decode_args(
        r#"
endpoint {
  url = "http://127.0.0.1:1/api/v1/write"
  write_relabel_config {
    source_labels = ["s"]
    target_label  = "shard"
    action        = "hashmod"
  }
}
"#,
    )
    .unwrap_err();
    assert!(
        err.contains("relabel configuration for hashmod requires non-zero modulus"),
        "{err}"
    );
    let err = decode_args(
        r#"
endpoint {
  url = "http://127.0.0.1:1/api/v1/write"
  write_relabel_config {
    regex  = "("
    action = "drop"
  }
}
"#,
    )
    .unwrap_err();
    assert!(err.contains("regex"), "{err}");
}
