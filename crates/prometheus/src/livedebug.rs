//! What the `prometheus.*` components show on a live debugging stream, in Alloy's words: its scrape and
//! remote_write interceptors print each appended sample (`sample: ts=.., labels=.., value=..`) and
//! exemplar, `prometheus.relabel` each series before and after (`{..} => {..}`). Labels print as
//! Prometheus' `labels.String()`, values as Go's `%f`.

use ingot_prom::sample::Sample;
use ingot_runtime::livedebugging::{DataType, Publisher};

/// Go's `%f` of a float64: six decimals, `NaN`, `+Inf`, `-Inf`.
pub fn go_f(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v:.6}")
    }
}

/// Publishes each sample (and its exemplar) as Alloy's appender interceptors do: one item per sample.
pub fn publish_samples(debug: &Publisher, samples: &[Sample]) {
    if !debug.active() {
        return;
    }
    for s in samples {
        debug.publish(DataType::PrometheusMetric, 1, || {
            format!(
                "sample: ts={}, labels={}, value={}",
                s.timestamp_ms,
                s.labels,
                go_f(s.value)
            )
        });
        if let Some(e) = &s.exemplar {
            debug.publish(DataType::PrometheusMetric, 1, || {
                // A scraped exemplar without its own timestamp gets the sample's, as Prometheus' scrape loop
                // gives it.
                format!(
                    "exemplar: ts={}, labels={}, exemplar_labels={}, value={}",
                    e.timestamp_ms.unwrap_or(s.timestamp_ms),
                    s.labels,
                    e.labels,
                    go_f(e.value)
                )
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_percent_f() {
        assert_eq!(go_f(1.0), "1.000000");
        assert_eq!(go_f(-0.5), "-0.500000");
        assert_eq!(go_f(1e20), "100000000000000000000.000000");
        assert_eq!(go_f(f64::NAN), "NaN");
        assert_eq!(go_f(f64::INFINITY), "+Inf");
        assert_eq!(go_f(f64::NEG_INFINITY), "-Inf");
        assert_eq!(go_f(1.23456789), "1.234568");
    }
}
