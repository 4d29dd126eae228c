//! OTLP/gRPC out: one lazily connected tonic channel to the endpoint, the queued protobuf bytes sent as
//! they are, and the collector's rules for what a failure means (`otlpexporter`'s `shouldRetry`:
//! UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, DATA_LOSS and CANCELLED are retried,
//! RESOURCE_EXHAUSTED only with a `RetryInfo`, whose delay is waited out; anything else is permanent).

use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http::uri::PathAndQuery;
use ingot_otlp::Signal;
use prost::Message;
use tonic::codec::CompressionEncoding;
use tonic::metadata::{AsciiMetadataValue, MetadataKey};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::Code;

use crate::config::client::{Compression, GrpcClient};
use crate::exporter::sender::{Outcome, SendFuture, Transport};
use crate::grpc::codec::{ExportResponse, RawCodec};

pub struct Grpc {
    /// `host:port`, for logs and health.
    target: String,
    endpoint: Endpoint,
    channel: Mutex<Option<Channel>>,
    client: GrpcClient,
}

/// `host:port` and whether the endpoint's scheme asked for TLS, from the collector's endpoint forms
/// (`host:port`, `http://host:port`, `https://host:port`, `dns:///host:port`).
fn target(endpoint: &str) -> (String, bool) {
    if let Some(rest) = endpoint.strip_prefix("https://") {
        return (rest.trim_end_matches('/').to_string(), true);
    }
    if let Some(rest) = endpoint.strip_prefix("http://") {
        return (rest.trim_end_matches('/').to_string(), false);
    }
    let rest = endpoint
        .strip_prefix("dns:///")
        .or_else(|| endpoint.strip_prefix("dns:"))
        .unwrap_or(endpoint);
    (rest.to_string(), false)
}

impl Grpc {
    /// Checks the endpoint and reads the TLS files; connects on first use.
    pub fn new(client: &GrpcClient, user_agent: &str) -> Result<Grpc, String> {
        if client.endpoint.starts_with("unix://") || client.endpoint.starts_with("unix:") {
            return Err(
                "client.endpoint: unix sockets are not supported by ingot's gRPC client".into(),
            );
        }
        let (target, https) = target(&client.endpoint);
        // The collector uses TLS unless `insecure` is set, whatever the scheme says.
        let tls = !client.tls.insecure || https;
        let uri = format!("{}://{target}", if tls { "https" } else { "http" });
        let mut endpoint = Endpoint::from_shared(uri.clone())
            .map_err(|e| {
                format!(
                    "client.endpoint {:?} is not a valid address: {e}",
                    client.endpoint
                )
            })?
            .user_agent(user_agent)
            .map_err(|e| e.to_string())?
            .connect_timeout(Duration::from_secs(10))
            .tcp_nodelay(true);
        if let Some((ping, timeout, without_stream)) = client.keepalive {
            if !ping.is_zero() {
                endpoint = endpoint
                    .http2_keep_alive_interval(ping)
                    .keep_alive_while_idle(without_stream);
            }
            if !timeout.is_zero() {
                endpoint = endpoint.keep_alive_timeout(timeout);
            }
        }
        if !client.authority.is_empty() {
            let origin: http::Uri = format!(
                "{}://{}",
                if tls { "https" } else { "http" },
                client.authority
            )
            .parse()
            .map_err(|e| format!("client.authority {:?}: {e}", client.authority))?;
            endpoint = endpoint.origin(origin);
        }
        if tls {
            let s = &client.tls.setting;
            let mut cfg = ClientTlsConfig::new();
            match s.ca()? {
                Some(ca) => {
                    cfg = cfg.ca_certificate(Certificate::from_pem(ca));
                    if s.include_system_ca_certs_pool {
                        cfg = cfg.with_native_roots();
                    }
                }
                None => cfg = cfg.with_native_roots(),
            }
            if let Some((cert, key)) = s.identity()? {
                cfg = cfg.identity(Identity::from_pem(cert, key));
            }
            let host = target.rsplit_once(':').map_or(target.as_str(), |(h, _)| h);
            let name = if client.tls.server_name.is_empty() {
                host.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string()
            } else {
                client.tls.server_name.clone()
            };
            cfg = cfg.domain_name(name);
            endpoint = endpoint
                .tls_config(cfg)
                .map_err(|e| format!("client.tls: {e}"))?;
        }
        Ok(Grpc {
            target,
            endpoint,
            channel: Mutex::new(None),
            client: client.clone(),
        })
    }

    fn channel(&self) -> Channel {
        let mut c = self.channel.lock().unwrap_or_else(|e| e.into_inner());
        c.get_or_insert_with(|| self.endpoint.connect_lazy())
            .clone()
    }

    async fn export(&self, signal: Signal, body: &Bytes) -> Outcome {
        let path = PathAndQuery::from_static(match signal {
            Signal::Traces => "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            Signal::Metrics => "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
            Signal::Logs => "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
        });
        let mut headers = self.client.headers.clone();
        if let Some(auth) = &self.client.auth {
            if let Err(e) = auth.apply(&mut headers) {
                return Outcome::Retry {
                    after: None,
                    error: format!("getting credentials: {e}"),
                };
            }
        }
        let mut request = tonic::Request::new(body.clone());
        for (k, v) in &headers {
            let key = MetadataKey::from_bytes(k.to_ascii_lowercase().as_bytes());
            let value = AsciiMetadataValue::try_from(v.as_str());
            if let (Ok(key), Ok(value)) = (key, value) {
                request.metadata_mut().append(key, value);
            }
        }
        let mut grpc = tonic::client::Grpc::new(self.channel());
        grpc = match self.client.compression {
            Compression::Gzip => grpc.send_compressed(CompressionEncoding::Gzip),
            Compression::Zstd => grpc.send_compressed(CompressionEncoding::Zstd),
            _ => grpc,
        };
        grpc = grpc
            .accept_compressed(CompressionEncoding::Gzip)
            .accept_compressed(CompressionEncoding::Zstd);
        if let Err(e) = grpc.ready().await {
            return Outcome::Retry {
                after: None,
                error: format!("rpc error: code = Unavailable desc = connection error: {e}"),
            };
        }
        match grpc
            .unary(request, path, RawCodec::<ExportResponse>::default())
            .await
        {
            Ok(resp) => {
                let p = resp.into_inner().partial_success.unwrap_or_default();
                Outcome::Sent {
                    rejected: p.rejected.max(0) as u64,
                    message: p.error_message,
                }
            }
            Err(status) => outcome(&status),
        }
    }
}

/// Go's `codes.Code.String()`.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "Canceled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

/// What a gRPC error status means for the request.
pub fn outcome(status: &tonic::Status) -> Outcome {
    let error = format!(
        "rpc error: code = {} desc = {}",
        code_name(status.code()),
        status.message()
    );
    let retry_info = crate::grpc::status::Status::decode(status.details())
        .ok()
        .and_then(|s| s.retry_info());
    let retry = match status.code() {
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unavailable
        | Code::DataLoss => true,
        Code::ResourceExhausted => retry_info.is_some(),
        _ => false,
    };
    if retry {
        Outcome::Retry {
            after: retry_info.filter(|d| !d.is_zero()),
            error,
        }
    } else {
        Outcome::Permanent(error)
    }
}

impl Transport for Grpc {
    fn send<'a>(&'a self, signal: Signal, body: &'a Bytes) -> SendFuture<'a> {
        Box::pin(self.export(signal, body))
    }

    fn endpoint(&self, _: Signal) -> String {
        self.target.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::status::with_retry_info;

    #[test]
    fn endpoints_in_the_collector_forms() {
        assert_eq!(target("tempo:4317"), ("tempo:4317".into(), false));
        assert_eq!(target("https://tempo:443/"), ("tempo:443".into(), true));
        assert_eq!(
            target("http://127.0.0.1:4317"),
            ("127.0.0.1:4317".into(), false)
        );
        assert_eq!(target("dns:///tempo:4317"), ("tempo:4317".into(), false));
    }

    #[test]
    fn statuses_are_retried_as_the_collector_retries_them() {
        let s = tonic::Status::unavailable("down");
        assert_eq!(
            outcome(&s),
            Outcome::Retry {
                after: None,
                error: "rpc error: code = Unavailable desc = down".into()
            }
        );
        assert!(matches!(
            outcome(&tonic::Status::resource_exhausted("full")),
            Outcome::Permanent(_)
        ));
        let details = with_retry_info(8, "slow down", Duration::from_secs(3)).encode_to_vec();
        let s = tonic::Status::with_details(Code::ResourceExhausted, "slow down", details.into());
        assert!(matches!(
            outcome(&s),
            Outcome::Retry { after: Some(d), .. } if d == Duration::from_secs(3)
        ));
        assert!(matches!(
            outcome(&tonic::Status::invalid_argument("bad")),
            Outcome::Permanent(_)
        ));
    }
}
