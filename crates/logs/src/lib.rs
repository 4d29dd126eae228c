//! The log data plane, as Alloy's `loki.*` components pass logs between them: an [`Entry`] is a line with
//! its labels, timestamp and structured metadata; a [`LogsReceiver`] is what a `forward_to` list holds; a
//! component hands entries to its receivers with [`fan_out`].
//!
//! Invariants:
//! - Appending never blocks on the network or the disk: a receiver takes the entries (into memory it
//!   bounds, or its WAL's queue) or refuses them at once.
//! - A refusal is either [`AppendError::Full`] (take them again later: the sender keeps its place, a file
//!   its offset, so nothing is lost) or [`AppendError::Refused`] (they will never be taken: the sender counts
//!   them as dropped, with the reason). A sender never drops entries a receiver said `Full` to.

pub mod entry;
pub mod receiver;

pub use entry::Entry;
pub use receiver::{fan_out, AppendError, LogsAppender, LogsReceiver};
