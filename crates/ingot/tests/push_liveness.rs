//! Push mode keeps `up` (issue 9), end to end on loopback: Debian's Prometheus with the remote-write
//! receiver and a host-down rule; a relay ingot (`prometheus.receive_http` with a `liveness` block →
//! `prometheus.remote_write` to Prometheus); two host ingots (`prometheus.exporter.unix` →
//! `prometheus.scrape` → `prometheus.remote_write` to the relay), host B through a proxy that can answer
//! 500.
//!
//! * Both hosts are `up` 1 in Prometheus.
//! * Host A is SIGKILLed while B's pushes fail (the proxy answers 500 for a while, then forwards again):
//!   A's `up` turns 0 within `down_after` plus slack and the `up == 0` rule fires for A; B never shows 0,
//!   and the samples it scraped during the outage reach Prometheus afterwards.
//! * Restarting A turns it back to 1.
//! * Stopping B cleanly (SIGTERM) writes no staleness markers (as Prometheus and Alloy): B goes to 0 after
//!   `down_after` and `HostDown` fires for it, as a stopped host does in pull mode.
//! * Decommissioning B at the relay (`POST .../liveness/forget`) ends its `up`: it disappears, and is not
//!   written 0 again.
//!
//! Every wait is bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ingot_testkit::{free_port, http_get, poll_until, require_binary, url_encode, Peer};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ingot");
const DOWN_AFTER: Duration = Duration::from_secs(5);
const OUTAGE: Duration = Duration::from_secs(3);

fn addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}

fn wait_for<T>(
    what: &str,
    timeout: Duration,
    logs: &[&Peer],
    f: impl FnMut() -> Result<T, String>,
) -> T {
    poll_until(what, timeout, Duration::from_millis(100), logs, f).0
}

fn prom_get(prom: SocketAddr, path: &str) -> Result<Value, String> {
    let (status, body) = http_get(prom, path).map_err(|e| format!("{path}: {e}"))?;
    let v: Value =
        serde_json::from_str(&body).map_err(|e| format!("HTTP {status}: {e}: {body}"))?;
    if v["status"] != "success" {
        return Err(format!("HTTP {status}: {body}"));
    }
    Ok(v["data"].clone())
}

/// `/api/v1/query` at `time` (seconds) or now: the result vector.
fn query(prom: SocketAddr, q: &str, time: Option<f64>) -> Result<Vec<Value>, String> {
    let t = time.map(|t| format!("&time={t:.3}")).unwrap_or_default();
    let data = prom_get(prom, &format!("/api/v1/query?query={}{t}", url_encode(q)))?;
    data["result"]
        .as_array()
        .cloned()
        .ok_or_else(|| format!("no result: {data}"))
}

/// The value of `up` for one host, `None` when Prometheus has no current sample (absent or stale).
fn up_of(prom: SocketAddr, instance: &str) -> Result<Option<String>, String> {
    let r = query(
        prom,
        &format!("up{{job=\"integrations/unix\",instance=\"{instance}\"}}"),
        None,
    )?;
    match r.as_slice() {
        [] => Ok(None),
        [one] => Ok(one["value"][1].as_str().map(str::to_string)),
        more => Err(format!("several up series for {instance}: {more:?}")),
    }
}

fn expect_up(prom: SocketAddr, instance: &str, want: &str) -> Result<(), String> {
    match up_of(prom, instance)? {
        Some(v) if v == want => Ok(()),
        other => Err(format!("up{{instance={instance:?}}} = {other:?}")),
    }
}

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn start_prometheus(dir: &Path) -> (Peer, SocketAddr) {
    let bin = require_binary("prometheus", "prometheus");
    std::fs::write(
        dir.join("rules.yml"),
        r#"groups:
  - name: hosts
    rules:
      - alert: HostDown
        expr: up{job="integrations/unix"} == 0
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global:\n  evaluation_interval: 1s\nrule_files:\n  - {}\n",
            dir.join("rules.yml").display()
        ),
    )
    .unwrap();
    let addr = addr();
    let mut cmd = Command::new(bin);
    cmd.arg(format!(
        "--config.file={}",
        dir.join("prometheus.yml").display()
    ))
    .arg(format!(
        "--storage.tsdb.path={}",
        dir.join("prom-data").display()
    ))
    .arg(format!("--web.listen-address={addr}"))
    .arg("--web.enable-remote-write-receiver");
    let mut peer = Peer::spawn("prometheus", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_ready(addr, "/-/ready", Duration::from_secs(30));
    (peer, addr)
}

/// Starts `ingot run` on `config` with its data in `dir`; `hostname` becomes the unix exporter's
/// `instance`.
fn start_ingot(name: &str, dir: &Path, config: &str, hostname: &str) -> (Peer, SocketAddr) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("config.alloy"), config).unwrap();
    let http = addr();
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(dir.join("config.alloy"))
        .arg(format!("--server.http.listen-addr={http}"))
        .arg(format!("--storage.path={}", dir.join("data").display()))
        .env("HOSTNAME", hostname);
    let mut peer = Peer::spawn(name, cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(http, Duration::from_secs(15));
    (peer, http)
}

fn host_config(push_to: SocketAddr) -> String {
    format!(
        r#"
prometheus.exporter.unix "host" {{
  set_collectors = ["cpu", "loadavg", "meminfo"]
}}

prometheus.scrape "host" {{
  targets         = prometheus.exporter.unix.host.targets
  forward_to      = [prometheus.remote_write.relay.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "1s"
}}

prometheus.remote_write "relay" {{
  endpoint {{
    url = "http://{push_to}/api/v1/metrics/write"
    queue_config {{
      batch_send_deadline = "200ms"
      min_backoff         = "100ms"
      max_backoff         = "500ms"
    }}
  }}
}}
"#
    )
}

/// A proxy between a host and the relay that answers 500 while `failing` is set and forwards otherwise.
struct Proxy {
    addr: SocketAddr,
    failing: Arc<AtomicBool>,
    refused: Arc<AtomicU64>,
}

/// A request line, its headers and its body.
type Request = (String, Vec<(String, String)>, Vec<u8>);

fn read_request(r: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let request_line = line.trim_end().to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some((request_line, headers, body))
}

fn forward(
    upstream: SocketAddr,
    request_line: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect_timeout(&upstream, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!("{request_line}\r\n");
    for (k, v) in headers {
        if !k.eq_ignore_ascii_case("connection") {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    req.push_str("Connection: close\r\n\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)?;
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(502);
    Ok((status, resp[split + 4..].to_vec()))
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let failing = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(AtomicU64::new(0));
        let (f, n) = (failing.clone(), refused.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (f, n) = (f.clone(), n.clone());
                std::thread::spawn(move || {
                    let mut w = conn.try_clone().unwrap();
                    let mut r = BufReader::new(conn);
                    while let Some((line, headers, body)) = read_request(&mut r) {
                        let (status, body) = if f.load(Ordering::SeqCst) {
                            n.fetch_add(1, Ordering::SeqCst);
                            (500, b"proxy: simulated outage\n".to_vec())
                        } else {
                            forward(upstream, &line, &headers, &body)
                                .unwrap_or_else(|e| (502, format!("proxy: {e}\n").into_bytes()))
                        };
                        let head = format!(
                            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n\r\n",
                            body.len()
                        );
                        if w.write_all(head.as_bytes()).is_err() || w.write_all(&body).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Proxy {
            addr,
            failing,
            refused,
        }
    }
}

fn relay_metric(relay_http: SocketAddr, name: &str, label: &str) -> Result<f64, String> {
    let (_, body) = http_get(relay_http, "/metrics").map_err(|e| e.to_string())?;
    body.lines()
        .find(|l| l.starts_with(name) && l.contains(label) && l.contains("receive_http.relay"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no {name}{{{label}}} in the relay's /metrics"))
}

#[test]
fn push_mode_keeps_up_through_a_relay() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (prom, prom_addr) = start_prometheus(dir.path());

    let relay_port = free_port();
    let relay_config = format!(
        r#"
prometheus.receive_http "relay" {{
  http {{
    listen_address = "127.0.0.1"
    listen_port    = {relay_port}
  }}
  liveness {{
    down_after     = "{down}s"
    check_interval = "500ms"
    forget_after   = "10m"
  }}
  forward_to = [prometheus.remote_write.prom.receiver]
}}

prometheus.remote_write "prom" {{
  endpoint {{
    url = "http://{prom_addr}/api/v1/write"
    queue_config {{
      batch_send_deadline = "200ms"
      min_backoff         = "100ms"
      max_backoff         = "500ms"
    }}
  }}
}}
"#,
        down = DOWN_AFTER.as_secs()
    );
    let (mut relay, relay_http) =
        start_ingot("relay", &dir.path().join("relay"), &relay_config, "relay");
    let relay_addr = SocketAddr::from(([127, 0, 0, 1], relay_port));
    relay.wait_for_port(relay_addr, Duration::from_secs(10));
    let proxy = Proxy::start(relay_addr);

    let a_dir = dir.path().join("host-a");
    let a_config = host_config(relay_addr);
    let (mut host_a, _) = start_ingot("host-a", &a_dir, &a_config, "host-a");
    let (mut host_b, _) = start_ingot(
        "host-b",
        &dir.path().join("host-b"),
        &host_config(proxy.addr),
        "host-b",
    );

    wait_for(
        "up 1 for both hosts",
        Duration::from_secs(20),
        &[&prom, &relay, &host_a, &host_b],
        || {
            expect_up(prom_addr, "host-a", "1")?;
            expect_up(prom_addr, "host-b", "1")
        },
    );
    eprintln!("both hosts up after {:?}", started.elapsed());

    // A crashes while B's pushes fail for a while.
    proxy.failing.store(true, Ordering::SeqCst);
    let outage_start = now_s();
    let failing = proxy.failing.clone();
    let outage = std::thread::spawn(move || {
        std::thread::sleep(OUTAGE);
        failing.store(false, Ordering::SeqCst);
    });
    host_a.signal(9);
    let killed = Instant::now();
    assert!(host_a.wait_exit(Duration::from_secs(5)).is_some());
    // B is checked on every poll until A is reported down, and for the outage.
    let mut b_checks = 0;
    wait_for(
        "up 0 for the killed host A",
        DOWN_AFTER + Duration::from_secs(5),
        &[&relay],
        || {
            if let Err(e) = expect_up(prom_addr, "host-b", "1") {
                panic!("host B, delayed: {e}");
            }
            b_checks += 1;
            expect_up(prom_addr, "host-a", "0")
        },
    );
    let detected = killed.elapsed();
    eprintln!("host A reported down {detected:?} after SIGKILL (down_after {DOWN_AFTER:?})");
    assert!(
        detected >= DOWN_AFTER - Duration::from_millis(1500),
        "{detected:?}: well before down_after (its last delivery preceded the kill by at most a scrape interval)"
    );
    assert!(b_checks > 5);
    outage.join().unwrap();
    assert!(
        proxy.refused.load(Ordering::SeqCst) > 0,
        "the proxy refused nothing: B's pushes were never delayed"
    );

    wait_for(
        "HostDown firing for host-a only",
        Duration::from_secs(5),
        &[&prom],
        || {
            let alerts = prom_get(prom_addr, "/api/v1/alerts")?;
            let firing: Vec<&Value> = alerts["alerts"]
                .as_array()
                .ok_or("no alerts array")?
                .iter()
                .filter(|a| a["state"] == "firing" && a["labels"]["alertname"] == "HostDown")
                .collect();
            match firing.as_slice() {
                [one] if one["labels"]["instance"] == "host-a" => Ok(()),
                other => Err(format!("firing: {other:?}")),
            }
        },
    );
    let down = relay_metric(
        relay_http,
        "prometheus_receive_http_liveness_hosts",
        "state=\"down\"",
    )
    .unwrap();
    assert_eq!(down, 1.0, "hosts down on the relay");

    // The samples B scraped during the outage arrived afterwards, with their own timestamps.
    wait_for(
        "host B's outage backlog in Prometheus",
        Duration::from_secs(10),
        &[&prom, &relay, &host_b],
        || {
            let q = format!(
                "count_over_time(scrape_samples_scraped{{instance=\"host-b\"}}[{}s])",
                OUTAGE.as_secs()
            );
            let r = query(prom_addr, &q, Some(outage_start + OUTAGE.as_secs_f64()))?;
            let n: f64 = r
                .first()
                .and_then(|s| s["value"][1].as_str())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0);
            if n >= 2.0 {
                Ok(())
            } else {
                Err(format!("{n} scrapes of B during the outage: {r:?}"))
            }
        },
    );

    // A restarts (with its WAL): back to 1.
    let restarted = Instant::now();
    let (host_a2, _) = start_ingot("host-a", &a_dir, &a_config, "host-a");
    wait_for(
        "up 1 for the restarted host A",
        Duration::from_secs(15),
        &[&relay, &host_a2],
        || expect_up(prom_addr, "host-a", "1"),
    );
    eprintln!("host A up again {:?} after restart", restarted.elapsed());

    // Over the run so far, B's up was never 0: the outage did not make it look dead.
    let range = started.elapsed().as_secs() + 5;
    let r = query(
        prom_addr,
        &format!("min_over_time(up{{instance=\"host-b\"}}[{range}s])"),
        None,
    )
    .unwrap();
    assert_eq!(
        r.first().and_then(|s| s["value"][1].as_str()),
        Some("1"),
        "min of B's up before it stopped: {r:?}"
    );

    // B stops cleanly: no staleness markers, so the relay sees silence and B goes to 0 and pages, as a
    // stopped host does in pull mode.
    host_b.signal(15);
    assert!(
        host_b.wait_exit(Duration::from_secs(15)).is_some(),
        "host B did not stop on SIGTERM"
    );
    assert!(
        !host_b.log().contains("level=error"),
        "host B stopped with errors:\n{}",
        host_b.log()
    );
    let stopped = Instant::now();
    wait_for(
        "up 0 for the cleanly stopped host B",
        DOWN_AFTER + Duration::from_secs(10),
        &[&relay],
        || expect_up(prom_addr, "host-b", "0"),
    );
    assert!(
        stopped.elapsed() >= DOWN_AFTER - Duration::from_secs(1),
        "B went to 0 before down_after: {:?}",
        stopped.elapsed()
    );
    wait_for(
        "HostDown firing for host-b",
        Duration::from_secs(15),
        &[&relay],
        || {
            let alerts = prom_get(prom_addr, "/api/v1/alerts")?;
            let firing = alerts["alerts"]
                .as_array()
                .ok_or("no alerts array")?
                .iter()
                .any(|a| {
                    a["state"] == "firing"
                        && a["labels"]["alertname"] == "HostDown"
                        && a["labels"]["instance"] == "host-b"
                });
            if firing {
                Ok(())
            } else {
                Err(format!("{alerts}"))
            }
        },
    );

    // B is decommissioned at the relay: its up ends and stays ended.
    let forget = ingot_testkit::http_request(
        relay_http,
        "POST",
        "/api/v0/component/prometheus.receive_http.relay/liveness/forget?job=integrations%2Funix&instance=host-b",
        "",
    )
    .unwrap();
    assert_eq!(forget.0, 200, "{}", forget.1);
    wait_for(
        "host B's up ended after it was decommissioned",
        Duration::from_secs(5),
        &[&relay],
        || match up_of(prom_addr, "host-b")? {
            None => Ok(()),
            Some(v) => Err(format!("up = {v}")),
        },
    );
    let forgotten_at = Instant::now();
    while forgotten_at.elapsed() < Duration::from_secs(2) {
        assert_eq!(
            up_of(prom_addr, "host-b").unwrap(),
            None,
            "a decommissioned host must not come back as 0"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let unknown = ingot_testkit::http_request(
        relay_http,
        "POST",
        "/api/v0/component/prometheus.receive_http.relay/liveness/forget?job=integrations%2Funix&instance=host-b",
        "",
    )
    .unwrap();
    assert_eq!(unknown.0, 404, "{}", unknown.1);
    eprintln!("whole test: {:?}", started.elapsed());
}
