//! Real PostgreSQL and nginx servers for the exporter tests and the benchmark, started on 127.0.0.1 on free
//! ports in temporary directories and stopped when dropped, plus a small exposition reader.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ingot_testkit::{free_port, require_binary, Peer};

/// The password of the test roles; tests assert that it appears nowhere.
pub const PASSWORD: &str = "Sup3r-S3cret-pw";
/// The role the exporters log in as (a member of pg_monitor, as the exporters' docs advise).
pub const USER: &str = "ingot_monitor";
pub const DATABASE: &str = "appdb";

fn user_ids(name: &str) -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("reading /etc/passwd");
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() > 3 && f[0] == name {
            return (f[2].parse().unwrap(), f[3].parse().unwrap());
        }
    }
    panic!("no user {name:?}: install PostgreSQL with: sudo apt-get install -y postgresql");
}

/// The newest `/usr/lib/postgresql/<major>/bin/<name>`, or a failure that says how to install it.
pub fn pg_binary(name: &str) -> PathBuf {
    let mut best: Option<(u32, PathBuf)> = None;
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        for e in entries.flatten() {
            let Ok(major) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let p = e.path().join("bin").join(name);
            if p.is_file() && !matches!(&best, Some((m, _)) if *m >= major) {
                best = Some((major, p));
            }
        }
    }
    match best {
        Some((_, p)) => p,
        None => require_binary(name, "postgresql"),
    }
}

/// A PostgreSQL server of its own: a cluster made by `initdb` in a temporary directory owned by the
/// `postgres` user (initdb and postgres refuse to run as root), TCP on 127.0.0.1:<free port>, its unix
/// socket in the same directory.
pub struct Postgres {
    peer: Option<Peer>,
    pub port: u16,
    pub dir: PathBuf,
    uid: u32,
    gid: u32,
    // Last, so that the cluster's directory goes after the server has stopped.
    _tmp: tempfile::TempDir,
}

impl Postgres {
    pub fn start() -> Postgres {
        let initdb = pg_binary("initdb");
        let (uid, gid) = user_ids("postgres");
        let tmp = tempfile::Builder::new()
            .prefix("ingot-pg-")
            .tempdir()
            .expect("tempdir");
        let dir = tmp.path().to_path_buf();
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).expect("chown the cluster directory");
        let pwfile = dir.join("pw");
        std::fs::write(&pwfile, format!("{PASSWORD}\n")).unwrap();
        std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid)).unwrap();
        let out = Command::new(&initdb)
            .args(["-D"])
            .arg(dir.join("data"))
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--no-sync",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .uid(uid)
            .gid(gid)
            .output()
            .expect("running initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let mut pg = Postgres {
            peer: None,
            port,
            dir,
            uid,
            gid,
            _tmp: tmp,
        };
        pg.restart();
        pg.psql(
            "postgres",
            &format!("CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}' IN ROLE pg_monitor"),
        );
        pg.psql(
            "postgres",
            &format!("CREATE DATABASE {DATABASE} OWNER {USER}"),
        );
        pg
    }

    /// Starts the server (again) on the same directory and port.
    pub fn restart(&mut self) {
        self.stop();
        let mut cmd = Command::new(pg_binary("postgres"));
        cmd.arg("-D")
            .arg(self.dir.join("data"))
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-k")
            .arg(&self.dir)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=40",
                "-c",
                "shared_buffers=16MB",
                // Keeps table sizes and counters where the test's own statements leave them.
                "-c",
                "autovacuum=off",
            ])
            .uid(self.uid)
            .gid(self.gid);
        let log_dir = tempfile::tempdir().expect("tempdir");
        let mut peer = Peer::spawn("postgres", cmd, log_dir);
        peer.wait_for_port(
            SocketAddr::from(([127, 0, 0, 1], self.port)),
            Duration::from_secs(30),
        );
        self.peer = Some(peer);
        self.wait_ready();
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self.psql_output("postgres", "SELECT 1");
            if out.status.success() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not accept queries within 30s: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn psql_output(&self, db: &str, sql: &str) -> std::process::Output {
        Command::new(pg_binary("psql"))
            .arg("-h")
            .arg(&self.dir)
            .args(["-p", &self.port.to_string(), "-U", "postgres", "-d", db])
            .args(["-v", "ON_ERROR_STOP=1", "-X", "-q", "-A", "-t", "-c", sql])
            .uid(self.uid)
            .gid(self.gid)
            .output()
            .expect("running psql")
    }

    /// Runs SQL as the superuser over the unix socket; returns what psql printed (unaligned, tuples only).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = self.psql_output(db, sql);
        assert!(
            out.status.success(),
            "psql {sql:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until `sql` prints `expected`: statistics reach shared memory when a backend flushes them,
    /// which may be just after psql returns.
    pub fn wait_for(&self, db: &str, sql: &str, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.psql(db, sql);
            if got == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{sql:?} printed {got:?}, not {expected:?}, for 10s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn dsn(&self, user: &str, password: &str, db: &str) -> String {
        format!(
            "postgresql://{user}:{password}@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    pub fn pid(&self) -> u32 {
        self.peer.as_ref().map(Peer::pid).unwrap_or(0)
    }

    pub fn log(&self) -> String {
        self.peer.as_ref().map(Peer::log).unwrap_or_default()
    }

    /// Fast shutdown (SIGINT), waiting for the server to exit.
    pub fn stop(&mut self) {
        if let Some(mut peer) = self.peer.take() {
            peer.signal(2);
            peer.wait_exit(Duration::from_secs(20));
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An nginx of its own on 127.0.0.1:<free port>: `/stub_status` open to loopback, `/forbidden_status`
/// that allows only 10.0.0.1 (so loopback gets 403, the seed's mistake), and `/hello`, an HTML page.
pub struct Nginx {
    peer: Option<Peer>,
    pub port: u16,
}

impl Nginx {
    pub fn start() -> Nginx {
        Nginx::start_with("")
    }

    /// nginx with `extra` added inside its `http` block (more `server` blocks).
    pub fn start_with(extra: &str) -> Nginx {
        let nginx = require_binary("nginx", "nginx");
        let tmp = tempfile::Builder::new()
            .prefix("ingot-nginx-")
            .tempdir()
            .expect("tempdir");
        let dir = tmp.path().to_path_buf();
        // nginx's workers run as another user and need to reach their temp paths.
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let port = free_port();
        let d = dir.display();
        let conf = format!(
            "daemon off;\nmaster_process on;\nworker_processes 1;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log notice;\nevents {{ worker_connections 128; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
               fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
               server {{\n    listen 127.0.0.1:{port};\n\
                 location = /stub_status {{ stub_status; }}\n\
                 location = /forbidden_status {{ stub_status; allow 10.0.0.1; deny all; }}\n\
                 location = /hello {{ default_type text/html; return 200 \"<html><body>hello</body></html>\\n\"; }}\n\
               }}\n{extra}\n}}\n"
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let mut cmd = Command::new(nginx);
        cmd.arg("-p")
            .arg(&dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(dir.join("nginx.conf"));
        let mut peer = Peer::spawn("nginx", cmd, tmp);
        // Ready means serving stub_status, not just an open port (workers start after the master listens).
        peer.wait_for_ready(
            SocketAddr::from(([127, 0, 0, 1], port)),
            "/stub_status",
            Duration::from_secs(20),
        );
        Nginx {
            peer: Some(peer),
            port,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.peer.as_ref().map(Peer::pid).unwrap_or(0)
    }

    /// Sends `n` plain requests (load for the counters).
    pub fn load(&self, n: usize) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        for _ in 0..n {
            let (status, _) = ingot_testkit::http_get(addr, "/hello").expect("GET /hello");
            assert_eq!(status, 200);
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut peer) = self.peer.take() {
            peer.signal(15);
            peer.wait_exit(Duration::from_secs(10));
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A standalone exporter started on 127.0.0.1:<free port>, waiting until it listens.
pub fn start_exporter(
    name: &str,
    binary: &Path,
    args: &[String],
    env: &[(&str, &str)],
    port: u16,
) -> Peer {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(binary);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut peer = Peer::spawn(name, cmd, tmp);
    peer.wait_for_port(
        SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(20),
    );
    peer
}

/// One family of an exposition.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Family {
    pub help: String,
    pub kind: String,
    /// Label names of every sample, sorted and deduplicated.
    pub label_names: Vec<String>,
    /// (labels, value) in the order written.
    pub samples: Vec<(BTreeMap<String, String>, f64)>,
}

impl Family {
    /// The value of the one sample whose labels include all of `want`.
    pub fn value(&self, want: &[(&str, &str)]) -> Option<f64> {
        let mut hits = self.samples.iter().filter(|(labels, _)| {
            want.iter()
                .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
        });
        let first = hits.next()?;
        assert!(
            hits.next().is_none(),
            "more than one sample matches {want:?}"
        );
        Some(first.1)
    }
}

/// Families by name from a text exposition (format 0.0.4).
pub fn parse_exposition(text: &str) -> BTreeMap<String, Family> {
    let mut out: BTreeMap<String, Family> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            out.entry(name.to_string()).or_default().help = help.to_string();
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, ""));
            out.entry(name.to_string()).or_default().kind = kind.to_string();
        } else if !line.is_empty() && !line.starts_with('#') {
            let (name, labels, value) = parse_sample(line);
            let f = out.entry(name).or_default();
            for k in labels.keys() {
                if !f.label_names.contains(k) {
                    f.label_names.push(k.clone());
                    f.label_names.sort();
                }
            }
            f.samples.push((labels, value));
        }
    }
    out
}

fn parse_sample(line: &str) -> (String, BTreeMap<String, String>, f64) {
    let mut labels = BTreeMap::new();
    let (name, rest) = match line.find(['{', ' ']) {
        Some(i) => (&line[..i], &line[i..]),
        None => panic!("bad sample line {line:?}"),
    };
    let mut rest = rest;
    if let Some(mut s) = rest.strip_prefix('{') {
        loop {
            s = s.trim_start_matches(',');
            if let Some(after) = s.strip_prefix('}') {
                rest = after;
                break;
            }
            let (key, after) = s.split_once("=\"").expect("label");
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end;
            loop {
                let (i, c) = chars.next().expect("unterminated label value");
                match c {
                    '\\' => {
                        let (_, e) = chars.next().unwrap();
                        value.push(match e {
                            'n' => '\n',
                            other => other,
                        });
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            labels.insert(key.to_string(), value);
            s = &after[end..];
        }
    }
    let value_text = rest.split_whitespace().next().expect("value");
    let value = match value_text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line:?}")),
    };
    (name.to_string(), labels, value)
}

/// GETs `/metrics` of a standalone exporter.
pub fn scrape_peer(port: u16) -> String {
    let (status, body) =
        ingot_testkit::http_get(SocketAddr::from(([127, 0, 0, 1], port)), "/metrics")
            .expect("scraping the standalone exporter");
    assert_eq!(status, 200, "{body}");
    body
}

/// A squid of its own on 127.0.0.1: no cache, every loopback client allowed, names of `hosts` resolved
/// from its own hosts file, and an access log of method, URL, status and the `X-Ingot-Proxy-Token`
/// request header (what a CONNECT carried).
pub struct Squid {
    _peer: Peer,
    port: u16,
    log: PathBuf,
}

impl Squid {
    pub fn start(hosts: &[&str]) -> Squid {
        let squid = require_binary("squid", "squid");
        let tmp = tempfile::Builder::new()
            .prefix("ingot-squid-")
            .tempdir()
            .unwrap();
        let dir = tmp.path().to_path_buf();
        // squid drops root for its own user, which writes the logs.
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
        let port = free_port();
        let d = dir.display();
        let hosts_text: String = hosts.iter().map(|h| format!("127.0.0.1 {h}\n")).collect();
        std::fs::write(dir.join("hosts"), hosts_text).unwrap();
        std::fs::write(
            dir.join("squid.conf"),
            format!(
                "http_port 127.0.0.1:{port}\npid_filename {d}/squid.pid\ncache_log {d}/cache.log\n\
                 logformat ingot %rm %ru %>Hs %{{X-Ingot-Proxy-Token}}>h\naccess_log stdio:{d}/access.log ingot\n\
                 cache deny all\ncache_mem 8 MB\nhosts_file {d}/hosts\nhttp_access allow localhost\n\
                 http_access deny all\ncoredump_dir {d}\nshutdown_lifetime 0 seconds\n\
                 visible_hostname ingot-test\npinger_enable off\n"
            ),
        )
        .unwrap();
        let mut cmd = Command::new(squid);
        cmd.arg("-N").arg("-f").arg(dir.join("squid.conf"));
        let mut peer = Peer::spawn("squid", cmd, tmp);
        peer.wait_for_port(
            SocketAddr::from(([127, 0, 0, 1], port)),
            Duration::from_secs(20),
        );
        Squid {
            _peer: peer,
            port,
            log: dir.join("access.log"),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Squid {
    fn drop(&mut self) {
        self._peer.signal(9);
    }
}
