//! A slow disk does not slow the agent: with every WAL append delayed by 1.5 s (the `test-hooks` feature's
//! `INGOT_TEST_WAL_APPEND_DELAY_MS`), two targets scraped every second keep their schedule and the HTTP API
//! answers at once, because appends are queued for the WAL's own thread instead of running on the async
//! workers (which would then spend 1.5 s of every second blocked, both of them with two targets).

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use ingot_testkit::counting_target::CountingTarget;
use ingot_testkit::remote_write_sink::RemoteWriteSink;
use ingot_testkit::{free_port, http_get, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

/// The value of the first sample of `name` in an exposition.
fn sample(exposition: &str, name: &str) -> Option<f64> {
    exposition
        .lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[test]
fn a_slow_wal_delays_neither_the_scrapes_nor_the_api() {
    let sink = RemoteWriteSink::start();
    let targets = [CountingTarget::start(), CountingTarget::start()];
    let dir = tempfile::tempdir().unwrap();
    let mut config = String::new();
    for (i, t) in targets.iter().enumerate() {
        config.push_str(&format!(
            "prometheus.scrape \"t{i}\" {{\n  targets         = [{{ __address__ = \"{}\" }}]\n  forward_to      = [prometheus.remote_write.out.receiver]\n  scrape_interval = \"1s\"\n  scrape_timeout  = \"500ms\"\n}}\n\n",
            t.addr
        ));
    }
    config.push_str(&format!(
        "prometheus.remote_write \"out\" {{\n  endpoint {{\n    url = \"{}\"\n    queue_config {{\n      batch_send_deadline = \"200ms\"\n    }}\n  }}\n}}\n",
        sink.url()
    ));
    std::fs::write(dir.path().join("config.alloy"), config).unwrap();
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(dir.path().join("config.alloy"))
        .arg(format!("--server.http.listen-addr={addr}"))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .env("INGOT_TEST_WAL_APPEND_DELAY_MS", "1500");
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(addr, Duration::from_secs(15));

    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut most_queued: f64 = 0.0;
    while started.elapsed() < Duration::from_secs(7) {
        for path in ["/-/ready", "/metrics"] {
            let t = Instant::now();
            let (status, body) = http_get(addr, path).unwrap();
            slowest = slowest.max(t.elapsed());
            assert_eq!(status, 200, "{path}: {body}\n{}", ingot.log());
            if path == "/metrics" {
                if let Some(q) = sample(&body, "prometheus_remote_write_wal_queue_bytes") {
                    most_queued = most_queued.max(q);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = ingot.log();
    // The hook took effect: records waited for the WAL's thread.
    assert!(
        most_queued > 0.0,
        "no record ever waited for the WAL\n{log}"
    );
    assert!(
        slowest < Duration::from_millis(250),
        "the slowest API request took {slowest:?}\n{log}"
    );
    for (i, t) in targets.iter().enumerate() {
        let times = t.served_times();
        let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        let widest = gaps.iter().max().copied().unwrap_or_default();
        assert!(
            times.len() >= 6 && widest < Duration::from_millis(1400),
            "target {i}: {} scrapes in 7 s, widest gap {widest:?} ({gaps:?})\n{log}",
            times.len()
        );
    }
    // And the WAL's thread does deliver, in its own time.
    ingot_testkit::poll_until(
        "the sink receives samples",
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
}
