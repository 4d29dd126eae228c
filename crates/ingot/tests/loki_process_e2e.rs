//! `loki.process` in the binary, between Loki's push API and the independent Python Loki sink: JSON lines
//! parsed, labels and structured metadata set, timestamps read, noise dropped by `stage.match` and
//! `stage.drop` (counted on `/metrics`), multiline records joined, a custom counter and histogram served
//! on `/metrics`, lines that are not JSON passed on unchanged; and a malformed stage refused by
//! `ingot validate` at its file:line:col. Every wait is bounded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use ingot_testkit::loki_sink::LokiSink;
use ingot_testkit::{free_port, http_get, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn push(port: u16, body: &str) -> u16 {
    let mut s = TcpStream::connect_timeout(&addr(port), Duration::from_secs(5)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /loki/api/v1/push HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut raw = String::new();
    let _ = s.read_to_string(&mut raw);
    raw.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

#[test]
fn a_pipeline_of_stages_between_the_push_api_and_the_sink() {
    let sink = LokiSink::start();
    let (api, server) = (free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
loki.source.api "in" {{
  http {{
    listen_address = "127.0.0.1"
    listen_port    = {api}
  }}
  use_incoming_timestamp = true
  forward_to = [loki.process.p.receiver]
}}

loki.process "p" {{
  forward_to = [loki.write.out.receiver]

  stage.match {{
    selector = "{{job=\"app\"}}"
    stage.json {{
      expressions = {{ level = "", ts = "time", msg = "message", took = "duration" }}
    }}
    stage.labels {{
      values = {{ level = "" }}
    }}
    stage.timestamp {{
      source = "ts"
      format = "RFC3339Nano"
    }}
    stage.structured_metadata {{
      values = {{ took = "" }}
    }}
    stage.metrics {{
      metric.counter {{
        name   = "lines_by_level"
        match_all = true
        action = "inc"
      }}
      metric.histogram {{
        name    = "took_seconds"
        source  = "took"
        buckets = [0.01, 0.1, 1]
      }}
    }}
    stage.drop {{
      source = "level"
      value  = "debug"
      drop_counter_reason = "debug_noise"
    }}
    stage.output {{
      source = "msg"
    }}
  }}

  stage.match {{
    selector = "{{job=\"app\"}} |= \"healthcheck\""
    action   = "drop"
  }}

  stage.match {{
    selector = "{{job=\"java\"}}"
    stage.multiline {{
      firstline     = "^\\d{{4}}-\\d{{2}}-\\d{{2}}"
      max_wait_time = "200ms"
    }}
  }}
}}

loki.write "out" {{
  endpoint {{
    url        = "{}"
    batch_wait = "100ms"
  }}
}}
"#,
        sink.url()
    );
    let path = dir.path().join("config.alloy");
    std::fs::write(&path, &config).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(&path)
        .arg(format!("--server.http.listen-addr=127.0.0.1:{server}"))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ));
    let mut peer = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_ready(addr(api), "/ready", Duration::from_secs(20));

    let app = [
        r#"{"level":"info","time":"2024-05-01T10:00:00.123456789Z","message":"started","duration":"5ms"}"#,
        r#"{"level":"debug","time":"2024-05-01T10:00:01Z","message":"noise","duration":0.5}"#,
        r#"{"level":"warn","time":"2024-05-01T10:00:02Z","message":"healthcheck slow","duration":2}"#,
        r#"{"level":"error","time":"2024-05-01T10:00:03Z","message":"failed","duration":"0.05"}"#,
        "not json at all",
    ];
    let java = [
        "2024-05-01 10:00:00 ERROR boom",
        "\tat com.example.Main(Main.java:1)",
        "\tat com.example.Main(Main.java:2)",
        "2024-05-01 10:00:01 INFO next",
    ];
    let values = |lines: &[&str]| {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                format!(
                    "[\"{}\", {}]",
                    1_700_000_000_000_000_000i64 + i as i64,
                    json_string(l)
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let body = format!(
        r#"{{"streams":[{{"stream":{{"job":"app"}},"values":[{}]}},{{"stream":{{"job":"java"}},"values":[{}]}}]}}"#,
        values(&app),
        values(&java)
    );
    assert_eq!(push(api, &body), 204, "{}", peer.log());

    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.entries().len() < 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let mut got = sink.entries();
    got.sort_by(|a, b| {
        a.labels
            .cmp(&b.labels)
            .then(a.timestamp_ns.cmp(&b.timestamp_ns))
    });
    let summary: Vec<(String, String, i64)> = got
        .iter()
        .map(|r| (r.labels.clone(), r.line.clone(), r.timestamp_ns))
        .collect();
    assert_eq!(
        summary,
        vec![
            (r#"{job="app", level="error"}"#.to_string(), "failed".to_string(), 1_714_557_603_000_000_000),
            (r#"{job="app", level="info"}"#.to_string(), "started".to_string(), 1_714_557_600_123_456_789),
            (r#"{job="app"}"#.to_string(), "not json at all".to_string(), 1_700_000_000_000_000_004),
            (
                r#"{job="java"}"#.to_string(),
                "2024-05-01 10:00:00 ERROR boom\n\tat com.example.Main(Main.java:1)\n\tat com.example.Main(Main.java:2)".to_string(),
                1_700_000_000_000_000_000
            ),
            (r#"{job="java"}"#.to_string(), "2024-05-01 10:00:01 INFO next".to_string(), 1_700_000_000_000_000_003),
        ],
        "{}",
        peer.log()
    );
    let info = got.iter().find(|r| r.line == "started").unwrap();
    assert_eq!(
        info.structured_metadata,
        vec![("took".to_string(), "5ms".to_string())]
    );

    let (_, metrics) = http_get(addr(server), "/metrics").unwrap();
    let line = |prefix: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{metrics}"))
            .to_string()
    };
    assert!(line(r#"loki_process_dropped_lines_total{component_id="loki.process.p",component_path="/",reason="debug_noise"}"#).ends_with(" 1"));
    assert!(line(r#"loki_process_dropped_lines_total{component_id="loki.process.p",component_path="/",reason="match_stage"}"#).ends_with(" 1"));
    // Counted before the drop: four JSON lines and the one that is not.
    let counted: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("loki_process_custom_lines_by_level{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(counted, 5.0, "{metrics}");
    assert!(
        metrics.contains("# TYPE loki_process_custom_took_seconds histogram"),
        "{metrics}"
    );
    let count: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("loki_process_custom_took_seconds_count{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(count, 4.0, "{metrics}");
    assert!(!peer.log().contains("panicked"), "{}", peer.log());
}

#[test]
fn a_malformed_stage_is_refused_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.alloy");
    std::fs::write(
        &path,
        r#"loki.process "p" {
  forward_to = []
  stage.json {
    expressions = { a = "" }
  }
  stage.timestamp {
    source   = "a"
    format   = "RFC3339"
    location = "Mars/Olympus"
  }
}
"#,
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("config.alloy:9:16"), "{text}");
    assert!(
        text.contains("invalid location specified: %v: unknown time zone Mars/Olympus"),
        "{text}"
    );
}
