//! The `http` block through the `ingot` binary: basic auth in front of the API, a TLS listener, a broken
//! block rejected at start and on SIGHUP with a diagnostic at its position, and the password in no log.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ingot_testkit::{free_port, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");
const PASSWORD: &str = "pw-8c1e5f-never-logged";

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

/// A raw HTTP/1.1 GET with optional basic credentials; returns the whole response.
fn get(addr: SocketAddr, path: &str, credentials: Option<&str>) -> String {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let auth = credentials
        .map(|c| format!("Authorization: Basic {}\r\n", base64(c.as_bytes())))
        .unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    String::from_utf8_lossy(&raw).into_owned()
}

fn base64(data: &[u8]) -> String {
    ingot_gocompat::base64::Encoding::Std.encode_to_string(data)
}

fn wait_for_log(peer: &Peer, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = peer.log();
        if log.contains(needle) || Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn auth_config() -> String {
    format!(
        "http {{\n  auth {{\n    basic {{\n      username = \"admin\"\n      password = {PASSWORD:?}\n    }}\n    filter {{\n      paths = [\"/-/ready\"]\n      authenticate_matching_paths = false\n    }}\n  }}\n}}\n"
    )
}

#[test]
fn basic_auth_guards_the_api_and_a_bad_reload_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("main.alloy");
    std::fs::write(&config, auth_config()).unwrap();
    let (mut peer, addr, _data) = start(&config);

    assert!(get(addr, "/-/ready", None).starts_with("HTTP/1.1 200"));
    let denied = get(addr, "/metrics", None);
    assert!(denied.starts_with("HTTP/1.1 401"), "{denied}");
    assert!(
        denied.contains("www-authenticate: Basic realm=\"Restricted\""),
        "{denied}"
    );
    assert!(get(addr, "/metrics", Some("admin:wrong")).starts_with("HTTP/1.1 401"));
    let ok = get(addr, "/metrics", Some(&format!("admin:{PASSWORD}")));
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");

    // A tls block whose key file is missing: SIGHUP logs the diagnostic and the old config stays.
    let broken = auth_config().replace(
        "http {\n",
        "http {\n  tls {\n    cert_file = \"/nonexistent/server.crt\"\n    key_file = \"/nonexistent/server.key\"\n  }\n",
    );
    std::fs::write(&config, broken).unwrap();
    peer.signal(1);
    let log = wait_for_log(&peer, "rejected the new configuration");
    assert!(
        log.contains("main.alloy:3:17: failed to read /nonexistent/server.crt"),
        "{log}"
    );
    assert!(get(addr, "/metrics", None).starts_with("HTTP/1.1 401"));
    assert!(get(addr, "/-/ready", None).starts_with("HTTP/1.1 200"));

    assert!(peer.is_running());
    peer.signal(15);
    assert!(peer.wait_exit(Duration::from_secs(15)).is_some());
    let log = peer.log();
    assert!(log.contains("failed to authenticate request"), "{log}");
    assert!(!log.contains(PASSWORD), "{log}");
}

#[test]
fn a_tls_block_serves_https_and_answers_plain_http_with_400() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    std::fs::write(dir.path().join("server.crt"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("server.key"), key.serialize_pem()).unwrap();
    let config = dir.path().join("main.alloy");
    std::fs::write(
        &config,
        format!(
            "http {{\n  tls {{\n    cert_file = {:?}\n    key_file = {:?}\n  }}\n}}\n",
            dir.path().join("server.crt").display().to_string(),
            dir.path().join("server.key").display().to_string()
        ),
    )
    .unwrap();
    let (peer, addr, _data) = start(&config);
    let answer = get(addr, "/-/ready", None);
    assert!(
        answer.starts_with("HTTP/1.0 400 Bad Request")
            && answer.contains("Client sent an HTTP request to an HTTPS server."),
        "{answer}"
    );
    let log = wait_for_log(&peer, "now listening for http traffic");
    assert!(log.contains("tls=true"), "{log}");
}

#[test]
fn a_bad_http_block_stops_run_and_validate_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.alloy");
    std::fs::write(
        &config,
        "http {\n  tls {\n    cert_pem = \"x\"\n    key_file = \"/nonexistent/k.pem\"\n    min_version = \"TLS14\"\n  }\n}\n",
    )
    .unwrap();
    for args in [
        vec!["run", "--server.http.listen-addr=127.0.0.1:0"],
        vec!["validate"],
    ] {
        let out = Command::new(BIN).args(&args).arg(&config).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("bad.alloy:5:19: unknown TLS version \"TLS14\""),
            "{args:?}: {stderr}"
        );
    }
}
