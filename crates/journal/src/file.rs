//! One journal file, read with `pread` (no memory map: the workspace forbids `unsafe`): its header, the
//! global chain of entry arrays, entries and their DATA objects. Every offset and size read from the
//! file is checked before it is followed.
//!
//! A file may be written while it is read (journald appends in place and links new objects up after
//! writing them). What this reader sees of an online file can therefore be inconsistent for a moment:
//! such places come back as [`ReadError::Inconsistent`], and the caller retries them after the next
//! [`JournalFile::refresh`] instead of giving up on the file. Payloads are checked against the hash
//! stored beside them, so a half-written DATA object is never taken for a whole one.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::compress::{decompress, Method};
use crate::cursor::Position;
use crate::format::{
    item_offset, read_le64, EntryFixed, Header, HeaderError, ObjectHeader, State,
    ENTRY_ARRAY_ITEMS_OFFSET, ENTRY_ITEMS_OFFSET, HEADER_MAX_KNOWN, HEADER_MIN_SIZE, OBJECT_DATA,
    OBJECT_ENTRY, OBJECT_ENTRY_ARRAY, OBJECT_HEADER_SIZE,
};
use crate::hash::{jenkins64, siphash24};

/// Bytes read from the file at once and kept for the next reads.
const BLOCK: u64 = 64 * 1024;
/// Blocks kept.
const BLOCKS: usize = 8;
/// DATA objects kept decoded: those more than one entry references (host, unit, boot, ...; a message
/// is usually its entry's alone).
const DATA_CACHE_ENTRIES: usize = 4096;
/// Payloads at most this long are kept decoded.
const DATA_CACHE_MAX_PAYLOAD: usize = 2048;
/// Fields an entry may have (journald accepts at most 1,024; the rest is corruption).
const MAX_ITEMS: u64 = 1 << 16;

/// Why a place in the file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The structure is not consistent here (not written yet, or damaged): try again after a refresh.
    Inconsistent(String),
    /// The chain of entry arrays ends before this entry: no later entry can be reached either (until
    /// the writer links the next array).
    ChainEnd(String),
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Inconsistent(m) | ReadError::ChainEnd(m) => f.write_str(m),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> ReadError {
        ReadError::Io(e)
    }
}

fn bad(msg: String) -> ReadError {
    ReadError::Inconsistent(msg)
}

/// Why a file could not be opened as a journal.
#[derive(Debug)]
pub enum OpenError {
    Io(io::Error),
    Header(HeaderError),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Io(e) => write!(f, "{e}"),
            OpenError::Header(e) => write!(f, "{e}"),
        }
    }
}

/// One field of an entry: its name and its value's bytes (values may be binary).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: Vec<u8>,
}

/// An entry's fixed part: where it is and where it sits in the order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryMeta {
    pub offset: u64,
    pub size: u64,
    pub position: Position,
}

/// A DATA object, decoded.
#[derive(Debug)]
pub enum Data {
    Field(Arc<Field>),
    /// A payload without `=` (not a field): skipped, as systemd's readers skip it.
    NotAField,
    /// Decompressed, longer than the reader's limit: skipped, and counted by the caller.
    TooLarge,
}

struct Array {
    offset: u64,
    /// Index of its first item in the whole chain.
    first: u64,
    capacity: u64,
}

pub struct JournalFile {
    path: PathBuf,
    file: File,
    dev_ino: (u64, u64),
    header: Header,
    raw_header: Vec<u8>,
    len: u64,
    arrays: Vec<Array>,
    blocks: Vec<(u64, Vec<u8>)>,
    block_turn: usize,
    data: HashMap<u64, Arc<Field>>,
    max_field: usize,
}

fn read_full_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

impl JournalFile {
    /// Opens `path` and reads its header. `max_field` bounds a decompressed field.
    pub fn open(path: &Path, max_field: usize) -> Result<JournalFile, OpenError> {
        let file = File::open(path).map_err(OpenError::Io)?;
        let meta = file.metadata().map_err(OpenError::Io)?;
        if !meta.is_file() {
            return Err(OpenError::Header(HeaderError::NotJournal(
                "not a regular file".into(),
            )));
        }
        let (raw_header, header, len) = read_header(&file).map_err(|e| match e {
            HeaderOrIo::Io(e) => OpenError::Io(e),
            HeaderOrIo::Header(h) => OpenError::Header(h),
        })?;
        Ok(JournalFile {
            path: path.to_path_buf(),
            file,
            dev_ino: (meta.dev(), meta.ino()),
            header,
            raw_header,
            len,
            arrays: Vec::new(),
            blocks: Vec::new(),
            block_turn: 0,
            data: HashMap::new(),
            max_field,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn set_path(&mut self, path: PathBuf) {
        self.path = path;
    }

    pub fn dev_ino(&self) -> (u64, u64) {
        self.dev_ino
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Entries the header counts, bounded by how many entry objects the file could hold.
    pub fn n_entries(&self) -> u64 {
        let room = self.end().saturating_sub(self.header.header_size)
            / (ENTRY_ITEMS_OFFSET + self.header.entry_item_size());
        self.header.n_entries.min(room)
    }

    /// Forgets what was read: a place that was inconsistent is read from the file again.
    pub fn forget_blocks(&mut self) {
        self.blocks.clear();
    }

    /// Lets go of the memory kept for reading (a file read to its end that is not written any more).
    pub fn shrink(&mut self) {
        self.blocks = Vec::new();
        self.data = HashMap::new();
    }

    pub fn state(&self) -> State {
        self.header.state
    }

    /// Reads the header again; true when it changed (new entries, a new state). Cached blocks are
    /// dropped then: parts of the file that were read may have been written since.
    pub fn refresh(&mut self) -> Result<bool, OpenError> {
        let (raw, header, len) = read_header(&self.file).map_err(|e| match e {
            HeaderOrIo::Io(e) => OpenError::Io(e),
            HeaderOrIo::Header(h) => OpenError::Header(h),
        })?;
        if raw == self.raw_header && len == self.len {
            return Ok(false);
        }
        if header.file_id != self.header.file_id {
            return Err(OpenError::Header(HeaderError::Corrupt(
                "the file's id changed under the reader".into(),
            )));
        }
        self.raw_header = raw;
        self.header = header;
        self.len = len;
        self.blocks.clear();
        Ok(true)
    }

    fn end(&self) -> u64 {
        self.header.arena_end(self.len)
    }

    /// `len` bytes at `offset`, within the used part of the file.
    fn read(&mut self, offset: u64, len: u64) -> Result<std::borrow::Cow<'_, [u8]>, ReadError> {
        let end = offset
            .checked_add(len)
            .ok_or_else(|| bad(format!("offset {offset} overflows")))?;
        if offset < self.header.header_size || end > self.end() {
            return Err(bad(format!(
                "{len} bytes at offset {offset} are outside the file's used part ({}..{})",
                self.header.header_size,
                self.end()
            )));
        }
        let start = offset / BLOCK * BLOCK;
        if end <= start + BLOCK {
            let i = match self.blocks.iter().position(|(s, _)| *s == start) {
                Some(i) => i,
                None => {
                    let want = BLOCK.min(self.len - start) as usize;
                    let mut buf = vec![0u8; want];
                    let got = read_full_at(&self.file, &mut buf, start)?;
                    buf.truncate(got);
                    if self.blocks.len() < BLOCKS {
                        self.blocks.push((start, buf));
                        self.blocks.len() - 1
                    } else {
                        self.block_turn = (self.block_turn + 1) % BLOCKS;
                        self.blocks[self.block_turn] = (start, buf);
                        self.block_turn
                    }
                }
            };
            let block = &self.blocks[i].1;
            let (a, b) = ((offset - start) as usize, (end - start) as usize);
            if b > block.len() {
                return Err(bad(format!("short read at offset {offset}")));
            }
            return Ok(std::borrow::Cow::Borrowed(&block[a..b]));
        }
        let mut buf = vec![0u8; len as usize];
        let got = read_full_at(&self.file, &mut buf, offset)?;
        if got < buf.len() {
            return Err(bad(format!("short read at offset {offset}")));
        }
        Ok(std::borrow::Cow::Owned(buf))
    }

    /// The object header at `offset`, checked to be of `kind` and at least `min` bytes long.
    fn object(&mut self, offset: u64, kind: u8, min: u64) -> Result<ObjectHeader, ReadError> {
        if !offset.is_multiple_of(8) {
            return Err(bad(format!("object offset {offset} is not 8-byte aligned")));
        }
        let h = ObjectHeader::parse(&self.read(offset, OBJECT_HEADER_SIZE)?);
        if h.kind != kind {
            return Err(bad(format!(
                "object at offset {offset} has type {}, not {kind}",
                h.kind
            )));
        }
        if h.size < min || offset.saturating_add(h.size) > self.end() {
            return Err(bad(format!(
                "object at offset {offset} has an invalid size {}",
                h.size
            )));
        }
        Ok(h)
    }

    /// The offset of entry `idx` of the global entry-array chain.
    pub fn entry_offset(&mut self, idx: u64) -> Result<u64, ReadError> {
        if idx >= self.n_entries() {
            return Err(ReadError::ChainEnd(format!(
                "entry {idx} is past the file's {} entries",
                self.n_entries()
            )));
        }
        let item_size = self.header.array_item_size();
        if self.arrays.is_empty() {
            let first = self.header.entry_array_offset;
            self.push_array(first, 0)
                .map_err(|e| ReadError::ChainEnd(e.to_string()))?;
        }
        // Arrays found so far are searched; the chain is followed further when needed (its last
        // array's next pointer is written when the array fills, so it is read fresh).
        loop {
            let last = self.arrays.last().expect("one array at least");
            if idx < last.first + last.capacity {
                break;
            }
            let (offset, next_first) = (last.offset, last.first + last.capacity);
            let next = read_le64(&self.read(offset + OBJECT_HEADER_SIZE, 8)?, 0);
            if next == 0 {
                return Err(ReadError::ChainEnd(format!(
                    "the entry array chain ends before entry {idx}"
                )));
            }
            self.push_array(next, next_first)
                .map_err(|e| ReadError::ChainEnd(e.to_string()))?;
        }
        let i = self.arrays.partition_point(|a| a.first + a.capacity <= idx);
        let a = &self.arrays[i];
        let at = a.offset + ENTRY_ARRAY_ITEMS_OFFSET + (idx - a.first) * item_size;
        let compact = self.header.compact();
        let offset = item_offset(&self.read(at, item_size)?, compact);
        if offset == 0 {
            return Err(bad(format!("entry {idx} is not linked yet")));
        }
        Ok(offset)
    }

    fn push_array(&mut self, offset: u64, first: u64) -> Result<(), ReadError> {
        if offset == 0 {
            return Err(bad("the file has entries but no entry array".into()));
        }
        if self.arrays.iter().any(|a| a.offset == offset) {
            return Err(bad(format!("the entry array chain loops at {offset}")));
        }
        let h = self.object(offset, OBJECT_ENTRY_ARRAY, ENTRY_ARRAY_ITEMS_OFFSET)?;
        let capacity = (h.size - ENTRY_ARRAY_ITEMS_OFFSET) / self.header.array_item_size();
        if capacity == 0 {
            return Err(bad(format!("empty entry array at {offset}")));
        }
        self.arrays.push(Array {
            offset,
            first,
            capacity,
        });
        Ok(())
    }

    /// Entry `idx`'s fixed part.
    pub fn entry_meta(&mut self, idx: u64) -> Result<EntryMeta, ReadError> {
        let offset = self.entry_offset(idx)?;
        self.entry_at(offset)
    }

    /// The entry object at `offset`.
    pub fn entry_at(&mut self, offset: u64) -> Result<EntryMeta, ReadError> {
        let item = self.header.entry_item_size();
        let h = self.object(offset, OBJECT_ENTRY, ENTRY_ITEMS_OFFSET + item)?;
        if !(h.size - ENTRY_ITEMS_OFFSET).is_multiple_of(item)
            || (h.size - ENTRY_ITEMS_OFFSET) / item > MAX_ITEMS
        {
            return Err(bad(format!(
                "entry at offset {offset} has an invalid size {}",
                h.size
            )));
        }
        let e = EntryFixed::parse(&self.read(offset, ENTRY_ITEMS_OFFSET)?);
        Ok(EntryMeta {
            offset,
            size: h.size,
            position: Position {
                seqnum_id: self.header.seqnum_id,
                seqnum: e.seqnum,
                boot_id: e.boot_id,
                monotonic: e.monotonic,
                realtime: e.realtime,
                xor_hash: e.xor_hash,
            },
        })
    }

    /// The offsets of the DATA objects an entry references, in the entry's order.
    pub fn entry_items(&mut self, meta: &EntryMeta) -> Result<Vec<u64>, ReadError> {
        let item = self.header.entry_item_size();
        let compact = self.header.compact();
        let n = (meta.size - ENTRY_ITEMS_OFFSET) / item;
        let bytes = self.read(meta.offset + ENTRY_ITEMS_OFFSET, n * item)?;
        let items: Vec<u64> = bytes
            .chunks_exact(item as usize)
            .map(|c| item_offset(c, compact))
            .collect();
        Ok(items)
    }

    /// The fields of an entry, in the entry's order. `skipped` counts DATA objects that are not
    /// fields or are larger than the limit.
    pub fn entry_fields(
        &mut self,
        meta: &EntryMeta,
        skipped: &mut Skipped,
    ) -> Result<Vec<Arc<Field>>, ReadError> {
        let items = self.entry_items(meta)?;
        let mut out = Vec::with_capacity(items.len());
        for offset in items {
            match self.data(offset)? {
                Data::Field(f) => out.push(f),
                Data::NotAField => skipped.not_fields += 1,
                Data::TooLarge => skipped.too_large += 1,
            }
        }
        Ok(out)
    }

    /// The DATA object at `offset`, decompressed and checked against its hash.
    pub fn data(&mut self, offset: u64) -> Result<Data, ReadError> {
        if let Some(f) = self.data.get(&offset) {
            return Ok(Data::Field(f.clone()));
        }
        let (payload, stored_hash) = match self.data_payload(offset)? {
            Some(p) => p,
            None => return Ok(Data::TooLarge),
        };
        let hash = self.hash(&payload);
        if hash != stored_hash {
            return Err(bad(format!(
                "data object at offset {offset}: its payload does not match its hash"
            )));
        }
        let Some(eq) = payload.iter().position(|&b| b == b'=') else {
            return Ok(Data::NotAField);
        };
        if eq == 0 {
            return Ok(Data::NotAField);
        }
        let field = Arc::new(Field {
            name: String::from_utf8_lossy(&payload[..eq]).into_owned(),
            value: payload[eq + 1..].to_vec(),
        });
        let shared = read_le64(&self.read(offset + 56, 8)?, 0) > 1;
        if shared && payload.len() <= DATA_CACHE_MAX_PAYLOAD {
            if self.data.len() >= DATA_CACHE_ENTRIES {
                self.data.clear();
            }
            self.data.insert(offset, field.clone());
        }
        Ok(Data::Field(field))
    }

    /// The hash this file's DATA objects carry for `payload`.
    pub fn hash(&self, payload: &[u8]) -> u64 {
        if self.header.keyed_hash() {
            siphash24(&self.header.file_id.0, payload)
        } else {
            jenkins64(payload)
        }
    }

    /// A DATA object's decompressed payload and stored hash; `None` when it decompresses past the
    /// limit.
    fn data_payload(&mut self, offset: u64) -> Result<Option<(Vec<u8>, u64)>, ReadError> {
        let start = self.header.data_payload_offset();
        let h = self.object(offset, OBJECT_DATA, start)?;
        let stored_hash = read_le64(&self.read(offset + OBJECT_HEADER_SIZE, 8)?, 0);
        let method = Method::from_flags(h.flags).map_err(|f| {
            bad(format!(
                "data object at offset {offset} has unknown flags 0x{f:x}"
            ))
        })?;
        let len = h.size - start;
        if method == Method::None && len > self.max_field as u64 {
            return Ok(None);
        }
        // A compressed payload is never larger than what it expands to plus a little framing.
        if len > self.max_field as u64 + 4096 {
            return Ok(None);
        }
        let max = self.max_field;
        let raw = self.read(offset + start, len)?;
        match method {
            Method::None => Ok(Some((raw.into_owned(), stored_hash))),
            m => match decompress(m, &raw, max) {
                Ok(p) => Ok(Some((p, stored_hash))),
                Err(e) if e.contains("more than the") => Ok(None),
                Err(e) => Err(bad(format!(
                    "data object at offset {offset}: {} payload: {e}",
                    m.name()
                ))),
            },
        }
    }

    /// The offset of the DATA object holding exactly `payload` (`FIELD=value`), through the data hash
    /// table; `None` when the file has none.
    pub fn find_data(&mut self, payload: &[u8]) -> Result<Option<u64>, ReadError> {
        let (table, size) = (
            self.header.data_hash_table_offset,
            self.header.data_hash_table_size,
        );
        let buckets = size / 16;
        if buckets == 0 {
            return Ok(None);
        }
        let hash = self.hash(payload);
        let bucket = table + (hash % buckets) * 16;
        let mut at = read_le64(&self.read(bucket, 8)?, 0);
        let mut steps = 0u32;
        while at != 0 {
            steps += 1;
            if steps > 10_000 {
                return Err(bad("a data hash chain does not end".into()));
            }
            let start = self.header.data_payload_offset();
            self.object(at, OBJECT_DATA, start)?;
            let fixed = self.read(at + OBJECT_HEADER_SIZE, 16)?;
            let (h, next) = (read_le64(&fixed, 0), read_le64(&fixed, 8));
            if h == hash {
                if let Some((p, _)) = self.data_payload(at)? {
                    if p == payload {
                        return Ok(Some(at));
                    }
                }
            }
            at = next;
        }
        Ok(None)
    }

    /// The first entry index in `lo..n_entries` for which `after` is false, assuming it is false
    /// then true along the file (bisection, as systemd seeks by time or seqnum).
    pub fn bisect(
        &mut self,
        lo: u64,
        mut before: impl FnMut(&Position) -> bool,
    ) -> Result<u64, ReadError> {
        let (mut lo, mut hi) = (lo, self.n_entries());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let m = self.entry_meta(mid)?;
            if before(&m.position) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }
}

/// DATA objects left out of entries, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Skipped {
    pub not_fields: u64,
    pub too_large: u64,
}

enum HeaderOrIo {
    Io(io::Error),
    Header(HeaderError),
}

fn read_header(file: &File) -> Result<(Vec<u8>, Header, u64), HeaderOrIo> {
    let len = file.metadata().map_err(HeaderOrIo::Io)?.len();
    let mut buf = vec![0u8; HEADER_MAX_KNOWN];
    let got = read_full_at(file, &mut buf, 0).map_err(HeaderOrIo::Io)?;
    buf.truncate(got);
    if (got as u64) < HEADER_MIN_SIZE {
        return Err(HeaderOrIo::Header(HeaderError::NotJournal(format!(
            "not a journal file: {got} bytes, shorter than a journal header"
        ))));
    }
    let header = Header::parse(&buf, len).map_err(HeaderOrIo::Header)?;
    Ok((buf, header, len))
}
