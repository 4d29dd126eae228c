//! `stage.limit`: a token bucket (`golang.org/x/time/rate`'s: `rate` tokens a second, at most `burst`,
//! starting full). With `drop = true` an entry finding no token is dropped and counted
//! (`loki_process_dropped_lines_total{reason="ratelimit_drop_stage"}`); otherwise it waits for its token,
//! as Alloy's `Wait` makes it: entries are held in order and released when their reserved time comes (on
//! the component's tick), and while more than [`MAX_WAITING`] wait the component answers its senders
//! `Full`, so they keep their entries: Alloy blocks them instead.
//!
//! With `by_label_name` (which requires `drop`), each value of that label has its own bucket (entries
//! without the label are not limited); drops are also counted in
//! `loki_process_dropped_lines_by_label_total{label_name, label_value}`. Buckets live in a generational
//! map of `max_distinct_labels` (at least 10,000) values: when the newer generation fills up, the older is
//! forgotten, and so are the by-label counts, as in Alloy.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::metrics::Metrics;
use crate::process::pipeline::{PEntry, Stage};

/// Entries waiting for tokens past which the component holds its senders back.
pub const MAX_WAITING: usize = 10_000;
/// Alloy's `MinReasonableMaxDistinctLabels`.
const MIN_DISTINCT: usize = 10_000;
const DROP_REASON: &str = "ratelimit_drop_stage";

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub rate: f64,
    pub burst: u64,
    pub drop: bool,
    pub by_label_name: String,
    pub max_distinct_labels: usize,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let rate: f64 = d.required("rate")?;
        let burst: i64 = d.required("burst")?;
        let drop: bool = d.optional_or("drop", false)?;
        let by_label_name: String = d.optional_or("by_label_name", String::new())?;
        let max_distinct: i64 = d.optional_or("max_distinct_labels", 0)?;
        if rate.is_nan() || rate <= 0.0 || burst <= 0 {
            return Err(d.error(invalid("limit stage failed to parse rate or burst")));
        }
        if !by_label_name.is_empty() && !drop {
            return Err(d.error(invalid("when ratelimiting by label, drop must be true")));
        }
        let mut max_distinct_labels = max_distinct.max(0) as usize;
        if !by_label_name.is_empty() && max_distinct_labels < MIN_DISTINCT {
            if max_distinct != 0 {
                tracing::warn!(
                    stage = "limit",
                    "max_distinct_labels was adjusted up to the minimal reasonable value of {MIN_DISTINCT}"
                );
            }
            max_distinct_labels = MIN_DISTINCT;
        }
        Ok(Config {
            rate,
            burst: burst as u64,
            drop,
            by_label_name,
            max_distinct_labels,
        })
    }
}

/// `rate.Limiter`: `tokens` at `last`, refilled at `rate` a second up to `burst`.
#[derive(Clone, Debug)]
struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Option<Instant>,
}

impl Bucket {
    fn new(rate: f64, burst: u64) -> Bucket {
        Bucket {
            rate,
            burst: burst as f64,
            tokens: burst as f64,
            last: None,
        }
    }

    fn advance(&self, now: Instant) -> f64 {
        let last = match self.last {
            Some(l) if l <= now => l,
            _ => now,
        };
        let elapsed = now.duration_since(last).as_secs_f64();
        (self.tokens + elapsed * self.rate).min(self.burst)
    }

    /// `Allow`: takes a token if one is there now.
    fn allow(&mut self, now: Instant) -> bool {
        let tokens = self.advance(now) - 1.0;
        if tokens < 0.0 {
            return false;
        }
        self.last = Some(now);
        self.tokens = tokens;
        true
    }

    /// `Reserve`: takes a token, going into debt; when it may be used.
    fn reserve(&mut self, now: Instant) -> Instant {
        let tokens = self.advance(now) - 1.0;
        self.last = Some(now);
        self.tokens = tokens;
        if tokens < 0.0 {
            now + Duration::from_secs_f64((-tokens / self.rate).min(1e9))
        } else {
            now
        }
    }
}

/// Loki's generational map: values used recently, forgotten a generation after they were last used.
struct Generations {
    old: HashMap<String, Bucket>,
    new: HashMap<String, Bucket>,
    max: usize,
}

impl Config {
    pub fn build(&self, metrics: &Arc<Metrics>) -> Limit {
        Limit {
            cfg: self.clone(),
            bucket: Bucket::new(self.rate, self.burst),
            by_label: Generations {
                old: HashMap::new(),
                new: HashMap::new(),
                max: self.max_distinct_labels,
            },
            waiting: VecDeque::new(),
            metrics: metrics.clone(),
        }
    }
}

pub struct Limit {
    cfg: Config,
    bucket: Bucket,
    by_label: Generations,
    /// Entries waiting for their reserved time (without `drop`).
    waiting: VecDeque<(Instant, PEntry)>,
    metrics: Arc<Metrics>,
}

impl Limit {
    fn allow_by_label(&mut self, value: &str, now: Instant) -> bool {
        let g = &mut self.by_label;
        if !g.new.contains_key(value) {
            let b = g
                .old
                .remove(value)
                .unwrap_or_else(|| Bucket::new(self.cfg.rate, self.cfg.burst));
            g.new.insert(value.to_string(), b);
            if g.new.len() >= g.max {
                g.old = std::mem::take(&mut g.new);
                self.metrics.reset_dropped_by_label();
            }
        }
        let bucket = match g.new.get_mut(value) {
            Some(b) => b,
            // Just rotated into the old generation.
            None => match g.old.get_mut(value) {
                Some(b) => b,
                None => return true,
            },
        };
        bucket.allow(now)
    }
}

impl Stage for Limit {
    fn process(&mut self, e: PEntry, out: &mut Vec<PEntry>) {
        let now = Instant::now();
        if !self.cfg.by_label_name.is_empty() {
            let Some(value) = e.labels.get(&self.cfg.by_label_name).map(str::to_string) else {
                out.push(e);
                return;
            };
            if self.allow_by_label(&value, now) {
                out.push(e);
            } else {
                self.metrics.dropped(DROP_REASON);
                self.metrics
                    .dropped_by_label(&self.cfg.by_label_name, &value);
            }
            return;
        }
        if self.cfg.drop {
            if self.bucket.allow(now) {
                out.push(e);
            } else {
                self.metrics.dropped(DROP_REASON);
            }
            return;
        }
        let at = self.bucket.reserve(now);
        if at <= now && self.waiting.is_empty() {
            out.push(e);
        } else {
            self.waiting.push_back((at, e));
        }
    }

    fn tick(&mut self, now: Instant, out: &mut Vec<PEntry>) {
        while self.waiting.front().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, e)) = self.waiting.pop_front() {
                out.push(e);
            }
        }
    }

    fn flush(&mut self, out: &mut Vec<PEntry>) {
        // Stopping or replaced: what waits goes on now rather than being lost.
        out.extend(self.waiting.drain(..).map(|(_, e)| e));
    }

    fn saturated(&self) -> bool {
        self.waiting.len() >= MAX_WAITING
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::process::stages::testing::*;

    #[test]
    fn drop_beyond_burst() {
        let (mut p, m) = pipeline("stage.limit {\nrate = 1\nburst = 3\ndrop = true\n}");
        let mut out = Vec::new();
        for i in 0..10 {
            p.run(entry(&[], &format!("l{i}")), &mut out);
        }
        assert_eq!(out.len(), 3);
        assert_eq!(m.dropped_count("ratelimit_drop_stage"), 7);
    }

    #[test]
    fn by_label() {
        let (mut p, m) =
            pipeline("stage.limit {\nrate = 1\nburst = 1\ndrop = true\nby_label_name = \"app\"\n}");
        let mut out = Vec::new();
        for app in ["a", "a", "b", "b", "b"] {
            p.run(entry(&[("app", app)], "x"), &mut out);
        }
        p.run(entry(&[], "no label"), &mut out);
        p.run(entry(&[], "no label"), &mut out);
        assert_eq!(out.len(), 4);
        assert_eq!(m.dropped_count("ratelimit_drop_stage"), 3);
        assert_eq!(m.dropped_by_label_count("app", "b"), 2);
    }

    #[test]
    fn waits_without_drop() {
        let (mut p, _) = pipeline("stage.limit {\nrate = 10\nburst = 2\n}");
        let mut out = Vec::new();
        let start = Instant::now();
        for i in 0..5 {
            p.run(entry(&[], &format!("l{i}")), &mut out);
        }
        assert_eq!(out.len(), 2);
        p.run_tick(start + Duration::from_millis(50), &mut out);
        assert_eq!(out.len(), 2);
        p.run_tick(start + Duration::from_millis(150), &mut out);
        assert_eq!(out.len(), 3);
        p.run_tick(start + Duration::from_millis(400), &mut out);
        let lines: Vec<&str> = out.iter().map(|e| e.line.as_str()).collect();
        assert_eq!(lines, ["l0", "l1", "l2", "l3", "l4"]);
    }

    #[test]
    fn waiting_is_bounded() {
        let (mut p, _) = pipeline("stage.limit {\nrate = 0.001\nburst = 1\n}");
        let mut out = Vec::new();
        // The first entry takes the burst's token; the others wait.
        for _ in 0..=super::MAX_WAITING {
            assert!(!p.saturated());
            p.run(entry(&[], "x"), &mut out);
        }
        assert!(p.saturated());
        assert_eq!(out.len(), 1);
        p.run_flush(&mut out);
        assert_eq!(out.len(), super::MAX_WAITING + 1);
        assert!(!p.saturated());
    }

    #[test]
    fn errors() {
        assert!(error("stage.limit {\nrate = 0\nburst = 1\n}")
            .contains("limit stage failed to parse rate or burst"));
        assert!(error("stage.limit {\nrate = 1\nburst = 0\n}")
            .contains("limit stage failed to parse rate or burst"));
        assert!(
            error("stage.limit {\nrate = 1\nburst = 1\nby_label_name = \"a\"\n}")
                .contains("when ratelimiting by label, drop must be true")
        );
        assert!(error("stage.limit { rate = 1 }").contains("burst"));
    }
}
