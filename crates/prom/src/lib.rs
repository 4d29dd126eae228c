//! Prometheus data model: labels, samples, exposition text parsing and encoding.
pub mod exposition;
pub mod labels;
pub mod metric_type;
pub mod relabel;
pub mod remote_write;
pub mod sample;
pub mod scrape;
mod slots;
pub mod text_parse;

pub use metric_type::MetricType;
