//! `otelcol.exporter.otlphttp`'s arguments (Alloy's `exporter/otlphttp/otlphttp.go`): the `client` block
//! (timeout 30s, compression gzip), `traces_endpoint`, `metrics_endpoint`, `logs_endpoint`, `encoding`
//! (`proto` or `json`), `sending_queue`, `retry_on_failure`, `debug_metrics`.

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::config::client::HttpClient;
use crate::config::queue::{Queue, Retry};
use crate::config::{debug_metrics, Warnings};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Proto,
    Json,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub client: HttpClient,
    pub queue: Queue,
    pub retry: Retry,
    pub traces_endpoint: String,
    pub metrics_endpoint: String,
    pub logs_endpoint: String,
    pub encoding: Encoding,
    pub warnings: Warnings,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let client: HttpClient = d.required_block("client")?;
        let queue: Queue = d.block("sending_queue")?.unwrap_or_default();
        let retry: Retry = d.block("retry_on_failure")?.unwrap_or_default();
        debug_metrics(d, &mut warnings)?;
        let traces_endpoint: String = d.optional_or("traces_endpoint", String::new())?;
        let metrics_endpoint: String = d.optional_or("metrics_endpoint", String::new())?;
        let logs_endpoint: String = d.optional_or("logs_endpoint", String::new())?;
        let encoding: String = d.optional_or("encoding", "proto".to_string())?;
        let encoding = match encoding.as_str() {
            "proto" => Encoding::Proto,
            "json" => Encoding::Json,
            other => {
                return Err(d.error_at_attr("encoding", format!("invalid encoding type {other}")))
            }
        };
        if client.endpoint.is_empty()
            && traces_endpoint.is_empty()
            && metrics_endpoint.is_empty()
            && logs_endpoint.is_empty()
        {
            return Err(d.error("at least one endpoint must be specified"));
        }
        for (name, e) in [
            ("client.endpoint", &client.endpoint),
            ("traces_endpoint", &traces_endpoint),
            ("metrics_endpoint", &metrics_endpoint),
            ("logs_endpoint", &logs_endpoint),
        ] {
            if !e.is_empty() {
                match url::Url::parse(e) {
                    Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
                    Ok(u) => {
                        return Err(d.error(format!(
                            "{name} {e:?}: unsupported scheme {:?}, expected http or https",
                            u.scheme()
                        )))
                    }
                    Err(err) => {
                        return Err(d.error(format!("{name} {e:?} must be a valid URL: {err}")))
                    }
                }
            }
        }
        warnings.extend(queue.warnings.iter().cloned());
        warnings.extend(client.warnings.iter().cloned());
        Ok(Arguments {
            client,
            queue,
            retry,
            traces_endpoint,
            metrics_endpoint,
            logs_endpoint,
            encoding,
            warnings,
        })
    }
}
