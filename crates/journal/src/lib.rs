//! A reader of systemd journal files in Rust, without libsystemd: the on-disk format as systemd's
//! "Journal File Format" describes it (regular and compact files, Jenkins and keyed SipHash hashes,
//! DATA objects compressed with XZ, LZ4 or ZSTD), every file of a journal directory read as one stream
//! in systemd's order, followed as journald appends, rotates and deletes, with systemd's cursors.
//!
//! - [`format`]: the header and objects, parsed from bytes and checked.
//! - [`compress`]: the three compressions, each bounded in what it may produce.
//! - [`hash`]: Jenkins lookup3 and SipHash-2-4.
//! - [`cursor`]: cursor strings and systemd's order of entries.
//! - [`file`]: one file read with `pread`; inconsistent places (a file being written) are reported as
//!   such, never panicked on.
//! - [`journal`]: the files of a journal as one stream; [`JournalReader`] is what a consumer uses, so
//!   that tests can put another reader in its place.

pub mod compress;
pub mod cursor;
pub mod file;
pub mod format;
pub mod hash;
pub mod journal;

pub use cursor::{Cursor, Position};
pub use file::Field;
pub use format::Id128;
pub use journal::{
    error_text, parse_matches, Counts, Entry, Journal, JournalReader, Options, Paths, SeekTo,
};
