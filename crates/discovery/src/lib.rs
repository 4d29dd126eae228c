//! Components in Alloy's `discovery.*` namespace: they export `targets`, lists of label maps. One folder per
//! component, spelled like it: `discovery.file` is `src/file/`.

pub mod file;
pub mod relabel;
