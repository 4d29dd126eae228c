//! `otelcol.auth.bearer`: a bearer token. Clients send `<header>: <scheme> <token>`; servers accept a
//! request whose header carries that value.

pub mod component;

pub use component::{Arguments, Component, NAME};
