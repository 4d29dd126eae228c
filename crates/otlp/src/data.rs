//! What flows between `otelcol.*` components: one export request of one signal ([`Data`]), how many items
//! it holds (spans, metric data points, log records: what Alloy's `otelcol_*` metrics count), and the
//! merging and splitting the batch processor and the exporters' queues do.

use prost::Message;

use crate::proto::collector::logs::v1::ExportLogsServiceRequest;
use crate::proto::collector::metrics::v1::ExportMetricsServiceRequest;
use crate::proto::collector::trace::v1::ExportTraceServiceRequest;
use crate::proto::logs::v1::{ResourceLogs, ScopeLogs};
use crate::proto::metrics::v1::{metric, Metric, ResourceMetrics, ScopeMetrics};
use crate::proto::trace::v1::{ResourceSpans, ScopeSpans};

pub type Traces = ExportTraceServiceRequest;
pub type Metrics = ExportMetricsServiceRequest;
pub type Logs = ExportLogsServiceRequest;

/// The three signals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    Traces,
    Metrics,
    Logs,
}

impl Signal {
    pub const ALL: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

    /// `traces`, `metrics`, `logs`: the `output` block's attribute names and the `data_type` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
        }
    }

    /// What the collector's metric names call one item: `spans`, `metric_points`, `log_records`.
    pub fn items(self) -> &'static str {
        match self {
            Signal::Traces => "spans",
            Signal::Metrics => "metric_points",
            Signal::Logs => "log_records",
        }
    }

    /// Index into per-signal arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One export request.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    Traces(Traces),
    Metrics(Metrics),
    Logs(Logs),
}

impl Data {
    pub fn signal(&self) -> Signal {
        match self {
            Data::Traces(_) => Signal::Traces,
            Data::Metrics(_) => Signal::Metrics,
            Data::Logs(_) => Signal::Logs,
        }
    }

    /// An empty request of `signal`.
    pub fn empty(signal: Signal) -> Data {
        match signal {
            Signal::Traces => Data::Traces(Traces::default()),
            Signal::Metrics => Data::Metrics(Metrics::default()),
            Signal::Logs => Data::Logs(Logs::default()),
        }
    }

    /// Spans, metric data points or log records.
    pub fn items(&self) -> usize {
        match self {
            Data::Traces(t) => span_count(t),
            Data::Metrics(m) => point_count(m),
            Data::Logs(l) => record_count(l),
        }
    }

    /// The request's protobuf encoding.
    pub fn encode_proto(&self) -> Vec<u8> {
        match self {
            Data::Traces(t) => t.encode_to_vec(),
            Data::Metrics(m) => m.encode_to_vec(),
            Data::Logs(l) => l.encode_to_vec(),
        }
    }

    pub fn encoded_len(&self) -> usize {
        match self {
            Data::Traces(t) => t.encoded_len(),
            Data::Metrics(m) => m.encoded_len(),
            Data::Logs(l) => l.encoded_len(),
        }
    }

    /// Decodes a protobuf request of `signal`.
    pub fn decode_proto(signal: Signal, bytes: &[u8]) -> Result<Data, prost::DecodeError> {
        Ok(match signal {
            Signal::Traces => Data::Traces(Traces::decode(bytes)?),
            Signal::Metrics => Data::Metrics(Metrics::decode(bytes)?),
            Signal::Logs => Data::Logs(Logs::decode(bytes)?),
        })
    }

    /// Appends `other` (of the same signal; another signal is ignored) to this request.
    pub fn merge(&mut self, other: Data) {
        match (self, other) {
            (Data::Traces(a), Data::Traces(b)) => a.resource_spans.extend(b.resource_spans),
            (Data::Metrics(a), Data::Metrics(b)) => a.resource_metrics.extend(b.resource_metrics),
            (Data::Logs(a), Data::Logs(b)) => a.resource_logs.extend(b.resource_logs),
            _ => {}
        }
    }

    /// Takes the first `n` items (at least one resource's worth is never split across a scope more than
    /// needed) out of this request into a new one; this request keeps the rest. The items keep their
    /// resource and scope.
    pub fn split_off_front(&mut self, n: usize) -> Data {
        match self {
            Data::Traces(t) => Data::Traces(Traces {
                resource_spans: split_resources(&mut t.resource_spans, n),
            }),
            Data::Metrics(m) => Data::Metrics(Metrics {
                resource_metrics: split_resources(&mut m.resource_metrics, n),
            }),
            Data::Logs(l) => Data::Logs(Logs {
                resource_logs: split_resources(&mut l.resource_logs, n),
            }),
        }
    }
}

pub fn span_count(t: &Traces) -> usize {
    t.resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum()
}

pub fn point_count(m: &Metrics) -> usize {
    m.resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .map(metric_points)
        .sum()
}

pub fn record_count(l: &Logs) -> usize {
    l.resource_logs
        .iter()
        .flat_map(|r| &r.scope_logs)
        .map(|s| s.log_records.len())
        .sum()
}

/// A metric's data points (the collector counts a metric without data as none).
pub fn metric_points(m: &Metric) -> usize {
    match &m.data {
        Some(metric::Data::Gauge(g)) => g.data_points.len(),
        Some(metric::Data::Sum(s)) => s.data_points.len(),
        Some(metric::Data::Histogram(h)) => h.data_points.len(),
        Some(metric::Data::ExponentialHistogram(h)) => h.data_points.len(),
        Some(metric::Data::Summary(s)) => s.data_points.len(),
        None => 0,
    }
}

/// A resource-level container (`ResourceSpans`, ...) as splitting sees it.
trait Resource: Sized {
    type Scope: Scope;
    fn scopes(&mut self) -> &mut Vec<Self::Scope>;
    /// A copy with the same resource and schema and no scopes.
    fn shell(&self) -> Self;
}

trait Scope: Sized {
    fn items(&self) -> usize;
    /// Moves the first `n` items (fewer than it holds) into a copy of this scope.
    fn split_front(&mut self, n: usize) -> Self;
}

fn split_resources<R: Resource>(resources: &mut Vec<R>, n: usize) -> Vec<R> {
    // Whole resources move with one drain (a batch holds thousands of small requests: removing them one
    // by one from the front would be quadratic); at most one resource is cut in two.
    let mut left = n;
    let mut whole = 0;
    for r in resources.iter_mut() {
        let items: usize = r.scopes().iter().map(Scope::items).sum();
        if items > left {
            break;
        }
        left -= items;
        whole += 1;
    }
    let mut out: Vec<R> = resources.drain(..whole).collect();
    if left > 0 && !resources.is_empty() {
        let mut head = resources[0].shell();
        let scopes = resources[0].scopes();
        let mut taken = 0;
        for s in scopes.iter() {
            let items = s.items();
            if items > left {
                break;
            }
            left -= items;
            taken += 1;
        }
        head.scopes().extend(scopes.drain(..taken));
        if left > 0 && !scopes.is_empty() {
            head.scopes().push(scopes[0].split_front(left));
        }
        out.push(head);
    }
    out
}

macro_rules! resource_impl {
    ($r:ty, $s:ty, $scopes:ident, $items:ident) => {
        impl Resource for $r {
            type Scope = $s;
            fn scopes(&mut self) -> &mut Vec<$s> {
                &mut self.$scopes
            }
            fn shell(&self) -> Self {
                Self {
                    resource: self.resource.clone(),
                    $scopes: Vec::new(),
                    schema_url: self.schema_url.clone(),
                }
            }
        }
        impl Scope for $s {
            fn items(&self) -> usize {
                self.$items.len()
            }
            fn split_front(&mut self, n: usize) -> Self {
                let rest = self.$items.split_off(n);
                Self {
                    scope: self.scope.clone(),
                    $items: std::mem::replace(&mut self.$items, rest),
                    schema_url: self.schema_url.clone(),
                }
            }
        }
    };
}

resource_impl!(ResourceSpans, ScopeSpans, scope_spans, spans);
resource_impl!(ResourceLogs, ScopeLogs, scope_logs, log_records);

impl Resource for ResourceMetrics {
    type Scope = ScopeMetrics;
    fn scopes(&mut self) -> &mut Vec<ScopeMetrics> {
        &mut self.scope_metrics
    }
    fn shell(&self) -> Self {
        ResourceMetrics {
            resource: self.resource.clone(),
            scope_metrics: Vec::new(),
            schema_url: self.schema_url.clone(),
        }
    }
}

impl Scope for ScopeMetrics {
    fn items(&self) -> usize {
        self.metrics.iter().map(metric_points).sum()
    }
    fn split_front(&mut self, mut n: usize) -> Self {
        let mut whole = 0;
        for m in &self.metrics {
            let points = metric_points(m);
            if points > n {
                break;
            }
            n -= points;
            whole += 1;
        }
        let mut head = ScopeMetrics {
            scope: self.scope.clone(),
            metrics: self.metrics.drain(..whole).collect(),
            schema_url: self.schema_url.clone(),
        };
        if n > 0 && !self.metrics.is_empty() {
            head.metrics.push(split_metric(&mut self.metrics[0], n));
        }
        head
    }
}

/// Moves the first `n` data points of `m` into a copy of it.
fn split_metric(m: &mut Metric, n: usize) -> Metric {
    fn front<T>(v: &mut Vec<T>, n: usize) -> Vec<T> {
        let rest = v.split_off(n);
        std::mem::replace(v, rest)
    }
    let data = match &mut m.data {
        Some(metric::Data::Gauge(g)) => {
            let mut c = g.clone();
            c.data_points = front(&mut g.data_points, n);
            Some(metric::Data::Gauge(c))
        }
        Some(metric::Data::Sum(s)) => Some(metric::Data::Sum(crate::proto::metrics::v1::Sum {
            data_points: front(&mut s.data_points, n),
            aggregation_temporality: s.aggregation_temporality,
            is_monotonic: s.is_monotonic,
        })),
        Some(metric::Data::Histogram(h)) => Some(metric::Data::Histogram(
            crate::proto::metrics::v1::Histogram {
                data_points: front(&mut h.data_points, n),
                aggregation_temporality: h.aggregation_temporality,
            },
        )),
        Some(metric::Data::ExponentialHistogram(h)) => Some(metric::Data::ExponentialHistogram(
            crate::proto::metrics::v1::ExponentialHistogram {
                data_points: front(&mut h.data_points, n),
                aggregation_temporality: h.aggregation_temporality,
            },
        )),
        Some(metric::Data::Summary(s)) => {
            Some(metric::Data::Summary(crate::proto::metrics::v1::Summary {
                data_points: front(&mut s.data_points, n),
            }))
        }
        None => None,
    };
    Metric {
        name: m.name.clone(),
        description: m.description.clone(),
        unit: m.unit.clone(),
        metadata: m.metadata.clone(),
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::metrics::v1::{Gauge, NumberDataPoint};
    use crate::proto::trace::v1::Span;

    fn traces(resources: &[&[usize]]) -> Data {
        let mut id = 0u8;
        Data::Traces(Traces {
            resource_spans: resources
                .iter()
                .map(|scopes| ResourceSpans {
                    scope_spans: scopes
                        .iter()
                        .map(|&n| ScopeSpans {
                            spans: (0..n)
                                .map(|_| {
                                    id += 1;
                                    Span {
                                        span_id: vec![id],
                                        ..Default::default()
                                    }
                                })
                                .collect(),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect(),
        })
    }

    fn ids(d: &Data) -> Vec<u8> {
        let Data::Traces(t) = d else { panic!() };
        t.resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .map(|s| s.span_id[0])
            .collect()
    }

    #[test]
    fn splitting_keeps_every_item_once_and_in_order() {
        for n in 0..=12 {
            let mut d = traces(&[&[3, 2], &[4], &[1, 0, 2]]);
            assert_eq!(d.items(), 12);
            let head = d.split_off_front(n);
            assert_eq!(head.items(), n.min(12), "n={n}");
            let mut all = ids(&head);
            all.extend(ids(&d));
            assert_eq!(all, (1..=12).collect::<Vec<u8>>(), "n={n}");
        }
    }

    #[test]
    fn metric_points_split_inside_a_metric() {
        let point = NumberDataPoint::default();
        let mut d = Data::Metrics(Metrics {
            resource_metrics: vec![ResourceMetrics {
                scope_metrics: vec![ScopeMetrics {
                    metrics: vec![Metric {
                        name: "m".into(),
                        data: Some(metric::Data::Gauge(Gauge {
                            data_points: vec![point; 5],
                        })),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        });
        let head = d.split_off_front(2);
        assert_eq!((head.items(), d.items()), (2, 3));
        let mut back = head.clone();
        back.merge(d);
        assert_eq!(back.items(), 5);
        assert_eq!(
            Data::decode_proto(Signal::Metrics, &back.encode_proto()).unwrap(),
            back
        );
    }
}
