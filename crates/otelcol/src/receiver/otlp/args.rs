//! `otelcol.receiver.otlp`'s arguments (Alloy's `receiver/otlp/otlp.go`): the optional `grpc` and `http`
//! blocks with their defaults, `debug_metrics`, and the required `output` block.

use ingot_otlp::Outputs;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::config::server::{GrpcServer, HttpServer};
use crate::config::{debug_metrics, output_block, Warnings};

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub grpc: Option<GrpcServer>,
    pub http: Option<HttpServer>,
    pub output: Outputs,
    pub warnings: Warnings,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let grpc: Option<GrpcServer> = d.block("grpc")?;
        let http: Option<HttpServer> = d.block("http")?;
        debug_metrics(d, &mut warnings)?;
        let output = output_block(d)?;
        if grpc.is_none() && http.is_none() {
            return Err(d.error("must specify at least one protocol when using the OTLP receiver"));
        }
        if let Some(g) = &grpc {
            warnings.extend(g.warnings.iter().cloned());
        }
        if let Some(h) = &http {
            warnings.extend(h.warnings.iter().cloned());
        }
        Ok(Arguments {
            grpc,
            http,
            output,
            warnings,
        })
    }
}
