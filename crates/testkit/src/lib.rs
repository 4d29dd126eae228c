//! Real peers for tests: processes started on 127.0.0.1 on free ports in temporary directories and stopped
//! when dropped. A missing binary fails the test with the command that installs it, never a silent skip.

pub mod bench;
pub mod components;
pub mod cost;
pub mod counting_target;
pub mod journal;
pub mod loki_sink;
pub mod otlp_sink;
pub mod pki;
pub mod remote_write_sink;

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (the listener is closed before returning, so a peer can bind it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0")
}

/// `../shared` beside the repository. Under `CI` it must exist: a missing directory fails the test.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if dir.is_dir() {
        return Some(dir.canonicalize().unwrap_or(dir));
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} is missing: the conformance tests need shared/ beside the repository",
            dir.display()
        );
    }
    eprintln!(
        "note: {} not found; skipping this conformance test outside CI",
        dir.display()
    );
    None
}

/// The path of a peer's binary, or a panic that says how to install it.
pub fn require_binary(name: &str, debian_package: &str) -> PathBuf {
    for dir in std::env::var("PATH").unwrap_or_default().split(':').chain([
        "/usr/sbin",
        "/usr/bin",
        "/usr/local/bin",
    ]) {
        let candidate = Path::new(dir).join(name);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "`{name}` is not installed; this test runs the real peer. Install it with: \
         sudo apt-get install -y {debian_package}   (or run ./scripts/test, which installs every peer)"
    );
}

/// A child process that is killed (and reaped) when dropped, with its output captured to a file so that a
/// failing test can show what the peer said.
pub struct Peer {
    pub name: String,
    child: Child,
    log_path: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Peer {
    /// Starts `command` with stdout and stderr going to a log file in `dir`.
    pub fn spawn(name: &str, mut command: Command, dir: tempfile::TempDir) -> Peer {
        let log_path = dir.path().join(format!("{name}.log"));
        let log = std::fs::File::create(&log_path).expect("creating the peer log");
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("cloning the log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        Peer {
            name: name.to_string(),
            child,
            log_path,
            _dir: Some(dir),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the peer printed so far.
    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log_path) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits until `addr` accepts TCP connections, or panics with the peer's log after `timeout`.
    pub fn wait_for_port(&mut self, addr: SocketAddr, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if !self.is_running() {
                panic!(
                    "{} exited before listening on {addr}:\n{}",
                    self.name,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!(
            "{} did not listen on {addr} within {timeout:?}:\n{}",
            self.name,
            self.log()
        );
    }

    /// Waits until `GET path` on `addr` answers 200 (a peer's readiness endpoint), or panics with the peer's
    /// log after `timeout`. An open port is not enough: Prometheus answers 503 while its TSDB starts.
    pub fn wait_for_ready(&mut self, addr: SocketAddr, path: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok((200, _)) = http_get(addr, path) {
                return;
            }
            if !self.is_running() {
                panic!(
                    "{} exited before it was ready:
{}",
                    self.name,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{} was not ready at {addr}{path} within {timeout:?}:
{}",
            self.name,
            self.log()
        );
    }

    /// Sends a signal (SIGTERM = 15, SIGKILL = 9, SIGHUP = 1) to the peer.
    pub fn signal(&self, signal: i32) {
        let _ = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status();
    }

    /// Waits for the process to exit, up to `timeout`; returns its exit status if it did.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal blocking HTTP/1.1 GET over loopback, for tests that must not depend on the code under test.
/// Returns the status code and the body.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    http_request(addr, "GET", path, "")
}

/// A minimal blocking HTTP/1.1 request (`Connection: close`); returns the status code and the body.
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    use std::io::Write;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Ok((status, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size_line, rest)) = s.split_once("\r\n") {
        let size = usize::from_str_radix(size_line.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        s = rest[size..].strip_prefix("\r\n").unwrap_or(&rest[size..]);
    }
    out
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`), or 0 when the process is gone.
pub fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Calls `f` every `every` until it returns `Ok`, and returns that value with the time it took. After
/// `timeout` it panics with `what`, the last error and the logs of `peers`, so a failing end-to-end test says
/// what it was waiting for and what each peer said.
pub fn poll_until<T>(
    what: &str,
    timeout: Duration,
    every: Duration,
    peers: &[&Peer],
    mut f: impl FnMut() -> Result<T, String>,
) -> (T, Duration) {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < timeout {
        match f() {
            Ok(v) => return (v, start.elapsed()),
            Err(e) => last = e,
        }
        std::thread::sleep(every);
    }
    let logs: Vec<String> = peers
        .iter()
        .map(|p| format!("--- {} ---\n{}", p.name, p.log()))
        .collect();
    panic!(
        "{what}: not within {timeout:?}; last: {last}\n{}",
        logs.join("\n")
    );
}

/// Percent-encodes a query-string value (everything but RFC 3986's unreserved characters).
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
