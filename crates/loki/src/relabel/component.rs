//! The running `loki.relabel`: an appender that relabels each entry through the cache and hands what is
//! kept to its `forward_to` list through a [`Fanout`] (so a full receiver never makes it lose or double an
//! entry).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ingot_common::receiver::LogsReceiver;
use ingot_common::relabel::Rules;
use ingot_logs::{AppendError, Entry, Fanout, LogsAppender, Token};
use ingot_prom::exposition::{Desc, MetricType};
use ingot_prom::labels::Labels;
use ingot_prom::relabel::{process_with, CacheLimit, NameScheme, RelabelCache, Scratch};
use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_runtime::livedebugging::DataType;
use ingot_syntax::value::Value;

use super::args::Arguments;

pub const NAME: &str = "loki.relabel";

/// How often a batch held for a full receiver is offered again.
const RETRY_PENDING: Duration = Duration::from_millis(100);

// Alloy's metrics (`internal/component/loki/relabel/metrics.go`): counters without `_total`, as there.
static ENTRIES_PROCESSED: Desc = Desc::new(
    "loki_relabel_entries_processed",
    "Total number of log entries processed",
    MetricType::Counter,
    &[],
);
static ENTRIES_WRITTEN: Desc = Desc::new(
    "loki_relabel_entries_written",
    "Total number of log entries forwarded",
    MetricType::Counter,
    &[],
);
static CACHE_MISSES: Desc = Desc::new(
    "loki_relabel_cache_misses",
    "Total number of cache misses",
    MetricType::Counter,
    &[],
);
static CACHE_HITS: Desc = Desc::new(
    "loki_relabel_cache_hits",
    "Total number of cache hits",
    MetricType::Counter,
    &[],
);
static CACHE_SIZE: Desc = Desc::new(
    "loki_relabel_cache_size",
    "Total size of relabel cache",
    MetricType::Gauge,
    &[],
);

#[derive(Default)]
struct Counters {
    processed: AtomicU64,
    written: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

struct State {
    rules: Rules,
    max_cache_size: usize,
    cache: RelabelCache,
    scratch: Scratch,
}

struct Inner {
    id: String,
    state: Mutex<State>,
    fanout: Fanout,
    counters: Counters,
    debug: ingot_runtime::livedebugging::Publisher,
}

impl Inner {
    /// The entries kept, relabelled; with `watched`, each entry's labels after (`None`: dropped).
    fn relabel(&self, entries: &[Entry], watched: Option<&mut Vec<Option<Labels>>>) -> Vec<Entry> {
        let mut watched = watched;
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let State {
            rules,
            cache,
            scratch,
            ..
        } = &mut *state;
        let (hits, misses) = cache.hits_and_misses();
        let mut out = Vec::with_capacity(entries.len());
        cache.start_batch();
        for e in entries {
            // As Alloy: an entry left without labels is dropped, even when no rule touched it.
            let relabeled = cache.get_or_compute(&e.labels, now, |labels| {
                let mut lb = labels.to_builder();
                process_with(&rules.0, &mut lb, scratch, NameScheme::Legacy)
                    .then(|| lb.labels())
                    .filter(|l| !l.is_empty())
            });
            if let Some(w) = watched.as_deref_mut() {
                w.push(relabeled.clone());
            }
            match relabeled {
                Some(labels) => out.push(Entry {
                    labels,
                    ..e.clone()
                }),
                None => {
                    tracing::debug!(component = %self.id, labels = %e.labels, "dropping entry after relabeling");
                }
            }
        }
        let (hits_after, misses_after) = cache.hits_and_misses();
        drop(state);
        let c = &self.counters;
        c.hits.fetch_add(hits_after - hits, Ordering::Relaxed);
        c.misses.fetch_add(misses_after - misses, Ordering::Relaxed);
        out
    }

    fn forward(&self, entries: &[Entry], token: Option<&Token>) -> Result<(), AppendError> {
        let mut watched = self.debug.active().then(Vec::new);
        let out = self.relabel(entries, watched.as_mut());
        let refusals = self.fanout.send(&out, token)?;
        // Published once the entries are taken (a `Full` answer brings them again).
        if let Some(watched) = watched {
            for (entry, after) in entries.iter().zip(&watched) {
                self.debug
                    .publish(DataType::LokiLog, u64::from(after.is_some()), || {
                        crate::livedebug::relabel_line(entry, after.as_ref())
                    });
            }
        }
        for (receiver, why) in refusals {
            tracing::warn!(component = %self.id, receiver = %receiver, "entries dropped: the receiver refused them: {why}");
        }
        let c = &self.counters;
        c.processed
            .fetch_add(entries.len() as u64, Ordering::Relaxed);
        c.written.fetch_add(out.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

impl LogsAppender for Inner {
    fn append(&self, entries: &[Entry]) -> Result<(), AppendError> {
        self.forward(entries, None)
    }

    fn append_with(&self, entries: &[Entry], token: &Token) -> Result<(), AppendError> {
        self.forward(entries, Some(token))
    }
}

pub struct Component {
    ctx: Context,
    inner: Arc<Inner>,
    receiver: ingot_logs::LogsReceiver,
}

impl Component {
    fn exports(&self, rules: &Rules) -> Value {
        Value::object([
            ("receiver", Value::from(LogsReceiver(self.receiver.clone()))),
            ("rules", rules.to_value()),
        ])
    }
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;
    const LIVE_DEBUGGING: bool = true;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        let inner = Arc::new(Inner {
            id: ctx.id.clone(),
            state: Mutex::new(State {
                rules: args.rules.clone(),
                max_cache_size: args.max_cache_size,
                cache: RelabelCache::new(CacheLimit::Size(args.max_cache_size)),
                scratch: Scratch::default(),
            }),
            fanout: Fanout::new(args.forward_to.iter().map(|r| r.0.clone()).collect()),
            counters: Counters::default(),
            debug: ctx.live_debugging.clone(),
        });
        let receiver = ingot_logs::LogsReceiver::new(ctx.id.clone(), inner.clone());
        let c = Component {
            ctx,
            inner,
            receiver,
        };
        c.ctx.exports.init(c.exports(&args.rules));
        c.ctx.health.healthy("started component");
        Ok(c)
    }

    fn start(self: &Arc<Self>) {
        let inner = self.inner.clone();
        let shutdown = self.ctx.shutdown.clone();
        self.ctx.tasks.spawn(async move {
            let mut tick = tokio::time::interval(RETRY_PENDING);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if inner.fanout.has_pending() {
                            if let Ok(refusals) = inner.fanout.retry_pending() {
                                for (receiver, why) in refusals {
                                    tracing::warn!(component = %inner.id, receiver = %receiver, "entries dropped: the receiver refused them: {why}");
                                }
                            }
                        }
                    }
                    _ = shutdown.cancelled() => break,
                }
            }
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        {
            let mut s = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
            // New rules make every cached result wrong; a new size starts a cache of that size.
            if s.rules != args.rules || s.max_cache_size != args.max_cache_size {
                s.cache = RelabelCache::new(CacheLimit::Size(args.max_cache_size));
            }
            s.rules = args.rules.clone();
            s.max_cache_size = args.max_cache_size;
        }
        self.inner
            .fanout
            .set_receivers(args.forward_to.iter().map(|r| r.0.clone()).collect());
        self.ctx.exports.publish(self.exports(&args.rules));
        Ok(())
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let c = &self.inner.counters;
        let size = self
            .inner
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .cache
            .len();
        let none: [&str; 0] = [];
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
        vec![
            DebugMetric::new(&ENTRIES_PROCESSED, none, n(&c.processed)),
            DebugMetric::new(&ENTRIES_WRITTEN, none, n(&c.written)),
            DebugMetric::new(&CACHE_MISSES, none, n(&c.misses)),
            DebugMetric::new(&CACHE_HITS, none, n(&c.hits)),
            DebugMetric::new(&CACHE_SIZE, none, size as f64),
        ]
    }
}
