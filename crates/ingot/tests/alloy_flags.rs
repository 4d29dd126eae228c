//! Alloy's command lines work unchanged: every `alloy run` flag is accepted (those ingot cannot honour are
//! refused with what to do, or accepted and named), the listen address takes every form Go accepts, the
//! version is real, and `validate` has no side effects.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ingot_testkit::remote_write_sink::{RemoteWriteSink, Reply};
use ingot_testkit::{free_port, http_get, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

fn ingot(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn spawn(args: &[String], ready: SocketAddr) -> Peer {
    let mut cmd = Command::new(BIN);
    cmd.arg("run").args(args);
    let mut peer = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(ready, Duration::from_secs(15));
    peer
}

/// Every flag of `alloy run` (Alloy 1.18's 34, as Alloy's Helm chart and packages pass them) starts ingot;
/// the UI path prefix moves the web API under it.
#[test]
fn every_alloy_run_flag_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.alloy");
    std::fs::write(
        &config,
        "discovery.relabel \"v\" {\n  targets = [{ version = constants.version }]\n}\n",
    )
    .unwrap();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let args: Vec<String> = [
        format!("--server.http.listen-addr=127.0.0.1:{port}"),
        "--server.http.memory-addr=alloy.internal:12345".into(),
        "--server.http.ui-path-prefix=/alloy".into(),
        "--server.http.enable-pprof=false".into(),
        "--server.http.disable-support-bundle".into(),
        "--server.http.enable-graphql=false".into(),
        "--server.http.enable-graphql-playground=false".into(),
        "--cluster.enabled=false".into(),
        "--cluster.node-name=node-a".into(),
        "--cluster.advertise-address=127.0.0.1:12345".into(),
        "--cluster.join-addresses=10.0.0.1:12345,10.0.0.2:12345".into(),
        "--cluster.discover-peers=provider=k8s".into(),
        "--cluster.advertise-interfaces=eth0,en0".into(),
        "--cluster.rejoin-interval=30s".into(),
        "--cluster.max-join-peers=0x5".into(),
        "--cluster.name=fleet".into(),
        "--cluster.enable-tls=false".into(),
        "--cluster.tls-ca-path=/etc/ca.pem".into(),
        "--cluster.tls-cert-path=/etc/cert.pem".into(),
        "--cluster.tls-key-path=/etc/key.pem".into(),
        "--cluster.tls-server-name=alloy".into(),
        "--cluster.wait-for-size=0".into(),
        "--cluster.wait-timeout=0".into(),
        "--config.format=alloy".into(),
        "--config.bypass-conversion-errors=false".into(),
        "--config.extra-args=".into(),
        "--disable-reporting".into(),
        format!("--storage.path={}", dir.path().join("data").display()),
        "--stability.level=generally-available".into(),
        "--windows.priority=normal".into(),
        "--feature.community-components.enabled=false".into(),
        "--feature.component-shutdown-deadline=10m".into(),
        "--feature.prometheus.direct-fanout.enabled=false".into(),
        "--cluster.use-discovery-v1=false".into(),
        "--feature.prometheus.metric-validation-scheme=false".into(),
        config.display().to_string(),
    ]
    .into();
    let mut peer = spawn(&args, addr);
    assert_eq!(
        http_get(addr, "/-/ready").unwrap(),
        (200, "Alloy is ready.\n".into())
    );
    let (status, body) =
        http_get(addr, "/alloy/api/v0/web/components/discovery.relabel.v").unwrap();
    assert_eq!(status, 200, "{body}\n{}", peer.log());
    // constants.version is the real version, not v0.0.0.
    let version = format!("v{}", env!("CARGO_PKG_VERSION"));
    assert!(body.contains(&format!("\"{version}\"")), "{body}");
    assert_eq!(http_get(addr, "/api/v0/web/components").unwrap().0, 404);
    // pprof off; the support bundle disabled with Alloy's words.
    assert_eq!(http_get(addr, "/debug/pprof/").unwrap().0, 404);
    let (status, body) = http_get(addr, "/-/support").unwrap();
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("--server.http.disable-support-bundle"),
        "{body}"
    );
    peer.signal(15);
    assert!(peer
        .wait_exit(Duration::from_secs(15))
        .is_some_and(|s| s.success()));
}

#[test]
fn pprof_and_the_support_bundle_say_what_ingot_offers_instead() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let peer = spawn(
        &[
            format!("--server.http.listen-addr=127.0.0.1:{port}"),
            format!("--storage.path={}", dir.path().display()),
        ],
        addr,
    );
    let (status, body) = http_get(addr, "/debug/pprof/profile").unwrap();
    assert_eq!(status, 501, "{body}");
    assert!(body.contains("perf record"), "{body}");
    let (status, body) = http_get(addr, "/-/support").unwrap();
    assert_eq!(status, 501, "{body}");
    drop(peer);
}

/// `--server.http.listen-addr` in every form Go's `net.Listen` takes.
#[test]
fn the_listen_address_takes_every_form_go_accepts() {
    let ipv6 = std::net::TcpListener::bind("[::1]:0").is_ok();
    for form in ["", "localhost", "127.0.0.1", "0.0.0.0", "[::1]"] {
        if form == "[::1]" && !ipv6 {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let probe: SocketAddr = if form == "[::1]" {
            format!("[::1]:{port}")
        } else {
            format!("127.0.0.1:{port}")
        }
        .parse()
        .unwrap();
        let mut peer = spawn(
            &[
                format!("--server.http.listen-addr={form}:{port}"),
                format!("--storage.path={}", dir.path().display()),
            ],
            probe,
        );
        assert_eq!(
            http_get(probe, "/-/ready").unwrap().0,
            200,
            "{form}:{port}\n{}",
            peer.log()
        );
        peer.signal(15);
        peer.wait_exit(Duration::from_secs(15));
    }
    let (code, _, err) = ingot(&["run", "--server.http.listen-addr=12345"]);
    assert_eq!(code, 1);
    assert!(err.contains("missing port in address"), "{err}");
}

/// A flag given twice takes its last value, as Go's flag package reads it (the package's unit puts
/// `$CUSTOM_ARGS` before `--storage.path`, as Alloy's does), where clap would refuse the command line.
#[test]
fn a_repeated_flag_takes_its_last_value() {
    let first = tempfile::tempdir().unwrap();
    let last = tempfile::tempdir().unwrap();
    let config = last.path().join("config.alloy");
    // remote_write keeps its WAL under the storage path.
    std::fs::write(
        &config,
        "prometheus.remote_write \"default\" {\n\tendpoint {\n\t\turl = \"http://127.0.0.1:1/api/v1/write\"\n\t}\n}\n",
    )
    .unwrap();
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut peer = spawn(
        &[
            "--server.http.listen-addr=127.0.0.1:1".to_string(),
            format!("--server.http.listen-addr={addr}"),
            format!("--storage.path={}", first.path().display()),
            format!("--storage.path={}", last.path().join("data").display()),
            config.display().to_string(),
        ],
        addr,
    );
    assert_eq!(http_get(addr, "/-/ready").unwrap().0, 200, "{}", peer.log());
    peer.signal(15);
    peer.wait_exit(Duration::from_secs(15));
    assert!(
        last.path()
            .join("data/prometheus.remote_write.default")
            .is_dir(),
        "{}",
        peer.log()
    );
    assert_eq!(std::fs::read_dir(first.path()).unwrap().count(), 0);
}

#[test]
fn what_ingot_cannot_do_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prometheus.yml");
    std::fs::write(&file, "scrape_configs: []\n").unwrap();
    for (args, want) in [
        (
            vec!["run", "--cluster.enabled"],
            "ingot does not support clustering",
        ),
        (
            vec!["run", "--cluster.enabled=true"],
            "ingot does not support clustering",
        ),
        (
            vec!["run", "--config.format=prometheus", file.to_str().unwrap()],
            "alloy convert --source-format=prometheus",
        ),
        (
            vec!["validate", "--config.format=static", file.to_str().unwrap()],
            "ingot cannot convert static configurations yet",
        ),
        (
            vec!["run", "--server.http.enable-graphql"],
            "'--server.http.enable-graphql' can only be used at experimental stability level. Use --stability.level=experimental to enable.",
        ),
        (
            vec!["run", "--stability.level=beta"],
            "invalid stability level \"beta\"",
        ),
        (
            vec!["run", "--cluster.enabled=maybe"],
            "strconv.ParseBool: parsing \"maybe\": invalid syntax",
        ),
        (
            vec!["run", "--feature.component-shutdown-deadline=10"],
            "missing unit in duration",
        ),
    ] {
        let (code, _, err) = ingot(&args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn the_version_is_real() {
    let (code, out, _) = ingot(&["--version"]);
    assert_eq!(code, 0);
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "ingot, version v{} (branch: ",
            env!("CARGO_PKG_VERSION")
        )),
        "{out}"
    );
    for label in [
        "  build user:       ",
        "  build date:       ",
        "  rust version:     ",
        "  platform:         linux/",
        "  tags:             ",
    ] {
        assert!(out.contains(label), "{label:?} missing:\n{out}");
    }
    // Built from a git checkout (CI's is a clone): the revision is the commit's, the build date the commit's
    // date (crates/ingot/build.rs), unless SOURCE_DATE_EPOCH was set for the build.
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("TZ", "UTC")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    if let (Some(head), Some(date)) = (
        git(&["rev-parse", "--short", "HEAD"]),
        git(&[
            "log",
            "-1",
            "--format=%cd",
            "--date=format-local:%Y-%m-%dT%H:%M:%SZ",
        ]),
    ) {
        assert!(first.ends_with(&format!("revision: {head})")), "{out}");
        if option_env!("SOURCE_DATE_EPOCH").is_none() {
            assert!(
                out.contains(&format!("  build date:       {date}\n")),
                "{out}"
            );
        }
    }
    let (code, again, _) = ingot(&["-v"]);
    assert_eq!((code, again), (0, out));
}

/// `validate` binds no port, connects nowhere and reads no file a component reads at run time: it passes
/// while a relay holds the port, and leaves the storage path and unreadable discovery files alone.
#[test]
fn validate_has_no_side_effects() {
    let dir = tempfile::tempdir().unwrap();
    let relay_port = free_port();
    let held = std::net::TcpListener::bind(("127.0.0.1", relay_port)).unwrap();
    let config = dir.path().join("relay.alloy");
    std::fs::write(
        &config,
        format!(
            "prometheus.receive_http \"relay\" {{\n  http {{\n    listen_address = \"127.0.0.1\"\n    listen_port    = {relay_port}\n  }}\n  forward_to = [prometheus.remote_write.out.receiver]\n}}\n\nprometheus.remote_write \"out\" {{\n  endpoint {{\n    url = \"http://127.0.0.1:1/api/v1/write\"\n    tls_config {{\n      ca_file = \"{missing}\"\n    }}\n  }}\n}}\n\ndiscovery.file \"sd\" {{\n  files = [\"{missing}\"]\n}}\n",
            missing = dir.path().join("absent.pem").display()
        ),
    )
    .unwrap();
    let (code, out, err) = ingot(&["validate", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    drop(held);
    // It created nothing (no storage path, no WAL), as Alloy's validate.
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
}

/// `--feature.component-shutdown-deadline` bounds how long a stop waits for a component: a remote_write
/// whose endpoint keeps failing would retry for its own 8 s flush time, and the flag cuts it to 1 s.
#[test]
fn the_component_shutdown_deadline_is_honoured() {
    let sink = RemoteWriteSink::start();
    sink.respond_with(|_| Reply::status(503));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.alloy");
    std::fs::write(
        &config,
        format!(
            "prometheus.exporter.unix \"h\" {{\n  set_collectors = [\"loadavg\"]\n}}\n\nprometheus.scrape \"h\" {{\n  targets         = prometheus.exporter.unix.h.targets\n  forward_to      = [prometheus.remote_write.out.receiver]\n  scrape_interval = \"200ms\"\n  scrape_timeout  = \"200ms\"\n}}\n\nprometheus.remote_write \"out\" {{\n  endpoint {{\n    url = \"{}\"\n  }}\n}}\n",
            sink.url()
        ),
    )
    .unwrap();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut peer = spawn(
        &[
            format!("--server.http.listen-addr=127.0.0.1:{port}"),
            format!("--storage.path={}", dir.path().join("data").display()),
            "--feature.component-shutdown-deadline=1s".into(),
            config.display().to_string(),
        ],
        addr,
    );
    ingot_testkit::poll_until(
        "the endpoint refuses samples",
        Duration::from_secs(20),
        Duration::from_millis(100),
        &[&peer],
        || {
            if sink.requests().len() >= 2 {
                Ok(())
            } else {
                Err("waiting".to_string())
            }
        },
    );
    let stop = Instant::now();
    peer.signal(15);
    let status = peer.wait_exit(Duration::from_secs(20));
    let took = stop.elapsed();
    assert!(status.is_some_and(|s| s.success()), "{}", peer.log());
    assert!(
        took < Duration::from_secs(5),
        "stopping took {took:?}\n{}",
        peer.log()
    );
    assert!(
        peer.log().contains("did not stop within 1s"),
        "{}",
        peer.log()
    );
}
