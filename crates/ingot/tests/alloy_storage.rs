//! Pointed at an Alloy storage path, ingot leaves Alloy's data alone: the remote_write WAL Alloy keeps at
//! `prometheus.remote_write.<label>/wal` (Prometheus' WAL format, here written by Debian's Prometheus in
//! agent mode, which is the same code) is moved aside byte for byte, said so in the log, and ingot's own
//! WAL starts in its place and delivers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ingot_testkit::remote_write_sink::RemoteWriteSink;
use ingot_testkit::{free_port, http_get, poll_until, require_binary, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

/// Every file under `dir` with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

/// A Prometheus-format WAL with records in it: Prometheus in agent mode scraping itself, stopped cleanly.
fn prometheus_agent_wal(dir: &Path) -> std::path::PathBuf {
    let bin = require_binary("prometheus", "prometheus");
    let sink = RemoteWriteSink::start();
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    std::fs::write(
        dir.join("agent.yml"),
        format!(
            "global:\n  scrape_interval: 200ms\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['{addr}']\nremote_write:\n  - url: {}\n",
            sink.url()
        ),
    )
    .unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg("--enable-feature=agent")
        .arg(format!("--config.file={}", dir.join("agent.yml").display()))
        .arg(format!(
            "--storage.agent.path={}",
            dir.join("agent").display()
        ))
        .arg(format!("--web.listen-address={addr}"));
    let mut agent = Peer::spawn("prometheus-agent", cmd, tempfile::tempdir().unwrap());
    agent.wait_for_ready(addr, "/-/ready", Duration::from_secs(30));
    poll_until(
        "the agent sends what it scraped",
        Duration::from_secs(30),
        Duration::from_millis(200),
        &[&agent],
        || {
            if sink.requests().len() >= 3 {
                Ok(())
            } else {
                Err("waiting".to_string())
            }
        },
    );
    agent.signal(15);
    assert!(
        agent.wait_exit(Duration::from_secs(30)).is_some(),
        "{}",
        agent.log()
    );
    let wal = dir.join("agent/wal");
    let bytes: usize = files(&wal).values().map(Vec::len).sum();
    assert!(
        bytes > 0,
        "the agent left an empty WAL: {:?}",
        files(&wal).keys()
    );
    wal
}

#[test]
fn an_alloy_wal_is_moved_aside_intact_and_ingot_starts_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let alloy_wal = prometheus_agent_wal(dir.path());
    let storage = dir.path().join("alloy-data");
    let component_dir = storage.join("prometheus.remote_write.default");
    copy_dir(&alloy_wal, &component_dir.join("wal"));
    let before = files(&component_dir.join("wal"));
    assert!(
        before.keys().any(|k| k.starts_with("0000")),
        "{:?}",
        before.keys()
    );

    let sink = RemoteWriteSink::start();
    std::fs::write(
        dir.path().join("config.alloy"),
        format!(
            "prometheus.exporter.unix \"h\" {{\n  set_collectors = [\"loadavg\"]\n}}\n\nprometheus.scrape \"h\" {{\n  targets         = prometheus.exporter.unix.h.targets\n  forward_to      = [prometheus.remote_write.default.receiver]\n  scrape_interval = \"200ms\"\n  scrape_timeout  = \"200ms\"\n}}\n\nprometheus.remote_write \"default\" {{\n  endpoint {{\n    url = \"{}\"\n  }}\n}}\n",
            sink.url()
        ),
    )
    .unwrap();
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(dir.path().join("config.alloy"))
        .arg(format!("--server.http.listen-addr={addr}"))
        .arg(format!("--storage.path={}", storage.display()));
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(addr, Duration::from_secs(15));
    poll_until(
        "ingot delivers through its own WAL",
        Duration::from_secs(20),
        Duration::from_millis(200),
        &[&ingot],
        || {
            if sink.requests().is_empty() {
                Err("nothing yet".to_string())
            } else {
                Ok(())
            }
        },
    );
    let (status, health) = http_get(addr, "/-/healthy").unwrap();
    assert_eq!(status, 200, "{health}");
    ingot.signal(15);
    ingot.wait_exit(Duration::from_secs(20));
    let log = ingot.log();

    // Alloy's WAL, every byte, beside ingot's.
    assert_eq!(files(&component_dir.join("alloy-wal")), before, "{log}");
    assert!(component_dir.join("wal/INGOT_WAL").is_file(), "{log}");
    assert!(
        log.contains("Prometheus-format WAL") && log.contains("moved it intact to"),
        "{log}"
    );

    // A second start finds ingot's WAL in place and Alloy's aside: nothing moves again.
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(dir.path().join("config.alloy"))
        .arg(format!("--server.http.listen-addr={addr}"))
        .arg(format!("--storage.path={}", storage.display()));
    let mut again = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    again.wait_for_port(addr, Duration::from_secs(15));
    again.signal(15);
    again.wait_exit(Duration::from_secs(20));
    assert!(!again.log().contains("moved it intact"), "{}", again.log());
    assert!(!component_dir.join("alloy-wal.1").exists());
    assert_eq!(files(&component_dir.join("alloy-wal")), before);
}
