//! Live debugging and the graph stream through the binary, over HTTP, as Alloy's UI reads them: a
//! pipeline scrape → relabel → remote_write runs against a local target (a small HTTP server in this
//! test, serving series whose value is the scrape's number) and the testkit's Remote Write sink.
//!
//! - `/api/v0/web/debug/<id>` streams what the component publishes, each item followed by `|;|`, in
//!   Alloy's words (`sample: ts=.., labels=.., value=..`, `{..} => {..}`), as the samples flow;
//! - `sampleProb` is honoured (0 keeps nothing, 0.5 about half), a bad one answers 400 as Alloy does;
//! - without `livedebugging { enabled = true }`, an unknown id, or a component that publishes nothing, the
//!   answers are Alloy's (500 and its message);
//! - a client that stops reading stalls nothing: scrapes go on at their interval, the agent's memory
//!   stays bounded, the items the client missed are dropped and counted in the log;
//! - `/api/v0/web/graph` sends, each window, the rate of each component of the pipeline, and
//!   `/api/v0/web/components` has the pipeline's data-flow edges;
//! - the web API is behind the `http` block's basic auth.
//!
//! Every wait is bounded; each test takes seconds.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_testkit::remote_write_sink::RemoteWriteSink;
use ingot_testkit::{free_port, http_get, status_kib, Peer};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

/// A scrape target: request `n` serves `demo_metric{i="k"} n` for `series` series.
struct Target {
    addr: SocketAddr,
    served: Arc<AtomicU64>,
}

impl Target {
    fn start(series: usize) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let served = Arc::new(AtomicU64::new(0));
        let count = served.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let count = count.clone();
                std::thread::spawn(move || serve(stream, series, &count));
            }
        });
        Target { addr, served }
    }

    fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }
}

fn serve(stream: TcpStream, series: usize, count: &AtomicU64) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(read) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read);
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
        }
        let n = count.fetch_add(1, Ordering::Relaxed) + 1;
        let mut body = String::from("# TYPE demo_metric gauge\n");
        for i in 0..series {
            body.push_str(&format!("demo_metric{{i=\"{i}\"}} {n}\n"));
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if stream.write_all(head.as_bytes()).is_err() || stream.write_all(body.as_bytes()).is_err()
        {
            return;
        }
    }
}

/// scrape → relabel (adds `stage`, drops series `i="2"`) → remote_write, every `interval`.
fn pipeline(target: SocketAddr, sink: &str, interval: &str, extra: &str) -> String {
    format!(
        r#"{extra}
prometheus.scrape "s" {{
  targets         = [{{"__address__" = "{target}"}}]
  forward_to      = [prometheus.relabel.r.receiver]
  scrape_interval = "{interval}"
  scrape_timeout  = "{interval}"
}}

prometheus.relabel "r" {{
  forward_to = [prometheus.remote_write.w.receiver]
  rule {{
    target_label = "stage"
    replacement  = "relabeled"
  }}
  rule {{
    source_labels = ["i"]
    regex         = "2"
    action        = "drop"
  }}
}}

prometheus.remote_write "w" {{
  endpoint {{
    url = "{sink}"
  }}
}}

prometheus.exporter.self "me" {{ }}
"#
    )
}

const ENABLED: &str = "livedebugging {\n  enabled = true\n}\n";

struct Agent {
    peer: Peer,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

fn start(config: &str) -> Agent {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.alloy");
    std::fs::write(&path, config).unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(&path)
        .arg(format!("--server.http.listen-addr={addr}"))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ));
    let mut peer = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_ready(addr, "/-/ready", Duration::from_secs(15));
    Agent {
        peer,
        addr,
        _dir: dir,
    }
}

/// A streaming GET read as it arrives: the status, the headers, and the body de-chunked on the fly.
struct Stream {
    conn: TcpStream,
    status: u16,
    headers: String,
    raw: Vec<u8>,
    body: Vec<u8>,
}

impl Stream {
    fn open(addr: SocketAddr, path: &str, auth: Option<&str>) -> Stream {
        Stream::open_with(addr, path, auth, None)
    }

    /// With a receive buffer of `rcvbuf` bytes, so that a client that stops reading is felt at once.
    fn open_with(
        addr: SocketAddr,
        path: &str,
        auth: Option<&str>,
        rcvbuf: Option<usize>,
    ) -> Stream {
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        if let Some(size) = rcvbuf {
            socket.set_recv_buffer_size(size).unwrap();
        }
        socket
            .connect_timeout(&addr.into(), Duration::from_secs(5))
            .unwrap();
        let mut conn: TcpStream = socket.into();
        conn.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let auth = auth
            .map(|c| {
                format!(
                    "Authorization: Basic {}\r\n",
                    ingot_gocompat::base64::Encoding::Std.encode_to_string(c.as_bytes())
                )
            })
            .unwrap_or_default();
        write!(
            conn,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\r\n"
        )
        .unwrap();
        let mut s = Stream {
            conn,
            status: 0,
            headers: String::new(),
            raw: Vec::new(),
            body: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while s.status == 0 {
            assert!(Instant::now() < deadline, "no response head for {path}");
            s.fill();
            if let Some(end) = s.raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&s.raw[..end]).into_owned();
                s.status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
                s.headers = head.to_ascii_lowercase();
                s.raw.drain(..end + 4);
            }
        }
        s
    }

    fn fill(&mut self) -> bool {
        let mut buf = [0u8; 65536];
        match self.conn.read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.raw.extend_from_slice(&buf[..n]);
                true
            }
            Err(_) => true,
        }
    }

    /// Moves every complete chunk from `raw` to `body`.
    fn dechunk(&mut self) {
        if !self.headers.contains("transfer-encoding: chunked") {
            self.body.append(&mut self.raw);
            return;
        }
        loop {
            let Some(eol) = self.raw.windows(2).position(|w| w == b"\r\n") else {
                return;
            };
            let size = usize::from_str_radix(
                String::from_utf8_lossy(&self.raw[..eol])
                    .split(';')
                    .next()
                    .unwrap()
                    .trim(),
                16,
            )
            .unwrap();
            if self.raw.len() < eol + 2 + size + 2 {
                return;
            }
            self.body
                .extend_from_slice(&self.raw[eol + 2..eol + 2 + size]);
            self.raw.drain(..eol + 2 + size + 2);
        }
    }

    /// Reads for `time`, then returns the body so far.
    fn read_for(&mut self, time: Duration) -> String {
        let until = Instant::now() + time;
        while Instant::now() < until {
            if !self.fill() {
                break;
            }
        }
        self.dechunk();
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Reads until `done` holds for the complete items (split on `|;|`) so far.
    fn read_until(
        &mut self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&[&str]) -> bool,
    ) -> Vec<String> {
        let until = Instant::now() + timeout;
        loop {
            let body = self.read_for(Duration::from_millis(100));
            let items: Vec<&str> = complete_items(&body);
            if done(&items) {
                return items.into_iter().map(String::from).collect();
            }
            assert!(
                Instant::now() < until,
                "{what}: not within {timeout:?}; the stream so far:\n{}",
                &body[..body.len().min(4000)]
            );
        }
    }
}

/// The items of a stream: what precedes each `|;|`.
fn complete_items(body: &str) -> Vec<&str> {
    let mut items: Vec<&str> = body.split("|;|").collect();
    items.pop();
    items
}

/// `value=N.000000` of a `sample:` item, as a number.
fn sample_value(item: &str) -> Option<f64> {
    item.rsplit_once(", value=")?.1.parse().ok()
}

#[test]
fn a_debug_stream_shows_samples_as_they_flow_from_a_real_scrape() {
    let target = Target::start(3);
    let sink = RemoteWriteSink::start();
    let agent = start(&format!(
        "{ENABLED}{}",
        pipeline(target.addr, &sink.url(), "200ms", "")
    ));
    let instance = target.addr.to_string();

    let mut relabel = Stream::open(agent.addr, "/api/v0/web/debug/prometheus.relabel.r", None);
    assert_eq!(relabel.status, 200, "{}", relabel.headers);
    assert!(
        relabel
            .headers
            .contains("content-type: text/plain; charset=utf-8"),
        "{}",
        relabel.headers
    );
    let kept = format!(
        "{{__name__=\"demo_metric\", i=\"0\", instance=\"{instance}\", job=\"prometheus.scrape.s\"}} => {{__name__=\"demo_metric\", i=\"0\", instance=\"{instance}\", job=\"prometheus.scrape.s\", stage=\"relabeled\"}}"
    );
    let dropped = format!(
        "{{__name__=\"demo_metric\", i=\"2\", instance=\"{instance}\", job=\"prometheus.scrape.s\"}} => {{}}"
    );
    let items = relabel.read_until(
        "relabel items for a kept and a dropped series",
        Duration::from_secs(10),
        |items| {
            items.iter().filter(|i| **i == kept).count() >= 2 && items.contains(&dropped.as_str())
        },
    );
    for item in &items {
        assert!(
            item.starts_with('{') && item.contains("} => {"),
            "not an Alloy relabel item: {item:?}"
        );
    }
    // The scrape's own report series flow too, relabelled like the rest.
    assert!(
        items
            .iter()
            .any(|i| i.starts_with("{__name__=\"up\", instance=")),
        "{items:?}"
    );

    // The scrape's stream: `sample:` items whose values are the scrape numbers, growing as scrapes happen.
    let mut scrape = Stream::open(agent.addr, "/api/v0/web/debug/prometheus.scrape.s", None);
    let prefix = "sample: ts=";
    let series = format!(
        ", labels={{__name__=\"demo_metric\", i=\"1\", instance=\"{instance}\", job=\"prometheus.scrape.s\"}}, value="
    );
    let items = scrape.read_until(
        "three scrapes of demo_metric{i=\"1\"}",
        Duration::from_secs(10),
        |items| items.iter().filter(|i| i.contains(&series)).count() >= 3,
    );
    let values: Vec<f64> = items
        .iter()
        .filter(|i| i.starts_with(prefix) && i.contains(&series))
        .map(|i| sample_value(i).unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[1] > w[0]), "{values:?}");
    let item = items.iter().find(|i| i.contains(&series)).unwrap();
    assert!(item.ends_with(".000000"), "Go's %f: {item}");

    // remote_write shows what it was handed: relabelled series only, never the dropped one.
    let mut rw = Stream::open(
        agent.addr,
        "/api/v0/web/debug/prometheus.remote_write.w",
        None,
    );
    let items = rw.read_until("remote_write items", Duration::from_secs(10), |items| {
        items
            .iter()
            .any(|i| i.contains("stage=\"relabeled\"") && i.contains("demo_metric"))
    });
    assert!(
        items
            .iter()
            .all(|i| i.starts_with("sample: ts=") && !i.contains("i=\"2\"")),
        "{items:?}"
    );
}

#[test]
fn sampling_is_honoured_and_a_bad_probability_is_answered_as_alloy_does() {
    let target = Target::start(50);
    let sink = RemoteWriteSink::start();
    let agent = start(&format!(
        "{ENABLED}{}",
        pipeline(target.addr, &sink.url(), "100ms", "")
    ));
    let path = "/api/v0/web/debug/prometheus.scrape.s";
    let mut all = Stream::open(agent.addr, path, None);
    let mut half = Stream::open(agent.addr, &format!("{path}?sampleProb=0.5"), None);
    let mut none = Stream::open(agent.addr, &format!("{path}?sampleProb=0"), None);
    let mut bad = Stream::open(agent.addr, &format!("{path}?sampleProb=1.5"), None);
    std::thread::sleep(Duration::from_secs(3));
    let n_all = complete_items(&all.read_for(Duration::from_millis(300))).len();
    let n_half = complete_items(&half.read_for(Duration::from_millis(300))).len();
    let n_none = complete_items(&none.read_for(Duration::from_millis(300))).len();
    assert!(n_all > 500, "the unsampled stream got {n_all} items");
    let share = n_half as f64 / n_all as f64;
    assert!(
        (0.35..0.65).contains(&share),
        "sampleProb=0.5 kept {n_half} of {n_all}"
    );
    assert_eq!(n_none, 0, "sampleProb=0 kept items");
    // Alloy writes the 400 and its message, then streams with the default probability.
    assert_eq!(bad.status, 400);
    let body = bad.read_for(Duration::from_millis(300));
    assert!(body.starts_with("Invalid sample probability\n"), "{body:?}");
    assert!(body.contains("sample: ts="), "{body:?}");
}

#[test]
fn refusals_are_alloys_and_the_graph_needs_no_livedebugging_block() {
    let target = Target::start(3);
    let sink = RemoteWriteSink::start();
    let agent = start(&pipeline(target.addr, &sink.url(), "200ms", ""));
    let (status, body) = http_get(agent.addr, "/api/v0/web/debug/prometheus.relabel.r").unwrap();
    assert_eq!(status, 500);
    assert_eq!(
        body,
        "the live debugging service is disabled. Check the documentation to find out how to enable it\n"
    );
    // The graph reads counts only: Alloy serves it whatever the block says.
    let mut graph = Stream::open(agent.addr, "/api/v0/web/graph?window=1", None);
    assert_eq!(graph.status, 200);
    graph.read_until(
        "a graph window with the relabel's rate",
        Duration::from_secs(5),
        |w| w.iter().any(|w| w.contains("prometheus.relabel.r")),
    );
    drop(agent);

    let agent = start(&format!(
        "{ENABLED}{}",
        pipeline(target.addr, &sink.url(), "200ms", "")
    ));
    let cases = [
        (
            "/api/v0/web/debug/prometheus.relabel.nope",
            "component not found\n",
        ),
        (
            "/api/v0/web/debug/module/prometheus.relabel.r",
            "component not found\n",
        ),
        (
            "/api/v0/web/debug/livedebugging",
            "\"livedebugging\" is not a component\n",
        ),
        (
            "/api/v0/web/debug/prometheus.exporter.self.me",
            "the component \"prometheus.exporter.self\" does not support live debugging\n",
        ),
        ("/api/v0/web/graph/some/module", "module not found\n"),
    ];
    for (path, message) in cases {
        let (status, body) = http_get(agent.addr, path).unwrap();
        assert_eq!((status, body.as_str()), (500, message), "{path}");
    }
    let (status, body) = http_get(agent.addr, "/api/v0/web/graph/some/module?window=0").unwrap();
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            "Invalid window: must be an integer between 1 and 60\nmodule not found\n"
        )
    );
}

#[test]
fn a_client_that_stops_reading_stalls_nothing_and_costs_bounded_memory() {
    // 1000 series every 100 ms: about 10,000 items a second for a client that reads none of them.
    let target = Target::start(1000);
    let sink = RemoteWriteSink::start();
    let agent = start(&format!(
        "{ENABLED}{}",
        pipeline(target.addr, &sink.url(), "100ms", "")
    ));
    std::thread::sleep(Duration::from_secs(1));
    // The scrape rate this machine keeps with nobody watching, to compare with the rate while a client
    // stalls.
    let (served, t0) = (target.served(), Instant::now());
    std::thread::sleep(Duration::from_secs(2));
    let baseline = (target.served() - served) as f64 / t0.elapsed().as_secs_f64();
    let rss_before = status_kib(agent.peer.pid(), "VmRSS");
    let stalled = Stream::open_with(
        agent.addr,
        "/api/v0/web/debug/prometheus.relabel.r",
        None,
        Some(4096),
    );
    assert_eq!(stalled.status, 200);
    let served_before = target.served();
    let started = Instant::now();
    let log = loop {
        let log = agent.peer.log();
        if log.contains("not all debugging data can be sent the live debugging stream") {
            break log;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the stream never filled up:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // Keep the client stalled a while longer: scrapes go on at their interval, memory stays flat.
    std::thread::sleep(Duration::from_secs(3));
    let elapsed = started.elapsed().as_secs_f64();
    let rate = (target.served() - served_before) as f64 / elapsed;
    println!("scrapes/s with nobody watching {baseline:.1}, with a stalled client {rate:.1}");
    assert!(
        rate >= baseline * 0.7,
        "{rate:.1} scrapes/s while a client stalled, {baseline:.1} before:\n{log}"
    );
    let rss_after = status_kib(agent.peer.pid(), "VmRSS");
    let grown_mib = (rss_after as f64 - rss_before as f64) / 1024.0;
    println!("RSS before the stalled client {rss_before} KiB, after {rss_after} KiB ({grown_mib:.1} MiB more)");
    assert!(grown_mib < 64.0, "RSS grew by {grown_mib:.1} MiB");
    // The relabelled data still reaches remote_write's sink.
    let requests = sink.requests().len();
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        sink.requests().len() > requests,
        "remote_write stopped sending"
    );
    // The client goes: the agent says how much it missed.
    drop(stalled);
    let started = Instant::now();
    loop {
        let log = agent.peer.log();
        if log.contains("items were dropped because the client did not read them fast enough") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no drop count in the log:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_graph_has_the_pipeline_edges_and_rates_that_keep_coming() {
    let target = Target::start(3);
    let sink = RemoteWriteSink::start();
    let agent = start(&format!(
        "{ENABLED}{}",
        pipeline(target.addr, &sink.url(), "200ms", "")
    ));
    let (status, body) = http_get(agent.addr, "/api/v0/web/components").unwrap();
    assert_eq!(status, 200);
    let components: Value = serde_json::from_str(&body).unwrap();
    let edges = |id: &str| -> Value {
        components
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["localID"] == id)
            .unwrap_or_else(|| panic!("{id} in {body}"))["dataFlowEdgesTo"]
            .clone()
    };
    assert_eq!(
        edges("prometheus.scrape.s"),
        serde_json::json!(["prometheus.relabel.r"])
    );
    assert_eq!(
        edges("prometheus.relabel.r"),
        serde_json::json!(["prometheus.remote_write.w"])
    );
    assert_eq!(edges("prometheus.remote_write.w"), serde_json::json!([]));
    assert_eq!(edges("prometheus.exporter.self.me"), serde_json::json!([]));

    let mut graph = Stream::open(agent.addr, "/api/v0/web/graph?window=1", None);
    assert_eq!(graph.status, 200);
    let windows = graph.read_until("three graph windows", Duration::from_secs(8), |w| {
        w.len() >= 3
    });
    let mut totals = std::collections::BTreeMap::<String, f64>::new();
    for window in &windows[1..] {
        let rows: Value = serde_json::from_str(window).unwrap_or_else(|e| panic!("{e}: {window}"));
        let rate = |id: &str| -> f64 {
            rows.as_array()
                .unwrap()
                .iter()
                .find(|r| r["componentID"] == id)
                .unwrap_or_else(|| panic!("{id} in {window}"))["rate"]
                .as_f64()
                .unwrap()
        };
        for row in rows.as_array().unwrap() {
            assert_eq!(row["type"], "prometheus_metric", "{window}");
            assert_eq!(row["targetComponentIDs"], Value::Null, "{window}");
            assert_eq!(
                row.as_object().unwrap().keys().collect::<Vec<_>>(),
                ["componentID", "rate", "targetComponentIDs", "type"],
            );
        }
        let (s, r, w) = (
            rate("prometheus.scrape.s"),
            rate("prometheus.relabel.r"),
            rate("prometheus.remote_write.w"),
        );
        // 3 series and 5 report series a scrape; the relabel drops one (counted 0).
        assert!(s > r && r > 0.0 && w > 0.0, "{window}");
        assert!(
            (r - w).abs() <= 7.0,
            "relabel {r}/s and remote_write {w}/s differ: {window}"
        );
        for (id, v) in [("s", s), ("r", r), ("w", w)] {
            *totals.entry(id.into()).or_default() += v;
        }
    }
    println!("graph rates over {} windows: {totals:?}", windows.len() - 1);
    // Alloy's framing: each window is a JSON array followed by `|;|`.
    assert!(windows
        .iter()
        .all(|w| w.starts_with('[') && w.ends_with(']')));
}

#[test]
fn the_web_api_is_behind_the_http_blocks_auth() {
    let target = Target::start(3);
    let sink = RemoteWriteSink::start();
    let auth = "http {\n  auth {\n    basic {\n      username = \"admin\"\n      password = \"s3cret-live\"\n    }\n    filter {\n      paths = [\"/-/ready\"]\n      authenticate_matching_paths = false\n    }\n  }\n}\n";
    let agent = start(&format!(
        "{ENABLED}{}",
        pipeline(target.addr, &sink.url(), "200ms", auth)
    ));
    for path in [
        "/api/v0/web/debug/prometheus.relabel.r",
        "/api/v0/web/graph",
        "/api/v0/web/components",
    ] {
        let s = Stream::open(agent.addr, path, None);
        assert_eq!(s.status, 401, "{path}");
    }
    let mut s = Stream::open(
        agent.addr,
        "/api/v0/web/debug/prometheus.relabel.r",
        Some("admin:s3cret-live"),
    );
    assert_eq!(s.status, 200);
    s.read_until("an item with credentials", Duration::from_secs(5), |i| {
        !i.is_empty()
    });
}

/// POSTs `body` as JSON and returns the status.
fn post_json(addr: SocketAddr, path: &str, body: &str) -> u16 {
    let mut conn = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        conn,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = conn.read_to_end(&mut raw);
    String::from_utf8_lossy(&raw)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn loki_process_and_otelcol_batch_stream_and_draw_their_edges() {
    let loki_port = free_port();
    let otlp_port = free_port();
    let agent = start(&format!(
        r#"{ENABLED}
loki.source.api "in" {{
  http {{
    listen_address = "127.0.0.1"
    listen_port    = {loki_port}
  }}
  forward_to             = [loki.process.p.receiver]
  use_incoming_timestamp = true
}}

loki.process "p" {{
  forward_to = [loki.echo.out.receiver]
  stage.static_labels {{
    values = {{ stage = "processed" }}
  }}
}}

loki.echo "out" {{ }}

otelcol.receiver.otlp "in" {{
  http {{
    endpoint = "127.0.0.1:{otlp_port}"
  }}
  output {{
    traces = [otelcol.processor.batch.b.input]
  }}
}}

otelcol.processor.batch "b" {{
  timeout = "100ms"
  output {{
    traces = [otelcol.exporter.debug.d.input]
  }}
}}

otelcol.exporter.debug "d" {{ }}
"#
    ));
    let (_, body) = http_get(agent.addr, "/api/v0/web/components").unwrap();
    let components: Value = serde_json::from_str(&body).unwrap();
    let edges = |id: &str| -> Value {
        components
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["localID"] == id)
            .unwrap_or_else(|| panic!("{id} in {body}"))["dataFlowEdgesTo"]
            .clone()
    };
    // Data flows into the referenced receivers and consumers, as Alloy draws it.
    assert_eq!(
        edges("loki.source.api.in"),
        serde_json::json!(["loki.process.p"])
    );
    assert_eq!(
        edges("loki.process.p"),
        serde_json::json!(["loki.echo.out"])
    );
    assert_eq!(
        edges("otelcol.receiver.otlp.in"),
        serde_json::json!(["otelcol.processor.batch.b"])
    );
    assert_eq!(
        edges("otelcol.processor.batch.b"),
        serde_json::json!(["otelcol.exporter.debug.d"])
    );
    assert_eq!(edges("otelcol.exporter.debug.d"), serde_json::json!([]));

    let mut process = Stream::open(agent.addr, "/api/v0/web/debug/loki.process.p", None);
    let mut batch = Stream::open(
        agent.addr,
        "/api/v0/web/debug/otelcol.processor.batch.b",
        None,
    );
    let mut graph = Stream::open(agent.addr, "/api/v0/web/graph?window=1", None);
    let loki_addr: SocketAddr = format!("127.0.0.1:{loki_port}").parse().unwrap();
    let otlp_addr: SocketAddr = format!("127.0.0.1:{otlp_port}").parse().unwrap();
    let push =
        r#"{"streams":[{"stream":{"job":"app"},"values":[["1700000000120000000","hello live"]]}]}"#;
    let span = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"scope":{"name":"t"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"live-span","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000"}]}]}]}"#;
    let pushed = Instant::now();
    let mut pushes = 0;
    let items = loop {
        assert_eq!(post_json(loki_addr, "/loki/api/v1/push", push), 204);
        assert_eq!(post_json(otlp_addr, "/v1/traces", span), 200);
        pushes += 1;
        let body = process.read_for(Duration::from_millis(300));
        if complete_items(&body).len() >= 2 || pushed.elapsed() > Duration::from_secs(10) {
            break complete_items(&body)
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>();
        }
    };
    assert!(
        items.contains(&"[IN]: timestamp: 2023-11-14T22:13:20.12Z, entry: hello live, labels: {job=\"app\"}, structured_metadata: {}".to_string()),
        "{items:?}"
    );
    assert!(
        items.contains(&"[OUT]: timestamp: 2023-11-14T22:13:20.12Z, entry: hello live, labels: {job=\"app\", stage=\"processed\"}, structured_metadata: {}".to_string()),
        "{items:?}"
    );
    let items = batch.read_until("a batch of spans", Duration::from_secs(10), |i| {
        !i.is_empty()
    });
    assert!(items[0].starts_with("ResourceSpans #0\n"), "{items:?}");
    assert!(items[0].contains("live-span"), "{items:?}");
    // The graph: the processor's rate with the consumers it sends to; loki.process counts what leaves.
    let windows = graph.read_until("a window with both", Duration::from_secs(10), |w| {
        w.iter()
            .any(|w| w.contains("otelcol.processor.batch.b") && w.contains("loki.process.p"))
    });
    let window = windows
        .iter()
        .find(|w| w.contains("otelcol.processor.batch.b") && w.contains("loki.process.p"))
        .unwrap();
    let rows: Value = serde_json::from_str(window).unwrap();
    let row = |id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["componentID"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(row("otelcol.processor.batch.b")["type"], "otel_trace");
    assert_eq!(
        row("otelcol.processor.batch.b")["targetComponentIDs"],
        serde_json::json!(["otelcol.exporter.debug.d"])
    );
    assert_eq!(row("loki.process.p")["type"], "loki_log");
    assert!(row("loki.process.p")["rate"].as_f64().unwrap() > 0.0);
    println!("{pushes} pushes; graph window: {window}");
}

/// ingot's addition: `prometheus.receive_http` (which Alloy refuses to stream) shows each sample it
/// receives, in remote_write's words. Here the agent's own remote_write sends to it.
#[test]
fn receive_http_streams_what_it_receives() {
    let target = Target::start(2);
    let port = free_port();
    let rx = format!(
        "prometheus.receive_http \"rx\" {{\n  http {{\n    listen_address = \"127.0.0.1\"\n    listen_port    = {port}\n  }}\n  forward_to = []\n}}\n"
    );
    let agent = start(&format!(
        "{ENABLED}{}",
        pipeline(
            target.addr,
            &format!("http://127.0.0.1:{port}/api/v1/metrics/write"),
            "200ms",
            &rx
        )
    ));
    let mut s = Stream::open(
        agent.addr,
        "/api/v0/web/debug/prometheus.receive_http.rx",
        None,
    );
    assert_eq!(s.status, 200);
    let items = s.read_until("a received demo_metric", Duration::from_secs(15), |items| {
        items
            .iter()
            .any(|i| i.contains("demo_metric") && i.contains("stage=\"relabeled\""))
    });
    let item = items
        .iter()
        .find(|i| i.contains("demo_metric") && i.contains("stage=\"relabeled\""))
        .unwrap();
    assert!(item.starts_with("sample: ts="), "{item}");
    assert!(
        item.contains(", value=") && item.ends_with(".000000"),
        "{item}"
    );
}
