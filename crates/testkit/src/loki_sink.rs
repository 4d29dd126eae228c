//! The Loki push sink of `crates/loki/tests/peers/loki_sink.py`, started on 127.0.0.1 with Debian's
//! `/usr/bin/python3`: it decodes pushes with its own `push.proto` compiled by `protoc`, answers the statuses a
//! test asks for, and records every entry it accepted in a file that outlives the process, so that a test can
//! stop it (an outage: connections refused) and start it again on the same port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{free_port, http_get, http_request, Peer};

const PYTHON: &str = "/usr/bin/python3";

/// One entry the sink accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub tenant: String,
    /// The stream's label string as sent (`{a="1", b="2"}`).
    pub labels: String,
    pub timestamp_ns: i64,
    pub line: String,
    pub structured_metadata: Vec<(String, String)>,
    /// Which request (index into [`LokiSink::requests`]) carried it.
    pub request: usize,
}

pub struct LokiSink {
    peer: Option<Peer>,
    port: u16,
    dir: tempfile::TempDir,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../loki/tests/peers/loki_sink.py")
}

/// Panics with the install command when Debian's python3-protobuf, python3-snappy or protobuf-compiler is
/// missing.
fn require_python_modules() {
    crate::require_binary("protoc", "protobuf-compiler");
    let ok = Command::new(PYTHON)
        .args(["-c", "import google.protobuf, snappy"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        panic!(
            "the Loki sink needs Debian's python3-protobuf and python3-snappy for {PYTHON}. Install them with: \
             sudo apt-get install -y python3-protobuf python3-snappy protobuf-compiler   (or run ./scripts/test)"
        );
    }
}

impl LokiSink {
    pub fn start() -> LokiSink {
        require_python_modules();
        let mut sink = LokiSink {
            peer: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("a temporary directory"),
        };
        sink.restart();
        sink
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The push URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/loki/api/v1/push", self.port)
    }

    /// Stops the sink: connections are refused until [`restart`](Self::restart). What it accepted so far
    /// stays in [`entries`](Self::entries); its request list and script start empty again.
    pub fn stop(&mut self) {
        self.peer = None;
    }

    pub fn restart(&mut self) {
        self.peer = None;
        let mut cmd = Command::new(PYTHON);
        cmd.arg(script())
            .arg(format!("--port={}", self.port))
            .arg(format!(
                "--record={}",
                self.dir.path().join("accepted.jsonl").display()
            ))
            .arg(format!("--proto-out={}", self.dir.path().display()));
        let mut peer = Peer::spawn("loki_sink", cmd, tempfile::tempdir().unwrap());
        peer.wait_for_ready(self.addr(), "/ready", Duration::from_secs(20));
        self.peer = Some(peer);
    }

    pub fn peer(&self) -> Option<&Peer> {
        self.peer.as_ref()
    }

    /// The next `count` pushes (every push until the next call, without a count) are answered with
    /// `status`, a `Retry-After` header when given, and `body`.
    pub fn answer(&self, status: u16, count: Option<u32>, retry_after: Option<&str>, body: &str) {
        let mut doc = format!("{{\"status\": {status}, \"body\": {}", json_string(body));
        if let Some(c) = count {
            doc.push_str(&format!(", \"count\": {c}"));
        }
        if let Some(r) = retry_after {
            doc.push_str(&format!(", \"retry_after\": {}", json_string(r)));
        }
        doc.push('}');
        let (code, text) =
            http_request(self.addr(), "POST", "/control", &doc).expect("scripting the Loki sink");
        assert_eq!(code, 200, "scripting the Loki sink: {text}");
    }

    /// Every push request the running sink saw, in order: `status`, `tenant`, `entries`, `headers`, ...
    pub fn requests(&self) -> Vec<serde_json::Value> {
        let Ok((200, body)) = http_get(self.addr(), "/stats") else {
            return Vec::new();
        };
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        doc["requests"].as_array().cloned().unwrap_or_default()
    }

    /// Every entry accepted since the sink was first started (across restarts).
    pub fn entries(&self) -> Vec<Received> {
        let text =
            std::fs::read_to_string(self.dir.path().join("accepted.jsonl")).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| Received {
                tenant: v["tenant"].as_str().unwrap_or("").to_string(),
                labels: v["labels"].as_str().unwrap_or("").to_string(),
                timestamp_ns: v["ts"].as_i64().unwrap_or(0),
                line: v["line"].as_str().unwrap_or("").to_string(),
                structured_metadata: v["sm"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|p| {
                                (
                                    p[0].as_str().unwrap_or("").to_string(),
                                    p[1].as_str().unwrap_or("").to_string(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                request: v["request"].as_u64().unwrap_or(0) as usize,
            })
            .collect()
    }

    /// What the sink printed (its request log), for failing tests.
    pub fn log(&self) -> String {
        self.peer.as_ref().map(Peer::log).unwrap_or_default()
    }
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}
