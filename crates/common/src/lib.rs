//! What components of several namespaces share (Alloy's `internal/component/common`): the HTTP client
//! blocks, the relabel `rule` block, the receiver capsules that `forward_to` lists hold (and
//! `otelcol.Consumer`), the `targets` value that discovery components and exporters export, and byte
//! sizes (`units`).

pub mod http_client;
pub mod receiver;
pub mod relabel;
pub mod server_block;
pub mod targets;
pub mod units;
