//! The `prometheus.remote_write` component: the `receiver` it exports writes each batch to the WAL and
//! returns (it never waits on the network); one queue per endpoint reads the WAL and sends.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use ingot_prom::remote_write::{Client, ExternalLabels};
use ingot_prom::sample::{AppendError, Appender, Batch, Metadata, Receiver};
use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_syntax::value::Value;
use ingot_wal::thread::{Appended, WalThread};
use ingot_wal::{Options as WalFileOptions, Wal};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::args::{Arguments, Endpoint};
use super::codec;
use super::metrics;
use super::queue::{run_endpoint, EndpointMetrics, EndpointState, HealthBoard, Shared};
use super::series::ActiveSeries;
use ingot_common::receiver::MetricsReceiver;

pub const NAME: &str = "prometheus.remote_write";

/// How often the WAL is fsynced: a killed process loses nothing (the page cache keeps what was written), a
/// power failure at most this much.
const SYNC_INTERVAL: Duration = Duration::from_secs(1);
/// How often delivered segments are looked for and removed.
const TRUNCATE_CHECK: Duration = Duration::from_secs(5);

/// Bytes of encoded batches that may wait for the WAL's thread. Past this the disk is not keeping up, and
/// further batches are refused (counted, and the component unhealthy) instead of blocking the scrapes.
const WAL_QUEUE_LIMIT: u64 = 64 << 20;

/// The receiver's side: encodes a batch into one WAL record and queues it for the WAL's thread.
struct WalAppender {
    thread: RwLock<Option<WalThread>>,
    appended: Arc<watch::Sender<u64>>,
    metadata: Arc<Mutex<HashMap<String, Metadata>>>,
    health: Arc<HealthBoard>,
    /// Samples that never reached the WAL: refused while the disk fell behind, or lost to a failed write.
    samples_lost: Arc<AtomicU64>,
    /// Samples the WAL's thread wrote.
    samples_appended: Arc<AtomicU64>,
    /// The newest sample timestamp handed to the WAL, in milliseconds.
    highest_timestamp_ms: AtomicI64,
    series: ActiveSeries,
    id: String,
    debug: ingot_runtime::livedebugging::Publisher,
}

impl Appender for WalAppender {
    fn append(&self, batch: &Batch) -> Result<(), AppendError> {
        if !batch.metadata.is_empty() {
            let mut m = self.metadata.lock().unwrap_or_else(|e| e.into_inner());
            for md in &batch.metadata {
                if m.get(&md.metric_family) != Some(md) {
                    m.insert(md.metric_family.clone(), md.clone());
                }
            }
        }
        if batch.samples.is_empty() {
            return Ok(());
        }
        // As Alloy's interceptor: every sample handed to the storage shows, taken or not.
        crate::livedebug::publish_samples(&self.debug, &batch.samples);
        let thread = self
            .thread
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(thread) = thread else {
            return Err(AppendError(format!("{}: the WAL is not open", self.id)));
        };
        let mut buf = Vec::with_capacity(64 * batch.samples.len());
        codec::encode(&batch.samples, &mut buf);
        let samples = batch.samples.len() as u64;
        thread.append(buf, samples).map_err(|refused| {
            self.samples_lost.fetch_add(samples, Ordering::Relaxed);
            let msg = format!(
                "{} samples not written to the WAL in {}: {refused}",
                samples,
                thread.wal().dir().display()
            );
            self.health.set("wal", Some(msg.clone()));
            AppendError(msg)
        })?;
        // Taken by the WAL: the series are tracked and the newest timestamp counts, as in Prometheus'
        // remote storage appender.
        if let Some(newest) = batch.samples.iter().map(|s| s.timestamp_ms).max() {
            self.highest_timestamp_ms
                .fetch_max(newest, Ordering::Relaxed);
        }
        self.series.appended(&batch.samples);
        Ok(())
    }
}

impl WalAppender {
    /// What the WAL's thread does after each append: wake the endpoints, or say why the record was lost.
    fn on_append(&self, dir: std::path::PathBuf) -> impl Fn(Appended) + Send + 'static {
        let (appended, health, lost, written) = (
            self.appended.clone(),
            self.health.clone(),
            self.samples_lost.clone(),
            self.samples_appended.clone(),
        );
        move |outcome: Appended| match outcome.result {
            Ok(_) => {
                written.fetch_add(outcome.items, Ordering::Relaxed);
                health.set("wal", None);
                appended.send_modify(|n| *n = n.wrapping_add(1));
            }
            Err(e) => {
                lost.fetch_add(outcome.items, Ordering::Relaxed);
                health.set(
                    "wal",
                    Some(format!(
                        "{} samples not written to the WAL in {}: {e}",
                        outcome.items,
                        dir.display()
                    )),
                );
            }
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
    shared: Mutex<Option<Arc<Shared>>>,
    endpoints: Mutex<Vec<RunningEndpoint>>,
    wal_open_error: Mutex<Option<String>>,
}

/// Logs each setting accepted without effect, by name and why.
fn warn_without_effect(id: &str, warnings: &[String]) {
    for w in warnings {
        tracing::warn!(component = %id, "{w}");
    }
}

fn clients(args: &Arguments) -> Result<Vec<Client>, String> {
    args.endpoints
        .iter()
        .map(|e| {
            Client::new(e.client_config()?, e.queue.retry_on_http_429)
                .map_err(|err| format!("endpoint {:?}: {err}", e.id()))
        })
        .collect()
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;
    const LIVE_DEBUGGING: bool = true;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        // Only checks: the WAL directory is created by `start`, so that `ingot validate` leaves no files.
        // Validating reads no TLS or credential file: the endpoints' settings are checked, not loaded.
        if ctx.validate_only {
            for e in &args.endpoints {
                e.client_config()
                    .map_err(|err| format!("endpoint {:?}: {err}", e.id()))?;
            }
        } else {
            clients(&args)?;
        }
        let mut ids: Vec<String> = args.endpoints.iter().map(Endpoint::id).collect();
        ids.sort();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!(
                "found duplicate remote write endpoint name {:?}",
                w[0]
            ));
        }
        let health = Arc::new(HealthBoard::new(ctx.health.clone()));
        warn_without_effect(&ctx.id, &args.warnings);
        if !args.warnings.is_empty() {
            health.set_notes(args.warnings.clone());
        }
        let (appended, _) = watch::channel(0u64);
        let appender = Arc::new(WalAppender {
            thread: RwLock::new(None),
            appended: Arc::new(appended),
            samples_lost: Arc::new(AtomicU64::new(0)),
            samples_appended: Arc::new(AtomicU64::new(0)),
            highest_timestamp_ms: AtomicI64::new(0),
            series: ActiveSeries::default(),
            metadata: Arc::new(Mutex::new(HashMap::new())),
            health,
            id: ctx.id.clone(),
            debug: ctx.live_debugging.clone(),
        });
        let receiver = Receiver::new(ctx.id.clone(), appender.clone() as Arc<dyn Appender>);
        ctx.exports.init(Value::object([(
            "receiver",
            Value::from(MetricsReceiver(receiver)),
        )]));
        Ok(Component {
            ctx,
            args: Mutex::new(args),
            appender,
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
        if let Err(msg) = set_aside_foreign_wal(&self.ctx.id, &dir) {
            *self.wal_open_error.lock().unwrap() = Some(msg.clone());
            self.ctx.health.unhealthy(msg);
            return;
        }
        let wal = match Wal::open(&dir, WalFileOptions::default()) {
            Ok((wal, report)) => {
                tracing::info!(component = %self.ctx.id, wal = %dir.display(),
                    "WAL opened: {} segment(s), {} record(s), {} bytes", report.segments, report.records, report.bytes);
                Arc::new(wal)
            }
            Err(e) => {
                let msg = format!("opening the WAL in {}: {e}", dir.display());
                *self.wal_open_error.lock().unwrap() = Some(msg.clone());
                self.ctx.health.unhealthy(msg);
                return;
            }
        };
        let thread = match WalThread::spawn(
            wal.clone(),
            "ingot-wal",
            WAL_QUEUE_LIMIT,
            self.appender.on_append(dir.clone()),
        ) {
            Ok(t) => t,
            Err(e) => {
                let msg = format!("starting the WAL's thread for {}: {e}", dir.display());
                *self.wal_open_error.lock().unwrap() = Some(msg.clone());
                self.ctx.health.unhealthy(msg);
                return;
            }
        };
        *self.appender.thread.write().unwrap() = Some(thread.clone());
        let args = self.args.lock().unwrap().clone();
        let shared = Arc::new(Shared {
            wal: thread.clone(),
            appended: self.appender.appended.subscribe(),
            external: Arc::new(ExternalLabels::new(args.external_labels.clone())),
            metadata: self.appender.metadata.clone(),
            health: self.appender.health.clone(),
            positions_dir: dir.join("positions"),
        });
        *self.shared.lock().unwrap() = Some(shared.clone());
        self.start_endpoints(&args, &shared);
        self.appender.health.set("wal", None);

        let me = self.clone();
        let shutdown = self.ctx.shutdown.clone();
        self.ctx.tasks.spawn(async move {
            let mut sync = tokio::time::interval(SYNC_INTERVAL);
            let mut truncate = tokio::time::interval(TRUNCATE_CHECK);
            loop {
                tokio::select! {
                    _ = sync.tick() => {
                        let health = me.appender.health.clone();
                        // Queued behind the appends; a sync still waiting is not queued twice.
                        let _ = thread.submit(move |wal| {
                            if let Err(e) = wal.sync() {
                                health.set("wal", Some(format!("syncing the WAL: {e}")));
                            }
                        });
                    }
                    _ = truncate.tick() => {
                        me.truncate(&thread);
                        let every = me.args.lock().unwrap().wal.truncate_frequency;
                        me.appender.series.collect_garbage(every);
                    }
                    _ = shutdown.cancelled() => break,
                }
            }
            // Let the endpoints flush and save their positions, then make the log durable.
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
                    health.set("wal", Some(format!("syncing the WAL: {e}")));
                }
            })
            .await;
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        clients(&args)?;
        warn_without_effect(&self.ctx.id, &args.warnings);
        self.appender.health.set_notes(args.warnings.clone());
        *self.args.lock().unwrap() = args.clone();
        let shared = self.shared.lock().unwrap().clone();
        if let Some(old) = shared {
            let shared = Arc::new(Shared {
                wal: old.wal.clone(),
                appended: self.appender.appended.subscribe(),
                external: Arc::new(ExternalLabels::new(args.external_labels.clone())),
                metadata: old.metadata.clone(),
                health: old.health.clone(),
                positions_dir: old.positions_dir.clone(),
            });
            *self.shared.lock().unwrap() = Some(shared.clone());
            self.start_endpoints(&args, &shared);
        }
        Ok(())
    }

    fn debug_info(&self) -> Option<Value> {
        let endpoints: Vec<Value> = self
            .endpoints
            .lock()
            .unwrap()
            .iter()
            .map(|e| {
                let m = &e.state.metrics;
                let delivered = e
                    .state
                    .delivered
                    .lock()
                    .unwrap()
                    .map(|p| format!("{}:{}", p.segment, p.offset));
                Value::object([
                    ("name", Value::string(e.state.id.as_str())),
                    ("url", Value::string(e.state.url.as_str())),
                    (
                        "protobuf_message",
                        Value::string(match *e.state.protocol.lock().unwrap() {
                            ingot_prom::remote_write::Protocol::V1 => "prometheus.WriteRequest",
                            ingot_prom::remote_write::Protocol::V2 => {
                                "io.prometheus.write.v2.Request"
                            }
                        }),
                    ),
                    ("shards", Value::int(metrics::SHARDS.read(m) as i64)),
                    (
                        "samples_sent",
                        Value::int(metrics::SAMPLES_SENT.read(m) as i64),
                    ),
                    (
                        "samples_failed",
                        Value::int(metrics::SAMPLES_FAILED.read(m) as i64),
                    ),
                    (
                        "samples_retried",
                        Value::int(metrics::SAMPLES_RETRIED.read(m) as i64),
                    ),
                    (
                        "samples_pending",
                        Value::int(metrics::SAMPLES_PENDING.read(m) as i64),
                    ),
                    (
                        "delivered_position",
                        delivered.map(Value::from).unwrap_or(Value::Null),
                    ),
                ])
            })
            .collect();
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
                let read = |metric: &metrics::WalMetric| Value::int(metric.read(s) as i64);
                Value::object([
                    ("dir", Value::string(w.dir().display().to_string())),
                    ("segments", read(&metrics::WAL_SEGMENTS)),
                    ("bytes", read(&metrics::WAL_BYTES)),
                    ("corruptions", read(&metrics::WAL_CORRUPTIONS)),
                    ("records_replayed", read(&metrics::WAL_RECORDS_REPLAYED)),
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
            ("wal", wal_value),
        ]))
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let mut out = Vec::new();
        for e in self.endpoints.lock().unwrap().iter() {
            metrics::endpoint_metrics(&e.state.metrics, &e.state.id, &e.state.url, &mut out);
        }
        let none: [&str; 0] = [];
        let a = &self.appender;
        out.push(DebugMetric::new(
            &metrics::HIGHEST_TIMESTAMP,
            none,
            a.highest_timestamp_ms
                .load(Ordering::Relaxed)
                .div_euclid(1000) as f64,
        ));
        let thread = self.appender.thread.read().unwrap().clone();
        if let Some(t) = thread {
            let s = t.wal().stats();
            out.push(DebugMetric::new(
                &metrics::WAL_SAMPLES_APPENDED,
                none,
                a.samples_appended.load(Ordering::Relaxed) as f64,
            ));
            out.push(DebugMetric::new(
                &metrics::WAL_ACTIVE_SERIES,
                none,
                a.series.active() as f64,
            ));
            out.push(DebugMetric::new(
                &metrics::WAL_CREATED_SERIES,
                none,
                a.series.created() as f64,
            ));
            out.push(DebugMetric::new(
                &metrics::WAL_REMOVED_SERIES,
                none,
                a.series.removed() as f64,
            ));
            for metric in metrics::WAL_METRICS {
                out.push(DebugMetric::new(&metric.desc, none, metric.read(s) as f64));
            }
            out.push(DebugMetric::new(
                &metrics::WAL_SAMPLES_LOST,
                none,
                self.appender.samples_lost.load(Ordering::Relaxed) as f64,
            ));
            out.push(DebugMetric::new(
                &metrics::WAL_QUEUE_BYTES,
                none,
                t.queued_bytes() as f64,
            ));
        }
        out
    }
}

impl Component {
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
                self.ctx.health.unhealthy(e);
                return;
            }
        };
        let keep: Vec<String> = args.endpoints.iter().map(Endpoint::id).collect();
        let known = prepare_positions(&shared.positions_dir, &keep);
        remove_stale_positions(&shared.positions_dir, &keep);
        for (endpoint, client) in args.endpoints.iter().cloned().zip(clients) {
            let state = Arc::new(EndpointState {
                id: endpoint.id(),
                // Shown in health, logs, debug info and the `url` label: with its password as `xxxxx`.
                url: ingot_gocompat::url::redacted(&endpoint.url),
                metrics: EndpointMetrics::default(),
                protocol: Mutex::new(endpoint.protobuf_message),
                delivered: Mutex::new(None),
            });
            let cancel = self.ctx.shutdown.child_token();
            let prev = previous.remove(&state.id);
            // A new endpoint starts at the present, as in Prometheus (it is not sent the history others
            // were sent). "The present" is now, not whenever its task first runs: samples appended in
            // between must reach it. A known endpoint whose position file went missing (deleted) starts
            // at the WAL's start instead: it may be sent something twice, but loses nothing.
            let pos_file = super::queue::position_file(&shared.positions_dir, &state.id);
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
                    shared.health.set(
                        &state.id,
                        Some(format!(
                            "endpoint {}: saving the WAL position: {e}",
                            state.url
                        )),
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

    /// On the WAL's thread: removes segments every endpoint has delivered, and segments older than
    /// `max_keepalive_time` even when undelivered (counted: the disk must stay bounded while a receiver is
    /// gone for good).
    fn truncate(&self, thread: &WalThread) {
        let running = self.endpoints.lock().unwrap();
        let min_delivered = running
            .iter()
            .map(|e| *e.state.delivered.lock().unwrap())
            .try_fold(None::<ingot_wal::Position>, |acc, p| {
                p.map(|p| Some(acc.map_or(p, |a| a.min(p))))
            })
            .flatten();
        drop(running);
        let Some(delivered) = min_delivered else {
            return;
        };
        let limit = delivered.segment;
        let max_age = self.args.lock().unwrap().wal.max_keepalive_time;
        let id = self.ctx.id.clone();
        let _ = thread.submit(move |wal| {
            // Everything delivered: close the segment being written so that it can go too. Otherwise a log
            // that fits in one segment only grows, and on a full disk never frees the space it holds.
            let mut limit = limit;
            match wal.roll_if_at(delivered) {
                Ok(true) => limit = delivered.segment + 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(component = %id, "closing the delivered WAL segment: {e}"),
            }
            if let Err(e) = wal.remove_segments_before(limit) {
                tracing::warn!(component = %id, "removing delivered WAL segments: {e}");
            }
            let now = SystemTime::now();
            if let Ok(segments) = wal.segments() {
                let old = segments
                    .iter()
                    .take(segments.len().saturating_sub(1))
                    .take_while(|s| {
                        now.duration_since(s.modified)
                            .is_ok_and(|age| age > max_age)
                    })
                    .last();
                if let Some(s) = old {
                    tracing::warn!(component = %id,
                        "dropping undelivered WAL segments up to {} (older than max_keepalive_time {max_age:?})", s.segment);
                    let _ = wal.remove_segments_before(s.segment + 1);
                }
            }
        });
    }
}

/// An Alloy storage path holds Alloy's WAL (Prometheus' format) where ingot keeps its own. ingot cannot
/// replay it, and must not repair it away: it moves it, whole and untouched, to `alloy-wal` beside it and
/// says so, then starts its own WAL in the usual place.
fn set_aside_foreign_wal(id: &str, dir: &std::path::Path) -> Result<(), String> {
    use ingot_wal::ownership::{inspect, set_aside, Ownership};
    match inspect(dir) {
        Ok(Ownership::Foreign(what)) => match set_aside(dir, "alloy-wal") {
            Ok(to) => {
                tracing::warn!(component = %id,
                    "{} holds {what}, which ingot cannot replay; moved it intact to {} (its samples are not sent; delete it once you no longer need it) and starting ingot's own WAL",
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

/// Before the endpoints start: renames position files from earlier versions' names, reads which endpoints
/// were known, and records `keep` as the known ones from now on. Returns the endpoints known before.
fn prepare_positions(dir: &std::path::Path, keep: &[String]) -> Vec<String> {
    use super::queue::{legacy_position_file, position_file};
    for id in keep {
        let (legacy, new) = (legacy_position_file(dir, id), position_file(dir, id));
        if legacy.exists() && !new.exists() {
            if let Err(e) = std::fs::rename(&legacy, &new) {
                tracing::warn!(endpoint = %id, "renaming the position file {}: {e}", legacy.display());
            }
        }
    }
    let list = dir.join(KNOWN_ENDPOINTS);
    let known: Vec<String> = std::fs::read_to_string(&list)
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default();
    // From now on the known endpoints are the configured ones: a removed endpoint's position is removed
    // too, and if it comes back it is new.
    let mut all: Vec<String> = keep.to_vec();
    all.sort();
    all.dedup();
    // Ids are written one per line: a name holding a newline is left out (it only loses the distinction).
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
            "recording the known remote_write endpoints in {}: {e}",
            list.display()
        );
    }
    known
}

fn remove_stale_positions(dir: &std::path::Path, keep: &[String]) {
    let keep: Vec<_> = keep
        .iter()
        .map(|id| super::queue::position_file(dir, id))
        .collect();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "position") && !keep.contains(&p) {
            let _ = std::fs::remove_file(&p);
        }
    }
}
