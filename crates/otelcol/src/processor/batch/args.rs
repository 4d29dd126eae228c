//! `otelcol.processor.batch`'s arguments (Alloy's `processor/batch/batch.go`: `timeout` 200ms,
//! `send_batch_size` 2000, `send_batch_max_size` 3000, `metadata_keys`, `metadata_cardinality_limit`
//! 1000, the `output` block).

use std::time::Duration;

use ingot_otlp::Outputs;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::config::{debug_metrics, output_block, Warnings};

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub timeout: Duration,
    pub send_batch_size: u32,
    pub send_batch_max_size: u32,
    pub metadata_cardinality_limit: u32,
    pub output: Outputs,
    pub warnings: Warnings,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let timeout = d.optional_or("timeout", Duration::from_millis(200))?;
        let send_batch_size: u32 = d.optional_or("send_batch_size", 2000)?;
        let send_batch_max_size: u32 = d.optional_or("send_batch_max_size", 3000)?;
        let metadata_keys: Vec<String> = d.optional_or("metadata_keys", Vec::new())?;
        let metadata_cardinality_limit: u32 = d.optional_or("metadata_cardinality_limit", 1000)?;
        let output = output_block(d)?;
        debug_metrics(d, &mut warnings)?;
        if !metadata_keys.is_empty() {
            return Err(d.error_at_attr(
                "metadata_keys",
                "metadata_keys is not supported by ingot: it does not carry request metadata down the pipeline, so every request would land in one batch; remove the attribute",
            ));
        }
        if send_batch_max_size > 0 && send_batch_max_size < send_batch_size {
            return Err(d.error(
                "send_batch_max_size must be greater or equal to send_batch_size when not 0",
            ));
        }
        Ok(Arguments {
            timeout,
            send_batch_size,
            send_batch_max_size,
            metadata_cardinality_limit,
            output,
            warnings,
        })
    }
}
