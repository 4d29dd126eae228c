//! OTLP/HTTP: `POST` to the traces, metrics and logs paths with a protobuf or JSON body, compressed or
//! not; CORS for browsers when `cors.allowed_origins` is set; `auth` checked before the body is read.

use std::future::Future;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use ingot_otlp::Signal;
use tokio_util::sync::CancellationToken;

use super::component::{ForwardError, Shared};
use super::decode::{decode, decompress, status_body, success_body, Format, Rejection};
use crate::config::server::{Cors, HttpServer};

/// Bodies decoded on the reactor up to this size; larger ones on a blocking thread.
const INLINE_DECODE: usize = 256 << 10;

/// The server future for a bound listener.
pub fn serve(
    shared: Arc<Shared>,
    config: &HttpServer,
    listener: std::net::TcpListener,
    stop: CancellationToken,
) -> Result<impl Future<Output = ()> + Send + 'static, String> {
    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
    let app = Router::new().fallback(handle).with_state(shared);
    let limits = config.limits;
    let tls = match &config.tls {
        Some(t) => Some(crate::tls_server::acceptor(t)?),
        None => None,
    };
    Ok(async move {
        match tls {
            Some(acceptor) => {
                ingot_http::serve(
                    crate::tls_server::TlsListener::new(listener, acceptor),
                    app,
                    limits,
                    stop,
                )
                .await
            }
            None => ingot_http::serve(listener, app, limits, stop).await,
        }
    })
}

fn reply(
    format: Format,
    status: u16,
    body: Vec<u8>,
    extra: &[(header::HeaderName, HeaderValue)],
) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = (code, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    for (k, v) in extra {
        r.headers_mut().insert(k.clone(), v.clone());
    }
    r
}

fn error(
    format: Format,
    status: u16,
    msg: &str,
    cors: &[(header::HeaderName, HeaderValue)],
) -> Response {
    let mut extra = cors.to_vec();
    if status == 503 || status == 429 {
        extra.push((header::RETRY_AFTER, HeaderValue::from_static("1")));
    }
    reply(format, status, status_body(format, status, msg), &extra)
}

/// Whether `origin` matches an allowed origin (`*`, an exact origin, or one `*` wildcard as rs/cors
/// allows: `https://*.example.com`).
fn origin_allowed(cors: &Cors, origin: &str) -> bool {
    cors.allowed_origins.iter().any(|o| {
        if o == "*" {
            return true;
        }
        match o.split_once('*') {
            Some((pre, post)) => {
                origin.len() >= pre.len() + post.len()
                    && origin.starts_with(pre)
                    && origin.ends_with(post)
            }
            None => o.eq_ignore_ascii_case(origin),
        }
    })
}

fn cors_headers(cors: &Cors, headers: &HeaderMap) -> Vec<(header::HeaderName, HeaderValue)> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Vec::new();
    };
    if cors.allowed_origins.is_empty() || !origin_allowed(cors, origin) {
        return Vec::new();
    }
    let mut out = vec![(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_str(origin).unwrap_or(HeaderValue::from_static("*")),
    )];
    out.push((header::VARY, HeaderValue::from_static("Origin")));
    out
}

fn preflight(cors: &Cors, headers: &HeaderMap) -> Response {
    let mut extra = cors_headers(cors, headers);
    if extra.is_empty() {
        return StatusCode::NO_CONTENT.into_response();
    }
    extra.push((
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST"),
    ));
    if let Some(requested) = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|v| v.to_str().ok())
    {
        // The headers OTLP clients send, and those configured (`*` allows any).
        let default = [
            "content-type",
            "content-encoding",
            "x-requested-with",
            "accept",
            "accept-encoding",
            "origin",
        ];
        let allowed: Vec<&str> = requested
            .split(',')
            .map(str::trim)
            .filter(|h| {
                !h.is_empty()
                    && (default.contains(&h.to_ascii_lowercase().as_str())
                        || cors
                            .allowed_headers
                            .iter()
                            .any(|a| a == "*" || a.eq_ignore_ascii_case(h)))
            })
            .collect();
        if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
            extra.push((header::ACCESS_CONTROL_ALLOW_HEADERS, v));
        }
    }
    if cors.max_age > 0 {
        if let Ok(v) = HeaderValue::from_str(&cors.max_age.to_string()) {
            extra.push((header::ACCESS_CONTROL_MAX_AGE, v));
        }
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    for (k, v) in extra {
        r.headers_mut().insert(k, v);
    }
    r
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(config) = shared
        .http_config
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = uri.path();
    let signal = if path == config.traces_url_path {
        Signal::Traces
    } else if path == config.metrics_url_path {
        Signal::Metrics
    } else if path == config.logs_url_path {
        Signal::Logs
    } else {
        return (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    };
    if method == Method::OPTIONS {
        return preflight(&config.cors, &headers);
    }
    let cors = cors_headers(&config.cors, &headers);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = Format::of(content_type);
    if method != Method::POST {
        let f = format.unwrap_or(Format::Json);
        let mut r = error(
            f,
            405,
            &format!("{method} method not allowed, supported: [POST]"),
            &cors,
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let Some(format) = format else {
        return error(
            Format::Json,
            415,
            &format!(
                "{content_type:?} is not supported: use application/x-protobuf or application/json"
            ),
            &cors,
        );
    };
    if let Some(auth) = &config.auth {
        if let Err(e) = auth.check(&headers) {
            return error(format, 401, &e, &cors);
        }
    }
    let max = config.max_request_body_size;
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > max {
            return error(format, 413, &format!("the request body of {len} bytes is larger than the limit of {max} bytes (max_request_body_size)"), &cors);
        }
    }
    let bytes = match axum::body::to_bytes(body, usize::try_from(max).unwrap_or(usize::MAX)).await {
        Ok(b) => b,
        Err(e) => {
            let too_large = std::error::Error::source(&e)
                .map(|s| s.to_string().contains("length limit"))
                .unwrap_or(false)
                || e.to_string().contains("length limit");
            return if too_large {
                error(format, 413, &format!("the request body is larger than the limit of {max} bytes (max_request_body_size)"), &cors)
            } else {
                error(
                    format,
                    400,
                    &format!("reading the request body: {e}"),
                    &cors,
                )
            };
        }
    };
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let inline = bytes.len() <= INLINE_DECODE;
    let work = {
        let config = config.clone();
        move || -> Result<ingot_otlp::Data, Rejection> {
            let raw = decompress(&encoding, &config.compression_algorithms, &bytes, max)?;
            decode(signal, format, &raw)
        }
    };
    let decoded = if inline {
        work()
    } else {
        match tokio::task::spawn_blocking(work).await {
            Ok(r) => r,
            Err(e) => Err(Rejection::new(500, format!("decoding failed: {e}"))),
        }
    };
    let data = match decoded {
        Ok(d) => d,
        Err(r) => {
            tracing::debug!(component = %shared.id, status = r.status, "refused an OTLP/HTTP request: {}", r.message);
            return error(format, r.status, &r.message, &cors);
        }
    };
    match shared.forward(data, &shared.http_counts).await {
        Ok(()) => reply(format, 200, success_body(format), &cors),
        Err(ForwardError::Retry(why)) => error(format, 503, &why, &cors),
        Err(ForwardError::Permanent(why)) => error(format, 400, &why, &cors),
    }
}
