//! `otelcol.storage.*`: where exporters keep their persistent sending queues.

pub mod file;
