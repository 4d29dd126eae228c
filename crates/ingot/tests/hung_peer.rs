//! A peer that accepts connections and never answers (a hung PostgreSQL, a hung nginx) behind
//! `prometheus.exporter.postgres` and `prometheus.exporter.nginx`, with the real binary. Hundreds of scrapes
//! pile up on both exporters, their clients giving up or sending a scrape timeout, and meanwhile:
//!
//! * `/-/ready`, `/metrics` and another exporter answer at once;
//! * the agent holds no thread per waiting request (its thread count stays small);
//! * a scrape that sent `X-Prometheus-Scrape-Timeout-Seconds` is answered when that time is up, naming it;
//! * the hung peer sees one connection at a time per exporter (one gather shared by every request);
//! * the exporter's health names the timeout once its own gather gives up.
//!
//! Every wait is bounded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ingot_testkit::{free_port, http_get, poll_until, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

/// Accepts every connection and keeps it open, answering nothing.
struct HungPeer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl HungPeer {
    fn start() -> HungPeer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let held = Arc::new(Mutex::new(Vec::new()));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                held.lock().unwrap().push(stream);
            }
        });
        HungPeer { addr, accepted }
    }
}

fn threads(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Sends a GET and leaves the connection open; the caller reads or drops it.
fn send(addr: SocketAddr, path: &str, extra: &str) -> TcpStream {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\r\n"
    )
    .unwrap();
    s
}

fn timed_get(addr: SocketAddr, path: &str) -> (u16, Duration) {
    let started = Instant::now();
    let (status, _) = http_get(addr, path).unwrap();
    (status, started.elapsed())
}

#[test]
fn a_hung_peer_never_freezes_the_api_or_another_exporter() {
    let pg = HungPeer::start();
    let nginx = HungPeer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.alloy");
    std::fs::write(
        &config,
        format!(
            r#"
prometheus.exporter.postgres "hung" {{
  data_source_names = ["postgresql://u:secretpw@{pg}/db?sslmode=disable"]
}}

prometheus.exporter.nginx "hung" {{
  scrape_uri = "http://{nginx}/stub_status"
  timeout    = "8s"
}}

prometheus.exporter.unix "host" {{
  set_collectors = ["loadavg"]
}}
"#,
            pg = pg.addr,
            nginx = nginx.addr
        ),
    )
    .unwrap();
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(&config)
        .arg(format!("--server.http.listen-addr={addr}"))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ));
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(addr, Duration::from_secs(15));
    let pid = ingot.pid();
    let idle_threads = threads(pid);

    let pg_path = "/api/v0/component/prometheus.exporter.postgres.hung/metrics";
    let nginx_path = "/api/v0/component/prometheus.exporter.nginx.hung/metrics";
    // 300 scrapes wait on each exporter; their clients never read and go away below.
    let mut waiting = Vec::new();
    for _ in 0..300 {
        waiting.push(send(addr, pg_path, ""));
        waiting.push(send(addr, nginx_path, ""));
    }
    // Scrapes that say how long they wait.
    let timed: Vec<(Instant, TcpStream)> = (0..10)
        .map(|i| {
            let path = if i % 2 == 0 { pg_path } else { nginx_path };
            let s = send(addr, path, "X-Prometheus-Scrape-Timeout-Seconds: 1.5\r\n");
            (Instant::now(), s)
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));

    // The API and another exporter answer while 600 requests wait.
    for path in [
        "/-/ready",
        "/metrics",
        "/api/v0/component/prometheus.exporter.unix.host/metrics",
        "/api/v0/web/components",
    ] {
        let (status, took) = timed_get(addr, path);
        assert_eq!(status, 200, "{path}\n{}", ingot.log());
        assert!(
            took < Duration::from_secs(2),
            "{path} took {took:?} while scrapes wait on a hung peer"
        );
    }
    let busy_threads = threads(pid);
    eprintln!(
        "threads: {idle_threads} idle, {busy_threads} with 600 scrapes waiting on hung peers"
    );
    assert!(
        busy_threads <= idle_threads + 8,
        "{busy_threads} threads with 600 waiting requests ({idle_threads} idle): a thread per request"
    );

    // The scrapes that sent a timeout are answered when it is up, with the reason.
    for (sent, mut s) in timed {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        let took = sent.elapsed();
        assert!(raw.starts_with("HTTP/1.1 503"), "{raw}");
        assert!(
            raw.contains("did not answer within the scrape timeout the client sent")
                && raw.contains("1.5s"),
            "{raw}"
        );
        assert!(
            took >= Duration::from_millis(1400) && took < Duration::from_secs(4),
            "answered after {took:?}"
        );
    }

    // One gather at a time per exporter reaches the peer, not one per request.
    assert!(
        pg.accepted.load(Ordering::SeqCst) <= 2,
        "{} connections to the hung PostgreSQL",
        pg.accepted.load(Ordering::SeqCst)
    );
    assert!(
        nginx.accepted.load(Ordering::SeqCst) <= 2,
        "{} connections to the hung nginx",
        nginx.accepted.load(Ordering::SeqCst)
    );

    // The clients give up; the agent is as before.
    drop(waiting);
    let (status, took) = timed_get(addr, "/-/ready");
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(2), "{took:?}");

    // The exporters' own gathers give up at their timeouts (10 s for postgres, 8 s for nginx here), and
    // health says why, without the password.
    poll_until(
        "health to name the hung peers",
        Duration::from_secs(30),
        Duration::from_millis(250),
        &[&ingot],
        || {
            let (_, body) = http_get(addr, "/api/v0/web/components").map_err(|e| e.to_string())?;
            let list: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
            let message = |id: &str| -> String {
                list.as_array()
                    .into_iter()
                    .flatten()
                    .find(|c| c["localID"] == id)
                    .map(|c| c["health"]["message"].as_str().unwrap_or("").to_string())
                    .unwrap_or_default()
            };
            let (pg_msg, nginx_msg) = (
                message("prometheus.exporter.postgres.hung"),
                message("prometheus.exporter.nginx.hung"),
            );
            if pg_msg.contains("did not finish within 10s")
                && nginx_msg.contains(&nginx.addr.to_string())
                && nginx_msg.contains("8s")
            {
                assert!(!body.contains("secretpw"), "{body}");
                Ok(())
            } else {
                Err(format!("postgres: {pg_msg:?}; nginx: {nginx_msg:?}"))
            }
        },
    );
}
