//! The web UI, opened in Debian's chromium (driven by npm's playwright-core, `tests/browser/ui.mjs`) against the
//! real binary running a pipeline with a failing scrape target, a failing `prometheus.remote_write` endpoint
//! (closed ports), a healthy `prometheus.exporter.self` and a password in two `basic_auth` blocks: the failing
//! components come first with their cause, the component page shows the targets and `(secret)` (the password is
//! in no page text and no response), the graph has the pipeline's nodes and edges with live rates, the live
//! debugging page shows data as it flows, filters and pauses. A second agent with 100 components (under a UI
//! path prefix) gives the load times, which are printed, not asserted. Screenshots are kept under
//! `target/tmp/web_ui/`.
//!
//! Without the UI in a browser: the prefix and the `http` block's authentication over the UI's routes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ingot_testkit::{free_port, http_get, require_binary, Peer};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ingot");
const SECRET: &str = "pw-4e71b9-only-in-the-config";

fn start(config: &str, extra: &[&str]) -> (Peer, SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.alloy");
    std::fs::write(&path, config).unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(format!("--server.http.listen-addr={addr}"))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .args(extra)
        .arg(&path);
    let mut peer = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(addr, Duration::from_secs(15));
    (peer, addr, dir)
}

fn components(addr: SocketAddr, prefix: &str) -> Vec<Value> {
    let (status, body) = http_get(addr, &format!("{prefix}/api/v0/web/components")).unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Value>(&body)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn health_of(list: &[Value], id: &str) -> String {
    list.iter()
        .find(|c| c["localID"] == id)
        .map(|c| c["health"]["state"].as_str().unwrap_or("").to_string())
        .unwrap_or_default()
}

/// The pipeline under test; `closed` and `closed_rw` are ports nothing listens on.
fn pipeline(closed: u16, closed_rw: u16) -> String {
    format!(
        r#"livedebugging {{
  enabled = true
}}

prometheus.exporter.self "agent" {{ }}

prometheus.scrape "healthy" {{
  targets         = prometheus.exporter.self.agent.targets
  forward_to      = [prometheus.relabel.keep.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "900ms"
}}

prometheus.scrape "failing" {{
  targets         = [{{"__address__" = "127.0.0.1:{closed}", "job" = "nothing-listens"}}]
  forward_to      = [prometheus.relabel.keep.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "900ms"
  basic_auth {{
    username = "scraper"
    password = "{SECRET}"
  }}
}}

prometheus.relabel "keep" {{
  forward_to = [prometheus.remote_write.broken.receiver]
  rule {{
    action        = "keep"
    source_labels = ["__name__"]
    regex         = ".+"
  }}
}}

prometheus.remote_write "broken" {{
  endpoint {{
    url = "http://127.0.0.1:{closed_rw}/api/v1/write"
    basic_auth {{
      username = "writer"
      password = "{SECRET}"
    }}
  }}
}}
"#
    )
}

/// 100 components: one exporter and 33 chains of a scrape and two relabels.
fn hundred_components() -> String {
    let mut config = String::from("prometheus.exporter.self \"agent\" { }\n");
    for i in 0..33 {
        config.push_str(&format!(
            "prometheus.scrape \"s{i}\" {{\n  targets = prometheus.exporter.self.agent.targets\n  forward_to = [prometheus.relabel.a{i}.receiver]\n  scrape_interval = \"60s\"\n}}\n\
             prometheus.relabel \"a{i}\" {{\n  forward_to = [prometheus.relabel.b{i}.receiver]\n  rule {{\n    action = \"keep\"\n    source_labels = [\"__name__\"]\n    regex = \".+\"\n  }}\n}}\n\
             prometheus.relabel \"b{i}\" {{\n  forward_to = []\n}}\n"
        ));
    }
    config
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// node and chromium (their paths), with playwright-core, or a panic naming the install command.
fn require_browser() -> (PathBuf, PathBuf) {
    let node = require_binary("node", "nodejs npm");
    let chromium = require_binary("chromium", "chromium");
    let dir = browser_dir();
    assert!(
        dir.join("node_modules/playwright-core/package.json").is_file(),
        "the browser tests need npm's playwright-core: install it with `npm ci --prefix {}` (or run ./scripts/test)",
        dir.display()
    );
    (node, chromium)
}

/// Runs the browser script within `limit`, killing it past that.
fn run_browser(node: &Path, chromium: &Path, config: &Value, limit: Duration) -> Value {
    let out = PathBuf::from(config["out"].as_str().unwrap());
    let mut child = Command::new(node)
        .arg(browser_dir().join("ui.mjs"))
        .arg(config.to_string())
        .env("CHROMIUM", chromium)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting node");
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser script ran past {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        status.success(),
        "browser script failed ({status}):\n{stdout}\n{stderr}"
    );
    let text = std::fs::read_to_string(out.join("result.json")).expect("result.json");
    serde_json::from_str(&text).unwrap()
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn the_ui_in_chromium_shows_what_fails_and_why() {
    let (node, chromium) = require_browser();
    let (closed, closed_rw) = (free_port(), free_port());
    let (mut agent, addr, _data) = start(&pipeline(closed, closed_rw), &[]);
    let (_many, many_addr, _many_data) = start(
        &hundred_components(),
        &["--server.http.ui-path-prefix=/ui/"],
    );

    // Both failures are seen by the agent before the browser looks.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = components(addr, "");
        if health_of(&list, "prometheus.scrape.failing") == "unhealthy"
            && health_of(&list, "prometheus.remote_write.broken") == "unhealthy"
            && health_of(&list, "prometheus.scrape.healthy") == "healthy"
        {
            break;
        }
        assert!(agent.is_running(), "{}", agent.log());
        assert!(
            Instant::now() < deadline,
            "health never settled: {list:#?}\n{}",
            agent.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let ready = Instant::now() + Duration::from_secs(15);
    while components(many_addr, "/ui").len() < 100 {
        assert!(
            Instant::now() < ready,
            "the 100-component agent did not load"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web_ui");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let config = serde_json::json!({
        "base": format!("http://{addr}/"),
        "out": out.display().to_string(),
        "secret": SECRET,
        "failing": "prometheus.scrape.failing",
        "secretComponent": "prometheus.remote_write.broken",
        "debugId": "prometheus.scrape.healthy",
        "missingId": "prometheus.scrape.nope",
        "timing": {"base": format!("http://{many_addr}/ui/"), "componentId": "prometheus.scrape.s7", "runs": 5},
    });
    let started = Instant::now();
    let r = run_browser(&node, &chromium, &config, Duration::from_secs(90));
    println!(
        "browser run: {:?}; screenshots and result.json in {}",
        started.elapsed(),
        out.display()
    );
    let pages = &r["pages"];
    for (name, page) in pages.as_object().unwrap() {
        assert!(
            page.get("failed").is_none(),
            "page {name} failed in the browser: {}",
            page["failed"]
        );
    }

    // `/`: both failing components first, each with its cause.
    let rows = pages["list"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5, "{rows:#?}");
    let first_two: Vec<&str> = rows[..2]
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        first_two.contains(&"prometheus.scrape.failing")
            && first_two.contains(&"prometheus.remote_write.broken"),
        "failing components are not first: {rows:#?}"
    );
    for row in &rows[..2] {
        assert_eq!(row["health"], "unhealthy", "{row}");
        let message = row["message"].as_str().unwrap();
        let port = if row["id"] == "prometheus.scrape.failing" {
            closed
        } else {
            closed_rw
        };
        assert!(
            message.contains(&format!("127.0.0.1:{port}")),
            "the cause does not name the endpoint: {row}"
        );
    }
    let scrape_cause = rows
        .iter()
        .find(|r| r["id"] == "prometheus.scrape.failing")
        .unwrap()["message"]
        .as_str()
        .unwrap();
    assert!(
        scrape_cause.to_lowercase().contains("refused"),
        "{scrape_cause}"
    );
    for row in &rows[2..] {
        assert_eq!(row["health"], "healthy", "{row}");
    }
    assert_eq!(
        pages["list"]["failing"].as_array().unwrap().len(),
        2,
        "{}",
        pages["list"]
    );
    assert!(
        pages["list"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("2 of 5 components failing"),
        "{}",
        pages["list"]["summary"]
    );

    // `/component/prometheus.scrape.failing`.
    let c = &pages["component"];
    assert!(
        c["health"]
            .as_str()
            .unwrap()
            .contains(&format!("127.0.0.1:{closed}")),
        "{}",
        c["health"]
    );
    assert!(
        c["health"].as_str().unwrap().contains("Since "),
        "{}",
        c["health"]
    );
    let targets = c["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 1, "{targets:?}");
    let target = strs(&targets[0]);
    assert!(
        target[0].contains(&format!("127.0.0.1:{closed}")),
        "{target:?}"
    );
    assert_eq!(target[1], "down", "{target:?}");
    assert!(target[2].to_lowercase().contains("refused"), "{target:?}");
    let args = c["arguments"].as_str().unwrap();
    assert!(
        args.contains("basic_auth") && args.contains("(secret)") && args.contains("\"scraper\""),
        "{args}"
    );
    assert!(
        args.contains("\"nothing-listens\""),
        "targets not in Alloy syntax: {args}"
    );
    assert_eq!(strs(&c["dependencies"]), ["prometheus.relabel.keep"]);
    assert_eq!(strs(&c["sendsTo"]), ["prometheus.relabel.keep"]);
    assert!(strs(&c["dependants"]).is_empty(), "{}", c["dependants"]);
    assert!(
        !c["metricsText"].as_str().unwrap().contains("Could not"),
        "{}",
        c["metricsText"]
    );
    assert_eq!(
        c["docs"],
        "https://grafana.com/docs/alloy/latest/reference/components/prometheus/prometheus.scrape/"
    );
    assert_eq!(
        c["liveDebuggingLink"], "debug/prometheus.scrape.failing",
        "{c}"
    );
    let rw_args = pages["secretComponent"]["arguments"].as_str().unwrap();
    assert!(
        rw_args.contains("(secret)") && rw_args.contains("\"writer\""),
        "{rw_args}"
    );
    assert!(
        pages["missing"]["text"]
            .as_str()
            .unwrap()
            .contains("No such component"),
        "{}",
        pages["missing"]
    );

    // The password: in no page's text, in no response.
    assert_eq!(
        r["secretIn"],
        serde_json::json!([]),
        "the secret reached the browser"
    );
    let urls: Vec<String> = r["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["url"].as_str().unwrap().to_string())
        .collect();
    for needed in [
        "/api/v0/web/components",
        "/api/v0/web/components/prometheus.remote_write.broken",
        "/metrics",
        "/assets/main.js",
    ] {
        assert!(
            urls.iter().any(|u| u.ends_with(needed)),
            "no response from {needed} was checked: {urls:#?}"
        );
    }

    // `/graph`: the nodes, the edges in the direction data flows, rates on them.
    let g = &pages["graph"];
    let mut nodes: Vec<(String, String)> = g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().into(),
                n["health"].as_str().unwrap().into(),
            )
        })
        .collect();
    nodes.sort();
    assert_eq!(
        nodes,
        [
            ("prometheus.exporter.self.agent", "healthy"),
            ("prometheus.relabel.keep", "healthy"),
            ("prometheus.remote_write.broken", "unhealthy"),
            ("prometheus.scrape.failing", "unhealthy"),
            ("prometheus.scrape.healthy", "healthy"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let mut edges: Vec<String> = g["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} -> {}",
                e["from"].as_str().unwrap(),
                e["to"].as_str().unwrap()
            )
        })
        .collect();
    edges.sort();
    assert_eq!(
        edges,
        [
            "prometheus.exporter.self.agent -> prometheus.scrape.healthy",
            "prometheus.relabel.keep -> prometheus.remote_write.broken",
            "prometheus.scrape.failing -> prometheus.relabel.keep",
            "prometheus.scrape.healthy -> prometheus.relabel.keep",
        ]
    );
    assert_eq!(
        g["status"]["state"], "live",
        "the graph's live rates: {}",
        g["status"]
    );
    let flowing = g["rates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["from"] == "prometheus.scrape.healthy")
        .unwrap();
    assert!(
        flowing["rate"].as_f64().unwrap() > 0.0,
        "no rate on the scrape's edge: {}",
        g["rates"]
    );
    assert!(
        flowing["label"].as_str().unwrap().ends_with("/s"),
        "{flowing}"
    );

    // `/debug/prometheus.scrape.healthy`: samples as they flow, the filter, pause.
    let d = &pages["debug"];
    assert_eq!(d["state"], "streaming", "{d}");
    assert!(
        !d["lines"].as_array().unwrap().is_empty(),
        "no data on the live debugging page: {d}"
    );
    assert_eq!(d["filtered"]["hidden"], 0, "{d}");
    assert!(d["filtered"]["shown"].as_u64().unwrap() > 0, "{d}");
    assert_eq!(d["paused"]["state"], "paused", "{d}");
    assert_eq!(
        d["paused"]["before"], d["paused"]["after"],
        "data kept coming while paused: {d}"
    );
    assert!(
        d["sampled"]["status"]
            .as_str()
            .unwrap()
            .contains("0% of the data sampled"),
        "{d}"
    );
    assert_eq!(
        d["sampled"]["before"], d["sampled"]["after"],
        "data came through a 0% sample: {d}"
    );
    assert!(
        strs(&r["streams"])
            .iter()
            .any(|u| u.ends_with("/api/v0/web/debug/prometheus.scrape.healthy?sampleProb=0")),
        "{}",
        r["streams"]
    );
    let missing = &pages["debugMissing"];
    assert_eq!(missing["state"], "error", "{missing}");
    assert!(
        missing["problem"]
            .as_str()
            .unwrap()
            .contains("live debugging stream failed"),
        "{missing}"
    );

    assert!(
        r["pageErrors"].as_array().unwrap().is_empty(),
        "uncaught errors in the pages: {}",
        r["pageErrors"]
    );

    // 100 components: every row and node drawn; the load times, printed.
    let t = &pages["timing"];
    assert_eq!(t["rows"], 100, "{t}");
    assert_eq!(t["graphNodes"], 100, "{t}");
    for page in ["list", "component", "graph"] {
        println!(
            "load time with 100 components, {page}: median {:.0} ms, max {:.0} ms over {} loads (goal: under 200 ms)",
            t[page]["median"].as_f64().unwrap(),
            t[page]["max"].as_f64().unwrap(),
            t[page]["runs"]
        );
    }
    println!("screenshots: {}", out.display());
}

/// A raw GET with optional basic credentials; returns the whole response (head and body).
fn raw_get(addr: SocketAddr, path: &str, credentials: Option<&str>) -> String {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let auth = credentials
        .map(|c| {
            format!(
                "Authorization: Basic {}\r\n",
                ingot_gocompat::base64::Encoding::Std.encode_to_string(c.as_bytes())
            )
        })
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    String::from_utf8_lossy(&raw).into_owned()
}

#[test]
fn the_ui_is_served_under_its_prefix_behind_the_http_blocks_auth() {
    let config = format!(
        "http {{\n  auth {{\n    basic {{\n      username = \"admin\"\n      password = {SECRET:?}\n    }}\n  }}\n}}\n"
    );
    let (_agent, addr, _data) = start(&config, &["--server.http.ui-path-prefix=/alloy/"]);
    for path in [
        "/alloy/",
        "/alloy/component/prometheus.scrape.x",
        "/alloy/assets/main.js",
        "/alloy/graph",
        "/alloy",
    ] {
        let denied = raw_get(addr, path, None);
        assert!(
            denied.starts_with("HTTP/1.1 401"),
            "{path} without credentials: {denied}"
        );
    }
    let creds = Some("admin:pw-4e71b9-only-in-the-config");
    let page = raw_get(addr, "/alloy/component/prometheus.scrape.x", creds);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.contains("content-type: text/html; charset=utf-8"),
        "{page}"
    );
    assert!(page.contains("<base href=\"/alloy/\">"), "{page}");
    assert!(
        page.contains("content-security-policy: default-src 'self'"),
        "{page}"
    );
    let script = raw_get(addr, "/alloy/assets/main.js", creds);
    assert!(
        script.starts_with("HTTP/1.1 200") && script.contains("content-type: text/javascript"),
        "{script}"
    );
    assert!(script.contains("etag: \""), "{script}");
    let redirect = raw_get(addr, "/alloy", creds);
    assert!(
        redirect.starts_with("HTTP/1.1 302") && redirect.contains("location: /alloy/"),
        "{redirect}"
    );
    // Outside the prefix there is no UI; the API keeps its paths.
    assert!(raw_get(addr, "/", creds).starts_with("HTTP/1.1 404"));
    assert!(raw_get(addr, "/alloy/api/v0/web/nope", creds).starts_with("HTTP/1.1 404"));
    assert!(raw_get(addr, "/alloy/api/v0/web/components", creds).starts_with("HTTP/1.1 200"));
    assert!(raw_get(addr, "/-/ready", creds).starts_with("HTTP/1.1 200"));
}

/// The graph page's layout (`crates/server/ui/assets/layout.js`) under Node.js alone: every node placed once and
/// none overlapping, edges drawn from their source to their target and forward except where a cycle is broken,
/// crossings undone where they can be, and 1000 nodes laid out quickly.
#[test]
fn the_graph_layout_places_every_node_and_edge() {
    let node = require_binary("node", "nodejs npm");
    let out = Command::new(node)
        .arg(browser_dir().join("layout_check.mjs"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["problems"], serde_json::json!([]), "{r}");
    assert_eq!(
        r["layers"],
        serde_json::json!({"exporter": 0, "healthy": 1, "failing": 1, "keep": 2, "write": 3})
    );
    assert_eq!(r["crossedCrossings"], 0, "{r}");
    println!(
        "layout: 30 random graphs with {} crossings left in all; 1000 nodes in {:.0} ms",
        r["randomCrossings"],
        r["largeMs"].as_f64().unwrap()
    );
}
