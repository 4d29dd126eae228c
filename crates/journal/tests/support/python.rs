//! The second oracle: Debian's `python3-systemd` (libsystemd's `sd_journal` behind
//! `systemd.journal.Reader`) reads the same files through `tests/peers/pyjournal.py`, which prints each
//! entry as a JSON line with its values as raw bytes. journalctl and libsystemd share code, but the
//! export format hides the timestamps' and repeated fields' raw form; this peer shows them.

use std::path::PathBuf;
use std::process::Command;

use ingot_journal::Entry;

pub const PYTHON: &str = "/usr/bin/python3";

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/pyjournal.py")
}

/// Fails (never skips) when the peer is missing, with the command that installs it.
fn require_python_systemd() {
    let ok = Command::new(PYTHON)
        .args(["-c", "import systemd.journal"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "python3-systemd is not installed; these tests read journal files with it as a second reference. \
         Install it with: sudo apt-get install -y python3-systemd   (or run ./scripts/test, which installs every peer)"
    );
}

/// One entry as libsystemd reads it: fields as (name, bytes), sorted, so that two readers are compared
/// as multisets (python-systemd gathers a repeated field's values under one key).
#[derive(Debug, PartialEq, Eq)]
pub struct PyEntry {
    pub cursor: String,
    pub realtime: u64,
    pub monotonic: u64,
    pub boot_id: String,
    pub fields: Vec<(String, Vec<u8>)>,
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex from pyjournal.py: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex from pyjournal.py"))
        .collect()
}

/// Runs `pyjournal.py <args>` (`--file F`, `--directory D`, `--match M`, `--cursor C`,
/// `--after-cursor C`) and parses its lines.
pub fn python_journal(args: &[&str]) -> Vec<PyEntry> {
    require_python_systemd();
    let out = Command::new(PYTHON)
        .arg(script())
        .args(args)
        .output()
        .expect("run pyjournal.py");
    assert!(
        out.status.success(),
        "pyjournal.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("pyjournal.py prints JSON");
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let num = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k} in {line}"));
            let mut fields: Vec<(String, Vec<u8>)> = v["fields"]
                .as_array()
                .expect("fields")
                .iter()
                .map(|f| {
                    (
                        f[0].as_str().expect("a field name").to_string(),
                        unhex(f[1].as_str().expect("a field value")),
                    )
                })
                .collect();
            fields.sort();
            PyEntry {
                cursor: v["cursor"].as_str().expect("cursor").to_string(),
                realtime: num("realtime"),
                monotonic: num("monotonic"),
                boot_id: v["boot_id"].as_str().expect("boot_id").to_string(),
                fields,
            }
        })
        .collect()
}

/// The reader's entry in the same terms. Every DATA field counts, `_BOOT_ID` included (journal-remote
/// and journald store it as a field too); the boot id of the header is compared on its own.
pub fn as_python(e: &Entry) -> PyEntry {
    let mut fields: Vec<(String, Vec<u8>)> = e
        .fields
        .iter()
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect();
    fields.sort();
    PyEntry {
        cursor: e.cursor(),
        realtime: e.position.realtime,
        monotonic: e.position.monotonic,
        boot_id: e.position.boot_id.to_string(),
        fields,
    }
}

/// Asserts that the reader's entries are libsystemd's: same order, cursors, timestamps, boot ids and
/// field multisets.
pub fn assert_same_as_python(ours: &[Entry], theirs: &[PyEntry], what: &str) {
    let ours: Vec<PyEntry> = ours.iter().map(as_python).collect();
    if ours.len() != theirs.len() {
        let oc: Vec<&String> = ours.iter().map(|o| &o.cursor).collect();
        let tc: Vec<&String> = theirs.iter().map(|o| &o.cursor).collect();
        panic!(
            "{what}: {} entries read, python-systemd reads {}\nours: {oc:#?}\ntheirs: {tc:#?}",
            ours.len(),
            theirs.len()
        );
    }
    for (i, (o, t)) in ours.iter().zip(theirs).enumerate() {
        assert_eq!(o.cursor, t.cursor, "{what}: entry {i}'s cursor");
        assert_eq!(
            (o.realtime, o.monotonic, &o.boot_id),
            (t.realtime, t.monotonic, &t.boot_id),
            "{what}: entry {i} ({}): realtime, monotonic, boot id",
            o.cursor
        );
        assert!(
            o.fields == t.fields,
            "{what}: entry {i} ({}): fields differ:\nours:   {:?}\ntheirs: {:?}",
            o.cursor,
            super::show(&o.fields),
            super::show(&t.fields)
        );
    }
}
