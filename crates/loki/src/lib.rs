//! Components in Alloy's `loki.*` namespace, one folder per component spelled like it: `loki.source.file`
//! is `src/source/file/`, `loki.write` is `src/write/`. They pass [`ingot_logs::Entry`]s to each other
//! through `forward_to` lists of [`ingot_common::receiver::LogsReceiver`]s. `push` is Loki's push message,
//! which `loki.write` sends and `loki.source.api` receives.

pub mod echo;
pub mod livedebug;
pub mod process;
pub mod push;
pub mod relabel;
pub mod source;
pub mod test_hooks;
pub mod write;
