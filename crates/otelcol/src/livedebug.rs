//! Live debugging for the `otelcol.*` receivers and processors, as Alloy's `livedebuggingpublisher`: each
//! request the component hands on, once it is taken, as the collector's OTLP text, counted in spans, log
//! records or metrics (`MetricCount`, not points), with the ids of the consumers it goes to. Alloy's
//! exporters publish nothing (a debug stream of one is refused, as in Alloy).

use std::sync::Arc;

use ingot_otlp::{Consumer, Data, Fanout, Observer};
use ingot_runtime::livedebugging::{DataType, Publisher};

struct Publish(Publisher);

impl Observer for Publish {
    fn active(&self) -> bool {
        self.0.active()
    }

    fn taken(&self, data: &Data, to: &[Consumer]) {
        let (kind, count) = match data {
            Data::Traces(t) => (DataType::OtelTrace, ingot_otlp::data::span_count(t)),
            Data::Logs(l) => (DataType::OtelLog, ingot_otlp::data::record_count(l)),
            Data::Metrics(m) => (
                DataType::OtelMetric,
                m.resource_metrics
                    .iter()
                    .flat_map(|r| &r.scope_metrics)
                    .map(|s| s.metrics.len())
                    .sum(),
            ),
        };
        let targets: Vec<String> = to.iter().map(|c| c.name().to_string()).collect();
        self.0.publish_to(kind, count as u64, &targets, || {
            crate::exporter::debug::text::detailed(data)
        });
    }
}

/// Makes `fanout` publish what it hands on to `publisher`.
pub fn observe(fanout: &Fanout, publisher: &Publisher) {
    fanout.observe(Arc::new(Publish(publisher.clone())));
}
