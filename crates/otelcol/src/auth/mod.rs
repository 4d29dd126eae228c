//! `otelcol.auth.*`: components that export a `handler` (Alloy's `auth.Handler` capsule) which exporters
//! reference in `client { auth = ... }` (credentials added to every request) and receivers in
//! `grpc { auth = ... }` / `http { auth = ... }` (requests checked before they are read).
//!
//! A handler reads its component's current arguments at each use, so an update of the auth component
//! (a new token) reaches its users without rebuilding them. Secrets stay inside: `Debug` names the
//! component only, and refusals never quote a credential.

pub mod basic;
pub mod bearer;
pub mod headers;

use std::fmt;
use std::sync::Arc;

use ingot_syntax::capsule_type;

/// What an auth component does for its users.
pub trait Authenticator: Send + Sync {
    /// The headers to add to an outgoing request. Only called when the handler supports clients.
    fn client_headers(&self) -> Result<Vec<(String, String)>, String>;

    /// Checks an incoming request's headers: `Err` with a message for the client (no secret in it).
    /// Only called when the handler supports servers.
    fn check(&self, headers: &http::HeaderMap) -> Result<(), String>;

    /// Header rules applied to the request's headers after `client_headers` (`otelcol.auth.headers`).
    fn rules(&self) -> Vec<headers::HeaderRule> {
        Vec::new()
    }
}

/// Alloy's `auth.Handler`: the `handler` export of `otelcol.auth.*` components.
#[derive(Clone)]
pub struct Handler {
    component_id: Arc<str>,
    client: bool,
    server: bool,
    inner: Arc<dyn Authenticator>,
}

impl Handler {
    pub fn new(
        component_id: &str,
        client: bool,
        server: bool,
        inner: Arc<dyn Authenticator>,
    ) -> Handler {
        Handler {
            component_id: component_id.into(),
            client,
            server,
            inner,
        }
    }

    pub fn component_id(&self) -> &str {
        &self.component_id
    }

    pub fn supports_client(&self) -> bool {
        self.client
    }

    pub fn supports_server(&self) -> bool {
        self.server
    }

    pub fn client_headers(&self) -> Result<Vec<(String, String)>, String> {
        self.inner
            .client_headers()
            .map_err(|e| format!("{}: {e}", self.component_id))
    }

    pub fn check(&self, headers: &http::HeaderMap) -> Result<(), String> {
        self.inner.check(headers)
    }

    /// Adds this handler's credentials to an outgoing request's headers.
    pub fn apply(&self, headers: &mut Vec<(String, String)>) -> Result<(), String> {
        for (k, v) in self.client_headers()? {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&k));
            headers.push((k, v));
        }
        headers::component::apply(&self.inner.rules(), headers);
        Ok(())
    }
}

impl PartialEq for Handler {
    fn eq(&self, other: &Handler) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Debug for Handler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "auth.Handler({})", self.component_id)
    }
}

capsule_type!(Handler, "auth.Handler");

/// Compares two byte strings in time that depends on their lengths only.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
