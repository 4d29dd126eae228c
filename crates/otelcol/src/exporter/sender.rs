//! What every network exporter shares (the collector's `exporterhelper`): the sending queue (in memory,
//! or on disk with `storage`), `num_consumers` senders, `retry_on_failure` with the server's retry hints,
//! the per-attempt timeout, the `otelcol_exporter_*` counts, health and logs.
//!
//! Nothing is dropped silently: data the queue cannot take is answered `Full` (the sender keeps it and
//! offers it again; a receiver tells its client to retry) and counted in `enqueue_failed`; a request the
//! server refuses for good, or that still fails when `max_elapsed_time` is up, is counted in
//! `send_failed` and logged, once per change of condition, with the count.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ingot_otlp::{Consume, ConsumeError, Data, Signal, Token};
use ingot_runtime::component::{DebugMetric, Desc};
use ingot_runtime::health::HealthReporter;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::persistent::PersistentQueue;
use crate::conditions::ConditionLog;
use crate::config::queue::{Queue, Retry};
use crate::metrics::{ExporterCounts, EXPORTER_QUEUE_CAPACITY, EXPORTER_QUEUE_SIZE};

/// What one attempt came to.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Accepted; `rejected` items were refused by the server in a partial success, with its message.
    Sent { rejected: u64, message: String },
    /// Worth trying again (connection errors, 429/502/503/504, UNAVAILABLE, ...), after `after` if the
    /// server said when.
    Retry {
        after: Option<Duration>,
        error: String,
    },
    /// Refused for good.
    Permanent(String),
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// How requests leave: OTLP/gRPC or OTLP/HTTP.
pub trait Transport: Send + Sync + 'static {
    /// Sends one encoded (protobuf) request of `signal`.
    fn send<'a>(&'a self, signal: Signal, body: &'a Bytes) -> SendFuture<'a>;
    /// Where `signal` goes, for logs and health.
    fn endpoint(&self, signal: Signal) -> String;
}

/// One queued request.
pub struct Item {
    pub signal: Signal,
    pub items: usize,
    pub body: Bytes,
    /// Where the request ends in the persistent queue (to mark it done there).
    pub position: Option<ingot_wal::Position>,
    /// The sender's receipt token, held until the request is finished when the sender waits for the
    /// result (`wait_for_result`, or no queue at all).
    pub token: Option<Token>,
}

/// The in-memory part of the queue: requests waiting for a sender.
#[derive(Default)]
pub struct Dispatch {
    items: Mutex<VecDeque<Item>>,
    ready: tokio::sync::Notify,
}

impl Dispatch {
    pub fn len(&self) -> usize {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&self, item: Item) {
        self.items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(item);
        self.ready.notify_one();
    }

    fn pop(&self) -> Option<Item> {
        self.items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }

    async fn next(&self, stop: &CancellationToken) -> Option<Item> {
        loop {
            // Register interest before looking, so that a push between the look and the wait is not missed.
            let notified = self.ready.notified();
            if let Some(i) = self.pop() {
                return Some(i);
            }
            tokio::select! {
                _ = notified => {}
                _ = stop.cancelled() => return None,
            }
        }
    }
}

enum Store {
    Memory,
    Disk(Arc<PersistentQueue>),
}

/// What an update may change while the queue keeps its content.
pub struct Settings {
    pub transport: Arc<dyn Transport>,
    pub queue: Queue,
    pub retry: Retry,
    pub timeout: Duration,
}

/// The exporter's state that its `input` consumer, its senders and its metrics share.
pub struct Sender {
    pub id: String,
    pub otel_id: String,
    settings: std::sync::RwLock<Arc<Settings>>,
    dispatch: Arc<Dispatch>,
    /// Set when the exporter starts (a queue on disk is opened then); until then `consume` answers `Full`.
    store: std::sync::OnceLock<Store>,
    pub counts: ExporterCounts,
    /// Requests taken and not yet finished (sent or given up), per signal: the queue's size.
    queued: [AtomicU64; 3],
    /// What the memory queue holds, by the configured sizer.
    used_units: AtomicU64,
    in_flight: AtomicU64,
    conditions: ConditionLog,
    health: HealthReporter,
    last_error: Mutex<Option<(String, Instant)>>,
    failing: AtomicBool,
    rng: Mutex<u64>,
}

impl Sender {
    /// A sender for `transport`; its queue is set by [`Sender::set_store`] when the exporter starts.
    pub fn new(
        id: &str,
        otel_id: String,
        settings: Settings,
        health: HealthReporter,
        dispatch: Arc<Dispatch>,
    ) -> Sender {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            | 1;
        Sender {
            id: id.to_string(),
            otel_id,
            settings: std::sync::RwLock::new(Arc::new(settings)),
            dispatch,
            store: std::sync::OnceLock::new(),
            counts: ExporterCounts::default(),
            queued: Default::default(),
            used_units: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            conditions: ConditionLog::default(),
            health,
            last_error: Mutex::new(None),
            failing: AtomicBool::new(false),
            rng: Mutex::new(seed),
        }
    }

    /// The queue: in memory, or `persistent` on disk. Set once.
    pub fn set_store(&self, persistent: Option<Arc<PersistentQueue>>) {
        let _ = self.store.set(match persistent {
            Some(p) => Store::Disk(p),
            None => Store::Memory,
        });
    }

    fn store(&self) -> Option<&Store> {
        self.store.get()
    }

    fn in_memory(&self) -> bool {
        matches!(self.store(), Some(Store::Memory))
    }

    pub fn settings(&self) -> Arc<Settings> {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Applies new settings; the queue keeps what it holds. The caller restarts the senders when
    /// `num_consumers` changed.
    pub fn set_settings(&self, settings: Settings) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(settings);
        self.refresh_health();
    }

    /// Requests queued or being sent.
    pub fn queue_size(&self) -> u64 {
        match self.store() {
            Some(Store::Disk(p)) => p.outstanding(),
            _ => self.queued.iter().map(|q| q.load(Ordering::Relaxed)).sum(),
        }
    }

    /// The queue's capacity. Without a queue (`enabled = false`) a request is sent while its sender waits,
    /// so there are at most `num_consumers` of them.
    fn capacity(&self) -> u64 {
        let q = &self.settings().queue;
        if q.enabled {
            q.queue_size
        } else {
            q.num_consumers as u64
        }
    }

    /// Whether the sender's receipt waits for the request to be sent.
    fn waits_for_result(&self) -> bool {
        let q = &self.settings().queue;
        !q.enabled || q.wait_for_result
    }

    /// How much of the queue `data` takes, by the configured sizer.
    fn size_of(&self, items: usize, bytes: usize) -> u64 {
        let q = &self.settings().queue;
        if !q.enabled {
            return 1;
        }
        match q.sizer.as_str() {
            "items" => items as u64,
            "bytes" => bytes as u64,
            _ => 1,
        }
    }

    fn used(&self) -> u64 {
        let q = &self.settings().queue;
        match self.store() {
            Some(Store::Memory) if q.enabled && q.sizer != "requests" => {
                self.used_units.load(Ordering::Relaxed)
            }
            _ => self.queue_size(),
        }
    }

    /// Starts `num_consumers` senders on `tasks`; they stop with `stop` (a memory queue is drained
    /// first, one attempt per request).
    pub fn start(self: &Arc<Self>, tasks: &TaskTracker, stop: CancellationToken) {
        for _ in 0..self.settings().queue.num_consumers {
            let me = self.clone();
            let stop = stop.clone();
            tasks.spawn(async move { me.consume_loop(stop).await });
        }
        self.refresh_health();
    }

    async fn consume_loop(self: Arc<Self>, stop: CancellationToken) {
        while let Some(item) = self.dispatch.next(&stop).await {
            self.in_flight.fetch_add(1, Ordering::Relaxed);
            self.deliver(&item, &stop).await;
            self.in_flight.fetch_sub(1, Ordering::Relaxed);
            self.finish(&item);
        }
        // Stopping: a disk queue keeps what it holds for the next start. A memory queue is drained with one
        // attempt per request while the endpoint answers; once it fails, what is left is counted as failed
        // without waiting a timeout for each.
        if self.in_memory() {
            while let Some(item) = self.dispatch.pop() {
                let outcome = if self.failing.load(Ordering::Relaxed) {
                    Outcome::Permanent(
                        "the exporter is stopping and its endpoint is failing".into(),
                    )
                } else {
                    self.attempt(&item).await
                };
                self.record(&item, outcome, true);
                self.finish(&item);
            }
        }
    }

    fn finish(&self, item: &Item) {
        match self.store() {
            Some(Store::Disk(p)) => {
                if let Some(pos) = item.position {
                    p.done(pos);
                }
            }
            _ => {
                self.queued[item.signal.index()].fetch_sub(1, Ordering::Relaxed);
                self.used_units
                    .fetch_sub(self.size_of(item.items, item.body.len()), Ordering::Relaxed);
            }
        }
    }

    async fn attempt(&self, item: &Item) -> Outcome {
        let s = self.settings();
        match tokio::time::timeout(s.timeout, s.transport.send(item.signal, &item.body)).await {
            Ok(o) => o,
            Err(_) => Outcome::Retry {
                after: None,
                error: format!(
                    "context deadline exceeded (no answer within the timeout of {})",
                    ingot_gocompat::time::format_std_duration(s.timeout)
                ),
            },
        }
    }

    fn endpoint(&self, signal: Signal) -> String {
        self.settings().transport.endpoint(signal)
    }

    fn jitter(&self) -> f64 {
        let mut s = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        // xorshift64*
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        let x = s.wrapping_mul(0x2545F4914F6CDD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Sends `item` until it is accepted, refused for good, or `max_elapsed_time` is up.
    async fn deliver(&self, item: &Item, stop: &CancellationToken) {
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            let outcome = self.attempt(item).await;
            let retry = self.settings().retry.clone();
            let retry_after = match &outcome {
                Outcome::Retry { after, .. } if retry.enabled => *after,
                _ => {
                    self.record(item, outcome, false);
                    return;
                }
            };
            let mut wait = retry.randomized(attempt, self.jitter());
            if let Some(hint) = retry_after {
                wait = wait.max(hint);
            }
            attempt = attempt.saturating_add(1);
            let max = retry.max_elapsed_time;
            if !max.is_zero() && started.elapsed() + wait > max {
                let Outcome::Retry { error, .. } = outcome else {
                    unreachable!()
                };
                self.record(
                    item,
                    Outcome::Permanent(format!(
                        "no more retries left after {} (max_elapsed_time): {error}",
                        ingot_gocompat::time::format_std_duration(started.elapsed())
                    )),
                    false,
                );
                return;
            }
            if let Outcome::Retry { error, .. } = &outcome {
                self.note_failure(item.signal, error, true);
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.cancelled() => {
                    // Stopping: a disk queue keeps the request for the next start; in memory it is given
                    // up, and counted.
                    if self.in_memory() {
                        self.record(item, outcome, true);
                    }
                    return;
                }
            }
        }
    }

    fn record(&self, item: &Item, outcome: Outcome, stopping: bool) {
        let signal = item.signal;
        match outcome {
            Outcome::Sent { rejected, message } => {
                let rejected = rejected.min(item.items as u64);
                self.counts.sent.add(signal, item.items - rejected as usize);
                if rejected > 0 {
                    self.counts.send_failed.add(signal, rejected as usize);
                    self.conditions.fail(
                        &self.id,
                        &format!(
                            "{} rejected {} in a partial success: {message}",
                            self.endpoint(signal),
                            signal.items().replace('_', " ")
                        ),
                        rejected as usize,
                    );
                } else {
                    self.conditions.ok(&self.id);
                }
                self.note_success();
            }
            Outcome::Retry { error, .. } | Outcome::Permanent(error) => {
                self.counts.send_failed.add(signal, item.items);
                if let Some(t) = &item.token {
                    t.fail(format!(
                        "exporting to {} failed: {error}",
                        self.endpoint(signal)
                    ));
                }
                let why = if stopping {
                    format!("dropped while stopping: {error}")
                } else if !self.settings().retry.enabled {
                    format!("dropped (retry_on_failure is disabled): {error}")
                } else {
                    format!("dropped: {error}")
                };
                self.conditions.fail(
                    &self.id,
                    &format!(
                        "exporting {} to {} failed, {} {why}",
                        signal.as_str(),
                        self.endpoint(signal),
                        signal.items().replace('_', " ")
                    ),
                    item.items,
                );
                self.note_failure(signal, &error, false);
            }
        }
    }

    fn note_failure(&self, signal: Signal, error: &str, retrying: bool) {
        // The signal is left out of the condition: an endpoint that is down fails every signal alike, and
        // the log says so once, not once per signal in turn.
        let msg = format!(
            "sending to {} failed{}: {error}",
            self.endpoint(signal),
            if retrying { " (retrying)" } else { "" }
        );
        if retrying {
            self.conditions.fail(&self.id, &msg, 0);
        }
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some((msg, Instant::now()));
        self.failing.store(true, Ordering::Relaxed);
        self.refresh_health();
    }

    fn note_success(&self) {
        if self.failing.swap(false, Ordering::Relaxed) {
            self.refresh_health();
        }
    }

    /// Unhealthy while sending fails, naming the endpoint and the last error (the queue's size is in the
    /// debug info and metrics: in the message it would make every change of it a new health report).
    pub fn refresh_health(&self) {
        if self.failing.load(Ordering::Relaxed) {
            if let Some((msg, _)) = self
                .last_error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
            {
                self.health.unhealthy(msg);
                return;
            }
        }
        self.health.healthy("started component");
    }

    pub fn metrics(&self, out: &mut Vec<DebugMetric>) {
        self.counts.samples(&self.otel_id, out);
        let size = self.used() as f64;
        let cap = self.capacity() as f64;
        // The collector reports the queue under the exporter's signals; ingot's queue is shared, so each
        // signal shows the whole queue, as one queue per signal would if only that signal flowed.
        for s in Signal::ALL {
            let labels = [s.as_str().to_string(), self.otel_id.clone()];
            out.push(DebugMetric::new(queue_desc(), labels.clone(), size));
            out.push(DebugMetric::new(&EXPORTER_QUEUE_CAPACITY, labels, cap));
        }
    }

    pub fn debug_info(&self) -> ingot_syntax::value::Value {
        use ingot_syntax::value::Value;
        let last = self
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut fields = vec![
            ("queue_size", Value::uint(self.used())),
            ("queue_capacity", Value::uint(self.capacity())),
            (
                "in_flight",
                Value::uint(self.in_flight.load(Ordering::Relaxed)),
            ),
        ];
        if let Some((e, _)) = last {
            fields.push(("last_error", Value::string(e)));
        }
        Value::object(fields)
    }
}

fn queue_desc() -> &'static Desc {
    &EXPORTER_QUEUE_SIZE
}

impl Consume for Sender {
    fn consume(&self, data: &Data, token: Option<&Token>) -> Result<(), ConsumeError> {
        let items = data.items();
        if items == 0 {
            return Ok(());
        }
        let signal = data.signal();
        let Some(store) = self.store() else {
            return Err(ConsumeError::Full {
                retry_after: Duration::from_millis(200),
                reason: format!("{} has not started yet", self.id),
            });
        };
        let body = Bytes::from(data.encode_proto());
        let size = self.size_of(items, body.len());
        let full = |reason: String| {
            self.counts.enqueue_failed.add(signal, items);
            self.conditions
                .fail(&self.id, &format!("sending queue is full: {reason}"), items);
            ConsumeError::Full {
                retry_after: Duration::from_millis(200),
                reason: format!("sending queue is full: {reason}"),
            }
        };
        match store {
            Store::Memory => {
                let capacity = self.capacity();
                // Reserve the room first, so that concurrent senders cannot both take the last of it.
                let used = self.used_units.fetch_add(size, Ordering::AcqRel);
                if used > 0 && used + size > capacity {
                    self.used_units.fetch_sub(size, Ordering::AcqRel);
                    return Err(full(format!(
                        "{used} of {capacity} {} queued",
                        self.settings().queue.sizer
                    )));
                }
                self.queued[signal.index()].fetch_add(1, Ordering::Relaxed);
                self.dispatch.push(Item {
                    signal,
                    items,
                    body,
                    position: None,
                    token: if self.waits_for_result() {
                        token.cloned()
                    } else {
                        None
                    },
                });
                Ok(())
            }
            Store::Disk(p) => {
                if p.outstanding() >= self.capacity() {
                    return Err(full(format!(
                        "{} of {} requests queued on disk",
                        p.outstanding(),
                        self.capacity()
                    )));
                }
                p.offer(signal, items, &body, token).map_err(full)
            }
        }
    }
}
