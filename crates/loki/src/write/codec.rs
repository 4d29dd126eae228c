//! One WAL record: the entries of one `append`, their label sets written once each.
//!
//! ```text
//! record   = version:u8(1) entries:uvarint labelsets:uvarint labelset* entry*
//! labelset = len:uvarint bytes                 (the label set's own `name 0xFF value 0xFF …` buffer)
//! entry    = labelset:uvarint timestamp_ns:zigzag created_us:zigzag line:str metadata:uvarint (str str)*
//! str      = len:uvarint bytes
//! ```
//!
//! The version byte is never 0, so a record is never taken for the WAL's padding.

use std::collections::HashMap;

use ingot_logs::Entry;
use ingot_prom::labels::{Labels, LabelsBuilder};

const VERSION: u8 = 1;

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_varint(out: &mut Vec<u8>, v: i64) {
    put_uvarint(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    put_uvarint(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Encodes `entries` into `out` (cleared first).
pub fn encode(entries: &[Entry], out: &mut Vec<u8>) {
    out.clear();
    out.push(VERSION);
    put_uvarint(out, entries.len() as u64);
    let mut index: HashMap<&Labels, u64> = HashMap::new();
    let mut order: Vec<&Labels> = Vec::new();
    for e in entries {
        index.entry(&e.labels).or_insert_with(|| {
            order.push(&e.labels);
            order.len() as u64 - 1
        });
    }
    put_uvarint(out, order.len() as u64);
    for l in &order {
        put_str(out, l.as_bytes());
    }
    for e in entries {
        put_uvarint(out, index[&e.labels]);
        put_varint(out, e.timestamp_ns);
        put_varint(out, e.created_us);
        put_str(out, e.line.as_bytes());
        put_uvarint(out, e.structured_metadata.len() as u64);
        for (k, v) in &e.structured_metadata {
            put_str(out, k.as_bytes());
            put_str(out, v.as_bytes());
        }
    }
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn uvarint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos)?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }

    fn varint(&mut self) -> Option<i64> {
        let u = self.uvarint()?;
        Some(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.uvarint()?).ok()?;
        let end = self.pos.checked_add(len)?;
        let b = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(b)
    }

    fn string(&mut self) -> Option<String> {
        std::str::from_utf8(self.bytes()?).ok().map(str::to_string)
    }
}

/// How many entries a record holds, without decoding them.
pub fn count(payload: &[u8]) -> Option<u64> {
    if payload.first() != Some(&VERSION) {
        return None;
    }
    Cursor {
        buf: payload,
        pos: 1,
    }
    .uvarint()
}

/// Decodes a record into `out` (cleared first); `None` when it is not one this codec wrote.
pub fn decode(payload: &[u8], out: &mut Vec<Entry>) -> Option<()> {
    out.clear();
    if payload.first() != Some(&VERSION) {
        return None;
    }
    let mut c = Cursor {
        buf: payload,
        pos: 1,
    };
    let n = usize::try_from(c.uvarint()?).ok()?;
    let sets = usize::try_from(c.uvarint()?).ok()?;
    // Each label set and entry takes at least one byte: a count past the payload is damage.
    if sets > payload.len() || n > payload.len() {
        return None;
    }
    let mut b = LabelsBuilder::new();
    let mut labels = Vec::with_capacity(sets);
    for _ in 0..sets {
        let raw = c.bytes()?;
        labels.push(labels_from_buffer(raw, &mut b)?);
    }
    out.reserve(n);
    for _ in 0..n {
        let set = labels.get(usize::try_from(c.uvarint()?).ok()?)?.clone();
        let timestamp_ns = c.varint()?;
        let created_us = c.varint()?;
        let line = c.string()?;
        let m = usize::try_from(c.uvarint()?).ok()?;
        if m > payload.len() {
            return None;
        }
        let mut structured_metadata = Vec::with_capacity(m);
        for _ in 0..m {
            structured_metadata.push((c.string()?, c.string()?));
        }
        out.push(Entry {
            labels: set,
            timestamp_ns,
            line,
            structured_metadata,
            created_us,
        });
    }
    (c.pos == payload.len()).then_some(())
}

/// A label set from its `name 0xFF value 0xFF …` buffer.
fn labels_from_buffer(raw: &[u8], b: &mut LabelsBuilder) -> Option<Labels> {
    b.clear();
    if raw.is_empty() {
        return Some(Labels::empty());
    }
    let body = raw.strip_suffix(&[0xFF])?;
    let mut parts = body.split(|&x| x == 0xFF);
    while let Some(name) = parts.next() {
        let value = parts.next()?;
        b.push_unchecked(
            std::str::from_utf8(name).ok()?,
            std::str::from_utf8(value).ok()?,
        );
    }
    Some(b.labels())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(labels: &[(&str, &str)], ts: i64, line: &str) -> Entry {
        let mut e = Entry::new(Labels::from_pairs(labels), ts, line);
        e.created_us = 42;
        e
    }

    #[test]
    fn records_round_trip_with_label_sets_written_once() {
        let mut a = entry(&[("job", "a"), ("__path__", "/x")], -5, "one");
        a.structured_metadata = vec![("trace".into(), "t1".into()), ("".into(), "".into())];
        let entries = vec![
            a,
            entry(&[], 1_700_000_000_000_000_000, ""),
            entry(&[("job", "a"), ("__path__", "/x")], 7, "three ✓"),
        ];
        let mut buf = Vec::new();
        encode(&entries, &mut buf);
        assert!(!ingot_wal::is_padding(&buf));
        assert_eq!(count(&buf), Some(3));
        let mut back = Vec::new();
        decode(&buf, &mut back).unwrap();
        assert_eq!(back, entries);
        // The repeated label set is stored once.
        assert_eq!(buf.windows(8).filter(|w| w == b"__path__").count(), 1);
        for cut in 0..buf.len() {
            assert!(decode(&buf[..cut], &mut back).is_none());
        }
        assert!(decode(&[0, 0, 0], &mut back).is_none());
    }
}
