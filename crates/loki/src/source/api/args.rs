//! `loki.source.api`'s arguments (`internal/component/loki/source/api/api.go`, with the server blocks of
//! `internal/component/common/net`): Alloy's defaults; what ingot cannot honour is refused or warned about
//! by name.

use std::collections::BTreeMap;
use std::time::Duration;

use ingot_common::receiver::LogsReceiver;
use ingot_common::relabel::Rules;
use ingot_common::units::parse_base2_bytes;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

/// Alloy's `DefaultHTTPPort`.
pub const DEFAULT_LISTEN_PORT: u16 = 8080;
/// Alloy's default `max_send_message_size`: 100MiB.
pub const DEFAULT_MAX_SEND_MESSAGE_SIZE: u64 = 100 << 20;

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub http: HttpServer,
    pub forward_to: Vec<LogsReceiver>,
    pub labels: BTreeMap<String, String>,
    pub relabel_rules: Rules,
    pub use_incoming_timestamp: bool,
    pub max_send_message_size: u64,
    /// Settings accepted without effect, each naming itself and why (logged, and shown in health).
    pub warnings: Vec<String>,
}

/// The `http` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpServer(pub ingot_http::Listen);

impl Default for HttpServer {
    fn default() -> HttpServer {
        HttpServer(ingot_http::Listen::on_port(DEFAULT_LISTEN_PORT))
    }
}

impl std::ops::Deref for HttpServer {
    type Target = ingot_http::Listen;

    fn deref(&self) -> &ingot_http::Listen {
        &self.0
    }
}

/// A `tls` block: refused (its certificates would otherwise be ignored and the API served in plain text).
struct RefusedTls;

impl Decode for RefusedTls {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Err(d.error("block \"tls\" is not supported by ingot's loki.source.api yet: terminate TLS in front of it (a reverse proxy) or leave the block out"))
    }
}

/// The `http2` block: HTTP/2 is off by default in Alloy; `enabled = true` is refused, the tuning
/// arguments are accepted (they tune nothing while HTTP/2 is off).
struct Http2;

impl Decode for Http2 {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        if d.optional_or("enabled", false)? {
            return Err(d.error_at_attr(
                "enabled",
                "HTTP/2 (h2c) is not supported by ingot's loki.source.api yet: leave enabled = false",
            ));
        }
        d.skip_rest();
        Ok(Http2)
    }
}

impl Decode for HttpServer {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let limits = ingot_common::server_block::decode_limits(d)?;
        let _: Option<RefusedTls> = d.block("tls")?;
        let _: Option<Http2> = d.block("http2")?;
        Ok(HttpServer(ingot_common::server_block::decode_address(
            d,
            DEFAULT_LISTEN_PORT,
            limits,
        )?))
    }
}

/// The `grpc` block: accepted and checked, warned about (ingot serves the push API over HTTP only).
struct Grpc;

impl Decode for Grpc {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let _: String = d.optional_or("listen_address", String::new())?;
        let _: i64 = d.optional_or("listen_port", 0)?;
        let _: i64 = d.optional_or("conn_limit", 0)?;
        for name in [
            "max_connection_age",
            "max_connection_age_grace",
            "max_connection_idle",
        ] {
            let _: Option<Duration> = d.optional(name)?;
        }
        for name in [
            "server_max_recv_msg_size",
            "server_max_send_msg_size",
            "server_max_concurrent_streams",
        ] {
            let _: Option<i64> = d.optional(name)?;
        }
        let _: Option<RefusedTls> = d.block("tls")?;
        Ok(Grpc)
    }
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let http = d.block("http")?.unwrap_or_default();
        let grpc: Option<Grpc> = d.block("grpc")?;
        let graceful: Option<Duration> = d.optional("graceful_shutdown_timeout")?;
        let forward_to = d.required("forward_to")?;
        let labels = d.optional_or("labels", BTreeMap::new())?;
        let relabel_rules: Rules = d.optional_or("relabel_rules", Rules(Default::default()))?;
        let use_incoming_timestamp = d.optional_or("use_incoming_timestamp", false)?;
        let max_send_message_size = match d.optional::<String>("max_send_message_size")? {
            Some(s) => {
                parse_base2_bytes(&s).map_err(|e| d.error_at_attr("max_send_message_size", e))?
            }
            None => DEFAULT_MAX_SEND_MESSAGE_SIZE,
        };
        let mut warnings = Vec::new();
        if grpc.is_some() {
            warnings.push("grpc has no effect: ingot serves Loki's push API over HTTP only (the gRPC Pusher service is not served)".to_string());
        }
        if graceful.is_some() {
            warnings.push("graceful_shutdown_timeout has no effect: on stop, requests in flight finish within server_write_timeout".to_string());
        }
        Ok(Arguments {
            http,
            forward_to,
            labels,
            relabel_rules,
            use_incoming_timestamp,
            // Alloy takes 0 (or less) as its default.
            max_send_message_size: if max_send_message_size == 0 {
                DEFAULT_MAX_SEND_MESSAGE_SIZE
            } else {
                max_send_message_size
            },
            warnings,
        })
    }
}
