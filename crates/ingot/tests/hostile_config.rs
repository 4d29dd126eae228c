//! Hostile configurations through the `ingot` binary. A reload runs on a blocking thread with a 2 MiB stack:
//! 3,000 nested parentheses (6 KB) or 40 KB of `[` through `encoding.from_json` used to overflow it and abort
//! the agent (exit 134). Now the reload is refused with HTTP 400 and the diagnostic at its place, a SIGHUP reload
//! is refused and logged, and the agent keeps serving the running graph.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ingot_testkit::{free_port, http_get, http_request, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

fn start(config: &Path) -> (Peer, SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(format!("--server.http.listen-addr={addr}"))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(config);
    let mut peer = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(addr, Duration::from_secs(10));
    (peer, addr, dir)
}

/// The running component still serves its metrics.
fn assert_still_serving(peer: &mut Peer, addr: SocketAddr) {
    assert!(peer.is_running(), "ingot exited:\n{}", peer.log());
    assert_eq!(
        http_get(addr, "/-/ready").unwrap(),
        (200, "Alloy is ready.\n".into())
    );
    let (status, metrics) =
        http_get(addr, "/api/v0/component/prometheus.exporter.unix.a/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(metrics.contains("node_load1"), "{metrics}");
}

#[test]
fn deep_nesting_and_deep_json_are_refused_on_reload_and_the_agent_keeps_serving() {
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("config.alloy");
    let good = "prometheus.exporter.unix \"a\" {\n\tset_collectors = [\"loadavg\"]\n}\n";
    std::fs::write(&config, good).unwrap();
    let (mut peer, addr, _data) = start(&config);
    assert_still_serving(&mut peer, addr);

    // 3,000 nested parentheses. The value sits one level down (in a block), so the parenthesis that opens
    // level 201 is the 200th, at column 18 + 200 (the line starts with a tab and `set_collectors = `).
    let deep = format!(
        "prometheus.exporter.unix \"a\" {{\n\tset_collectors = {}[\"loadavg\"]{}\n}}\n",
        "(".repeat(3_000),
        ")".repeat(3_000)
    );
    assert!(deep.len() > 6_000);
    std::fs::write(&config, &deep).unwrap();
    let (status, body) = http_request(addr, "POST", "/-/reload", "").unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("config.alloy:2:218: nesting exceeds ingot's limit of 200 levels"),
        "{body}"
    );
    // The 6 KB line is shown cut around the place, not whole.
    assert!(body.len() < 1_000, "{body}");
    assert_still_serving(&mut peer, addr);

    // 40 KB of `[` decoded by encoding.from_json.
    let json = format!(
        "prometheus.exporter.unix \"a\" {{\n\tset_collectors = encoding.from_json(\"{}\")\n}}\n",
        "[".repeat(40_000)
    );
    std::fs::write(&config, &json).unwrap();
    let (status, body) = http_request(addr, "POST", "/-/reload", "").unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains(
            "config.alloy:2:19: encoding.from_json invalid character '[' exceeded max depth of 200"
        ),
        "{body}"
    );
    assert_still_serving(&mut peer, addr);

    // The same by SIGHUP: refused, logged, and the agent keeps running.
    std::fs::write(&config, &deep).unwrap();
    let before = peer.log().matches("rejected the new configuration").count();
    peer.signal(1);
    let mut logged = false;
    for _ in 0..200 {
        if peer.log().matches("rejected the new configuration").count() > before {
            logged = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(logged, "SIGHUP reload not refused:\n{}", peer.log());
    assert!(peer
        .log()
        .contains("nesting exceeds ingot's limit of 200 levels"));
    assert_still_serving(&mut peer, addr);

    // And a good config still loads.
    std::fs::write(&config, good.replace("\"a\"", "\"b\"")).unwrap();
    assert_eq!(
        http_request(addr, "POST", "/-/reload", "").unwrap(),
        (200, "config reloaded\n".into())
    );
    peer.signal(15);
    let status = peer
        .wait_exit(Duration::from_secs(10))
        .expect("ingot stops on SIGTERM");
    assert!(status.success(), "{}", peer.log());
}
