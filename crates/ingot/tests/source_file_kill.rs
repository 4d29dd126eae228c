//! The real binary reading a log file written at a steady rate into `test.lines_to_file` (the
//! `test-hooks` feature): stopped with SIGKILL and restarted, then with SIGTERM and restarted, on the same
//! `--storage.path`. Every line arrives; after SIGTERM nothing is read twice (the positions are saved on
//! the way out), after SIGKILL at most what was read since the last save (every 2 s) is read again.
//! And as an unprivileged user, files it may not read make the component unhealthy with the path and
//! the cause.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_testkit::{free_port, http_get, Peer};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");
const RATE: u64 = 1000;

fn start(bin: &str, config: &Path, storage: &Path, addr: SocketAddr, user: Option<u32>) -> Peer {
    let mut cmd = match user {
        Some(uid) => {
            let mut c = Command::new(ingot_testkit::require_binary("setpriv", "util-linux"));
            c.arg(format!("--reuid={uid}"))
                .arg(format!("--regid={uid}"))
                .arg("--clear-groups")
                .arg(bin);
            c
        }
        None => Command::new(bin),
    };
    cmd.arg("run")
        .arg(config)
        .arg(format!("--server.http.listen-addr={addr}"))
        .arg(format!("--storage.path={}", storage.display()));
    let mut peer = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(addr, Duration::from_secs(20));
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

/// Sequence numbers delivered, with how often each came.
fn delivered(out: &Path) -> BTreeMap<u64, u64> {
    let text = std::fs::read_to_string(out).unwrap_or_default();
    let mut m = BTreeMap::new();
    for line in text.lines() {
        if let Some(n) = line
            .split('\t')
            .nth(1)
            .and_then(|l| l.strip_prefix("seq="))
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
        {
            *m.entry(n).or_default() += 1;
        }
    }
    m
}

struct Writer {
    stop: Arc<AtomicBool>,
    written: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    fn start(path: &Path) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let (s, w, path) = (stop.clone(), written.clone(), path.to_path_buf());
        let thread = std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .unwrap();
            let started = Instant::now();
            let mut n = 0u64;
            while !s.load(Ordering::SeqCst) {
                writeln!(f, "seq={n} a line of a log file, long enough to be a line").unwrap();
                n += 1;
                w.store(n, Ordering::SeqCst);
                let due = started + Duration::from_micros(n * 1_000_000 / RATE);
                if let Some(d) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(d);
                }
            }
        });
        Writer {
            stop,
            written,
            thread: Some(thread),
        }
    }

    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
        self.written.load(Ordering::SeqCst)
    }
}

fn positions_offset(storage: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(storage.join("loki.source.file.app/positions.yml")).ok()?;
    let line = text.lines().nth(3)?;
    line.trim()
        .strip_prefix(": \"")?
        .strip_suffix('"')?
        .parse()
        .ok()
}

#[test]
fn sigkill_and_sigterm_resume_from_the_positions_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let out = dir.path().join("out.txt");
    let storage = dir.path().join("data");
    let config = dir.path().join("config.alloy");
    std::fs::write(
        &config,
        format!(
            r#"
test.lines_to_file "out" {{
  path = "{}"
}}

loki.source.file "app" {{
  targets    = [{{ __path__ = "{}", job = "app" }}]
  forward_to = [test.lines_to_file.out.receiver]
}}
"#,
            out.display(),
            log.display()
        ),
    )
    .unwrap();
    let writer = Writer::start(&log);
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();

    // 1. Running; then SIGKILL: no save on the way out.
    let mut ingot = start(BIN, &config, &storage, addr, None);
    wait_until("lines delivered", Duration::from_secs(20), &ingot, || {
        delivered(&out).len() >= 2000
    });
    // Saved every 2 s: under load the first save may come after the 2,000th line.
    wait_until("a positions save", Duration::from_secs(20), &ingot, || {
        positions_offset(&storage).is_some()
    });
    ingot.signal(9);
    ingot.wait_exit(Duration::from_secs(10)).expect("killed");
    let before_kill = delivered(&out).len() as u64;
    let saved = positions_offset(&storage).expect("a positions file saved while running");
    std::thread::sleep(Duration::from_millis(500));

    // 2. Restarted: resumes at the saved position (what came after it is read again, bounded).
    let mut ingot = start(BIN, &config, &storage, addr, None);
    wait_until(
        "lines after the restart",
        Duration::from_secs(20),
        &ingot,
        || delivered(&out).len() as u64 >= before_kill + 2000,
    );
    let dups_after_kill: u64 = delivered(&out).values().map(|c| c - 1).sum();
    // At most what was read since the last save: 2 s at 1,000 lines/s, and the lines of one batch.
    assert!(
        dups_after_kill <= 2 * RATE + 1024,
        "{dups_after_kill} lines read twice after SIGKILL (saved offset {saved})"
    );

    // 3. SIGTERM: the positions are saved on the way out, exactly where delivery stopped.
    ingot.signal(15);
    let status = ingot.wait_exit(Duration::from_secs(20)).expect("stopped");
    assert!(status.success(), "{status:?}\n{}", ingot.log());
    let offset = positions_offset(&storage).unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines_before_offset = text[..offset as usize].lines().count() as u64;
    let distinct = delivered(&out).len() as u64;
    assert_eq!(
        lines_before_offset, distinct,
        "the saved offset is the end of the last line delivered"
    );
    let dups_before_term: u64 = delivered(&out).values().map(|c| c - 1).sum();

    // 4. Restarted after SIGTERM: nothing read twice, everything arrives.
    let ingot = start(BIN, &config, &storage, addr, None);
    std::thread::sleep(Duration::from_millis(1500));
    let n = writer.stop();
    wait_until("every line", Duration::from_secs(30), &ingot, || {
        delivered(&out).len() as u64 == n
    });
    std::thread::sleep(Duration::from_millis(500));
    let got = delivered(&out);
    assert!((0..n).all(|i| got.contains_key(&i)));
    let dups: u64 = got.values().map(|c| c - 1).sum();
    assert_eq!(
        dups, dups_before_term,
        "no line read twice after a SIGTERM restart"
    );
    eprintln!("{n} lines; {dups_after_kill} read twice after SIGKILL, none after SIGTERM");
}

#[test]
fn files_it_may_not_read_are_unhealthy_with_the_path_and_cause() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::set_permissions(root, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // Root can read anything: the agent runs as nobody.
    let nobody = 65534;
    let bin = root.join("ingot");
    std::fs::copy(BIN, &bin).unwrap();
    let secret = root.join("secret.log");
    std::fs::write(&secret, "x\n").unwrap();
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let closed = root.join("closed");
    std::fs::create_dir(&closed).unwrap();
    std::fs::write(closed.join("app.log"), "x\n").unwrap();
    std::fs::set_permissions(&closed, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let open = root.join("open.log");
    std::fs::write(&open, "fine\n").unwrap();
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

loki.source.file "perm" {{
  targets    = [
    {{ __path__ = "{}" }},
    {{ __path__ = "{}/app.log" }},
    {{ __path__ = "{}" }},
  ]
  forward_to = [test.lines_to_file.out.receiver]
}}
"#,
            out.display(),
            secret.display(),
            closed.display(),
            open.display()
        ),
    )
    .unwrap();
    assert_eq!(std::fs::metadata(&secret).unwrap().uid(), 0);
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let ingot = start(bin.to_str().unwrap(), &config, &storage, addr, Some(nobody));
    let health = || {
        let (status, body) =
            http_get(addr, "/api/v0/web/components/loki.source.file.perm").unwrap();
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        (
            v["health"]["state"].as_str().unwrap().to_string(),
            v["health"]["message"].as_str().unwrap().to_string(),
        )
    };
    wait_until(
        "unhealthy with both paths",
        Duration::from_secs(20),
        &ingot,
        || {
            let (state, message) = health();
            state == "unhealthy"
                && message.contains(&format!("open {}: permission denied", secret.display()))
                && message.contains(&format!(
                    "open {}/app.log: permission denied",
                    closed.display()
                ))
        },
    );
    // The readable file is read all the same.
    wait_until("the readable file", Duration::from_secs(20), &ingot, || {
        std::fs::read_to_string(&out).unwrap().contains("\tfine")
    });
    // Logged once per change (the file's own line and the component's health), not on every retry.
    let needle = format!("open {}: permission denied", secret.display());
    let count = |log: &str| log.lines().filter(|l| l.contains(&needle)).count();
    let first = count(&ingot.log());
    std::thread::sleep(Duration::from_secs(3));
    let log = ingot.log();
    assert_eq!(count(&log), first, "{log}");
    assert!(first <= 2, "{log}");
    // Readable again: healthy.
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&closed, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    wait_until("healthy", Duration::from_secs(30), &ingot, || {
        health().0 == "healthy"
    });
}

/// The positions file never runs ahead of what `loki.write` has written to its WAL: with every WAL append
/// delayed (the `test-hooks` feature's `INGOT_TEST_WAL_APPEND_DELAY_MS`), the reader has read the whole
/// file long before the WAL holds it; a SIGKILL then must not leave a saved position past what the WAL
/// holds, or the lines between would be lost for good. After the restart (at full speed) every line
/// arrives at the sink.
#[test]
fn sigkill_never_loses_lines_loki_write_had_only_queued() {
    let n = 40_000u64;
    let run = SlowWalRun::start(n);
    // Past the first positions save (every 2 s), with most appends still queued for the slow WAL.
    std::thread::sleep(Duration::from_millis(3500));
    run.kill_and_check_every_line_arrives(n);
}

/// copytruncate while loki.write's WAL is slow: most lines taken from the file are still queued when the
/// file is truncated, then the agent is killed while it reads the rest from the copy. The positions file
/// must go on naming the copy (and where its stored lines end) until it is read whole and stored: the
/// restart then finishes the copy before the new content. (Naming the truncated file instead lost every
/// line of the copy that was not stored yet.)
#[test]
fn sigkill_while_a_copytruncated_file_drains_loses_nothing() {
    let (old, new) = (40_000u64, 200u64);
    let run = SlowWalRun::start(old);
    std::thread::sleep(Duration::from_millis(1500));
    // logrotate's copytruncate, by hand: copy, truncate in place, and the application writes on.
    std::fs::copy(&run.log, run.dir.path().join("app.log.1")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&run.log)
        .unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&run.log)
        .unwrap();
    f.write_all(seq_lines(old..old + new).as_bytes()).unwrap();
    drop(f);
    // Past the truncation being seen and a positions save (every 2 s), with the copy still draining.
    std::thread::sleep(Duration::from_millis(3500));
    run.kill_and_check_every_line_arrives(old + new);
}

fn seq_lines(seqs: std::ops::Range<u64>) -> String {
    seqs.map(|i| format!("seq={i} a line of a log file, long enough to be a line\n"))
        .collect()
}

/// `app.log` holding `seq=0..n` lines, read by an agent whose loki.write WAL takes 300 ms per append
/// (the test-hooks build), so that most lines taken from the file are still queued for a while.
struct SlowWalRun {
    sink: ingot_testkit::loki_sink::LokiSink,
    dir: tempfile::TempDir,
    log: PathBuf,
    storage: PathBuf,
    config: PathBuf,
    addr: SocketAddr,
    slow: Peer,
}

impl SlowWalRun {
    fn start(n: u64) -> SlowWalRun {
        let sink = ingot_testkit::loki_sink::LokiSink::start();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        std::fs::write(&log, seq_lines(0..n)).unwrap();
        let storage = dir.path().join("data");
        let config = dir.path().join("config.alloy");
        std::fs::write(
            &config,
            format!(
                r#"
loki.source.file "app" {{
  targets    = [{{ __path__ = "{}" }}]
  forward_to = [loki.write.sink.receiver]
}}

loki.write "sink" {{
  endpoint {{
    url        = "{}"
    batch_wait = "100ms"
  }}
}}
"#,
                log.display(),
                sink.url()
            ),
        )
        .unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let mut cmd = Command::new(BIN);
        cmd.arg("run")
            .arg(&config)
            .arg(format!("--server.http.listen-addr={addr}"))
            .arg(format!("--storage.path={}", storage.display()))
            .env("INGOT_TEST_WAL_APPEND_DELAY_MS", "300");
        let mut slow = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
        slow.wait_for_port(addr, Duration::from_secs(20));
        SlowWalRun {
            sink,
            dir,
            log,
            storage,
            config,
            addr,
            slow,
        }
    }

    /// SIGKILLs the slow agent (which must not have delivered everything yet), restarts it at full
    /// speed, and checks that every one of `seq=0..n` reaches the sink.
    fn kill_and_check_every_line_arrives(mut self, n: u64) {
        let saved =
            std::fs::read_to_string(self.storage.join("loki.source.file.app/positions.yml"))
                .expect("positions saved while running");
        self.slow.signal(9);
        self.slow
            .wait_exit(Duration::from_secs(10))
            .expect("killed");
        let before = self.sink.entries().len() as u64;
        assert!(
            before < n,
            "the slow WAL let everything through before the kill ({before} lines): the test shows nothing"
        );

        let ingot = start(BIN, &self.config, &self.storage, self.addr, None);
        let seqs = || {
            let mut s: Vec<u64> = self
                .sink
                .entries()
                .iter()
                .filter_map(|e| e.line.strip_prefix("seq=")?.split(' ').next()?.parse().ok())
                .collect();
            s.sort_unstable();
            s.dedup();
            s
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while (seqs().len() as u64) < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let got = seqs();
        let missing: Vec<u64> = (0..n).filter(|i| got.binary_search(i).is_err()).collect();
        assert!(
            missing.is_empty(),
            "{} of {n} lines never arrived after the restart (first {:?}); positions saved before the kill:\n{saved}\ningot said:\n{}",
            missing.len(),
            &missing[..missing.len().min(5)],
            ingot.log()
        );
    }
}
