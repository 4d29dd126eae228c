//! The exporters' `client` blocks (Alloy's `GRPCClientArguments` and `HTTPClientArguments`, with the
//! exporters' defaults).

use std::collections::BTreeMap;
use std::time::Duration;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use super::tls::TlsClient;
use super::{base2_bytes, no_effect, Warnings};
use crate::auth::Handler;

/// How request bodies are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Zlib,
    Deflate,
    Snappy,
}

impl Compression {
    fn parse(s: &str) -> Option<Compression> {
        Some(match s {
            "" | "none" => Compression::None,
            "gzip" => Compression::Gzip,
            "zstd" => Compression::Zstd,
            "zlib" => Compression::Zlib,
            "deflate" => Compression::Deflate,
            "snappy" => Compression::Snappy,
            _ => return None,
        })
    }

    /// The `Content-Encoding` value.
    pub fn encoding(self) -> Option<&'static str> {
        match self {
            Compression::None => None,
            Compression::Gzip => Some("gzip"),
            Compression::Zstd => Some("zstd"),
            Compression::Zlib => Some("zlib"),
            Compression::Deflate => Some("deflate"),
            Compression::Snappy => Some("snappy"),
        }
    }

    /// Compresses `body` (at `level` where the codec takes one).
    pub fn compress(self, body: &[u8], level: Option<i32>) -> Vec<u8> {
        use std::io::Write;
        match self {
            Compression::None => body.to_vec(),
            Compression::Gzip => {
                let lvl = level.map_or(flate2::Compression::default(), |l| {
                    flate2::Compression::new(l.clamp(0, 9) as u32)
                });
                let mut e = flate2::write::GzEncoder::new(Vec::new(), lvl);
                let _ = e.write_all(body);
                e.finish().unwrap_or_default()
            }
            Compression::Zlib | Compression::Deflate => {
                let lvl = level.map_or(flate2::Compression::default(), |l| {
                    flate2::Compression::new(l.clamp(0, 9) as u32)
                });
                let mut e = flate2::write::ZlibEncoder::new(Vec::new(), lvl);
                let _ = e.write_all(body);
                e.finish().unwrap_or_default()
            }
            Compression::Zstd => zstd::bulk::compress(body, level.unwrap_or(1)).unwrap_or_default(),
            Compression::Snappy => snap::raw::Encoder::new()
                .compress_vec(body)
                .unwrap_or_default(),
        }
    }
}

fn compression(d: &mut BodyDecoder<'_, '_>) -> Result<Compression, Failed> {
    let s: String = d.optional_or("compression", "gzip".to_string())?;
    Compression::parse(&s).ok_or_else(|| {
        d.error_at_attr(
            "compression",
            format!("unrecognized compression type {s:?}"),
        )
    })
}

fn headers(d: &mut BodyDecoder<'_, '_>) -> Result<Vec<(String, String)>, Failed> {
    let h: BTreeMap<String, String> = d.optional_or("headers", BTreeMap::new())?;
    for k in h.keys() {
        if http::HeaderName::from_bytes(k.as_bytes()).is_err() {
            return Err(d.error_at_attr("headers", format!("invalid header name {k:?}")));
        }
    }
    Ok(h.into_iter().collect())
}

fn client_auth(d: &mut BodyDecoder<'_, '_>) -> Result<Option<Handler>, Failed> {
    let auth: Option<Handler> = d.optional("auth")?;
    if let Some(h) = &auth {
        if !h.supports_client() {
            return Err(d.error_at_attr(
                "auth",
                format!(
                    "{} does not support client authentication",
                    h.component_id()
                ),
            ));
        }
    }
    Ok(auth)
}

/// `otelcol.exporter.otlp`'s `client` block.
#[derive(Clone, Debug, PartialEq)]
pub struct GrpcClient {
    pub endpoint: String,
    pub compression: Compression,
    pub tls: TlsClient,
    pub headers: Vec<(String, String)>,
    pub authority: String,
    pub auth: Option<Handler>,
    pub keepalive: Option<(Duration, Duration, bool)>,
    pub warnings: Warnings,
}

struct ClientKeepalive(Duration, Duration, bool);

impl Decode for ClientKeepalive {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(ClientKeepalive(
            d.optional_or("ping_wait", Duration::ZERO)?,
            d.optional_or("ping_response_timeout", Duration::ZERO)?,
            d.optional_or("ping_without_stream", false)?,
        ))
    }
}

impl Decode for GrpcClient {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let endpoint: String = d.required("endpoint")?;
        let compression = compression(d)?;
        if !matches!(
            compression,
            Compression::None | Compression::Gzip | Compression::Zstd
        ) {
            return Err(d.error_at_attr("compression", "ingot's gRPC client compresses with gzip or zstd only: use compression = \"gzip\", \"zstd\" or \"none\""));
        }
        let tls: TlsClient = d.block("tls")?.unwrap_or_default();
        warnings.extend(tls.warnings.iter().map(|w| format!("client.{w}")));
        if !tls.insecure && tls.insecure_skip_verify {
            return Err(d.error("client.tls.insecure_skip_verify is not supported by ingot's gRPC client: give the server's CA in ca_file or ca_pem, or use otelcol.exporter.otlphttp"));
        }
        let keepalive = d
            .block::<ClientKeepalive>("keepalive")?
            .map(|k| (k.0, k.1, k.2));
        for name in ["read_buffer_size", "write_buffer_size"] {
            if base2_bytes(d, name)?.is_some() {
                warnings.push(format!(
                    "client.{name} has no effect: ingot's gRPC client sizes its buffers itself"
                ));
            }
        }
        if d.optional_or("wait_for_ready", false)? {
            warnings.push("client.wait_for_ready has no effect: ingot's exporter queues and retries while the endpoint is unreachable".into());
        }
        let headers = headers(d)?;
        let balancer: String = d.optional_or("balancer_name", "round_robin".to_string())?;
        if !["round_robin", "pick_first", ""].contains(&balancer.as_str()) {
            return Err(d.error_at_attr(
                "balancer_name",
                format!(
                    "unsupported balancer_name {balancer:?}: expected round_robin or pick_first"
                ),
            ));
        }
        if balancer == "round_robin" && d.has("balancer_name") {
            warnings.push("client.balancer_name = \"round_robin\" has no effect: ingot connects to the first address the endpoint resolves to".into());
        }
        let authority = d.optional_or("authority", String::new())?;
        let auth = client_auth(d)?;
        Ok(GrpcClient {
            endpoint,
            compression,
            tls,
            headers,
            authority,
            auth,
            keepalive,
            warnings,
        })
    }
}

/// `otelcol.exporter.otlphttp`'s `client` block.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpClient {
    pub endpoint: String,
    pub proxy_url: String,
    pub compression: Compression,
    pub compression_level: Option<i32>,
    pub tls: TlsClient,
    pub timeout: Duration,
    pub headers: Vec<(String, String)>,
    pub auth: Option<Handler>,
    pub warnings: Warnings,
}

struct CompressionParams(i32);

impl Decode for CompressionParams {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(CompressionParams(d.required("level")?))
    }
}

struct Cookies(bool);

impl Decode for Cookies {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Cookies(d.optional_or("enabled", false)?))
    }
}

impl Decode for HttpClient {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let endpoint: String = d.optional_or("endpoint", String::new())?;
        let proxy_url = d.optional_or("proxy_url", String::new())?;
        let compression = compression(d)?;
        let compression_level = d
            .block::<CompressionParams>("compression_params")?
            .map(|c| c.0);
        let tls: TlsClient = d.block("tls")?.unwrap_or_default();
        warnings.extend(tls.warnings.iter().map(|w| format!("client.{w}")));
        if tls.insecure {
            warnings.push("client.tls.insecure has no effect on HTTP: the endpoint's scheme (http:// or https://) decides whether TLS is used".into());
        }
        for name in ["read_buffer_size", "write_buffer_size"] {
            if base2_bytes(d, name)?.is_some() && d.has(name) {
                warnings.push(format!(
                    "client.{name} has no effect: ingot's HTTP client sizes its buffers itself"
                ));
            }
        }
        let timeout = d.optional_or("timeout", Duration::from_secs(30))?;
        let headers = headers(d)?;
        let p = "client.";
        let why =
            "ingot's HTTP client keeps one pool of connections per endpoint, idle for up to 90s";
        no_effect::<i64>(d, "max_idle_conns", p, why, &mut warnings)?;
        no_effect::<i64>(d, "max_idle_conns_per_host", p, why, &mut warnings)?;
        no_effect::<i64>(d, "max_conns_per_host", p, why, &mut warnings)?;
        no_effect::<Duration>(d, "idle_conn_timeout", p, why, &mut warnings)?;
        if d.optional_or("disable_keep_alives", false)? {
            warnings.push(format!("client.disable_keep_alives has no effect: {why}"));
        }
        let h2 = "ingot's HTTP client negotiates HTTP/2 over TLS by ALPN and uses its own pings";
        no_effect::<Duration>(d, "http2_read_idle_timeout", p, h2, &mut warnings)?;
        no_effect::<Duration>(d, "http2_ping_timeout", p, h2, &mut warnings)?;
        no_effect::<bool>(d, "force_attempt_http2", p, h2, &mut warnings)?;
        let auth = client_auth(d)?;
        if d.block::<Cookies>("cookies")?.is_some_and(|c| c.0) {
            return Err(d.error("client.cookies is not supported by ingot's HTTP client: remove the block or set enabled = false"));
        }
        Ok(HttpClient {
            endpoint,
            proxy_url,
            compression,
            compression_level,
            tls,
            timeout,
            headers,
            auth,
            warnings,
        })
    }
}
