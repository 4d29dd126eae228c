//! Basic authentication from the `http > auth` block, in front of every route. The block is read from the
//! applied configuration for each request, so a reload turns authentication on, off or to new credentials
//! at once.

use std::borrow::Cow;

use crate::http_block::{BasicAuth, HttpConfig};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use subtle::ConstantTimeEq;

use crate::ServerState;

pub async fn authenticate(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    let allowed = {
        let http = state.controller.config_blocks().get::<HttpConfig>();
        match &http.auth {
            None => true,
            Some(auth) => {
                // Alloy filters on Go's decoded `URL.Path`; so does ingot, or `%2E`-style spelling would slip
                // past a filter while reaching the same handler.
                let path = percent_decode(request.uri().path());
                match auth.required_for(&path) {
                    None => true,
                    Some(basic) => credentials_match(request.headers(), basic),
                }
            }
        }
    };
    if allowed {
        return next.run(request).await;
    }
    tracing::info!(
        path = request.uri().path(),
        "failed to authenticate request"
    );
    (
        StatusCode::UNAUTHORIZED,
        [(WWW_AUTHENTICATE, "Basic realm=\"Restricted\"")],
    )
        .into_response()
}

/// Compares SHA-256 digests of both sides in constant time, as Alloy does, so that neither the
/// credentials' content nor their length shows in the response time.
fn credentials_match(headers: &HeaderMap, expected: &BasicAuth) -> bool {
    let Some((user, pass)) = basic_credentials(headers) else {
        return false;
    };
    let user_ok = sha256(&user).ct_eq(&sha256(expected.username.as_bytes()));
    let pass_ok = sha256(&pass).ct_eq(&sha256(expected.password.expose().as_bytes()));
    (user_ok & pass_ok).into()
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Go's `Request.BasicAuth`: a case-insensitive `Basic ` scheme, standard base64, split at the first colon.
fn basic_credentials(headers: &HeaderMap) -> Option<(Vec<u8>, Vec<u8>)> {
    let value = headers.get(AUTHORIZATION)?.as_bytes();
    let (scheme, encoded) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"basic ") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    Some((decoded[..colon].to_vec(), decoded[colon + 1..].to_vec()))
}

fn percent_decode(path: &str) -> Cow<'_, str> {
    if !path.contains('%') {
        return Cow::Borrowed(path);
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn decodes_percent_escapes_and_keeps_broken_ones() {
        assert_eq!(percent_decode("/metrics"), "/metrics");
        assert_eq!(percent_decode("/%6detrics"), "/metrics");
        assert_eq!(percent_decode("/a%2"), "/a%2");
        assert_eq!(percent_decode("/a%zz%41"), "/a%zzA");
    }

    #[test]
    fn parses_basic_credentials_like_go() {
        let mut headers = HeaderMap::new();
        // "user:pa:ss" — the password may contain colons.
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_static("bAsIc dXNlcjpwYTpzcw=="),
        );
        assert_eq!(
            basic_credentials(&headers),
            Some((b"user".to_vec(), b"pa:ss".to_vec()))
        );
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Bearer dXNlcjpwYTpzcw=="),
        );
        assert_eq!(basic_credentials(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(basic_credentials(&headers), None);
    }
}
