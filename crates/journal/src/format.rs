//! The on-disk layout of a journal file (systemd's "Journal File Format"): the header, the object
//! header and the fixed parts of the objects this reader follows. Everything here parses from byte
//! slices and checks what it reads; nothing trusts a size or an offset it was given.

use std::fmt;

pub const SIGNATURE: &[u8; 8] = b"LPKSHHRH";

/// The header up to `tail_entry_monotonic`: every journal file since the first has it.
pub const HEADER_MIN_SIZE: u64 = 208;
/// The header as systemd 254 writes it (with `tail_entry_offset`).
pub const HEADER_MAX_KNOWN: usize = 272;

pub const INCOMPATIBLE_COMPRESSED_XZ: u32 = 1 << 0;
pub const INCOMPATIBLE_COMPRESSED_LZ4: u32 = 1 << 1;
pub const INCOMPATIBLE_KEYED_HASH: u32 = 1 << 2;
pub const INCOMPATIBLE_COMPRESSED_ZSTD: u32 = 1 << 3;
pub const INCOMPATIBLE_COMPACT: u32 = 1 << 4;
pub const INCOMPATIBLE_KNOWN: u32 = INCOMPATIBLE_COMPRESSED_XZ
    | INCOMPATIBLE_COMPRESSED_LZ4
    | INCOMPATIBLE_KEYED_HASH
    | INCOMPATIBLE_COMPRESSED_ZSTD
    | INCOMPATIBLE_COMPACT;

pub const OBJECT_UNUSED: u8 = 0;
pub const OBJECT_DATA: u8 = 1;
pub const OBJECT_FIELD: u8 = 2;
pub const OBJECT_ENTRY: u8 = 3;
pub const OBJECT_DATA_HASH_TABLE: u8 = 4;
pub const OBJECT_FIELD_HASH_TABLE: u8 = 5;
pub const OBJECT_ENTRY_ARRAY: u8 = 6;
pub const OBJECT_TAG: u8 = 7;

pub const OBJECT_COMPRESSED_XZ: u8 = 1 << 0;
pub const OBJECT_COMPRESSED_LZ4: u8 = 1 << 1;
pub const OBJECT_COMPRESSED_ZSTD: u8 = 1 << 2;

pub const OBJECT_HEADER_SIZE: u64 = 16;
/// `DataObject` up to its payload: 64 bytes, 72 in compact files.
pub const DATA_PAYLOAD_OFFSET: u64 = 64;
pub const DATA_PAYLOAD_OFFSET_COMPACT: u64 = 72;
/// `EntryObject` up to its items.
pub const ENTRY_ITEMS_OFFSET: u64 = 64;
/// `EntryArrayObject` up to its items.
pub const ENTRY_ARRAY_ITEMS_OFFSET: u64 = 24;

/// A 128-bit id (file, machine, boot, seqnum source), as systemd prints it: 32 lowercase hex digits.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id128(pub [u8; 16]);

impl Id128 {
    pub fn from_slice(b: &[u8]) -> Id128 {
        let mut id = [0u8; 16];
        id.copy_from_slice(&b[..16]);
        Id128(id)
    }

    /// `sd_id128_from_string`: 32 hex digits, or the 36-character UUID form.
    pub fn parse(s: &str) -> Option<Id128> {
        let b = s.as_bytes();
        let hex: Vec<u8> = match b.len() {
            32 => b.to_vec(),
            36 => {
                if [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
                    return None;
                }
                b.iter().copied().filter(|&c| c != b'-').collect()
            }
            _ => return None,
        };
        if hex.len() != 32 {
            return None;
        }
        let mut id = [0u8; 16];
        for (i, pair) in hex.chunks(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            id[i] = (hi * 16 + lo) as u8;
        }
        Some(Id128(id))
    }

    pub fn is_null(&self) -> bool {
        self.0 == [0; 16]
    }
}

impl fmt::Display for Id128 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Id128 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Whether the file is being written, was closed cleanly, or was rotated away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Offline,
    Online,
    Archived,
    Other(u8),
}

/// The file header, as far as this reader uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub compatible_flags: u32,
    pub incompatible_flags: u32,
    pub state: State,
    pub file_id: Id128,
    pub machine_id: Id128,
    pub tail_entry_boot_id: Id128,
    pub seqnum_id: Id128,
    pub header_size: u64,
    pub arena_size: u64,
    /// Where the data hash table's items start (not its object header), and their size in bytes.
    pub data_hash_table_offset: u64,
    pub data_hash_table_size: u64,
    pub tail_object_offset: u64,
    pub n_objects: u64,
    pub n_entries: u64,
    pub tail_entry_seqnum: u64,
    pub head_entry_seqnum: u64,
    pub entry_array_offset: u64,
    pub head_entry_realtime: u64,
    pub tail_entry_realtime: u64,
    pub tail_entry_monotonic: u64,
}

fn le64(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

fn le32(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

/// Why a file cannot be read at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// Not a journal file (or shorter than a header).
    NotJournal(String),
    /// A journal file with a feature this reader does not know.
    Unsupported(String),
    Corrupt(String),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::NotJournal(m) | HeaderError::Unsupported(m) | HeaderError::Corrupt(m) => {
                f.write_str(m)
            }
        }
    }
}

impl Header {
    /// Parses the first bytes of a file (at least [`HEADER_MIN_SIZE`]); `file_len` is the file's size.
    pub fn parse(b: &[u8], file_len: u64) -> Result<Header, HeaderError> {
        if b.len() < HEADER_MIN_SIZE as usize {
            return Err(HeaderError::NotJournal(format!(
                "not a journal file: {} bytes, shorter than a journal header",
                b.len()
            )));
        }
        if &b[..8] != SIGNATURE {
            return Err(HeaderError::NotJournal(
                "not a journal file: no LPKSHHRH signature".into(),
            ));
        }
        let incompatible_flags = le32(b, 12);
        let unknown = incompatible_flags & !INCOMPATIBLE_KNOWN;
        if unknown != 0 {
            return Err(HeaderError::Unsupported(format!(
                "journal file with unknown incompatible flags 0x{unknown:x}: written by a newer systemd than this reader knows"
            )));
        }
        let h = Header {
            compatible_flags: le32(b, 8),
            incompatible_flags,
            state: match b[16] {
                0 => State::Offline,
                1 => State::Online,
                2 => State::Archived,
                s => State::Other(s),
            },
            file_id: Id128::from_slice(&b[24..]),
            machine_id: Id128::from_slice(&b[40..]),
            tail_entry_boot_id: Id128::from_slice(&b[56..]),
            seqnum_id: Id128::from_slice(&b[72..]),
            header_size: le64(b, 88),
            arena_size: le64(b, 96),
            data_hash_table_offset: le64(b, 104),
            data_hash_table_size: le64(b, 112),
            tail_object_offset: le64(b, 136),
            n_objects: le64(b, 144),
            n_entries: le64(b, 152),
            tail_entry_seqnum: le64(b, 160),
            head_entry_seqnum: le64(b, 168),
            entry_array_offset: le64(b, 176),
            head_entry_realtime: le64(b, 184),
            tail_entry_realtime: le64(b, 192),
            tail_entry_monotonic: le64(b, 200),
        };
        if h.header_size < HEADER_MIN_SIZE || !h.header_size.is_multiple_of(8) {
            return Err(HeaderError::Corrupt(format!(
                "journal header size {} is invalid",
                h.header_size
            )));
        }
        if h.header_size > file_len {
            return Err(HeaderError::Corrupt(format!(
                "journal header size {} is past the end of the file ({file_len} bytes)",
                h.header_size
            )));
        }
        Ok(h)
    }

    pub fn keyed_hash(&self) -> bool {
        self.incompatible_flags & INCOMPATIBLE_KEYED_HASH != 0
    }

    pub fn compact(&self) -> bool {
        self.incompatible_flags & INCOMPATIBLE_COMPACT != 0
    }

    /// Where the used part of the file ends (`header_size + arena_size`), bounded by the file's size:
    /// no offset at or past it is read.
    pub fn arena_end(&self, file_len: u64) -> u64 {
        self.header_size
            .saturating_add(self.arena_size)
            .min(file_len)
    }

    /// Bytes of an entry item: an offset (u32 in compact files), and its hash in regular ones.
    pub fn entry_item_size(&self) -> u64 {
        if self.compact() {
            4
        } else {
            16
        }
    }

    /// Bytes of an entry-array item.
    pub fn array_item_size(&self) -> u64 {
        if self.compact() {
            4
        } else {
            8
        }
    }

    pub fn data_payload_offset(&self) -> u64 {
        if self.compact() {
            DATA_PAYLOAD_OFFSET_COMPACT
        } else {
            DATA_PAYLOAD_OFFSET
        }
    }
}

/// The header every object starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectHeader {
    pub kind: u8,
    pub flags: u8,
    pub size: u64,
}

impl ObjectHeader {
    pub fn parse(b: &[u8]) -> ObjectHeader {
        ObjectHeader {
            kind: b[0],
            flags: b[1],
            size: le64(b, 8),
        }
    }
}

/// The fixed part of an entry object: what orders and identifies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryFixed {
    pub seqnum: u64,
    pub realtime: u64,
    pub monotonic: u64,
    pub boot_id: Id128,
    pub xor_hash: u64,
}

impl EntryFixed {
    /// From the object's first [`ENTRY_ITEMS_OFFSET`] bytes (header included).
    pub fn parse(b: &[u8]) -> EntryFixed {
        EntryFixed {
            seqnum: le64(b, 16),
            realtime: le64(b, 24),
            monotonic: le64(b, 32),
            boot_id: Id128::from_slice(&b[40..]),
            xor_hash: le64(b, 56),
        }
    }
}

/// An item of an entry or entry array: the offset it holds.
pub fn item_offset(b: &[u8], compact: bool) -> u64 {
    if compact {
        le32(b, 0) as u64
    } else {
        le64(b, 0)
    }
}

pub fn read_le64(b: &[u8], at: usize) -> u64 {
    le64(b, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_print_as_systemd() {
        let s = "0123456789abcdef0123456789ABCDEF";
        let id = Id128::parse(s).unwrap();
        assert_eq!(id.to_string(), s.to_lowercase());
        assert_eq!(
            Id128::parse("01234567-89ab-cdef-0123-456789abcdef"),
            Some(id)
        );
        assert_eq!(Id128::parse("0123"), None);
        assert_eq!(Id128::parse("0123456789abcdef0123456789abcdeg"), None);
        assert_eq!(Id128::parse("01234567+89ab-cdef-0123-456789abcdef"), None);
    }

    #[test]
    fn short_or_foreign_headers_are_refused() {
        assert!(matches!(
            Header::parse(&[0u8; 10], 10),
            Err(HeaderError::NotJournal(_))
        ));
        assert!(matches!(
            Header::parse(&[0u8; 300], 300),
            Err(HeaderError::NotJournal(_))
        ));
        let mut b = vec![0u8; 272];
        b[..8].copy_from_slice(SIGNATURE);
        b[12] = 0x40;
        assert!(matches!(
            Header::parse(&b, 272),
            Err(HeaderError::Unsupported(_))
        ));
        b[12] = 0;
        assert!(matches!(
            Header::parse(&b, 272),
            Err(HeaderError::Corrupt(_))
        ));
        b[88] = 0xf0;
        b[89] = 0x01;
        assert!(matches!(
            Header::parse(&b, 272),
            Err(HeaderError::Corrupt(_))
        ));
        b[88] = 0x08;
        b[89] = 0x01;
        let h = Header::parse(&b, 272).unwrap();
        assert_eq!(h.header_size, 264);
        assert_eq!(h.arena_end(272), 264);
    }
}
