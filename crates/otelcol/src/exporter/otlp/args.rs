//! `otelcol.exporter.otlp`'s arguments (Alloy's `exporter/otlp/otlp.go`): `timeout` 5s, the `client`
//! block (required, compression gzip by default), `sending_queue`, `retry_on_failure`, `debug_metrics`.

use std::time::Duration;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::config::client::GrpcClient;
use crate::config::queue::{Queue, Retry};
use crate::config::{debug_metrics, Warnings, DEFAULT_TIMEOUT};

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub timeout: Duration,
    pub queue: Queue,
    pub retry: Retry,
    pub client: GrpcClient,
    pub warnings: Warnings,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let timeout = d.optional_or("timeout", DEFAULT_TIMEOUT)?;
        let queue: Queue = d.block("sending_queue")?.unwrap_or_default();
        let retry: Retry = d.block("retry_on_failure")?.unwrap_or_default();
        debug_metrics(d, &mut warnings)?;
        let client: GrpcClient = d.required_block("client")?;
        warnings.extend(queue.warnings.iter().cloned());
        warnings.extend(client.warnings.iter().cloned());
        Ok(Arguments {
            timeout,
            queue,
            retry,
            client,
            warnings,
        })
    }
}
