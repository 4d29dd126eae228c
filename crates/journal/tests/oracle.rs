//! The reader against systemd: journal files written by Debian's `systemd-journal-remote` (and by the
//! test writer, for what systemd 252 cannot write) are read by ingot and by `journalctl`; every entry,
//! field (binary and compressed ones too) and cursor must be the same, in the same order, for single
//! files, directories of interleaved files, seeks by cursor and by time, and matches. Debian's
//! `python3-systemd` (libsystemd through `tests/peers/pyjournal.py`) is the second reference: the
//! same files, the same order and cursors, and each entry's timestamps, boot id and raw field bytes.

mod support;

use std::path::Path;

use ingot_journal::{file::JournalFile, Journal, JournalReader, Options, Paths, SeekTo};
use support::python::{assert_same_as_python, python_journal};
use support::writer::{self, Compression, WEntry};
use support::*;

const BOOT_A: &str = "0123456789abcdef0123456789abcdef";
const BOOT_B: &str = "fedcba9876543210fedcba9876543210";

/// `n` entries with many fields: text, multi-line and binary values, large compressible ones, a field
/// repeated with different values and one repeated with the same value.
fn entries(
    rng: &mut Rng,
    n: usize,
    boot: &str,
    realtime: u64,
    monotonic: u64,
    tag: &str,
) -> Vec<Fields> {
    let units = ["a.service", "b.service", "sshd.service"];
    let mut out = Vec::new();
    for i in 0..n {
        let rt = realtime + i as u64 * 1000 + rng.below(500);
        let mono = monotonic + i as u64 * 1000 + rng.below(500);
        let mut f: Fields = vec![
            ("__REALTIME_TIMESTAMP".into(), rt.to_string().into_bytes()),
            (
                "__MONOTONIC_TIMESTAMP".into(),
                mono.to_string().into_bytes(),
            ),
            ("_BOOT_ID".into(), boot.as_bytes().to_vec()),
            ("_HOSTNAME".into(), b"host-1".to_vec()),
            ("_TRANSPORT".into(), b"journal".to_vec()),
            ("PRIORITY".into(), rng.below(8).to_string().into_bytes()),
            (
                "_SYSTEMD_UNIT".into(),
                units[rng.below(3) as usize].as_bytes().to_vec(),
            ),
            ("SYSLOG_IDENTIFIER".into(), tag.as_bytes().to_vec()),
        ];
        let msg = match rng.below(5) {
            0 => format!("{tag} line {i} with ünïcödé ✓ and \"quotes\" <tags> & more"),
            1 => format!("{tag} line {i}\nsecond line\n\tindented"),
            _ => format!("{tag} line {i} value={}", rng.next()),
        };
        f.push(("MESSAGE".into(), msg.into_bytes()));
        for k in 0..12 {
            f.push((format!("F{k}"), format!("v{}", rng.below(20)).into_bytes()));
        }
        if rng.below(4) == 0 {
            let len = 600 + rng.below(20_000) as usize;
            let word = format!("big-{i}-");
            f.push(("BIG".into(), word.repeat(len / word.len() + 1).into_bytes()));
        }
        if rng.below(4) == 0 {
            let bin: Vec<u8> = (0..(1 + rng.below(40))).map(|_| rng.next() as u8).collect();
            f.push(("BIN".into(), [&b"\x00\xff\xfe"[..], &bin].concat()));
        }
        if rng.below(5) == 0 {
            f.push(("TAG".into(), b"first".to_vec()));
            f.push(("TAG".into(), b"second".to_vec()));
        }
        if rng.below(5) == 0 {
            f.push(("SAME".into(), b"twice".to_vec()));
            f.push(("SAME".into(), b"twice".to_vec()));
        }
        out.push(f);
    }
    out
}

fn read_all(paths: Paths) -> Vec<ingot_journal::Entry> {
    let mut j = Journal::new(paths, Vec::new(), Options::default());
    assert_eq!(j.problems(), Vec::<String>::new());
    j.seek(SeekTo::Head);
    drain(&mut j)
}

fn flags(path: &Path) -> u32 {
    JournalFile::open(path, 1 << 20)
        .unwrap()
        .header()
        .incompatible_flags
}

/// How `systemd-journal-remote` can be made to write a file: (name, environment, arguments, the
/// incompatible flags the file must have).
type Variant = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
    u32,
);
const REMOTE_VARIANTS: [Variant; 5] = [
    ("zstd, keyed hash, compact", &[], &[], 8 | 4 | 16),
    (
        "jenkins hash",
        &[("SYSTEMD_JOURNAL_KEYED_HASH", "0")],
        &[],
        8 | 16,
    ),
    (
        "regular (not compact)",
        &[("SYSTEMD_JOURNAL_COMPACT", "0")],
        &[],
        8 | 4,
    ),
    ("uncompressed", &[], &["--compress=no"], 4 | 16),
    (
        "jenkins, regular, uncompressed",
        &[
            ("SYSTEMD_JOURNAL_KEYED_HASH", "0"),
            ("SYSTEMD_JOURNAL_COMPACT", "0"),
        ],
        &["--compress=no"],
        0,
    ),
];

/// The 300 entries every variant holds.
fn remote_input() -> Vec<u8> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    export_format(&entries(
        &mut rng,
        300,
        BOOT_A,
        1_700_000_000_000_000,
        5_000_000,
        "app",
    ))
}

#[test]
fn files_journal_remote_writes_read_as_journalctl_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = remote_input();
    for (i, (name, env, args, want)) in REMOTE_VARIANTS.iter().enumerate() {
        let file = dir.path().join(format!("v{i}.journal"));
        journal_remote(&file, &input, env, args);
        assert_eq!(flags(&file), *want, "{name}: the file's incompatible flags");
        let theirs = journalctl_export(&["--file", file.to_str().unwrap()]);
        assert_eq!(theirs.len(), 300, "{name}");
        let ours = read_all(Paths::Files(vec![file.clone()]));
        assert_same(&ours, &theirs, name);
    }
}

#[test]
fn files_the_test_writer_writes_pass_journalctl_verify_and_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(42);
    let source = entries(&mut rng, 120, BOOT_A, 1_700_000_000_000_000, 1_000, "w");
    let went: Vec<WEntry> = source
        .iter()
        .map(|f| WEntry {
            realtime: std::str::from_utf8(get(f, "__REALTIME_TIMESTAMP").unwrap())
                .unwrap()
                .parse()
                .unwrap(),
            monotonic: std::str::from_utf8(get(f, "__MONOTONIC_TIMESTAMP").unwrap())
                .unwrap()
                .parse()
                .unwrap(),
            boot_id: ingot_journal::Id128::parse(BOOT_A).unwrap().0,
            fields: f
                .iter()
                .filter(|(k, _)| !k.starts_with("__"))
                .cloned()
                .collect(),
            seqnum: None,
        })
        .collect();
    for compression in [Compression::Lz4, Compression::Xz, Compression::None] {
        for compact in [false, true] {
            for keyed in [false, true] {
                let name = format!("{compression:?} compact={compact} keyed={keyed}");
                let opts = writer::Options {
                    compact,
                    keyed,
                    compression,
                    ..Default::default()
                };
                let file = dir
                    .path()
                    .join(format!("{compression:?}-{compact}-{keyed}.journal"));
                std::fs::write(&file, writer::write(&opts, &went).bytes).unwrap();
                let bit = match compression {
                    Compression::Xz => 1,
                    Compression::Lz4 => 2,
                    Compression::None => 0,
                };
                assert_eq!(
                    flags(&file) & 3,
                    bit,
                    "{name}: compressed objects in the file"
                );
                let verify = std::process::Command::new(journalctl_path())
                    .args(["--verify", "--file", file.to_str().unwrap()])
                    .output()
                    .unwrap();
                assert!(
                    verify.status.success(),
                    "{name}: journalctl --verify: {}",
                    String::from_utf8_lossy(&verify.stderr)
                );
                let theirs = journalctl_export(&["--file", file.to_str().unwrap()]);
                assert_eq!(theirs.len(), went.len(), "{name}");
                assert_same(&read_all(Paths::Files(vec![file.clone()])), &theirs, &name);
            }
        }
    }
}

fn to_writer(f: &Fields, seqnum: Option<u64>) -> WEntry {
    let num = |k: &str| -> u64 {
        std::str::from_utf8(get(f, k).unwrap())
            .unwrap()
            .parse()
            .unwrap()
    };
    WEntry {
        realtime: num("__REALTIME_TIMESTAMP"),
        monotonic: num("__MONOTONIC_TIMESTAMP"),
        boot_id: ingot_journal::Id128::parse(
            std::str::from_utf8(get(f, "_BOOT_ID").unwrap()).unwrap(),
        )
        .unwrap()
        .0,
        fields: f
            .iter()
            .filter(|(k, _)| !k.starts_with("__"))
            .cloned()
            .collect(),
        seqnum,
    }
}

/// Entries of one boot whose wall clock runs with its monotonic clock (as on a real machine), so that
/// systemd's order is the same whichever clock it compares.
fn boot_entries(
    rng: &mut Rng,
    n: usize,
    boot: &str,
    boot_time: u64,
    mono: u64,
    step: u64,
    tag: &str,
) -> Vec<Fields> {
    let mut out = entries(rng, n, boot, 0, 0, tag);
    for (i, e) in out.iter_mut().enumerate() {
        let m = mono + i as u64 * step;
        for (k, v) in e.iter_mut() {
            if k == "__MONOTONIC_TIMESTAMP" {
                *v = m.to_string().into_bytes();
            }
            if k == "__REALTIME_TIMESTAMP" {
                *v = (boot_time + m).to_string().into_bytes();
            }
        }
    }
    out
}

/// A journal directory as journald and journal-remote leave them: an archived file and the active one
/// of the same sequence, a user journal whose seqnums interleave with the system's, a copy set aside as
/// dirty (`.journal~`, all duplicates), this machine's and another machine's subdirectories (another
/// boot, other sequence sources), and things that are not journal files.
fn journal_dir(root: &Path) {
    let mut rng = Rng(7);
    let boot_time = 1_700_000_000_000_000;
    let opts = |file: u8| writer::Options {
        compact: true,
        keyed: true,
        compression: Compression::Lz4,
        file_id: [file; 16],
        seqnum_id: [0x5e; 16],
        ..Default::default()
    };
    // One journald: seqnums 1..=300 spread over the system journal (archived, then active) and a user's.
    let all = boot_entries(&mut rng, 300, BOOT_A, boot_time, 10_000_000, 1_000, "sys");
    let (mut archived, mut active, mut user) = (Vec::new(), Vec::new(), Vec::new());
    for (i, e) in all.iter().enumerate() {
        let w = to_writer(e, Some(i as u64 + 1));
        if i % 3 == 2 {
            user.push(w);
        } else if i < 150 {
            archived.push(w);
        } else {
            active.push(w);
        }
    }
    let archived_bytes = writer::write(&opts(1), &archived).bytes;
    std::fs::write(
        root.join(
            "system@5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e-0000000000000001-0005f3b0bf7e6e00.journal",
        ),
        &archived_bytes,
    )
    .unwrap();
    std::fs::write(
        root.join("system.journal"),
        writer::write(&opts(2), &active).bytes,
    )
    .unwrap();
    std::fs::write(
        root.join("user-1000.journal"),
        writer::write(&opts(3), &user).bytes,
    )
    .unwrap();
    // The same file set aside as dirty: every entry a copy of the archived file's.
    std::fs::write(
        root.join("system@0005f3b0bf7e6e00-1234567890abcdef.journal~"),
        &archived_bytes,
    )
    .unwrap();
    // This machine's directory, written by journal-remote: the same boot, its own seqnum source,
    // entries between the others.
    let local = root.join("3d1219c7c4c5404aaa1f6d2a48adfda4");
    std::fs::create_dir(&local).unwrap();
    let input = export_format(&boot_entries(
        &mut rng, 150, BOOT_A, boot_time, 10_000_500, 2_000, "remote",
    ));
    journal_remote(&local.join("remote.journal"), &input, &[], &[]);
    // Another machine, another boot: ordered by wall clock among the others.
    let other = root.join("aaaabbbbccccddddeeeeffff00001111");
    std::fs::create_dir(&other).unwrap();
    let input = export_format(&boot_entries(
        &mut rng,
        100,
        BOOT_B,
        boot_time + 10_000_000 - 2_000_000,
        2_000_250,
        1_500,
        "other",
    ));
    journal_remote(
        &other.join("system.journal"),
        &input,
        &[("SYSTEMD_JOURNAL_KEYED_HASH", "0")],
        &[],
    );
    // Not read: a namespace directory, a directory not named by a machine id, files not named .journal.
    let ns = root.join("3d1219c7c4c5404aaa1f6d2a48adfda4.ns");
    std::fs::create_dir(&ns).unwrap();
    std::fs::write(ns.join("system.journal"), &archived_bytes).unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::write(root.join("sub").join("system.journal"), &archived_bytes).unwrap();
    std::fs::write(root.join("notes.txt"), "not a journal").unwrap();
    std::fs::write(root.join("system.journal.bak"), &archived_bytes).unwrap();
}

#[test]
fn a_directory_of_files_interleaves_as_journalctl_interleaves_it() {
    let dir = tempfile::tempdir().unwrap();
    journal_dir(dir.path());
    let d = dir.path().to_str().unwrap();
    let theirs = journalctl_export(&["--directory", d]);
    assert_eq!(
        theirs.len(),
        300 + 150 + 100,
        "journalctl reads each entry once"
    );
    let ours = read_all(Paths::Directory(dir.path().to_path_buf()));
    assert_same(&ours, &theirs, "directory");
    // The sources really interleave.
    let tags: Vec<&[u8]> = theirs
        .iter()
        .map(|e| get(e, "SYSLOG_IDENTIFIER").unwrap())
        .collect();
    let switches = tags.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(switches > 100, "{switches} switches between sources");
}

#[test]
fn seeking_by_cursor_and_time_and_matching_fields_as_journalctl_does() {
    let dir = tempfile::tempdir().unwrap();
    journal_dir(dir.path());
    let d = dir.path().to_str().unwrap();
    let all = journalctl_export(&["--directory", d]);
    let mut j = Journal::new(
        Paths::Directory(dir.path().to_path_buf()),
        Vec::new(),
        Options::default(),
    );
    for i in [
        0,
        1,
        77,
        149,
        150,
        151,
        299,
        300,
        420,
        all.len() - 2,
        all.len() - 1,
    ] {
        let cursor = String::from_utf8(get(&all[i], "__CURSOR").unwrap().to_vec()).unwrap();
        let c = ingot_journal::Cursor::parse(&cursor).unwrap();
        j.seek(SeekTo::Cursor {
            cursor: c,
            inclusive: false,
        });
        assert_same(
            &drain(&mut j),
            &journalctl_export(&["--directory", d, "--after-cursor", &cursor]),
            &format!("after cursor {i}"),
        );
        j.seek(SeekTo::Cursor {
            cursor: c,
            inclusive: true,
        });
        assert_same(
            &drain(&mut j),
            &journalctl_export(&["--directory", d, "--cursor", &cursor]),
            &format!("from cursor {i}"),
        );
    }
    for i in [0, 10, 200, 333, all.len() - 1] {
        let t: u64 = std::str::from_utf8(get(&all[i], "__REALTIME_TIMESTAMP").unwrap())
            .unwrap()
            .parse()
            .unwrap();
        let since = format!("@{}.{:06}", t / 1_000_000, t % 1_000_000);
        j.seek(SeekTo::Realtime(t));
        assert_same(
            &drain(&mut j),
            &journalctl_export(&["--directory", d, "--since", &since]),
            &format!("since {since}"),
        );
    }
    for m in [
        "PRIORITY=3",
        "_SYSTEMD_UNIT=a.service PRIORITY=6",
        "_SYSTEMD_UNIT=a.service _SYSTEMD_UNIT=sshd.service PRIORITY=2",
        "TAG=second",
        "SYSLOG_IDENTIFIER=other F3=v7",
        "MESSAGE=nothing-has-this",
    ] {
        let mut j = Journal::new(
            Paths::Directory(dir.path().to_path_buf()),
            ingot_journal::parse_matches(m).unwrap(),
            Options::default(),
        );
        j.seek(SeekTo::Head);
        let mut args = vec!["--directory", d];
        args.extend(m.split(' '));
        let theirs = journalctl_export(&args);
        assert_eq!(
            theirs.is_empty(),
            m.contains("nothing"),
            "{m}: {} entries",
            theirs.len()
        );
        assert_same(&drain(&mut j), &theirs, &format!("matches {m}"));
    }
}

#[test]
fn files_journal_remote_writes_read_as_python_systemd_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = remote_input();
    for (i, (name, env, args, want)) in REMOTE_VARIANTS.iter().enumerate() {
        let file = dir.path().join(format!("v{i}.journal"));
        journal_remote(&file, &input, env, args);
        assert_eq!(flags(&file), *want, "{name}: the file's incompatible flags");
        let theirs = python_journal(&["--file", file.to_str().unwrap()]);
        assert_eq!(theirs.len(), 300, "{name}");
        let ours = read_all(Paths::Files(vec![file.clone()]));
        assert_same_as_python(&ours, &theirs, name);
    }
    // A field repeated with two values keeps both, in both readers (python-systemd lists them).
    let theirs = python_journal(&["--file", dir.path().join("v0.journal").to_str().unwrap()]);
    assert!(
        theirs
            .iter()
            .any(|e| e.fields.iter().filter(|(k, _)| k == "TAG").count() == 2),
        "no entry with TAG twice"
    );
}

#[test]
fn a_directory_of_files_interleaves_as_python_systemd_interleaves_it() {
    let dir = tempfile::tempdir().unwrap();
    journal_dir(dir.path());
    let d = dir.path().to_str().unwrap();
    let theirs = python_journal(&["--directory", d]);
    assert_eq!(
        theirs.len(),
        300 + 150 + 100,
        "python-systemd reads each entry once"
    );
    let ours = read_all(Paths::Directory(dir.path().to_path_buf()));
    assert_same_as_python(&ours, &theirs, "directory");
}

#[test]
fn seeking_by_cursor_and_matching_fields_as_python_systemd_does() {
    let dir = tempfile::tempdir().unwrap();
    journal_dir(dir.path());
    let d = dir.path().to_str().unwrap();
    let all = python_journal(&["--directory", d]);
    let mut j = Journal::new(
        Paths::Directory(dir.path().to_path_buf()),
        Vec::new(),
        Options::default(),
    );
    for i in [0, 1, 149, 150, 300, 420, all.len() - 2, all.len() - 1] {
        let cursor = all[i].cursor.as_str();
        let c = ingot_journal::Cursor::parse(cursor).unwrap();
        j.seek(SeekTo::Cursor {
            cursor: c,
            inclusive: false,
        });
        let theirs = python_journal(&["--directory", d, "--after-cursor", cursor]);
        assert_eq!(theirs.len(), all.len() - i - 1, "after cursor {i}");
        assert_same_as_python(&drain(&mut j), &theirs, &format!("after cursor {i}"));
        j.seek(SeekTo::Cursor {
            cursor: c,
            inclusive: true,
        });
        let theirs = python_journal(&["--directory", d, "--cursor", cursor]);
        assert_eq!(theirs.len(), all.len() - i, "from cursor {i}");
        assert_same_as_python(&drain(&mut j), &theirs, &format!("from cursor {i}"));
    }
    for m in [
        "PRIORITY=3",
        "_SYSTEMD_UNIT=a.service _SYSTEMD_UNIT=sshd.service PRIORITY=2",
        "TAG=second",
        "SYSLOG_IDENTIFIER=other F3=v7",
    ] {
        let mut j = Journal::new(
            Paths::Directory(dir.path().to_path_buf()),
            ingot_journal::parse_matches(m).unwrap(),
            Options::default(),
        );
        j.seek(SeekTo::Head);
        let mut args = vec!["--directory", d];
        for one in m.split(' ') {
            args.extend(["--match", one]);
        }
        let theirs = python_journal(&args);
        assert!(!theirs.is_empty(), "{m}: nothing matched");
        assert_same_as_python(&drain(&mut j), &theirs, &format!("matches {m}"));
    }
}

#[test]
fn matches_are_parsed_as_alloy_and_systemd_accept_them() {
    use ingot_journal::parse_matches;
    assert_eq!(parse_matches("").unwrap(), Vec::<Vec<Vec<u8>>>::new());
    assert_eq!(
        parse_matches(" A=1  B=2 A=3 A=1 ").unwrap(),
        vec![
            vec![b"A=1".to_vec(), b"A=3".to_vec()],
            vec![b"B=2".to_vec()]
        ]
    );
    assert_eq!(parse_matches("A=").unwrap(), vec![vec![b"A=".to_vec()]]);
    for bad in ["A", "A=1=2", "_SYSTEMD_UNIT nginx.service"] {
        assert_eq!(
            parse_matches(bad).unwrap_err(),
            "Error parsing journal reader 'matches' config value"
        );
    }
    for bad in ["a=1", "__CURSOR=x", "=x", "A-B=1"] {
        assert!(parse_matches(bad).is_err(), "{bad}");
    }
}
