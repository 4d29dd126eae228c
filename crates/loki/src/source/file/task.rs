//! One file being read: opening it where reading should resume, reading it in large chunks into lines,
//! offering batches to the receivers (keeping a refused batch and the file's place until they take it),
//! and noticing rotation, truncation, deletion and replacement when the file has nothing more to read.
//!
//! Offsets: `committed` is the end of the last line every receiver took; `durable` the end of the last
//! line every receiver also stored where it survives the process (`loki.write`: written to its WAL), which
//! is what the positions file holds, so that a SIGKILL never skips lines a receiver had only queued; `pos`
//! is the end of the last line cut from the buffer, `read_off` the end of what was read.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::time::{Duration, Instant, SystemTime};

use ingot_logs::receipt::{receipt, Receipt, Token};
use ingot_logs::{AppendError, Entry, LogsReceiver};
use ingot_prom::labels::Labels;

use super::args::Compression;
use super::positions::Identity;
use super::reader::{decompressor, detect_bom, looks_compressed, Codec};

/// Bytes of a file's start that identify it (Alloy's signature size).
pub const SIGNATURE_SIZE: usize = 1024;
const SIGNATURE_THRESHOLDS: [u64; 5] = [64, 128, 256, 512, 1024];
/// The read buffer's starting size; it doubles for a longer line.
const READ_CHUNK: usize = 256 * 1024;
/// A batch offered to the receivers at once.
const MAX_BATCH_ENTRIES: usize = 1024;
const MAX_BATCH_BYTES: usize = 1024 * 1024;
/// Bytes one file may read before the others get their turn.
const STEP_BUDGET: u64 = 4 * 1024 * 1024;
/// How long a line without its newline waits at the end of a file that stopped growing before it is
/// sent as it is.
pub const PARTIAL_LINE_WAIT: Duration = Duration::from_secs(5);
/// How long a file that was renamed or deleted keeps being read after it last grew (the writer may not
/// have reopened yet, or a compressor still reads it) before it is let go. Long enough for an application
/// that is told to reopen after the rotation (a `postrotate` signal) or is slow to run under load.
pub const DRAIN_GRACE: Duration = Duration::from_secs(5);

/// The first bytes of a file, hashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    pub len: u16,
    pub hash: u64,
}

impl Signature {
    pub fn of(file: &File) -> io::Result<Signature> {
        let mut buf = [0u8; SIGNATURE_SIZE];
        let n = read_full_at(file, &mut buf, 0)?;
        Ok(Signature {
            len: n as u16,
            hash: xxhash_rust::xxh3::xxh3_64(&buf[..n]),
        })
    }

    pub fn complete(&self) -> bool {
        self.len as usize == SIGNATURE_SIZE
    }

    /// Alloy's `signature.equal` against another file: an empty signature matches nothing; an incomplete
    /// one matches a file that starts with the same bytes; a complete one a file with the same first
    /// 1,024 bytes.
    pub fn matches(&self, file: &File) -> io::Result<bool> {
        if self.len == 0 {
            return Ok(false);
        }
        let mut buf = [0u8; SIGNATURE_SIZE];
        let n = read_full_at(file, &mut buf[..self.len as usize], 0)?;
        Ok(n == self.len as usize && xxhash_rust::xxh3::xxh3_64(&buf[..n]) == self.hash)
    }

    pub fn from_identity(id: &Identity) -> Signature {
        Signature {
            len: id.sig_len,
            hash: id.sig_hash,
        }
    }

    /// Whether reading up to `at` passed a size at which Alloy computes the signature again.
    fn should_recompute(&self, at: u64) -> bool {
        !self.complete()
            && SIGNATURE_THRESHOLDS
                .iter()
                .any(|&t| at >= t && (self.len as u64) < t)
    }
}

fn read_full_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], offset + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// (device, inode)
pub type FileId = (u64, u64);

enum Source {
    Plain,
    Compressed(Box<dyn Read + Send>),
}

/// An open file and what has been read from it.
pub struct Reading {
    /// The open file: reads for plain files, `fstat` and signatures for both.
    file: File,
    source: Source,
    pub id: FileId,
    pub sig: Signature,
    codec: Codec,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// File offset of `buf[start]`: the end of the last line cut.
    pub pos: u64,
    /// Size and modification time at the last look, to notice changes.
    last_len: u64,
    last_mtime: Option<SystemTime>,
    /// Since when a line without its newline has waited at the end of the file.
    partial_since: Option<Instant>,
    /// A compressed stream read to its end.
    pub finished: bool,
}

/// What reading a file ran into, in words.
pub type Failure = String;

/// Why a file was not opened for reading.
#[derive(Debug)]
pub enum OpenFailure {
    /// Compressed data in a component without decompression: left alone, not an error.
    Compressed(String),
    Failed(String),
}

/// Where a file should start being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    At(u64),
    /// After the last newline: only lines written from now on (`tail_from_end`).
    End,
}

pub struct OpenOptions {
    pub codec: Codec,
    pub compression: Option<Compression>,
}

impl Reading {
    /// Opens `path` (following symbolic links) for reading from `start`.
    pub fn open(
        path: &str,
        file: File,
        start: Start,
        opts: &OpenOptions,
    ) -> Result<Reading, OpenFailure> {
        use OpenFailure::Failed;
        let meta = file
            .metadata()
            .map_err(|e| Failed(format!("stat {path}: {}", text(&e))))?;
        if meta.is_dir() {
            return Err(Failed(format!("{path}: is a directory")));
        }
        let sig = Signature::of(&file).map_err(|e| {
            Failed(format!(
                "failed to compute signature for file {path}: {}",
                text(&e)
            ))
        })?;
        let mut head = [0u8; 16];
        let head_len = read_full_at(&file, &mut head, 0).unwrap_or(0);
        let mut r = Reading {
            source: Source::Plain,
            id: (meta.dev(), meta.ino()),
            sig,
            codec: opts.codec,
            buf: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            pos: 0,
            last_len: meta.len(),
            last_mtime: meta.modified().ok(),
            partial_since: None,
            finished: false,
            file,
        };
        match opts.compression {
            None => {
                if let Some(kind) = looks_compressed(&head[..head_len]) {
                    return Err(OpenFailure::Compressed(format!(
                        "{kind} data: not read as text (a decompression block reads compressed files)"
                    )));
                }
                let (codec, after_bom) = detect_bom(&head[..head_len], opts.codec);
                r.codec = codec;
                let mut offset = match start {
                    Start::At(o) => o,
                    Start::End => r.last_line_start().unwrap_or(0),
                };
                if offset > meta.len() {
                    // The position is past the end: another file, or one truncated while stopped.
                    offset = 0;
                }
                offset = offset.max(after_bom);
                r.file
                    .seek(SeekFrom::Start(offset))
                    .map_err(|e| Failed(format!("seek {path}: {}", text(&e))))?;
                r.pos = offset;
            }
            Some(format) => {
                let dup = r
                    .file
                    .try_clone()
                    .map_err(|e| Failed(format!("open {path}: {}", text(&e))))?;
                let mut dec = decompressor(dup, format);
                let mut first = [0u8; 4];
                let n = read_some(&mut dec, &mut first)
                    .map_err(|e| Failed(format!("{path}: {}", decompress_error(format, &e))))?;
                let (codec, after_bom) = detect_bom(&first[..n], opts.codec);
                r.codec = codec;
                r.buf[..n].copy_from_slice(&first[..n]);
                r.end = n;
                let want = match start {
                    Start::At(o) => o.max(after_bom),
                    Start::End => after_bom,
                };
                // The stored offset counts decompressed bytes: read up to it and drop what is before.
                if want > 0 {
                    let in_buf = (want as usize).min(n);
                    r.start = in_buf;
                    let rest = want - in_buf as u64;
                    let skipped = io::copy(&mut (&mut dec).take(rest), &mut io::sink())
                        .map_err(|e| Failed(format!("{path}: {}", decompress_error(format, &e))))?;
                    r.pos = in_buf as u64 + skipped;
                    if skipped < rest {
                        // Shorter than the position: nothing left to read.
                        r.start = r.end;
                    }
                }
                r.source = Source::Compressed(dec);
            }
        }
        Ok(r)
    }

    /// Offset of the start of the last line (after the last newline), as Alloy's `lastNewline`.
    fn last_line_start(&self) -> io::Result<u64> {
        let len = self.file.metadata()?.len();
        let mut chunk = vec![0u8; 1024];
        let mut at = len.saturating_sub(1024);
        loop {
            let n = read_full_at(&self.file, &mut chunk[..(len - at).min(1024) as usize], at)?;
            let region = &chunk[..n];
            let mut last = None;
            let mut from = 0;
            while let Some(i) = self.codec.find_newline(&region[from..]) {
                last = Some(from + i);
                from += i + self.codec.newline_len();
            }
            if let Some(i) = last {
                return Ok(at + (i + self.codec.newline_len()) as u64);
            }
            if at == 0 {
                return Ok(0);
            }
            at = at.saturating_sub(1024);
        }
    }

    fn unread(&self) -> usize {
        self.end - self.start
    }

    /// Reads more into the buffer; `Ok(0)` at the end of the file (or stream).
    fn fill(&mut self) -> io::Result<usize> {
        if self.start > 0 && (self.start == self.end || self.end == self.buf.len()) {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // A line longer than the buffer: grow it.
            let len = self.buf.len();
            self.buf.resize(len * 2, 0);
        }
        let n = loop {
            let r = match &mut self.source {
                Source::Plain => self.file.read(&mut self.buf[self.end..]),
                Source::Compressed(d) => d.read(&mut self.buf[self.end..]),
            };
            match r {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        self.end += n;
        if n > 0 {
            self.partial_since = None;
        }
        Ok(n)
    }

    /// Cuts complete lines from the buffer into `out` (at most a batch); returns the bytes consumed.
    fn cut_lines(&mut self, labels: &Labels, out: &mut Vec<Entry>, ts: i64, created: i64) -> usize {
        let nl = self.codec.newline_len();
        let mut consumed = 0;
        while out.len() < MAX_BATCH_ENTRIES && consumed < MAX_BATCH_BYTES {
            let Some(i) = self.codec.find_newline(&self.buf[self.start..self.end]) else {
                break;
            };
            let line = self.codec.decode(&self.buf[self.start..self.start + i]);
            out.push(Entry {
                labels: labels.clone(),
                timestamp_ns: ts + out.len() as i64,
                line,
                structured_metadata: Vec::new(),
                created_us: created,
            });
            self.start += i + nl;
            self.pos += (i + nl) as u64;
            consumed += i + nl;
        }
        consumed
    }

    /// The rest of the buffer as a final line (a line without its newline that waited long enough, or
    /// the end of a compressed stream or of a rotated file).
    fn cut_partial(&mut self, labels: &Labels, out: &mut Vec<Entry>, ts: i64, created: i64) {
        if self.start == self.end {
            return;
        }
        let line = self.codec.decode(&self.buf[self.start..self.end]);
        out.push(Entry {
            labels: labels.clone(),
            timestamp_ns: ts + out.len() as i64,
            line,
            structured_metadata: Vec::new(),
            created_us: created,
        });
        self.pos += (self.end - self.start) as u64;
        self.start = self.end;
        self.partial_since = None;
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    pub fn compressed(&self) -> bool {
        matches!(self.source, Source::Compressed(_))
    }

    pub fn size(&self) -> u64 {
        self.last_len
    }

    pub fn identity(&self) -> Identity {
        Identity {
            ino: self.id.1,
            sig_len: self.sig.len,
            sig_hash: self.sig.hash,
        }
    }
}

fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// An I/O error as Go prints it.
pub fn text(e: &io::Error) -> String {
    ingot_local::file_match::io_error_text(e)
}

fn decompress_error(format: Compression, e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return "unexpected EOF".into();
    }
    format!("{}: {}", format.as_str(), text(e))
}

/// A batch some receivers have not taken yet.
pub struct Pending {
    pub entries: Vec<Entry>,
    /// Where the file's position goes once every receiver took it.
    pub end: u64,
    /// The receivers still to take it.
    pub remaining: Vec<LogsReceiver>,
    /// Handed to the receivers with the entries; the receipt completes when all have stored them.
    token: Token,
    receipt: Receipt,
    pub retry_at: Instant,
    pub reason: String,
}

/// Offers `entries` to `receivers`: the ones that answered `Full` (with the longest wait they asked
/// for and their reason), and how many refused them for good (the entries count as dropped for those).
pub fn offer(
    receivers: &[LogsReceiver],
    entries: &[Entry],
    token: &Token,
) -> (Vec<LogsReceiver>, Duration, String, Vec<String>) {
    let mut full = Vec::new();
    let mut wait = Duration::ZERO;
    let mut reason = String::new();
    let mut refused = Vec::new();
    for r in receivers {
        match r.append_with(entries, token) {
            Ok(()) => {}
            Err(AppendError::Full {
                retry_after,
                reason: why,
            }) => {
                full.push(r.clone());
                wait = wait.max(retry_after);
                reason = format!("{}: {why}", r.name());
            }
            Err(AppendError::Refused(why)) => refused.push(format!("{}: {why}", r.name())),
        }
    }
    (full, wait, reason, refused)
}

/// What a step of reading produced, for metrics and the positions file.
#[derive(Default)]
pub struct StepResult {
    pub lines: u64,
    /// Entries refused for good by a receiver, with the reasons.
    pub refused: Vec<(u64, String)>,
    /// The file had more to read when the budget ran out.
    pub more: bool,
    /// The end of the file (or stream) was reached.
    pub at_eof: bool,
    pub error: Option<Failure>,
    /// The position moved.
    pub committed: bool,
}

/// The reading side of a task: the open file, the batch waiting for receivers, the position.
pub struct Cursor {
    pub reading: Reading,
    pub committed: u64,
    /// What the positions file may say: see the module's notes on offsets.
    pub durable: u64,
    /// Batches taken but not yet stored by every receiver, oldest first, with where each ends.
    in_flight: VecDeque<(u64, Receipt)>,
    pub pending: Option<Pending>,
    batch: Vec<Entry>,
}

impl Cursor {
    pub fn new(reading: Reading) -> Cursor {
        Cursor {
            committed: reading.pos,
            durable: reading.pos,
            in_flight: VecDeque::new(),
            reading,
            pending: None,
            batch: Vec::new(),
        }
    }

    /// Moves `durable` past the batches every receiver has stored; true when it moved. A batch a
    /// receiver failed to store counts as done here: that receiver counted and logged the loss.
    pub fn poll_stored(&mut self) -> bool {
        let before = self.durable;
        while let Some((end, r)) = self.in_flight.front_mut() {
            if r.try_stored().is_none() {
                break;
            }
            self.durable = *end;
            self.in_flight.pop_front();
        }
        self.durable != before
    }

    /// Whether some batch is still to be stored by a receiver.
    pub fn storing(&self) -> bool {
        !self.in_flight.is_empty()
    }

    /// Takes over the position of `from`, the same content in another open file (an atomic rewrite).
    pub fn continue_from(&mut self, from: Cursor) {
        self.committed = from.committed;
        self.durable = from.durable;
        self.in_flight = from.in_flight;
        self.pending = from.pending;
    }

    /// Takes over what `from` took but has not seen stored: the same content, read on in another file
    /// (copytruncate's copy). Its durable offset is then `from`'s, so a crash before those lines are
    /// stored finds them again in the copy.
    pub fn take_receipts_from(&mut self, from: &mut Cursor) {
        self.durable = from.durable.min(self.committed);
        self.in_flight = std::mem::take(&mut from.in_flight);
    }

    /// Offers the waiting batch again; true when it is gone (taken, or refused for good).
    pub fn retry_pending(&mut self, now: Instant, result: &mut StepResult) -> bool {
        let Some(p) = self.pending.as_mut() else {
            return true;
        };
        if now < p.retry_at {
            return false;
        }
        let (full, wait, reason, refused) = offer(&p.remaining, &p.entries, &p.token);
        for r in refused {
            result.refused.push((p.entries.len() as u64, r));
        }
        if full.is_empty() {
            let p = self.pending.take().expect("pending");
            self.committed = p.end;
            self.in_flight.push_back((p.end, p.receipt));
            result.committed = true;
            let mut entries = p.entries;
            entries.clear();
            self.batch = entries;
            true
        } else {
            p.remaining = full;
            p.retry_at = now + clamp_wait(wait);
            p.reason = reason;
            false
        }
    }

    /// Reads and delivers up to the step budget. `flush_partial` sends a last line without its newline
    /// (the file is done growing).
    pub fn step(
        &mut self,
        labels: &Labels,
        receivers: &[LogsReceiver],
        now: Instant,
        flush_partial: bool,
    ) -> StepResult {
        let mut result = StepResult::default();
        if !self.retry_pending(now, &mut result) {
            return result;
        }
        let mut read: u64 = 0;
        loop {
            if self.reading.finished {
                result.at_eof = true;
                break;
            }
            let ts = ingot_logs::entry::now_ns();
            let created = ts / 1000;
            self.batch.clear();
            self.reading.cut_lines(labels, &mut self.batch, ts, created);
            if self.batch.len() < MAX_BATCH_ENTRIES {
                if read >= STEP_BUDGET {
                    result.more = true;
                    if self.batch.is_empty() {
                        break;
                    }
                } else {
                    match self.reading.fill() {
                        Ok(0) => {
                            result.at_eof = true;
                            let compressed_end = self.reading.compressed();
                            if compressed_end {
                                self.reading.finished = true;
                            }
                            let waited = match self.reading.partial_since {
                                Some(t) => now.duration_since(t) >= PARTIAL_LINE_WAIT,
                                None => {
                                    if self.reading.unread() > 0 {
                                        self.reading.partial_since = Some(now);
                                    }
                                    false
                                }
                            };
                            if compressed_end || flush_partial || waited {
                                self.reading
                                    .cut_partial(labels, &mut self.batch, ts, created);
                            }
                            if self.batch.is_empty() {
                                break;
                            }
                        }
                        Ok(n) => {
                            read += n as u64;
                            self.recompute_signature();
                            if self.batch.is_empty() {
                                continue;
                            }
                        }
                        Err(e) => {
                            if self.reading.compressed() && e.kind() == io::ErrorKind::UnexpectedEof
                            {
                                // A compressed file still being written: wait for the rest.
                                result.at_eof = true;
                                result.error = Some("unexpected EOF (incomplete compressed file, waiting for the rest)".into());
                            } else {
                                result.error = Some(text(&e));
                            }
                            if self.batch.is_empty() {
                                break;
                            }
                        }
                    }
                }
            }
            // Deliver the batch.
            let lines = self.batch.len() as u64;
            result.lines += lines;
            let (stored, token) = receipt();
            let (full, wait, reason, refused) = offer(receivers, &self.batch, &token);
            for r in refused {
                result.refused.push((lines, r));
            }
            if full.is_empty() {
                drop(token);
                self.committed = self.reading.pos;
                self.in_flight.push_back((self.committed, stored));
                result.committed = true;
            } else {
                self.pending = Some(Pending {
                    entries: std::mem::take(&mut self.batch),
                    end: self.reading.pos,
                    remaining: full,
                    retry_at: now + clamp_wait(wait),
                    reason,
                    token,
                    receipt: stored,
                });
                break;
            }
            if result.at_eof || result.error.is_some() {
                break;
            }
        }
        result
    }

    fn recompute_signature(&mut self) {
        if self.reading.compressed() {
            return;
        }
        let read_off = self.reading.pos + self.reading.unread() as u64;
        if self.reading.sig.should_recompute(read_off) {
            if let Ok(sig) = Signature::of(&self.reading.file) {
                self.reading.sig = sig;
            }
        }
    }

    /// When a line without its newline at the end of the file will have waited long enough.
    pub fn partial_deadline(&self) -> Option<Instant> {
        self.reading.partial_since.map(|t| t + PARTIAL_LINE_WAIT)
    }

    /// Looks at the file's size and time after reading to its end: whether it grew or changed since
    /// the last look, and whether it shrank below what was read (truncated).
    pub fn look(&mut self, meta: &std::fs::Metadata) -> Change {
        let len = meta.len();
        let mtime = meta.modified().ok();
        let read_off = self.reading.pos + self.reading.unread() as u64;
        let change = if len < read_off {
            Change::Truncated
        } else if len > read_off {
            Change::Grew
        } else if mtime != self.reading.last_mtime || len != self.reading.last_len {
            Change::Touched
        } else {
            Change::None
        };
        self.reading.last_len = len;
        self.reading.last_mtime = mtime;
        change
    }

    /// Whether a look at the path finds this very file exactly as it was read: nothing to do.
    pub fn unchanged(&self, meta: &std::fs::Metadata) -> bool {
        self.unchanged_as((meta.dev(), meta.ino()), meta.len(), meta.modified().ok())
    }

    /// [`Cursor::unchanged`] from the raw fields of a `stat`.
    pub fn unchanged_as(&self, id: FileId, len: u64, mtime: Option<SystemTime>) -> bool {
        id == self.reading.id
            && len == self.reading.pos + self.reading.unread() as u64
            && len == self.reading.last_len
            && mtime == self.reading.last_mtime
    }

    /// Starts the same file again from its beginning (it was truncated or rewritten in place).
    pub fn restart_from_zero(&mut self) -> io::Result<()> {
        self.reading.file.seek(SeekFrom::Start(0))?;
        self.reading.start = 0;
        self.reading.end = 0;
        self.reading.pos = 0;
        self.reading.partial_since = None;
        self.reading.sig = Signature::of(&self.reading.file)?;
        self.committed = 0;
        // What is still being stored was the old content's: its place in the file is gone.
        self.in_flight.clear();
        self.durable = 0;
        Ok(())
    }
}

/// What a look at a file found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    None,
    Grew,
    /// Same size, new modification time: maybe rewritten in place.
    Touched,
    Truncated,
}

fn clamp_wait(d: Duration) -> Duration {
    d.clamp(Duration::from_millis(10), Duration::from_secs(1))
}
