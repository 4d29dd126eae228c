//! `prometheus.receive_http` against hostile senders, with the real binary: a snappy bomb, many of them at
//! once, an oversized body, and a thousand idle connections. The agent answers each with the limit named,
//! its memory stays bounded, its API stays responsive, and its descriptor limit is raised as Go's is.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use ingot_prom::remote_write::encode::snappy_compress;
use ingot_testkit::{free_port, http_get, status_kib, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

fn start(relay_port: u16) -> (Peer, SocketAddr) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("relay.alloy");
    std::fs::write(
        &config,
        format!(
            "prometheus.receive_http \"relay\" {{\n  http {{\n    listen_address      = \"127.0.0.1\"\n    listen_port         = {relay_port}\n    server_idle_timeout = \"1s\"\n    server_read_timeout = \"2s\"\n  }}\n  forward_to = []\n}}\n"
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
    let mut peer = Peer::spawn("ingot", cmd, dir);
    peer.wait_for_port(addr, Duration::from_secs(15));
    peer.wait_for_port(
        SocketAddr::from(([127, 0, 0, 1], relay_port)),
        Duration::from_secs(15),
    );
    (peer, addr)
}

/// POSTs `body` as a Remote Write request; the status and the answer.
fn post(addr: SocketAddr, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /api/v1/metrics/write HTTP/1.1\r\nHost: relay\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer before the whole body is sent (an oversized one).
    let _ = s.write_all(body);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn bombs_oversized_bodies_and_idle_connections_are_bounded() {
    let relay_port = free_port();
    let (mut ingot, api) = start(relay_port);
    let relay = SocketAddr::from(([127, 0, 0, 1], relay_port));

    // The descriptor limit is raised to the hard limit, as Go's runtime does.
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", ingot.pid())).unwrap();
    let files = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let numbers: Vec<&str> = files
        .split_whitespace()
        .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(numbers.len(), 2, "{files}");
    assert_eq!(numbers[0], numbers[1], "soft limit not raised: {files}");

    // 16 MiB of empty series in well under a megabyte.
    let raw: Vec<u8> = [0x0a, 0x00].repeat(8 << 20);
    let mut bomb = Vec::new();
    snappy_compress(&raw, &mut bomb);
    assert!(bomb.len() < 1 << 20);
    let rss_before = status_kib(ingot.pid(), "VmRSS");
    let (status, text) = post(relay, &bomb);
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("the receiver's limit"), "{text}");
    // Eight at once: refused, and memory stays near where it was.
    let senders: Vec<_> = (0..8)
        .map(|_| {
            let bomb = bomb.clone();
            std::thread::spawn(move || post(relay, &bomb).0)
        })
        .collect();
    for s in senders {
        assert_eq!(s.join().unwrap(), 413);
    }
    let rss_after = status_kib(ingot.pid(), "VmRSS");
    eprintln!("resident memory: {rss_before} KiB before nine snappy bombs, {rss_after} KiB after");
    assert!(
        rss_after < rss_before + 200 * 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB\n{}",
        ingot.log()
    );

    // A body over the limit: 413 naming it.
    let big = vec![0u8; 9 << 20];
    let (status, text) = post(relay, &big);
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("8388608 bytes"), "{text}");

    // A thousand idle connections: the API still answers, and the idle ones are closed after
    // server_idle_timeout.
    let _ = ingot_hostfs::sys::raise_open_files_limit();
    let idle: Vec<TcpStream> = (0..1000)
        .map(|_| TcpStream::connect(relay).unwrap())
        .collect();
    let t = Instant::now();
    assert_eq!(http_get(api, "/-/ready").unwrap().0, 200);
    assert!(t.elapsed() < Duration::from_secs(2));
    std::thread::sleep(Duration::from_secs(4));
    let mut closed = 0;
    for mut c in idle {
        c.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut b = [0u8; 1];
        if matches!(c.read(&mut b), Ok(0)) {
            closed += 1;
        }
    }
    assert_eq!(closed, 1000, "idle connections left open\n{}", ingot.log());
    assert!(ingot.is_running(), "{}", ingot.log());
}
