//! The metrics `loki.process` registers on the component's registry (served on its `/metrics` and the
//! agent's, with `component_id`), named as Alloy's stages name them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};

use ingot_prom::exposition::{Desc, MetricType};
use ingot_runtime::component::DebugMetric;

static DROPPED_LINES: Desc = Desc::new(
    "loki_process_dropped_lines_total",
    "A count of all log lines dropped as a result of a pipeline stage",
    MetricType::Counter,
    &["reason"],
);

static DROPPED_BY_LABEL: Desc = Desc::new(
    "loki_process_dropped_lines_by_label_total",
    "A count of all log lines dropped as a result of a pipeline stage",
    MetricType::Counter,
    &["label_name", "label_value"],
);

pub static CRI_PARTIAL_FLUSHED: Desc = Desc::new(
    "loki_process_cri_partial_lines_flushed_total",
    "A count of partial lines that were flushed prematurely due to the max_partial_lines limit being exceeded",
    MetricType::Counter,
    &[],
);

pub static CRI_TRUNCATED: Desc = Desc::new(
    "loki_process_cri_lines_truncated_total",
    "A count of lines that were truncated due to the max_partial_line_size limit",
    MetricType::Counter,
    &[],
);

pub static TRUNCATED_FIELDS: Desc = Desc::new(
    "loki_process_truncated_fields_total",
    "A count of all log lines, labels, extracted values, or structured_metadata truncated as a result of a pipeline stage",
    MetricType::Counter,
    &["field"],
);

/// Counters shared by every stage of one component (Alloy registers one `CounterVec` and every stage
/// that drops finds it again).
#[derive(Default)]
pub struct Metrics {
    dropped: Mutex<BTreeMap<String, u64>>,
    dropped_by_label: Mutex<BTreeMap<(String, String), u64>>,
    /// Other stages' counters: a family of at most one label, that label's value, the count.
    counters: Mutex<Vec<(&'static Desc, String, u64)>>,
    /// `stage.metrics`' metrics, while their stage lives (a replaced pipeline's go with it, as Alloy's
    /// are deleted when its stages are cleaned up).
    custom: Mutex<Vec<Weak<crate::process::stages::metrics::Store>>>,
}

impl Metrics {
    /// One line dropped for `reason` (a `drop_counter_reason`, or the stage's own reason).
    pub fn dropped(&self, reason: &str) {
        let mut d = self.dropped.lock().unwrap_or_else(|e| e.into_inner());
        match d.get_mut(reason) {
            Some(n) => *n += 1,
            None => {
                d.insert(reason.to_string(), 1);
            }
        }
    }

    /// How many lines were dropped for `reason`.
    pub fn dropped_count(&self, reason: &str) -> u64 {
        let d = self.dropped.lock().unwrap_or_else(|e| e.into_inner());
        d.get(reason).copied().unwrap_or(0)
    }

    /// One line dropped by `stage.limit` for the value of its `by_label_name`.
    pub fn dropped_by_label(&self, name: &str, value: &str) {
        let mut d = self
            .dropped_by_label
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *d.entry((name.to_string(), value.to_string())).or_insert(0) += 1;
    }

    /// Forgets the by-label counts (Alloy resets that vector when its limiters change generation).
    pub fn reset_dropped_by_label(&self) {
        self.dropped_by_label
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub fn dropped_by_label_count(&self, name: &str, value: &str) -> u64 {
        let d = self
            .dropped_by_label
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        d.get(&(name.to_string(), value.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Adds `n` to `desc` (a family with no label, `label` then being `""`, or with one).
    pub fn count(&self, desc: &'static Desc, label: &str, n: u64) {
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        match c
            .iter_mut()
            .find(|(d, l, _)| std::ptr::eq(*d, desc) && l == label)
        {
            Some(slot) => slot.2 += n,
            None => c.push((desc, label.to_string(), n)),
        }
    }

    /// Serves a `stage.metrics` metric while its stage lives.
    pub fn add_custom(&self, store: &Arc<crate::process::stages::metrics::Store>) {
        let mut c = self.custom.lock().unwrap_or_else(|e| e.into_inner());
        c.retain(|w| w.strong_count() > 0);
        c.push(Arc::downgrade(store));
    }

    /// The value of a counter counted with [`Metrics::count`].
    pub fn counted(&self, desc: &'static Desc, label: &str) -> u64 {
        let c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        c.iter()
            .find(|(d, l, _)| std::ptr::eq(*d, desc) && l == label)
            .map_or(0, |s| s.2)
    }

    pub fn debug_metrics(&self, out: &mut Vec<DebugMetric>) {
        let custom: Vec<_> = {
            let c = self.custom.lock().unwrap_or_else(|e| e.into_inner());
            c.iter().filter_map(Weak::upgrade).collect()
        };
        for store in custom {
            store.collect(out);
        }
        let d = self.dropped.lock().unwrap_or_else(|e| e.into_inner());
        for (reason, n) in d.iter() {
            out.push(DebugMetric::new(
                &DROPPED_LINES,
                [reason.as_str()],
                *n as f64,
            ));
        }
        drop(d);
        let d = self
            .dropped_by_label
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for ((name, value), n) in d.iter() {
            out.push(DebugMetric::new(
                &DROPPED_BY_LABEL,
                [name.as_str(), value.as_str()],
                *n as f64,
            ));
        }
    }
}
