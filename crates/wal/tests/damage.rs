//! Damage anywhere in the log: cut a segment at any byte or flip any byte, reopen, and every record before
//! the damage reads back while nothing at or after it is returned.

use std::fs;
use std::sync::Arc;

use ingot_wal::{Options, Read, SyncPolicy, Wal};
use proptest::prelude::*;

fn options() -> Options {
    Options {
        segment_size: 300,
        sync: SyncPolicy::Manual,
    }
}

/// Writes the records; returns, for each, (segment, start offset, end offset).
fn write(dir: &std::path::Path, records: &[Vec<u8>]) -> Vec<(u64, u64, u64)> {
    let (wal, _) = Wal::open(dir, options()).unwrap();
    let mut spans = Vec::new();
    for r in records {
        let p = wal.append(r).unwrap();
        spans.push((p.segment, p.offset - 8 - r.len() as u64, p.offset));
    }
    wal.sync().unwrap();
    spans
}

fn read_back(dir: &std::path::Path) -> (Vec<Vec<u8>>, ingot_wal::OpenReport) {
    let (wal, report) = Wal::open(dir, options()).unwrap();
    let wal = Arc::new(wal);
    let mut r = wal.reader(wal.start());
    let mut out = Vec::new();
    let mut buf = Vec::new();
    while let Read::Record(_) = r.next(&mut buf).unwrap() {
        out.push(buf.clone());
    }
    (out, report)
}

fn seg_path(dir: &std::path::Path, seg: u64) -> std::path::PathBuf {
    dir.join(format!("{seg:08}"))
}

fn records() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..120), 1..25)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_cut_keeps_every_whole_record_before_it(records in records(), which in any::<prop::sample::Index>(), at in any::<prop::sample::Index>()) {
        let dir = tempfile::tempdir().unwrap();
        let spans = write(dir.path(), &records);
        let segs: Vec<u64> = { let mut s: Vec<u64> = spans.iter().map(|s| s.0).collect(); s.dedup(); s };
        let seg = segs[which.index(segs.len())];
        let path = seg_path(dir.path(), seg);
        let size = fs::metadata(&path).unwrap().len();
        let cut = at.index(size as usize + 1) as u64;
        fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(cut).unwrap();

        let (got, report) = read_back(dir.path());
        let expect: Vec<Vec<u8>> = records.iter().zip(&spans)
            .filter(|(_, s)| s.0 < seg || (s.0 == seg && s.2 <= cut))
            .map(|(r, _)| r.clone())
            .collect();
        // Records of later segments are gone too unless the cut fell exactly on a record boundary, where the
        // segment is merely shorter and the later segments are still whole and valid.
        let boundary = cut == 0 || spans.iter().any(|s| s.0 == seg && s.2 == cut);
        if boundary {
            let kept: Vec<Vec<u8>> = records.iter().zip(&spans)
                .filter(|(_, s)| s.0 != seg || s.2 <= cut)
                .map(|(r, _)| r.clone())
                .collect();
            prop_assert_eq!(got, kept);
        } else {
            prop_assert_eq!(&got, &expect);
            prop_assert!(report.repair.is_some());
        }
        // The log takes appends again after the repair.
        let (wal, _) = Wal::open(dir.path(), options()).unwrap();
        wal.append(b"more").unwrap();
        drop(wal);
        let (again, report) = read_back(dir.path());
        prop_assert!(report.repair.is_none());
        prop_assert_eq!(again.last().unwrap().as_slice(), b"more");
    }

    #[test]
    fn a_flipped_byte_is_caught_and_nothing_after_it_is_trusted(records in records(), at in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let dir = tempfile::tempdir().unwrap();
        let spans = write(dir.path(), &records);
        // Pick a byte over all the data, in log order.
        let total: u64 = spans.iter().map(|s| s.2 - s.1).sum();
        let mut k = at.index(total as usize) as u64;
        let mut hit = None;
        for (i, s) in spans.iter().enumerate() {
            let len = s.2 - s.1;
            if k < len { hit = Some((i, s.0, s.1 + k)); break; }
            k -= len;
        }
        let (damaged_record, seg, offset) = hit.unwrap();
        let path = seg_path(dir.path(), seg);
        let mut bytes = fs::read(&path).unwrap();
        bytes[offset as usize] ^= mask;
        fs::write(&path, bytes).unwrap();

        let (got, report) = read_back(dir.path());
        prop_assert_eq!(&got[..], &records[..damaged_record]);
        let repair = report.repair.unwrap();
        prop_assert_eq!(repair.segment, seg);
        prop_assert_eq!(repair.offset, spans[damaged_record].1);
    }
}
