//! `otelcol.auth.basic`: HTTP Basic authentication. Clients send `client_auth`'s (or the deprecated
//! top-level) username and password; servers check requests against `htpasswd` entries (and the
//! deprecated `username`/`password` pair).

pub mod component;

pub use component::{Arguments, Component, NAME};
