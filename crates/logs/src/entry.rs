//! One log line on its way: Alloy's `loki.Entry` (labels, then Loki's push entry: timestamp, line,
//! structured metadata).

use ingot_prom::labels::Labels;

/// A log line with its stream labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The stream's labels. Labels starting with `__` are internal: components may read them (relabel
    /// rules do), and `loki.write` strips them before sending.
    pub labels: Labels,
    /// Nanoseconds since the Unix epoch.
    pub timestamp_ns: i64,
    pub line: String,
    /// Loki's structured metadata: name and value pairs kept beside the line, not in the stream's labels.
    pub structured_metadata: Vec<(String, String)>,
    /// When the entry entered the pipeline (microseconds since the epoch), for propagation latency.
    pub created_us: i64,
}

impl Entry {
    /// An entry created now.
    pub fn new(labels: Labels, timestamp_ns: i64, line: impl Into<String>) -> Entry {
        Entry {
            labels,
            timestamp_ns,
            line: line.into(),
            structured_metadata: Vec::new(),
            created_us: now_us(),
        }
    }

    /// Bytes of the line and its structured metadata, as Loki counts an entry's size.
    pub fn size(&self) -> usize {
        self.line.len()
            + self
                .structured_metadata
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
    }
}

/// Microseconds since the Unix epoch, now.
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Nanoseconds since the Unix epoch, now.
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}
