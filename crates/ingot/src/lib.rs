//! The `ingot` binary's library part: the one explicit registry of every component type and config block,
//! and the config blocks the binary itself applies. The binary and the end-to-end tests share it.

pub mod build_info;
pub mod config_blocks;
pub mod registry;
