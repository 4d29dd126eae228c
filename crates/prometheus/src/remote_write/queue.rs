//! One endpoint's queue: a reader of the WAL that hands samples to shards (a series always goes to the same
//! shard, so its samples stay in timestamp order), shards that batch and send with retries, and the
//! delivered position, persisted as soon as it moves so that a restart, even after SIGKILL, resends exactly
//! what was not acknowledged.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ingot_prom::exposition::Histogram;
use ingot_prom::labels::{Labels, LabelsBuilder};
use ingot_prom::relabel::{process_with, NameScheme, Rule, Scratch};
use ingot_prom::remote_write::client::{send_with_retries, RetryObserver};
use ingot_prom::remote_write::encode::{encode_v1, encode_v2, snappy_compress};
use ingot_prom::remote_write::{Backoff, Client, ExternalLabels, Outcome, Protocol, SendError};
use ingot_prom::sample::{is_stale_nan, Metadata, Sample};
use ingot_runtime::health::HealthReporter;
use ingot_wal::checkpoint::{load_position, save_position, PositionSaver};
use ingot_wal::chunk::{read_chunk, ChunkEnd};
use ingot_wal::thread::WalThread;
use ingot_wal::Position;
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::args::Endpoint;
use super::codec;

/// How long a stopping queue keeps trying to deliver what it holds. What is left stays in the WAL and is
/// sent after the next start; shorter than the runtime's component shutdown deadline.
pub const FLUSH_DEADLINE: Duration = Duration::from_secs(8);

/// Counters, gauges and the send-duration histogram of one endpoint (`prometheus_remote_storage_*`).
#[derive(Debug)]
pub struct EndpointMetrics {
    pub samples_total: AtomicU64,
    pub samples_failed_total: AtomicU64,
    pub samples_retried_total: AtomicU64,
    pub samples_dropped_total: AtomicU64,
    pub samples_relabel_dropped_total: AtomicU64,
    pub samples_pending: AtomicI64,
    pub shards: AtomicU64,
    pub shards_min: AtomicU64,
    pub shards_max: AtomicU64,
    pub highest_sent_timestamp_ms: AtomicI64,
    /// Each try of a send (samples or metadata), as Prometheus observes it.
    pub sent_batch_duration: Mutex<Histogram>,
    pub sent_bytes_total: AtomicU64,
    pub metadata_bytes_total: AtomicU64,
    pub metadata_total: AtomicU64,
    pub metadata_failed_total: AtomicU64,
}

impl Default for EndpointMetrics {
    fn default() -> EndpointMetrics {
        EndpointMetrics {
            samples_total: AtomicU64::new(0),
            samples_failed_total: AtomicU64::new(0),
            samples_retried_total: AtomicU64::new(0),
            samples_dropped_total: AtomicU64::new(0),
            samples_relabel_dropped_total: AtomicU64::new(0),
            samples_pending: AtomicI64::new(0),
            shards: AtomicU64::new(0),
            shards_min: AtomicU64::new(0),
            shards_max: AtomicU64::new(0),
            highest_sent_timestamp_ms: AtomicI64::new(0),
            sent_batch_duration: Mutex::new(Histogram::new(super::metrics::SENT_BATCH_BUCKETS)),
            sent_bytes_total: AtomicU64::new(0),
            metadata_bytes_total: AtomicU64::new(0),
            metadata_total: AtomicU64::new(0),
            metadata_failed_total: AtomicU64::new(0),
        }
    }
}

impl EndpointMetrics {
    fn observe_send(&self, took: Duration) {
        self.sent_batch_duration
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .observe(took.as_secs_f64());
    }
}

/// What the component shows of an endpoint.
pub struct EndpointState {
    pub id: String,
    pub url: String,
    pub metrics: EndpointMetrics,
    pub protocol: Mutex<Protocol>,
    pub delivered: Mutex<Option<Position>>,
}

/// The component's health across endpoints: unhealthy while any endpoint's last attempt failed, with the
/// endpoint and what happened.
pub struct HealthBoard {
    reporter: HealthReporter,
    errors: Mutex<BTreeMap<String, String>>,
    /// Settings accepted without effect, named in every health message.
    notes: Mutex<Vec<String>>,
}

impl HealthBoard {
    pub fn new(reporter: HealthReporter) -> HealthBoard {
        HealthBoard {
            reporter,
            errors: Mutex::new(BTreeMap::new()),
            notes: Mutex::new(Vec::new()),
        }
    }

    /// Sets the warnings shown after the health message, and reports at once.
    pub fn set_notes(&self, notes: Vec<String>) {
        *self.notes.lock().unwrap_or_else(|e| e.into_inner()) = notes;
        let errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        self.report(&errors);
    }

    fn report(&self, errors: &BTreeMap<String, String>) {
        let notes = self.notes.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let suffix = if notes.is_empty() {
            String::new()
        } else {
            format!(" (accepted without effect: {})", notes.join("; "))
        };
        if errors.is_empty() {
            self.reporter
                .healthy(format!("all endpoints accept data{suffix}"));
        } else {
            let msg: Vec<&str> = errors.values().map(String::as_str).collect();
            self.reporter
                .unhealthy(format!("{}{suffix}", msg.join("; ")));
        }
    }

    pub fn set(&self, key: &str, error: Option<String>) {
        let mut errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        let changed = match error {
            Some(e) => errors.insert(key.to_string(), e.clone()).as_deref() != Some(e.as_str()),
            None => errors.remove(key).is_some(),
        };
        if !changed {
            return;
        }
        self.report(&errors);
    }
}

/// What every endpoint of one component shares.
pub struct Shared {
    /// The WAL's own thread: every write, sync, removal and position save goes through it.
    pub wal: WalThread,
    pub appended: watch::Receiver<u64>,
    pub external: Arc<ExternalLabels>,
    pub metadata: Arc<Mutex<HashMap<String, Metadata>>>,
    pub health: Arc<HealthBoard>,
    pub positions_dir: PathBuf,
}

struct RecordAck {
    remaining: AtomicUsize,
    end: Position,
}

struct Item {
    sample: Sample,
    ack: Arc<RecordAck>,
}

struct ShardContext {
    endpoint: Endpoint,
    client: Client,
    /// What the encoder adds to each series: the external labels, or nothing when `write_relabel_config`
    /// rules already saw (and may have changed) them.
    external: Arc<ExternalLabels>,
    state: Arc<EndpointState>,
    shared: Arc<Shared>,
    acked: Notify,
}

/// Where an endpoint's delivered position is kept: a readable part of its name (at most 64 characters of
/// `[A-Za-z0-9_-]`, the rest `_`) and a hash of the whole name, so that names differing only in
/// punctuation (`store.a`, `store:a`) or longer than a file name may be never share or lose a file.
pub fn position_file(positions_dir: &std::path::Path, id: &str) -> PathBuf {
    let readable: String = id
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let hash = xxhash_rust::xxh64::xxh64(id.as_bytes(), 0);
    positions_dir.join(format!("{readable}-{hash:016x}.position"))
}

/// The name earlier versions gave the file (punctuation folded to `_`, no hash), read once and renamed.
pub fn legacy_position_file(positions_dir: &std::path::Path, id: &str) -> PathBuf {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    positions_dir.join(format!("{safe}.position"))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Runs one endpoint until `cancel`, then flushes for up to [`FLUSH_DEADLINE`]. `previous` is the task of
/// the same endpoint under older arguments: it must have saved its position before this one reads it.
pub async fn run_endpoint(
    endpoint: Endpoint,
    client: Client,
    state: Arc<EndpointState>,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    previous: Option<tokio::task::JoinHandle<()>>,
) {
    if let Some(p) = previous {
        let _ = p.await;
    }
    let pos_file = position_file(&shared.positions_dir, &state.id);
    let wal = shared.wal.wal().clone();
    let start = {
        let (pos_file, positions_dir, wal) =
            (pos_file.clone(), shared.positions_dir.clone(), wal.clone());
        let id = state.id.clone();
        tokio::task::spawn_blocking(move || {
            let start = match load_position(&pos_file) {
                Ok(Some(p)) => p,
                // The component saves a start position before spawning (or, for a known endpoint whose
                // file went missing, the WAL's start); missing now means it could not: resend what the WAL
                // holds rather than skip it.
                Ok(None) => {
                    tracing::warn!(endpoint = %id, "no saved WAL position; resending everything the WAL holds rather than losing data");
                    wal.start()
                }
                Err(e) => {
                    tracing::warn!(endpoint = %id, "{e}; resending everything the WAL holds rather than losing data");
                    wal.start()
                }
            };
            let saved = std::fs::create_dir_all(&positions_dir)
                .and_then(|()| save_position(&pos_file, start, true));
            (start, saved)
        })
        .await
    };
    let start = match start {
        Ok((start, saved)) => {
            if let Err(e) = saved {
                shared.health.set(
                    &state.id,
                    Some(format!(
                        "endpoint {}: saving the WAL position: {e}",
                        state.url
                    )),
                );
            }
            start
        }
        Err(e) => {
            shared.health.set(
                &state.id,
                Some(format!(
                    "endpoint {}: reading the WAL position: {e}",
                    state.url
                )),
            );
            return;
        }
    };
    *state.delivered.lock().unwrap() = Some(start);
    let n_shards = endpoint.queue.min_shards.max(1);
    let m = &state.metrics;
    m.shards.store(n_shards as u64, Ordering::Relaxed);
    m.shards_min
        .store(endpoint.queue.min_shards as u64, Ordering::Relaxed);
    m.shards_max
        .store(endpoint.queue.max_shards as u64, Ordering::Relaxed);
    let mut relabel = (!endpoint.write_relabel.is_empty())
        .then(|| WriteRelabel::new(endpoint.write_relabel.clone(), shared.external.clone()));
    let ctx = Arc::new(ShardContext {
        external: if relabel.is_some() {
            Arc::new(ExternalLabels::default())
        } else {
            shared.external.clone()
        },
        endpoint: endpoint.clone(),
        client,
        state: state.clone(),
        shared: shared.clone(),
        acked: Notify::new(),
    });
    let hard = CancellationToken::new();
    let mut shards = JoinSet::new();
    let mut txs = Vec::with_capacity(n_shards);
    for _ in 0..n_shards {
        let (tx, rx) = mpsc::channel(endpoint.queue.capacity);
        txs.push(tx);
        shards.spawn(run_shard(rx, ctx.clone(), hard.clone()));
    }
    let metadata_task = (endpoint.metadata.send && endpoint.protobuf_message == Protocol::V1)
        .then(|| tokio::spawn(run_metadata(ctx.clone(), cancel.clone())));

    let mut tracker: VecDeque<Arc<RecordAck>> = VecDeque::new();
    let positions = {
        let (id, health) = (state.id.clone(), shared.health.clone());
        PositionSaver::new(shared.wal.clone(), pos_file, move |path, result| {
            report_position_save(&health, &id, path, result)
        })
    };
    let mut delivered = start;
    let mut advance = |tracker: &mut VecDeque<Arc<RecordAck>>| {
        let mut moved = false;
        while let Some(front) = tracker.front() {
            if front.remaining.load(Ordering::Acquire) != 0 {
                break;
            }
            delivered = front.end;
            tracker.pop_front();
            moved = true;
        }
        if moved {
            *state.delivered.lock().unwrap() = Some(delivered);
            positions.save(delivered);
        }
        delivered
    };

    let mut reader = Some(wal.reader(start));
    let mut appended = shared.appended.clone();
    let mut samples = Vec::new();
    // Set once stopping: what was queued for the WAL before then (the scrapes' last samples) is written,
    // read and handed to the shards, and then reading ends.
    let mut draining = false;
    'read: loop {
        advance(&mut tracker);
        let (back, records, outcome) = read_chunk(reader.take().expect("the reader is back")).await;
        reader = Some(back);
        for (payload, end) in records {
            if ingot_wal::is_padding(&payload) {
                // Stands in for a damaged record (the WAL says so when it opens): nothing to send.
                samples.clear();
            } else if codec::decode(&payload, &mut samples).is_none() {
                tracing::warn!(endpoint = %state.id, "skipping a WAL record that is not a sample batch");
                samples.clear();
            }
            if let Some(r) = relabel.as_mut() {
                let before = samples.len();
                r.apply(&mut samples);
                state
                    .metrics
                    .samples_relabel_dropped_total
                    .fetch_add((before - samples.len()) as u64, Ordering::Relaxed);
            }
            let ack = Arc::new(RecordAck {
                remaining: AtomicUsize::new(samples.len()),
                end,
            });
            tracker.push_back(ack.clone());
            state
                .metrics
                .samples_pending
                .fetch_add(samples.len() as i64, Ordering::Relaxed);
            for sample in samples.drain(..) {
                let shard = (sample.labels.hash() % n_shards as u64) as usize;
                let item = Item {
                    sample,
                    ack: ack.clone(),
                };
                tokio::select! {
                    biased;
                    r = txs[shard].send(item) => if r.is_err() { break 'read },
                    _ = cancel.cancelled() => break 'read,
                }
            }
        }
        match outcome {
            Ok(ChunkEnd::More) => {}
            Ok(ChunkEnd::End) if draining => break 'read,
            Ok(ChunkEnd::End) => {
                tokio::select! {
                    biased;
                    _ = appended.changed() => {}
                    _ = ctx.acked.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = cancel.cancelled() => {
                        // Wait (bounded) for the WAL's thread to write what is queued, then read it once more.
                        let barrier = shared.wal.clone();
                        let written = tokio::task::spawn_blocking(move || barrier.run(|_| ()));
                        let _ = tokio::time::timeout(FLUSH_DEADLINE / 2, written).await;
                        draining = true;
                    }
                }
            }
            Err(e) => {
                tracing::error!(endpoint = %state.id, "reading the WAL: {e}");
                shared.health.set(
                    &state.id,
                    Some(format!("endpoint {}: reading the WAL: {e}", state.url)),
                );
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = cancel.cancelled() => break 'read,
                }
            }
        }
    }
    // Stopping: no more reads; the shards send what they hold until the flush deadline.
    drop(txs);
    let deadline = tokio::time::Instant::now() + FLUSH_DEADLINE;
    loop {
        tokio::select! {
            r = shards.join_next() => if r.is_none() { break },
            _ = ctx.acked.notified() => { advance(&mut tracker); }
            _ = tokio::time::sleep_until(deadline), if !hard.is_cancelled() => {
                tracing::warn!(endpoint = %state.id, "flush deadline reached; undelivered samples stay in the WAL for the next start");
                hard.cancel();
            }
        }
    }
    let last = advance(&mut tracker);
    // The last position is saved durably, after every save queued before it.
    let saver = shared.wal.clone();
    let pos_file = position_file(&shared.positions_dir, &state.id);
    let id = state.id.clone();
    let health = shared.health.clone();
    let _ = tokio::task::spawn_blocking(move || {
        let _ = saver.run(move |_| {
            report_position_save(
                &health,
                &id,
                &pos_file,
                save_position(&pos_file, last, true),
            )
        });
    })
    .await;
    if let Some(t) = metadata_task {
        t.abort();
    }
}

/// A failed position save makes the component unhealthy, naming the endpoint and the file (a restart would
/// resend what was delivered since the last good save: nothing is lost, but it must not go unnoticed); the
/// next good save clears it.
fn report_position_save(
    health: &HealthBoard,
    id: &str,
    path: &std::path::Path,
    result: std::io::Result<()>,
) {
    let key = format!("{id}/position");
    match result {
        Ok(()) => health.set(&key, None),
        Err(e) => {
            let msg = format!(
                "endpoint {id}: saving its delivered position to {}: {e}",
                path.display()
            );
            tracing::warn!(endpoint = %id, "{msg}");
            health.set(&key, Some(msg));
        }
    }
}

/// Most label sets `write_relabel_config` results are remembered for; beyond, the memory starts over.
const RELABEL_CACHE_MAX: usize = 200_000;

/// An endpoint's `write_relabel_config`: as in Prometheus' queue manager, the external labels are added
/// first and the rules see the result; a dropped series (or one left without labels) is not sent. Results
/// are cached by the stored label set; a staleness marker forgets its series after passing through.
struct WriteRelabel {
    rules: Vec<Rule>,
    external: Arc<ExternalLabels>,
    cache: HashMap<Labels, Option<Labels>>,
    scratch: Scratch,
}

impl WriteRelabel {
    fn new(rules: Vec<Rule>, external: Arc<ExternalLabels>) -> WriteRelabel {
        WriteRelabel {
            rules,
            external,
            cache: HashMap::new(),
            scratch: Scratch::default(),
        }
    }

    fn relabel(&mut self, labels: &Labels) -> Option<Labels> {
        if let Some(out) = self.cache.get(labels) {
            return out.clone();
        }
        let mut lb = LabelsBuilder::new();
        // Merged is sorted and unique by name.
        for (n, v) in self.external.merged(labels) {
            lb.push_unchecked(n, v);
        }
        let out = process_with(&self.rules, &mut lb, &mut self.scratch, NameScheme::Legacy)
            .then(|| lb.labels())
            .filter(|l| !l.is_empty());
        if self.cache.len() >= RELABEL_CACHE_MAX {
            self.cache.clear();
        }
        self.cache.insert(labels.clone(), out.clone());
        out
    }

    /// Relabels `samples` in place, removing the dropped ones.
    fn apply(&mut self, samples: &mut Vec<Sample>) {
        samples.retain_mut(|s| {
            let out = self.relabel(&s.labels);
            if is_stale_nan(s.value) {
                self.cache.remove(&s.labels);
            }
            match out {
                Some(l) => {
                    s.labels = l;
                    true
                }
                None => false,
            }
        });
    }
}

struct Observer<'a> {
    ctx: &'a ShardContext,
    samples: u64,
}

impl RetryObserver for Observer<'_> {
    fn tried(&mut self, took: Duration) {
        self.ctx.state.metrics.observe_send(took);
    }

    fn retrying(&mut self, error: &SendError, delay: Duration) {
        let m = &self.ctx.state.metrics;
        m.samples_retried_total
            .fetch_add(self.samples, Ordering::Relaxed);
        self.ctx.shared.health.set(
            &self.ctx.state.id,
            Some(format!(
                "endpoint {}: {error}; retrying in {delay:?}",
                self.ctx.state.url
            )),
        );
    }

    fn fell_back_to_v1(&mut self, error: &SendError) {
        tracing::warn!(endpoint = %self.ctx.state.id, url = %self.ctx.state.url,
            "{error}; falling back to Remote Write 1.0 for this endpoint");
        *self.ctx.state.protocol.lock().unwrap() = Protocol::V1;
    }
}

/// Metadata requests' tries count in the send-duration histogram too, as in Prometheus.
struct MetadataObserver<'a>(&'a EndpointMetrics);

impl RetryObserver for MetadataObserver<'_> {
    fn tried(&mut self, took: Duration) {
        self.0.observe_send(took);
    }
}

async fn run_shard(mut rx: mpsc::Receiver<Item>, ctx: Arc<ShardContext>, hard: CancellationToken) {
    let q = &ctx.endpoint.queue;
    let mut batch: Vec<Item> = Vec::with_capacity(q.max_samples_per_send);
    loop {
        let first = tokio::select! {
            i = rx.recv() => match i { Some(i) => i, None => return },
            _ = hard.cancelled() => return,
        };
        batch.push(first);
        let deadline = tokio::time::Instant::now() + q.batch_send_deadline;
        while batch.len() < q.max_samples_per_send {
            tokio::select! {
                biased;
                i = rx.recv() => match i { Some(i) => batch.push(i), None => break },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        if !send_batch(&ctx, &mut batch, &hard).await {
            return;
        }
    }
}

/// How many more requests one batch may take when the receiver refuses some of its samples. Bisection
/// finds one refused sample among 2,000 in 22 requests; past this many the parts still refused are
/// dropped whole, so a batch that is refused nearly everywhere cannot cost thousands of requests.
const SPLIT_REQUESTS: usize = 64;

/// Sends (or drops) the batch and acknowledges it; `false` when cancelled with the batch unsent.
async fn send_batch(ctx: &ShardContext, batch: &mut Vec<Item>, hard: &CancellationToken) -> bool {
    let m = &ctx.state.metrics;
    let mut samples: Vec<Sample> = Vec::with_capacity(batch.len());
    let age_limit = ctx.endpoint.queue.sample_age_limit;
    let oldest = now_ms() - age_limit.as_millis() as i64;
    let mut too_old = 0u64;
    for i in batch.iter() {
        if !age_limit.is_zero() && i.sample.timestamp_ms < oldest {
            too_old += 1;
        } else {
            samples.push(i.sample.clone());
        }
    }
    if too_old > 0 {
        m.samples_dropped_total
            .fetch_add(too_old, Ordering::Relaxed);
    }
    if !samples.is_empty() {
        let delivery = match send_samples(ctx, &samples, hard).await {
            Outcome::Sent(_) => {
                sent(ctx, &samples);
                Delivery::default()
            }
            Outcome::Rejected(e) if e.refuses_some_samples() && samples.len() > 1 => {
                send_in_parts(ctx, &mut samples, e, hard).await
            }
            Outcome::Rejected(e) => Delivery {
                dropped: samples.len() as u64,
                error: Some(e),
                cancelled: false,
            },
            Outcome::Cancelled => Delivery {
                cancelled: true,
                ..Default::default()
            },
        };
        if delivery.cancelled {
            batch.clear();
            return false;
        }
        match &delivery.error {
            Some(e) if delivery.dropped > 0 => {
                let (dropped, n) = (delivery.dropped, samples.len());
                m.samples_failed_total.fetch_add(dropped, Ordering::Relaxed);
                tracing::warn!(endpoint = %ctx.state.id, url = %ctx.state.url,
                    "non-recoverable error; dropping {dropped} of {n} samples: {e}");
                ctx.shared.health.set(
                    &ctx.state.id,
                    Some(format!(
                        "endpoint {}: dropped {dropped} of {n} samples: {e}",
                        ctx.state.url
                    )),
                );
            }
            _ => ctx.shared.health.set(&ctx.state.id, None),
        }
    }
    m.samples_pending
        .fetch_sub(batch.len() as i64, Ordering::Relaxed);
    let mut any_done = false;
    for item in batch.drain(..) {
        if item.ack.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            any_done = true;
        }
    }
    if any_done {
        ctx.acked.notify_one();
    }
    true
}

/// What became of a batch's samples beyond those sent.
#[derive(Default)]
struct Delivery {
    dropped: u64,
    /// The last refusal that dropped samples.
    error: Option<SendError>,
    cancelled: bool,
}

/// The receiver refused `samples` for some of them (`first`): send halves apart, splitting each refused
/// part again, so that only the samples it refuses are dropped. Parts go oldest first (a stable sort by
/// timestamp keeps each series in order): samples too old for the receiver then sit together at the front
/// and bisection finds the boundary in a few requests, and a part is never sent before an older one of
/// the same series.
async fn send_in_parts(
    ctx: &ShardContext,
    samples: &mut [Sample],
    first: SendError,
    hard: &CancellationToken,
) -> Delivery {
    samples.sort_by_key(|s| s.timestamp_ms);
    let mut delivery = Delivery::default();
    let mut budget = SPLIT_REQUESTS;
    // Parts in the order they go, the next on top: a part not yet sent (`None`) or one refused (`Some`),
    // which is split before anything after it is sent, so every part goes after all older ones. A split
    // takes its two requests from the budget when it is made.
    let mut todo = vec![(0..samples.len(), Some(first))];
    while let Some((range, refusal)) = todo.pop() {
        match refusal {
            Some(e) if range.len() == 1 || budget < 2 => {
                delivery.dropped += range.len() as u64;
                delivery.error = Some(e);
            }
            Some(_) => {
                budget -= 2;
                let mid = range.start + range.len() / 2;
                todo.push((mid..range.end, None));
                todo.push((range.start..mid, None));
            }
            None => match send_samples(ctx, &samples[range.clone()], hard).await {
                Outcome::Sent(_) => sent(ctx, &samples[range]),
                Outcome::Rejected(e) if e.refuses_some_samples() => todo.push((range, Some(e))),
                Outcome::Rejected(e) => {
                    delivery.dropped += range.len() as u64;
                    delivery.error = Some(e);
                }
                Outcome::Cancelled => {
                    delivery.cancelled = true;
                    return delivery;
                }
            },
        }
    }
    delivery
}

/// Counts samples the receiver accepted.
fn sent(ctx: &ShardContext, samples: &[Sample]) {
    let m = &ctx.state.metrics;
    m.samples_total
        .fetch_add(samples.len() as u64, Ordering::Relaxed);
    if let Some(max) = samples.iter().map(|s| s.timestamp_ms).max() {
        m.highest_sent_timestamp_ms
            .fetch_max(max, Ordering::Relaxed);
    }
}

/// One request (with retries) for `samples`.
async fn send_samples(ctx: &ShardContext, samples: &[Sample], hard: &CancellationToken) -> Outcome {
    let mut protocol = *ctx.state.protocol.lock().unwrap();
    let metadata = if protocol == Protocol::V2 {
        ctx.shared.metadata.lock().unwrap().clone()
    } else {
        HashMap::new()
    };
    let mut raw = Vec::new();
    let mut body_bytes = 0u64;
    let mut observer = Observer {
        ctx,
        samples: samples.len() as u64,
    };
    let backoff = Backoff {
        min: ctx.endpoint.queue.min_backoff,
        max: ctx.endpoint.queue.max_backoff,
    };
    let outcome = send_with_retries(
        &ctx.client,
        &mut protocol,
        |p| {
            raw.clear();
            match p {
                Protocol::V1 => encode_v1(
                    &mut raw,
                    &ctx.external,
                    samples,
                    ctx.endpoint.send_exemplars,
                    &[],
                ),
                Protocol::V2 => encode_v2(
                    &mut raw,
                    &ctx.external,
                    samples,
                    ctx.endpoint.send_exemplars,
                    &metadata,
                ),
            }
            let mut out = Vec::new();
            snappy_compress(&raw, &mut out);
            body_bytes = out.len() as u64;
            out
        },
        backoff,
        hard,
        &mut observer,
    )
    .await;
    ctx.state
        .metrics
        .sent_bytes_total
        .fetch_add(body_bytes, Ordering::Relaxed);
    outcome
}

/// Sends the metadata of every family seen so far, every `send_interval`, in requests of their own (as
/// Prometheus does for RW 1.0).
async fn run_metadata(ctx: Arc<ShardContext>, cancel: CancellationToken) {
    let opts = &ctx.endpoint.metadata;
    let mut tick = tokio::time::interval(opts.send_interval.max(Duration::from_millis(100)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = cancel.cancelled() => return,
        }
        let mut all: Vec<Metadata> = ctx
            .shared
            .metadata
            .lock()
            .unwrap()
            .values()
            .cloned()
            .collect();
        all.sort_by(|a, b| a.metric_family.cmp(&b.metric_family));
        for chunk in all.chunks(opts.max_samples_per_send.max(1)) {
            let mut raw = Vec::new();
            encode_v1(&mut raw, &ExternalLabels::default(), &[], false, chunk);
            let mut body = Vec::new();
            snappy_compress(&raw, &mut body);
            let backoff = Backoff {
                min: ctx.endpoint.queue.min_backoff,
                max: ctx.endpoint.queue.max_backoff,
            };
            let out = send_with_retries(
                &ctx.client,
                &mut Protocol::V1,
                |_| body.clone(),
                backoff,
                &cancel,
                &mut MetadataObserver(&ctx.state.metrics),
            )
            .await;
            let m = &ctx.state.metrics;
            match out {
                Outcome::Sent(_) => {
                    m.metadata_bytes_total
                        .fetch_add(body.len() as u64, Ordering::Relaxed);
                    m.metadata_total
                        .fetch_add(chunk.len() as u64, Ordering::Relaxed)
                }
                Outcome::Rejected(_) => m
                    .metadata_failed_total
                    .fetch_add(chunk.len() as u64, Ordering::Relaxed),
                Outcome::Cancelled => return,
            };
        }
    }
}
