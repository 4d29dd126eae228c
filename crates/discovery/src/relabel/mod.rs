//! `discovery.relabel`: applies `rule` blocks to every target and exports the kept ones as `output`,
//! and the rules as `rules`.

mod args;
mod component;

pub use args::Arguments;
pub use component::{relabel_targets, Component, NAME};
