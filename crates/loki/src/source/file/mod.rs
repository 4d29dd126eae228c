//! `loki.source.file`: reads log files line by line and sends each line, with the target's labels (less
//! those starting with `__`) and `filename`, to `forward_to`. Positions are kept in Alloy's format in
//! `<storage.path>/<component id>/positions.yml`, so either agent resumes the other's files.
//!
//! Files are followed through rotation (rename and create, copytruncate, truncation, deletion and
//! re-creation, replacement, symbolic links retargeted), identified by inode and a signature of their
//! first bytes. A batch a receiver answers `Full` to is kept with the file's place and offered again:
//! nothing a receiver did not take is dropped or skipped.

mod args;
mod component;
mod metrics;
pub mod positions;
pub mod reader;
mod task;
mod watch;
mod worker;

pub use args::{Arguments, Compression, Decompression, FileMatch, FileWatch, OnPositionsFileError};
pub use component::{Component, NAME};
pub use task::{DRAIN_GRACE, PARTIAL_LINE_WAIT};
pub use worker::SAVE_INTERVAL;
