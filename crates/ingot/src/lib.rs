//! The `ingot` binary's library part: the one explicit registry of every component type, which the binary
//! and the end-to-end tests share.

pub mod registry;
