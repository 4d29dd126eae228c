//! `prometheus.receive_http`: Alloy's Remote Write receiver (`POST /api/v1/metrics/write`), forwarding what
//! it receives to `forward_to`, with ingot's `liveness` block: `up` for the hosts that push through it
//! (see [`liveness`] and docs/push-liveness.md).

pub mod args;
pub mod component;
pub mod decode;
pub mod liveness;

pub use args::Arguments;
pub use component::{Component, NAME};
