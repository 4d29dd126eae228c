//! `loki.source.journal`'s metrics, Alloy's names and help texts.

use std::sync::atomic::{AtomicU64, Ordering};

use ingot_prom::exposition::{Desc, MetricType};
use ingot_runtime::component::DebugMetric;

static PARSING_ERRORS: Desc = Desc::new(
    "loki_source_journal_target_parsing_errors_total",
    "Total number of parsing errors while reading journal messages",
    MetricType::Counter,
    &["error"],
);
static LINES: Desc = Desc::new(
    "loki_source_journal_target_lines_total",
    "Total number of successful journal lines read",
    MetricType::Counter,
    &[],
);

#[derive(Default)]
pub struct Metrics {
    pub no_message: AtomicU64,
    pub empty_labels: AtomicU64,
    pub lines: AtomicU64,
}

impl Metrics {
    pub fn collect(&self) -> Vec<DebugMetric> {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
        let mut out = Vec::new();
        // Alloy creates a series per error kind on its first occurrence.
        for (kind, n) in [
            ("empty_labels", &self.empty_labels),
            ("no_message", &self.no_message),
        ] {
            if n.load(Ordering::Relaxed) > 0 {
                out.push(DebugMetric::new(&PARSING_ERRORS, [kind], get(n)));
            }
        }
        out.push(DebugMetric::new(
            &LINES,
            std::iter::empty::<&str>(),
            get(&self.lines),
        ));
        out
    }
}
