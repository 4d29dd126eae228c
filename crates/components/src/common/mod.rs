//! Blocks and values shared by several components (Alloy's `internal/component/common`).
pub mod http_client;
pub mod relabel;
