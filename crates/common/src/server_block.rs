//! The `http` block of the components that serve HTTP (`loki.source.api`, `prometheus.receive_http`):
//! Alloy's `internal/component/common/net` server settings, with its defaults and checks.

use std::time::Duration;

use ingot_http::{Limits, Listen};
use ingot_syntax::decode::{BodyDecoder, Failed};

/// Decodes `listen_address`, `listen_port` (default `default_port`), `conn_limit` and the
/// `server_*_timeout`s (a zero timeout is none, as in Go's server). The caller decodes the block's
/// nested blocks (`tls`, `http2`), which the components treat differently, between the two calls:
/// limits first, then [`decode_address`], the order Alloy's messages come in.
pub fn decode_limits(d: &mut BodyDecoder<'_, '_>) -> Result<Limits, Failed> {
    let defaults = Limits::ALLOY_COMPONENT;
    let conn_limit: i64 = d.optional_or("conn_limit", defaults.conn_limit as i64)?;
    let conn_limit = usize::try_from(conn_limit).map_err(|_| {
        d.error_at_attr(
            "conn_limit",
            format!("conn_limit must be 0 (no limit) or more, got {conn_limit}"),
        )
    })?;
    let timeout = |d: &mut BodyDecoder<'_, '_>, name: &str, default: Option<Duration>| {
        d.optional_or(name, default.unwrap_or_default())
            .map(|t: Duration| (!t.is_zero()).then_some(t))
    };
    Ok(Limits {
        conn_limit,
        read_timeout: timeout(d, "server_read_timeout", defaults.read_timeout)?,
        write_timeout: timeout(d, "server_write_timeout", defaults.write_timeout)?,
        idle_timeout: timeout(d, "server_idle_timeout", defaults.idle_timeout)?,
    })
}

/// The address half of the block: see [`decode_limits`].
pub fn decode_address(
    d: &mut BodyDecoder<'_, '_>,
    default_port: u16,
    limits: Limits,
) -> Result<Listen, Failed> {
    let listen_address: String = d.optional_or("listen_address", String::new())?;
    let port: i64 = d.optional_or("listen_port", i64::from(default_port))?;
    let listen_port = u16::try_from(port).map_err(|_| {
        d.error_at_attr(
            "listen_port",
            format!("listen_port must be between 0 and 65535, got {port}"),
        )
    })?;
    Ok(Listen {
        listen_address,
        listen_port,
        limits,
    })
}
