//! Alloy's arguments for `prometheus.receive_http` (`internal/component/prometheus/receive_http` and the
//! shared server block `internal/component/common/net`), plus ingot's `liveness` block. What Alloy accepts
//! and ingot does not implement is refused by name rather than silently ignored.

use std::time::Duration;

use ingot_gocompat::time::format_std_duration;

use ingot_prom::remote_write::Protocol;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;

use super::liveness;
use ingot_common::receiver::MetricsReceiver;

/// Alloy's `DefaultHTTPPort`.
pub const DEFAULT_LISTEN_PORT: u16 = 8080;

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub http: HttpServer,
    pub forward_to: Vec<MetricsReceiver>,
    pub accepted: Vec<Protocol>,
    pub liveness: Option<liveness::Config>,
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

/// A block Alloy accepts that ingot does not implement: refused with its name.
struct Refused;

impl Decode for Refused {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let name = d
            .current_block()
            .map(|b| b.name_string())
            .unwrap_or_default();
        Err(d.error(format!(
            "block \"{name}\" is not supported by ingot's prometheus.receive_http yet"
        )))
    }
}

fn refuse_attrs(d: &mut BodyDecoder<'_, '_>, names: &[&str], what: &str) -> Result<(), Failed> {
    for name in names {
        if d.has(name) {
            return Err(d.error_at_attr(
                name,
                format!("{what}\"{name}\" is not supported by ingot's prometheus.receive_http yet"),
            ));
        }
    }
    Ok(())
}

impl Decode for HttpServer {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let limits = ingot_common::server_block::decode_limits(d)?;
        let _: Option<Refused> = d.block("tls")?;
        let _: Option<Refused> = d.block("http2")?;
        Ok(HttpServer(ingot_common::server_block::decode_address(
            d,
            DEFAULT_LISTEN_PORT,
            limits,
        )?))
    }
}

impl Decode for liveness::Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = liveness::Config::default();
        let c = liveness::Config {
            down_after: d.optional_or("down_after", def.down_after)?,
            forget_after: d.optional_or("forget_after", def.forget_after)?,
            check_interval: d.optional_or("check_interval", def.check_interval)?,
        };
        if c.check_interval < Duration::from_millis(100) {
            return Err(d.error_at_attr("check_interval", "check_interval must be at least 100ms"));
        }
        if c.down_after < c.check_interval {
            return Err(d.error_at_attr("down_after", "down_after must be at least check_interval"));
        }
        if c.forget_after <= c.down_after {
            return Err(d.error_at_attr(
                "forget_after",
                "forget_after must be greater than down_after",
            ));
        }
        Ok(c)
    }
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let http = d.block("http")?.unwrap_or_default();
        let _: Option<Refused> = d.block("grpc")?;
        refuse_attrs(d, &["graceful_shutdown_timeout"], "")?;
        let forward_to: Vec<MetricsReceiver> = d.required("forward_to")?;
        for flag in ["append_metadata", "enable_type_and_unit_labels"] {
            if d.optional_or(flag, false)? {
                return Err(d.error_at_attr(
                    flag,
                    format!("{flag} is not supported by ingot's prometheus.receive_http yet"),
                ));
            }
        }
        let names: Vec<String> = d.optional_or(
            "accepted_remote_write_protobuf_messages",
            vec![Protocol::V1_NAME.to_string()],
        )?;
        const ATTR: &str = "accepted_remote_write_protobuf_messages";
        if names.is_empty() {
            return Err(d.error_at_attr(ATTR, format!("{ATTR} must not be empty")));
        }
        let mut accepted = Vec::new();
        for n in &names {
            match Protocol::from_message_name(n) {
                Some(p) => accepted.push(p),
                None => {
                    return Err(d.error_at_attr(
                        ATTR,
                        format!(
                            "unsupported protocol version {n:?}: valid values are {:?} and {:?}",
                            Protocol::V1_NAME,
                            Protocol::V2_NAME
                        ),
                    ))
                }
            }
        }
        let liveness = d.block("liveness")?;
        Ok(Arguments {
            http,
            forward_to,
            accepted,
            liveness,
        })
    }
}

/// The arguments as the component's debug info shows them.
pub fn describe(args: &Arguments) -> Value {
    let mut fields = vec![
        ("listen_address", Value::string(args.http.bind_addr())),
        (
            "accepted_remote_write_protobuf_messages",
            Value::array(args.accepted.iter().map(|p| {
                Value::string(match p {
                    Protocol::V1 => Protocol::V1_NAME,
                    Protocol::V2 => Protocol::V2_NAME,
                })
            })),
        ),
    ];
    if let Some(l) = &args.liveness {
        fields.push((
            "liveness",
            Value::object([
                (
                    "down_after",
                    Value::string(format_std_duration(l.down_after)),
                ),
                (
                    "forget_after",
                    Value::string(format_std_duration(l.forget_after)),
                ),
                (
                    "check_interval",
                    Value::string(format_std_duration(l.check_interval)),
                ),
            ]),
        ));
    }
    Value::object(fields)
}
