//! `loki.echo`: writes every entry it receives to ingot's own log, as Alloy does; exports its `receiver`.

pub mod component;

pub use component::{Arguments, Component, NAME};
