//! Components in Alloy's `local.*` namespace (`local.file_match` is `src/file_match/`): what lives on the
//! host itself.

pub mod file_match;
