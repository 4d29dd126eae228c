//! `loki.source.*` components: `api/` (Loki's push API in), `file/` (files named by targets, tailed).

pub mod api;
pub mod file;
