//! The real binary killed with SIGKILL while `prometheus.remote_write` has data pending in its WAL (the
//! receiver is refusing), then restarted with the same `--storage.path`: every sample scraped before the kill
//! reaches the receiver once it accepts again. The target serves a counter that goes up by one per request,
//! so each scrape is identified by its value. Every wait is bounded.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_prom::remote_write::encode::decode_v1;
use ingot_testkit::counting_target::{CountingTarget, METRIC, SERIES};
use ingot_testkit::remote_write_sink::{RemoteWriteSink, Reply};
use ingot_testkit::{free_port, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

/// For each series `i`, every value of `METRIC` in the requests the sink accepted (duplicates kept).
fn delivered(sink: &RemoteWriteSink) -> BTreeMap<String, Vec<u64>> {
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for r in sink.requests() {
        if !(200..300).contains(&r.status) {
            continue;
        }
        let req = decode_v1(&r.body).expect("a Remote Write 1.0 body");
        for ts in req.timeseries {
            let name = ts.labels.iter().find(|l| l.name == "__name__");
            if name.map(|l| l.value.as_str()) != Some(METRIC) {
                continue;
            }
            let i = ts
                .labels
                .iter()
                .find(|l| l.name == "i")
                .map(|l| l.value.clone())
                .expect("label i");
            let values = out.entry(i).or_default();
            values.extend(ts.samples.iter().map(|s| s.value as u64));
        }
    }
    out
}

fn config(target: SocketAddr, sink: &str) -> String {
    format!(
        r#"
prometheus.scrape "t" {{
  targets         = [{{ __address__ = "{target}" }}]
  forward_to      = [prometheus.remote_write.rw.receiver]
  job_name        = "kill"
  scrape_interval = "100ms"
  scrape_timeout  = "100ms"
}}

prometheus.remote_write "rw" {{
  endpoint {{
    url = "{sink}"
    queue_config {{
      batch_send_deadline = "100ms"
      min_backoff         = "50ms"
      max_backoff         = "200ms"
    }}
    metadata_config {{
      send = false
    }}
  }}
}}
"#
    )
}

fn start_ingot(config: &Path, storage: &Path, addr: SocketAddr) -> Peer {
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(config)
        .arg(format!("--server.http.listen-addr={addr}"))
        .arg(format!("--storage.path={}", storage.display()));
    let mut peer = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(addr, Duration::from_secs(15));
    peer
}

fn wait_until(what: &str, timeout: Duration, peer: &Peer, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "timed out after {timeout:?} waiting for {what}; ingot said:\n{}",
        peer.log()
    );
}

#[test]
fn sigkill_with_data_pending_in_the_wal_loses_nothing() {
    let target = CountingTarget::start();
    let sink = RemoteWriteSink::start();
    let refusing = Arc::new(AtomicBool::new(false));
    let r = refusing.clone();
    sink.respond_with(move |_| {
        if r.load(Ordering::SeqCst) {
            Reply::status(503).with_body("refusing for the test")
        } else {
            Reply::status(204)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("config.alloy");
    std::fs::write(&config_path, config(target.addr, &sink.url())).unwrap();
    let storage = dir.path().join("data");
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();

    // 1. Data flows.
    let mut ingot = start_ingot(&config_path, &storage, addr);
    wait_until(
        "the first scrapes to arrive",
        Duration::from_secs(20),
        &ingot,
        || delivered(&sink).get("0").is_some_and(|v| v.len() >= 3),
    );

    // 2. The receiver refuses; scrapes go on and pile up in the WAL.
    refusing.store(true, Ordering::SeqCst);
    let refused_from = target.count();
    let refused_requests = || sink.requests().iter().filter(|q| q.status == 503).count();
    wait_until(
        "20 scrapes while refusing, and refused sends",
        Duration::from_secs(20),
        &ingot,
        || target.count() >= refused_from + 20 && refused_requests() >= 3,
    );

    // 3. SIGKILL mid-stream: no flush, no position saved on the way out.
    let killed_at = Instant::now();
    ingot.signal(9);
    let status = ingot
        .wait_exit(Duration::from_secs(10))
        .expect("ingot exits on SIGKILL");
    assert!(!status.success(), "killed, not exited: {status:?}");
    // A scrape answered within this margin before the kill may not have reached the WAL yet: it was in
    // flight, not scraped. Anything older must have been written.
    let must_arrive = target.served_before(killed_at - Duration::from_millis(300));
    let pending: BTreeSet<u64> = must_arrive
        .iter()
        .copied()
        .filter(|n| *n as usize > refused_from)
        .collect();
    assert!(
        pending.len() >= 10,
        "scrapes pending in the WAL at the kill: {pending:?}"
    );
    let before_restart = delivered(&sink);
    for n in &pending {
        assert!(
            !before_restart.get("0").is_some_and(|v| v.contains(n)),
            "scrape {n} was delivered although the receiver refused"
        );
    }

    // 4. Restart on the same storage; the receiver refuses a little longer, then accepts.
    let mut ingot = start_ingot(&config_path, &storage, addr);
    std::thread::sleep(Duration::from_millis(500));
    assert!(ingot.is_running(), "{}", ingot.log());
    refusing.store(false, Ordering::SeqCst);
    let restarted_count = target.count();
    wait_until(
        "every scrape from before the kill, and new ones",
        Duration::from_secs(30),
        &ingot,
        || {
            let got = delivered(&sink);
            (0..SERIES).all(|i| {
                got.get(&i.to_string()).is_some_and(|v| {
                    let have: BTreeSet<u64> = v.iter().copied().collect();
                    must_arrive.is_subset(&have)
                        && have.iter().any(|n| *n as usize > restarted_count)
                })
            })
        },
    );

    // Exact check per series: every scrape served before the kill, nothing that was never served.
    let served_all = target.served_before(Instant::now());
    let got = delivered(&sink);
    let mut duplicates = 0;
    for i in 0..SERIES {
        let values = &got[&i.to_string()];
        let set: BTreeSet<u64> = values.iter().copied().collect();
        let missing: Vec<u64> = must_arrive.difference(&set).copied().collect();
        assert!(missing.is_empty(), "series i={i}: lost scrapes {missing:?}");
        let invented: Vec<u64> = set.difference(&served_all).copied().collect();
        assert!(
            invented.is_empty(),
            "series i={i}: never served {invented:?}"
        );
        duplicates += values.len() - set.len();
    }
    // Duplicates are allowed (docs/components/prometheus.remote_write.md: a WAL record partly acknowledged
    // before a crash is resent whole); they are reported, not hidden.
    eprintln!(
        "{} scrapes before the kill ({} pending in the WAL), all delivered; {duplicates} duplicate samples",
        must_arrive.len(),
        pending.len()
    );
    let log = ingot.log();
    assert!(!log.contains("panicked"), "{log}");
}
