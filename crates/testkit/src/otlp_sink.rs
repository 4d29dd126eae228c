//! The OTLP sink of `crates/otelcol/tests/peers/otlp_sink.py` (gRPC on PyPI's grpcio, HTTP on Python's
//! http.server, messages from PyPI's opentelemetry-proto), started on 127.0.0.1, and the OpenTelemetry SDK
//! client of `sdk_client.py` (PyPI's opentelemetry-sdk and opentelemetry-exporter-otlp). The sink answers
//! the failures a test asks for and records every item it accepted in a file that outlives the process, so
//! a test can stop it (an outage) and start it again on the same ports.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{free_port, http_get, http_request, Peer};

/// The Python that has the OpenTelemetry packages (`pip install` puts them beside the `python3` on PATH).
pub fn python() -> PathBuf {
    let python = crate::require_binary("python3", "python3");
    let ok = Command::new(&python)
        .args([
            "-c",
            "import grpc, opentelemetry.proto, opentelemetry.sdk, opentelemetry.exporter.otlp.proto.grpc, opentelemetry.exporter.otlp.proto.http",
        ])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "the OTLP tests need PyPI's OpenTelemetry packages for {}: install them with \
         `python3 -m pip install opentelemetry-sdk opentelemetry-exporter-otlp opentelemetry-proto grpcio` \
         (or run ./scripts/test)",
        python.display()
    );
    python
}

fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../otelcol/tests/peers")
}

pub struct OtlpSink {
    peer: Option<Peer>,
    pub http_port: u16,
    pub grpc_port: u16,
    dir: tempfile::TempDir,
}

impl OtlpSink {
    pub fn start() -> OtlpSink {
        let mut sink = OtlpSink {
            peer: None,
            http_port: free_port(),
            grpc_port: free_port(),
            dir: tempfile::tempdir().expect("a temporary directory"),
        };
        sink.restart();
        sink
    }

    pub fn http_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.http_port))
    }

    /// `http://127.0.0.1:<port>`: the OTLP/HTTP base URL.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// `127.0.0.1:<port>`: the OTLP/gRPC endpoint.
    pub fn grpc_endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.grpc_port)
    }

    /// Stops the sink: connections are refused until [`restart`](Self::restart). What it accepted stays in
    /// [`items`](Self::items).
    pub fn stop(&mut self) {
        self.peer = None;
    }

    pub fn restart(&mut self) {
        self.peer = None;
        let mut cmd = Command::new(python());
        cmd.arg(peers_dir().join("otlp_sink.py"))
            .arg(format!("--http-port={}", self.http_port))
            .arg(format!("--grpc-port={}", self.grpc_port))
            .arg(format!(
                "--record={}",
                self.dir.path().join("accepted.jsonl").display()
            ));
        let mut peer = Peer::spawn("otlp_sink", cmd, tempfile::tempdir().unwrap());
        peer.wait_for_ready(self.http_addr(), "/ready", Duration::from_secs(30));
        peer.wait_for_port(
            SocketAddr::from(([127, 0, 0, 1], self.grpc_port)),
            Duration::from_secs(10),
        );
        self.peer = Some(peer);
    }

    pub fn peer(&self) -> Option<&Peer> {
        self.peer.as_ref()
    }

    /// Scripts the sink's answers (see the script's doc): `{"status": 503, "retry_after": "1", "count": 2}`,
    /// `{"grpc_code": "UNAVAILABLE", "retry_delay": 1.0}`, `{"status": 200}` to accept again.
    pub fn control(&self, doc: serde_json::Value) {
        let (code, text) = http_request(self.http_addr(), "POST", "/control", &doc.to_string())
            .expect("scripting the OTLP sink");
        assert_eq!(code, 200, "scripting the OTLP sink: {text}");
    }

    /// Every request the running sink saw, in order.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        let Ok((200, body)) = http_get(self.http_addr(), "/stats") else {
            return Vec::new();
        };
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        doc["requests"].as_array().cloned().unwrap_or_default()
    }

    /// Every item accepted since the sink was first started (across restarts), in order.
    pub fn items(&self) -> Vec<serde_json::Value> {
        let text =
            std::fs::read_to_string(self.dir.path().join("accepted.jsonl")).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The ids of the accepted items of `signal` (`traces`, `metrics`, `logs`).
    pub fn ids(&self, signal: &str) -> Vec<String> {
        self.items()
            .iter()
            .filter(|i| i["signal"] == signal)
            .filter_map(|i| i["id"].as_str().map(str::to_string))
            .collect()
    }

    pub fn log(&self) -> String {
        self.peer.as_ref().map(Peer::log).unwrap_or_default()
    }
}

/// What the SDK client sent.
#[derive(Debug)]
pub struct Sent {
    pub doc: serde_json::Value,
}

impl Sent {
    pub fn spans(&self) -> Vec<String> {
        strings(&self.doc["spans"])
    }

    pub fn logs(&self) -> Vec<String> {
        strings(&self.doc["logs"])
    }

    /// The export results of `signal` (`SUCCESS`, `FAILURE`; the JS client's codes as `0`, `1`).
    pub fn results(&self, signal: &str) -> Vec<String> {
        self.doc["results"][signal]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs the SDK client: `protocol` `grpc` (endpoint `host:port`) or `http` (endpoint `http://host:port`),
/// sending `spans` spans, `metrics` attribute sets of a counter, an up-down counter and a histogram, and
/// `logs` log records, all named after `tag`. Panics with the client's output if it fails to run.
pub fn sdk_send(
    protocol: &str,
    endpoint: &str,
    spans: usize,
    metrics: usize,
    logs: usize,
    tag: &str,
    headers: &[(&str, &str)],
) -> Sent {
    let mut cmd = Command::new(python());
    cmd.arg(peers_dir().join("sdk_client.py"))
        .arg(format!("--protocol={protocol}"))
        .arg(format!("--endpoint={endpoint}"))
        .arg(format!("--spans={spans}"))
        .arg(format!("--metrics={metrics}"))
        .arg(format!("--logs={logs}"))
        .arg(format!("--tag={tag}"));
    for (k, v) in headers {
        cmd.arg(format!("--header={k}={v}"));
    }
    let out = cmd.output().expect("running the OpenTelemetry SDK client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the SDK client failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "the SDK client printed no JSON ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Sent { doc }
}

/// Runs npm's OpenTelemetry JS SDK with its OTLP/HTTP exporters, which encode OTLP as JSON
/// (`crates/otelcol/tests/peers/js/client.mjs`), sending `spans` spans and `logs` log records to `base`
/// (`http://host:port`). Panics with the install command when Node or the packages are missing.
pub fn js_send(base: &str, spans: usize, logs: usize, tag: &str) -> Sent {
    let node = crate::require_binary("node", "nodejs");
    let dir = peers_dir().join("js");
    assert!(
        dir.join("node_modules/@opentelemetry/exporter-trace-otlp-http")
            .is_dir(),
        "the JSON tests need npm's OpenTelemetry JS packages: install them with \
         `npm ci --prefix {}` (or run ./scripts/test)",
        dir.display()
    );
    let out = Command::new(node)
        .arg(dir.join("client.mjs"))
        .args([base, &spans.to_string(), &logs.to_string(), tag])
        .output()
        .expect("running the OpenTelemetry JS client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the JS client failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("the JS client printed no JSON ({e}):\n{stdout}"));
    Sent { doc }
}
