//! The running `loki.write`: the `receiver` it exports encodes each append into one WAL record and queues
//! it for the WAL's thread (it never waits on the disk or the network; past the queue's bound it answers
//! `Full`, so the sender keeps its place); one queue per endpoint reads the WAL and sends.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use ingot_common::receiver::LogsReceiver;
use ingot_logs::{AppendError, Entry, LogsAppender, Token};
use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_syntax::value::Value;
use ingot_wal::thread::{Appended, Refused, WalThread};
use ingot_wal::{Options as WalFileOptions, Position, Read, Wal};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::args::{Arguments, Endpoint};
use super::client::Client;
use super::codec;
use super::metrics::{self, Metrics};
use super::queue::{position_file, run_endpoint, EndpointState, HealthBoard, Shared, TENANT_LABEL};

pub const NAME: &str = "loki.write";

/// How often the WAL is fsynced: a killed process loses nothing (the page cache keeps what was written),
/// a power failure at most this much.
const SYNC_INTERVAL: Duration = Duration::from_secs(1);
/// How often delivered (and expired) segments are looked for and removed.
const TRUNCATE_CHECK: Duration = Duration::from_secs(5);
/// Bytes of encoded appends that may wait for the WAL's thread. Past this the disk is not keeping up:
/// appends are answered `Full` (the senders keep their place) instead of blocking them.
const WAL_QUEUE_LIMIT: u64 = 64 << 20;
/// How soon a sender told `Full` should offer the entries again.
const RETRY_AFTER: Duration = Duration::from_millis(250);

/// The receiver's side.
struct WalAppender {
    id: String,
    thread: RwLock<Option<WalThread>>,
    appended: Arc<watch::Sender<u64>>,
    health: Arc<HealthBoard>,
    /// The senders' tokens, in the order their records were queued: the WAL's thread drops each once its
    /// record is written, which completes the senders' receipts.
    tokens: Arc<Mutex<VecDeque<Option<Token>>>>,
    /// Entries whose WAL write failed after they were accepted.
    lost: Arc<AtomicU64>,
    /// Entries answered `Full` because the WAL's queue was at its bound.
    refused: AtomicU64,
    /// Set once the component stops: appends are answered `Full`.
    stopped: CancellationToken,
}

impl LogsAppender for WalAppender {
    fn append(&self, entries: &[Entry]) -> Result<(), AppendError> {
        self.append_inner(entries, None)
    }

    fn append_with(&self, entries: &[Entry], token: &Token) -> Result<(), AppendError> {
        self.append_inner(entries, Some(token))
    }
}

impl WalAppender {
    fn full(&self, reason: String) -> AppendError {
        AppendError::Full {
            retry_after: RETRY_AFTER,
            reason,
        }
    }

    fn append_inner(&self, entries: &[Entry], token: Option<&Token>) -> Result<(), AppendError> {
        if entries.is_empty() {
            return Ok(());
        }
        if self.stopped.is_cancelled() {
            return Err(self.full(format!("{} is stopping", self.id)));
        }
        let thread = self
            .thread
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(thread) = thread else {
            return Err(self.full(format!("{}: the WAL is not open", self.id)));
        };
        let mut record = Vec::with_capacity(64 + entries.iter().map(Entry::size).sum::<usize>());
        codec::encode(entries, &mut record);
        let n = entries.len() as u64;
        // The queue of tokens and the WAL's queue take the record in the same order.
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        match thread.append(record, n) {
            Ok(()) => {
                tokens.push_back(token.cloned());
                Ok(())
            }
            Err(refused) => {
                drop(tokens);
                if matches!(refused, Refused::Backlog { .. }) {
                    self.refused.fetch_add(n, Ordering::Relaxed);
                }
                Err(self.full(format!(
                    "{}: {refused} ({})",
                    self.id,
                    thread.wal().dir().display()
                )))
            }
        }
    }

    /// What the WAL's thread does after each append: complete the sender's receipt, wake the endpoints, or
    /// say why the record was lost.
    fn on_append(&self, dir: PathBuf) -> impl Fn(Appended) + Send + 'static {
        let (appended, health, lost, tokens) = (
            self.appended.clone(),
            self.health.clone(),
            self.lost.clone(),
            self.tokens.clone(),
        );
        move |outcome: Appended| {
            let token = tokens
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop_front()
                .flatten();
            match outcome.result {
                Ok(_) => {
                    health.clear("wal");
                    appended.send_modify(|n| *n = n.wrapping_add(1));
                }
                Err(e) => {
                    lost.fetch_add(outcome.items, Ordering::Relaxed);
                    let msg = format!(
                        "{} entries not written to the WAL in {}: {e}",
                        outcome.items,
                        dir.display()
                    );
                    tracing::error!("{msg}");
                    if let Some(t) = &token {
                        t.fail(msg.clone());
                    }
                    health.problem("wal", msg);
                }
            }
            drop(token);
        }
    }
}

struct RunningEndpoint {
    state: Arc<EndpointState>,
    cancel: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub struct Component {
    ctx: Context,
    args: Mutex<Arguments>,
    appender: Arc<WalAppender>,
    metrics: Arc<Metrics>,
    shared: Mutex<Option<Arc<Shared>>>,
    endpoints: Mutex<Vec<RunningEndpoint>>,
    wal_open_error: Mutex<Option<String>>,
}

fn clients(args: &Arguments) -> Result<Vec<Client>, String> {
    args.endpoints
        .iter()
        .map(|e| {
            Client::new(e)
                .map_err(|err| format!("failed to create cliens: error starting endpoint: {err}"))
        })
        .collect()
}

fn check(args: &Arguments) -> Result<(), String> {
    if args.endpoints.is_empty() {
        return Err(
            "failed to create cliens: at least one endpoint config must be provided".into(),
        );
    }
    Ok(())
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        check(&args)?;
        // Validating reads no TLS or credential file: the endpoints' settings are checked, not loaded.
        if ctx.validate_only {
            for e in &args.endpoints {
                e.check_url()?;
            }
        } else {
            clients(&args)?;
        }
        let health = Arc::new(HealthBoard::new(ctx.health.clone()));
        for w in &args.warnings {
            tracing::warn!(component = %ctx.id, "{w}");
        }
        health.set_notes(args.warnings.clone());
        let (appended, _) = watch::channel(0u64);
        let appender = Arc::new(WalAppender {
            id: ctx.id.clone(),
            thread: RwLock::new(None),
            appended: Arc::new(appended),
            health,
            tokens: Arc::new(Mutex::new(VecDeque::new())),
            lost: Arc::new(AtomicU64::new(0)),
            refused: AtomicU64::new(0),
            stopped: ctx.shutdown.clone(),
        });
        let receiver = ingot_logs::LogsReceiver::new(
            ctx.id.clone(),
            appender.clone() as Arc<dyn LogsAppender>,
        );
        ctx.exports.init(Value::object([(
            "receiver",
            Value::from(LogsReceiver(receiver)),
        )]));
        Ok(Component {
            ctx,
            args: Mutex::new(args),
            appender,
            metrics: Arc::new(Metrics::default()),
            shared: Mutex::new(None),
            endpoints: Mutex::new(Vec::new()),
            wal_open_error: Mutex::new(None),
        })
    }

    fn start(self: &Arc<Self>) {
        if tokio::runtime::Handle::try_current().is_err() {
            self.ctx
                .health
                .unhealthy("internal error: started outside the async runtime");
            return;
        }
        let dir = self.ctx.data_path.join("wal");
        let fail = |msg: String| {
            tracing::error!(component = %self.ctx.id, "{msg}");
            *self.wal_open_error.lock().unwrap() = Some(msg.clone());
            self.appender.health.problem("wal", msg);
        };
        if let Err(msg) = set_aside_foreign_wal(&self.ctx.id, &dir) {
            fail(msg);
            return;
        }
        let wal = match Wal::open(&dir, WalFileOptions::default()) {
            Ok((wal, report)) => {
                tracing::info!(component = %self.ctx.id, wal = %dir.display(),
                    "WAL opened: {} segment(s), {} record(s), {} bytes", report.segments, report.records, report.bytes);
                Arc::new(wal)
            }
            Err(e) => {
                fail(format!("opening the WAL in {}: {e}", dir.display()));
                return;
            }
        };
        let thread = match WalThread::spawn(
            wal,
            "ingot-loki-wal",
            WAL_QUEUE_LIMIT,
            self.appender.on_append(dir.clone()),
        ) {
            Ok(t) => t,
            Err(e) => {
                fail(format!(
                    "starting the WAL's thread for {}: {e}",
                    dir.display()
                ));
                return;
            }
        };
        *self.appender.thread.write().unwrap() = Some(thread.clone());
        let args = self.args.lock().unwrap().clone();
        let shared = self.shared_for(&args, thread.clone(), dir.join("positions"));
        *self.shared.lock().unwrap() = Some(shared.clone());
        self.start_endpoints(&args, &shared);

        let me = self.clone();
        let shutdown = self.ctx.shutdown.clone();
        self.ctx.tasks.spawn(async move {
            let mut sync = tokio::time::interval(SYNC_INTERVAL);
            let mut truncate = tokio::time::interval(TRUNCATE_CHECK);
            loop {
                tokio::select! {
                    _ = sync.tick() => {
                        let health = me.appender.health.clone();
                        let _ = thread.submit(move |wal| {
                            if let Err(e) = wal.sync() {
                                health.problem("wal", format!("syncing the WAL: {e}"));
                            }
                        });
                    }
                    _ = truncate.tick() => me.truncate(&thread),
                    _ = shutdown.cancelled() => break,
                }
            }
            // Let the endpoints send what they can and save their positions, then make the log durable.
            let tasks: Vec<_> = me
                .endpoints
                .lock()
                .unwrap()
                .iter_mut()
                .filter_map(|e| e.task.take())
                .collect();
            for t in tasks {
                let _ = t.await;
            }
            let health = me.appender.health.clone();
            let _ = tokio::task::spawn_blocking(move || {
                if let Ok(Err(e)) = thread.run(|wal| wal.sync()) {
                    health.problem("wal", format!("syncing the WAL: {e}"));
                }
            })
            .await;
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        check(&args)?;
        clients(&args)?;
        for w in &args.warnings {
            tracing::warn!(component = %self.ctx.id, "{w}");
        }
        self.appender.health.set_notes(args.warnings.clone());
        *self.args.lock().unwrap() = args.clone();
        let old = self.shared.lock().unwrap().clone();
        if let Some(old) = old {
            let shared = self.shared_for(&args, old.wal.clone(), old.positions_dir.clone());
            *self.shared.lock().unwrap() = Some(shared.clone());
            self.start_endpoints(&args, &shared);
        }
        Ok(())
    }

    fn debug_info(&self) -> Option<Value> {
        let args = self.args.lock().unwrap().clone();
        let endpoints: Vec<Value> = self
            .endpoints
            .lock()
            .unwrap()
            .iter()
            .map(|e| {
                let s = &e.state;
                let tenant = args
                    .endpoints
                    .iter()
                    .find(|a| a.id() == s.id)
                    .map(|a| a.tenant_id.clone())
                    .unwrap_or_default();
                let delivered = s
                    .delivered
                    .lock()
                    .unwrap()
                    .map(|p| format!("{}:{}", p.segment, p.offset));
                let dropped = self.metrics.dropped_by_reason(&s.host);
                Value::object([
                    ("name", Value::string(s.id.as_str())),
                    ("url", Value::string(s.url.as_str())),
                    ("tenant_id", Value::string(tenant)),
                    (
                        "last_status",
                        Value::string(s.last_status.lock().unwrap().as_str()),
                    ),
                    (
                        "entries_pending",
                        Value::int(s.pending.load(Ordering::Relaxed)),
                    ),
                    (
                        "entries_dropped",
                        Value::object(
                            dropped
                                .into_iter()
                                .map(|(reason, n)| (reason, Value::uint(n))),
                        ),
                    ),
                    (
                        "delivered_position",
                        delivered.map(Value::from).unwrap_or(Value::Null),
                    ),
                ])
            })
            .collect();
        let (sent, dropped) = self.metrics.totals();
        let wal = self
            .appender
            .thread
            .read()
            .unwrap()
            .as_ref()
            .map(|t| t.wal().clone());
        let wal_value = match wal {
            Some(w) => {
                let s = w.stats();
                let read = |a: &AtomicU64| Value::uint(a.load(Ordering::Relaxed));
                Value::object([
                    ("dir", Value::string(w.dir().display().to_string())),
                    ("segments", read(&s.segments)),
                    ("bytes", read(&s.bytes)),
                    ("corruptions", read(&s.corruptions)),
                    ("records_replayed", read(&s.records_replayed)),
                ])
            }
            None => Value::string(
                self.wal_open_error
                    .lock()
                    .unwrap()
                    .clone()
                    .unwrap_or_else(|| "not open".into()),
            ),
        };
        Some(Value::object([
            ("endpoints", Value::array(endpoints)),
            ("entries_sent", Value::uint(sent)),
            ("entries_dropped", Value::uint(dropped)),
            ("wal", wal_value),
        ]))
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let mut out = Vec::new();
        self.metrics.collect(&mut out);
        for e in self.endpoints.lock().unwrap().iter() {
            metrics::pending(
                &e.state.id,
                e.state.pending.load(Ordering::Relaxed),
                &mut out,
            );
        }
        let none: [&str; 0] = [];
        let thread = self.appender.thread.read().unwrap().clone();
        if let Some(t) = thread {
            let s = t.wal().stats();
            let load = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
            out.push(DebugMetric::new(
                &metrics::WAL_SEGMENTS,
                none,
                load(&s.segments),
            ));
            out.push(DebugMetric::new(&metrics::WAL_BYTES, none, load(&s.bytes)));
            out.push(DebugMetric::new(
                &metrics::WAL_CORRUPTIONS,
                none,
                load(&s.corruptions),
            ));
            out.push(DebugMetric::new(
                &metrics::WAL_QUEUE_BYTES,
                none,
                t.queued_bytes() as f64,
            ));
        }
        out.push(DebugMetric::new(
            &metrics::WAL_ENTRIES_LOST,
            none,
            self.appender.lost.load(Ordering::Relaxed) as f64,
        ));
        out.push(DebugMetric::new(
            &metrics::WAL_ENTRIES_REFUSED,
            none,
            self.appender.refused.load(Ordering::Relaxed) as f64,
        ));
        out
    }
}

impl Component {
    fn shared_for(&self, args: &Arguments, wal: WalThread, positions_dir: PathBuf) -> Arc<Shared> {
        Arc::new(Shared {
            wal,
            appended: self.appender.appended.subscribe(),
            external_labels: Arc::new(args.external_labels.clone()),
            max_streams: args.max_streams,
            health: self.appender.health.clone(),
            metrics: self.metrics.clone(),
            positions_dir,
            poll: args.wal.max_read_frequency,
        })
    }

    /// Replaces the endpoint queues with ones for `args`; each new queue waits for its predecessor (same
    /// endpoint id) to save its position.
    fn start_endpoints(&self, args: &Arguments, shared: &Arc<Shared>) {
        let mut running = self.endpoints.lock().unwrap();
        let mut previous: HashMap<String, tokio::task::JoinHandle<()>> = HashMap::new();
        for mut e in running.drain(..) {
            e.cancel.cancel();
            if let Some(t) = e.task.take() {
                previous.insert(e.state.id.clone(), t);
            }
        }
        let clients = match clients(args) {
            Ok(c) => c,
            Err(e) => {
                self.appender.health.problem("config", e);
                return;
            }
        };
        self.appender.health.clear("config");
        let keep: Vec<String> = args.endpoints.iter().map(Endpoint::id).collect();
        self.appender.health.retain(&keep);
        let known = prepare_positions(&shared.positions_dir, &keep);
        for (endpoint, client) in args.endpoints.iter().cloned().zip(clients) {
            let state = Arc::new(EndpointState {
                id: endpoint.id(),
                url: ingot_gocompat::url::redacted(&endpoint.url),
                host: endpoint.host(),
                delivered: Mutex::new(None),
                pending: AtomicI64::new(0),
                last_status: Mutex::new("no push yet".into()),
            });
            let cancel = self.ctx.shutdown.child_token();
            let prev = previous.remove(&state.id);
            // A new endpoint starts at the present (it is not sent what others were sent before it was
            // configured); "the present" is now, not whenever its task first runs. A known endpoint whose
            // position file went missing starts at the WAL's start: it may get something twice, but loses
            // nothing.
            let pos_file = position_file(&shared.positions_dir, &state.id);
            if prev.is_none() && !pos_file.exists() {
                let wal = shared.wal.wal();
                let start = if known.contains(&state.id) {
                    tracing::warn!(component = %self.ctx.id, endpoint = %state.id,
                        "the endpoint's delivered position is missing ({}); resending everything the WAL holds rather than skipping what it had not delivered", pos_file.display());
                    wal.start()
                } else {
                    wal.end()
                };
                let saved = std::fs::create_dir_all(&shared.positions_dir)
                    .and_then(|()| ingot_wal::checkpoint::save_position(&pos_file, start, true));
                if let Err(e) = saved {
                    shared.health.problem(
                        &format!("{}/position", state.id),
                        format!("endpoint {}: saving its WAL position: {e}", state.url),
                    );
                }
            }
            let task = tokio::spawn(run_endpoint(
                endpoint,
                client,
                state.clone(),
                shared.clone(),
                cancel.clone(),
                prev,
            ));
            running.push(RunningEndpoint {
                state,
                cancel,
                task: Some(task),
            });
        }
    }

    /// On the WAL's thread: removes segments every endpoint has delivered, and (as Alloy's WAL does)
    /// segments older than `wal.max_segment_age` even when undelivered, counting the entries each endpoint
    /// had not been sent as dropped (`wal_segment_expired`) so that the disk stays bounded while an endpoint
    /// is gone for good.
    fn truncate(&self, thread: &WalThread) {
        let running: Vec<(Arc<EndpointState>, Option<Position>)> = self
            .endpoints
            .lock()
            .unwrap()
            .iter()
            .map(|e| (e.state.clone(), *e.state.delivered.lock().unwrap()))
            .collect();
        if running.is_empty() || running.iter().any(|(_, p)| p.is_none()) {
            return;
        }
        let delivered = running
            .iter()
            .filter_map(|(_, p)| *p)
            .min()
            .expect("at least one endpoint");
        let args = self.args.lock().unwrap().clone();
        let max_age = args.wal.max_segment_age;
        let tenants: BTreeMap<String, String> = args
            .endpoints
            .iter()
            .map(|e| (e.id(), e.tenant_id.clone()))
            .collect();
        let id = self.ctx.id.clone();
        let metrics = self.metrics.clone();
        let log = thread.wal().clone();
        let _ = thread.submit(move |wal| {
            let mut limit = delivered.segment;
            match wal.roll_if_at(delivered) {
                Ok(true) => limit = delivered.segment + 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(component = %id, "closing the delivered WAL segment: {e}"),
            }
            if let Err(e) = wal.remove_segments_before(limit) {
                tracing::warn!(component = %id, "removing delivered WAL segments: {e}");
            }
            if max_age.is_zero() {
                return;
            }
            let now = SystemTime::now();
            let Ok(segments) = wal.segments() else { return };
            let expired: Vec<u64> = segments
                .iter()
                .take(segments.len().saturating_sub(1))
                .take_while(|s| now.duration_since(s.modified).is_ok_and(|age| age > max_age))
                .map(|s| s.segment)
                .collect();
            let Some(&last) = expired.last() else { return };
            let lost = count_undelivered(&log, &expired, &running, &tenants);
            for ((host, tenant), (entries, bytes)) in &lost {
                metrics.dropped(
                    host,
                    tenant,
                    metrics::REASON_WAL_SEGMENT_EXPIRED,
                    *entries,
                    *bytes,
                );
            }
            let total: u64 = lost.values().map(|(n, _)| n).sum();
            tracing::warn!(component = %id,
                "removing WAL segments up to {last} older than wal.max_segment_age ({}): {total} entries not yet delivered to every endpoint are dropped",
                ingot_gocompat::time::format_std_duration(max_age));
            if let Err(e) = wal.remove_segments_before(last + 1) {
                tracing::warn!(component = %id, "removing expired WAL segments: {e}");
            }
        });
    }
}

/// Entries (and their bytes) in `segments` that each endpoint has not been sent, by `(host, tenant)`.
fn count_undelivered(
    wal: &Arc<Wal>,
    segments: &[u64],
    endpoints: &[(Arc<EndpointState>, Option<Position>)],
    tenants: &BTreeMap<String, String>,
) -> BTreeMap<(String, String), (u64, u64)> {
    let mut out = BTreeMap::new();
    let (Some(&first), Some(&last)) = (segments.first(), segments.last()) else {
        return out;
    };
    let mut reader = wal.reader(Position::new(first, 0));
    let mut payload = Vec::new();
    let mut entries = Vec::new();
    while let Ok(Read::Record(end)) = reader.next(&mut payload) {
        if end.segment > last {
            break;
        }
        if codec::decode(&payload, &mut entries).is_none() {
            continue;
        }
        for (state, delivered) in endpoints {
            if delivered.is_some_and(|d| end <= d) {
                continue;
            }
            let default_tenant = tenants.get(&state.id).cloned().unwrap_or_default();
            for e in &entries {
                let tenant = e
                    .labels
                    .get(TENANT_LABEL)
                    .map(str::to_string)
                    .unwrap_or_else(|| default_tenant.clone());
                let slot = out.entry((state.host.clone(), tenant)).or_insert((0, 0));
                slot.0 += 1;
                slot.1 += e.size() as u64;
            }
        }
    }
    out
}

/// An Alloy storage path may hold Alloy's own loki.write WAL (Prometheus' format) where ingot keeps its
/// own. ingot cannot replay it and must not repair it away: it moves it, whole and untouched, to
/// `alloy-wal` beside it and says so, then starts its own WAL in the usual place.
fn set_aside_foreign_wal(id: &str, dir: &Path) -> Result<(), String> {
    use ingot_wal::ownership::{inspect, set_aside, Ownership};
    match inspect(dir) {
        Ok(Ownership::Foreign(what)) => match set_aside(dir, "alloy-wal") {
            Ok(to) => {
                tracing::warn!(component = %id,
                    "{} holds {what}, which ingot cannot replay; moved it intact to {} (its entries are not sent; delete it once you no longer need it) and starting ingot's own WAL",
                    dir.display(), to.display());
                Ok(())
            }
            Err(e) => Err(format!(
                "{} holds {what}, not an ingot WAL, and moving it aside failed: {e}; it is left as it is",
                dir.display()
            )),
        },
        Ok(_) => Ok(()),
        Err(e) => Err(format!("reading the WAL directory {}: {e}", dir.display())),
    }
}

/// The file listing the endpoints that have had a position, so that a missing position file of a known
/// endpoint (deleted) is told from a new endpoint's.
const KNOWN_ENDPOINTS: &str = "endpoints";

/// Before the endpoints start: reads which endpoints were known, records `keep` as the known ones from now
/// on, and removes the positions of endpoints no longer configured. Returns the endpoints known before.
fn prepare_positions(dir: &Path, keep: &[String]) -> Vec<String> {
    let list = dir.join(KNOWN_ENDPOINTS);
    let known: Vec<String> = std::fs::read_to_string(&list)
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default();
    let mut all: Vec<String> = keep.to_vec();
    all.sort();
    all.dedup();
    let text: String = all
        .iter()
        .filter(|id| !id.contains('\n'))
        .map(|id| format!("{id}\n"))
        .collect();
    let saved = std::fs::create_dir_all(dir).and_then(|()| {
        let tmp = list.with_extension("tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &list)
    });
    if let Err(e) = saved {
        tracing::warn!(
            "recording the known loki.write endpoints in {}: {e}",
            list.display()
        );
    }
    let keep_files: Vec<PathBuf> = keep.iter().map(|id| position_file(dir, id)).collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "position") && !keep_files.contains(&p) {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
    known
}
