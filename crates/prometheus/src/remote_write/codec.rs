//! How a batch of samples is stored as one WAL record. Every record is self-contained (full label sets, no
//! series references), so any suffix of the log can be replayed without a checkpoint of series.
//!
//! `varint count`, then per sample: `varint labels_len | labels (name 0xFF value 0xFF ...) | i64 ts LE |
//! u64 value bits LE | u8 flags` and, when flag 1 is set, the exemplar: `varint labels_len | labels |
//! u64 value bits | i64 ts LE` (flag 2: the exemplar has a timestamp). Values keep their bits, so
//! staleness markers survive.

use ingot_prom::labels::{Labels, LabelsBuilder};
use ingot_prom::sample::{Exemplar, Sample};

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

pub fn encode(samples: &[Sample], buf: &mut Vec<u8>) {
    buf.clear();
    put_varint(buf, samples.len() as u64);
    for s in samples {
        let l = s.labels.as_bytes();
        put_varint(buf, l.len() as u64);
        buf.extend_from_slice(l);
        buf.extend_from_slice(&s.timestamp_ms.to_le_bytes());
        buf.extend_from_slice(&s.value.to_bits().to_le_bytes());
        match &s.exemplar {
            None => buf.push(0),
            Some(e) => {
                buf.push(1 | if e.timestamp_ms.is_some() { 2 } else { 0 });
                let l = e.labels.as_bytes();
                put_varint(buf, l.len() as u64);
                buf.extend_from_slice(l);
                buf.extend_from_slice(&e.value.to_bits().to_le_bytes());
                buf.extend_from_slice(&e.timestamp_ms.unwrap_or(0).to_le_bytes());
            }
        }
    }
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.0.split_first()?;
            self.0 = rest;
            v |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn labels(&mut self, b: &mut LabelsBuilder) -> Option<Labels> {
        let n = self.varint()? as usize;
        if n == 0 {
            return Some(Labels::empty());
        }
        // `name 0xFF value 0xFF ...`: dropping the final separator leaves names and values alternating.
        let (_, raw) = self.take(n)?.split_last()?;
        b.clear();
        let mut it = raw.split(|&c| c == 0xFF);
        while let Some(name) = it.next() {
            let value = it.next()?;
            b.push_unchecked(
                std::str::from_utf8(name).ok()?,
                std::str::from_utf8(value).ok()?,
            );
        }
        Some(b.labels())
    }
}

/// Decodes a record written by [`encode`]; `None` when it is not one (the WAL's checksums make that a
/// format mismatch rather than damage).
pub fn decode(record: &[u8], out: &mut Vec<Sample>) -> Option<()> {
    out.clear();
    let mut c = Cursor(record);
    let mut b = LabelsBuilder::new();
    let count = c.varint()?;
    for _ in 0..count {
        let labels = c.labels(&mut b)?;
        let timestamp_ms = c.u64()? as i64;
        let value = f64::from_bits(c.u64()?);
        let flags = *c.take(1)?.first()?;
        let exemplar = if flags & 1 != 0 {
            let labels = c.labels(&mut b)?;
            let value = f64::from_bits(c.u64()?);
            let ts = c.u64()? as i64;
            Some(Box::new(Exemplar {
                labels,
                value,
                timestamp_ms: (flags & 2 != 0).then_some(ts),
            }))
        } else {
            None
        };
        out.push(Sample {
            labels,
            timestamp_ms,
            value,
            exemplar,
        });
    }
    c.0.is_empty().then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingot_prom::sample::{stale_nan, STALE_NAN_BITS};

    #[test]
    fn round_trip_keeps_labels_values_bits_and_exemplars() {
        let samples = vec![
            Sample {
                labels: Labels::from_pairs(&[("__name__", "a"), ("k", "vé")]),
                timestamp_ms: -3,
                value: stale_nan(),
                exemplar: None,
            },
            Sample {
                labels: Labels::empty(),
                timestamp_ms: 1_700_000_000_000,
                value: 2.5,
                exemplar: Some(Box::new(Exemplar {
                    labels: Labels::from_pairs(&[("trace_id", "x")]),
                    value: 1.0,
                    timestamp_ms: None,
                })),
            },
        ];
        let mut buf = Vec::new();
        encode(&samples, &mut buf);
        let mut out = Vec::new();
        decode(&buf, &mut out).unwrap();
        assert_eq!(out[0].value.to_bits(), STALE_NAN_BITS);
        assert_eq!(out[0].labels, samples[0].labels);
        assert_eq!(out[1], samples[1]);
        assert!(decode(&buf[..buf.len() - 1], &mut out).is_none());
    }
}
