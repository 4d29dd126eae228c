//! Alloy's "Monitor Linux" configuration (`tests/data/monitor-linux.alloy`: the journal with
//! `discovery.relabel` rules, `local.file_match` on `/var/log/{syslog,messages,*.log}`,
//! `loki.source.file`, `loki.write`, and the node exporter scraped into `prometheus.remote_write`) run by
//! the binary unchanged but for its two endpoint URLs. Its paths are the real ones: the binary runs in a
//! private mount namespace where a temporary directory is mounted on `/var/log` and a tmpfs on `/run`,
//! holding journal files Debian's `systemd-journal-remote` wrote (persistent, archived, volatile, another
//! machine's) and log files. Every line and entry arrives in the Python Loki sink with the labels Alloy
//! gives it; the binary is stopped with SIGKILL and SIGTERM and restarted on the same storage path, and
//! nothing is lost or read twice. As an unprivileged user, a journal file it may not read makes the
//! component unhealthy with the path and the cause.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ingot_testkit::journal::{
    export_entry, export_format, get, journal_remote, journalctl_export, now_us, Fields,
};
use ingot_testkit::loki_sink::{LokiSink, Received};
use ingot_testkit::remote_write_sink::RemoteWriteSink;
use ingot_testkit::{free_port, http_get, require_binary, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");
const CONFIG: &str = include_str!("data/monitor-linux.alloy");
const JOURNAL_ID: &str =
    "loki.source.journal.logs_integrations_integrations_node_exporter_journal_scrape";
const HOUR: u64 = 3_600_000_000;
const BOOT_A: &str = "0123456789abcdef0123456789abcdef";
const BOOT_B: &str = "fedcba9876543210fedcba9876543210";
const WAIT: Duration = Duration::from_secs(40);

fn machine_id() -> String {
    std::fs::read_to_string("/etc/machine-id")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| s.len() == 32)
        .unwrap_or_else(|| "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a".into())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// Journal entries `from..to`, a second apart from `start` (µs), in boot `boot`.
fn entries(tag: &str, from: u64, to: u64, start: u64, boot: &str) -> Vec<Fields> {
    let units = ["cron.service", "sshd.service", "nginx.service"];
    let transports = ["journal", "syslog", "stdout"];
    (from..to)
        .map(|i| {
            let msg = format!("{tag} entry {i}");
            let prio = (i % 8).to_string();
            let mut f = vec![
                ("MESSAGE", msg.as_str()),
                ("PRIORITY", prio.as_str()),
                ("_TRANSPORT", transports[(i % 3) as usize]),
                ("SYSLOG_IDENTIFIER", tag),
            ];
            if i % 4 != 3 {
                f.push(("_SYSTEMD_UNIT", units[(i % 3) as usize]));
            }
            export_entry(start + i * 1_000_000, 5_000_000 + i * 1_000_000, boot, &f)
        })
        .collect()
}

struct Host {
    dir: tempfile::TempDir,
    mid: String,
}

impl Host {
    fn log(&self) -> std::path::PathBuf {
        self.dir.path().join("log")
    }
    fn persistent(&self) -> std::path::PathBuf {
        self.log()
            .join("journal")
            .join(&self.mid)
            .join("system.journal")
    }
    fn runtime_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("run-journal")
    }
}

/// What a host's `/var/log` and `/run/log/journal` hold.
fn host() -> Host {
    let dir = tempfile::tempdir().unwrap();
    let mid = machine_id();
    let h = Host { dir, mid };
    let log = h.log();
    let jdir = log.join("journal").join(&h.mid);
    std::fs::create_dir_all(&jdir).unwrap();
    let now = now_us();
    // Persistent: five entries from 30 hours ago (older than max_age's 24h), then twenty recent ones.
    let mut p = entries("persistent", 0, 5, now - 30 * HOUR, BOOT_A);
    p.extend(entries("persistent", 5, 25, now - HOUR, BOOT_A));
    journal_remote(&h.persistent(), &export_format(&p), &[], &[]);
    // An archived file from an earlier boot.
    let archived = jdir
        .join("system@0123456789abcdef0123456789abcdef-0000000000000001-0005f3b0bf7e6e00.journal");
    journal_remote(
        &archived,
        &export_format(&entries("archived", 0, 10, now - 3 * HOUR, BOOT_B)),
        &[],
        &[],
    );
    // Another machine's directory: not read (Alloy opens the journal local-only).
    let other = log.join("journal").join("aaaabbbbccccddddeeeeffff00001111");
    std::fs::create_dir_all(&other).unwrap();
    journal_remote(
        &other.join("system.journal"),
        &export_format(&entries("foreign", 0, 5, now - HOUR, BOOT_A)),
        &[],
        &[],
    );
    // The volatile journal under /run.
    let run = h.runtime_dir().join(&h.mid);
    std::fs::create_dir_all(&run).unwrap();
    journal_remote(
        &run.join("system.journal"),
        &export_format(&entries("volatile", 0, 4, now - 2 * HOUR, BOOT_B)),
        &[],
        &[],
    );
    // Log files: three match the config's pattern, two do not.
    std::fs::write(log.join("syslog"), "syslog 0\nsyslog 1\nsyslog 2\n").unwrap();
    std::fs::write(log.join("messages"), "messages 0\nmessages 1\n").unwrap();
    std::fs::write(log.join("auth.log"), "auth.log 0\nauth.log 1\n").unwrap();
    std::fs::write(log.join("other.txt"), "not matched\n").unwrap();
    std::fs::create_dir(log.join("apt")).unwrap();
    std::fs::write(log.join("apt").join("history.log"), "not matched either\n").unwrap();
    h
}

/// The binary in a private mount namespace with the host's directories in place.
fn start(h: &Host, config: &Path, storage: &Path, addr: SocketAddr) -> Peer {
    let unshare = require_binary("unshare", "util-linux");
    assert!(
        is_root(),
        "this test mounts a directory on /var/log in a private mount namespace: it needs root (CAP_SYS_ADMIN)"
    );
    let script = r#"set -e
mount --bind "$1" /var/log
mount -t tmpfs tmpfs /run
mkdir -p /run/log/journal
cp -r "$2"/. /run/log/journal/
shift 2
exec "$@""#;
    let mut cmd = Command::new(unshare);
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        script,
        "sh",
    ])
    .arg(h.log())
    .arg(h.runtime_dir())
    .arg(BIN)
    .arg("run")
    .arg(config)
    .arg(format!("--server.http.listen-addr={addr}"))
    .arg(format!("--storage.path={}", storage.display()));
    let mut peer = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(addr, Duration::from_secs(30));
    peer
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1).map(|e| e == "0"))
        .unwrap_or(false)
}

fn wait_until(what: &str, peer: &Peer, sink: &LokiSink, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "timed out waiting for {what}; ingot said:\n{}\nsink said:\n{}",
        peer.log(),
        sink.log()
    );
}

/// Each received line, by its text, with how often it came.
fn counts(got: &[Received]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in got {
        *m.entry(r.line.clone()).or_default() += 1;
    }
    m
}

fn s(e: &Fields, k: &str) -> Option<String> {
    get(e, k).map(|v| String::from_utf8_lossy(v).into_owned())
}

/// What Alloy sends for a journal entry: its labels (the config's relabel rules on `__journal_*`).
fn journal_labels(e: &Fields) -> String {
    let mut l: BTreeMap<&str, String> = BTreeMap::new();
    l.insert("job", JOURNAL_ID.to_string());
    l.insert("boot_id", s(e, "_BOOT_ID").unwrap());
    l.insert("transport", s(e, "_TRANSPORT").unwrap());
    if let Some(u) = s(e, "_SYSTEMD_UNIT") {
        l.insert("unit", u);
    }
    let p: usize = s(e, "PRIORITY").unwrap().parse().unwrap();
    l.insert(
        "level",
        [
            "emerg", "alert", "crit", "error", "warning", "notice", "info", "debug",
        ][p]
            .to_string(),
    );
    let parts: Vec<String> = l.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", parts.join(", "))
}

fn file_labels(path: &str, host: &str) -> String {
    format!(r#"{{filename="{path}", instance="{host}", job="integrations/node_exporter"}}"#)
}

#[test]
fn alloys_monitor_linux_config_runs_unchanged() {
    let sink = LokiSink::start();
    let rw = RemoteWriteSink::start();
    let h = host();
    let storage = h.dir.path().join("data");
    let config_path = h.dir.path().join("config.alloy");
    let config = CONFIG
        .replace("http://loki:3100/loki/api/v1/push", &sink.url())
        .replace("http://prometheus:9090/api/v1/write", &rw.url());
    assert_ne!(config, CONFIG);
    std::fs::write(&config_path, &config).unwrap();

    // What should arrive: journal entries within max_age from this machine's files, and the lines of
    // the matching files.
    let cutoff = now_us() - 24 * HOUR;
    let mut expected: Vec<(String, String, i64)> = Vec::new();
    let archived = h.persistent().with_file_name(
        "system@0123456789abcdef0123456789abcdef-0000000000000001-0005f3b0bf7e6e00.journal",
    );
    let runtime = h.runtime_dir().join(&h.mid).join("system.journal");
    let mut journal_order = Vec::new();
    let files = [h.persistent(), archived, runtime];
    let mut args = Vec::new();
    for f in &files {
        args.extend(["--file", f.to_str().unwrap()]);
    }
    for e in journalctl_export(&args) {
        let rt: u64 = s(&e, "__REALTIME_TIMESTAMP").unwrap().parse().unwrap();
        if rt >= cutoff {
            journal_order.push(s(&e, "MESSAGE").unwrap());
            expected.push((
                s(&e, "MESSAGE").unwrap(),
                journal_labels(&e),
                rt as i64 * 1000,
            ));
        }
    }
    assert_eq!(expected.len(), 20 + 10 + 4);
    let host_name = hostname();
    for (file, n) in [("syslog", 3), ("messages", 2), ("auth.log", 2)] {
        for i in 0..n {
            expected.push((
                format!("{file} {i}"),
                file_labels(&format!("/var/log/{file}"), &host_name),
                0,
            ));
        }
    }

    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let ingot = start(&h, &config_path, &storage, addr);
    wait_until("every line and entry", &ingot, &sink, || {
        sink.entries().len() >= expected.len()
    });
    std::thread::sleep(Duration::from_millis(1500));
    let got = sink.entries();
    assert_eq!(got.len(), expected.len(), "{:#?}", counts(&got));
    for (line, labels, ts) in &expected {
        let r = got
            .iter()
            .find(|r| &r.line == line)
            .unwrap_or_else(|| panic!("{line:?} did not arrive; got {:#?}", counts(&got)));
        assert_eq!(&r.labels, labels, "{line}");
        if *ts != 0 {
            assert_eq!(r.timestamp_ns, *ts, "{line}");
        }
    }
    // The journal entries in the journal's order (journalctl's, over the same files).
    let journal_lines: Vec<&str> = got
        .iter()
        .filter(|r| r.labels.contains(JOURNAL_ID))
        .map(|r| r.line.as_str())
        .collect();
    assert_eq!(journal_lines, journal_order);
    let (status, body) = http_get(addr, &format!("/api/v0/web/components/{JOURNAL_ID}")).unwrap();
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["health"]["state"], "healthy", "{body}");
    assert_eq!(v["health"]["message"], "journal tailer is running");
    // The metrics half of the config works too.
    let deadline = Instant::now() + WAIT;
    while rw.requests().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        !rw.requests().is_empty(),
        "no remote write reached the receiver"
    );

    // SIGKILL after the positions were saved (every 2 s), more written while it is down, a restart.
    std::thread::sleep(Duration::from_millis(2500));
    ingot.signal(9);
    drop(ingot);
    let later = entries("persistent", 25, 40, now_us() - HOUR / 2, BOOT_A);
    journal_remote(&h.persistent(), &export_format(&later), &[], &[]);
    append(&h.log().join("syslog"), "syslog 3\nsyslog 4\n");
    let ingot = start(&h, &config_path, &storage, addr);
    let want = expected.len() + 15 + 2;
    wait_until(
        "the entries written while it was down",
        &ingot,
        &sink,
        || sink.entries().len() >= want,
    );
    std::thread::sleep(Duration::from_millis(1500));
    let got = sink.entries();
    let c = counts(&got);
    assert_eq!(got.len(), want, "{c:#?}");
    assert!(c.values().all(|&n| n == 1), "read twice: {c:#?}");
    assert!(c.contains_key("persistent entry 39") && c.contains_key("syslog 4"));

    // SIGTERM right after more arrives: the cursor is saved on the way out.
    journal_remote(
        &h.persistent(),
        &export_format(&entries("persistent", 40, 50, now_us() - HOUR / 4, BOOT_A)),
        &[],
        &[],
    );
    let want = want + 10;
    wait_until("ten more entries", &ingot, &sink, || {
        sink.entries().len() >= want
    });
    ingot.signal(15);
    let mut ingot = ingot;
    assert!(
        ingot.wait_exit(Duration::from_secs(20)).is_some(),
        "{}",
        ingot.log()
    );
    drop(ingot);
    journal_remote(
        &h.persistent(),
        &export_format(&entries("persistent", 50, 55, now_us() - HOUR / 8, BOOT_A)),
        &[],
        &[],
    );
    let ingot = start(&h, &config_path, &storage, addr);
    let want = want + 5;
    wait_until("five more entries", &ingot, &sink, || {
        sink.entries().len() >= want
    });
    std::thread::sleep(Duration::from_millis(1500));
    let c = counts(&sink.entries());
    assert_eq!(sink.entries().len(), want, "{c:#?}");
    assert!(c.values().all(|&n| n == 1), "read twice: {c:#?}");
    drop(ingot);
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

#[test]
fn a_journal_file_it_may_not_read_makes_it_unhealthy_with_the_path_and_cause() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::set_permissions(root, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let nobody = 65534;
    let jdir = root.join("journal");
    std::fs::create_dir(&jdir).unwrap();
    let now = now_us();
    let readable = jdir.join("user-1000.journal");
    journal_remote(
        &readable,
        &export_format(&entries("open", 0, 3, now - HOUR, BOOT_A)),
        &[],
        &[],
    );
    std::fs::set_permissions(
        &readable,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let secret = jdir.join("system.journal");
    journal_remote(
        &secret,
        &export_format(&entries("secret", 0, 3, now - HOUR, BOOT_A)),
        &[],
        &[],
    );
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    let storage = root.join("data");
    std::fs::create_dir(&storage).unwrap();
    std::os::unix::fs::chown(&storage, Some(nobody), Some(nobody)).unwrap();
    let out = root.join("out.txt");
    std::fs::write(&out, "").unwrap();
    std::os::unix::fs::chown(&out, Some(nobody), Some(nobody)).unwrap();
    let config = root.join("config.alloy");
    std::fs::write(
        &config,
        format!(
            r#"
test.lines_to_file "out" {{
  path = "{}"
}}

loki.source.journal "perm" {{
  path       = "{}"
  forward_to = [test.lines_to_file.out.receiver]
}}
"#,
            out.display(),
            jdir.display()
        ),
    )
    .unwrap();
    let bin = root.join("ingot");
    std::fs::copy(BIN, &bin).unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(require_binary("setpriv", "util-linux"));
    cmd.arg(format!("--reuid={nobody}"))
        .arg(format!("--regid={nobody}"))
        .arg("--clear-groups")
        .arg(&bin)
        .arg("run")
        .arg(&config)
        .arg(format!("--server.http.listen-addr={addr}"))
        .arg(format!("--storage.path={}", storage.display()));
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(addr, Duration::from_secs(20));
    let deadline = Instant::now() + WAIT;
    let want = format!("open {}: permission denied", secret.display());
    loop {
        let (_, body) = http_get(addr, "/api/v0/web/components/loki.source.journal.perm").unwrap();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        if v["health"]["state"] == "unhealthy"
            && v["health"]["message"].as_str().unwrap().contains(&want)
        {
            break;
        }
        assert!(Instant::now() < deadline, "{body}\n{}", ingot.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    // The readable file is read all the same.
    let deadline = Instant::now() + WAIT;
    while std::fs::read_to_string(&out).unwrap().lines().count() < 3 {
        assert!(Instant::now() < deadline, "{}", ingot.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ingot.log().contains(&want));
}
