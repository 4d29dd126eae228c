//! One endpoint: a reader of the WAL that hands entries to shards (a stream always goes to the same shard,
//! so its entries stay in order), shards that batch per tenant (`batch_size`, `batch_wait`, `max_streams`)
//! and send with retries, and the delivered position, saved as it moves so that a restart, even after
//! SIGKILL, resends exactly what the endpoint had not acknowledged.
//!
//! What is retried and what is dropped: a 2xx is delivered; a 5xx, a 429 (with `retry_on_http_429`) or no
//! answer is sent again after a backoff between `min_backoff_period` and `max_backoff_period` (longer when
//! the endpoint's `Retry-After` asks), for as long as it takes: the batch stays in the WAL meanwhile; any
//! other status drops the batch, counted in `loki_write_dropped_entries_total` and logged with the
//! endpoint's message.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ingot_logs::Entry;
use ingot_prom::labels::{BytesHashBuilder, Labels};
use ingot_prom::remote_write::Backoff;
use ingot_runtime::health::HealthReporter;
use ingot_wal::checkpoint::{load_position, save_position, PositionSaver};
use ingot_wal::chunk::{read_chunk, ChunkEnd};
use ingot_wal::thread::WalThread;
use ingot_wal::Position;
use tokio::sync::{mpsc, watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::args::Endpoint;
use super::client::{Answer, Client};
use super::codec;
use super::metrics::{self, Metrics};
use crate::push::{encode_push_request, StreamRef};

/// The label that overrides an endpoint's `tenant_id` for one entry (Alloy's `ReservedLabelTenantID`).
pub const TENANT_LABEL: &str = "__tenant_id__";

/// What the component shows of an endpoint.
pub struct EndpointState {
    pub id: String,
    /// The URL as it may be shown (its password as `xxxxx`).
    pub url: String,
    pub host: String,
    pub delivered: Mutex<Option<Position>>,
    /// Entries read from the WAL and not yet sent or dropped.
    pub pending: AtomicI64,
    /// The endpoint's last answer, in words.
    pub last_status: Mutex<String>,
}

/// The component's health across endpoints: each endpoint's last status, unhealthy while any endpoint's
/// last attempt failed (or dropped a batch), with the endpoint and what happened.
pub struct HealthBoard {
    reporter: HealthReporter,
    state: Mutex<BoardState>,
}

#[derive(Default)]
struct BoardState {
    /// Per key (an endpoint id, or `wal`): `Ok(status)` or `Err(problem)`.
    entries: BTreeMap<String, Result<String, String>>,
    notes: Vec<String>,
}

impl HealthBoard {
    pub fn new(reporter: HealthReporter) -> HealthBoard {
        HealthBoard {
            reporter,
            state: Mutex::new(BoardState::default()),
        }
    }

    pub fn set_notes(&self, notes: Vec<String>) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.notes = notes;
        self.report(&s);
    }

    /// Forgets every endpoint but `keep` (after an update).
    pub fn retain(&self, keep: &[String]) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.entries
            .retain(|k, _| k == "wal" || k.ends_with("/position") || keep.contains(k));
        self.report(&s);
    }

    pub fn ok(&self, key: &str, status: String) {
        self.set(key, Ok(status));
    }

    pub fn problem(&self, key: &str, problem: String) {
        self.set(key, Err(problem));
    }

    pub fn clear(&self, key: &str) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.entries.remove(key).is_some() {
            self.report(&s);
        }
    }

    fn set(&self, key: &str, value: Result<String, String>) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.entries.get(key) == Some(&value) {
            return;
        }
        s.entries.insert(key.to_string(), value);
        self.report(&s);
    }

    fn report(&self, s: &BoardState) {
        let suffix = if s.notes.is_empty() {
            String::new()
        } else {
            format!(" (accepted without effect: {})", s.notes.join("; "))
        };
        let problems: Vec<&str> = s
            .entries
            .values()
            .filter_map(|v| v.as_ref().err().map(String::as_str))
            .collect();
        if problems.is_empty() {
            let fine: Vec<&str> = s
                .entries
                .values()
                .filter_map(|v| v.as_ref().ok().map(String::as_str))
                .filter(|v| !v.is_empty())
                .collect();
            let msg = if fine.is_empty() {
                "started component".to_string()
            } else {
                fine.join("; ")
            };
            self.reporter.healthy(format!("{msg}{suffix}"));
        } else {
            self.reporter
                .unhealthy(format!("{}{suffix}", problems.join("; ")));
        }
    }
}

/// What every endpoint of one component shares.
pub struct Shared {
    /// The WAL's own thread: every write, sync, removal and position save goes through it.
    pub wal: WalThread,
    pub appended: watch::Receiver<u64>,
    pub external_labels: Arc<BTreeMap<String, String>>,
    pub max_streams: usize,
    pub health: Arc<HealthBoard>,
    pub metrics: Arc<Metrics>,
    pub positions_dir: PathBuf,
    /// How often an endpoint looks at the WAL when no append woke it.
    pub poll: Duration,
}

struct RecordAck {
    remaining: AtomicUsize,
    end: Position,
}

struct Item {
    entry: Entry,
    ack: Arc<RecordAck>,
    /// The memory its chunk holds of the shard's bound, given back when every entry of the chunk is done.
    _permit: Arc<OwnedSemaphorePermit>,
}

/// The entries of one WAL record that go to one shard, sent together.
struct Chunk {
    entries: Vec<Entry>,
    ack: Arc<RecordAck>,
    permit: OwnedSemaphorePermit,
}

struct ShardContext {
    endpoint: Endpoint,
    client: Client,
    state: Arc<EndpointState>,
    shared: Arc<Shared>,
    acked: Notify,
}

/// Where an endpoint's delivered position is kept: a readable part of its name and a hash of the whole
/// name, so that names differing only in punctuation never share a file.
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

fn now_us() -> i64 {
    ingot_logs::entry::now_us()
}

/// Runs one endpoint until `cancel`, then sends what it holds for up to `queue_config.drain_timeout`.
/// `previous` is the task of the same endpoint under older arguments: it must have saved its position
/// before this one reads it.
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
    let loaded = {
        let (pos_file, wal, id) = (pos_file.clone(), wal.clone(), state.id.clone());
        tokio::task::spawn_blocking(move || match load_position(&pos_file) {
            Ok(Some(p)) => p,
            Ok(None) => {
                tracing::warn!(endpoint = %id, "no saved WAL position; sending everything the WAL holds rather than losing data");
                wal.start()
            }
            Err(e) => {
                tracing::warn!(endpoint = %id, "{e}; sending everything the WAL holds rather than losing data");
                wal.start()
            }
        })
        .await
    };
    let start = match loaded {
        Ok(p) => p,
        Err(e) => {
            shared.health.problem(
                &state.id,
                format!("endpoint {}: reading its WAL position: {e}", state.url),
            );
            return;
        }
    };
    *state.delivered.lock().unwrap() = Some(start);
    let n_shards = endpoint.queue.min_shards.max(1);
    let ctx = Arc::new(ShardContext {
        endpoint: endpoint.clone(),
        client,
        state: state.clone(),
        shared: shared.clone(),
        acked: Notify::new(),
    });
    let hard = CancellationToken::new();
    let capacity = endpoint
        .shard_capacity_bytes()
        .min(u64::from(u32::MAX >> 3)) as u32;
    let mut shards = JoinSet::new();
    let mut txs = Vec::with_capacity(n_shards);
    let mut budgets = Vec::with_capacity(n_shards);
    for _ in 0..n_shards {
        // Entries are bounded by the budget, not the channel.
        let (tx, rx) = mpsc::unbounded_channel();
        txs.push(tx);
        budgets.push(Arc::new(Semaphore::new(capacity as usize)));
        shards.spawn(run_shard(rx, ctx.clone(), hard.clone()));
    }

    let mut tracker: VecDeque<Arc<RecordAck>> = VecDeque::new();
    let positions = {
        let (id, health) = (state.id.clone(), shared.health.clone());
        PositionSaver::new(shared.wal.clone(), pos_file.clone(), move |path, result| {
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
    let mut entries = Vec::new();
    let mut draining = false;
    'read: loop {
        advance(&mut tracker);
        let (back, records, outcome) = read_chunk(reader.take().expect("the reader is back")).await;
        reader = Some(back);
        for (payload, end) in records {
            if ingot_wal::is_padding(&payload) {
                entries.clear();
            } else if codec::decode(&payload, &mut entries).is_none() {
                tracing::warn!(endpoint = %state.id, "skipping a WAL record that is not a batch of log entries");
                entries.clear();
            }
            let ack = Arc::new(RecordAck {
                remaining: AtomicUsize::new(entries.len()),
                end,
            });
            tracker.push_back(ack.clone());
            state
                .pending
                .fetch_add(entries.len() as i64, Ordering::Relaxed);
            // One chunk per shard, with its memory taken from the shard's budget at once.
            let mut by_shard: Vec<Vec<Entry>> = (0..n_shards).map(|_| Vec::new()).collect();
            for entry in entries.drain(..) {
                let shard = (entry.labels.hash() % n_shards as u64) as usize;
                by_shard[shard].push(entry);
            }
            for (shard, chunk) in by_shard.into_iter().enumerate() {
                if chunk.is_empty() {
                    continue;
                }
                let bytes: u64 = chunk.iter().map(|e| e.size() as u64 + 64).sum();
                let cost = bytes.min(u64::from(capacity)) as u32;
                let permit = tokio::select! {
                    biased;
                    p = budgets[shard].clone().acquire_many_owned(cost) => match p {
                        Ok(p) => p,
                        Err(_) => break 'read,
                    },
                    _ = cancel.cancelled() => break 'read,
                };
                let chunk = Chunk {
                    entries: chunk,
                    ack: ack.clone(),
                    permit,
                };
                if txs[shard].send(chunk).is_err() {
                    break 'read;
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
                    _ = tokio::time::sleep(shared.poll) => {}
                    _ = cancel.cancelled() => {
                        // Wait (bounded) for the WAL's thread to write what is queued, then read it once more.
                        let barrier = shared.wal.clone();
                        let written = tokio::task::spawn_blocking(move || barrier.run(|_| ()));
                        let _ = tokio::time::timeout(endpoint.queue.drain_timeout / 2, written).await;
                        draining = true;
                    }
                }
            }
            Err(e) => {
                tracing::error!(endpoint = %state.id, "reading the WAL: {e}");
                shared.health.problem(
                    &state.id,
                    format!("endpoint {}: reading the WAL: {e}", state.url),
                );
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = cancel.cancelled() => break 'read,
                }
            }
        }
    }
    // Stopping: no more reads; the shards send what they hold until the drain timeout.
    drop(txs);
    let deadline = tokio::time::Instant::now() + endpoint.queue.drain_timeout;
    loop {
        tokio::select! {
            r = shards.join_next() => if r.is_none() { break },
            _ = ctx.acked.notified() => { advance(&mut tracker); }
            _ = tokio::time::sleep_until(deadline), if !hard.is_cancelled() => {
                tracing::warn!(endpoint = %state.id, "failed to flush all queues during shutdown; what was not sent stays in the WAL for the next start");
                hard.cancel();
            }
        }
    }
    let last = advance(&mut tracker);
    // The last position is saved durably, after every save queued before it.
    let saver = shared.wal.clone();
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
}

/// A failed position save makes the component unhealthy, naming the endpoint and the file (a restart
/// would resend what was delivered since the last good save); the next good save clears it.
fn report_position_save(
    health: &HealthBoard,
    id: &str,
    path: &std::path::Path,
    result: std::io::Result<()>,
) {
    let key = format!("{id}/position");
    match result {
        Ok(()) => health.clear(&key),
        Err(e) => {
            let msg = format!(
                "endpoint {id}: saving its delivered position to {}: {e}",
                path.display()
            );
            tracing::warn!(endpoint = %id, "{msg}");
            health.problem(&key, msg);
        }
    }
}

/// Entries of one tenant waiting to be sent, grouped by stream.
struct Batch {
    streams: Vec<(Arc<str>, Vec<Item>)>,
    index: HashMap<Arc<str>, usize, BytesHashBuilder>,
    /// Bytes of lines and structured metadata, as Loki counts an entry's size.
    size: usize,
    created: Instant,
}

enum AddError {
    /// The entry would take the batch past `batch_size`: send the batch first.
    Full(Box<Item>),
    /// A new stream would pass `max_streams`: the entry is dropped.
    StreamLimit(Box<Item>, String),
}

impl Batch {
    fn new() -> Batch {
        Batch {
            streams: Vec::new(),
            index: HashMap::with_hasher(BytesHashBuilder),
            size: 0,
            created: Instant::now(),
        }
    }

    fn entries(&self) -> usize {
        self.streams.iter().map(|(_, v)| v.len()).sum()
    }

    /// Alloy's `batch.add`: at least one entry always fits; a new stream past `max_streams` is refused.
    fn add(
        &mut self,
        labels: Arc<str>,
        item: Item,
        max_size: usize,
        max_streams: usize,
    ) -> Result<(), AddError> {
        let size = item.entry.size();
        if let Some(&i) = self.index.get(&labels) {
            if self.size + size > max_size {
                return Err(AddError::Full(Box::new(item)));
            }
            self.size += size;
            self.streams[i].1.push(item);
            return Ok(());
        }
        let streams = self.streams.len();
        if max_streams > 0 && streams >= max_streams {
            let msg = format!(
                "streams limit exceeded, streams: {streams} exceeds limit: {max_streams}, stream: '{labels}'"
            );
            return Err(AddError::StreamLimit(Box::new(item), msg));
        }
        if streams != 0 && self.size + size > max_size {
            return Err(AddError::Full(Box::new(item)));
        }
        self.size += size;
        self.index.insert(labels.clone(), streams);
        self.streams.push((labels, vec![item]));
        Ok(())
    }
}

/// Most label sets whose label strings a shard remembers; beyond, it starts over.
const LABEL_CACHE_MAX: usize = 100_000;

struct Shard {
    ctx: Arc<ShardContext>,
    batches: HashMap<String, Batch>,
    labels: HashMap<Labels, (Arc<str>, String), BytesHashBuilder>,
    body: Vec<u8>,
    compressed: Vec<u8>,
}

impl Shard {
    /// The stream's label string (external labels merged under the entry's, `__` labels left out) and the
    /// tenant.
    fn stream_of(&mut self, labels: &Labels) -> (Arc<str>, String) {
        if let Some(v) = self.labels.get(labels) {
            return v.clone();
        }
        let external = &self.ctx.shared.external_labels;
        let mut merged: BTreeMap<&str, &str> = external
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for (n, v) in labels.iter() {
            merged.insert(n, v);
        }
        let text: Arc<str> = crate::push::label_string(merged).into();
        let tenant = labels
            .get(TENANT_LABEL)
            .unwrap_or(&self.ctx.endpoint.tenant_id)
            .to_string();
        if self.labels.len() >= LABEL_CACHE_MAX {
            self.labels.clear();
        }
        self.labels
            .insert(labels.clone(), (text.clone(), tenant.clone()));
        (text, tenant)
    }

    async fn add(&mut self, item: Item, hard: &CancellationToken) -> bool {
        let (labels, tenant) = self.stream_of(&item.entry.labels);
        if !self.batches.contains_key(&tenant) {
            self.ctx.shared.metrics.touch(&self.ctx.state.host, &tenant);
        }
        let max_size = self.ctx.endpoint.batch_size as usize;
        let max_streams = self.ctx.shared.max_streams;
        let batch = self
            .batches
            .entry(tenant.clone())
            .or_insert_with(Batch::new);
        match batch.add(labels.clone(), item, max_size, max_streams) {
            Ok(()) => true,
            Err(AddError::Full(item)) => {
                let full = std::mem::replace(batch, Batch::new());
                let _ = self.batches.get_mut(&tenant).expect("just inserted").add(
                    labels,
                    *item,
                    max_size,
                    max_streams,
                );
                self.send(&tenant, full, hard).await
            }
            Err(AddError::StreamLimit(item, msg)) => {
                tracing::error!(endpoint = %self.ctx.state.id, tenant = %tenant, error = %msg, "batch add err");
                let m = &self.ctx.shared.metrics;
                m.dropped(
                    &self.ctx.state.host,
                    &tenant,
                    metrics::REASON_STREAM_LIMITED,
                    1,
                    item.entry.size() as u64,
                );
                self.done(vec![*item]);
                true
            }
        }
    }

    /// Sends the batches older than `batch_wait` (all of them when `all`); `false` when cancelled.
    async fn flush(&mut self, all: bool, hard: &CancellationToken) -> bool {
        let wait = self.ctx.endpoint.batch_wait;
        let due: Vec<String> = self
            .batches
            .iter()
            .filter(|(_, b)| all || b.created.elapsed() >= wait)
            .map(|(t, _)| t.clone())
            .collect();
        for tenant in due {
            if let Some(batch) = self.batches.remove(&tenant) {
                if !self.send(&tenant, batch, hard).await {
                    return false;
                }
            }
        }
        true
    }

    /// Marks items done (sent or dropped) and wakes the reader when a record is complete.
    fn done(&self, items: Vec<Item>) {
        let n = items.len() as i64;
        let mut any_done = false;
        for item in items {
            if item.ack.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
                any_done = true;
            }
        }
        self.ctx.state.pending.fetch_sub(n, Ordering::Relaxed);
        if any_done {
            self.ctx.acked.notify_one();
        }
    }

    /// Sends one batch until the endpoint accepts or refuses it; `false` when cancelled with it unsent
    /// (it stays in the WAL).
    async fn send(&mut self, tenant: &str, batch: Batch, hard: &CancellationToken) -> bool {
        let ctx = self.ctx.clone();
        let (host, id, url) = (&ctx.state.host, &ctx.state.id, &ctx.state.url);
        let entries = batch.entries() as u64;
        if entries == 0 {
            return true;
        }
        {
            let streams: Vec<StreamRef<'_>> = batch
                .streams
                .iter()
                .map(|(labels, items)| StreamRef {
                    labels,
                    entries: items.iter().map(|i| &i.entry).collect(),
                })
                .collect();
            self.body.clear();
            encode_push_request(&streams, &mut self.body);
        }
        ingot_prom::remote_write::encode::snappy_compress(&self.body, &mut self.compressed);
        let bytes = self.compressed.len() as u64;
        let m = &ctx.shared.metrics;
        m.request_size(host, tenant, bytes);
        let backoff = Backoff {
            min: ctx.endpoint.min_backoff,
            max: ctx.endpoint.max_backoff.max(ctx.endpoint.min_backoff),
        };
        let mut retries = 0u32;
        let mut warned = false;
        loop {
            let started = Instant::now();
            let answer = tokio::select! {
                a = ctx.client.push(tenant, self.compressed.clone()) => a,
                _ = hard.cancelled() => return false,
            };
            m.request(
                host,
                tenant,
                answer.status_code(),
                started.elapsed().as_secs_f64(),
            );
            match answer {
                Answer::Accepted { status } => {
                    m.sent(host, tenant, entries, bytes);
                    let status = format!(
                        "endpoint {id} ({url}): last push {}",
                        ingot_httpclient::status_text(status)
                    );
                    *ctx.state.last_status.lock().unwrap() = status.clone();
                    ctx.shared.health.ok(id, status);
                    break;
                }
                Answer::Refused {
                    status,
                    message,
                    rate_limited,
                } => {
                    let reason = if rate_limited {
                        tracing::warn!(endpoint = %id, host = %host, tenant = %tenant, entries,
                            "dropping batch due to rate limiting applied at ingester");
                        metrics::REASON_RATE_LIMITED
                    } else {
                        tracing::error!(endpoint = %id, host = %host, status, tenant = %tenant, entries, error = %message,
                            "final error sending batch, no retries left, dropping data");
                        metrics::REASON_GENERIC
                    };
                    m.dropped(host, tenant, reason, entries, bytes);
                    let problem =
                        format!("endpoint {id} ({url}): dropped {entries} entries: {message}");
                    *ctx.state.last_status.lock().unwrap() = problem.clone();
                    ctx.shared.health.problem(id, problem);
                    break;
                }
                Answer::Retry {
                    status,
                    retry_after,
                    message,
                } => {
                    m.retried(host, tenant);
                    let delay = backoff.delay(retries, retry_after);
                    retries = retries.saturating_add(1);
                    tracing::debug!(endpoint = %id, status = ?status, tenant = %tenant, error = %message,
                        "error sending batch, will retry");
                    let limit = ctx.endpoint.max_backoff_retries;
                    if !warned && limit > 0 && i64::from(retries) >= limit {
                        warned = true;
                        tracing::warn!(endpoint = %id, tenant = %tenant, entries, error = %message,
                            "the batch has failed {retries} times (max_backoff_retries); Alloy would drop it now, ingot keeps it in the WAL and keeps retrying");
                    }
                    let problem = format!(
                        "endpoint {id} ({url}): {message}; retrying in {}",
                        ingot_gocompat::time::format_std_duration(delay)
                    );
                    *ctx.state.last_status.lock().unwrap() = problem.clone();
                    ctx.shared.health.problem(id, problem);
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = hard.cancelled() => return false,
                    }
                }
            }
        }
        let created: Vec<i64> = batch
            .streams
            .iter()
            .flat_map(|(_, items)| items.iter().map(|i| i.entry.created_us))
            .collect();
        m.latencies(host, tenant, &created, now_us());
        let items: Vec<Item> = batch
            .streams
            .into_iter()
            .flat_map(|(_, items)| items)
            .collect();
        self.done(items);
        true
    }
}

async fn run_shard(
    mut rx: mpsc::UnboundedReceiver<Chunk>,
    ctx: Arc<ShardContext>,
    hard: CancellationToken,
) {
    // Alloy looks for batches past `batch_wait` ten times per `batch_wait`, at most every 10 ms.
    let every = (ctx.endpoint.batch_wait / 10).max(Duration::from_millis(10));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shard = Shard {
        ctx,
        batches: HashMap::new(),
        labels: HashMap::with_hasher(BytesHashBuilder),
        body: Vec::new(),
        compressed: Vec::new(),
    };
    loop {
        tokio::select! {
            chunk = rx.recv() => match chunk {
                Some(Chunk { entries, ack, permit }) => {
                    let permit = Arc::new(permit);
                    for entry in entries {
                        let item = Item {
                            entry,
                            ack: ack.clone(),
                            _permit: permit.clone(),
                        };
                        if !shard.add(item, &hard).await {
                            return;
                        }
                    }
                }
                None => break,
            },
            _ = tick.tick() => {
                if !shard.flush(false, &hard).await {
                    return;
                }
            }
            _ = hard.cancelled() => return,
        }
    }
    // The reader is done: send everything held.
    let _ = shard.flush(true, &hard).await;
}
