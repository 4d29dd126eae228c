//! client_golang's `promhttp.InstrumentMetricHandler`: what wraps the handler of
//! `prometheus.exporter.self` (Alloy serves it with `promhttp.Handler()`). Its two families sit in the
//! agent's registry, not the component's, so they appear on `/metrics` too, from the first start of a
//! `prometheus.exporter.self` on, and a second instance counts in the same series (client_golang hands
//! a second registration the collector already registered).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use ingot_prom::exposition::{Desc, FamilySet, MetricType};
use ingot_runtime::metrics::AgentCollector;

static REQUESTS: Desc = Desc::new(
    "promhttp_metric_handler_requests_total",
    "Total number of scrapes by HTTP status code.",
    MetricType::Counter,
    &["code"],
);
static IN_FLIGHT: Desc = Desc::new(
    "promhttp_metric_handler_requests_in_flight",
    "Current number of scrapes being served.",
    MetricType::Gauge,
    &[],
);

/// The key the counters are registered under in the agent's collectors.
pub const KEY: &str = "promhttp_metric_handler";

pub struct HandlerMetrics {
    in_flight: AtomicI64,
    /// By status code; 200, 500 and 503 exist from the start, as client_golang initialises them.
    requests: Mutex<BTreeMap<u16, u64>>,
}

impl Default for HandlerMetrics {
    fn default() -> HandlerMetrics {
        HandlerMetrics {
            in_flight: AtomicI64::new(0),
            requests: Mutex::new([(200, 0), (500, 0), (503, 0)].into_iter().collect()),
        }
    }
}

impl HandlerMetrics {
    /// Serves one request through `serve`, which returns the status and the response: in flight while
    /// it runs (so the exposition it gathers counts itself), counted by status once it is done.
    pub fn instrument<T>(&self, serve: impl FnOnce() -> (u16, T)) -> T {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let (status, out) = serve();
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        *self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(status)
            .or_default() += 1;
        out
    }
}

impl AgentCollector for HandlerMetrics {
    fn collect(&self, set: &mut FamilySet) {
        set.push(
            &IN_FLIGHT,
            &[],
            self.in_flight.load(Ordering::Relaxed) as f64,
        );
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        for (code, n) in requests.iter() {
            set.push(&REQUESTS, &[&code.to_string()], *n as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_sees_itself_in_flight_and_is_counted_after() {
        let m = HandlerMetrics::default();
        let during = m.instrument(|| {
            let mut set = FamilySet::new();
            m.collect(&mut set);
            (200, set.encode_to_string())
        });
        expect_test::expect![[r#"
            # HELP promhttp_metric_handler_requests_in_flight Current number of scrapes being served.
            # TYPE promhttp_metric_handler_requests_in_flight gauge
            promhttp_metric_handler_requests_in_flight 1
            # HELP promhttp_metric_handler_requests_total Total number of scrapes by HTTP status code.
            # TYPE promhttp_metric_handler_requests_total counter
            promhttp_metric_handler_requests_total{code="200"} 0
            promhttp_metric_handler_requests_total{code="500"} 0
            promhttp_metric_handler_requests_total{code="503"} 0
        "#]]
        .assert_eq(&during);
        let mut set = FamilySet::new();
        m.collect(&mut set);
        let after = set.encode_to_string();
        assert!(after.contains("promhttp_metric_handler_requests_in_flight 0\n"));
        assert!(after.contains("promhttp_metric_handler_requests_total{code=\"200\"} 1\n"));
    }
}
