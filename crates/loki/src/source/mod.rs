//! `loki.source.*` components: `api/` (Loki's push API in), `file/` (files named by targets, tailed),
//! `journal/` (the systemd journal, read with `ingot-journal`).

pub mod api;
pub mod file;
pub mod journal;
