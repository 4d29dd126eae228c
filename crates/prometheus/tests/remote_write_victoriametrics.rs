//! `prometheus.remote_write` into Debian's VictoriaMetrics: the samples handed to the component are read back
//! through `/api/v1/export`, exactly (labels with the external labels, timestamps, values), with Remote
//! Write 1.0, and with 2.0 asked for (this VictoriaMetrics predates 2.0: the endpoint must fall back to 1.0
//! and still deliver everything). Every wait is bounded.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ingot_common::receiver::MetricsReceiver;
use ingot_prom::labels::Labels;
use ingot_prom::remote_write::Protocol;
use ingot_prom::sample::{Batch, Sample};
use ingot_prometheus::remote_write::args::{
    Arguments, Endpoint, HttpClient, MetadataOptions, QueueOptions, WalOptions,
};
use ingot_prometheus::remote_write::Component;
use ingot_runtime::component::{ComponentType, Context, MemoryHttp};
use ingot_runtime::exports::ExportsPublisher;
use ingot_runtime::health::HealthReporter;
use ingot_syntax::value::{FromValue, Value};
use ingot_testkit::{free_port, http_get, require_binary, Peer};
use tokio_util::sync::CancellationToken;

fn start_vm() -> (Peer, SocketAddr) {
    let bin = require_binary("victoria-metrics", "victoria-metrics");
    let dir = tempfile::tempdir().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg(format!("-httpListenAddr={addr}"))
        .arg(format!(
            "-storageDataPath={}",
            dir.path().join("data").display()
        ))
        .arg("-loggerLevel=WARN");
    let mut peer = Peer::spawn("victoria-metrics", cmd, dir);
    peer.wait_for_port(addr, Duration::from_secs(20));
    (peer, addr)
}

fn endpoint(url: &str, protocol: Protocol) -> Endpoint {
    Endpoint {
        name: "vm".into(),
        url: url.into(),
        remote_timeout: Duration::from_secs(10),
        headers: BTreeMap::new(),
        send_exemplars: true,
        send_native_histograms: false,
        protobuf_message: protocol,
        http: HttpClient {
            follow_redirects: true,
            ..Default::default()
        },
        queue: QueueOptions {
            max_samples_per_send: 50,
            batch_send_deadline: Duration::from_millis(50),
            min_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(200),
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

fn start(data: &std::path::Path, endpoint: Endpoint) -> (Arc<Component>, MetricsReceiver) {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let id = "prometheus.remote_write.vm";
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
    let args = Arguments {
        external_labels: BTreeMap::from([("cluster".to_string(), "e2e".to_string())]),
        endpoints: vec![endpoint],
        wal: WalOptions::default(),
        warnings: Vec::new(),
    };
    let component = Arc::new(Component::build(ctx.clone(), args).unwrap());
    component.start();
    let Value::Object(fields) = ctx.exports.get() else {
        panic!("no exports")
    };
    let receiver = MetricsReceiver::from_value(fields.get("receiver").unwrap()).unwrap();
    (component, receiver)
}

type Series = BTreeMap<String, String>;

/// What was sent: series (with the external label) → (timestamp ms, value) in time order.
fn send(receiver: &MetricsReceiver, metric: &str) -> BTreeMap<Series, Vec<(i64, f64)>> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    // Whole seconds, ten minutes back: inside any retention, and exact in VictoriaMetrics' storage.
    let base = (now / 1000 - 600) * 1000;
    let mut want: BTreeMap<Series, Vec<(i64, f64)>> = BTreeMap::new();
    for step in 0..40i64 {
        let ts = base + step * 15_000;
        let mut samples = Vec::new();
        for (kind, value) in [
            ("fraction", step as f64 * 0.25 - 3.5),
            ("large", 1e10 + step as f64),
            ("negative", -(step as f64) / 8.0),
        ] {
            let labels = Labels::from_pairs(&[("__name__", metric), ("kind", kind)]);
            let series: Series = [("__name__", metric), ("kind", kind), ("cluster", "e2e")]
                .into_iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            want.entry(series).or_default().push((ts, value));
            samples.push(Sample {
                labels,
                timestamp_ms: ts,
                value,
                exemplar: None,
            });
        }
        receiver
            .0
            .append(&Batch {
                samples,
                metadata: Vec::new(),
                target_metadata: None,
            })
            .unwrap();
    }
    want
}

/// `/api/v1/export` for `metric`: series → (timestamp, value), as VictoriaMetrics stores them.
fn export(vm: SocketAddr, metric: &str) -> Result<BTreeMap<Series, Vec<(i64, f64)>>, String> {
    let _ = http_get(vm, "/internal/force_flush");
    let (status, body) = http_get(vm, &format!("/api/v1/export?match[]={metric}"))
        .map_err(|e| format!("export: {e}"))?;
    if status != 200 {
        return Err(format!("export: HTTP {status}: {body}"));
    }
    let mut out: BTreeMap<Series, Vec<(i64, f64)>> = BTreeMap::new();
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
        let series: Series = v["metric"]
            .as_object()
            .ok_or_else(|| format!("no metric in {line}"))?
            .iter()
            .map(|(n, v)| (n.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        let ts = v["timestamps"].as_array().cloned().unwrap_or_default();
        let vals = v["values"].as_array().cloned().unwrap_or_default();
        let points = out.entry(series).or_default();
        for (t, x) in ts.iter().zip(&vals) {
            points.push((t.as_i64().unwrap_or(-1), x.as_f64().unwrap_or(f64::NAN)));
        }
    }
    for points in out.values_mut() {
        points.sort_by(|a, b| a.partial_cmp(b).unwrap());
    }
    Ok(out)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn round_trip(protocol: Protocol, metric: &str) {
    let (vm, addr) = start_vm();
    let rt = runtime();
    let _guard = rt.enter();
    let data = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}/api/v1/write");
    let (component, receiver) = start(data.path(), endpoint(&url, protocol));
    let want = send(&receiver, metric);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = Err("not queried yet".to_string());
    while Instant::now() < deadline {
        last = export(addr, metric);
        if last.as_ref().is_ok_and(|got| *got == want) {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let got = last.unwrap_or_else(|e| panic!("{e}\n{}", vm.log()));
    assert_eq!(
        got, want,
        "VictoriaMetrics holds exactly the samples sent, no more"
    );
    let metrics = component.debug_metrics();
    let total = metrics
        .iter()
        .find(|m| m.name() == "prometheus_remote_storage_samples_total")
        .and_then(|m| m.scalar());
    assert_eq!(total, Some(120.0));
    // Stays exact: nothing is sent twice later.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(export(addr, metric).unwrap(), want);
    let names: BTreeSet<&String> = got.keys().flat_map(|s| s.get("kind")).collect();
    assert_eq!(names.len(), 3);
}

#[test]
fn victoriametrics_holds_exactly_the_samples_sent_rw1() {
    round_trip(Protocol::V1, "ingot_rw_e2e_v1");
}

#[test]
fn victoriametrics_without_rw2_gets_everything_after_the_fallback() {
    round_trip(Protocol::V2, "ingot_rw_e2e_v2");
}
