//! A segmented write-ahead log.
//!
//! The log is a directory of segment files named by an increasing number (`00000001`, `00000002`, ...).
//! A segment is a sequence of records, each `len: u32 LE | crc32: u32 LE | payload`, where the checksum
//! covers the length bytes and the payload (so a damaged length is caught too). A segment is closed and a
//! new one started when the next record would take it past the configured size.
//!
//! Invariants:
//! - Only the newest segment is written to; records are appended whole, under one lock.
//! - On open every segment is checked, and recovery loses only what is damaged. A record that fails its
//!   checksum in the middle of a segment is overwritten in place by a padding record of the same length
//!   (readers skip it; every offset, and so every reader's saved position, stays valid) when the next
//!   record can be found; a torn tail (a segment cut short, or garbage to its end) is truncated at the last
//!   whole record. Later segments are kept either way. Each repair is logged with the segment, the offset
//!   and the bytes lost, and counted; opening succeeds, so damage can never cause a crash loop.
//! - A failed append (a full disk) leaves the log as it was before the append and is returned as an error.
//! - Positions ([`Position`]) name the byte after a record; readers stop at the writer's committed end.
//! - Segments are removed only whole, and never the one being written.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

pub mod checkpoint;
pub mod chunk;
pub mod ownership;
pub mod thread;

const HEADER: usize = 8;
/// Larger lengths are damage, not data: nothing writes records this big.
const MAX_RECORD: u64 = 256 << 20;

/// The place just after a record: segment number and byte offset within it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub segment: u64,
    pub offset: u64,
}

impl Position {
    pub fn new(segment: u64, offset: u64) -> Position {
        Position { segment, offset }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncPolicy {
    /// fsync after every append: nothing acknowledged is lost even on power failure; slow.
    Always,
    /// The owner calls [`Wal::sync`] (e.g. once a second); a process crash loses nothing, a power failure
    /// up to one interval. Segments are synced when they are closed.
    Manual,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub segment_size: u64,
    pub sync: SyncPolicy,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            segment_size: 16 << 20,
            sync: SyncPolicy::Manual,
        }
    }
}

/// What opening found and repaired.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenReport {
    pub segments: usize,
    pub records: u64,
    pub bytes: u64,
    /// Every place damage was found, in log order.
    pub repairs: Vec<Repair>,
}

/// One damaged place and what was done about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repair {
    pub segment: u64,
    pub offset: u64,
    pub reason: String,
    /// Bytes lost: the damaged record's (padded over), or the torn tail's (cut off).
    pub bytes_discarded: u64,
    /// Whether the segment was cut at `offset` (a torn tail) rather than padded over (damage in the middle).
    pub truncated: bool,
}

/// The byte a padding record's payload is made of (see [`is_padding`]).
pub const PADDING: u8 = 0;

/// Whether a record's payload is padding that stands in for a damaged record: readers skip it.
pub fn is_padding(payload: &[u8]) -> bool {
    payload.iter().all(|&b| b == PADDING)
}

/// Bytes of checksums computed while looking for the record after a damaged one; past this the rest of
/// the segment is treated as a torn tail. Bounds the work of opening a badly damaged segment.
const RESYNC_BUDGET: u64 = 64 << 20;

/// Counters and gauges for metrics and debug info.
#[derive(Debug, Default)]
pub struct Stats {
    pub segments: AtomicU64,
    pub bytes: AtomicU64,
    pub records_written: AtomicU64,
    pub bytes_written: AtomicU64,
    pub corruptions: AtomicU64,
    pub records_replayed: AtomicU64,
    pub write_failures: AtomicU64,
    pub segments_truncated: AtomicU64,
}

struct Writer {
    segment: u64,
    file: File,
    offset: u64,
    /// The oldest segment still on disk.
    first: u64,
    buf: Vec<u8>,
}

pub struct Wal {
    dir: PathBuf,
    options: Options,
    writer: Mutex<Writer>,
    /// The committed end, readable without the writer lock; two atomics written under the lock, read with a
    /// re-check of the segment (see [`Wal::end`]).
    end_segment: AtomicU64,
    end_offset: AtomicU64,
    stats: Arc<Stats>,
}

fn segment_name(n: u64) -> String {
    format!("{n:08}")
}

fn parse_segment_name(name: &str) -> Option<u64> {
    (name.len() >= 8 && name.bytes().all(|b| b.is_ascii_digit()))
        .then(|| name.parse().ok())
        .flatten()
}

/// Segment numbers present in `dir`, ascending.
fn list_segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        if let Some(n) = e.file_name().to_str().and_then(parse_segment_name) {
            if e.file_type()?.is_file() {
                v.push(n);
            }
        }
    }
    v.sort_unstable();
    Ok(v)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn checksum(len_bytes: &[u8; 4], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(len_bytes);
    h.update(payload);
    h.finalize()
}

/// Reads the record at `offset`: `Ok(Some((payload, next_offset)))`, `Ok(None)` at the exact end of the
/// data, `Err(reason)` when what is there is torn or damaged.
fn read_record(
    file: &File,
    offset: u64,
    size: u64,
    payload: &mut Vec<u8>,
) -> Result<Option<u64>, String> {
    if offset == size {
        return Ok(None);
    }
    if size - offset < HEADER as u64 {
        return Err(format!("torn record header ({} bytes)", size - offset));
    }
    let mut header = [0u8; HEADER];
    file.read_exact_at(&mut header, offset)
        .map_err(|e| format!("reading: {e}"))?;
    let len_bytes: [u8; 4] = header[..4].try_into().unwrap();
    let len = u32::from_le_bytes(len_bytes) as u64;
    let crc = u32::from_le_bytes(header[4..].try_into().unwrap());
    if len > MAX_RECORD {
        return Err(format!("record length {len} is not plausible"));
    }
    let end = offset + HEADER as u64 + len;
    if end > size {
        return Err(format!(
            "torn record (needs {len} bytes, {} present)",
            size - offset - HEADER as u64
        ));
    }
    payload.clear();
    payload.resize(len as usize, 0);
    file.read_exact_at(payload, offset + HEADER as u64)
        .map_err(|e| format!("reading: {e}"))?;
    if checksum(&len_bytes, payload) != crc {
        return Err("checksum mismatch".into());
    }
    Ok(Some(end))
}

/// Checks every record of one segment, repairing damage (see the crate's invariants): the records read,
/// the bytes of whole records kept, and what was repaired.
fn recover_segment(path: &Path, segment: u64) -> io::Result<(u64, u64, Vec<Repair>)> {
    let mut data = fs::read(path)?;
    let size = data.len() as u64;
    let (mut offset, mut records, mut repairs) = (0u64, 0u64, Vec::new());
    let mut changed = false;
    let mut truncate_at = None;
    while offset < size {
        match parse_record(&data, offset) {
            Ok(next) => {
                records += 1;
                offset = next;
            }
            Err(reason) => match find_next_record(&data, offset) {
                Some(next) => {
                    write_padding(&mut data, offset, next);
                    changed = true;
                    repairs.push(Repair {
                        segment,
                        offset,
                        reason,
                        bytes_discarded: next - offset,
                        truncated: false,
                    });
                    offset = next;
                }
                None => {
                    repairs.push(Repair {
                        segment,
                        offset,
                        reason,
                        bytes_discarded: size - offset,
                        truncated: true,
                    });
                    truncate_at = Some(offset);
                    break;
                }
            },
        }
    }
    if changed || truncate_at.is_some() {
        let keep = truncate_at.unwrap_or(size) as usize;
        let file = OpenOptions::new().write(true).open(path)?;
        if changed {
            file.write_all_at(&data[..keep], 0)?;
        }
        file.set_len(keep as u64)?;
        file.sync_all()?;
    }
    Ok((records, truncate_at.unwrap_or(size), repairs))
}

/// The record at `offset` of a segment held in memory: where it ends, or why it is not a whole, valid one.
fn parse_record(data: &[u8], offset: u64) -> Result<u64, String> {
    let size = data.len() as u64;
    if size - offset < HEADER as u64 {
        return Err(format!("torn record header ({} bytes)", size - offset));
    }
    let at = offset as usize;
    let len_bytes: [u8; 4] = data[at..at + 4].try_into().expect("four bytes");
    let len = u32::from_le_bytes(len_bytes) as u64;
    let crc = u32::from_le_bytes(data[at + 4..at + 8].try_into().expect("four bytes"));
    if len > MAX_RECORD {
        return Err(format!("record length {len} is not plausible"));
    }
    let end = offset + HEADER as u64 + len;
    if end > size {
        return Err(format!(
            "torn record (needs {len} bytes, {} present)",
            size - offset - HEADER as u64
        ));
    }
    if checksum(&len_bytes, &data[at + HEADER..end as usize]) != crc {
        return Err("checksum mismatch".into());
    }
    Ok(end)
}

/// Where the first whole, valid record after the damaged one at `damaged` starts: right after it when its
/// length is intact (a flipped byte in its payload), else at the first later offset where a valid record
/// starts, within [`RESYNC_BUDGET`] of checksumming. `None` when there is none: the rest is a torn tail.
fn find_next_record(data: &[u8], damaged: u64) -> Option<u64> {
    let size = data.len() as u64;
    // The damaged record's own length, if it still leads to a valid record (or exactly to the end, which
    // would make it a lone damaged last record: then the tail is cut).
    if size - damaged >= HEADER as u64 {
        let at = damaged as usize;
        let len = u32::from_le_bytes(data[at..at + 4].try_into().expect("four bytes")) as u64;
        let next = damaged + HEADER as u64 + len;
        if len <= MAX_RECORD && next < size && parse_record(data, next).is_ok() {
            return Some(next);
        }
    }
    let mut budget = RESYNC_BUDGET;
    // A record is at least a header long, so the next one starts no earlier than that.
    for candidate in damaged + HEADER as u64..size.saturating_sub(HEADER as u64 - 1) {
        let at = candidate as usize;
        let len = u32::from_le_bytes(data[at..at + 4].try_into().expect("four bytes")) as u64;
        if len > MAX_RECORD || candidate + HEADER as u64 + len > size {
            continue;
        }
        if len > budget {
            return None;
        }
        budget -= len;
        if parse_record(data, candidate).is_ok() {
            return Some(candidate);
        }
    }
    None
}

/// Overwrites `[from, to)` (at least a header long) with one padding record.
fn write_padding(data: &mut [u8], from: u64, to: u64) {
    let len = to - from - HEADER as u64;
    let (from, to) = (from as usize, to as usize);
    let len_bytes = (len as u32).to_le_bytes();
    data[from + HEADER..to].fill(PADDING);
    let crc = checksum(&len_bytes, &data[from + HEADER..to]);
    data[from..from + 4].copy_from_slice(&len_bytes);
    data[from + 4..from + 8].copy_from_slice(&crc.to_le_bytes());
}

impl Wal {
    /// Opens (creating if needed) the log in `dir`, checking every record and repairing damage.
    ///
    /// A directory that holds someone else's log (Alloy's Prometheus-format WAL, say) is refused with an
    /// error of kind `InvalidData` before anything in it is touched: see [`ownership`].
    pub fn open(dir: impl Into<PathBuf>, options: Options) -> io::Result<(Wal, OpenReport)> {
        let dir = dir.into();
        if let ownership::Ownership::Foreign(what) = ownership::inspect(&dir)? {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} holds {what}, not an ingot WAL; it is left as it is",
                    dir.display()
                ),
            ));
        }
        fs::create_dir_all(&dir)?;
        ownership::mark(&dir)?;
        let stats = Arc::new(Stats::default());
        let mut report = OpenReport::default();
        let segments = list_segments(&dir)?;
        for &seg in &segments {
            let path = dir.join(segment_name(seg));
            let (records, good, repairs) = recover_segment(&path, seg)?;
            report.records += records;
            report.bytes += good;
            for r in &repairs {
                if r.truncated {
                    tracing::warn!(
                        wal = %dir.display(),
                        "WAL segment {} ends in damage at offset {} ({}): cut there, {} bytes lost; the records before it and every later segment are kept",
                        segment_name(seg), r.offset, r.reason, r.bytes_discarded
                    );
                } else {
                    tracing::warn!(
                        wal = %dir.display(),
                        "WAL segment {} has a damaged record at offset {} ({}): its {} bytes are skipped, the records around it are kept",
                        segment_name(seg), r.offset, r.reason, r.bytes_discarded
                    );
                }
                stats.corruptions.fetch_add(1, Ordering::Relaxed);
            }
            report.repairs.extend(repairs);
        }
        if !report.repairs.is_empty() {
            sync_dir(&dir)?;
        }
        stats
            .records_replayed
            .store(report.records, Ordering::Relaxed);
        let mut segments = segments;
        let (segment, file, offset) = match segments.last() {
            Some(&last) => {
                let path = dir.join(segment_name(last));
                let file = OpenOptions::new().read(true).write(true).open(&path)?;
                let len = file.metadata()?.len();
                (last, file, len)
            }
            None => {
                segments.push(1);
                let file = create_segment(&dir, 1)?;
                (1, file, 0)
            }
        };
        report.segments = segments.len();
        stats
            .segments
            .store(segments.len() as u64, Ordering::Relaxed);
        stats.bytes.store(report.bytes, Ordering::Relaxed);
        let wal = Wal {
            dir,
            options,
            writer: Mutex::new(Writer {
                segment,
                file,
                offset,
                first: segments[0],
                buf: Vec::new(),
            }),
            end_segment: AtomicU64::new(segment),
            end_offset: AtomicU64::new(offset),
            stats,
        };
        Ok((wal, report))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Appends one record; returns the position just after it. On error (a full disk, an IO failure) the log
    /// is left as it was and the error says why.
    pub fn append(&self, payload: &[u8]) -> io::Result<Position> {
        if payload.len() as u64 > MAX_RECORD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("WAL record of {} bytes is too large", payload.len()),
            ));
        }
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let record_len = (HEADER + payload.len()) as u64;
        if w.offset > 0 && w.offset + record_len > self.options.segment_size {
            self.roll(&mut w)?;
        }
        let len_bytes = (payload.len() as u32).to_le_bytes();
        let crc = checksum(&len_bytes, payload);
        let mut buf = std::mem::take(&mut w.buf);
        buf.clear();
        buf.extend_from_slice(&len_bytes);
        buf.extend_from_slice(&crc.to_le_bytes());
        buf.extend_from_slice(payload);
        #[cfg(feature = "test-hooks")]
        if self.dir.join("TEST_ZERO_WRITES").exists() {
            // A write the kernel accepted and then lost (a page dropped after a failed writeback on a
            // full disk): the bytes read back as zeros.
            buf[..].fill(0);
        }
        // At the offset the log counts, never "at the end of the file": a write cut short leaves bytes the
        // next append overwrites instead of a gap the readers would trip on.
        let result = w.file.write_all_at(&buf, w.offset).and_then(|()| {
            if self.options.sync == SyncPolicy::Always {
                w.file.sync_data()
            } else {
                Ok(())
            }
        });
        w.buf = buf;
        if let Err(e) = result {
            // Part of the record may be on disk: cut it off so the log ends at the last whole record.
            let _ = w.file.set_len(w.offset);
            self.stats.write_failures.fetch_add(1, Ordering::Relaxed);
            return Err(e);
        }
        w.offset += record_len;
        self.stats.records_written.fetch_add(1, Ordering::Relaxed);
        self.stats
            .bytes_written
            .fetch_add(record_len, Ordering::Relaxed);
        self.stats.bytes.fetch_add(record_len, Ordering::Relaxed);
        self.end_offset.store(w.offset, Ordering::Release);
        Ok(Position::new(w.segment, w.offset))
    }

    fn roll(&self, w: &mut Writer) -> io::Result<()> {
        w.file.sync_data()?;
        let next = w.segment + 1;
        let file = create_segment(&self.dir, next)?;
        w.file = file;
        w.segment = next;
        w.offset = 0;
        // Readers load the segment before the offset: they never see the new segment with the old offset.
        self.end_offset.store(0, Ordering::Release);
        self.end_segment.store(next, Ordering::Release);
        self.stats.segments.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Closes the segment being written and starts the next, if the one being written holds anything and
    /// still ends at `end` (nothing was appended since the caller looked). Lets a fully delivered log free
    /// its space: only whole segments are ever removed, so without this the last one would only grow.
    pub fn roll_if_at(&self, end: Position) -> io::Result<bool> {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if w.offset == 0 || Position::new(w.segment, w.offset) != end {
            return Ok(false);
        }
        self.roll(&mut w)?;
        Ok(true)
    }

    /// Flushes appended records to disk.
    pub fn sync(&self) -> io::Result<()> {
        let file = {
            let w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            w.file.try_clone()?
        };
        // Outside the lock: appends go on while the disk catches up.
        file.sync_data()
    }

    /// The position after the last committed record.
    pub fn end(&self) -> Position {
        loop {
            let seg = self.end_segment.load(Ordering::Acquire);
            let off = self.end_offset.load(Ordering::Acquire);
            if self.end_segment.load(Ordering::Acquire) == seg {
                return Position::new(seg, off);
            }
        }
    }

    /// The oldest segment still on disk.
    pub fn first_segment(&self) -> u64 {
        self.writer.lock().unwrap_or_else(|e| e.into_inner()).first
    }

    /// Where a reader starting from the beginning begins.
    pub fn start(&self) -> Position {
        Position::new(self.first_segment(), 0)
    }

    /// A reader of the records after `from` (a position returned by [`append`](Self::append) or a reader,
    /// or [`start`](Self::start)).
    pub fn reader(self: &Arc<Self>, from: Position) -> Reader {
        Reader {
            wal: self.clone(),
            pos: from,
            file: None,
        }
    }

    /// Removes every whole segment before `segment` (never the one being written). Returns how many.
    pub fn remove_segments_before(&self, segment: u64) -> io::Result<usize> {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let limit = segment.min(w.segment);
        let mut removed = 0;
        for s in list_segments(&self.dir)? {
            if s >= limit {
                break;
            }
            let p = self.dir.join(segment_name(s));
            let len = fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            fs::remove_file(&p)?;
            self.stats.bytes.fetch_sub(len, Ordering::Relaxed);
            self.stats.segments.fetch_sub(1, Ordering::Relaxed);
            removed += 1;
        }
        if limit > w.first {
            w.first = limit;
        }
        self.stats
            .segments_truncated
            .fetch_add(removed as u64, Ordering::Relaxed);
        Ok(removed)
    }

    /// Closed segments with their size and last write time, oldest first.
    pub fn segments(&self) -> io::Result<Vec<SegmentInfo>> {
        let mut v = Vec::new();
        for s in list_segments(&self.dir)? {
            let m = fs::metadata(self.dir.join(segment_name(s)))?;
            v.push(SegmentInfo {
                segment: s,
                bytes: m.len(),
                modified: m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            });
        }
        Ok(v)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentInfo {
    pub segment: u64,
    pub bytes: u64,
    pub modified: SystemTime,
}

fn create_segment(dir: &Path, n: u64) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(segment_name(n)))?;
    sync_dir(dir)?;
    Ok(file)
}

/// Reads records in order, up to the writer's committed end; call again later for more.
pub struct Reader {
    wal: Arc<Wal>,
    pos: Position,
    file: Option<(u64, File)>,
}

/// One record read back.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// The payload was written into the buffer; the position is just after the record.
    Record(Position),
    /// Nothing more has been committed yet.
    End,
}

impl Reader {
    pub fn position(&self) -> Position {
        self.pos
    }

    /// The log this reader reads.
    pub fn wal(&self) -> &Arc<Wal> {
        &self.wal
    }

    /// Reads the next record into `payload`. A reader whose segment was removed (dropped for age) moves on to
    /// the oldest segment left.
    pub fn next(&mut self, payload: &mut Vec<u8>) -> io::Result<Read> {
        loop {
            let end = self.wal.end();
            if self.pos >= end {
                return Ok(Read::End);
            }
            let first = self.wal.first_segment();
            if self.pos.segment < first {
                self.pos = Position::new(first, 0);
                self.file = None;
                continue;
            }
            if self.file.as_ref().map(|(s, _)| *s) != Some(self.pos.segment) {
                let path = self.wal.dir.join(segment_name(self.pos.segment));
                match File::open(&path) {
                    Ok(f) => self.file = Some((self.pos.segment, f)),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        // Removed under us: the next loop finds the new first segment.
                        if self.pos.segment < end.segment {
                            self.pos = Position::new(self.pos.segment + 1, 0);
                            continue;
                        }
                        return Err(e);
                    }
                    Err(e) => return Err(e),
                }
            }
            let (_, file) = self.file.as_ref().unwrap();
            // The writer's end bounds the current segment; closed segments end at their file size.
            let size = if self.pos.segment == end.segment {
                end.offset
            } else {
                file.metadata()?.len()
            };
            match read_record(file, self.pos.offset, size, payload) {
                Ok(Some(next)) => {
                    self.pos.offset = next;
                    return Ok(Read::Record(self.pos));
                }
                Ok(None) => {
                    // A closed segment is done: go on with the next.
                    self.pos = Position::new(self.pos.segment + 1, 0);
                    self.file = None;
                }
                Err(reason) if reason.starts_with("reading:") => {
                    return Err(io::Error::other(format!(
                        "WAL segment {} at offset {}: {reason}",
                        segment_name(self.pos.segment),
                        self.pos.offset
                    )))
                }
                Err(reason) => {
                    // Damage found while the log is running (a write the disk lost): skip to the next
                    // whole record of the segment, or its end, and say what was lost, rather than stop
                    // reading for good.
                    let mut rest = vec![0; (size - self.pos.offset) as usize];
                    file.read_exact_at(&mut rest, self.pos.offset)?;
                    let skip = find_next_record(&rest, 0).unwrap_or(rest.len() as u64);
                    tracing::warn!(
                        wal = %self.wal.dir.display(),
                        "WAL segment {} is damaged at offset {} ({reason}); {skip} bytes skipped, reading goes on after them",
                        segment_name(self.pos.segment),
                        self.pos.offset
                    );
                    self.wal.stats.corruptions.fetch_add(1, Ordering::Relaxed);
                    self.pos.offset += skip;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(wal: &Arc<Wal>, from: Position) -> Vec<Vec<u8>> {
        let mut r = wal.reader(from);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while let Read::Record(_) = r.next(&mut buf).unwrap() {
            out.push(buf.clone());
        }
        out
    }

    #[test]
    fn appends_roll_segments_and_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let opts = Options {
            segment_size: 64,
            sync: SyncPolicy::Manual,
        };
        let (wal, report) = Wal::open(dir.path(), opts.clone()).unwrap();
        assert_eq!(report.records, 0);
        let wal = Arc::new(wal);
        let mut positions = Vec::new();
        for i in 0..20u8 {
            positions.push(wal.append(&[i; 20]).unwrap());
        }
        assert!(wal.segments().unwrap().len() >= 7, "{:?}", wal.segments());
        let all = read_all(&wal, wal.start());
        assert_eq!(all.len(), 20);
        assert_eq!(all[7], vec![7u8; 20]);
        // Reading from a position gives exactly what follows it.
        assert_eq!(read_all(&wal, positions[9]).len(), 10);
        drop(wal);
        let (wal, report) = Wal::open(dir.path(), opts).unwrap();
        assert_eq!(report.records, 20);
        assert!(report.repairs.is_empty());
        let wal = Arc::new(wal);
        wal.append(b"after reopen").unwrap();
        assert_eq!(
            read_all(&wal, positions[19]),
            vec![b"after reopen".to_vec()]
        );
    }

    #[test]
    fn removing_segments_keeps_the_current_one_and_moves_readers_on() {
        let dir = tempfile::tempdir().unwrap();
        let opts = Options {
            segment_size: 40,
            sync: SyncPolicy::Manual,
        };
        let wal = Arc::new(Wal::open(dir.path(), opts).unwrap().0);
        let mut r = wal.reader(wal.start());
        for i in 0..10u8 {
            wal.append(&[i; 24]).unwrap();
        }
        let end = wal.end();
        let removed = wal.remove_segments_before(u64::MAX).unwrap();
        assert_eq!(removed as u64, end.segment - 1);
        assert_eq!(wal.segments().unwrap().len(), 1);
        let mut buf = Vec::new();
        assert!(matches!(r.next(&mut buf).unwrap(), Read::Record(_)));
        assert_eq!(buf, vec![9u8; 24]);
        assert_eq!(wal.stats().bytes.load(Ordering::Relaxed), 32);
    }
}
