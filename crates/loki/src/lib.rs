//! Components in Alloy's `loki.*` namespace, one folder per component spelled like it: `loki.source.file`
//! is `src/source/file/`, `loki.write` is `src/write/`. They pass [`ingot_logs::Entry`]s to each other
//! through `forward_to` lists of [`ingot_common::receiver::LogsReceiver`]s.

pub mod source;
pub mod test_hooks;
