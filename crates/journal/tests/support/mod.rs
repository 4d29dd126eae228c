//! The oracles: Debian's `systemd-journal-remote` writes journal files from the Journal Export Format,
//! and `journalctl` reads them back. A missing program fails the test with its install command.

#![allow(dead_code)]

pub mod writer;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ingot_journal::{Entry, JournalReader};

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

/// What journalctl's export says of an entry, in the reader's terms: its cursor, and its DATA fields
/// in order (`__` fields are journalctl's own; `_BOOT_ID` comes from the entry's header in the
/// export, so it is compared through the cursor).
pub fn expected(e: &Fields) -> (String, Fields) {
    let cursor = String::from_utf8(get(e, "__CURSOR").unwrap().to_vec()).unwrap();
    let fields = e
        .iter()
        .filter(|(k, _)| !k.starts_with("__") && k != "_BOOT_ID")
        .cloned()
        .collect();
    (cursor, fields)
}

pub fn actual(e: &Entry) -> (String, Fields) {
    (
        e.cursor(),
        e.fields
            .iter()
            .filter(|f| f.name != "_BOOT_ID")
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect(),
    )
}

/// Everything the reader gives until it has nothing more.
pub fn drain(r: &mut dyn JournalReader) -> Vec<Entry> {
    let mut out = Vec::new();
    while let Some(e) = r.next_entry() {
        out.push(e);
    }
    out
}

/// Asserts that the reader's entries are journalctl's, entry by entry.
pub fn assert_same(ours: &[Entry], theirs: &[Fields], what: &str) {
    let ours: Vec<(String, Fields)> = ours.iter().map(actual).collect();
    let theirs: Vec<(String, Fields)> = theirs.iter().map(expected).collect();
    if ours.len() != theirs.len() {
        let oc: Vec<&String> = ours.iter().map(|o| &o.0).collect();
        let tc: Vec<&String> = theirs.iter().map(|o| &o.0).collect();
        panic!(
            "{what}: {} entries read, journalctl reads {}\nours: {oc:#?}\ntheirs: {tc:#?}",
            ours.len(),
            theirs.len()
        );
    }
    for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(o.0, t.0, "{what}: entry {i}'s cursor");
        assert!(
            o.1 == t.1,
            "{what}: entry {i} ({}): fields differ:\nours:   {:?}\ntheirs: {:?}",
            o.0,
            show(&o.1),
            show(&t.1)
        );
    }
}

fn show(f: &Fields) -> Vec<String> {
    f.iter()
        .map(|(k, v)| {
            let s = String::from_utf8_lossy(v);
            if s.len() > 60 {
                format!("{k}=<{} bytes>", v.len())
            } else {
                format!("{k}={s:?}")
            }
        })
        .collect()
}

/// A small deterministic generator (xorshift), so that failures repeat.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
