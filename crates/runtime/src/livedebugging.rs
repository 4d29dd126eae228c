//! Live debugging: components publish what passes through them, and the web API's streams
//! (`/api/v0/web/debug/<id>`, `/api/v0/web/graph`) watch it, as Alloy's `livedebugging` service does.
//!
//! Invariants:
//! - Zero cost while nobody watches: a component asks [`Publisher::active`] (one relaxed atomic load)
//!   before doing anything, and the text of an item is only built when a watcher wants it.
//! - A publish never blocks on a watcher: watchers take an item by adding to a bounded buffer under a
//!   lock held for a push, and drop it (counted) when the buffer is full. A slow or vanished client costs
//!   its own stream items, never the component's time nor the agent's memory.
//! - A watcher is attached by a [`Subscription`]; dropping it (the HTTP body being dropped when the client
//!   goes) detaches it, and the component's check is free again once the last one is gone.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::Waker;

/// What kind of data an item is (Alloy's `livedebugging.DataType`): the graph's edge types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataType {
    Target,
    PrometheusMetric,
    LokiLog,
    OtelMetric,
    OtelLog,
    OtelTrace,
}

impl DataType {
    /// Alloy's name for it, as the graph endpoint sends it.
    pub fn as_str(self) -> &'static str {
        match self {
            DataType::Target => "target",
            DataType::PrometheusMetric => "prometheus_metric",
            DataType::LokiLog => "loki_log",
            DataType::OtelMetric => "otel_metric",
            DataType::OtelLog => "otel_log",
            DataType::OtelTrace => "otel_trace",
        }
    }
}

/// One published item, as a watcher sees it. Its text is built on first request, at most once
/// whatever the number of watchers.
pub struct Item<'a> {
    pub component_id: &'a str,
    pub kind: DataType,
    /// How many samples, entries, spans... the item stands for (what the graph's rates count).
    pub count: u64,
    /// Where the data goes when the component sends different data to different receivers (the
    /// otelcol components' outputs); `None` means "to every receiver of the component".
    pub targets: Option<&'a [String]>,
    text: Option<Arc<str>>,
    make_text: &'a mut dyn FnMut() -> String,
}

impl Item<'_> {
    /// The item as the debug stream shows it.
    pub fn text(&mut self) -> Arc<str> {
        if let Some(t) = &self.text {
            return t.clone();
        }
        let t: Arc<str> = (self.make_text)().into();
        self.text = Some(t.clone());
        t
    }
}

/// Something that watches a component's items. `deliver` runs on the publishing component's thread:
/// it must not block nor wait (take a lock only for a push).
pub trait Watcher: Send + Sync {
    fn deliver(&self, item: &mut Item<'_>);
}

type WatcherList = Vec<(u64, Arc<dyn Watcher>)>;

/// One component's publishing point.
struct Slot {
    id: Arc<str>,
    /// The number of watchers attached: what [`Publisher::active`] reads.
    watching: AtomicUsize,
    watchers: RwLock<WatcherList>,
}

impl Slot {
    fn new(id: &str) -> Slot {
        Slot {
            id: id.into(),
            watching: AtomicUsize::new(0),
            watchers: RwLock::new(Vec::new()),
        }
    }
}

/// What a component publishes with (in its `Context`). Cheap to clone.
#[derive(Clone)]
pub struct Publisher {
    slot: Arc<Slot>,
}

impl Publisher {
    /// A publisher nobody can watch (components built outside a controller, in tests and benches).
    pub fn detached(id: &str) -> Publisher {
        Publisher {
            slot: Arc::new(Slot::new(id)),
        }
    }

    /// Whether anyone watches this component now: one atomic load. Check it before preparing items.
    #[inline]
    pub fn active(&self) -> bool {
        self.slot.watching.load(Ordering::Relaxed) != 0
    }

    /// Publishes an item to every watcher, if any; `text` runs only if a watcher wants the text.
    #[inline]
    pub fn publish(&self, kind: DataType, count: u64, text: impl FnOnce() -> String) {
        if self.active() {
            self.publish_item(kind, count, None, text);
        }
    }

    /// [`Publisher::publish`] for data that goes to the receivers `targets` only (Alloy's
    /// `WithTargetComponentIDs`).
    #[inline]
    pub fn publish_to(
        &self,
        kind: DataType,
        count: u64,
        targets: &[String],
        text: impl FnOnce() -> String,
    ) {
        if self.active() {
            self.publish_item(kind, count, Some(targets), text);
        }
    }

    fn publish_item(
        &self,
        kind: DataType,
        count: u64,
        targets: Option<&[String]>,
        text: impl FnOnce() -> String,
    ) {
        if !self.active() {
            return;
        }
        let mut text = Some(text);
        let mut make = || text.take().map(|f| f()).unwrap_or_default();
        let mut item = Item {
            component_id: &self.slot.id,
            kind,
            count,
            targets,
            text: None,
            make_text: &mut make,
        };
        let watchers = self.slot.watchers.read().unwrap_or_else(|e| e.into_inner());
        for (_, w) in watchers.iter() {
            w.deliver(&mut item);
        }
    }
}

/// The agent's live debugging: one publishing point per component id. The controller owns it.
#[derive(Default)]
pub struct LiveDebugging {
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    next_id: AtomicU64,
}

impl LiveDebugging {
    fn slot(&self, id: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots
            .entry(id.to_string())
            .or_insert_with(|| Arc::new(Slot::new(id)))
            .clone()
    }

    /// The publisher of component `id`. A component rebuilt under the same id publishes to the same
    /// watchers (Alloy keys its callbacks by id too).
    pub fn publisher(&self, id: &str) -> Publisher {
        Publisher {
            slot: self.slot(id),
        }
    }

    /// Attaches `watcher` to the components `ids`; it stays attached until the subscription is dropped.
    pub fn subscribe<'a>(
        self: &Arc<Self>,
        ids: impl IntoIterator<Item = &'a str>,
        watcher: Arc<dyn Watcher>,
    ) -> Subscription {
        let key = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut slots = Vec::new();
        for id in ids {
            let slot = self.slot(id);
            slot.watchers
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .push((key, watcher.clone()));
            slot.watching.fetch_add(1, Ordering::Relaxed);
            slots.push(slot);
        }
        Subscription { key, slots }
    }

    /// Forgets the publishing points of components that left the configuration, unless watched.
    pub fn retain(&self, keep: impl Fn(&str) -> bool) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.retain(|id, slot| keep(id) || slot.watching.load(Ordering::Relaxed) != 0);
    }
}

/// A watcher's attachment; dropping it detaches the watcher.
pub struct Subscription {
    key: u64,
    slots: Vec<Arc<Slot>>,
}

impl Subscription {
    /// Detaches now (what dropping does).
    pub fn cancel(&mut self) {
        for slot in self.slots.drain(..) {
            let mut watchers = slot.watchers.write().unwrap_or_else(|e| e.into_inner());
            let before = watchers.len();
            watchers.retain(|(k, _)| *k != self.key);
            let removed = before - watchers.len();
            slot.watching.fetch_sub(removed, Ordering::Relaxed);
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The bound of a debug stream's buffer: Alloy's channel holds 1000 items; ingot bounds the bytes too,
/// since one item (an OpenTelemetry batch as text) can be large.
pub const STREAM_MAX_ITEMS: usize = 1000;
pub const STREAM_MAX_BYTES: usize = 4 << 20;

/// The watcher of one debug stream (`/api/v0/web/debug/<id>`): items sampled with `sample_prob`, their
/// text queued for the client within [`STREAM_MAX_ITEMS`] and [`STREAM_MAX_BYTES`]; past them, items are
/// dropped and counted.
pub struct StreamBuffer {
    sample_prob: f64,
    rng: AtomicU64,
    inner: Mutex<StreamInner>,
    dropped: AtomicU64,
}

#[derive(Default)]
struct StreamInner {
    items: VecDeque<Arc<str>>,
    bytes: usize,
    waker: Option<Waker>,
}

impl StreamBuffer {
    pub fn new(sample_prob: f64) -> StreamBuffer {
        // Streams opened together still draw differently.
        static STREAMS: AtomicU64 = AtomicU64::new(0);
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            ^ STREAMS
                .fetch_add(1, Ordering::Relaxed)
                .wrapping_mul(0xD6E8_FEB8_6659_FD93);
        StreamBuffer {
            sample_prob,
            rng: AtomicU64::new(seed),
            inner: Mutex::new(StreamInner::default()),
            dropped: AtomicU64::new(0),
        }
    }

    /// A uniform float in [0, 1) (splitmix64: sampling needs no cryptographic randomness).
    fn random(&self) -> f64 {
        let mut z = self
            .rng
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Items dropped so far because the client did not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Takes every queued item, or registers `waker` to be woken by the next one.
    pub fn take(&self, waker: &Waker) -> Vec<Arc<str>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.items.is_empty() {
            inner.waker = Some(waker.clone());
            return Vec::new();
        }
        inner.bytes = 0;
        inner.items.drain(..).collect()
    }
}

impl Watcher for StreamBuffer {
    fn deliver(&self, item: &mut Item<'_>) {
        // Alloy's rule: an item is kept when a uniform draw is at most the probability.
        if self.sample_prob < 1.0 && self.random() > self.sample_prob {
            return;
        }
        {
            let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if inner.items.len() >= STREAM_MAX_ITEMS {
                drop(inner);
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        let text = item.text();
        let waker = {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if inner.items.len() >= STREAM_MAX_ITEMS || inner.bytes + text.len() > STREAM_MAX_BYTES
            {
                None
            } else {
                inner.bytes += text.len();
                inner.items.push_back(text);
                Some(inner.waker.take())
            }
        };
        match waker {
            None => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Some(w) => {
                if let Some(w) = w {
                    w.wake();
                }
            }
        }
    }
}

/// The watcher of one graph stream (`/api/v0/web/graph`): counts per component, data type and targets,
/// added in place (never queued, so never dropped; bounded by the number of components).
#[derive(Default)]
pub struct GraphCounts {
    counts: Mutex<HashMap<(Arc<str>, DataType), WindowCount>>,
}

/// The targets of the first item of a window, and the count so far.
type WindowCount = (Option<Vec<String>>, u64);

/// One line of a graph window: what `componentID` sent, of `kind`, to `targets`.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphCount {
    pub component_id: String,
    pub kind: DataType,
    /// `None`: to every receiver (Alloy sends `null`).
    pub targets: Option<Vec<String>>,
    pub count: u64,
}

impl GraphCounts {
    /// Takes the counts gathered since the last call, sorted by component id and type.
    pub fn take(&self) -> Vec<GraphCount> {
        let counts = std::mem::take(&mut *self.counts.lock().unwrap_or_else(|e| e.into_inner()));
        let mut out: Vec<GraphCount> = counts
            .into_iter()
            .map(|((id, kind), (targets, count))| GraphCount {
                component_id: id.to_string(),
                kind,
                targets,
                count,
            })
            .collect();
        out.sort_by(|a, b| (&a.component_id, a.kind).cmp(&(&b.component_id, b.kind)));
        out
    }
}

impl Watcher for GraphCounts {
    fn deliver(&self, item: &mut Item<'_>) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let key = (Arc::<str>::from(item.component_id), item.kind);
        // As Alloy's graph: the targets of the first item of a window stand for the window.
        counts
            .entry(key)
            .or_insert_with(|| (item.targets.map(<[String]>::to_vec), 0))
            .1 += item.count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop_waker() -> Waker {
        Waker::noop().clone()
    }

    #[test]
    fn publishing_costs_nothing_without_watchers_and_reaches_them_with() {
        let hub = Arc::new(LiveDebugging::default());
        let p = hub.publisher("prometheus.relabel.a");
        assert!(!p.active());
        let mut built = 0;
        p.publish(DataType::PrometheusMetric, 1, || {
            built += 1;
            "x".into()
        });
        assert_eq!(built, 0, "no text is built while nobody watches");
        let stream = Arc::new(StreamBuffer::new(1.0));
        let graph = Arc::new(GraphCounts::default());
        let s1 = hub.subscribe(["prometheus.relabel.a"], stream.clone());
        let s2 = hub.subscribe(["prometheus.relabel.a", "other"], graph.clone());
        assert!(p.active());
        p.publish(DataType::PrometheusMetric, 3, || {
            built += 1;
            "a => b".into()
        });
        assert_eq!(built, 1, "the text is built once for every watcher");
        assert_eq!(stream.take(&noop_waker()), vec![Arc::<str>::from("a => b")]);
        let counts = graph.take();
        assert_eq!(counts.len(), 1);
        assert_eq!(counts[0].count, 3);
        drop(s1);
        assert!(p.active());
        drop(s2);
        assert!(!p.active());
    }

    #[test]
    fn a_stream_that_is_not_read_is_bounded_and_counts_what_it_dropped() {
        let hub = Arc::new(LiveDebugging::default());
        let p = hub.publisher("c");
        let stream = Arc::new(StreamBuffer::new(1.0));
        let _s = hub.subscribe(["c"], stream.clone());
        for i in 0..(STREAM_MAX_ITEMS + 500) {
            p.publish(DataType::LokiLog, 1, || format!("line {i}"));
        }
        assert_eq!(stream.dropped(), 500);
        assert_eq!(stream.take(&noop_waker()).len(), STREAM_MAX_ITEMS);
        // Large items are bounded by bytes.
        let big = "x".repeat(STREAM_MAX_BYTES / 2 + 1);
        p.publish(DataType::OtelTrace, 1, || big.clone());
        p.publish(DataType::OtelTrace, 1, || big.clone());
        assert_eq!(stream.dropped(), 501);
    }

    #[test]
    fn sampling_keeps_about_the_asked_share() {
        let hub = Arc::new(LiveDebugging::default());
        let p = hub.publisher("c");
        let stream = Arc::new(StreamBuffer::new(0.25));
        let _s = hub.subscribe(["c"], stream.clone());
        let mut kept = 0;
        for _ in 0..40 {
            for _ in 0..100 {
                p.publish(DataType::LokiLog, 1, || "l".into());
            }
            kept += stream.take(&noop_waker()).len();
        }
        assert!((800..1200).contains(&kept), "kept {kept} of 4000 at 0.25");
        let none = Arc::new(StreamBuffer::new(0.0));
        let _n = hub.subscribe(["c"], none.clone());
        for _ in 0..100 {
            p.publish(DataType::LokiLog, 1, || "l".into());
        }
        assert!(none.take(&noop_waker()).is_empty());
    }
}
