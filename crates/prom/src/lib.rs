//! Prometheus data model: labels, samples, exposition text parsing and encoding.
pub mod exposition;
pub mod labels;
pub mod sample;
pub mod text_parse;
