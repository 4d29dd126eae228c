//! `otelcol.processor.memory_limiter`'s arguments (Alloy's `processor/memorylimiter/memorylimiter.go`):
//! `check_interval` (required), `limit` and `spike_limit` (bytes; the spike defaults to a fifth of the
//! limit), or `limit_percentage` and `spike_limit_percentage` of the memory available, and `output`.

use std::time::Duration;

use ingot_otlp::Outputs;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::config::{base2_bytes, debug_metrics, output_block, Warnings};

/// The limits, in bytes or as percentages of the memory available.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limits {
    Bytes { limit: u64, spike: u64 },
    Percent { limit: u32, spike: u32 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub check_interval: Duration,
    pub limits: Limits,
    pub output: Outputs,
    pub warnings: Warnings,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let check_interval: Duration = d.required("check_interval")?;
        let limit = base2_bytes(d, "limit")?.unwrap_or(0);
        let spike = base2_bytes(d, "spike_limit")?.unwrap_or(0);
        let limit_percentage: u32 = d.optional_or("limit_percentage", 0)?;
        let spike_percentage: u32 = d.optional_or("spike_limit_percentage", 0)?;
        let output = output_block(d)?;
        debug_metrics(d, &mut warnings)?;
        if check_interval.is_zero() {
            return Err(d.error("check_interval must be greater than zero"));
        }
        if limit > 0 && limit_percentage > 0 {
            return Err(d.error("either limit or limit_percentage must be set, but not both"));
        }
        let limits = if limit > 0 {
            if spike >= limit {
                return Err(d.error("spike_limit must be less than limit"));
            }
            Limits::Bytes {
                limit,
                spike: if spike == 0 { limit / 5 } else { spike },
            }
        } else if limit_percentage > 0 {
            if limit_percentage > 100 || spike_percentage == 0 || spike_percentage > 100 {
                return Err(d.error("limit_percentage and spike_limit_percentage must be greater than 0 and and less or equal than 100"));
            }
            Limits::Percent {
                limit: limit_percentage,
                spike: spike_percentage,
            }
        } else {
            return Err(
                d.error("either limit or limit_percentage must be set to greater than zero")
            );
        };
        Ok(Arguments {
            check_interval,
            limits,
            output,
            warnings,
        })
    }
}
