//! `loki.source.journal`: reads the systemd journal (the files in `/var/log/journal` and
//! `/run/log/journal`, or in `path`) with ingot's own reader (`ingot-journal`, no libsystemd), and sends
//! each entry's `MESSAGE` (or, with `format_as_json`, every field as JSON) with the `job` label, the
//! configured labels and whatever `relabel_rules` make of the `__journal_*` labels to `forward_to`.
//!
//! The cursor of the last entry the receivers stored is kept in Alloy's positions file
//! (`<storage.path>/<component id>/positions.yml`, key `cursor-<component id>`), so either agent
//! resumes where the other stopped. A receiver that is full holds reading back; nothing it did not
//! take is skipped.

mod args;
mod component;
mod convert;
mod metrics;
mod worker;

pub use args::{Arguments, LegacyPosition, DEFAULT_MAX_AGE};
pub use component::{Component, NAME};
pub use convert::priority_keyword;
pub use worker::SAVE_INTERVAL;
