//! `loki.source.*` components: `api/` (Loki's push API in).

pub mod api;
