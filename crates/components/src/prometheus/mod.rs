//! Components in Alloy's `prometheus.*` namespace.
pub mod exporter;
pub mod receiver;
