//! Damage anywhere in the log: cut a segment at any byte or flip any byte, reopen, and exactly the damaged
//! records are lost: every other record, before and after the damage and in later segments, reads back.

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

/// Every record a reader returns, padding (which stands in for damaged records) left out.
fn read_back(dir: &std::path::Path) -> (Vec<Vec<u8>>, ingot_wal::OpenReport) {
    let (wal, report) = Wal::open(dir, options()).unwrap();
    let wal = Arc::new(wal);
    let mut r = wal.reader(wal.start());
    let mut out = Vec::new();
    let mut buf = Vec::new();
    while let Read::Record(_) = r.next(&mut buf).unwrap() {
        if !ingot_wal::is_padding(&buf) {
            out.push(buf.clone());
        }
    }
    (out, report)
}

fn seg_path(dir: &std::path::Path, seg: u64) -> std::path::PathBuf {
    dir.join(format!("{seg:08}"))
}

/// Records made of zeros would read as padding; the tests give every record a non-zero first byte.
fn records() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(
        (1u8..=255, prop::collection::vec(any::<u8>(), 0..120)).prop_map(|(first, mut rest)| {
            rest.insert(0, first);
            rest
        }),
        1..25,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_cut_loses_only_the_records_it_cuts(records in records(), which in any::<prop::sample::Index>(), at in any::<prop::sample::Index>()) {
        let dir = tempfile::tempdir().unwrap();
        let spans = write(dir.path(), &records);
        let segs: Vec<u64> = { let mut s: Vec<u64> = spans.iter().map(|s| s.0).collect(); s.dedup(); s };
        let seg = segs[which.index(segs.len())];
        let path = seg_path(dir.path(), seg);
        let size = fs::metadata(&path).unwrap().len();
        let cut = at.index(size as usize + 1) as u64;
        fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(cut).unwrap();

        let (got, report) = read_back(dir.path());
        // Whole records before the cut, and every record of the other segments.
        let kept: Vec<Vec<u8>> = records.iter().zip(&spans)
            .filter(|(_, s)| s.0 != seg || s.2 <= cut)
            .map(|(r, _)| r.clone())
            .collect();
        prop_assert_eq!(got, kept);
        let boundary = cut == 0 || spans.iter().any(|s| s.0 == seg && s.2 == cut);
        prop_assert_eq!(report.repairs.is_empty(), boundary);
        // The log takes appends again after the repair.
        let (wal, _) = Wal::open(dir.path(), options()).unwrap();
        wal.append(b"more").unwrap();
        drop(wal);
        let (again, report) = read_back(dir.path());
        prop_assert!(report.repairs.is_empty());
        prop_assert_eq!(again.last().unwrap().as_slice(), b"more");
    }

    #[test]
    fn a_flipped_byte_loses_only_its_record(records in records(), at in any::<prop::sample::Index>(), mask in 1u8..=255) {
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
        let mut expect = records.clone();
        expect.remove(damaged_record);
        prop_assert_eq!(&got, &expect);
        prop_assert_eq!(report.repairs.len(), 1);
        prop_assert_eq!(report.repairs[0].segment, seg);
        prop_assert_eq!(report.repairs[0].offset, spans[damaged_record].1);
        // Positions saved before the damage still point at the same records.
        let (wal, _) = Wal::open(dir.path(), options()).unwrap();
        let wal = Arc::new(wal);
        if let Some(after) = spans.get(damaged_record + 1) {
            let mut r = wal.reader(ingot_wal::Position::new(after.0, after.1));
            let mut buf = Vec::new();
            if let Read::Record(_) = r.next(&mut buf).unwrap() {
                if ingot_wal::is_padding(&buf) { prop_assert!(r.next(&mut buf).is_ok()); }
            }
            prop_assert!(records.contains(&buf));
        }
    }
}
