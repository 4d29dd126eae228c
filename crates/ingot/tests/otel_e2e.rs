//! The binary with the OpenTelemetry path end to end, against real clients and an independent sink on
//! loopback: PyPI's OpenTelemetry SDK (gRPC and HTTP exporters) into `otelcol.receiver.otlp` →
//! `otelcol.processor.batch` → `otelcol.exporter.otlp` / `otelcol.exporter.otlphttp` → the Python OTLP sink
//! (grpcio + opentelemetry-proto, `crates/otelcol/tests/peers/otlp_sink.py`). Outages, throttling with
//! retry hints, permanent refusals, malformed requests and a SIGKILL with a queue on disk. Every wait is
//! bounded.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ingot_testkit::otlp_sink::{python, sdk_send, OtlpSink};
use ingot_testkit::{free_port, http_get, poll_until, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

struct Ingot {
    peer: Peer,
    api: u16,
}

fn start_ingot(config: &str, storage: &Path) -> Ingot {
    start_ingot_env(config, storage, &[])
}

fn start_ingot_env(config: &str, storage: &Path, env: &[(&str, &str)]) -> Ingot {
    let api = free_port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.alloy");
    std::fs::write(&path, config).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(&path)
        .arg(format!("--server.http.listen-addr=127.0.0.1:{api}"))
        .arg(format!("--storage.path={}", storage.display()))
        .envs(env.iter().copied());
    let mut peer = Peer::spawn("ingot", cmd, dir);
    peer.wait_for_ready(addr(api), "/-/ready", Duration::from_secs(20));
    Ingot { peer, api }
}

impl Ingot {
    /// The value of the sample of `name` whose labels include every `label="value"` in `labels`.
    fn metric(&self, name: &str, labels: &[&str]) -> Option<f64> {
        let (_, body) = http_get(addr(self.api), "/metrics").ok()?;
        body.lines()
            .filter(|l| l.starts_with(name) && l[name.len()..].starts_with('{'))
            .find(|l| labels.iter().all(|want| l.contains(want)))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
    }

    fn health(&self, id: &str) -> (String, String) {
        let (_, body) = http_get(addr(self.api), &format!("/api/v0/web/components/{id}")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        (
            v["health"]["state"].as_str().unwrap_or("").to_string(),
            v["health"]["message"].as_str().unwrap_or("").to_string(),
        )
    }
}

/// The pipeline of Alloy's OpenTelemetry docs: receiver (gRPC and HTTP) → batch → exporters, with short
/// retry intervals. Traces and logs leave over gRPC, metrics over HTTP; `extra` is added to both exporters.
fn pipeline(grpc: u16, http: u16, sink: &OtlpSink, exporter_extra: &str, extra: &str) -> String {
    format!(
        r#"
otelcol.receiver.otlp "in" {{
  grpc {{ endpoint = "127.0.0.1:{grpc}" }}
  http {{ endpoint = "127.0.0.1:{http}" }}
  output {{
    traces  = [otelcol.processor.batch.b.input]
    metrics = [otelcol.processor.batch.b.input]
    logs    = [otelcol.processor.batch.b.input]
  }}
}}

otelcol.processor.batch "b" {{
  timeout = "100ms"
  output {{
    traces  = [otelcol.exporter.otlp.out.input]
    metrics = [otelcol.exporter.otlphttp.out.input]
    logs    = [otelcol.exporter.otlp.out.input]
  }}
}}

otelcol.exporter.otlp "out" {{
  client {{
    endpoint = "{grpc_sink}"
    tls {{ insecure = true }}
  }}
  retry_on_failure {{
    initial_interval = "100ms"
    max_interval     = "500ms"
  }}
  {exporter_extra}
}}

otelcol.exporter.otlphttp "out" {{
  client {{ endpoint = "{http_sink}" }}
  retry_on_failure {{
    initial_interval = "100ms"
    max_interval     = "500ms"
  }}
  {exporter_extra}
}}
{extra}
"#,
        grpc_sink = sink.grpc_endpoint(),
        http_sink = sink.http_url(),
    )
}

fn set(v: Vec<String>) -> BTreeSet<String> {
    v.into_iter().collect()
}

/// Waits until the sink holds every one of `want` for `signal`.
fn wait_delivered(
    sink: &OtlpSink,
    ingot: &Ingot,
    signal: &str,
    want: &BTreeSet<String>,
    timeout: Duration,
) {
    poll_until(
        &format!("the sink has every {signal} item"),
        timeout,
        Duration::from_millis(100),
        &[&ingot.peer],
        || {
            let got = set(sink.ids(signal));
            let missing = want.difference(&got).count();
            if missing == 0 {
                Ok(())
            } else {
                Err(format!(
                    "{missing} of {} missing\nsink log:\n{}",
                    want.len(),
                    sink.log()
                ))
            }
        },
    );
}

#[test]
fn the_sdk_over_grpc_and_http_reaches_the_sink_through_batch_and_both_exporters() {
    let sink = OtlpSink::start();
    let (grpc, http) = (free_port(), free_port());
    let storage = tempfile::tempdir().unwrap();
    let ingot = start_ingot(&pipeline(grpc, http, &sink, "", ""), storage.path());

    let g = sdk_send("grpc", &format!("127.0.0.1:{grpc}"), 300, 2, 25, "g", &[]);
    let h = sdk_send(
        "http",
        &format!("http://127.0.0.1:{http}"),
        300,
        2,
        25,
        "h",
        &[],
    );
    for sent in [&g, &h] {
        for signal in ["traces", "metrics", "logs"] {
            let r = sent.results(signal);
            assert!(
                !r.is_empty() && r.iter().all(|r| r == "SUCCESS"),
                "{signal}: {r:?}"
            );
        }
    }
    let spans: BTreeSet<String> = set(g.spans()).union(&set(h.spans())).cloned().collect();
    let logs: BTreeSet<String> = set(g.logs()).union(&set(h.logs())).cloned().collect();
    assert_eq!((spans.len(), logs.len()), (600, 50));
    wait_delivered(&sink, &ingot, "traces", &spans, Duration::from_secs(20));
    wait_delivered(&sink, &ingot, "logs", &logs, Duration::from_secs(20));

    // Metrics: every data point the SDK recorded, with its value (the last export of each, as the SDK
    // exports cumulative sums at flush and again at shutdown).
    let items = sink.items();
    for (tag, sent) in [("g", &g), ("h", &h)] {
        for (id, want) in sent.doc["metrics"].as_object().unwrap() {
            let got = items
                .iter()
                .rev()
                .find(|i| i["signal"] == "metrics" && i["id"] == id.as_str())
                .unwrap_or_else(|| panic!("{tag}: no data point {id} at the sink"));
            assert_eq!(got["resource"]["service.name"], format!("ingot-test-{tag}"));
            match want {
                serde_json::Value::Object(h) => {
                    assert_eq!(got["value"]["count"], h["count"], "{id}");
                    assert_eq!(got["value"]["sum"].as_f64(), h["sum"].as_f64(), "{id}");
                }
                v => assert_eq!(got["value"].as_f64(), v.as_f64(), "{id}"),
            }
        }
    }
    // Traces and logs left over gRPC (gzip), metrics over HTTP as gzipped protobuf.
    let reqs = sink.requests();
    assert!(reqs
        .iter()
        .any(|r| r["transport"] == "grpc" && r["signal"] == "traces"));
    assert!(reqs
        .iter()
        .filter(|r| r["signal"] == "metrics")
        .all(|r| r["transport"] == "http"
            && r["encoding"] == "gzip"
            && r["content_type"] == "application/x-protobuf"));

    // Alloy's metric names count every item once.
    let recv = "receiver=\"otlp/otelcol.receiver.otlp.in\"";
    for (transport, _) in [("grpc", &g), ("http", &h)] {
        let t = format!("transport=\"{transport}\"");
        assert_eq!(
            ingot.metric("otelcol_receiver_accepted_spans_total", &[recv, &t]),
            Some(300.0)
        );
        assert_eq!(
            ingot.metric("otelcol_receiver_accepted_log_records_total", &[recv, &t]),
            Some(25.0)
        );
        assert_eq!(
            ingot.metric("otelcol_receiver_refused_spans_total", &[recv, &t]),
            Some(0.0)
        );
    }
    let exp = "exporter=\"otlp/otelcol.exporter.otlp.out\"";
    poll_until(
        "sent counts",
        Duration::from_secs(5),
        Duration::from_millis(100),
        &[&ingot.peer],
        || match ingot.metric("otelcol_exporter_sent_spans_total", &[exp]) {
            Some(600.0) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    assert_eq!(
        ingot.metric("otelcol_exporter_sent_log_records_total", &[exp]),
        Some(50.0)
    );
    assert_eq!(
        ingot.metric("otelcol_exporter_send_failed_spans_total", &[exp]),
        Some(0.0)
    );
    assert_eq!(
        ingot.metric(
            "otelcol_exporter_queue_capacity",
            &[exp, "data_type=\"traces\""]
        ),
        Some(1000.0)
    );
    assert!(
        ingot
            .metric(
                "otelcol_processor_batch_batch_send_size_count",
                &["processor=\"batch/otelcol.processor.batch.b\""]
            )
            .unwrap_or(0.0)
            > 0.0
    );
    assert_eq!(ingot.health("otelcol.exporter.otlp.out").0, "healthy");
}

/// A raw HTTP/1.1 POST: status, headers and body.
fn post(
    to: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect_timeout(&to, Duration::from_secs(5)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (
        status,
        head,
        raw.get(split + 4..).unwrap_or_default().to_vec(),
    )
}

const GRPC_RAW: &str = r#"
import sys, grpc
target, method, payload = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
ch = grpc.insecure_channel(target)
call = ch.unary_unary(method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
try:
    call(payload, timeout=10)
    print("OK")
except grpc.RpcError as e:
    print(e.code().name, e.details())
"#;

fn grpc_raw(target: &str, method: &str, payload: &[u8]) -> String {
    let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
    let out = Command::new(python())
        .args(["-c", GRPC_RAW, target, method, &hex])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn malformed_protobuf_and_json_get_400_and_invalid_argument_and_the_receiver_goes_on() {
    let sink = OtlpSink::start();
    let (grpc, http) = (free_port(), free_port());
    let storage = tempfile::tempdir().unwrap();
    let ingot = start_ingot(&pipeline(grpc, http, &sink, "", ""), storage.path());

    let proto = [("Content-Type", "application/x-protobuf")];
    let (status, head, body) = post(
        addr(http),
        "/v1/traces",
        &proto,
        b"\x0a\xff\xff\xff\xff\x0f",
    );
    assert_eq!(status, 400, "{head}");
    // The body is a google.rpc.Status: code 3 (INVALID_ARGUMENT) in field 1, the message in field 2.
    assert_eq!(&body[..2], b"\x08\x03", "{body:?}");
    assert!(
        String::from_utf8_lossy(&body).contains("protobuf"),
        "{body:?}"
    );

    let json = [("Content-Type", "application/json")];
    let (status, _, body) = post(
        addr(http),
        "/v1/logs",
        &json,
        br#"{"resourceLogs":[{"scopeLogs":"#,
    );
    assert_eq!(status, 400);
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["code"], 3, "{doc}");
    let (status, _, body) = post(
        addr(http),
        "/v1/traces",
        &json,
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}"#,
    );
    assert_eq!(status, 400);
    assert!(
        String::from_utf8_lossy(&body).contains("traceId"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    let (status, _, _) = post(
        addr(http),
        "/v1/traces",
        &[("Content-Type", "text/plain")],
        b"x",
    );
    assert_eq!(status, 415);
    let (status, _, _) = post(
        addr(http),
        "/v1/traces",
        &[
            ("Content-Type", "application/x-protobuf"),
            ("Content-Encoding", "gzip"),
        ],
        b"not gzip",
    );
    assert_eq!(status, 400);

    let target = format!("127.0.0.1:{grpc}");
    let answer = grpc_raw(
        &target,
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        b"\x0a\xff\xff\xff\xff\x0f",
    );
    assert!(answer.starts_with("INVALID_ARGUMENT"), "{answer}");

    // Still serving, and nothing malformed was counted as accepted.
    let sent = sdk_send("grpc", &target, 5, 0, 0, "after", &[]);
    wait_delivered(
        &sink,
        &ingot,
        "traces",
        &set(sent.spans()),
        Duration::from_secs(20),
    );
    assert!(ingot.peer_running());
    assert_eq!(
        ingot.metric(
            "otelcol_receiver_accepted_spans_total",
            &["transport=\"grpc\""]
        ),
        Some(5.0)
    );
}

impl Ingot {
    fn peer_running(&self) -> bool {
        std::fs::metadata(format!("/proc/{}", self.peer.pid())).is_ok()
    }
}

#[test]
fn an_outage_within_queue_capacity_loses_nothing_and_health_names_the_endpoint() {
    let mut sink = OtlpSink::start();
    let (grpc, http) = (free_port(), free_port());
    let storage = tempfile::tempdir().unwrap();
    let ingot = start_ingot(&pipeline(grpc, http, &sink, "", ""), storage.path());
    sink.stop();

    let sent = sdk_send(
        "grpc",
        &format!("127.0.0.1:{grpc}"),
        400,
        0,
        30,
        "outage",
        &[],
    );
    assert!(sent.results("traces").iter().all(|r| r == "SUCCESS"));
    let id = "otelcol.exporter.otlp.out";
    let (message, _) = poll_until(
        "the exporter turns unhealthy",
        Duration::from_secs(10),
        Duration::from_millis(100),
        &[&ingot.peer],
        || {
            let (state, message) = ingot.health(id);
            if state == "unhealthy" {
                Ok(message)
            } else {
                Err(format!("{state}: {message}"))
            }
        },
    );
    assert!(
        message.contains(&sink.grpc_endpoint()) && message.contains("Unavailable"),
        "{message}"
    );
    assert!(
        ingot
            .metric(
                "otelcol_exporter_queue_size",
                &["exporter=\"otlp/otelcol.exporter.otlp.out\""]
            )
            .unwrap_or(0.0)
            > 0.0
    );

    std::thread::sleep(Duration::from_secs(2));
    sink.restart();
    wait_delivered(
        &sink,
        &ingot,
        "traces",
        &set(sent.spans()),
        Duration::from_secs(30),
    );
    wait_delivered(
        &sink,
        &ingot,
        "logs",
        &set(sent.logs()),
        Duration::from_secs(30),
    );
    poll_until(
        "healthy again",
        Duration::from_secs(10),
        Duration::from_millis(100),
        &[&ingot.peer],
        || {
            let (state, message) = ingot.health(id);
            if state == "healthy" {
                Ok(())
            } else {
                Err(format!("{state}: {message}"))
            }
        },
    );
    let exp = "exporter=\"otlp/otelcol.exporter.otlp.out\"";
    assert_eq!(
        ingot.metric("otelcol_exporter_sent_spans_total", &[exp]),
        Some(400.0)
    );
    assert_eq!(
        ingot.metric("otelcol_exporter_send_failed_spans_total", &[exp]),
        Some(0.0)
    );
    assert_eq!(
        ingot.metric(
            "otelcol_exporter_queue_size",
            &[exp, "data_type=\"traces\""]
        ),
        Some(0.0)
    );
    // The outage was logged once as it began and once as it ended, not once per attempt.
    let log = ingot.peer.log();
    let lines = log
        .lines()
        .filter(|l| l.contains("otelcol.exporter.otlp.out") && l.contains("failed"))
        .count();
    assert!(lines <= 4, "{lines} lines about the outage:\n{log}");
}

#[test]
fn throttling_with_retry_hints_is_waited_out_and_permanent_refusals_are_counted() {
    let sink = OtlpSink::start();
    let (grpc, http) = (free_port(), free_port());
    let storage = tempfile::tempdir().unwrap();
    let ingot = start_ingot(&pipeline(grpc, http, &sink, "", ""), storage.path());

    // gRPC: RESOURCE_EXHAUSTED with a RetryInfo of 1.5s, twice; HTTP: 429 with Retry-After: 2 once.
    sink.control(
        serde_json::json!({"grpc_code": "RESOURCE_EXHAUSTED", "retry_delay": 1.5, "count": 2}),
    );
    let started = Instant::now();
    let sent = sdk_send(
        "http",
        &format!("http://127.0.0.1:{http}"),
        20,
        0,
        0,
        "throttled",
        &[],
    );
    wait_delivered(
        &sink,
        &ingot,
        "traces",
        &set(sent.spans()),
        Duration::from_secs(20),
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(3),
        "two 1.5s retry hints waited out, took {took:?}"
    );
    let statuses: Vec<String> = sink
        .requests()
        .iter()
        .map(|r| r["status"].to_string())
        .collect();
    assert_eq!(
        statuses,
        ["\"RESOURCE_EXHAUSTED\"", "\"RESOURCE_EXHAUSTED\"", "\"OK\""]
    );

    sink.control(serde_json::json!({"status": 429, "retry_after": "2", "count": 1}));
    let started = Instant::now();
    let sent = sdk_send(
        "grpc",
        &format!("127.0.0.1:{grpc}"),
        0,
        1,
        0,
        "throttled",
        &[],
    );
    let want: BTreeSet<String> = sent.doc["metrics"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    wait_delivered(&sink, &ingot, "metrics", &want, Duration::from_secs(20));
    // The SDK exports at flush and at shutdown: one or two batches. The one answered 429 came back no
    // sooner than its Retry-After.
    let _ = started;
    poll_until(
        "the throttled batch sent again",
        Duration::from_secs(20),
        Duration::from_millis(100),
        &[&ingot.peer],
        || {
            let reqs: Vec<serde_json::Value> = sink
                .requests()
                .into_iter()
                .filter(|r| r["signal"] == "metrics")
                .collect();
            let throttled = reqs
                .iter()
                .find(|r| r["status"] == 429)
                .ok_or("no 429 yet")?;
            let t0 = throttled["time"].as_f64().unwrap();
            let again = reqs.iter().any(|r| {
                r["status"] == 200
                    && r["items"] == throttled["items"]
                    && r["time"].as_f64().unwrap() >= t0 + 1.9
            });
            let early = reqs
                .iter()
                .filter(|r| r["status"] == 200 && r["time"].as_f64().unwrap() < t0 + 1.9)
                .count();
            if again && early < reqs.iter().filter(|r| r["status"] == 200).count() {
                Ok(())
            } else {
                Err(format!("{reqs:?}"))
            }
        },
    );

    // A 400 is permanent: the batch is dropped, counted and the component says why.
    sink.control(serde_json::json!({"status": 400, "count": 5, "message": "schema says no"}));
    sdk_send(
        "grpc",
        &format!("127.0.0.1:{grpc}"),
        0,
        1,
        0,
        "refused",
        &[],
    );
    let exp = "exporter=\"otlphttp/otelcol.exporter.otlphttp.out\"";
    poll_until(
        "send_failed counted",
        Duration::from_secs(10),
        Duration::from_millis(100),
        &[&ingot.peer],
        || match ingot.metric("otelcol_exporter_send_failed_metric_points_total", &[exp]) {
            Some(n) if n >= 3.0 => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    let (state, message) = ingot.health("otelcol.exporter.otlphttp.out");
    assert_eq!(state, "unhealthy");
    assert!(
        message.contains("400")
            && message.contains("schema says no")
            && message.contains(&sink.http_url()),
        "{message}"
    );
    assert_eq!(
        ingot.metric(
            "otelcol_exporter_send_failed_spans_total",
            &["exporter=\"otlp/otelcol.exporter.otlp.out\""]
        ),
        Some(0.0)
    );
}

#[test]
fn with_storage_a_sigkill_in_the_middle_of_an_outage_loses_nothing() {
    let mut sink = OtlpSink::start();
    let (grpc, http) = (free_port(), free_port());
    let storage = tempfile::tempdir().unwrap();
    let queue = r#"sending_queue { storage = otelcol.storage.file.q.handler }"#;
    let config = pipeline(grpc, http, &sink, queue, r#"otelcol.storage.file "q" { }"#);
    let ingot = start_ingot(&config, storage.path());
    sink.stop();

    let first = sdk_send(
        "grpc",
        &format!("127.0.0.1:{grpc}"),
        300,
        0,
        20,
        "before",
        &[],
    );
    assert!(first.results("traces").iter().all(|r| r == "SUCCESS"));
    ingot.peer.signal(9);
    drop(ingot);

    let ingot = start_ingot(&config, storage.path());
    let second = sdk_send(
        "http",
        &format!("http://127.0.0.1:{http}"),
        100,
        0,
        0,
        "after",
        &[],
    );
    assert!(second.results("traces").iter().all(|r| r == "SUCCESS"));
    sink.restart();
    let spans: BTreeSet<String> = set(first.spans())
        .union(&set(second.spans()))
        .cloned()
        .collect();
    wait_delivered(&sink, &ingot, "traces", &spans, Duration::from_secs(30));
    wait_delivered(
        &sink,
        &ingot,
        "logs",
        &set(first.logs()),
        Duration::from_secs(30),
    );
    let exp = "exporter=\"otlp/otelcol.exporter.otlp.out\"";
    poll_until(
        "the queue empties",
        Duration::from_secs(10),
        Duration::from_millis(100),
        &[&ingot.peer],
        || match ingot.metric(
            "otelcol_exporter_queue_size",
            &[exp, "data_type=\"traces\""],
        ) {
            Some(0.0) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
}

const FLOOD: &str = r#"
import sys, threading, time, urllib.request, urllib.error
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

url, seconds, threads = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
lock = threading.Lock()
counts = {"ok": 0, "retry": 0, "other": 0, "spans_ok": 0}

def body(n):
    req = trace_service_pb2.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    ss = rs.scope_spans.add()
    for i in range(n):
        s = ss.spans.add()
        s.trace_id = (n * 1000003 + i).to_bytes(16, "big")
        s.span_id = (i + 1).to_bytes(8, "big")
        s.name = "flood-" + "x" * 200
    return req.SerializeToString()

payload = body(2000)
def run():
    end = time.time() + seconds
    while time.time() < end:
        r = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/x-protobuf"})
        try:
            urllib.request.urlopen(r, timeout=30).read()
            k = "ok"
        except urllib.error.HTTPError as e:
            k = "retry" if e.code in (429, 503) else "other"
            if k == "other":
                print("unexpected", e.code, e.read()[:200], file=sys.stderr)
        with lock:
            counts[k] += 1
            if k == "ok":
                counts["spans_ok"] += 2000
ts = [threading.Thread(target=run) for _ in range(threads)]
[t.start() for t in ts]
[t.join() for t in ts]
print(counts["ok"], counts["retry"], counts["other"], counts["spans_ok"], len(payload))
"#;

#[test]
fn the_memory_limiter_refuses_a_flood_with_503_and_resident_memory_stays_within_limit_and_spike() {
    let mut sink = OtlpSink::start();
    let (grpc, http) = (free_port(), free_port());
    let storage = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
otelcol.receiver.otlp "in" {{
  grpc {{ endpoint = "127.0.0.1:{grpc}" }}
  http {{ endpoint = "127.0.0.1:{http}" }}
  output {{ traces = [otelcol.processor.memory_limiter.m.input] }}
}}
otelcol.processor.memory_limiter "m" {{
  check_interval = "50ms"
  limit          = "100MiB"
  spike_limit    = "25MiB"
  output {{ traces = [otelcol.exporter.otlp.out.input] }}
}}
otelcol.exporter.otlp "out" {{
  client {{
    endpoint = "{}"
    tls {{ insecure = true }}
  }}
  sending_queue {{ queue_size = 100000 }}
  retry_on_failure {{
    initial_interval = "100ms"
    max_interval     = "500ms"
    max_elapsed_time = "0s"
  }}
}}
"#,
        sink.grpc_endpoint()
    );
    let ingot = start_ingot(&config, storage.path());
    sink.stop();
    let out = Command::new(python())
        .args([
            "-c",
            FLOOD,
            &format!("http://127.0.0.1:{http}/v1/traces"),
            "4",
            "4",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f: Vec<u64> = stdout
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let (ok, retry, other, spans_ok, body) = (f[0], f[1], f[2], f[3], f[4]);
    let peak_mib = ingot_testkit::status_kib(ingot.peer.pid(), "VmHWM") / 1024;
    println!("flood: {ok} accepted, {retry} told to retry, {other} other; body {body} bytes; peak resident {peak_mib} MiB");
    assert_eq!(other, 0);
    assert!(
        ok > 0 && retry > 0,
        "the flood was neither taken nor refused: {stdout}"
    );
    assert!(
        peak_mib <= 125,
        "peak resident {peak_mib} MiB above limit + spike (125 MiB)"
    );
    assert!(
        ingot
            .metric(
                "otelcol_processor_refused_spans_total",
                &["processor=\"memory_limiter/otelcol.processor.memory_limiter.m\""]
            )
            .unwrap_or(0.0)
            > 0.0
    );
    assert!(
        ingot.peer.log().contains("Refusing data"),
        "{}",
        ingot.peer.log()
    );

    // Everything a client was told was taken arrives once the endpoint is back.
    sink.restart();
    poll_until(
        "every accepted span delivered",
        Duration::from_secs(60),
        Duration::from_millis(200),
        &[&ingot.peer],
        || {
            let sent = ingot
                .metric("otelcol_exporter_sent_spans_total", &[])
                .unwrap_or(0.0) as u64;
            if sent >= spans_ok {
                Ok(())
            } else {
                Err(format!("{sent} of {spans_ok}"))
            }
        },
    );
    let delivered = sink
        .items()
        .iter()
        .filter(|i| i["signal"] == "traces")
        .count() as u64;
    assert!(
        delivered >= spans_ok,
        "{delivered} of {spans_ok} at the sink"
    );
}

#[test]
fn resourcedetection_and_attributes_change_what_reaches_the_sink() {
    let sink = OtlpSink::start();
    let (grpc, http) = (free_port(), free_port());
    let storage = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
otelcol.receiver.otlp "in" {{
  grpc {{ endpoint = "127.0.0.1:{grpc}" }}
  http {{ endpoint = "127.0.0.1:{http}" }}
  output {{
    traces = [otelcol.processor.resourcedetection.r.input]
    logs   = [otelcol.processor.resourcedetection.r.input]
  }}
}}
otelcol.processor.resourcedetection "r" {{
  detectors = ["env", "system"]
  override  = false
  system {{
    hostname_sources = ["os"]
    resource_attributes {{
      host.arch {{ enabled = true }}
    }}
  }}
  output {{
    traces = [otelcol.processor.attributes.a.input]
    logs   = [otelcol.processor.attributes.a.input]
  }}
}}
otelcol.processor.attributes "a" {{
  action {{
    key    = "i"
    action = "hash"
  }}
  action {{
    key    = "team"
    value  = "checkout"
    action = "insert"
  }}
  include {{
    match_type = "regexp"
    attribute {{
      key = "i"
    }}
  }}
  output {{
    traces = [otelcol.exporter.otlp.out.input]
    logs   = [otelcol.exporter.otlp.out.input]
  }}
}}
otelcol.exporter.otlp "out" {{
  client {{
    endpoint = "{}"
    tls {{ insecure = true }}
  }}
}}
"#,
        sink.grpc_endpoint()
    );
    let ingot = start_ingot_env(
        &config,
        storage.path(),
        &[(
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment=prod%20eu,service.name=from-env",
        )],
    );
    let sent = sdk_send(
        "http",
        &format!("http://127.0.0.1:{http}"),
        3,
        0,
        2,
        "rd",
        &[],
    );
    wait_delivered(
        &sink,
        &ingot,
        "traces",
        &set(sent.spans()),
        Duration::from_secs(20),
    );
    wait_delivered(
        &sink,
        &ingot,
        "logs",
        &set(sent.logs()),
        Duration::from_secs(20),
    );
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    for item in sink.items() {
        let r = &item["resource"];
        assert_eq!(r["deployment.environment"], "prod eu", "{item}");
        // override = false: the SDK's own service.name stays.
        assert_eq!(r["service.name"], "ingot-test-rd", "{item}");
        assert_eq!(r["host.name"], hostname.trim(), "{item}");
        assert_eq!(r["os.type"], "linux");
        assert!(r["host.arch"].is_string());
        if item["signal"] == "traces" {
            // Spans carry `i`: hashed (SHA-256 of the integer's 8 bytes) and `team` added.
            let i = item["attributes"]["i"].as_str().unwrap();
            assert_eq!(i.len(), 64, "{item}");
            assert_eq!(item["attributes"]["team"], "checkout");
        } else {
            // Log records have no `i`: include did not select them.
            assert!(item["attributes"].get("team").is_none(), "{item}");
        }
    }
    let hashes: BTreeSet<String> = sink
        .items()
        .iter()
        .filter_map(|i| i["attributes"]["i"].as_str().map(str::to_string))
        .collect();
    assert_eq!(hashes.len(), 3, "three values, three different hashes");
}

fn start_prometheus() -> (Peer, SocketAddr, tempfile::TempDir) {
    let bin = ingot_testkit::require_binary("prometheus", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("prometheus.yml"), "global: {}\n").unwrap();
    let at = addr(free_port());
    let mut cmd = Command::new(bin);
    cmd.arg(format!(
        "--config.file={}",
        dir.path().join("prometheus.yml").display()
    ))
    .arg(format!(
        "--storage.tsdb.path={}",
        dir.path().join("data").display()
    ))
    .arg(format!("--web.listen-address={at}"))
    .arg("--web.enable-remote-write-receiver");
    let mut peer = Peer::spawn("prometheus", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_ready(at, "/-/ready", Duration::from_secs(30));
    (peer, at, dir)
}

/// A series Prometheus returned: its labels and value.
type Series = (serde_json::Map<String, serde_json::Value>, f64);

/// Prometheus' instant query result as `(labels, value)`.
fn prom_query(prom: SocketAddr, q: &str) -> Result<Vec<Series>, String> {
    let (status, body) = http_get(
        prom,
        &format!("/api/v1/query?query={}", ingot_testkit::url_encode(q)),
    )
    .map_err(|e| format!("query: {e}"))?;
    let v: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("HTTP {status}: {e}: {body}"))?;
    let result = v["data"]["result"]
        .as_array()
        .ok_or_else(|| format!("HTTP {status}: {body}"))?;
    Ok(result
        .iter()
        .map(|r| {
            (
                r["metric"].as_object().cloned().unwrap_or_default(),
                r["value"][1]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(f64::NAN),
            )
        })
        .collect())
}

#[test]
fn prometheus_reads_back_what_otelcol_exporter_prometheus_sends_through_remote_write() {
    let (prom_peer, prom, _prom_dir) = start_prometheus();
    let (grpc, http) = (free_port(), free_port());
    let storage = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
otelcol.receiver.otlp "in" {{
  grpc {{ endpoint = "127.0.0.1:{grpc}" }}
  http {{ endpoint = "127.0.0.1:{http}" }}
  output {{ metrics = [otelcol.processor.batch.b.input] }}
}}
otelcol.processor.batch "b" {{
  timeout = "100ms"
  output {{ metrics = [otelcol.exporter.prometheus.p.input] }}
}}
otelcol.exporter.prometheus "p" {{
  forward_to = [prometheus.remote_write.rw.receiver]
}}
prometheus.remote_write "rw" {{
  endpoint {{
    url = "http://{prom}/api/v1/write"
    queue_config {{ batch_send_deadline = "100ms" }}
  }}
}}
"#
    );
    let ingot = start_ingot(&config, storage.path());
    let sent = sdk_send("grpc", &format!("127.0.0.1:{grpc}"), 0, 3, 0, "prom", &[]);
    assert!(sent.results("metrics").iter().all(|r| r == "SUCCESS"));

    // The counter (unit "1", monotonic) becomes prom_requests_total; the up-down counter (unit By,
    // cumulative, not monotonic) the gauge prom_queue_bytes; the histogram (unit s) prom_latency_seconds.
    let want = |q: &str, n: usize| {
        poll_until(
            &format!("{q} in Prometheus"),
            Duration::from_secs(30),
            Duration::from_millis(250),
            &[&ingot.peer, &prom_peer],
            || {
                let r = prom_query(prom, q)?;
                if r.len() == n {
                    Ok(r)
                } else {
                    Err(format!("{} series: {r:?}", r.len()))
                }
            },
        )
        .0
    };
    let counters = want("prom_requests_total", 3);
    for (labels, value) in &counters {
        let route = labels["route"].as_str().unwrap();
        let i: f64 = route.trim_start_matches("/r").parse().unwrap();
        assert_eq!(*value, i + 1.0, "{labels:?}");
        assert_eq!(
            labels["job"], "ingot-test-prom",
            "job is service.name: {labels:?}"
        );
        assert!(
            !labels.contains_key("instance") || labels["instance"] != "",
            "{labels:?}"
        );
        assert!(
            !labels.contains_key("otel_scope_name"),
            "as Alloy 1.18: no scope labels: {labels:?}"
        );
    }
    for (labels, value) in want("prom_queue_bytes", 3) {
        let i: f64 = labels["route"]
            .as_str()
            .unwrap()
            .trim_start_matches("/r")
            .parse()
            .unwrap();
        assert_eq!(value, 1000.0 * (i + 1.0), "{labels:?}");
    }
    for (labels, value) in want("prom_latency_seconds_count", 3) {
        assert_eq!(value, 1.0, "{labels:?}");
    }
    for (labels, value) in want("prom_latency_seconds_sum", 3) {
        let i: f64 = labels["route"]
            .as_str()
            .unwrap()
            .trim_start_matches("/r")
            .parse()
            .unwrap();
        assert_eq!(value, 0.25 * (i + 1.0), "{labels:?}");
    }
    // Cumulative buckets over the SDK's default bounds (0, 5, 10, ... 10000): 0.25 counts from le="5" on.
    let buckets = want(r#"prom_latency_seconds_bucket{route="/r0"}"#, 16);
    let le = |b: &str| buckets.iter().find(|(l, _)| l["le"] == b).map(|(_, v)| *v);
    assert_eq!(
        (le("0"), le("5"), le("10000"), le("+Inf")),
        (Some(0.0), Some(1.0), Some(1.0), Some(1.0))
    );
    // target_info carries the other resource attributes, with Prometheus label names.
    let info = want(r#"target_info{job="ingot-test-prom"}"#, 1);
    assert_eq!(info[0].0["test_tag"], "prom");
    assert_eq!(info[0].0["telemetry_sdk_language"], "python");
    assert!(!info[0].0.contains_key("service_name"));
}

/// The pipeline of Alloy's "OpenTelemetry to LGTM stack" guide as a user writes it (receiver on 4317 and
/// 4318, batch, traces over OTLP/HTTP with basic auth, metrics through otelcol.exporter.prometheus to
/// prometheus.remote_write, logs through otelcol.exporter.loki to loki.write); `{..}` placeholders are the
/// only changes the running test makes: loopback ports and URLs.
const LGTM: &str = r#"
otelcol.receiver.otlp "example" {
  grpc {
    endpoint = "{GRPC}"
  }

  http {
    endpoint = "{HTTP}"
  }

  output {
    metrics = [otelcol.processor.batch.example.input]
    logs    = [otelcol.processor.batch.example.input]
    traces  = [otelcol.processor.batch.example.input]
  }
}

otelcol.processor.batch "example" {
  output {
    metrics = [otelcol.exporter.prometheus.grafana_cloud_metrics.input]
    logs    = [otelcol.exporter.loki.grafana_cloud_logs.input]
    traces  = [otelcol.exporter.otlphttp.grafana_cloud_traces.input]
  }
}

otelcol.exporter.otlphttp "grafana_cloud_traces" {
  client {
    endpoint = "{TRACES}"
    auth     = otelcol.auth.basic.grafana_cloud_traces.handler
  }
}

otelcol.auth.basic "grafana_cloud_traces" {
  username = "4094"
  password = sys.env("GRAFANA_CLOUD_API_KEY")
}

otelcol.exporter.prometheus "grafana_cloud_metrics" {
  forward_to = [prometheus.remote_write.grafana_cloud_metrics.receiver]
}

prometheus.remote_write "grafana_cloud_metrics" {
  endpoint {
    url = "{METRICS}"

    basic_auth {
      username = "12690"
      password = sys.env("GRAFANA_CLOUD_API_KEY")
    }
  }
}

otelcol.exporter.loki "grafana_cloud_logs" {
  forward_to = [loki.write.grafana_cloud_logs.receiver]
}

loki.write "grafana_cloud_logs" {
  endpoint {
    url = "{LOGS}"

    basic_auth {
      username = "5252"
      password = sys.env("GRAFANA_CLOUD_API_KEY")
    }
  }
}
"#;

fn lgtm(grpc: &str, http: &str, traces: &str, metrics: &str, logs: &str) -> String {
    LGTM.replace("{GRPC}", grpc)
        .replace("{HTTP}", http)
        .replace("{TRACES}", traces)
        .replace("{METRICS}", metrics)
        .replace("{LOGS}", logs)
}

#[test]
fn the_lgtm_guide_validates_as_written_and_runs_against_tempo_prometheus_and_loki_stand_ins() {
    // As written in the guide: Grafana Cloud URLs, the default OTLP ports.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lgtm.alloy");
    std::fs::write(
        &path,
        lgtm(
            "127.0.0.1:4317",
            "127.0.0.1:4318",
            "https://tempo-us-central1.grafana.net:443",
            "https://prometheus-us-central1.grafana.net/api/prom/push",
            "https://logs-prod-us-central1.grafana.net/loki/api/v1/push",
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("validate")
        .arg(&path)
        .env("GRAFANA_CLOUD_API_KEY", "k")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Running, with stand-ins: the OTLP sink for Tempo, Debian's Prometheus, the Python Loki sink.
    let sink = OtlpSink::start();
    let loki = ingot_testkit::loki_sink::LokiSink::start();
    let (prom_peer, prom, _prom_dir) = start_prometheus();
    let (grpc, http) = (free_port(), free_port());
    let storage = tempfile::tempdir().unwrap();
    let config = lgtm(
        &format!("127.0.0.1:{grpc}"),
        &format!("127.0.0.1:{http}"),
        &sink.http_url(),
        &format!("http://{prom}/api/v1/write"),
        &loki.url(),
    );
    let ingot = start_ingot_env(
        &config,
        storage.path(),
        &[("GRAFANA_CLOUD_API_KEY", "s3cret")],
    );
    let sent = sdk_send("grpc", &format!("127.0.0.1:{grpc}"), 50, 2, 10, "lgtm", &[]);

    wait_delivered(
        &sink,
        &ingot,
        "traces",
        &set(sent.spans()),
        Duration::from_secs(30),
    );
    let auth = sink
        .requests()
        .iter()
        .find_map(|r| r["headers"]["authorization"].as_str().map(str::to_string))
        .unwrap_or_default();
    use base64::Engine;
    assert_eq!(
        auth,
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("4094:s3cret")
        )
    );

    poll_until(
        "the logs in Loki",
        Duration::from_secs(30),
        Duration::from_millis(200),
        &[&ingot.peer],
        || {
            let n = loki.entries().len();
            if n >= 10 {
                Ok(())
            } else {
                Err(format!("{n} of 10\n{}", loki.log()))
            }
        },
    );
    for e in loki.entries() {
        assert!(
            e.labels.contains(r#"exporter="OTLP""#)
                && e.labels.contains(r#"job="ingot-test-lgtm""#)
                && e.labels.contains(r#"level="WARN""#),
            "{}",
            e.labels
        );
        let line: serde_json::Value = serde_json::from_str(&e.line).unwrap();
        assert!(
            line["body"].as_str().unwrap().starts_with("lgtm log line"),
            "{}",
            e.line
        );
        assert_eq!(line["resources"]["test.tag"], "lgtm");
    }
    let bodies: BTreeSet<String> = loki
        .entries()
        .iter()
        .map(|e| {
            serde_json::from_str::<serde_json::Value>(&e.line).unwrap()["body"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(bodies, set(sent.logs()));

    poll_until(
        "the metrics in Prometheus",
        Duration::from_secs(30),
        Duration::from_millis(250),
        &[&ingot.peer, &prom_peer],
        || {
            let r = prom_query(prom, r#"lgtm_requests_total{job="ingot-test-lgtm"}"#)?;
            if r.len() == 2 {
                Ok(())
            } else {
                Err(format!("{r:?}"))
            }
        },
    );
    // The credentials never reach the log or the API.
    assert!(!ingot.peer.log().contains("s3cret"));
    let (_, body) = http_get(
        addr(ingot.api),
        "/api/v0/web/components/otelcol.auth.basic.grafana_cloud_traces",
    )
    .unwrap();
    assert!(!body.contains("s3cret"), "{body}");
}

#[test]
fn otelcol_receiver_prometheus_turns_scraped_samples_into_otlp_metrics() {
    let sink = OtlpSink::start();
    let storage = tempfile::tempdir().unwrap();
    // The scrape target is the API server of the ingot under test itself: its port is known only once
    // it runs, so the config names a fixed free port for the API.
    let api = free_port();
    let config = format!(
        r#"
prometheus.scrape "self" {{
  targets         = [{{"__address__" = "127.0.0.1:{api}", "job" = "self"}}]
  scrape_interval = "1s"
  scrape_timeout  = "1s"
  forward_to      = [otelcol.receiver.prometheus.p.receiver]
}}
otelcol.receiver.prometheus "p" {{
  output {{ metrics = [otelcol.exporter.otlp.out.input] }}
}}
otelcol.exporter.otlp "out" {{
  client {{
    endpoint = "{}"
    tls {{ insecure = true }}
  }}
}}
"#,
        sink.grpc_endpoint()
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.alloy"), &config).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(dir.path().join("config.alloy"))
        .arg(format!("--server.http.listen-addr=127.0.0.1:{api}"))
        .arg(format!("--storage.path={}", storage.path().display()));
    let mut peer = Peer::spawn("ingot", cmd, dir);
    peer.wait_for_ready(addr(api), "/-/ready", Duration::from_secs(20));
    let (up, _) = poll_until(
        "`up` at the sink",
        Duration::from_secs(20),
        Duration::from_millis(200),
        &[&peer],
        || {
            sink.items()
                .into_iter()
                .find(|i| i["signal"] == "metrics" && i["name"] == "up")
                .ok_or_else(|| format!("{} items", sink.items().len()))
        },
    );
    assert_eq!(up["value"], 1.0);
    assert_eq!(up["kind"], "gauge");
    assert_eq!(up["resource"]["service.name"], "self");
    assert_eq!(
        up["resource"]["service.instance.id"],
        format!("127.0.0.1:{api}")
    );
    assert_eq!(up["scope"], "otelcol/prometheusreceiver");
    assert!(up["attributes"].as_object().unwrap().is_empty(), "{up}");
}

/// An OpenMetrics exposition with a family of each type, served by Python's http.server.
const TYPED_EXPOSITION: &str = "\
# TYPE shop_orders counter
# HELP shop_orders Orders placed.
shop_orders_total{shop=\"a\"} 17
# TYPE shop_latency_seconds histogram
# UNIT shop_latency_seconds seconds
# HELP shop_latency_seconds Time to answer.
shop_latency_seconds_bucket{le=\"0.1\"} 3
shop_latency_seconds_bucket{le=\"1.0\"} 5
shop_latency_seconds_bucket{le=\"+Inf\"} 6
shop_latency_seconds_sum 2.5
shop_latency_seconds_count 6
# TYPE shop_payload_bytes summary
# UNIT shop_payload_bytes bytes
shop_payload_bytes{quantile=\"0.5\"} 100
shop_payload_bytes_sum 1000
shop_payload_bytes_count 8
# TYPE shop_queue_length gauge
shop_queue_length 4
# TYPE shop_mystery unknown
shop_mystery 9
# EOF
";

const EXPOSITION_SERVER: &str = r#"
import http.server, sys
body = open(sys.argv[2], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"#;

#[test]
fn scraped_families_keep_their_types_help_and_units_through_relabel_and_the_receiver() {
    let sink = OtlpSink::start();
    let (prom, prom_at, _prom_dir) = start_prometheus();
    let target = free_port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("server.py"), EXPOSITION_SERVER).unwrap();
    std::fs::write(dir.path().join("metrics.txt"), TYPED_EXPOSITION).unwrap();
    let mut cmd = Command::new(ingot_testkit::require_binary("python3", "python3"));
    cmd.arg(dir.path().join("server.py"))
        .arg(target.to_string())
        .arg(dir.path().join("metrics.txt"));
    let mut server = Peer::spawn("exposition", cmd, dir);
    server.wait_for_ready(addr(target), "/metrics", Duration::from_secs(20));
    let storage = tempfile::tempdir().unwrap();
    // The scrape also feeds prometheus.remote_write, which must not start sending metadata: Alloy's
    // scrape appends it only with `honor_metadata`.
    let config = format!(
        r#"
prometheus.scrape "shop" {{
  targets         = [{{"__address__" = "127.0.0.1:{target}", "job" = "shop"}}]
  scrape_interval = "500ms"
  scrape_timeout  = "400ms"
  forward_to      = [prometheus.relabel.via.receiver, prometheus.remote_write.prom.receiver]
}}
prometheus.relabel "via" {{
  rule {{
    target_label = "via"
    replacement  = "relabel"
  }}
  forward_to = [otelcol.receiver.prometheus.p.receiver]
}}
otelcol.receiver.prometheus "p" {{
  output {{ metrics = [otelcol.exporter.otlp.out.input] }}
}}
otelcol.exporter.otlp "out" {{
  client {{
    endpoint = "{}"
    tls {{ insecure = true }}
  }}
}}
prometheus.remote_write "prom" {{
  endpoint {{
    url = "http://{prom_at}/api/v1/write"
    metadata_config {{ send_interval = "200ms" }}
    queue_config {{ batch_send_deadline = "200ms" }}
  }}
}}
"#,
        sink.grpc_endpoint()
    );
    let ingot = start_ingot(&config, storage.path());
    let want = [
        ("shop_orders_total", "sum", ""),
        ("shop_latency_seconds", "histogram", "s"),
        ("shop_payload_bytes", "summary", "By"),
        ("shop_queue_length", "gauge", ""),
        ("shop_mystery", "gauge", ""),
    ];
    let (got, _) = poll_until(
        "the five families at the sink",
        Duration::from_secs(20),
        Duration::from_millis(200),
        &[&ingot.peer, &server, &prom],
        || {
            let items = sink.items();
            want.iter()
                .map(|(name, _, _)| {
                    items
                        .iter()
                        .find(|i| i["signal"] == "metrics" && i["name"] == *name)
                        .cloned()
                        .ok_or_else(|| format!("no {name} in {} items", items.len()))
                })
                .collect::<Result<Vec<_>, _>>()
        },
    );
    for ((name, kind, unit), item) in want.iter().zip(&got) {
        assert_eq!(item["kind"], *kind, "{name}: {item}");
        assert_eq!(item["unit"], *unit, "{name}: {item}");
        assert_eq!(item["attributes"]["via"], "relabel", "{name}: {item}");
        assert_eq!(item["resource"]["service.name"], "shop", "{name}: {item}");
    }
    let (orders, latency, payload) = (&got[0], &got[1], &got[2]);
    // A cumulative monotonic sum (AGGREGATION_TEMPORALITY_CUMULATIVE is 2).
    assert_eq!(orders["monotonic"], true, "{orders}");
    assert_eq!(orders["temporality"], 2, "{orders}");
    assert_eq!(orders["value"], 17.0, "{orders}");
    assert_eq!(orders["description"], "Orders placed.", "{orders}");
    assert_eq!(latency["temporality"], 2, "{latency}");
    assert_eq!(latency["value"]["count"], 6, "{latency}");
    assert_eq!(latency["value"]["sum"], 2.5, "{latency}");
    assert_eq!(latency["description"], "Time to answer.", "{latency}");
    assert_eq!(payload["value"]["count"], 8, "{payload}");
    assert_eq!(got[3]["value"], 4.0);
    assert_eq!(got[4]["value"], 9.0);
    // remote_write sent the samples and, as before, no metadata.
    poll_until(
        "remote_write samples sent",
        Duration::from_secs(20),
        Duration::from_millis(200),
        &[&ingot.peer, &prom],
        || match ingot.metric("prometheus_remote_storage_samples_total", &[]) {
            Some(n) if n > 0.0 => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    // Several metadata send intervals have passed since the first scrape.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        ingot.metric("prometheus_remote_storage_metadata_total", &[]),
        Some(0.0)
    );
}

#[test]
fn otlp_json_from_the_js_sdk_in_and_otlphttp_json_out() {
    let sink = OtlpSink::start();
    let (grpc, http) = (free_port(), free_port());
    let storage = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
otelcol.receiver.otlp "in" {{
  grpc {{ endpoint = "127.0.0.1:{grpc}" }}
  http {{ endpoint = "127.0.0.1:{http}" }}
  output {{
    traces = [otelcol.exporter.otlphttp.json.input]
    logs   = [otelcol.exporter.otlphttp.json.input]
  }}
}}
otelcol.exporter.otlphttp "json" {{
  client {{ endpoint = "{}" }}
  encoding = "json"
}}
"#,
        sink.http_url()
    );
    let ingot = start_ingot(&config, storage.path());
    let sent = ingot_testkit::otlp_sink::js_send(&format!("http://127.0.0.1:{http}"), 20, 5, "js");
    assert!(
        sent.results("traces")
            .iter()
            .chain(sent.results("logs").iter())
            .all(|r| r == "0"),
        "{:?}",
        sent.doc
    );
    wait_delivered(
        &sink,
        &ingot,
        "traces",
        &set(sent.spans()),
        Duration::from_secs(20),
    );
    wait_delivered(
        &sink,
        &ingot,
        "logs",
        &set(sent.logs()),
        Duration::from_secs(20),
    );
    // What the JS SDK set survives JSON in and JSON out: names, attributes, severity, resource, scope.
    for item in sink.items() {
        assert_eq!(item["resource"]["service.name"], "ingot-test-js", "{item}");
        assert_eq!(item["scope"], "ingot.js");
        if item["signal"] == "traces" {
            let i = item["attributes"]["i"].as_i64().unwrap();
            assert_eq!(item["name"], format!("js-js-span-{i}"));
        } else {
            assert_eq!(item["severity"], 13);
            assert!(item["attributes"]["line"].is_i64(), "{item}");
        }
    }
    assert!(sink
        .requests()
        .iter()
        .all(|r| r["content_type"] == "application/json" && r["status"] == 200));
    assert_eq!(
        ingot.metric(
            "otelcol_receiver_accepted_spans_total",
            &["transport=\"http\""]
        ),
        Some(20.0)
    );
}
