//! Whose log a directory holds. ingot marks its WAL directories with a file of its own; a directory
//! without it that holds a log is either an ingot WAL from before the mark (its first record reads as
//! ingot's) or someone else's: Alloy's and Prometheus' WAL (`prometheus.remote_write.<label>/wal` in an
//! Alloy storage path) has the same segment names and a different record format. Someone else's log is
//! never opened, repaired or truncated: the caller moves it aside intact.

use std::fs::{self, File};
use std::io::{self, Read as _};
use std::path::Path;

/// The file that marks a directory as an ingot WAL, and its content.
pub const MARKER: &str = "INGOT_WAL";
const MARKER_CONTENT: &str = "ingot write-ahead log, format 1\n";

/// What a WAL directory holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// Missing or empty: a new ingot WAL goes there.
    Empty,
    /// An ingot WAL (marked, or recognised by its first record).
    Ingot,
    /// Not an ingot WAL; the text says what it looks like.
    Foreign(String),
}

/// Looks at `dir` without changing it.
pub fn inspect(dir: &Path) -> io::Result<Ownership> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Ownership::Empty),
        Err(e) => return Err(e),
    };
    let mut segments = Vec::new();
    let mut others = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == MARKER {
            return Ok(Ownership::Ingot);
        }
        match super::parse_segment_name(&name) {
            Some(n) if entry.file_type()?.is_file() => segments.push(n),
            // Endpoint positions live beside ingot's segments.
            _ if name == "positions" => {}
            _ => others.push(name),
        }
    }
    segments.sort_unstable();
    if let Some(checkpoint) = others.iter().find(|n| n.starts_with("checkpoint.")) {
        return Ok(Ownership::Foreign(format!(
            "a Prometheus-format WAL, as Alloy and Prometheus write it ({checkpoint} is a Prometheus WAL checkpoint)"
        )));
    }
    if segments.is_empty() {
        return Ok(if others.is_empty() {
            Ownership::Empty
        } else {
            Ownership::Foreign(format!("files ingot did not write ({})", others.join(", ")))
        });
    }
    // Prometheus numbers its first segment 0; ingot starts at 1.
    if segments[0] == 0 {
        return Ok(Ownership::Foreign(
            "a Prometheus-format WAL, as Alloy and Prometheus write it (its first segment is 00000000)"
                .into(),
        ));
    }
    for &segment in &segments {
        let mut head = Vec::new();
        File::open(dir.join(super::segment_name(segment)))?
            .take(64 << 10)
            .read_to_end(&mut head)?;
        if head.is_empty() {
            continue;
        }
        if first_record_is_ingots(&head) {
            return Ok(Ownership::Ingot);
        }
        return Ok(Ownership::Foreign(if first_record_is_prometheus(&head) {
            "a Prometheus-format WAL, as Alloy and Prometheus write it".to_string()
        } else {
            "a log whose first record ingot cannot read".to_string()
        }));
    }
    // Only empty segments numbered from 1: an ingot WAL from before the mark that never held a record.
    Ok(Ownership::Ingot)
}

/// Moves `dir` whole to a sibling named `stem` (or `stem.1`, `stem.2`, ... if taken) with one rename, so
/// its files keep every byte; returns where it went. Nothing is ever overwritten.
pub fn set_aside(dir: &Path, stem: &str) -> io::Result<std::path::PathBuf> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    for n in 0..1000 {
        let name = if n == 0 {
            stem.to_string()
        } else {
            format!("{stem}.{n}")
        };
        let target = parent.join(name);
        if target.exists() {
            continue;
        }
        fs::rename(dir, &target)?;
        File::open(parent)?.sync_all()?;
        return Ok(target);
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{stem} to {stem}.999 all exist beside {}", dir.display()),
    ))
}

/// Marks `dir` (which must exist) as an ingot WAL.
pub fn mark(dir: &Path) -> io::Result<()> {
    let path = dir.join(MARKER);
    if path.exists() {
        return Ok(());
    }
    fs::write(&path, MARKER_CONTENT)?;
    File::open(dir)?.sync_all()
}

/// `len u32 LE | crc32 u32 LE | payload`, checksum over the length bytes and the payload.
fn first_record_is_ingots(head: &[u8]) -> bool {
    let Some(header) = head.get(..super::HEADER) else {
        return false;
    };
    let len_bytes: [u8; 4] = header[..4].try_into().unwrap_or_default();
    let len = u32::from_le_bytes(len_bytes) as usize;
    let crc = u32::from_le_bytes(header[4..8].try_into().unwrap_or_default());
    head.get(super::HEADER..super::HEADER + len)
        .is_some_and(|payload| super::checksum(&len_bytes, payload) == crc)
}

/// Prometheus' record framing: `type u8 | len u16 BE | crc32c u32 BE | data`, type 1 (full) or 2 (first).
fn first_record_is_prometheus(head: &[u8]) -> bool {
    let Some(header) = head.get(..7) else {
        return false;
    };
    if !matches!(header[0], 1 | 2) {
        return false;
    }
    let len = u16::from_be_bytes([header[1], header[2]]) as usize;
    let crc = u32::from_be_bytes([header[3], header[4], header[5], header[6]]);
    head.get(7..7 + len).is_some_and(|data| crc32c(data) == crc)
}

/// CRC-32C (Castagnoli), bit by bit: used on one record, once, to recognise a Prometheus WAL.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_check_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn a_prometheus_record_is_recognised() {
        let dir = tempfile::tempdir().unwrap();
        let data = b"\x01series";
        let mut seg = vec![1u8];
        seg.extend_from_slice(&(data.len() as u16).to_be_bytes());
        seg.extend_from_slice(&crc32c(data).to_be_bytes());
        seg.extend_from_slice(data);
        std::fs::write(dir.path().join("00000003"), &seg).unwrap();
        assert!(
            matches!(inspect(dir.path()).unwrap(), Ownership::Foreign(d) if d.starts_with("a Prometheus-format WAL"))
        );
    }

    #[test]
    fn ingot_logs_new_marked_and_unmarked_are_ingots() {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("wal");
        assert_eq!(inspect(&wal).unwrap(), Ownership::Empty);
        {
            let (w, _) = crate::Wal::open(&wal, crate::Options::default()).unwrap();
            w.append(b"hello").unwrap();
        }
        assert_eq!(inspect(&wal).unwrap(), Ownership::Ingot);
        // A log from before the mark is recognised by its first record.
        std::fs::remove_file(wal.join(MARKER)).unwrap();
        assert_eq!(inspect(&wal).unwrap(), Ownership::Ingot);
        // Anything else is not ours.
        std::fs::write(wal.join("00000001"), b"garbage that is no record").unwrap();
        assert!(matches!(inspect(&wal).unwrap(), Ownership::Foreign(_)));
        std::fs::create_dir(wal.join("checkpoint.00000001")).unwrap();
        assert!(
            matches!(inspect(&wal).unwrap(), Ownership::Foreign(d) if d.contains("checkpoint.00000001"))
        );
    }
}
