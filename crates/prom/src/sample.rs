//! The data plane between components: samples travel in batches from a scrape (or relabel) to the receivers
//! it forwards to. A batch is appended as a whole: one call per scrape, not one per sample.

use std::fmt;
use std::sync::Arc;

use crate::labels::Labels;
use crate::MetricType;

/// The bit pattern Prometheus uses as a staleness marker: a NaN that no computation produces.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// A staleness marker value (`series ended`).
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// Whether `v` is a staleness marker (compared by bits: every NaN is not equal to itself).
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar {
    pub labels: Labels,
    pub value: f64,
    pub timestamp_ms: Option<i64>,
}

/// One sample: the series' full label set (with `__name__`), a timestamp in milliseconds and a value.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub labels: Labels,
    pub timestamp_ms: i64,
    pub value: f64,
    pub exemplar: Option<Box<Exemplar>>,
}

/// Empties `samples`, releasing their label sets with the next few prefetched: dropping a large
/// batch is otherwise one serialised cache miss per sample.
pub fn release(samples: &mut Vec<Sample>) {
    // Far enough ahead to cover a memory access while dropping a sample takes a few ns.
    const AHEAD: usize = 32;
    let mut it = samples.drain(..);
    loop {
        if let Some(s) = it.as_slice().get(AHEAD) {
            s.labels.prefetch();
        }
        if it.next().is_none() {
            break;
        }
    }
}

/// Metadata of a metric family, as Remote Write carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    pub metric_family: String,
    pub kind: MetricType,
    pub help: String,
    pub unit: String,
}

/// The metadata of a scrape target's families as its last successful scrape stated them (`# HELP`,
/// `# TYPE`, `# UNIT`), by family name: what Alloy's scrape keeps in its metadata store and hands the
/// receivers that ask for it (otelcol.receiver.prometheus) beside the samples.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetMetadata {
    /// Sorted by `metric_family`, one entry per family.
    families: Vec<Metadata>,
}

impl TargetMetadata {
    /// One entry per family name; a later entry for a name already given replaces it.
    pub fn new(families: impl IntoIterator<Item = Metadata>) -> TargetMetadata {
        let mut by_name = std::collections::BTreeMap::new();
        for m in families {
            by_name.insert(m.metric_family.clone(), m);
        }
        TargetMetadata {
            families: by_name.into_values().collect(),
        }
    }

    pub fn get(&self, family: &str) -> Option<&Metadata> {
        self.families
            .binary_search_by(|m| m.metric_family.as_str().cmp(family))
            .ok()
            .map(|i| &self.families[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Metadata> {
        self.families.iter()
    }

    pub fn len(&self) -> usize {
        self.families.len()
    }

    pub fn is_empty(&self) -> bool {
        self.families.is_empty()
    }
}

/// Samples appended together (one scrape of one target, or what a relabel step let through).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    pub samples: Vec<Sample>,
    /// Metadata to append as such: receivers that store or send metadata (prometheus.remote_write)
    /// take it. A scrape leaves it empty, as Alloy's scrape appends metadata only with
    /// `honor_metadata`, which ingot refuses.
    pub metadata: Vec<Metadata>,
    /// The scraping target's metadata, shared (a scrape rebuilds it only when its families' metadata
    /// changed, so passing it on costs a reference count): for receivers that need a family's type
    /// to read its samples (otelcol.receiver.prometheus), never appended as metadata. Pass-through
    /// components hand it on unchanged.
    pub target_metadata: Option<Arc<TargetMetadata>>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty() && self.metadata.is_empty()
    }
}

/// Why a receiver could not take a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendError(pub String);

impl fmt::Display for AppendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AppendError {}

/// Something that takes batches: a relabel step, a remote_write queue, a test sink. Implementations must
/// not block for long: they queue, and report a full queue as an error rather than waiting on the network.
pub trait Appender: Send + Sync {
    fn append(&self, batch: &Batch) -> Result<(), AppendError>;
}

/// A shareable handle to an [`Appender`]: what `receiver` exports hold and `forward_to` lists carry.
/// Two handles are equal when they point at the same receiver.
#[derive(Clone)]
pub struct Receiver {
    name: Arc<str>,
    inner: Arc<dyn Appender>,
}

impl Receiver {
    /// `name` is the component id that owns the receiver, for debug output and errors.
    pub fn new(name: impl Into<Arc<str>>, inner: Arc<dyn Appender>) -> Receiver {
        Receiver {
            name: name.into(),
            inner,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn append(&self, batch: &Batch) -> Result<(), AppendError> {
        self.inner.append(batch)
    }
}

impl PartialEq for Receiver {
    fn eq(&self, other: &Receiver) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Receiver({})", self.name)
    }
}

/// Appends `batch` to every receiver; the errors of those that refused it, with the receiver's name.
pub fn fan_out(receivers: &[Receiver], batch: &Batch) -> Vec<(String, AppendError)> {
    let mut errors = Vec::new();
    for r in receivers {
        if let Err(e) = r.append(batch) {
            errors.push((r.name().to_string(), e));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Sink(Mutex<Vec<Batch>>);
    impl Appender for Sink {
        fn append(&self, batch: &Batch) -> Result<(), AppendError> {
            self.0.lock().unwrap().push(batch.clone());
            Ok(())
        }
    }

    #[test]
    fn staleness_marker_is_recognised_by_bits() {
        assert!(is_stale_nan(stale_nan()));
        assert!(!is_stale_nan(f64::NAN));
    }

    #[test]
    fn receivers_compare_by_identity_and_fan_out_reaches_all() {
        let a = Arc::new(Sink(Mutex::new(Vec::new())));
        let ra = Receiver::new("a", a.clone());
        let rb = Receiver::new("b", Arc::new(Sink(Mutex::new(Vec::new()))));
        assert_eq!(ra, ra.clone());
        assert_ne!(ra, rb);
        let batch = Batch {
            samples: vec![Sample {
                labels: Labels::from_pairs(&[("__name__", "up")]),
                timestamp_ms: 1,
                value: 1.0,
                exemplar: None,
            }],
            metadata: Vec::new(),
            target_metadata: None,
        };
        assert!(fan_out(&[ra, rb], &batch).is_empty());
        assert_eq!(a.0.lock().unwrap().len(), 1);
    }
}
