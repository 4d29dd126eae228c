//! The oracles (`ingot_testkit::journal`: Debian's `systemd-journal-remote` and `journalctl`;
//! `python`: Debian's `python3-systemd`) and what compares the reader with them.

#![allow(dead_code)]

pub mod python;
pub mod writer;

pub use ingot_testkit::journal::*;

use ingot_journal::{Entry, JournalReader};

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
