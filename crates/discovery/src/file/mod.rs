//! `discovery.file`: Prometheus file_sd. Reads JSON or YAML files of `[{targets, labels}]` groups
//! (patterns may glob the last path segment), exports one target per entry with the group's labels
//! and `__meta_filepath`, re-reads every `refresh_interval` and whenever a file's size or
//! modification time changes (checked every second). A file that cannot be read or parsed keeps its
//! last good targets, and the component is unhealthy naming the file and the error.

mod args;
mod component;
mod glob;
mod targets_file;

pub use args::Arguments;
pub use component::{Component, NAME};
pub use glob::{expand_pattern, glob_match};
pub use targets_file::read_file;
