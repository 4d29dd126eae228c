//! `loki.source.api` on a loopback port: protobuf and JSON pushes labelled, relabelled and given the
//! tenant as Alloy does, and a push answered only once its receivers took it (503 when they stay full).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ingot_common::receiver::LogsReceiver;
use ingot_common::relabel::Rules;
use ingot_logs::{AppendError, Entry, LogsAppender};
use ingot_loki::push::{encode_push_request, StreamRef};
use ingot_loki::source::api::{Arguments, Component};
use ingot_prom::labels::Labels;
use ingot_prom::relabel::{Action, Regex, Rule, RuleConfig};
use ingot_runtime::component::{ComponentType, Context, MemoryHttp};
use ingot_runtime::exports::ExportsPublisher;
use ingot_runtime::health::HealthReporter;
use ingot_syntax::decode::decode_body;
use ingot_syntax::eval::{Evaluator, Scope};
use ingot_syntax::parser::parse_file;
use ingot_syntax::source::SourceFile;
use ingot_syntax::value::Value;
use ingot_testkit::free_port;
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
                retry_after: Duration::from_millis(20),
                reason: "full for the test".into(),
            });
        }
        self.got.lock().unwrap().extend_from_slice(entries);
        Ok(())
    }
}

struct Running {
    ctx: Context,
    _component: Arc<Component>,
    addr: SocketAddr,
    sink: Arc<Sink>,
}

fn start(extra: &str) -> Running {
    let port = free_port();
    let text = format!(
        r#"
http {{
  listen_address       = "127.0.0.1"
  listen_port          = {port}
  server_write_timeout = "2s"
}}
forward_to = [sink.receiver]
labels     = {{ source = "api", drop_me = "" }}
{extra}
"#
    );
    let sink = Arc::new(Sink::default());
    let (file, diags) = parse_file(SourceFile::new("test.alloy", &text));
    assert!(!diags.has_errors(), "{diags}");
    let mut scope = Scope::new();
    let r = ingot_logs::LogsReceiver::new("sink", sink.clone());
    scope.insert(
        "sink",
        Value::object([("receiver", Value::from(LogsReceiver(r)))]),
    );
    let rule = Rule::new(RuleConfig {
        source_labels: Some(vec!["app".into()]),
        regex: Regex::new("(.*)").unwrap(),
        target_label: "service".into(),
        action: Action::Replace,
        ..RuleConfig::default()
    })
    .unwrap();
    scope.insert("rules", Value::from(Rules(Arc::new(vec![rule]))));
    let mut ev = Evaluator::new(&file.source, &scope);
    let args: Arguments = decode_body(&file.body, &mut ev).unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let id = "loki.source.api.test";
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
    let component = Arc::new(Component::build(ctx.clone(), args).unwrap());
    component.start();
    Running {
        ctx,
        _component: component,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        sink,
    }
}

fn post(to: SocketAddr, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
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
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn protobuf(streams: &[(&str, Vec<Entry>)]) -> Vec<u8> {
    let refs: Vec<StreamRef<'_>> = streams
        .iter()
        .map(|(l, es)| StreamRef {
            labels: l,
            entries: es.iter().collect(),
        })
        .collect();
    let mut raw = Vec::new();
    encode_push_request(&refs, &mut raw);
    snap::raw::Encoder::new().compress_vec(&raw).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn protobuf_pushes_are_labelled_relabelled_and_given_their_tenant() {
    let rt = runtime();
    let _g = rt.enter();
    let api = start("relabel_rules = rules");
    let e = |ts: i64, line: &str| Entry::new(Labels::empty(), ts, line);
    let body = protobuf(&[
        (
            r#"{app="web", __hidden="x", drop_me="y"}"#,
            vec![e(5, "one"), e(6, "two")],
        ),
        ("{not valid", vec![e(7, "lost")]),
    ]);
    let before = ingot_logs::entry::now_ns();
    let (status, text) = post(
        api.addr,
        "/loki/api/v1/push",
        &[
            ("Content-Type", "application/x-protobuf"),
            ("X-Scope-OrgID", "team-x"),
        ],
        &body,
    );
    // The good stream is forwarded; the bad one is named in a 400, as Alloy answers.
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("parse error"), "{text}");
    let got = api.sink.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].labels.to_string(),
        r#"{__tenant_id__="team-x", app="web", service="web", source="api"}"#
    );
    // Without use_incoming_timestamp the entries are stamped on arrival.
    assert!(got[0].timestamp_ns >= before);
    assert_eq!(got[1].line, "two");
    api.ctx.shutdown.cancel();
}

#[test]
fn incoming_timestamps_are_kept_when_asked_and_json_is_read() {
    let rt = runtime();
    let _g = rt.enter();
    let api = start("use_incoming_timestamp = true");
    let body = br#"{"streams":[{"stream":{"app":"a"},"values":[["1700000000000000123","hello",{"trace_id":"t1"}]]}]}"#;
    let (status, text) = post(
        api.addr,
        "/api/v1/push",
        &[("Content-Type", "application/json")],
        body,
    );
    assert_eq!(status, 204, "{text}");
    let got = api.sink.got.lock().unwrap().clone();
    assert_eq!(got[0].timestamp_ns, 1_700_000_000_000_000_123);
    assert_eq!(
        got[0].structured_metadata,
        vec![("trace_id".to_string(), "t1".to_string())]
    );
    assert_eq!(got[0].labels.to_string(), r#"{app="a", source="api"}"#);
    api.ctx.shutdown.cancel();
}

#[test]
fn a_push_waits_for_room_and_is_answered_503_when_none_comes() {
    let rt = runtime();
    let _g = rt.enter();
    let api = start("");
    api.sink.full.store(true, Ordering::SeqCst);
    // Full for 300 ms: the push waits, then succeeds.
    let sink = api.sink.clone();
    let freer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        sink.full.store(false, Ordering::SeqCst);
    });
    let started = Instant::now();
    let (status, text) = post(api.addr, "/loki/api/v1/raw", &[], b"a\nb\n");
    assert_eq!(status, 204, "{text}");
    assert!(started.elapsed() >= Duration::from_millis(250));
    freer.join().unwrap();
    assert_eq!(api.sink.got.lock().unwrap().len(), 2);
    // Full for longer than the write timeout allows: 503 with Retry-After, nothing taken.
    api.sink.full.store(true, Ordering::SeqCst);
    let (status, text) = post(api.addr, "/loki/api/v1/raw", &[], b"c\n");
    assert_eq!(status, 503, "{text}");
    assert!(
        text.to_ascii_lowercase().contains("retry-after: 1"),
        "{text}"
    );
    assert_eq!(api.sink.got.lock().unwrap().len(), 2);
    api.ctx.shutdown.cancel();
}
