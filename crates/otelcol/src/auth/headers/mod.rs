//! `otelcol.auth.headers`: headers that exporters add to (or remove from) every request. Client side
//! only, as in Alloy.

pub mod component;

pub use component::{Action, Arguments, Component, HeaderRule, NAME};
