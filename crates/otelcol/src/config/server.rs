//! The receivers' `grpc` and `http` server blocks (Alloy's `GRPCServerArguments` and
//! `HTTPServerArguments`, with `otelcol.receiver.otlp`'s defaults).

use std::time::Duration;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use super::tls::TlsServer;
use super::{base2_bytes, no_effect, Warnings};
use crate::auth::Handler;

/// grpc-go's default largest message a server takes (what the collector uses when `max_recv_msg_size` is
/// unset).
pub const DEFAULT_GRPC_MAX_RECV: u64 = 4 << 20;
/// The collector's default `max_request_body_size`.
pub const DEFAULT_HTTP_MAX_BODY: u64 = 20 << 20;

/// Alloy's `DefaultCompressionAlgorithms`.
pub const DEFAULT_COMPRESSION_ALGORITHMS: [&str; 7] =
    ["", "gzip", "zstd", "zlib", "snappy", "deflate", "lz4"];

#[derive(Clone, Debug, PartialEq)]
pub struct GrpcServer {
    pub endpoint: String,
    pub tls: Option<TlsServer>,
    pub max_recv_msg_size: u64,
    pub max_concurrent_streams: u32,
    pub keepalive_time: Option<Duration>,
    pub keepalive_timeout: Option<Duration>,
    pub auth: Option<Handler>,
    pub warnings: Warnings,
}

struct Keepalive {
    time: Option<Duration>,
    timeout: Option<Duration>,
    warnings: Warnings,
}

struct KeepaliveParams(Keepalive);

impl Decode for KeepaliveParams {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let p = "grpc.keepalive.server_parameters.";
        for name in [
            "max_connection_idle",
            "max_connection_age",
            "max_connection_age_grace",
        ] {
            no_effect::<Duration>(
                d,
                name,
                p,
                "ingot's gRPC server (tonic) does not close connections by age or idleness",
                &mut warnings,
            )?;
        }
        let time = d.optional::<Duration>("time")?.filter(|t| !t.is_zero());
        let timeout = d.optional::<Duration>("timeout")?.filter(|t| !t.is_zero());
        Ok(KeepaliveParams(Keepalive {
            time,
            timeout,
            warnings,
        }))
    }
}

struct Enforcement(Warnings);

impl Decode for Enforcement {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let p = "grpc.keepalive.enforcement_policy.";
        no_effect::<Duration>(
            d,
            "min_time",
            p,
            "ingot's gRPC server (tonic) does not police client pings",
            &mut warnings,
        )?;
        no_effect::<bool>(
            d,
            "permit_without_stream",
            p,
            "ingot's gRPC server (tonic) does not police client pings",
            &mut warnings,
        )?;
        Ok(Enforcement(warnings))
    }
}

impl Decode for Keepalive {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut k = d
            .block::<KeepaliveParams>("server_parameters")?
            .map(|p| p.0)
            .unwrap_or(Keepalive {
                time: None,
                timeout: None,
                warnings: Vec::new(),
            });
        if let Some(e) = d.block::<Enforcement>("enforcement_policy")? {
            k.warnings.extend(e.0);
        }
        Ok(k)
    }
}

impl Decode for GrpcServer {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let endpoint = d.optional_or("endpoint", "0.0.0.0:4317".to_string())?;
        let transport: String = d.optional_or("transport", "tcp".to_string())?;
        if transport != "tcp" {
            return Err(d.error_at_attr(
                "transport",
                format!(
                    "transport {transport:?} is not supported by ingot's gRPC server: only \"tcp\""
                ),
            ));
        }
        let tls: Option<TlsServer> = d.block("tls")?;
        if let Some(t) = &tls {
            warnings.extend(t.warnings.iter().map(|w| format!("grpc.{w}")));
        }
        let max_recv_msg_size = base2_bytes(d, "max_recv_msg_size")?
            .filter(|&n| n > 0)
            .unwrap_or(DEFAULT_GRPC_MAX_RECV);
        let max_concurrent_streams: u32 = d.optional_or("max_concurrent_streams", 0)?;
        for name in ["read_buffer_size", "write_buffer_size"] {
            if base2_bytes(d, name)?.is_some() {
                warnings.push(format!(
                    "grpc.{name} has no effect: ingot's gRPC server sizes its buffers itself"
                ));
            }
        }
        let keepalive: Option<Keepalive> = d.block("keepalive")?;
        let (keepalive_time, keepalive_timeout) = match keepalive {
            Some(k) => {
                warnings.extend(k.warnings);
                (k.time, k.timeout)
            }
            None => (None, None),
        };
        let auth: Option<Handler> = d.optional("auth")?;
        if let Some(h) = &auth {
            if !h.supports_server() {
                return Err(d.error_at_attr(
                    "auth",
                    format!(
                        "{} does not support server authentication",
                        h.component_id()
                    ),
                ));
            }
        }
        if d.optional_or("include_metadata", false)? {
            warnings.push("grpc.include_metadata has no effect: ingot does not pass request metadata down the pipeline (the batch processor's metadata_keys are refused)".into());
        }
        Ok(GrpcServer {
            endpoint,
            tls,
            max_recv_msg_size,
            max_concurrent_streams,
            keepalive_time,
            keepalive_timeout,
            auth,
            warnings,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Cors {
    pub allowed_origins: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub max_age: i64,
}

impl Decode for Cors {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Cors {
            allowed_origins: d.optional_or("allowed_origins", Vec::new())?,
            allowed_headers: d.optional_or("allowed_headers", Vec::new())?,
            max_age: d.optional_or("max_age", 0)?,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct HttpServer {
    pub endpoint: String,
    pub tls: Option<TlsServer>,
    pub cors: Cors,
    pub auth: Option<Handler>,
    pub max_request_body_size: u64,
    pub compression_algorithms: Vec<String>,
    pub limits: ingot_http::Limits,
    pub traces_url_path: String,
    pub metrics_url_path: String,
    pub logs_url_path: String,
    pub warnings: Warnings,
}

impl Decode for HttpServer {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let endpoint = d.optional_or("endpoint", "0.0.0.0:4318".to_string())?;
        let tls: Option<TlsServer> = d.block("tls")?;
        if let Some(t) = &tls {
            warnings.extend(t.warnings.iter().map(|w| format!("http.{w}")));
        }
        let cors = d.block("cors")?.unwrap_or_default();
        let auth: Option<Handler> = d.optional("auth")?;
        if let Some(h) = &auth {
            if !h.supports_server() {
                return Err(d.error_at_attr(
                    "auth",
                    format!(
                        "{} does not support server authentication",
                        h.component_id()
                    ),
                ));
            }
        }
        let max_request_body_size = base2_bytes(d, "max_request_body_size")?
            .filter(|&n| n > 0)
            .unwrap_or(DEFAULT_HTTP_MAX_BODY);
        if d.optional_or("include_metadata", false)? {
            warnings.push("http.include_metadata has no effect: ingot does not pass request metadata down the pipeline (the batch processor's metadata_keys are refused)".into());
        }
        let compression_algorithms: Vec<String> = d.optional_or(
            "compression_algorithms",
            DEFAULT_COMPRESSION_ALGORITHMS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        )?;
        for a in &compression_algorithms {
            if !DEFAULT_COMPRESSION_ALGORITHMS.contains(&a.as_str()) && a != "x-snappy-framed" {
                return Err(d.error_at_attr(
                    "compression_algorithms",
                    format!("unsupported compression algorithm {a:?}"),
                ));
            }
        }
        if d.optional::<bool>("keep_alives_enabled")? == Some(false) {
            warnings.push("http.keep_alives_enabled = false has no effect: ingot keeps connections alive up to idle_timeout".into());
        }
        let timeout = |d: &mut BodyDecoder<'_, '_>, name: &str, default: Duration| {
            d.optional_or(name, default)
                .map(|t: Duration| (!t.is_zero()).then_some(t))
        };
        let idle_timeout = timeout(d, "idle_timeout", Duration::from_secs(60))?;
        let read_timeout = timeout(d, "read_timeout", Duration::ZERO)?;
        let write_timeout = timeout(d, "write_timeout", Duration::from_secs(30))?;
        let read_header_timeout = timeout(d, "read_header_timeout", Duration::from_secs(60))?;
        let path =
            |d: &mut BodyDecoder<'_, '_>, name: &str, default: &str| -> Result<String, Failed> {
                let p: String = d.optional_or(name, default.to_string())?;
                if p.is_empty() {
                    return Err(d.error_at_attr(name, format!("{name} cannot be empty")));
                }
                // The collector's SanitizedURLPath: a path that does not start with "/" gets one.
                Ok(if p.starts_with('/') {
                    p
                } else {
                    format!("/{p}")
                })
            };
        Ok(HttpServer {
            endpoint,
            tls,
            cors,
            auth,
            max_request_body_size,
            compression_algorithms,
            limits: ingot_http::Limits {
                conn_limit: 0,
                // Go's ReadTimeout covers headers and body; ReadHeaderTimeout the headers alone: ingot's
                // server has one read limit, the tighter of the two that are set.
                read_timeout: match (read_timeout, read_header_timeout) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                },
                write_timeout,
                idle_timeout,
            },
            traces_url_path: path(d, "traces_url_path", "/v1/traces")?,
            metrics_url_path: path(d, "metrics_url_path", "/v1/metrics")?,
            logs_url_path: path(d, "logs_url_path", "/v1/logs")?,
            warnings,
        })
    }
}
