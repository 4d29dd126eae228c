//! The seed's monitoring stack end to end, with Debian's Prometheus and Alertmanager on loopback and the configs
//! shipped in `deploy/` (ports, paths and intervals rewritten for the test): Prometheus pulls ingot through a
//! file_sd target, `up` drives the fleet dashboard and the host-down alert, and the alert reaches a webhook
//! through Alertmanager, then resolves.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ingot_testkit::{free_port, http_get, poll_until, require_binary, url_encode, Peer};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ingot");
const UNIX_PATH: &str = "/api/v0/component/prometheus.exporter.unix.localhost/metrics";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `text` with every `from` replaced by `to`; `from` must occur exactly `times` times, so that a change to the
/// shipped file cannot silently leave the test running on the original value.
fn rewrite(text: &str, from: &str, to: &str, times: usize) -> String {
    assert_eq!(
        text.matches(from).count(),
        times,
        "expected {times} × `{from}` in:\n{text}"
    );
    text.replace(from, to)
}

fn run_tool(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// Polls `f` every 200 ms until it returns `Ok`; the value and how long it took.
fn wait_for<T>(
    what: &str,
    timeout: Duration,
    f: impl FnMut() -> Result<T, String>,
) -> (T, Duration) {
    poll_until(what, timeout, Duration::from_millis(200), &[], f)
}

/// An instant query against Prometheus's HTTP API: the result vector, or the error Prometheus gave.
fn query(prom: SocketAddr, q: &str) -> Result<Vec<Value>, String> {
    let (status, body) = http_get(prom, &format!("/api/v1/query?query={}", url_encode(q)))
        .map_err(|e| format!("GET /api/v1/query: {e}"))?;
    let v: Value =
        serde_json::from_str(&body).map_err(|e| format!("HTTP {status}: {e}: {body}"))?;
    if v["status"] != "success" {
        return Err(format!("HTTP {status}: {body}"));
    }
    match &v["data"]["result"] {
        Value::Array(a) => Ok(a.clone()),
        other => Err(format!("result is not a vector: {other}")),
    }
}

/// The single sample value of an instant query, as Prometheus prints it.
fn scalar(prom: SocketAddr, q: &str) -> Result<String, String> {
    let r = query(prom, q)?;
    match r.as_slice() {
        [one] => Ok(one["value"][1].as_str().unwrap_or_default().to_string()),
        _ => Err(format!("{q}: expected one sample, got {r:?}")),
    }
}

/// A webhook receiver: records the path and JSON body of every POST and answers 200.
struct Webhook {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<(String, Value)>>>,
}

impl Webhook {
    fn start() -> Webhook {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let sink = sink.clone();
                std::thread::spawn(move || {
                    let _ = serve_one(stream, &sink);
                });
            }
        });
        Webhook { addr, received }
    }

    /// The alerts (path, notification status, alert) received so far for `alertname`.
    fn alerts(&self, alertname: &str) -> Vec<(String, Value)> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(path, body)| {
                body["alerts"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|a| a["labels"]["alertname"] == alertname)
                    .map(|a| (path.clone(), a))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

fn serve_one(stream: TcpStream, sink: &Mutex<Vec<(String, Value)>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method == "POST" {
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        sink.lock().unwrap().push((path.to_string(), json));
    }
    (&stream).write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
}

/// Starts ingot with the pull-mode example on `addr`.
fn start_ingot(addr: SocketAddr, storage: &Path) -> Peer {
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(repo().join("examples/host-pull.alloy"))
        .arg(format!("--server.http.listen-addr={addr}"))
        .arg(format!("--storage.path={}", storage.display()));
    let mut peer = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(addr, Duration::from_secs(10));
    peer
}

/// `rules` with the `for` of `alert` (which must be `from`) changed to `to`.
fn shorten_for(rules: &str, alert: &str, from: &str, to: &str) -> String {
    let at = rules
        .find(&format!("- alert: {alert}\n"))
        .unwrap_or_else(|| panic!("no {alert} rule"));
    let next = rules[at + 1..]
        .find("- alert: ")
        .map_or(rules.len(), |n| at + 1 + n);
    let from = format!("for: {from}\n");
    let for_at = at
        + rules[at..next]
            .find(&from)
            .unwrap_or_else(|| panic!("{alert} has no `{from}`"));
    format!(
        "{}for: {to}\n{}",
        &rules[..for_at],
        &rules[for_at + from.len()..]
    )
}

/// The shipped Prometheus config and rules, rewritten for the test in `dir`: 1 s intervals, Alertmanager at
/// `alertmanager`, the `for` of `short` alerts (each with its shipped value) shortened to 2 s, and one file_sd
/// target for the ingot at `ingot`, in the form of the shipped example. With `integrations`, also the targets of
/// `deploy/prometheus/integrations/example.json` (its postgres and nginx exporters) for that ingot.
fn prometheus_dir(
    dir: &Path,
    alertmanager: SocketAddr,
    ingot: SocketAddr,
    short: &[(&str, &str)],
    integrations: bool,
) {
    let config = read("deploy/prometheus/prometheus.yml");
    let config = rewrite(&config, "localhost:9093", &alertmanager.to_string(), 1);
    let config = rewrite(&config, "scrape_interval: 15s", "scrape_interval: 1s", 1);
    let config = rewrite(
        &config,
        "evaluation_interval: 15s",
        "evaluation_interval: 1s",
        1,
    );
    let config = rewrite(&config, "refresh_interval: 1m", "refresh_interval: 1s", 2);
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();

    let mut rules = read("deploy/prometheus/alerts.yml");
    for (alert, shipped) in short {
        rules = shorten_for(&rules, alert, shipped, "2s");
    }
    std::fs::write(dir.join("alerts.yml"), rules).unwrap();

    let for_this_ingot = |file: &str| -> Value {
        let mut targets: Value = serde_json::from_str(&read(file)).unwrap();
        for target in targets.as_array_mut().unwrap() {
            target["targets"] = serde_json::json!([ingot.to_string()]);
            target["labels"]["hostname"] = "test-host".into();
            target["labels"]["environment"] = "test".into();
        }
        targets
    };
    std::fs::create_dir_all(dir.join("targets")).unwrap();
    std::fs::create_dir_all(dir.join("integrations")).unwrap();
    std::fs::write(
        dir.join("targets/test-host.json"),
        for_this_ingot("deploy/prometheus/targets/example.json").to_string(),
    )
    .unwrap();
    if integrations {
        std::fs::write(
            dir.join("integrations/test-host.json"),
            for_this_ingot("deploy/prometheus/integrations/example.json").to_string(),
        )
        .unwrap();
    }
}

/// Starts Prometheus on loopback with the config of `prometheus_dir` in `dir`; waits until it is ready.
fn start_prometheus(dir: &Path) -> (Peer, SocketAddr) {
    let prometheus = require_binary("prometheus", "prometheus");
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut cmd = Command::new(prometheus);
    cmd.arg(format!(
        "--config.file={}",
        dir.join("prometheus.yml").display()
    ))
    .arg(format!(
        "--storage.tsdb.path={}",
        dir.join("data").display()
    ))
    .arg(format!("--web.listen-address={addr}"));
    let mut peer = Peer::spawn("prometheus", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(addr, Duration::from_secs(30));
    wait_for(
        "Prometheus to be ready",
        Duration::from_secs(30),
        || match http_get(addr, "/-/ready") {
            Ok((200, _)) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    (peer, addr)
}

/// The shipped Alertmanager config with its webhooks pointing at `webhook` and notifications sent after 1 s.
fn alertmanager_config(webhook: SocketAddr) -> String {
    let config = read("deploy/alertmanager/alertmanager.yml");
    let config = rewrite(
        &config,
        "http://127.0.0.1:5001/",
        &format!("http://{webhook}/"),
        2,
    );
    let config = rewrite(&config, "group_wait: 30s", "group_wait: 1s", 1);
    rewrite(&config, "group_interval: 5m", "group_interval: 1s", 1)
}

/// (name, query) pairs.
type Named = Vec<(String, String)>;

/// Every PromQL expression of the dashboard (panel targets), and every variable's `label_values` query.
fn dashboard_queries() -> (Named, Named) {
    let dash: Value = serde_json::from_str(&read("deploy/grafana/fleet.json")).unwrap();
    let mut exprs = Vec::new();
    for panel in dash["panels"].as_array().unwrap() {
        for t in panel["targets"].as_array().into_iter().flatten() {
            exprs.push((
                panel["title"].as_str().unwrap().to_string(),
                t["expr"].as_str().unwrap().to_string(),
            ));
        }
    }
    let mut vars = Vec::new();
    for v in dash["templating"]["list"].as_array().unwrap() {
        if v["type"] == "query" {
            vars.push((
                v["name"].as_str().unwrap().to_string(),
                v["query"]["query"].as_str().unwrap().to_string(),
            ));
        }
    }
    (exprs, vars)
}

/// Grafana's substitutions for a query run outside Grafana: every variable is "All" (`.*`), intervals are 1m.
fn substitute(expr: &str, vars: &[&str]) -> String {
    let mut q = expr
        .replace("$__rate_interval", "1m")
        .replace("${__rate_interval}", "1m")
        .replace("$__interval", "1m")
        .replace("${__interval}", "1m");
    for v in vars {
        q = q
            .replace(&format!("${{{v}}}"), ".*")
            .replace(&format!("${v}"), ".*");
    }
    assert!(!q.contains('$'), "an unknown variable is left in {q}");
    q
}

#[test]
fn shipped_configs_pass_promtool_and_amtool() {
    let promtool = require_binary("promtool", "prometheus");
    let amtool = require_binary("amtool", "prometheus-alertmanager");
    let deploy = repo().join("deploy");

    // The shipped config as is (its paths are relative to it) and the copy the end-to-end test runs.
    let out = run_tool(
        Command::new(&promtool)
            .args(["check", "config"])
            .arg(deploy.join("prometheus/prometheus.yml")),
    );
    assert!(out.contains("SUCCESS: 1 rule files found"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let p = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
    prometheus_dir(
        dir.path(),
        p(free_port()),
        p(free_port()),
        &[("HostDown", "2m")],
        true,
    );
    let out = run_tool(
        Command::new(&promtool)
            .args(["check", "config"])
            .arg(dir.path().join("prometheus.yml")),
    );
    assert!(out.contains("SUCCESS: 7 rules found"), "{out}");

    let out = run_tool(
        Command::new(&promtool)
            .args(["check", "rules"])
            .arg(deploy.join("prometheus/alerts.yml")),
    );
    assert!(out.contains("SUCCESS: 7 rules found"), "{out}");

    // Every alert rule has a unit test in alerts_test.yml, and they all pass.
    let rules = read("deploy/prometheus/alerts.yml");
    let tests = read("deploy/prometheus/alerts_test.yml");
    let alerts: BTreeSet<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert_eq!(alerts.len(), 7, "{alerts:?}");
    for alert in &alerts {
        let evals = tests.matches(&format!("alertname: {alert}\n")).count();
        assert!(
            evals >= 2,
            "{alert}: alerts_test.yml needs a firing and a not-firing case, has {evals} evaluations"
        );
    }
    let out = run_tool(
        Command::new(&promtool)
            .current_dir(deploy.join("prometheus"))
            .args(["test", "rules", "alerts_test.yml"]),
    );
    assert!(out.contains("SUCCESS"), "{out}");

    let out = run_tool(
        Command::new(&amtool)
            .args(["check-config"])
            .arg(deploy.join("alertmanager/alertmanager.yml")),
    );
    assert!(out.contains("SUCCESS"), "{out}");
    let am = dir.path().join("alertmanager.yml");
    std::fs::write(&am, alertmanager_config(p(free_port()))).unwrap();
    run_tool(Command::new(&amtool).arg("check-config").arg(&am));
}

#[test]
fn the_systemd_units_command_line_runs_ingot() {
    let unit = read("deploy/systemd/ingot.service");
    let line = |key: &str| -> Vec<String> {
        let l = unit
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("ingot.service has no {key}"));
        l.split_whitespace().map(str::to_string).collect()
    };
    for wanted in [
        "User=ingot",
        "EnvironmentFile=/etc/default/ingot",
        "Environment=HOSTNAME=%H",
        "Restart=always",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/ingot",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ] {
        assert!(unit.lines().any(|l| l == wanted), "{wanted} missing");
    }
    // Nothing may hide /proc or /sys from the collectors, nor deny the timex collector's adjtimex.
    for forbidden in [
        "ProtectProc=invisible",
        "ProcSubset=pid",
        "InaccessiblePaths",
        "ProtectClock=yes",
    ] {
        assert!(
            !unit.contains(forbidden),
            "{forbidden} hides or denies what collectors read"
        );
    }

    // /etc/default/ingot as the package installs it: the variables ExecStart names.
    let defaults = read("packaging/deb/ingot.default");
    let var = |name: &str| -> String {
        defaults
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("ingot.default has no {name}"))
            .trim_matches('"')
            .to_string()
    };
    assert_eq!(var("CONFIG_FILE"), "/etc/ingot/config.alloy");
    let config = repo().join("examples/host-pull.alloy");
    let storage = tempfile::tempdir().unwrap();
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    // The unit's own arguments as systemd expands them ($NAME splits into words), with the host paths and
    // address swapped for the test's.
    let start = line("ExecStart=");
    assert_eq!(start[0], "/usr/bin/ingot");
    let mut args = Vec::new();
    for word in &start[1..] {
        match word.strip_prefix('$') {
            Some(name) => args.extend(var(name).split_whitespace().map(str::to_string)),
            None => args.push(word.clone()),
        }
    }
    for arg in [
        "/etc/ingot/config.alloy",
        "--storage.path=/var/lib/ingot",
        "--server.http.listen-addr=0.0.0.0:12345",
    ] {
        assert!(args.iter().any(|a| a == arg), "ExecStart lacks {arg}");
    }
    let args: Vec<String> = args
        .into_iter()
        .map(|a| match a.as_str() {
            "/etc/ingot/config.alloy" => config.display().to_string(),
            "--storage.path=/var/lib/ingot" => {
                format!("--storage.path={}", storage.path().display())
            }
            "--server.http.listen-addr=0.0.0.0:12345" => {
                format!("--server.http.listen-addr={addr}")
            }
            other => other.to_string(),
        })
        .collect();
    assert_eq!(args[0], "run");
    let mut cmd = Command::new(BIN);
    cmd.args(args).env("HOSTNAME", "test-host");
    let mut peer = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(addr, Duration::from_secs(10));
    let (status, body) = http_get(addr, UNIX_PATH).unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("# TYPE node_load1 gauge"), "{body}");
    // ExecReload sends SIGHUP: ingot reloads and keeps serving.
    peer.signal(1);
    std::thread::sleep(Duration::from_millis(300));
    assert!(peer.is_running(), "{}", peer.log());
    assert_eq!(http_get(addr, "/-/ready").unwrap().0, 200);
}

#[test]
fn the_readme_quickstart_names_files_that_exist() {
    let readme = read("README.md");
    let start = readme
        .find("## Quickstart")
        .expect("README has a Quickstart section");
    let quickstart = &readme[start..];
    let mut named = BTreeSet::new();
    for word in quickstart.split(|c: char| c.is_whitespace() || "`'\"()|<>".contains(c)) {
        for prefix in ["examples/", "deploy/"] {
            if word.starts_with(prefix) {
                named.insert(word.trim_end_matches(['.', ',', ':', ';']).to_string());
            }
        }
    }
    for file in [
        "examples/host-pull.alloy",
        "deploy/systemd/ingot.service",
        "deploy/prometheus/prometheus.yml",
        "deploy/prometheus/alerts.yml",
        "deploy/prometheus/targets/example.json",
        "deploy/alertmanager/alertmanager.yml",
        "deploy/grafana/fleet.json",
    ] {
        assert!(named.contains(file), "the quickstart does not use {file}");
    }
    for file in &named {
        assert!(
            repo().join(file).exists(),
            "README quickstart names {file}, which does not exist"
        );
    }
    // The README's first two commands stay at the top.
    let first: Vec<&str> = readme
        .lines()
        .filter(|l| !l.starts_with('#') && (l.starts_with("cargo ") || l.starts_with("./")))
        .take(2)
        .collect();
    assert_eq!(
        first,
        ["cargo run --release -p ingot -- run", "./scripts/test"]
    );
}

#[test]
fn prometheus_pulls_ingot_and_alertmanager_reports_the_host_down_and_back() {
    let alertmanager = require_binary("prometheus-alertmanager", "prometheus-alertmanager");
    let loopback = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));

    let webhook = Webhook::start();
    let ingot_addr = loopback(free_port());
    let ingot_storage = tempfile::tempdir().unwrap();
    let mut ingot = start_ingot(ingot_addr, ingot_storage.path());

    let am_addr = loopback(free_port());
    let am_dir = tempfile::tempdir().unwrap();
    let am_config = am_dir.path().join("alertmanager.yml");
    std::fs::write(&am_config, alertmanager_config(webhook.addr)).unwrap();
    let mut cmd = Command::new(&alertmanager);
    cmd.arg(format!("--config.file={}", am_config.display()))
        .arg(format!(
            "--storage.path={}",
            am_dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={am_addr}"))
        .arg("--cluster.listen-address=");
    let mut am = Peer::spawn("alertmanager", cmd, tempfile::tempdir().unwrap());
    am.wait_for_port(am_addr, Duration::from_secs(20));

    let prom_dir = tempfile::tempdir().unwrap();
    prometheus_dir(
        prom_dir.path(),
        am_addr,
        ingot_addr,
        &[("HostDown", "2m")],
        false,
    );
    let (mut prom, prom_addr) = start_prometheus(prom_dir.path());
    let logs = |prom: &Peer, am: &Peer, ingot: &Peer| {
        format!(
            "--- prometheus:\n{}\n--- alertmanager:\n{}\n--- ingot:\n{}",
            prom.log(),
            am.log(),
            ingot.log()
        )
    };

    // The fleet status panel: one host up.
    let status_query = r#"count(up{job="alloy", priority=~"${priority}", environment=~"${environment}", instance!~"^localhost.*", instance=~"${instance}"} == 1) or vector(0)"#;
    let (exprs, vars) = dashboard_queries();
    assert!(
        exprs.iter().any(|(_, e)| e == status_query),
        "fleet.json lacks the seed's status query"
    );
    let var_names: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
    for v in ["priority", "environment", "instance"] {
        assert!(var_names.contains(&v), "fleet.json lacks the variable {v}");
    }
    let (_, took) = wait_for(
        "the fleet status query to return 1",
        Duration::from_secs(30),
        || match scalar(prom_addr, &substitute(status_query, &var_names))? {
            v if v == "1" => Ok(()),
            v => Err(format!("status query = {v}")),
        },
    );
    eprintln!("fleet status 1 after {took:?} (Prometheus ready)");
    let up = query(prom_addr, r#"up{job="alloy"}"#).unwrap();
    let labels = &up[0]["metric"];
    assert_eq!(labels["instance"], ingot_addr.to_string());
    for (k, v) in [
        ("hostname", "test-host"),
        ("environment", "test"),
        ("maintainers", "admin@domain.com"),
        ("priority", "high"),
    ] {
        assert_eq!(labels[k], v, "label {k} of {labels}");
    }

    // Every dashboard query runs, and returns data (the host panels need two scrapes for rate()).
    for (title, expr) in &exprs {
        let q = substitute(expr, &var_names);
        wait_for(
            &format!("panel {title:?}: {q}"),
            Duration::from_secs(30),
            || match query(prom_addr, &q)? {
                r if r.is_empty() => Err("no data".to_string()),
                _ => Ok(()),
            },
        );
    }
    // The variables' label_values() queries, as Grafana runs them (the label values API with a matcher).
    for (name, q) in &vars {
        let inner = q
            .strip_prefix("label_values(")
            .and_then(|s| s.strip_suffix(')'))
            .unwrap_or_else(|| panic!("variable {name}: not label_values(): {q}"));
        let (selector, label) = inner.rsplit_once(", ").unwrap();
        let selector = substitute(selector, &var_names);
        let (status, body) = http_get(
            prom_addr,
            &format!(
                "/api/v1/label/{label}/values?match[]={}",
                url_encode(&selector)
            ),
        )
        .unwrap();
        assert_eq!(status, 200, "variable {name}: {body}");
        let values: Value = serde_json::from_str(&body).unwrap();
        let want = match label {
            "environment" => "test".to_string(),
            "priority" => "high".to_string(),
            "instance" => ingot_addr.to_string(),
            other => panic!("variable {name} on an unexpected label {other}"),
        };
        assert_eq!(
            values["data"],
            serde_json::json!([want]),
            "variable {name}: {body}"
        );
    }
    assert!(webhook.alerts("HostDown").is_empty());

    // Stop ingot: up goes to 0 and HostDown reaches the webhook through Alertmanager, on the critical route.
    ingot.signal(15);
    let status = ingot.wait_exit(Duration::from_secs(10));
    assert!(status.is_some_and(|s| s.success()), "{}", ingot.log());
    let stopped = Instant::now();
    let (_, took) = wait_for("up to be 0", Duration::from_secs(20), || {
        match scalar(prom_addr, r#"up{job="alloy", hostname="test-host"}"#)? {
            v if v == "0" => Ok(()),
            v => Err(format!("up = {v}")),
        }
    });
    eprintln!("up 0 after {took:?}");
    assert_eq!(
        scalar(prom_addr, &substitute(status_query, &var_names)).unwrap(),
        "0"
    );
    let (fired, _) = wait_for(
        "HostDown to reach the webhook",
        Duration::from_secs(60),
        || {
            webhook
                .alerts("HostDown")
                .into_iter()
                .find(|(_, a)| a["status"] == "firing")
                .ok_or_else(|| logs(&prom, &am, &ingot))
        },
    );
    let fire_time = stopped.elapsed();
    eprintln!("HostDown reached the webhook {fire_time:?} after ingot stopped (for: 2s)");
    let (path, alert) = fired;
    assert_eq!(path, "/alerts/critical", "routed by severity");
    assert_eq!(alert["labels"]["severity"], "critical");
    assert_eq!(alert["labels"]["hostname"], "test-host");
    assert_eq!(alert["labels"]["instance"], ingot_addr.to_string());
    assert_eq!(
        alert["annotations"]["summary"],
        format!("Host test-host ({ingot_addr}) is down")
    );
    assert!(alert["annotations"]["description"]
        .as_str()
        .unwrap()
        .contains("Maintainers: admin@domain.com."));

    // Start it again on the same address: up is 1 and the resolved notification arrives.
    let restarted = Instant::now();
    ingot = start_ingot(ingot_addr, ingot_storage.path());
    wait_for(
        "up to be 1 again",
        Duration::from_secs(20),
        || match scalar(prom_addr, r#"up{job="alloy", hostname="test-host"}"#)? {
            v if v == "1" => Ok(()),
            v => Err(format!("up = {v}")),
        },
    );
    let (resolved, _) = wait_for(
        "the resolved HostDown to reach the webhook",
        Duration::from_secs(60),
        || {
            webhook
                .alerts("HostDown")
                .into_iter()
                .find(|(_, a)| a["status"] == "resolved")
                .ok_or_else(|| logs(&prom, &am, &ingot))
        },
    );
    eprintln!(
        "resolved HostDown reached the webhook {:?} after ingot restarted",
        restarted.elapsed()
    );
    assert_eq!(resolved.0, "/alerts/critical");
    assert_eq!(resolved.1["labels"]["instance"], ingot_addr.to_string());
    assert_eq!(
        scalar(prom_addr, &substitute(status_query, &var_names)).unwrap(),
        "1"
    );
    assert!(
        prom.is_running() && am.is_running(),
        "{}",
        logs(&prom, &am, &ingot)
    );
}

/// The component ids (`name.label`) declared in an example config.
fn component_ids(config: &str) -> Vec<String> {
    config
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once(" \"")?;
            let (label, tail) = rest.split_once('"')?;
            (name.contains('.') && !name.starts_with("//") && tail.trim() == "{")
                .then(|| format!("{name}.{label}"))
        })
        .collect()
}

#[test]
fn target_files_are_in_the_seeds_form() {
    let hosts: Value =
        serde_json::from_str(&read("deploy/prometheus/targets/example.json")).unwrap();
    let integrations: Value =
        serde_json::from_str(&read("deploy/prometheus/integrations/example.json")).unwrap();
    for (file, groups) in [("targets", &hosts), ("integrations", &integrations)] {
        for group in groups.as_array().unwrap() {
            for t in group["targets"].as_array().unwrap() {
                assert!(t.as_str().unwrap().ends_with(":12345"), "{file}: {t}");
            }
            for label in [
                "hostname",
                "environment",
                "maintainers",
                "priority",
                "__metrics_path__",
            ] {
                assert!(
                    group["labels"][label].is_string(),
                    "{file}: {label} missing in {group}"
                );
            }
        }
    }
    assert_eq!(hosts[0]["labels"]["__metrics_path__"], UNIX_PATH);
    assert!(component_ids(&read("examples/host-pull.alloy"))
        .contains(&"prometheus.exporter.unix.localhost".to_string()));
    // Each integration target is an exporter of the postgres and nginx example, by its component id.
    let ids = component_ids(&read("examples/host-postgres-nginx.alloy"));
    assert_eq!(
        ids,
        [
            "prometheus.exporter.unix.localhost",
            "prometheus.exporter.postgres.db",
            "prometheus.exporter.nginx.web"
        ]
    );
    let paths: Vec<&str> = integrations
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["labels"]["__metrics_path__"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/api/v0/component/prometheus.exporter.postgres.db/metrics",
            "/api/v0/component/prometheus.exporter.nginx.web/metrics"
        ]
    );
}

#[test]
fn postgres_nginx_and_endpoint_alerts_fire_from_the_integration_targets() {
    let registry = ingot::registry::registry();
    for name in ["prometheus.exporter.postgres", "prometheus.exporter.nginx"] {
        assert!(registry.get(name).is_some(), "{name} is not registered");
    }
    // The postgres and nginx example, pointed at loopback ports where nothing listens: pg_up and nginx_up are 0.
    let config = read("examples/host-postgres-nginx.alloy");
    let config = rewrite(
        &config,
        "localhost:5432",
        &format!("127.0.0.1:{}", free_port()),
        1,
    );
    let config = rewrite(
        &config,
        "127.0.0.1:8080",
        &format!("127.0.0.1:{}", free_port()),
        2,
    );
    let ingot_dir = tempfile::tempdir().unwrap();
    let config_path = ingot_dir.path().join("config.alloy");
    std::fs::write(&config_path, config).unwrap();
    let ingot_addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(&config_path)
        .arg(format!("--server.http.listen-addr={ingot_addr}"))
        .arg(format!(
            "--storage.path={}",
            ingot_dir.path().join("data").display()
        ))
        .env("PG_MONITOR_PASSWORD", "not-in-any-metric");
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(ingot_addr, Duration::from_secs(10));

    let prom_dir = tempfile::tempdir().unwrap();
    let nowhere = SocketAddr::from(([127, 0, 0, 1], free_port()));
    prometheus_dir(
        prom_dir.path(),
        nowhere,
        ingot_addr,
        &[
            ("PostgresDown", "2m"),
            ("NginxDown", "2m"),
            ("ExporterEndpointDown", "5m"),
        ],
        true,
    );
    // A third integration target for a component this ingot does not run: its endpoint fails.
    let file = prom_dir.path().join("integrations/test-host.json");
    let mut targets: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let mut missing = targets[0].clone();
    missing["labels"]["exporter"] = "mysql".into();
    missing["labels"]["__metrics_path__"] =
        "/api/v0/component/prometheus.exporter.mysql.db/metrics".into();
    targets.as_array_mut().unwrap().push(missing);
    std::fs::write(&file, targets.to_string()).unwrap();
    let (prom, prom_addr) = start_prometheus(prom_dir.path());

    let firing = |alert: &str| -> Result<Vec<Value>, String> {
        let r = query(
            prom_addr,
            &format!(r#"ALERTS{{alertname="{alert}", alertstate="firing"}}"#),
        )?;
        if r.is_empty() {
            Err(format!(
                "{alert} not firing; alerts: {:?}; prometheus:\n{}\ningot:\n{}",
                query(prom_addr, "ALERTS"),
                prom.log(),
                ingot.log()
            ))
        } else {
            Ok(r)
        }
    };
    for (alert, exporter) in [
        ("PostgresDown", "postgres"),
        ("NginxDown", "nginx"),
        ("ExporterEndpointDown", "mysql"),
    ] {
        let (r, took) = wait_for(&format!("{alert} to fire"), Duration::from_secs(30), || {
            firing(alert)
        });
        eprintln!("{alert} firing after {took:?}");
        assert_eq!(r.len(), 1, "{r:?}");
        let labels = &r[0]["metric"];
        assert_eq!(labels["exporter"], exporter, "{labels}");
        assert_eq!(labels["hostname"], "test-host", "{labels}");
        assert_eq!(labels["job"], "alloy-integrations", "{labels}");
    }
    // The postgres and nginx endpoints answer (up 1); only the missing component's fails.
    for (exporter, want) in [("postgres", "1"), ("nginx", "1"), ("mysql", "0")] {
        assert_eq!(
            scalar(
                prom_addr,
                &format!(r#"up{{job="alloy-integrations", exporter="{exporter}"}}"#)
            )
            .unwrap(),
            want,
            "{exporter}"
        );
    }
    assert_eq!(
        scalar(prom_addr, r#"up{job="alloy", hostname="test-host"}"#).unwrap(),
        "1"
    );
    assert!(query(prom_addr, r#"ALERTS{alertname="HostDown"}"#)
        .unwrap()
        .is_empty());
    // The password given to the postgres exporter is in no series Prometheus stored.
    let (_, body) = http_get(
        prom_addr,
        &format!(
            "/api/v1/series?match[]={}",
            url_encode(r#"{job=~"alloy.*"}"#)
        ),
    )
    .unwrap();
    assert!(body.contains("pg_up") && !body.contains("not-in-any-metric"));
    assert!(ingot.is_running(), "{}", ingot.log());
}
