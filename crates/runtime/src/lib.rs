//! Alloy's runtime: configuration sources, the component graph, evaluation, health and reload.

pub mod component;
pub mod config_block;
pub mod controller;
pub mod eval;
pub mod exports;
pub mod graph;
pub mod health;
pub mod livedebugging;
pub mod metrics;
pub mod single_flight;
pub mod source;
pub mod validate;
