//! The binary with Loki's push path end to end, against real peers on loopback:
//!
//! - a real Loki client nobody here wrote (PyPI's `python-logging-loki`, JSON pushes) into ingot A's
//!   `loki.source.api` → `loki.relabel` → `loki.write`, which pushes (protobuf + snappy) into ingot B's
//!   `loki.source.api` → `loki.write` → the independent Python Loki sink;
//! - SIGKILL of the binary while the sink refuses: every line a client was answered 204 for arrives after
//!   the restart;
//! - request size limits (413 naming the limit) and `/ready`.
//!
//! Every wait is bounded.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ingot_testkit::loki_sink::LokiSink;
use ingot_testkit::{free_port, http_get, require_binary, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn start_ingot(name: &str, config: &str, storage: &Path, api: u16) -> Peer {
    start_ingot_on(name, config, storage, api, free_port())
}

/// As [`start_ingot`], with ingot's own HTTP server (`/metrics`) on `server`.
fn start_ingot_on(name: &str, config: &str, storage: &Path, api: u16, server: u16) -> Peer {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.alloy");
    std::fs::write(&path, config).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(&path)
        .arg(format!("--server.http.listen-addr=127.0.0.1:{server}"))
        .arg(format!("--storage.path={}", storage.display()));
    let mut peer = Peer::spawn(name, cmd, dir);
    peer.wait_for_ready(addr(api), "/ready", Duration::from_secs(20));
    peer
}

/// A POST with headers over a plain socket; the status and body.
fn post(to: SocketAddr, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect_timeout(&to, Duration::from_secs(5)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
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
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

fn wait_until(what: &str, timeout: Duration, peers: &[&Peer], mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let logs: Vec<String> = peers
        .iter()
        .map(|p| format!("--- {} ---\n{}", p.name, p.log()))
        .collect();
    panic!(
        "timed out after {timeout:?} waiting for {what}\n{}",
        logs.join("\n")
    );
}

/// `python3` with PyPI's python-logging-loki, or a panic that says how to install it.
fn python_with_logging_loki() -> std::path::PathBuf {
    let python = require_binary("python3", "python3");
    let ok = Command::new(&python)
        .args(["-c", "import logging_loki"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "python-logging-loki (a real Loki client) is missing: install it with `python3 -m pip install python-logging-loki` (or run ./scripts/test)"
    );
    python
}

const CLIENT: &str = r#"
import logging, sys
import logging_loki

url, n = sys.argv[1], int(sys.argv[2])
handler = logging_loki.LokiHandler(url=url, tags={"application": "py-client"}, version="1")
failures = []
handler.handleError = lambda record: failures.append(record.getMessage())
log = logging.getLogger("e2e")
log.setLevel(logging.INFO)
log.addHandler(handler)
for i in range(n):
    log.info("line %d", i, extra={"tags": {"parity": "even" if i % 2 == 0 else "odd"}})
if failures:
    print("failed to send:", failures[:5], file=sys.stderr)
    sys.exit(1)
print("sent", n)
"#;

#[test]
fn a_real_loki_client_through_two_ingots_to_the_sink() {
    let python = python_with_logging_loki();
    let sink = LokiSink::start();
    let (port_a, port_b, server_b) = (free_port(), free_port(), free_port());
    let storage = tempfile::tempdir().unwrap();
    let b = start_ingot_on(
        "ingot-b",
        &format!(
            r#"
loki.source.api "in" {{
  http {{
    listen_address = "127.0.0.1"
    listen_port    = {port_b}
  }}
  labels     = {{ hop = "b" }}
  forward_to = [loki.write.out.receiver]
}}

loki.write "out" {{
  endpoint {{
    url        = "{}"
    batch_wait = "100ms"
  }}
}}
"#,
            sink.url()
        ),
        &storage.path().join("b"),
        port_b,
        server_b,
    );
    let a = start_ingot(
        "ingot-a",
        &format!(
            r#"
loki.source.api "in" {{
  http {{
    listen_address = "127.0.0.1"
    listen_port    = {port_a}
  }}
  use_incoming_timestamp = true
  forward_to             = [loki.relabel.r.receiver]
}}

loki.relabel "r" {{
  forward_to = [loki.write.out.receiver]
  rule {{
    source_labels = ["logger"]
    target_label  = "source_logger"
  }}
  rule {{
    source_labels = ["severity"]
    regex         = "debug"
    action        = "drop"
  }}
}}

loki.write "out" {{
  endpoint {{
    url        = "http://127.0.0.1:{port_b}/loki/api/v1/push"
    tenant_id  = "tenant-a"
    batch_wait = "100ms"
  }}
  external_labels = {{ agent = "a" }}
}}
"#
        ),
        &storage.path().join("a"),
        port_a,
    );
    const N: usize = 200;
    let out = Command::new(&python)
        .arg("-c")
        .arg(CLIENT)
        .arg(format!("http://127.0.0.1:{port_a}/loki/api/v1/push"))
        .arg(N.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the client failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        a.log()
    );
    wait_until(
        "every line at the sink",
        Duration::from_secs(30),
        &[&a, &b],
        || sink.entries().len() >= N,
    );
    std::thread::sleep(Duration::from_millis(300));
    let got = sink.entries();
    let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
    for r in &got {
        let i: usize = r.line.strip_prefix("line ").unwrap().parse().unwrap();
        *seen.entry(i).or_default() += 1;
        // The tenant ingot A's loki.write named travelled as X-Scope-OrgID into B, and on to the sink.
        assert_eq!(r.tenant, "tenant-a", "{r:?}");
        let parity = if i.is_multiple_of(2) { "even" } else { "odd" };
        assert_eq!(
            r.labels,
            format!(
                r#"{{agent="a", application="py-client", hop="b", logger="e2e", parity="{parity}", severity="info", source_logger="e2e"}}"#
            )
        );
    }
    assert_eq!(seen.len(), N, "lines missing");
    assert!(seen.values().all(|&n| n == 1), "lines doubled: {seen:?}");
    // B's loki.source.api counted what it forwarded, on ingot's /metrics as Alloy names it.
    let (_, metrics) = http_get(addr(server_b), "/metrics").unwrap();
    let written = metrics
        .lines()
        .find(|l| l.starts_with("loki_source_api_entries_written{"))
        .unwrap_or_else(|| panic!("{metrics}"));
    assert!(written.ends_with(&format!(" {N}")), "{written}");
    let (_, ready) = http_get(addr(port_b), "/ready").unwrap();
    assert_eq!(ready, "ready");
    for p in [&a, &b] {
        assert!(!p.log().contains("panicked"), "{}", p.log());
    }
}

#[test]
fn sigkill_with_entries_pending_loses_nothing_a_client_was_told_was_taken() {
    let mut sink = LokiSink::start();
    sink.answer(503, None, None, "refusing for the test");
    let port = free_port();
    let storage = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
loki.source.api "in" {{
  http {{
    listen_address = "127.0.0.1"
    listen_port    = {port}
  }}
  labels     = {{ job = "kill" }}
  forward_to = [loki.write.out.receiver]
}}

loki.write "out" {{
  endpoint {{
    url                = "{}"
    batch_wait         = "50ms"
    min_backoff_period = "50ms"
    max_backoff_period = "200ms"
  }}
}}
"#,
        sink.url()
    );
    let mut ingot = start_ingot("ingot", &config, storage.path(), port);
    // 300 lines in 30 requests, each answered 204: stored, not yet delivered.
    for r in 0..30 {
        let body: String = (0..10).map(|i| format!("line {}\n", r * 10 + i)).collect();
        let (status, text) = post(addr(port), "/loki/api/v1/raw", &[], body.as_bytes());
        assert_eq!(status, 204, "{text}\n{}", ingot.log());
    }
    wait_until("refused pushes", Duration::from_secs(20), &[&ingot], || {
        sink.requests()
            .iter()
            .filter(|r| r["status"] == 503)
            .count()
            >= 3
    });
    assert!(sink.entries().is_empty());
    ingot.signal(9);
    let status = ingot
        .wait_exit(Duration::from_secs(10))
        .expect("ingot exits on SIGKILL");
    assert!(!status.success());
    // The sink accepts again; a fresh process on the same storage sends what the WAL holds.
    sink.restart();
    let ingot = start_ingot("ingot-restarted", &config, storage.path(), port);
    wait_until("all 300 lines", Duration::from_secs(30), &[&ingot], || {
        sink.entries().len() >= 300
    });
    std::thread::sleep(Duration::from_millis(500));
    let mut lines: Vec<usize> = sink
        .entries()
        .iter()
        .map(|r| r.line.strip_prefix("line ").unwrap().parse().unwrap())
        .collect();
    lines.sort();
    assert_eq!(lines, (0..300).collect::<Vec<_>>(), "lost or doubled lines");
    assert!(sink.entries().iter().all(|r| r.labels == r#"{job="kill"}"#));
}

#[test]
fn requests_past_max_send_message_size_are_413_naming_the_limit() {
    let sink = LokiSink::start();
    let port = free_port();
    let storage = tempfile::tempdir().unwrap();
    let ingot = start_ingot(
        "ingot",
        &format!(
            r#"
loki.source.api "in" {{
  http {{
    listen_address = "127.0.0.1"
    listen_port    = {port}
  }}
  max_send_message_size = "1KiB"
  forward_to            = [loki.write.out.receiver]
}}

loki.write "out" {{
  endpoint {{
    url = "{}"
  }}
}}
"#,
            sink.url()
        ),
        storage.path(),
        port,
    );
    let big = vec![b'x'; 2000];
    let (status, text) = post(addr(port), "/loki/api/v1/raw", &[], &big);
    assert_eq!(status, 413, "{text}");
    assert!(
        text.contains("message size too large than max (2000 vs 1024)"),
        "{text}"
    );
    let (status, text) = post(
        addr(port),
        "/loki/api/v1/push",
        &[("Content-Type", "application/json")],
        &big,
    );
    assert_eq!(status, 413, "{text}");
    // A stream whose labels do not parse is a 400 with the parser's words.
    let (status, text) = post(
        addr(port),
        "/loki/api/v1/push",
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "br"),
        ],
        b"{}",
    );
    assert_eq!(
        (status, text.trim()),
        (400, "Content-Encoding \"br\" not supported")
    );
    let (status, _) = http_get(addr(port), "/loki/api/v1/push").unwrap();
    assert_eq!(status, 405);
    assert!(!ingot.log().contains("panicked"));
}

#[test]
fn the_agents_own_log_lines_reach_write_to_and_loki_echo_logs_what_it_receives() {
    let sink = LokiSink::start();
    let port = free_port();
    let storage = tempfile::tempdir().unwrap();
    let ingot = start_ingot(
        "ingot",
        &format!(
            r#"
logging {{
  level    = "info"
  write_to = [loki.write.out.receiver]
}}

loki.source.api "in" {{
  http {{
    listen_address = "127.0.0.1"
    listen_port    = {port}
  }}
  labels     = {{ job = "echoed" }}
  forward_to = [loki.echo.e.receiver]
}}

loki.echo "e" {{ }}

loki.write "out" {{
  endpoint {{
    url        = "{}"
    batch_wait = "100ms"
  }}
}}
"#,
            sink.url()
        ),
        storage.path(),
        port,
    );
    let (status, text) = post(addr(port), "/loki/api/v1/raw", &[], b"hello-echo\n");
    assert_eq!(status, 204, "{text}");
    // loki.echo wrote the entry to the log as Alloy does; the log line went on to the sink.
    wait_until(
        "loki.echo's line at the sink",
        Duration::from_secs(20),
        &[&ingot],
        || {
            sink.entries()
                .iter()
                .any(|r| r.line.contains("entry=hello-echo"))
        },
    );
    let got = sink.entries();
    let echo = got
        .iter()
        .find(|r| r.line.contains("entry=hello-echo"))
        .unwrap();
    assert_eq!(echo.labels, r#"{component="alloy"}"#);
    assert!(
        echo.line.contains(r#"msg="received log entry""#)
            && echo.line.contains("component_id=loki.echo.e")
            && echo.line.contains(r#"labels="{job=\"echoed\"}""#)
            && echo.line.contains("structured_metadata={}")
            && echo.line.ends_with('\n'),
        "{:?}",
        echo.line
    );
    // The same line on standard error.
    assert!(ingot.log().contains("entry=hello-echo"), "{}", ingot.log());
}
