//! The log data plane, as Alloy's `loki.*` components pass logs between them: an [`Entry`] is a line with
//! its labels, timestamp and structured metadata; a [`LogsReceiver`] is what a `forward_to` list holds; a
//! component hands entries to its receivers with [`fan_out`], or through a [`Fanout`] when it passes on
//! what others sent it.
//!
//! Invariants:
//! - Appending never blocks on the network or the disk: a receiver takes the entries (into memory it
//!   bounds, or its WAL's queue) or refuses them at once.
//! - A refusal is either [`AppendError::Full`] (take them again later: the sender keeps its place, a file
//!   its offset, so nothing is lost) or [`AppendError::Refused`] (they will never be taken: the sender counts
//!   them as dropped, with the reason). A sender never drops entries a receiver said `Full` to.
//! - A sender that wants to know when entries are safe hands a [`receipt::Token`] with them; it completes
//!   once every receiver has stored them (on disk for `loki.write`).
//! - [`LineForwarder`] sends text lines (the agent's own log) as entries without ever making the writer
//!   wait: past its bound lines are dropped and counted.

pub mod entry;
pub mod fanout;
pub mod lines;
pub mod receipt;
pub mod receiver;

pub use entry::Entry;
pub use fanout::Fanout;
pub use lines::LineForwarder;
pub use receipt::{receipt, Receipt, Token};
pub use receiver::{fan_out, AppendError, LogsAppender, LogsReceiver};
