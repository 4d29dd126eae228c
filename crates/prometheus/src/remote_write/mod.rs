//! `prometheus.remote_write`: a WAL-backed Remote Write sender (see `component.rs` for the data flow).

pub mod args;
pub mod codec;
pub mod component;
pub mod metrics;
pub mod queue;
pub mod series;

pub use component::{Component, NAME};
