//! The `output` block (Alloy's `ConsumerArguments`): the consumers of each signal.

use ingot_common::receiver::OtelConsumer;
use ingot_otlp::Outputs;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

struct Output(Outputs);

impl Decode for Output {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let list = |d: &mut BodyDecoder<'_, '_>, name: &str| -> Result<_, Failed> {
            let v: Vec<OtelConsumer> = d.optional_or(name, Vec::new())?;
            Ok(v.into_iter().map(|c| c.0).collect())
        };
        Ok(Output(Outputs {
            metrics: list(d, "metrics")?,
            logs: list(d, "logs")?,
            traces: list(d, "traces")?,
        }))
    }
}

/// The required `output` block.
pub fn output_block(d: &mut BodyDecoder<'_, '_>) -> Result<Outputs, Failed> {
    d.required_block::<Output>("output").map(|o| o.0)
}
