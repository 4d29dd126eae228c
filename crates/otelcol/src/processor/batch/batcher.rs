//! The batching itself, one buffer per signal: requests merged in arrival order, cut into batches of at
//! most `send_batch_max_size` items, sent when `send_batch_size` items are waiting or when the batch's
//! `timeout` is up (the collector's `batchprocessor` rules), to a [`Fanout`] of the `output` consumers.
//!
//! A sender's receipt token is held by every batch that carries some of its items (a request cut in two
//! by the size limit goes to both halves), so its receipt completes when the last of them was handed on
//! and stored. A batch the consumers are full for is kept and offered again; meanwhile the buffer takes new
//! requests up to [`Settings::bound`] items and then answers `Full`, so memory stays bounded and nothing
//! is dropped.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use ingot_otlp::{Consume, ConsumeError, Data, Fanout, Outputs, Signal, Token};
use ingot_prom::exposition::Histogram;
use tokio::time::Instant;

use crate::conditions::ConditionLog;

/// The collector's buckets for `otelcol_processor_batch_batch_send_size`.
pub static SEND_SIZE_BUCKETS: [f64; 22] = [
    10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2000.0, 3000.0, 4000.0, 5000.0,
    6000.0, 7000.0, 8000.0, 9000.0, 10000.0, 20000.0, 30000.0, 50000.0, 100000.0,
];

/// The collector's buckets for `otelcol_processor_batch_batch_send_size_bytes`.
pub static SEND_BYTES_BUCKETS: [f64; 18] = [
    128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0, 8192.0, 16384.0, 32768.0, 65536.0, 131072.0,
    262144.0, 524288.0, 1048576.0, 2097152.0, 4194304.0, 8388608.0, 16777216.0,
];

/// How soon a batch the consumers were full for is offered again, at the latest.
const FULL_RETRY: Duration = Duration::from_millis(100);
/// The fewest items a buffer may hold while its consumers are full.
const MIN_BOUND: usize = 8192;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub timeout: Duration,
    pub send_batch_size: usize,
    pub send_batch_max_size: usize,
}

impl Settings {
    /// Whether batches wait for size or time at all (the collector sends every request at once when
    /// `timeout` or `send_batch_size` is zero).
    fn timer(&self) -> bool {
        !self.timeout.is_zero() && self.send_batch_size > 0
    }

    /// The largest batch, `usize::MAX` for no limit.
    fn max(&self) -> usize {
        if self.send_batch_max_size == 0 {
            usize::MAX
        } else {
            self.send_batch_max_size
        }
    }

    /// The items a buffer takes before it answers `Full` (a request is always taken into an empty one).
    pub fn bound(&self) -> usize {
        (self.send_batch_size.max(self.send_batch_max_size) * 4).max(MIN_BOUND)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trigger {
    Size,
    Timeout,
}

struct Held {
    data: Data,
    token: Option<Token>,
    trigger: Trigger,
}

#[derive(Default)]
struct Buffer {
    data: Option<Data>,
    items: usize,
    /// Each waiting request's token, with the offset just past its last item.
    tokens: VecDeque<(Token, u64)>,
    /// The offset of the first item in `data` (items ever cut into batches).
    sent: u64,
    /// When the current batch is due.
    deadline: Option<Instant>,
    /// A batch the consumers were full for, and when to offer it again.
    held: Option<(Held, Instant)>,
}

/// Counts for the collector's batch processor metrics.
pub struct Stats {
    pub size_trigger: AtomicU64,
    pub timeout_trigger: AtomicU64,
    pub send_size: Mutex<Histogram>,
    pub send_bytes: Mutex<Histogram>,
    /// Items refused for good by every consumer (dropped, and logged).
    pub refused: AtomicU64,
}

impl Default for Stats {
    fn default() -> Stats {
        Stats {
            size_trigger: AtomicU64::new(0),
            timeout_trigger: AtomicU64::new(0),
            send_size: Mutex::new(Histogram::new(&SEND_SIZE_BUCKETS)),
            send_bytes: Mutex::new(Histogram::new(&SEND_BYTES_BUCKETS)),
            refused: AtomicU64::new(0),
        }
    }
}

pub struct Batcher {
    id: String,
    settings: RwLock<Settings>,
    buffers: [Mutex<Buffer>; 3],
    pub(crate) fanout: Fanout,
    pub stats: Stats,
    conditions: ConditionLog,
    /// Woken when a buffer gets a deadline, so that the timer task sleeps until the earliest one.
    pub wake: tokio::sync::Notify,
}

impl Batcher {
    pub fn new(id: &str, settings: Settings, outputs: Outputs) -> Batcher {
        Batcher {
            id: id.to_string(),
            settings: RwLock::new(settings),
            buffers: Default::default(),
            fanout: Fanout::new(outputs),
            stats: Stats::default(),
            conditions: ConditionLog::default(),
            wake: tokio::sync::Notify::new(),
        }
    }

    pub fn settings(&self) -> Settings {
        *self.settings.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn update(&self, settings: Settings, outputs: Outputs) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = settings;
        self.fanout.set_outputs(outputs);
        self.wake.notify_one();
    }

    fn buffer(&self, signal: Signal) -> std::sync::MutexGuard<'_, Buffer> {
        self.buffers[signal.index()]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Items waiting per signal (held batches included).
    pub fn waiting(&self) -> [usize; 3] {
        Signal::ALL.map(|s| {
            let b = self.buffer(s);
            b.items + b.held.as_ref().map_or(0, |(h, _)| h.data.items())
        })
    }

    /// Sends what is due: held batches, full batches, batches whose timeout is up (`force`: every item,
    /// when stopping). Returns when to look again.
    pub fn tick(&self, now: Instant, force: bool) -> Option<Instant> {
        let settings = self.settings();
        let mut next: Option<Instant> = None;
        for s in Signal::ALL {
            let mut b = self.buffer(s);
            self.flush(&mut b, &settings, now, force);
            for t in [b.deadline, b.held.as_ref().map(|h| h.1)]
                .into_iter()
                .flatten()
            {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        if self.fanout.has_pending() {
            self.log_refusals(self.fanout.retry_pending().0, 0);
            if self.fanout.has_pending() {
                let t = now + FULL_RETRY;
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        next
    }

    fn flush(&self, b: &mut Buffer, settings: &Settings, now: Instant, force: bool) {
        if let Some((held, _)) = b.held.take() {
            if !self.send(b, held, now) {
                return;
            }
        }
        let mut sent_for_size = false;
        if !settings.timer() || force {
            while b.items > 0 {
                let trigger = if force {
                    Trigger::Timeout
                } else {
                    Trigger::Size
                };
                let held = cut(b, settings.max(), trigger);
                if !self.send(b, held, now) {
                    return;
                }
            }
            b.deadline = None;
            return;
        }
        while b.items >= settings.send_batch_size {
            let held = cut(b, settings.max(), Trigger::Size);
            sent_for_size = true;
            if !self.send(b, held, now) {
                b.deadline = (b.items > 0).then_some(now + settings.timeout);
                return;
            }
        }
        if sent_for_size {
            b.deadline = (b.items > 0).then_some(now + settings.timeout);
        }
        if b.items > 0 && b.deadline.is_some_and(|d| d <= now) {
            let held = cut(b, settings.max(), Trigger::Timeout);
            b.deadline = None;
            let ok = self.send(b, held, now);
            if ok && b.items > 0 {
                b.deadline = Some(now + settings.timeout);
            }
        }
        if b.items == 0 {
            b.deadline = None;
        }
    }

    /// Offers a batch to the consumers: `false` when they were full (the batch is held).
    fn send(&self, b: &mut Buffer, held: Held, now: Instant) -> bool {
        let items = held.data.items();
        match self.fanout.send(&held.data, held.token.as_ref()) {
            Ok(refusals) => {
                match held.trigger {
                    Trigger::Size => &self.stats.size_trigger,
                    Trigger::Timeout => &self.stats.timeout_trigger,
                }
                .fetch_add(1, Ordering::Relaxed);
                self.stats
                    .send_size
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .observe(items as f64);
                self.stats
                    .send_bytes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .observe(held.data.encoded_len() as f64);
                self.log_refusals(refusals, items);
                if !self.fanout.has_pending() {
                    self.conditions.ok(&self.id);
                }
                true
            }
            Err(e @ (ConsumeError::Full { .. } | ConsumeError::Overloaded(_))) => {
                let retry_after = match &e {
                    ConsumeError::Full { retry_after, .. } => *retry_after,
                    _ => FULL_RETRY,
                };
                let reason = e.reason().to_string();
                self.conditions.fail(
                    &self.id,
                    &format!(
                        "holding a batch of {items} {}: {reason}",
                        held.data.signal().items()
                    ),
                    0,
                );
                b.held = Some((held, now + retry_after.min(FULL_RETRY)));
                false
            }
            Err(ConsumeError::Refused(reason)) => {
                self.stats
                    .refused
                    .fetch_add(items as u64, Ordering::Relaxed);
                self.conditions.fail(
                    &self.id,
                    &format!(
                        "dropped {} refused by every consumer: {reason}",
                        held.data.signal().items().replace('_', " ")
                    ),
                    items,
                );
                true
            }
        }
    }

    fn log_refusals(&self, refusals: Vec<(String, String)>, items: usize) {
        for (consumer, why) in refusals {
            self.conditions.fail(
                &self.id,
                &format!("{consumer} refused a batch: {why}"),
                items,
            );
        }
    }
}

/// Cuts the first batch (at most `max` items) out of the buffer, with the tokens of the requests it
/// carries items of.
fn cut(b: &mut Buffer, max: usize, trigger: Trigger) -> Held {
    let data = if b.items <= max {
        b.items = 0;
        b.data.take().expect("items without data")
    } else {
        b.items -= max;
        b.data
            .as_mut()
            .expect("items without data")
            .split_off_front(max)
    };
    let end = b.sent + data.items() as u64;
    b.sent = end;
    let mut tokens = Vec::new();
    while let Some((_, e)) = b.tokens.front() {
        if *e <= end {
            tokens.push(b.tokens.pop_front().expect("front").0);
        } else {
            // This request goes on in the next batch: both hold its token.
            tokens.push(b.tokens[0].0.clone());
            break;
        }
    }
    let token = match tokens.len() {
        0 => None,
        1 => tokens.pop(),
        _ => Some(Token::combine(tokens)),
    };
    Held {
        data,
        token,
        trigger,
    }
}

impl Consume for Batcher {
    fn consume(&self, data: &Data, token: Option<&Token>) -> Result<(), ConsumeError> {
        self.take(Cow::Borrowed(data), token).map_err(|(e, _)| e)
    }

    fn consume_owned(&self, data: Data, token: Option<&Token>) -> Result<(), (ConsumeError, Data)> {
        self.take(Cow::Owned(data), token)
            .map_err(|(e, d)| (e, d.into_owned()))
    }
}

impl Batcher {
    /// Adds a request to its signal's buffer (moved in when the sender handed it over, copied when it was
    /// lent) and sends what is due.
    fn take<'a>(
        &self,
        data: Cow<'a, Data>,
        token: Option<&Token>,
    ) -> Result<(), (ConsumeError, Cow<'a, Data>)> {
        let n = data.items();
        if n == 0 {
            return Ok(());
        }
        let settings = self.settings();
        let signal = data.signal();
        let now = Instant::now();
        let mut b = self.buffer(signal);
        let waiting = b.items + b.held.as_ref().map_or(0, |(h, _)| h.data.items());
        if waiting > 0 && waiting + n > settings.bound() {
            let e = ConsumeError::Full {
                retry_after: FULL_RETRY,
                reason: format!(
                    "{} holds {waiting} {} for consumers that are full",
                    self.id,
                    signal.items()
                ),
            };
            return Err((e, data));
        }
        match b.data.as_mut() {
            Some(d) => d.merge(data.into_owned()),
            None => b.data = Some(data.into_owned()),
        }
        b.items += n;
        if let Some(t) = token {
            let end = b.sent + b.items as u64;
            b.tokens.push_back((t.clone(), end));
        }
        let new_deadline = settings.timer() && b.deadline.is_none();
        if new_deadline {
            b.deadline = Some(now + settings.timeout);
        }
        self.flush(&mut b, &settings, now, false);
        let notify = b.deadline.is_some() && new_deadline || b.held.is_some();
        drop(b);
        if notify {
            self.wake.notify_one();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingot_otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
    use ingot_otlp::{Consumer, Traces};
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    #[derive(Default)]
    struct Sink {
        batches: Mutex<Vec<Vec<u8>>>,
        full: AtomicBool,
        held: Mutex<Vec<Token>>,
    }

    impl Consume for Sink {
        fn consume(&self, data: &Data, token: Option<&Token>) -> Result<(), ConsumeError> {
            if self.full.load(Ordering::SeqCst) {
                return Err(ConsumeError::Full {
                    retry_after: Duration::from_millis(1),
                    reason: "full".into(),
                });
            }
            let Data::Traces(t) = data else { panic!() };
            let ids = t
                .resource_spans
                .iter()
                .flat_map(|r| &r.scope_spans)
                .flat_map(|s| &s.spans)
                .map(|s| s.span_id[0])
                .collect();
            self.batches.lock().unwrap().push(ids);
            if let Some(t) = token {
                self.held.lock().unwrap().push(t.clone());
            }
            Ok(())
        }
    }

    fn spans(ids: std::ops::Range<u8>) -> Data {
        Data::Traces(Traces {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: ids
                        .map(|i| Span {
                            span_id: vec![i],
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
    }

    fn batcher(sink: &Arc<Sink>, size: usize, max: usize) -> Batcher {
        Batcher::new(
            "otelcol.processor.batch.test",
            Settings {
                timeout: Duration::from_millis(200),
                send_batch_size: size,
                send_batch_max_size: max,
            },
            Outputs {
                traces: vec![Consumer::new("sink", sink.clone())],
                ..Default::default()
            },
        )
    }

    #[tokio::test]
    async fn batches_by_size_then_by_timeout_and_cuts_at_the_max() {
        let sink = Arc::new(Sink::default());
        let b = batcher(&sink, 4, 5);
        b.consume(&spans(0..3), None).unwrap();
        assert!(sink.batches.lock().unwrap().is_empty());
        // 3 + 9 = 12 items: two batches of 5 (size trigger), 2 wait for the timeout.
        b.consume(&spans(3..12), None).unwrap();
        assert_eq!(
            *sink.batches.lock().unwrap(),
            vec![vec![0, 1, 2, 3, 4], vec![5, 6, 7, 8, 9]]
        );
        let start = Instant::now();
        let due = b.tick(start, false).expect("a deadline");
        assert!(
            due <= start + Duration::from_millis(200) && due > start,
            "{due:?}"
        );
        assert_eq!(sink.batches.lock().unwrap().len(), 2);
        assert_eq!(b.tick(due, false), None);
        assert_eq!(sink.batches.lock().unwrap()[2], vec![10, 11]);
        assert_eq!(b.stats.size_trigger.load(Ordering::SeqCst), 2);
        assert_eq!(b.stats.timeout_trigger.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn requests_handed_over_are_batched_as_lent_ones() {
        let sink = Arc::new(Sink::default());
        let b = batcher(&sink, 4, 5);
        b.consume_owned(spans(0..3), None).unwrap();
        b.consume(&spans(3..6), None).unwrap();
        b.consume_owned(spans(6..12), None).unwrap();
        b.tick(Instant::now() + Duration::from_secs(1), false);
        assert_eq!(
            *sink.batches.lock().unwrap(),
            vec![vec![0, 1, 2, 3, 4], vec![5, 6, 7, 8, 9], vec![10, 11]]
        );
    }

    #[tokio::test]
    async fn a_request_cut_in_two_is_answered_after_both_halves() {
        let sink = Arc::new(Sink::default());
        let b = batcher(&sink, 4, 4);
        let (mut r1, t1) = ingot_otlp::receipt();
        let (mut r2, t2) = ingot_otlp::receipt();
        b.consume(&spans(0..3), Some(&t1)).unwrap();
        b.consume(&spans(3..6), Some(&t2)).unwrap();
        drop((t1, t2));
        // Batch [0..4) went: request 1 is in it whole, request 2 in part.
        assert_eq!(sink.batches.lock().unwrap().len(), 1);
        sink.held.lock().unwrap().clear();
        assert_eq!(r1.try_stored(), Some(Ok(())));
        assert_eq!(r2.try_stored(), None);
        b.tick(Instant::now() + Duration::from_secs(1), false);
        assert_eq!(sink.batches.lock().unwrap()[1], vec![4, 5]);
        sink.held.lock().unwrap().clear();
        assert_eq!(r2.try_stored(), Some(Ok(())));
    }

    #[tokio::test]
    async fn full_consumers_bound_the_buffer_and_lose_nothing() {
        let sink = Arc::new(Sink::default());
        sink.full.store(true, Ordering::SeqCst);
        let b = batcher(&sink, 10, 10);
        let bound = b.settings().bound();
        let mut taken = 0usize;
        let mut refused = 0;
        for i in 0..2000u32 {
            let id = (i % 200) as u8;
            // Lent and handed over in turn: a request handed over that is not taken comes back unchanged.
            let result = if i % 2 == 0 {
                b.consume(&spans(id..id + 10), None)
            } else {
                b.consume_owned(spans(id..id + 10), None)
                    .map_err(|(e, back)| {
                        assert_eq!(back, spans(id..id + 10));
                        e
                    })
            };
            match result {
                Ok(()) => taken += 10,
                Err(ConsumeError::Full { .. }) => refused += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(taken <= bound + 10 && refused > 0, "{taken} {refused}");
        sink.full.store(false, Ordering::SeqCst);
        let mut now = Instant::now();
        while b.waiting()[0] > 0 {
            now += Duration::from_millis(300);
            b.tick(now, false);
        }
        let got: usize = sink.batches.lock().unwrap().iter().map(Vec::len).sum();
        assert_eq!(got, taken);
    }

    #[tokio::test]
    async fn without_a_timer_every_request_goes_at_once() {
        let sink = Arc::new(Sink::default());
        let b = batcher(&sink, 0, 2);
        b.consume(&spans(0..5), None).unwrap();
        assert_eq!(
            *sink.batches.lock().unwrap(),
            vec![vec![0, 1], vec![2, 3], vec![4]]
        );
    }
}
