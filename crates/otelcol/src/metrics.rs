//! The collector's own metrics for receivers and exporters (its `receiverhelper` and `exporterhelper`
//! telemetry), under the names Alloy 1.18 serves: `otelcol_receiver_accepted_spans_total{receiver,
//! transport}`, `otelcol_exporter_sent_spans_total{exporter}`, `otelcol_exporter_queue_size{exporter,
//! data_type}`, ... with `metric_points` and `log_records` for the other signals. The `receiver` and
//! `exporter` labels are the collector's component ids, `<type>/<Alloy component id>` as Alloy names them
//! (`otlp/otelcol.receiver.otlp.default`).

use std::sync::atomic::{AtomicU64, Ordering};

use ingot_otlp::Signal;
use ingot_runtime::component::{DebugMetric, Desc, MetricType};

macro_rules! per_signal {
    ($name:ident, $prefix:literal, $suffix:literal, $help:literal, $labels:expr) => {
        pub static $name: [Desc; 3] = [
            Desc::new(
                concat!($prefix, "spans", $suffix),
                concat!("Number of spans ", $help),
                MetricType::Counter,
                $labels,
            ),
            Desc::new(
                concat!($prefix, "metric_points", $suffix),
                concat!("Number of metric points ", $help),
                MetricType::Counter,
                $labels,
            ),
            Desc::new(
                concat!($prefix, "log_records", $suffix),
                concat!("Number of log records ", $help),
                MetricType::Counter,
                $labels,
            ),
        ];
    };
}

per_signal!(
    RECEIVER_ACCEPTED,
    "otelcol_receiver_accepted_",
    "_total",
    "successfully pushed into the pipeline. [alpha]",
    &["receiver", "transport"]
);
per_signal!(
    RECEIVER_REFUSED,
    "otelcol_receiver_refused_",
    "_total",
    "that could not be pushed into the pipeline. [alpha]",
    &["receiver", "transport"]
);
per_signal!(
    EXPORTER_SENT,
    "otelcol_exporter_sent_",
    "_total",
    "successfully sent to destination. [alpha]",
    &["exporter"]
);
per_signal!(
    EXPORTER_SEND_FAILED,
    "otelcol_exporter_send_failed_",
    "_total",
    "in failed attempts to send to destination. [alpha]",
    &["exporter"]
);
per_signal!(
    EXPORTER_ENQUEUE_FAILED,
    "otelcol_exporter_enqueue_failed_",
    "_total",
    "failed to be added to the sending queue. [alpha]",
    &["exporter"]
);

per_signal!(
    PROCESSOR_ACCEPTED,
    "otelcol_processor_accepted_",
    "_total",
    "successfully pushed into the next component in the pipeline.",
    &["processor"]
);
per_signal!(
    PROCESSOR_REFUSED,
    "otelcol_processor_refused_",
    "_total",
    "that were rejected by the next component in the pipeline.",
    &["processor"]
);

pub static EXPORTER_QUEUE_SIZE: Desc = Desc::new(
    "otelcol_exporter_queue_size",
    "Current size of the retry queue (in batches). [alpha]",
    MetricType::Gauge,
    &["data_type", "exporter"],
);
pub static EXPORTER_QUEUE_CAPACITY: Desc = Desc::new(
    "otelcol_exporter_queue_capacity",
    "Fixed capacity of the retry queue (in batches). [alpha]",
    MetricType::Gauge,
    &["data_type", "exporter"],
);

/// One counter per signal.
#[derive(Default)]
pub struct PerSignal([AtomicU64; 3]);

impl PerSignal {
    pub fn add(&self, signal: Signal, n: usize) {
        self.0[signal.index()].fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn get(&self, signal: Signal) -> u64 {
        self.0[signal.index()].load(Ordering::Relaxed)
    }

    /// The three samples of `descs`, with `labels` (the same for every signal).
    pub fn samples(
        &self,
        descs: &'static [Desc; 3],
        labels: &[String],
        out: &mut Vec<DebugMetric>,
    ) {
        for s in Signal::ALL {
            out.push(DebugMetric::new(
                &descs[s.index()],
                labels.iter().cloned(),
                self.get(s) as f64,
            ));
        }
    }
}

/// A receiver's counts for one transport.
#[derive(Default)]
pub struct ReceiverCounts {
    pub accepted: PerSignal,
    pub refused: PerSignal,
}

impl ReceiverCounts {
    pub fn samples(&self, receiver: &str, transport: &str, out: &mut Vec<DebugMetric>) {
        let labels = [receiver.to_string(), transport.to_string()];
        self.accepted.samples(&RECEIVER_ACCEPTED, &labels, out);
        self.refused.samples(&RECEIVER_REFUSED, &labels, out);
    }
}

/// A processor's counts (the memory limiter's).
#[derive(Default)]
pub struct ProcessorCounts {
    pub accepted: PerSignal,
    pub refused: PerSignal,
}

impl ProcessorCounts {
    pub fn samples(&self, processor: &str, out: &mut Vec<DebugMetric>) {
        let labels = [processor.to_string()];
        self.accepted.samples(&PROCESSOR_ACCEPTED, &labels, out);
        self.refused.samples(&PROCESSOR_REFUSED, &labels, out);
    }
}

/// An exporter's counts.
#[derive(Default)]
pub struct ExporterCounts {
    pub sent: PerSignal,
    pub send_failed: PerSignal,
    pub enqueue_failed: PerSignal,
}

impl ExporterCounts {
    pub fn samples(&self, exporter: &str, out: &mut Vec<DebugMetric>) {
        let labels = [exporter.to_string()];
        self.sent.samples(&EXPORTER_SENT, &labels, out);
        self.send_failed
            .samples(&EXPORTER_SEND_FAILED, &labels, out);
        self.enqueue_failed
            .samples(&EXPORTER_ENQUEUE_FAILED, &labels, out);
    }
}

/// The collector's component id for an Alloy component: `<type>/<id>`.
pub fn otel_id(otel_type: &str, component_id: &str) -> String {
    format!("{otel_type}/{component_id}")
}
