//! Journal peers: Debian's `systemd-journal-remote` writes journal files from the Journal Export Format,
//! and `journalctl` reads them back (the reference reader). A missing program fails the test with its
//! install command.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const JOURNAL_REMOTE: &str = "/lib/systemd/systemd-journal-remote";

pub fn journal_remote_path() -> PathBuf {
    for p in [JOURNAL_REMOTE, "/usr/lib/systemd/systemd-journal-remote"] {
        if Path::new(p).is_file() {
            return PathBuf::from(p);
        }
    }
    panic!(
        "systemd-journal-remote is not installed; these tests write real journal files with it. Install it with: \
         sudo apt-get install -y systemd-journal-remote   (or run ./scripts/test, which installs every peer)"
    );
}

pub fn journalctl_path() -> PathBuf {
    for p in ["/usr/bin/journalctl", "/bin/journalctl"] {
        if Path::new(p).is_file() {
            return PathBuf::from(p);
        }
    }
    panic!(
        "journalctl is not installed; these tests read journal files with it as the reference. Install it with: \
         sudo apt-get install -y systemd   (or run ./scripts/test)"
    );
}

/// One entry of the export format: a field name and its bytes.
pub type Fields = Vec<(String, Vec<u8>)>;

/// Writes `entries` (export-format fields, `__REALTIME_TIMESTAMP` and `__MONOTONIC_TIMESTAMP` and
/// `_BOOT_ID` among them) as the Journal Export Format.
pub fn export_format(entries: &[Fields]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        for (k, v) in e {
            let text = !v.contains(&b'\n') && std::str::from_utf8(v).is_ok();
            out.extend_from_slice(k.as_bytes());
            if text {
                out.push(b'=');
                out.extend_from_slice(v);
            } else {
                out.push(b'\n');
                out.extend_from_slice(&(v.len() as u64).to_le_bytes());
                out.extend_from_slice(v);
            }
            out.push(b'\n');
        }
        out.push(b'\n');
    }
    out
}

/// `systemd-journal-remote -o <file> --split-mode=none -` fed with `input`; `env` adds variables
/// (`SYSTEMD_JOURNAL_KEYED_HASH=0`, `SYSTEMD_JOURNAL_COMPACT=0`), `args` options (`--compress=no`).
pub fn journal_remote(file: &Path, input: &[u8], env: &[(&str, &str)], args: &[&str]) {
    let mut cmd = Command::new(journal_remote_path());
    cmd.arg(format!("--output={}", file.display()))
        .arg("--split-mode=none")
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start systemd-journal-remote");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "systemd-journal-remote failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `journalctl <args> -o export`, parsed: every entry's fields in order, `__CURSOR` and the other
/// `__` fields included.
pub fn journalctl_export(args: &[&str]) -> Vec<Fields> {
    let out = Command::new(journalctl_path())
        .args(args)
        .args(["-o", "export", "--no-pager"])
        .output()
        .expect("run journalctl");
    assert!(
        out.status.success() || out.stdout.is_empty(),
        "journalctl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_export(&out.stdout)
}

pub fn parse_export(mut b: &[u8]) -> Vec<Fields> {
    let mut entries = Vec::new();
    let mut cur: Fields = Vec::new();
    while !b.is_empty() {
        let nl = b.iter().position(|&c| c == b'\n').expect("a line end");
        let line = &b[..nl];
        if line.is_empty() {
            entries.push(std::mem::take(&mut cur));
            b = &b[nl + 1..];
            continue;
        }
        match line.iter().position(|&c| c == b'=') {
            Some(eq) => {
                cur.push((
                    String::from_utf8(line[..eq].to_vec()).unwrap(),
                    line[eq + 1..].to_vec(),
                ));
                b = &b[nl + 1..];
            }
            None => {
                let name = String::from_utf8(line.to_vec()).unwrap();
                let rest = &b[nl + 1..];
                let len = u64::from_le_bytes(rest[..8].try_into().unwrap()) as usize;
                cur.push((name, rest[8..8 + len].to_vec()));
                assert_eq!(rest[8 + len], b'\n');
                b = &rest[8 + len + 1..];
            }
        }
    }
    if !cur.is_empty() {
        entries.push(cur);
    }
    entries
}

pub fn get<'a>(f: &'a Fields, name: &str) -> Option<&'a [u8]> {
    f.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_slice())
}

/// `systemd-journal-remote` writing to a file from a pipe, fed as the test goes; killed when dropped.
pub struct LiveWriter {
    child: std::process::Child,
}

impl LiveWriter {
    /// Starts the writer; the file exists once the first entry was sent and written.
    pub fn start(file: &Path) -> LiveWriter {
        let child = Command::new(journal_remote_path())
            .arg(format!("--output={}", file.display()))
            .args(["--split-mode=none", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start systemd-journal-remote");
        LiveWriter { child }
    }

    pub fn send(&mut self, entries: &[Fields]) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin
            .write_all(&export_format(entries))
            .expect("write to journal-remote");
        stdin.flush().expect("flush");
    }

    /// Closes its input: it writes what it has, marks the file offline and exits.
    pub fn finish(mut self) {
        drop(self.child.stdin.take());
        let status = self.child.wait().expect("wait for journal-remote");
        assert!(status.success(), "systemd-journal-remote failed: {status}");
    }
}

impl Drop for LiveWriter {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// An entry for the export format: wall clock `realtime` (µs), monotonic clock and boot, then `fields`.
pub fn export_entry(realtime: u64, monotonic: u64, boot: &str, fields: &[(&str, &str)]) -> Fields {
    let mut f: Fields = vec![
        (
            "__REALTIME_TIMESTAMP".into(),
            realtime.to_string().into_bytes(),
        ),
        (
            "__MONOTONIC_TIMESTAMP".into(),
            monotonic.to_string().into_bytes(),
        ),
        ("_BOOT_ID".into(), boot.as_bytes().to_vec()),
    ];
    f.extend(
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())),
    );
    f
}

/// Microseconds since the Unix epoch, now.
pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}
