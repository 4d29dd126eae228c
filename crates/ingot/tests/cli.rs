//! The `ingot` binary as a user runs it: `run` with reloads and a clean stop, `fmt`, `validate`.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use ingot_testkit::{free_port, http_get, http_request, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

fn start(args: &[&str]) -> (Peer, SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(format!("--server.http.listen-addr={addr}"))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .args(args);
    let mut peer = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(addr, Duration::from_secs(10));
    (peer, addr, dir)
}

fn components(addr: SocketAddr) -> Vec<String> {
    let (status, body) = http_get(addr, "/api/v0/web/components").unwrap();
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["localID"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn run_without_a_file_serves_host_metrics_for_prometheus_to_pull() {
    let (mut peer, addr, _dir) = start(&[]);
    assert_eq!(
        http_get(addr, "/-/ready").unwrap(),
        (200, "Alloy is ready.\n".into())
    );
    let (status, body) = http_get(
        addr,
        "/api/v0/component/prometheus.exporter.unix.localhost/metrics",
    )
    .unwrap();
    assert_eq!(status, 200);
    for family in [
        "node_cpu_seconds_total",
        "node_memory_MemTotal_bytes",
        "node_load1",
        "node_uname_info",
    ] {
        assert!(
            body.contains(&format!("# TYPE {family} ")),
            "{family} missing from:\n{body}"
        );
    }
    assert!(body.contains("node_scrape_collector_success{collector=\"cpu\"} 1"));
    // Exporter metrics are served at the component's path only, not on /metrics.
    let (_, own) = http_get(addr, "/metrics").unwrap();
    assert!(own.contains("alloy_build_info{"));
    assert!(!own.contains("node_cpu_seconds_total"));
    peer.signal(15);
    let status = peer
        .wait_exit(Duration::from_secs(10))
        .expect("ingot stops on SIGTERM");
    assert!(status.success(), "{}", peer.log());
}

#[test]
fn reload_by_sighup_and_endpoint_and_a_bad_config_keeps_the_running_graph() {
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("config.alloy");
    std::fs::write(
        &config,
        "prometheus.exporter.unix \"a\" {\n\tset_collectors = [\"loadavg\"]\n}\n",
    )
    .unwrap();
    let (mut peer, addr, _dir) = start(&[config.to_str().unwrap()]);
    assert_eq!(components(addr), vec!["prometheus.exporter.unix.a"]);

    // SIGHUP: the new config replaces the old one.
    std::fs::write(
        &config,
        "prometheus.exporter.unix \"b\" {\n\tset_collectors = [\"meminfo\"]\n}\n",
    )
    .unwrap();
    peer.signal(1);
    let mut reloaded = false;
    for _ in 0..100 {
        if components(addr) == vec!["prometheus.exporter.unix.b"] {
            reloaded = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(reloaded, "SIGHUP did not reload:\n{}", peer.log());

    // A bad config: 400 with the diagnostic, and the running component keeps serving.
    std::fs::write(
        &config,
        "prometheus.exporter.unix \"b\" {\n\tset_collectors = [\"nosuch\"]\n}\n",
    )
    .unwrap();
    let (status, body) = http_request(addr, "POST", "/-/reload", "").unwrap();
    assert_eq!(status, 400);
    assert!(
        body.contains(
            ":2:19: unknown collector \"nosuch\": neither Alloy nor node_exporter has such a collector (ingot implements "
        ) && body.contains(" cpu, ")
            && body.contains(" hwmon, "),
        "{body}"
    );
    let (status, metrics) =
        http_get(addr, "/api/v0/component/prometheus.exporter.unix.b/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(metrics.contains("node_memory_MemTotal_bytes"));
    assert!(
        peer.log().contains("rejected the new configuration"),
        "the failed reload must be logged:\n{}",
        peer.log()
    );

    // Good again through the endpoint.
    std::fs::write(&config, "prometheus.exporter.unix \"c\" { }\n").unwrap();
    assert_eq!(
        http_request(addr, "GET", "/-/reload", "").unwrap(),
        (200, "config reloaded\n".into())
    );
    assert_eq!(components(addr), vec!["prometheus.exporter.unix.c"]);
    // Without set_collectors, Alloy runs its whole default set: so does ingot, every collector of it.
    assert_eq!(
        ingot_prometheus::exporter::unix::UnixConfig::default()
            .collector_selection()
            .enabled
            .len(),
        ingot_prometheus::exporter::unix::ALLOY_DEFAULT_COLLECTORS.len()
    );
    peer.signal(2);
    assert!(peer
        .wait_exit(Duration::from_secs(10))
        .expect("ingot stops on SIGINT")
        .success());
}

#[test]
fn run_refuses_a_broken_config_with_the_place_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.alloy");
    std::fs::write(
        &config,
        "prometheus.exporter.unix \"x\" {\n\tset_collectors = [\"cpu\"\n}\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args([
            "run",
            "--server.http.listen-addr=127.0.0.1:0",
            config.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.alloy:2:25: missing ',' in expression list"),
        "{stderr}"
    );
}

fn ingot(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The process may exit before it reads its input (`fmt -w` refuses standard input at once): a broken
    // pipe is then no failure of the test.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn fmt_formats_stdin_files_and_checks() {
    let messy = "attr_1=15\nblock {\n}\n";
    let tidy = "attr_1 = 15\n\nblock { }\n";
    let (code, out, _) = ingot(&["fmt"], messy);
    assert_eq!((code, out.as_str()), (0, tidy));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.alloy");
    std::fs::write(&file, messy).unwrap();
    let path = file.to_str().unwrap();
    let (code, _, err) = ingot(&["fmt", "-t", path], "");
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("file {path} is not formatted correctly")),
        "{err}"
    );
    assert_eq!(ingot(&["fmt", "-w", path], "").0, 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), tidy);
    assert_eq!(ingot(&["fmt", "-t", path], "").0, 0);

    let (code, _, err) = ingot(&["fmt", "-w"], messy);
    assert_eq!(code, 1);
    assert!(err.contains("cannot use -w with standard input"), "{err}");
    let (code, _, err) = ingot(&["fmt"], "a = [1,\n2\n]\n");
    assert_eq!(code, 1);
    assert!(
        err.contains("Error: <stdin>:2:2: missing ',' in expression list"),
        "{err}"
    );
    assert!(
        err.contains("encountered errors during formatting"),
        "{err}"
    );
}

#[test]
fn validate_checks_every_file_of_a_directory_together() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.alloy"),
        "prometheus.exporter.unix \"host\" { }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.alloy"),
        "prometheus.exporter.unix \"host\" { }\nlogging {\n\tlevel = \"loud\"\n}\n",
    )
    .unwrap();
    let (code, _, err) = ingot(&["validate", dir.path().to_str().unwrap()], "");
    assert_eq!(code, 1);
    let a = dir.path().join("a.alloy");
    assert!(
        err.contains(&format!(
            "b.alloy:1:1: block prometheus.exporter.unix.host already declared at {}:1:1",
            a.display()
        )),
        "{err}"
    );
    assert!(err.contains("Error: validation failed"), "{err}");

    std::fs::write(
        dir.path().join("b.alloy"),
        "logging {\n\tlevel = \"loud\"\n}\n",
    )
    .unwrap();
    let (code, _, err) = ingot(&["validate", dir.path().to_str().unwrap()], "");
    assert_eq!(code, 1);
    assert!(
        err.contains("b.alloy:2:10: unrecognized log level \"loud\""),
        "{err}"
    );

    std::fs::write(
        dir.path().join("b.alloy"),
        "logging {\n\tlevel = \"debug\"\n}\n",
    )
    .unwrap();
    assert_eq!(
        ingot(&["validate", dir.path().to_str().unwrap()], ""),
        (0, String::new(), String::new())
    );
}
