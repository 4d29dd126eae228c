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
        sigv4: None,
        warnings: Vec::new(),
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
        warnings: Vec::new(),
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
        target_metadata: None,
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

/// A component with one shard and batches of up to 1,000 samples, so a test controls what one request holds.
fn start_one_shard(data: &std::path::Path, url: &str) -> Running {
    let mut e = endpoint(url);
    e.queue.max_samples_per_send = 1000;
    e.queue.batch_send_deadline = Duration::from_millis(200);
    e.queue.min_shards = 1;
    e.queue.max_shards = 1;
    start_with(
        data,
        Arguments {
            external_labels: BTreeMap::from([("cluster".to_string(), "c1".to_string())]),
            endpoints: vec![e],
            wal: WalOptions::default(),
            warnings: Vec::new(),
        },
    )
}

fn metric(r: &Running, name: &str) -> f64 {
    r.component
        .debug_metrics()
        .iter()
        .find(|m| m.name() == name)
        .and_then(|m| m.scalar())
        .unwrap()
}

/// A receiver that refuses a whole request for one sample older than `limit`, as Prometheus does for a
/// sample out of bounds.
fn refuse_older_than(sink: &RemoteWriteSink, limit: i64) {
    sink.respond_with(move |r| {
        let old = decode_v1(&r.body)
            .unwrap()
            .timeseries
            .iter()
            .any(|ts| ts.samples.iter().any(|s| s.timestamp < limit));
        if old {
            Reply::status(400).with_body("out of bounds")
        } else {
            Reply::status(204)
        }
    });
}

#[test]
fn a_400_naming_samples_splits_the_batch_and_drops_only_the_refused() {
    let rt = runtime();
    let _guard = rt.enter();
    let sink = RemoteWriteSink::start();
    refuse_older_than(&sink, 500);
    let data = tempfile::tempdir().unwrap();
    let r = start_one_shard(data.path(), &sink.url());
    // 200 current samples of one host and, in the middle, one sample of another stamped near 1970.
    let mut b = batch(200, 1000);
    b.samples.insert(
        100,
        Sample {
            labels: Labels::from_pairs(&[("__name__", "t"), ("s", "old")]),
            timestamp_ms: 1,
            value: 1.0,
            exemplar: None,
        },
    );
    r.receiver.0.append(&b).unwrap();
    wait_until(
        "201 samples sent or failed",
        Duration::from_secs(10),
        || {
            metric(&r, "prometheus_remote_storage_samples_total")
                + metric(&r, "prometheus_remote_storage_samples_failed_total")
                >= 201.0
        },
    );
    assert_eq!(
        metric(&r, "prometheus_remote_storage_samples_failed_total"),
        1.0
    );
    assert_eq!(metric(&r, "prometheus_remote_storage_samples_total"), 200.0);
    let mut got = accepted(&sink);
    check_order(&got);
    got.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(
        got,
        expected(200, 1),
        "every sample of the healthy host arrived once"
    );
    // Bisection: the whole batch, then two halves per level of the refused part (201 → 1 in 8 levels).
    let requests = sink.requests().len();
    assert!(requests <= 1 + 2 * 8, "{requests} requests");
    let h = r.ctx.health.get();
    assert_eq!(h.state, HealthState::Unhealthy);
    assert!(
        h.message
            .contains("dropped 1 of 201 samples: server returned HTTP status 400: out of bounds"),
        "{}",
        h.message
    );
}

#[test]
fn a_batch_refused_everywhere_costs_a_bounded_number_of_requests() {
    let rt = runtime();
    let _guard = rt.enter();
    let sink = RemoteWriteSink::start();
    refuse_older_than(&sink, i64::MAX);
    let data = tempfile::tempdir().unwrap();
    let r = start_one_shard(data.path(), &sink.url());
    r.receiver.0.append(&batch(500, 1000)).unwrap();
    wait_until("the drop to be counted", Duration::from_secs(10), || {
        metric(&r, "prometheus_remote_storage_samples_failed_total") == 500.0
    });
    std::thread::sleep(Duration::from_millis(300));
    let requests = sink.requests().len();
    assert!(
        (10..=65).contains(&requests),
        "one request, then at most 64 more for the parts: {requests}"
    );
    assert_eq!(metric(&r, "prometheus_remote_storage_samples_total"), 0.0);
}

#[test]
fn a_400_about_the_request_is_not_split() {
    let rt = runtime();
    let _guard = rt.enter();
    let sink = RemoteWriteSink::start();
    sink.respond_with(|_| Reply::status(400).with_body("snappy: corrupt input"));
    let data = tempfile::tempdir().unwrap();
    let r = start_one_shard(data.path(), &sink.url());
    r.receiver.0.append(&batch(50, 1000)).unwrap();
    wait_until("the drop to be counted", Duration::from_secs(10), || {
        metric(&r, "prometheus_remote_storage_samples_failed_total") == 50.0
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.requests().len(), 1);
}

/// Issue 22's relay case against Debian's Prometheus 2.42, which refuses a whole request (400, "out of
/// bounds") for one sample older than its head allows: the other host's samples in the same batch land.
#[test]
fn one_sample_prometheus_refuses_costs_only_itself() {
    use ingot_testkit::{http_get, require_binary, url_encode, Peer};
    let bin = require_binary("prometheus", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("prometheus.yml"), "global: {}\n").unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], ingot_testkit::free_port()));
    let mut cmd = std::process::Command::new(bin);
    cmd.arg(format!(
        "--config.file={}",
        dir.path().join("prometheus.yml").display()
    ))
    .arg(format!(
        "--storage.tsdb.path={}",
        dir.path().join("prom-data").display()
    ))
    .arg(format!("--web.listen-address={addr}"))
    .arg("--web.enable-remote-write-receiver");
    let mut prom = Peer::spawn("prometheus", cmd, tempfile::tempdir().unwrap());
    prom.wait_for_ready(addr, "/-/ready", Duration::from_secs(30));

    let rt = runtime();
    let _guard = rt.enter();
    let data = tempfile::tempdir().unwrap();
    let r = start_one_shard(data.path(), &format!("http://{addr}/api/v1/write"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let host = |h: &str, series: usize, ts: i64| -> Vec<Sample> {
        (0..series)
            .map(|i| Sample {
                labels: Labels::from_pairs(&[
                    ("__name__", "t"),
                    ("host", h),
                    ("s", &i.to_string()),
                ]),
                timestamp_ms: ts,
                value: i as f64,
                exemplar: None,
            })
            .collect()
    };
    // Prometheus' head starts at the first sample it takes: give it one now.
    r.receiver
        .0
        .append(&Batch {
            samples: host("warmup", 1, now - 1000),
            metadata: Vec::new(),
            target_metadata: None,
        })
        .unwrap();
    wait_until(
        "the first sample to be sent",
        Duration::from_secs(20),
        || metric(&r, "prometheus_remote_storage_samples_total") == 1.0,
    );
    // Host a's 200 current samples and one of host b's from 1970, in one batch.
    let mut samples = host("a", 200, now);
    samples.insert(50, host("b", 1, 1000).pop().unwrap());
    r.receiver
        .0
        .append(&Batch {
            samples,
            metadata: Vec::new(),
            target_metadata: None,
        })
        .unwrap();
    wait_until("the batch to be delivered", Duration::from_secs(20), || {
        metric(&r, "prometheus_remote_storage_samples_total")
            + metric(&r, "prometheus_remote_storage_samples_failed_total")
            >= 202.0
    });
    assert_eq!(
        metric(&r, "prometheus_remote_storage_samples_failed_total"),
        1.0
    );
    let count = |q: &str| -> String {
        let (status, body) =
            http_get(addr, &format!("/api/v1/query?query={}", url_encode(q))).unwrap();
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["data"]["result"][0]["value"][1]
            .as_str()
            .unwrap_or("none")
            .to_string()
    };
    assert_eq!(count("count(t{host=\"a\"})"), "200", "{}", prom.log());
    let h = r.ctx.health.get();
    assert!(
        h.message.contains("dropped 1 of 201 samples") && h.message.contains("out of bounds"),
        "{}",
        h.message
    );
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

/// A password in the endpoint URL is shown as Go shows it (`xxxxx`) in health, debug info, the `url`
/// label and logs, whether the endpoint answers or cannot be reached.
#[test]
fn a_password_in_the_url_is_shown_as_xxxxx() {
    let rt = runtime();
    let _guard = rt.enter();
    let sink = RemoteWriteSink::start();
    sink.respond_with(|_| Reply::status(500).with_body("try later"));
    let data = tempfile::tempdir().unwrap();
    let password = "Sup3rS3cretPw";
    let url = sink
        .url()
        .replace("http://", &format!("http://writer:{password}@"));
    let r = start(data.path(), &url);
    r.receiver.0.append(&batch(1, 1000)).unwrap();
    wait_until("a failed send", Duration::from_secs(10), || {
        r.ctx.health.get().state == HealthState::Unhealthy
    });
    let health = r.ctx.health.get().message;
    let info = format!("{:?}", r.component.debug_info());
    let labels: Vec<String> = r
        .component
        .debug_metrics()
        .iter()
        .flat_map(|m| m.label_values.clone())
        .collect();
    for (what, text) in [
        ("health", &health),
        ("debug info", &info),
        ("labels", &labels.join(" ")),
    ] {
        assert!(!text.contains(password), "{what}: {text}");
    }
    assert!(health.contains("writer:xxxxx@"), "{health}");
    assert!(
        labels.iter().any(|l| l.contains("writer:xxxxx@")),
        "{labels:?}"
    );
    // Unreachable: reqwest's error names the URL; it is redacted too.
    let closed = format!("http://writer:{password}@127.0.0.1:1/api/v1/write");
    let data = tempfile::tempdir().unwrap();
    let r = start(data.path(), &closed);
    r.receiver.0.append(&batch(1, 1000)).unwrap();
    wait_until("a failed connection", Duration::from_secs(10), || {
        r.ctx.health.get().state == HealthState::Unhealthy
    });
    let health = r.ctx.health.get().message;
    assert!(!health.contains(password), "{health}");
}

/// Positions are keyed safely: names differing only in punctuation have files of their own, a 300-character
/// name is saved, and a known endpoint whose position file was deleted resends what the WAL holds instead
/// of skipping what it had not delivered.
#[test]
fn positions_are_unique_saved_for_long_names_and_a_deleted_one_resends() {
    let mut sink = RemoteWriteSink::start();
    let data = tempfile::tempdir().unwrap();
    let url = sink.url();
    let named = |name: &str| {
        let mut e = endpoint(&url);
        e.name = name.into();
        e
    };
    let long = "n".repeat(300);
    let args = || Arguments {
        external_labels: BTreeMap::from([("cluster".to_string(), "c1".to_string())]),
        endpoints: vec![named("store.a"), named("store:a"), named(&long)],
        wal: WalOptions::default(),
        warnings: Vec::new(),
    };
    let positions = data
        .path()
        .join("prometheus.remote_write.test/wal/positions");
    {
        let rt = runtime();
        let _guard = rt.enter();
        let r = start_with(data.path(), args());
        r.receiver.0.append(&batch(2, 1000)).unwrap();
        wait_until("three endpoints delivered", Duration::from_secs(10), || {
            accepted(&sink).len() == 6
        });
        assert_eq!(r.ctx.health.get().state, HealthState::Healthy);
        sink.stop();
        r.receiver.0.append(&batch(2, 1001)).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        r.ctx.shutdown.cancel();
        drop(_guard);
        rt.shutdown_timeout(Duration::from_secs(10));
    }
    let files: Vec<String> = std::fs::read_dir(&positions)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".position"))
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    // The position of `store.a` is deleted while the agent is down.
    let store_a = files.iter().find(|f| f.starts_with("store_a-")).unwrap();
    let mut gone = 0;
    for f in files.iter().filter(|f| f.starts_with("store_a-")) {
        std::fs::remove_file(positions.join(f)).unwrap();
        gone += 1;
    }
    assert_eq!(
        gone, 2,
        "store.a and store:a have one file each ({store_a})"
    );
    sink.restart();
    let rt = runtime();
    let _guard = rt.enter();
    let _r = start_with(data.path(), args());
    // Every endpoint gets the undelivered batch; the two without a position also get the first again.
    wait_until("the rest after restart", Duration::from_secs(15), || {
        accepted(&sink).len() >= 6 + 6 + 4
    });
    std::thread::sleep(Duration::from_millis(300));
    let got = accepted(&sink);
    let of_1001 = got.iter().filter(|(_, ts, _)| *ts == 1001).count();
    assert_eq!(
        of_1001, 6,
        "each endpoint sent the undelivered batch once: {got:?}"
    );
}

/// A position that cannot be saved makes the component unhealthy, naming the endpoint and the file.
#[test]
fn a_position_that_cannot_be_saved_is_loud() {
    let rt = runtime();
    let _guard = rt.enter();
    let sink = RemoteWriteSink::start();
    let data = tempfile::tempdir().unwrap();
    let positions = data
        .path()
        .join("prometheus.remote_write.test/wal/positions");
    std::fs::create_dir_all(&positions).unwrap();
    // The file is written as `<name>.tmp` and renamed: a directory in that place makes every save fail.
    let file = ingot_prometheus::remote_write::queue::position_file(&positions, "test");
    std::fs::create_dir(file.with_extension("tmp")).unwrap();
    let r = start(data.path(), &sink.url());
    r.receiver.0.append(&batch(1, 1000)).unwrap();
    wait_until("the failed save reported", Duration::from_secs(10), || {
        let h = r.ctx.health.get();
        h.state == HealthState::Unhealthy && h.message.contains("saving")
    });
    let h = r.ctx.health.get();
    assert!(
        h.message.contains(&file.display().to_string()) || h.message.contains("position"),
        "{}",
        h.message
    );
}

/// Writes the disk lost (on a full disk, a page dropped after a failed writeback reads back as zeros) stop
/// neither the reader nor the log: the damaged record is skipped and counted, everything appended after it
/// is delivered, and a fully delivered log closes its segment so the space can be freed.
#[test]
fn lost_writes_are_skipped_and_a_delivered_log_frees_its_segment() {
    let rt = runtime();
    let _guard = rt.enter();
    let sink = RemoteWriteSink::start();
    let data = tempfile::tempdir().unwrap();
    let r = start(data.path(), &sink.url());
    let wal_dir = data.path().join("prometheus.remote_write.test/wal");
    r.receiver.0.append(&batch(2, 1000)).unwrap();
    wait_until("the first batch", Duration::from_secs(10), || {
        accepted(&sink).len() == 2
    });
    // The disk loses the next write.
    std::fs::write(wal_dir.join("TEST_ZERO_WRITES"), "").unwrap();
    r.receiver.0.append(&batch(2, 1001)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    std::fs::remove_file(wal_dir.join("TEST_ZERO_WRITES")).unwrap();
    r.receiver.0.append(&batch(2, 1002)).unwrap();
    wait_until(
        "the batch after the lost one",
        Duration::from_secs(10),
        || accepted(&sink).iter().any(|(_, ts, _)| *ts == 1002),
    );
    let got: Vec<i64> = accepted(&sink).iter().map(|(_, ts, _)| *ts).collect();
    assert!(
        !got.contains(&1001),
        "the lost write cannot be delivered: {got:?}"
    );
    let metric = |name: &str| {
        r.component
            .debug_metrics()
            .iter()
            .find(|m| m.name() == name)
            .and_then(|m| m.scalar())
            .unwrap_or(-1.0)
    };
    assert!(metric("prometheus_remote_write_wal_corruptions_total") >= 1.0);
    // Everything delivered: within a truncation check the segment is closed and removed.
    wait_until(
        "the delivered segment removed",
        Duration::from_secs(15),
        || metric("prometheus_remote_write_wal_segments_removed_total") >= 1.0,
    );
    r.receiver.0.append(&batch(2, 1003)).unwrap();
    wait_until("delivery goes on", Duration::from_secs(10), || {
        accepted(&sink).iter().any(|(_, ts, _)| *ts == 1003)
    });
}

/// Settings ingot cannot honour: refused by name where ignoring them would mislead (credentials),
/// accepted with a warning naming them (logged, and in the component's health) where they only tune.
#[test]
fn unsupported_settings_are_refused_or_warned_about_by_name() {
    let endpoint = |body: &str| {
        decode_args(&format!(
            "endpoint {{\n  url = \"http://127.0.0.1:1/api/v1/write\"\n  {body}\n}}\n"
        ))
    };
    let refused = |body: &str, want: &str| {
        let err = endpoint(body).expect_err(body);
        assert!(err.contains(want), "{body}: {err}");
        assert!(err.contains("test.alloy:"), "the place is named: {err}");
    };
    refused(
        "sigv4 {\n    region = \"us-east-1\"\n    role_arn = \"arn:aws:iam::1:role/x\"\n  }",
        "sigv4 role_arn is not supported by ingot: assuming a role needs AWS STS",
    );
    refused(
        "sigv4 {\n    external_id = \"x\"\n  }",
        "external_id can only be used with role_arn",
    );
    refused(
        "sigv4 {\n    access_key = \"AK\"\n  }",
        "must provide an AWS SigV4 access key and secret key",
    );
    refused(
        "sigv4 { region = \"us-east-1\" }\n  bearer_token = \"t\"",
        "at most one of sigv4, azuread, google_iam, basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
    );
    refused(
        "azuread {\n    managed_identity { client_id = \"00000000-0000-0000-0000-000000000000\" }\n  }",
        "endpoint block \"azuread\" is not supported by ingot",
    );
    refused(
        "google_iam { }",
        "endpoint block \"google_iam\" is not supported by ingot",
    );
    refused(
        "basic_auth { username = \"u\" }\n  oauth2 {\n    client_id = \"c\"\n    client_secret = \"s\"\n    token_url = \"http://127.0.0.1:1/token\"\n  }",
        "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured",
    );
    refused(
        "oauth2 {\n    client_secret = \"s\"\n    token_url = \"http://127.0.0.1:1/token\"\n  }",
        "oauth2 client_id must be configured",
    );
    refused(
        "proxy_url = \"http://127.0.0.1:3128\"\n  proxy_from_environment = true",
        "if proxy_from_environment is configured, proxy_url must not be configured",
    );
    refused(
        "no_proxy = \"a.example\"",
        "if no_proxy is configured, proxy_url must also be configured",
    );
    refused(
        "proxy_connect_header = { \"X-A\" = [\"b\"] }",
        "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured",
    );
    refused(
        "proxy_url = \"socks5://127.0.0.1:1080\"",
        "proxy scheme \"socks5\" of \"socks5://127.0.0.1:1080\" is not supported by ingot",
    );
    refused(
        "http_headers = { \"Authorization\" = [\"x\"] }",
        "setting header \"Authorization\" is not allowed",
    );
    // Accepted, with Alloy's defaults for what is not set.
    let ok = endpoint(
        "sigv4 {\n    region = \"us-east-1\"\n    access_key = \"AK\"\n    secret_key = \"SK\"\n  }\n  proxy_url = \"http://u:p@127.0.0.1:3128\"\n  no_proxy = \"10.0.0.0/8\"\n  tls_config { server_name = \"rw.example\" }\n  http_headers = { \"X-Token\" = [\"t\"] }",
    )
    .unwrap();
    let e = &ok.endpoints[0];
    assert!(
        !e.http.enable_http2,
        "remote_write endpoints default to HTTP/1.1, as Alloy"
    );
    assert!(ok.warnings.is_empty(), "{:?}", ok.warnings);

    let data = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _guard = rt.enter();
    let args = decode_args(
        "endpoint {\n  url = \"http://127.0.0.1:1/api/v1/write\"\n  round_robin_dns = true\n  send_native_histograms = true\n  queue_config { max_shards = 10 }\n}\nwal {\n  truncate_frequency = \"1h\"\n  min_keepalive_time = \"1m\"\n}\n",
    )
    .unwrap();
    let names: Vec<&str> = [
        "send_native_histograms",
        "round_robin_dns",
        "queue_config.max_shards",
        "wal.truncate_frequency",
        "wal.min_keepalive_time",
    ]
    .into();
    for n in &names {
        assert!(
            args.warnings
                .iter()
                .any(|w| w.contains(&format!("{n} has no effect: "))),
            "{n}: {:?}",
            args.warnings
        );
    }
    let r = start_with(data.path(), args);
    let health = r.ctx.health.get();
    for n in &names {
        assert!(
            health.message.contains(n),
            "{n} in health: {}",
            health.message
        );
    }
    r.ctx.shutdown.cancel();
}
