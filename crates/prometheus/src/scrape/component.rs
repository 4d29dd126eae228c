//! The `prometheus.scrape` component: one tokio task per target, spread over the interval by
//! Prometheus' per-target offset.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ingot_prom::exposition::{Desc, MetricType};
use ingot_prom::labels::Labels;
use ingot_prom::sample::{release, Batch, Receiver, Sample, TargetMetadata};
use ingot_prom::scrape::{
    populate_labels, target_offset, target_url, Report, ReportSeries, ScrapeCache, ScrapeOptions,
    TargetDefaults,
};
use ingot_prom::text_parse::{accept_header, select_format};
use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_syntax::value::{format_duration, Value};
use tokio_util::sync::CancellationToken;

use super::args::Arguments;
use crate::fanout::FanoutMetrics;

use super::http::{build_client, fetch_http, fetch_memory, request_headers, FetchError, Fetched};

pub const NAME: &str = "prometheus.scrape";

static TARGETS_GAUGE: Desc = Desc::new(
    "prometheus_scrape_targets_gauge",
    "Number of targets this component is configured to scrape",
    MetricType::Gauge,
    &[],
);

/// What every loop of the component shares, replaced as a whole when the arguments change.
struct LoopConfig {
    args: Arguments,
    client: ingot_httpclient::Client,
    accept: String,
    options: ScrapeOptions,
    receivers: Vec<Receiver>,
    /// Set when the target limit is exceeded: every scrape fails with it, as in Prometheus.
    forced_error: Option<String>,
}

/// A target after label population.
struct Target {
    labels: Labels,
    public: Labels,
    url: String,
    interval: Duration,
    timeout: Duration,
}

#[derive(Clone, Debug, Default)]
struct TargetStatus {
    health: &'static str,
    last_error: String,
    last_scrape: Option<SystemTime>,
    last_scrape_duration: Duration,
}

/// What a stopped loop hands to the loop that replaces it for the same series.
struct Handover {
    cache: ScrapeCache,
    last_ts: Option<i64>,
    /// The config the cache's label sets were built with.
    config: Arc<LoopConfig>,
}

type HandoverSlot = Arc<Mutex<Option<tokio::sync::oneshot::Sender<Handover>>>>;

struct LoopHandle {
    stop: CancellationToken,
    status: Arc<Mutex<TargetStatus>>,
    url: String,
    job: String,
    public: Labels,
    /// Hash of every label, internal ones included (`__scrape_interval__`, `__scrape_timeout__`,
    /// ...): when it changes for the same series, the loop restarts with the new schedule.
    labels_hash: u64,
    /// Filled when this loop is replaced: it then passes its cache on instead of ending its series.
    handover: HandoverSlot,
    /// Cancelled when a new loop claims this one's cache while it waits to end its series.
    claimed: CancellationToken,
}

/// A loop whose target left, waiting out the end-of-run delay before it ends its series. A new
/// loop for the same series in that time (the target came back, or its URL changed: a new scheme,
/// metrics path or parameters) claims its cache instead, so no marker lands among the new loop's
/// samples out of order, and the new loop's first scrape ends, in order, whatever is gone.
struct Ending {
    public_hash: u64,
    url: String,
    handover: HandoverSlot,
    claimed: CancellationToken,
}

struct State {
    config: Arc<LoopConfig>,
    /// Keyed by the hash of the public labels and the URL: the series a loop writes. A new
    /// schedule for the same series restarts the loop rather than starting another beside it.
    loops: HashMap<(u64, String), LoopHandle>,
    ending: Vec<Ending>,
    /// Targets refused by label population, with why.
    dropped: Vec<String>,
    started: bool,
}

struct Shared {
    ctx: Context,
    state: Mutex<State>,
    /// Each loop reads the current config at every scrape.
    config: Mutex<Arc<LoopConfig>>,
    offset_seed: u64,
    /// `prometheus_scrape_targets_gauge`: the targets given, as Alloy counts them (before label
    /// population drops any).
    targets: AtomicU64,
    fanout: FanoutMetrics,
}

pub struct Component {
    shared: Arc<Shared>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

fn make_config(ctx: &Context, args: Arguments) -> Result<LoopConfig, String> {
    let client = build_client(&args.http)?;
    let accept = accept_header(&args.scrape_protocols, args.escaping);
    let options = ScrapeOptions {
        honor_labels: args.honor_labels,
        honor_timestamps: args.honor_timestamps,
        track_timestamps_staleness: args.track_timestamps_staleness,
        sample_limit: args.sample_limit as usize,
        label_limit: args.label_limit as usize,
        label_name_length_limit: args.label_name_length_limit as usize,
        label_value_length_limit: args.label_value_length_limit as usize,
        validation: args.validation,
    };
    let receivers = args.forward_to.iter().map(|r| r.0.clone()).collect();
    let _ = ctx;
    Ok(LoopConfig {
        args,
        client,
        accept,
        options,
        receivers,
        forced_error: None,
    })
}

impl Shared {
    /// Hands a scrape's samples to every receiver. A receiver that refuses them does not stop the others
    /// and does not fail the scrape (as with Alloy's fanout); its own health says why it refused.
    /// The target's metadata travels beside the samples as a shared reference (rebuilt by the cache
    /// only when it changed), never as metadata to append: Alloy's scrape appends metadata only with
    /// `honor_metadata`, which ingot refuses.
    fn forward(
        &self,
        receivers: &[Receiver],
        samples: Vec<Sample>,
        target_metadata: Option<&Arc<TargetMetadata>>,
    ) {
        if samples.is_empty() {
            return;
        }
        let mut batch = Batch {
            samples,
            metadata: Vec::new(),
            target_metadata: target_metadata.cloned(),
        };
        let _refused = self.fanout.send(receivers, &batch);
        crate::livedebug::publish_samples(&self.ctx.live_debugging, &batch.samples);
        release(&mut batch.samples);
    }

    fn job_name(&self, args: &Arguments) -> String {
        if args.job_name.is_empty() {
            self.ctx.id.clone()
        } else {
            args.job_name.clone()
        }
    }

    /// Starts loops for new targets and stops those of targets that are gone.
    fn sync_targets(self: &Arc<Self>) {
        let mut state = lock(&self.state);
        // Once shutting down, every loop is ending its series; none is started or replaced.
        if !state.started || self.ctx.shutdown.is_cancelled() {
            return;
        }
        let config = state.config.clone();
        let args = &config.args;
        self.targets
            .store(args.targets.len() as u64, Ordering::Relaxed);
        let job = self.job_name(args);
        let defaults = TargetDefaults {
            job_name: &job,
            scrape_interval: args.scrape_interval,
            scrape_timeout: args.scrape_timeout,
            metrics_path: &args.metrics_path,
            scheme: &args.scheme,
            params: &args.params,
        };
        let mut wanted: HashMap<(u64, String), Target> = HashMap::new();
        let mut dropped = Vec::new();
        for t in &args.targets {
            let pairs: Vec<(&str, &str)> =
                t.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            match populate_labels(&pairs, &defaults, &[]) {
                Ok(Some(labels)) => {
                    let url = target_url(&labels, &args.params);
                    let parse = |n: &str| {
                        ingot_prom::scrape::parse_prom_duration(labels.get(n).unwrap_or(""))
                            .unwrap_or_default()
                    };
                    let interval = parse("__scrape_interval__");
                    let timeout = parse("__scrape_timeout__");
                    let public = public_labels(&labels);
                    // Two targets for the same series: the first wins, whatever order discovery
                    // lists the rest in.
                    wanted
                        .entry((public.hash(), url.clone()))
                        .or_insert(Target {
                            labels,
                            public,
                            url,
                            interval,
                            timeout,
                        });
                }
                Ok(None) => {}
                Err(e) => dropped.push(format!(
                    "{}: {e}",
                    t.get("__address__").map_or("", String::as_str)
                )),
            }
        }
        state.dropped = dropped;
        let limit = args.target_limit as usize;
        let forced = (limit > 0 && wanted.len() > limit).then(|| {
            format!(
                "target_limit exceeded (number of targets: {}, limit: {limit})",
                wanted.len()
            )
        });
        if forced != config.forced_error {
            let mut c = lock(&self.config);
            let next = LoopConfig {
                args: config.args.clone(),
                client: config.client.clone(),
                accept: config.accept.clone(),
                options: config.options.clone(),
                receivers: config.receivers.clone(),
                forced_error: forced,
            };
            *c = Arc::new(next);
            state.config = c.clone();
        }
        let mut ending = std::mem::take(&mut state.ending);
        state.loops.retain(|key, handle| {
            let keep = wanted.contains_key(key);
            if !keep {
                handle.stop.cancel();
                ending.push(Ending {
                    public_hash: key.0,
                    url: key.1.clone(),
                    handover: handle.handover.clone(),
                    claimed: handle.claimed.clone(),
                });
            }
            keep
        });
        state.ending = ending;
        for (key, target) in wanted {
            let labels_hash = target.labels.hash();
            // Same series, new schedule (Prometheus' reload): the old loop stops without ending
            // its series and hands its cache over, so the new loop's first scrape reports no
            // series as new and no end-of-run marker lands among the new loop's samples.
            let (previous, status) = match state.loops.get(&key) {
                Some(h) if h.labels_hash == labels_hash => continue,
                Some(h) => (Some(claim(&h.handover, &h.stop)), h.status.clone()),
                None => {
                    // The same series from a loop still waiting to end them: same URL first.
                    let found = state
                        .ending
                        .iter()
                        .position(|e| e.public_hash == key.0 && e.url == key.1)
                        .or_else(|| state.ending.iter().position(|e| e.public_hash == key.0));
                    let previous = found.map(|i| {
                        let e = state.ending.swap_remove(i);
                        claim(&e.handover, &e.claimed)
                    });
                    let status = Arc::new(Mutex::new(TargetStatus {
                        health: "unknown",
                        ..Default::default()
                    }));
                    (previous, status)
                }
            };
            let stop = self.ctx.shutdown.child_token();
            let claimed = CancellationToken::new();
            let handover: HandoverSlot = Arc::default();
            state.loops.insert(
                key,
                LoopHandle {
                    stop: stop.clone(),
                    status: status.clone(),
                    url: target.url.clone(),
                    job: target.public.get("job").unwrap_or("").to_string(),
                    public: target.public.clone(),
                    labels_hash,
                    handover: handover.clone(),
                    claimed: claimed.clone(),
                },
            );
            let shared = self.clone();
            // On the component's task tracker: shutdown waits for the loops' final staleness markers.
            self.ctx.tasks.spawn(async move {
                shared
                    .run_loop(target, status, stop, previous, handover, claimed)
                    .await
            });
        }
        drop(state);
        self.refresh_health();
    }

    /// Health: unhealthy while any target is down, naming each with its last error.
    fn refresh_health(&self) {
        let state = lock(&self.state);
        let mut down = Vec::new();
        let mut up = 0;
        for h in state.loops.values() {
            let s = lock(&h.status);
            match s.health {
                "down" => down.push(format!("{}: {}", h.url, s.last_error)),
                "up" => up += 1,
                _ => {}
            }
        }
        down.sort();
        let total = state.loops.len();
        if !down.is_empty() {
            self.ctx.health.unhealthy(format!(
                "{} of {total} targets down: {}",
                down.len(),
                down.join("; ")
            ));
        } else if !state.dropped.is_empty() {
            self.ctx
                .health
                .unhealthy(format!("invalid targets: {}", state.dropped.join("; ")));
        } else if total == 0 {
            self.ctx.health.healthy("no targets to scrape");
        } else if up == total {
            self.ctx.health.healthy(format!("all {total} targets up"));
        } else {
            self.ctx.health.healthy(format!(
                "{up} of {total} targets up, the others not scraped yet"
            ));
        }
    }

    async fn run_loop(
        self: Arc<Self>,
        target: Target,
        status: Arc<Mutex<TargetStatus>>,
        stop: CancellationToken,
        previous: Option<tokio::sync::oneshot::Receiver<Handover>>,
        handover: HandoverSlot,
        claimed: CancellationToken,
    ) {
        let shutdown = self.ctx.shutdown.clone();
        // The loop this one replaces finishes its scrape in flight (bounded by its timeout) and
        // passes its cache; one that had not started yet passes nothing. Not cut short by `stop`:
        // a cache taken over must still reach the end-of-run below.
        let inherited = match previous {
            Some(rx) => rx.await.ok(),
            None => None,
        };
        let (mut cache, mut last_ts, mut config) = match inherited {
            Some(h) => (h.cache, h.last_ts, h.config),
            None => (ScrapeCache::new(), None, lock(&self.config).clone()),
        };
        let interval = target.interval;
        let offset = target_offset(
            &target.labels,
            &target.url,
            interval,
            self.offset_seed,
            now_ns(),
        );
        // The first tick comes after the target's offset, then one per interval.
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + offset, interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let report_series = ReportSeries::new(&target.public);
        loop {
            tokio::select! {
                // A stopped loop scrapes no more: the loop replacing it waits for its cache.
                biased;
                _ = stop.cancelled() => break,
                _ = ticker.tick() => {}
            }
            let current = lock(&self.config).clone();
            if !Arc::ptr_eq(&current, &config) {
                // Options that shape label sets changed: rebuild them. A new interval, timeout or
                // receiver keeps them, so no series counts as added again.
                if current.options != config.options {
                    cache.clear_labels();
                }
                config = current;
            }
            let ts = aligned_timestamp(&mut last_ts, interval);
            self.scrape_once(&config, &target, &report_series, &mut cache, ts, &status)
                .await;
            self.refresh_health();
        }
        // Replaced by a loop for the same series (a new schedule): its series go on, unended.
        let replaced = lock(&handover).take();
        if let Some(tx) = replaced {
            let _ = tx.send(Handover {
                cache,
                last_ts,
                config,
            });
            return;
        }
        if last_ts.is_none() {
            // Stopped before its first scrape: no series to end.
            self.claim_or_forget(&handover);
            return;
        }
        // The component stops (the agent stops, or the component left the config): as Prometheus, whose
        // end-of-run staleness gives up when its scrape manager stops, no markers, unless the agent was
        // asked for them (`--feature.prometheus.scrape.stale-markers-on-stop`, docs/push-liveness.md).
        // A stop then looks like silence: a push relay shows the host down after `down_after`.
        if shutdown.is_cancelled() && !self.ctx.features.scrape_stale_markers_on_stop {
            self.claim_or_forget(&handover);
            return;
        }
        // End-of-run staleness: wait a tick, note the time, wait another tick and a tenth of the
        // interval, so that a target that only moved has taken over before its series are ended.
        let mut noted = None;
        if !shutdown.is_cancelled() {
            'wait: {
                tokio::select! { _ = ticker.tick() => {}, _ = shutdown.cancelled() => break 'wait, _ = claimed.cancelled() => break 'wait }
                noted = Some(now_ns() / 1_000_000);
                tokio::select! { _ = ticker.tick() => {}, _ = shutdown.cancelled() => break 'wait, _ = claimed.cancelled() => break 'wait }
                tokio::select! { _ = tokio::time::sleep(interval / 10) => {}, _ = shutdown.cancelled() => break 'wait, _ = claimed.cancelled() => break 'wait }
            }
        }
        // With the opt-in, a stop ends the series at once. The agent's shutdown stops this component
        // before the receivers it forwards to, so they still take the markers and flush them.
        if let Some(tx) = self.claim_or_forget(&handover) {
            // A new loop writes these series again (see `Ending`). Prometheus writes the markers
            // anyway and its TSDB refuses them as out of order; ingot forwards everything, and one
            // out-of-order sample makes a Prometheus receiver refuse the whole batch it came in.
            let _ = tx.send(Handover {
                cache,
                last_ts,
                config,
            });
            return;
        }
        let stale_ts = noted
            .unwrap_or_else(|| now_ns() / 1_000_000)
            .max(last_ts.map_or(i64::MIN, |t| t + 1));
        let mut samples = Vec::new();
        if cache.end_of_run(stale_ts, &mut samples) {
            report_series.append_stale(config.args.extra_metrics, stale_ts, &mut samples);
            self.forward(&config.receivers, samples, cache.metadata());
        }
    }

    /// Leaves the list of ending loops; the sender of the loop that claimed this one's cache, if
    /// one did. Both under the state lock, where claims are made, so a claim is never missed.
    fn claim_or_forget(
        &self,
        own: &HandoverSlot,
    ) -> Option<tokio::sync::oneshot::Sender<Handover>> {
        let mut state = lock(&self.state);
        state.ending.retain(|e| !Arc::ptr_eq(&e.handover, own));
        let claimed = lock(own).take();
        claimed
    }

    async fn scrape_once(
        &self,
        config: &LoopConfig,
        target: &Target,
        report_series: &ReportSeries,
        cache: &mut ScrapeCache,
        ts: i64,
        status: &Mutex<TargetStatus>,
    ) {
        let wall = SystemTime::now();
        let started = Instant::now();
        let args = &config.args;
        let fetched = match &config.forced_error {
            Some(e) => Err(FetchError {
                message: e.clone(),
                body_size: 0,
            }),
            None => self.fetch(config, target).await,
        };
        let mut samples: Vec<Sample> = Vec::new();
        let mut body_size: i64;
        let outcome = match fetched {
            Ok(Fetched { body, content_type }) => {
                body_size = body.len() as i64;
                match select_format(&content_type, args.scrape_fallback_protocol) {
                    Ok(sel) => cache.append_body(
                        &body,
                        sel.format,
                        &target.public,
                        &config.options,
                        ts,
                        &mut samples,
                    ),
                    Err(e) => {
                        cache.append_failure(ts, &mut samples);
                        ingot_prom::scrape::AppendOutcome {
                            error: Some(e),
                            ..Default::default()
                        }
                    }
                }
            }
            Err(e) => {
                body_size = e.body_size;
                cache.append_failure(ts, &mut samples);
                ingot_prom::scrape::AppendOutcome {
                    error: Some(e.message),
                    ..Default::default()
                }
            }
        };
        if outcome.error.is_some() && body_size > 0 {
            // Prometheus reports the body size only for a scrape that read its body successfully.
            body_size = 0;
        }
        let duration = started.elapsed();
        let report = Report {
            up: outcome.error.is_none(),
            duration,
            samples_scraped: outcome.samples_scraped,
            samples_post_relabel: outcome.samples_post_relabel,
            series_added: outcome.series_added,
            extra: args
                .extra_metrics
                .then_some((target.timeout, args.sample_limit, body_size)),
        };
        report_series.append(&report, ts, &mut samples);
        self.forward(&config.receivers, samples, cache.metadata());
        let mut s = lock(status);
        s.health = if report.up { "up" } else { "down" };
        s.last_error = outcome.error.unwrap_or_default();
        s.last_scrape = Some(wall);
        s.last_scrape_duration = duration;
    }

    async fn fetch(&self, config: &LoopConfig, target: &Target) -> Result<Fetched, FetchError> {
        let args = &config.args;
        let headers = request_headers(&config.accept, args.enable_compression, target.timeout);
        if target.labels.get("__address__") == Some(self.ctx.memory_addr.as_str()) {
            let path = target
                .labels
                .get("__metrics_path__")
                .unwrap_or("")
                .to_string();
            let query = target.url.split_once('?').map(|(_, q)| q.to_string());
            fetch_memory(
                &self.ctx.memory_http,
                &target.url,
                path,
                query,
                headers,
                target.timeout,
                args.body_size_limit,
            )
            .await
        } else {
            fetch_http(
                &config.client,
                &target.url,
                &headers,
                target.timeout,
                args.body_size_limit,
            )
            .await
        }
    }
}

/// Asks a loop for its cache: fills its slot, then wakes it with `wake` (its stop, or the end of its
/// end-of-run wait). Called under the state lock, where the loop looks at its slot.
fn claim(
    slot: &HandoverSlot,
    wake: &CancellationToken,
) -> tokio::sync::oneshot::Receiver<Handover> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    *lock(slot) = Some(tx);
    wake.cancel();
    rx
}

/// Prometheus' `AlignScrapeTimestamps`: a tick within `min(interval/100, 2ms)` of the ideal time
/// gets the ideal timestamp, so samples land on exact multiples of the interval.
fn aligned_timestamp(last: &mut Option<i64>, interval: Duration) -> i64 {
    let now = now_ns() / 1_000_000;
    let iv = interval.as_millis() as i64;
    let tolerance = (iv / 100).min(2);
    let ts = match *last {
        Some(prev) if (now - (prev + iv)).abs() <= tolerance => prev + iv,
        _ => now,
    };
    *last = Some(ts);
    ts
}

fn public_labels(labels: &Labels) -> Labels {
    let mut lb = labels.to_builder();
    lb.retain(|n, _| !n.starts_with("__"));
    lb.labels()
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;
    const LIVE_DEBUGGING: bool = true;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        let config = Arc::new(make_config(&ctx, args)?);
        let seed_text = format!("{}{{}}", hostname());
        let offset_seed = ingot_prom::scrape::fnv64a(&[seed_text.as_bytes()]);
        ctx.health.healthy("started component; no scrape yet");
        Ok(Component {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    config: config.clone(),
                    loops: HashMap::new(),
                    ending: Vec::new(),
                    dropped: Vec::new(),
                    started: false,
                }),
                config: Mutex::new(config),
                ctx,
                offset_seed,
                targets: AtomicU64::new(0),
                fanout: FanoutMetrics::default(),
            }),
        })
    }

    fn start(self: &Arc<Self>) {
        lock(&self.shared.state).started = true;
        self.shared.sync_targets();
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        let config = Arc::new(make_config(&self.shared.ctx, args)?);
        *lock(&self.shared.config) = config.clone();
        lock(&self.shared.state).config = config;
        self.shared.sync_targets();
        Ok(())
    }

    /// Alloy's `prometheus_scrape_targets_gauge` and its fanout's metrics, read without a lock: the
    /// agent's metrics are gathered during in-memory scrapes (`prometheus.exporter.self`).
    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let none: [&str; 0] = [];
        let mut out = vec![DebugMetric::new(
            &TARGETS_GAUGE,
            none,
            self.shared.targets.load(Ordering::Relaxed) as f64,
        )];
        self.shared.fanout.debug_metrics(&mut out);
        out
    }

    fn debug_info(&self) -> Option<Value> {
        let state = lock(&self.shared.state);
        let mut targets: Vec<(String, Value)> = state
            .loops
            .values()
            .map(|h| {
                let s = lock(&h.status).clone();
                let labels: BTreeMap<String, Value> = h
                    .public
                    .iter()
                    .map(|(n, v)| (n.to_string(), Value::string(v)))
                    .collect();
                let last_scrape = s
                    .last_scrape
                    .map(|t| humantime::format_rfc3339_millis(t).to_string())
                    .unwrap_or_default();
                let v = Value::object([
                    ("job", Value::string(h.job.as_str())),
                    ("url", Value::string(h.url.as_str())),
                    ("health", Value::string(s.health)),
                    ("labels", Value::object(labels)),
                    ("last_error", Value::string(s.last_error)),
                    ("last_scrape", Value::string(last_scrape)),
                    (
                        "last_scrape_duration",
                        Value::string(format_duration(s.last_scrape_duration)),
                    ),
                ]);
                (h.url.clone(), v)
            })
            .collect();
        targets.sort_by(|a, b| a.0.cmp(&b.0));
        let mut fields = vec![("target", Value::array(targets.into_iter().map(|(_, v)| v)))];
        if !state.dropped.is_empty() {
            fields.push((
                "invalid_targets",
                Value::array(state.dropped.iter().map(|d| Value::string(d.as_str()))),
            ));
        }
        Some(Value::object(fields))
    }
}
