//! `local.file_match`: exports one target per file matched by the doublestar pattern in each path target's
//! `__path__` (less what `__path_exclude__` matches), with the target's labels and `__path__` set to the
//! file's absolute path. Patterns are matched again every `sync_period`; files older than
//! `ignore_older_than` are left out. A directory named in a pattern that is missing or cannot be read
//! makes the component unhealthy with the path and the cause (Alloy skips it silently).

mod args;
mod component;
pub mod glob;
mod matcher;

pub use args::Arguments;
pub use component::{Component, NAME};
pub use matcher::{io_error_text, match_files, Matched, MatchedFile};
