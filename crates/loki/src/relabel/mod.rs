//! `loki.relabel`: rewrites (or drops) each entry's labels with `rule` blocks, through a cache of results by
//! label set, and forwards what is kept; exports its `receiver` and its `rules`.

pub mod args;
pub mod component;

pub use args::Arguments;
pub use component::{Component, NAME};
