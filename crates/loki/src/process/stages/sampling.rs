//! `stage.sampling`: keeps each entry with probability `rate` (0 to 1; Jaeger's probabilistic sampler, as
//! Alloy's), dropping the others, counted in `loki_process_dropped_lines_total` with
//! `drop_counter_reason` (default `sampling_stage`).

use std::sync::Arc;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::metrics::Metrics;
use crate::process::pipeline::{PEntry, Stage};

const MAX_RANDOM: u64 = (1 << 63) - 1;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub rate: f64,
    pub reason: String,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let rate: f64 = d.required("rate")?;
        let reason: String = d.optional_or("drop_counter_reason", "sampling_stage".to_string())?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(d.error_at_attr(
                "rate",
                format!("sampling stage failed to parse rate,Sampling Rate must be between 0.0 and 1.0, received {rate:.6}"),
            ));
        }
        Ok(Config { rate, reason })
    }
}

impl Config {
    pub fn build(&self, metrics: &Arc<Metrics>) -> Sampling {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64);
        Sampling {
            rate: self.rate,
            boundary: (MAX_RANDOM as f64 * self.rate) as u64,
            state: seed | 1,
            reason: self.reason.clone(),
            metrics: metrics.clone(),
        }
    }
}

pub struct Sampling {
    rate: f64,
    boundary: u64,
    state: u64,
    reason: String,
    metrics: Arc<Metrics>,
}

impl Sampling {
    /// A random number in [1, 2^63-1] (splitmix64).
    fn random(&mut self) -> u64 {
        loop {
            self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            let v = (z ^ (z >> 31)) >> 1;
            if v != 0 {
                return v;
            }
        }
    }

    fn keep(&mut self) -> bool {
        if self.rate >= 1.0 {
            return true;
        }
        if self.rate <= 0.0 {
            return false;
        }
        self.boundary >= self.random()
    }
}

impl Stage for Sampling {
    fn process(&mut self, e: PEntry, out: &mut Vec<PEntry>) {
        if self.keep() {
            out.push(e);
        } else {
            self.metrics.dropped(&self.reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;

    // Alloy's sampling_test.go: about half of 1,000 at rate 0.5; none at 0; all at 1.
    #[test]
    fn samples() {
        for (rate, lo, hi) in [("0.5", 400, 600), ("0", 0, 0), ("1", 1000, 1000)] {
            let (mut p, m) = pipeline(&format!("stage.sampling {{ rate = {rate} }}"));
            let mut out = Vec::new();
            for _ in 0..1000 {
                p.run(entry(&[], "x"), &mut out);
            }
            assert!((lo..=hi).contains(&out.len()), "{rate}: {}", out.len());
            assert_eq!(m.dropped_count("sampling_stage"), 1000 - out.len() as u64);
        }
    }

    #[test]
    fn errors() {
        assert!(error("stage.sampling { rate = 12 }").contains(
            "sampling stage failed to parse rate,Sampling Rate must be between 0.0 and 1.0, received 12.000000"
        ));
    }
}
