//! `loki.source.api`: Loki's push API served over HTTP (`/loki/api/v1/push` with protobuf+snappy or JSON,
//! `/loki/api/v1/raw` with one entry per line, `/ready`), the entries labelled, relabelled and forwarded.
//! A push is answered 204 only once every receiver has stored its entries.

pub mod args;
pub mod component;
pub mod labels;
pub mod request;

pub use args::Arguments;
pub use component::{Component, NAME};
