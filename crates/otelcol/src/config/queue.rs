//! `retry_on_failure` and `sending_queue` (Alloy's `RetryArguments` and `QueueArguments`).

use std::time::Duration;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use super::Warnings;
use crate::storage::file::StorageHandler;

#[derive(Clone, Debug, PartialEq)]
pub struct Retry {
    pub enabled: bool,
    pub initial_interval: Duration,
    pub randomization_factor: f64,
    pub multiplier: f64,
    pub max_interval: Duration,
    /// Zero: retry for ever.
    pub max_elapsed_time: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            enabled: true,
            initial_interval: Duration::from_secs(5),
            randomization_factor: 0.5,
            multiplier: 1.5,
            max_interval: Duration::from_secs(30),
            max_elapsed_time: Duration::from_secs(300),
        }
    }
}

impl Decode for Retry {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = Retry::default();
        let r = Retry {
            enabled: d.optional_or("enabled", def.enabled)?,
            initial_interval: d.optional_or("initial_interval", def.initial_interval)?,
            randomization_factor: d
                .optional_or("randomization_factor", def.randomization_factor)?,
            multiplier: d.optional_or("multiplier", def.multiplier)?,
            max_interval: d.optional_or("max_interval", def.max_interval)?,
            max_elapsed_time: d.optional_or("max_elapsed_time", def.max_elapsed_time)?,
        };
        if r.multiplier <= 1.0 {
            return Err(d.error("multiplier must be greater than 1.0"));
        }
        if r.randomization_factor < 0.0 {
            return Err(d.error("randomization_factor must be greater or equal to 0"));
        }
        Ok(r)
    }
}

impl Retry {
    /// The wait before retry number `attempt` (0-based), before randomization: exponential from
    /// `initial_interval`, capped at `max_interval` (backoff/v5's `ExponentialBackOff`).
    pub fn interval(&self, attempt: u32) -> Duration {
        let base =
            self.initial_interval.as_secs_f64() * self.multiplier.powi(attempt.min(64) as i32);
        Duration::from_secs_f64(base.min(self.max_interval.as_secs_f64()).max(0.0))
    }

    /// `interval` spread by `randomization_factor` with `unit` in [0, 1).
    pub fn randomized(&self, attempt: u32, unit: f64) -> Duration {
        let i = self.interval(attempt).as_secs_f64();
        let delta = self.randomization_factor * i;
        Duration::from_secs_f64((i - delta + unit * 2.0 * delta).max(0.0))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Queue {
    pub enabled: bool,
    pub num_consumers: usize,
    pub queue_size: u64,
    pub block_on_overflow: bool,
    /// `requests` (the default), `items` or `bytes`.
    pub sizer: String,
    pub wait_for_result: bool,
    pub storage: Option<StorageHandler>,
    pub warnings: Warnings,
}

impl Default for Queue {
    fn default() -> Self {
        Queue {
            enabled: true,
            num_consumers: 10,
            queue_size: 1000,
            block_on_overflow: false,
            sizer: "requests".into(),
            wait_for_result: false,
            storage: None,
            warnings: Warnings::new(),
        }
    }
}

struct QueueBatch;

impl Decode for QueueBatch {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let _: Option<Duration> = d.optional("flush_timeout")?;
        let _: Option<i64> = d.optional("min_size")?;
        let _: Option<i64> = d.optional("max_size")?;
        let _: Option<String> = d.optional("sizer")?;
        Err(d.error("sending_queue.batch is not supported by ingot yet: batch with otelcol.processor.batch in front of the exporter"))
    }
}

impl Decode for Queue {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = Queue::default();
        let mut warnings = Warnings::new();
        let enabled = d.optional_or("enabled", def.enabled)?;
        let num_consumers: i64 = d.optional_or("num_consumers", def.num_consumers as i64)?;
        let queue_size: i64 = d.optional_or("queue_size", def.queue_size as i64)?;
        let block_on_overflow = d.optional_or("block_on_overflow", false)?;
        let sizer: String = d.optional_or("sizer", def.sizer.clone())?;
        let wait_for_result = d.optional_or("wait_for_result", false)?;
        let _: Option<QueueBatch> = d.block("batch")?;
        let storage: Option<StorageHandler> = d.optional("storage")?;
        if enabled && queue_size <= 0 {
            return Err(d.error("queue_size must be greater than zero"));
        }
        if enabled && num_consumers <= 0 {
            return Err(d.error("num_consumers must be greater than zero"));
        }
        if !["requests", "items", "bytes"].contains(&sizer.as_str()) {
            return Err(d.error_at_attr(
                "sizer",
                format!("invalid sizer {sizer:?}: expected requests, items or bytes"),
            ));
        }
        if block_on_overflow {
            warnings.push("sending_queue.block_on_overflow has no effect: a full queue answers its senders with a retryable error (receivers pass it to their clients), which blocks nothing and loses nothing".into());
        }
        if wait_for_result {
            warnings.push("sending_queue.wait_for_result has no effect: data is answered once queued (on disk with storage)".into());
        }
        Ok(Queue {
            enabled,
            num_consumers: num_consumers.max(1) as usize,
            queue_size: queue_size.max(1) as u64,
            block_on_overflow,
            sizer,
            wait_for_result,
            storage,
            warnings,
        })
    }
}
