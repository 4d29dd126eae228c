//! Alloy's runtime: configuration sources, the component graph, evaluation, health and reload.

pub mod graph;
pub mod source;
pub mod validate;
