//! `loki.source.*` components.

pub mod file;
