//! Following a journal while it is written: `systemd-journal-remote` appending to a file the reader
//! reads at the same time, rotation (the file renamed to an archived name, a new one started, the old
//! one deleted), entries linked before all of them can be read (a torn entry waits, then reads), and
//! damaged files (never a panic).

mod support;

use std::time::{Duration, Instant};

use ingot_journal::{Entry, Journal, JournalReader, Options, Paths, SeekTo};
use support::writer::{self, WEntry};
use support::*;

const BOOT: &str = "0123456789abcdef0123456789abcdef";

fn entry(i: u64, tag: &str) -> Fields {
    let mono = 1_000_000 + i * 1_000;
    let mut f: Fields = vec![
        (
            "__REALTIME_TIMESTAMP".into(),
            (1_700_000_000_000_000 + mono).to_string().into_bytes(),
        ),
        (
            "__MONOTONIC_TIMESTAMP".into(),
            mono.to_string().into_bytes(),
        ),
        ("_BOOT_ID".into(), BOOT.as_bytes().to_vec()),
        ("MESSAGE".into(), format!("{tag} {i}").into_bytes()),
        ("SEQ".into(), i.to_string().into_bytes()),
        ("PRIORITY".into(), (i % 8).to_string().into_bytes()),
    ];
    if i.is_multiple_of(7) {
        f.push(("BIG".into(), format!("{i}-").repeat(400).into_bytes()));
    }
    f
}

fn seq(e: &Entry) -> u64 {
    std::str::from_utf8(e.get("SEQ").unwrap())
        .unwrap()
        .parse()
        .unwrap()
}

/// Reads until `want` entries came or the deadline passes, refreshing between rounds.
fn follow(j: &mut Journal, got: &mut Vec<Entry>, want: usize, deadline: Duration) {
    let end = Instant::now() + deadline;
    while got.len() < want && Instant::now() < end {
        while let Some(e) = j.next_entry() {
            got.push(e);
        }
        std::thread::sleep(Duration::from_millis(5));
        j.refresh();
    }
}

#[test]
fn entries_are_read_as_journal_remote_appends_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("live.journal");
    let mut w = LiveWriter::start(&file);
    w.send(&[entry(0, "live")]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !file.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut j = Journal::new(
        Paths::Directory(dir.path().to_path_buf()),
        Vec::new(),
        Options::default(),
    );
    j.seek(SeekTo::Head);
    let mut got = Vec::new();
    // The reader reads while the writer writes: batches of various sizes, no pause between some.
    let total = 3000u64;
    let mut i = 1;
    while i < total {
        let n = (1 + (i * 7919) % 97).min(total - i);
        let batch: Vec<Fields> = (i..i + n).map(|k| entry(k, "live")).collect();
        w.send(&batch);
        i += n;
        while let Some(e) = j.next_entry() {
            got.push(e);
        }
        j.refresh();
        if i % 5 == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    follow(&mut j, &mut got, total as usize, Duration::from_secs(20));
    w.finish();
    j.refresh();
    while let Some(e) = j.next_entry() {
        got.push(e);
    }
    let seqs: Vec<u64> = got.iter().map(seq).collect();
    assert_eq!(
        seqs,
        (0..total).collect::<Vec<_>>(),
        "every entry once, in order"
    );
    assert_eq!(j.counts().bad_entries, 0);
    assert_same(
        &got,
        &journalctl_export(&["--file", file.to_str().unwrap()]),
        "followed file",
    );
}

#[test]
fn rotation_renames_starts_anew_and_deletes_without_losing_or_repeating() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("system.journal");
    let mut j = Journal::new(
        Paths::Directory(dir.path().to_path_buf()),
        Vec::new(),
        Options::default(),
    );
    j.seek(SeekTo::Head);
    let mut got = Vec::new();
    let mut expected = Vec::new();
    let mut next = 0u64;
    for round in 0..4 {
        let mut w = LiveWriter::start(&active);
        for _ in 0..10 {
            let batch: Vec<Fields> = (next..next + 50).map(|k| entry(k, "rot")).collect();
            next += 50;
            w.send(&batch);
            // The reader keeps up only now and then: part of each file is read after its rotation.
            if next.is_multiple_of(150) {
                follow(&mut j, &mut got, 0, Duration::ZERO);
                j.refresh();
                while let Some(e) = j.next_entry() {
                    got.push(e);
                }
            }
        }
        w.finish();
        expected.extend(journalctl_export(&["--file", active.to_str().unwrap()]));
        // journald's rotation: the active file gets an archived name; the next writer starts a new one.
        let archived = dir.path().join(format!(
            "system@{round:032x}-{:016x}-{:016x}.journal",
            1, next
        ));
        std::fs::rename(&active, &archived).unwrap();
        j.refresh();
        if round >= 1 {
            // Vacuuming: the oldest archived file is deleted, maybe before it was read to its end.
            let oldest = dir.path().join(format!(
                "system@{:032x}-{:016x}-{:016x}.journal",
                round - 1,
                1,
                next - 500
            ));
            std::fs::remove_file(&oldest).unwrap();
        }
    }
    follow(&mut j, &mut got, next as usize, Duration::from_secs(20));
    let seqs: Vec<u64> = got.iter().map(seq).collect();
    assert_eq!(
        seqs,
        (0..next).collect::<Vec<_>>(),
        "every entry once, in order, across rotations"
    );
    assert_same(&got, &expected, "rotated files");
    // Deleted files are let go once read.
    j.refresh();
    assert_eq!(j.files().len(), 1, "{:?}", j.files());
}

fn went(n: u64) -> Vec<WEntry> {
    (0..n)
        .map(|i| {
            let f = entry(i, "torn");
            WEntry {
                realtime: 1_700_000_001_000_000 + i * 1_000,
                monotonic: 1_000_000 + i * 1_000,
                boot_id: ingot_journal::Id128::parse(BOOT).unwrap().0,
                fields: f
                    .into_iter()
                    .filter(|(k, _)| !k.starts_with("__"))
                    .collect(),
                seqnum: None,
            }
        })
        .collect()
}

fn set_state(bytes: &mut [u8], state: u8) {
    bytes[16] = state;
}

#[test]
fn a_torn_entry_is_waited_for_then_read_and_a_damaged_one_passed_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("torn.journal");
    let w = writer::write(
        &writer::Options {
            compact: true,
            ..Default::default()
        },
        &went(20),
    );
    let whole = w.bytes.clone();
    let last = w.entry_offsets[19] as usize;

    // The header and the entry array already count the last entry, its object is not there yet.
    let mut torn = whole.clone();
    set_state(&mut torn, 1);
    torn[last..last + 64].fill(0);
    std::fs::write(&path, &torn).unwrap();
    let opts = Options {
        stall_limit: Duration::from_secs(60),
        ..Default::default()
    };
    let mut j = Journal::new(Paths::Files(vec![path.clone()]), Vec::new(), opts);
    j.seek(SeekTo::Head);
    let got = drain(&mut j);
    assert_eq!(got.len(), 19);
    j.refresh();
    assert!(
        j.next_entry().is_none(),
        "the torn entry is waited for, not skipped"
    );
    assert_eq!(j.counts().bad_entries, 0);
    // The writer finishes it.
    let mut done = whole.clone();
    set_state(&mut done, 1);
    std::fs::write(&path, &done).unwrap();
    j.refresh();
    let e = j.next_entry().expect("the finished entry");
    assert_eq!(seq(&e), 19);

    // A DATA object whose payload is not there yet (its hash does not match): waited for too.
    let mut torn = whole.clone();
    set_state(&mut torn, 1);
    let msg = b"MESSAGE=torn 19";
    let at = torn.windows(msg.len()).position(|w| w == msg).unwrap();
    torn[at + 8] = b'X';
    std::fs::write(&path, &torn).unwrap();
    let opts = Options {
        stall_limit: Duration::from_millis(300),
        ..Default::default()
    };
    let mut j = Journal::new(Paths::Files(vec![path.clone()]), Vec::new(), opts);
    j.seek(SeekTo::Head);
    assert_eq!(drain(&mut j).len(), 19);
    assert!(j.next_entry().is_none());
    // Past the stall limit it is passed over, counted and said why.
    std::thread::sleep(Duration::from_millis(350));
    j.refresh();
    assert!(j.next_entry().is_none());
    assert_eq!(j.counts().bad_entries, 1);
    let notices = j.take_notices();
    assert!(
        notices[0].contains("does not match its hash"),
        "{notices:?}"
    );

    // In a file no longer written (offline), a damaged entry is passed over at once.
    let mut damaged = whole.clone();
    damaged[w.entry_offsets[5] as usize] = 9;
    std::fs::write(&path, &damaged).unwrap();
    let mut j = Journal::new(
        Paths::Files(vec![path.clone()]),
        Vec::new(),
        Options::default(),
    );
    j.seek(SeekTo::Head);
    let seqs: Vec<u64> = drain(&mut j).iter().map(seq).collect();
    assert_eq!(seqs, (0..20).filter(|&i| i != 5).collect::<Vec<_>>());
    assert_eq!(j.counts().bad_entries, 1);
}

#[test]
fn damaged_files_never_panic_and_read_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.journal");
    for compact in [false, true] {
        let w = writer::write(
            &writer::Options {
                compact,
                compression: writer::Compression::Lz4,
                compress_threshold: 64,
                ..Default::default()
            },
            &went(60),
        );
        let mut rng = Rng(0xdead_beef ^ compact as u64);
        let start = Instant::now();
        for round in 0..300 {
            let mut b = w.bytes.clone();
            // Damage: random bytes, a random run of zeros or ones, or the file cut short.
            match round % 4 {
                0 => {
                    for _ in 0..1 + rng.below(8) {
                        let at = rng.below(b.len() as u64) as usize;
                        b[at] = rng.next() as u8;
                    }
                }
                1 => {
                    let at = rng.below(b.len() as u64) as usize;
                    let n = (rng.below(64) as usize).min(b.len() - at);
                    let v = if rng.below(2) == 0 { 0 } else { 0xff };
                    b[at..at + n].fill(v);
                }
                2 => b.truncate(rng.below(b.len() as u64) as usize),
                _ => {
                    // A plausible but wrong offset in the header or an entry array.
                    let at =
                        [152usize, 176, 104, w.entry_array_items as usize][rng.below(4) as usize];
                    let v = rng.next() % (b.len() as u64 * 2);
                    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
                }
            }
            std::fs::write(&path, &b).unwrap();
            let mut j = Journal::new(
                Paths::Files(vec![path.clone()]),
                Vec::new(),
                Options::default(),
            );
            j.seek(SeekTo::Head);
            let got = drain(&mut j);
            assert!(got.len() <= 60, "round {round}: {} entries", got.len());
            j.seek(SeekTo::Realtime(1_700_000_001_030_000));
            let _ = drain(&mut j);
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{:?}",
            start.elapsed()
        );
    }
}
