//! Where entries go: a [`LogsReceiver`] wraps a component's [`LogsAppender`] so that it can travel through
//! config values (the `receiver` export, the `forward_to` lists).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::receipt::Token;
use crate::Entry;

/// Why a receiver did not take entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppendError {
    /// Not now (a queue at its bound): offer them again after `retry_after`. Nothing was taken.
    Full {
        retry_after: Duration,
        reason: String,
    },
    /// Never: the receiver refuses them for good (the sender counts them as dropped, with the reason).
    Refused(String),
}

impl fmt::Display for AppendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppendError::Full { reason, .. } | AppendError::Refused(reason) => f.write_str(reason),
        }
    }
}

/// What a component that takes entries implements. `append` takes all of `entries` or none of them, and
/// never blocks on the network or the disk.
pub trait LogsAppender: Send + Sync {
    fn append(&self, entries: &[Entry]) -> Result<(), AppendError>;

    /// [`append`](Self::append), with the sender's [`Token`]: a receiver that stores entries durably
    /// keeps a clone until they are stored (or [`Token::fail`]s it), and one that passes them on hands it
    /// to its own receivers. Receivers that keep entries in memory need not override it.
    fn append_with(&self, entries: &[Entry], token: &Token) -> Result<(), AppendError> {
        let _ = token;
        self.append(entries)
    }
}

/// A component's receiver: Alloy's `loki.LogsReceiver`. Equal when it is the same component's.
#[derive(Clone)]
pub struct LogsReceiver {
    name: Arc<str>,
    inner: Arc<dyn LogsAppender>,
}

impl LogsReceiver {
    /// `name` is the owning component's id, for debug output and errors.
    pub fn new(name: impl Into<Arc<str>>, inner: Arc<dyn LogsAppender>) -> LogsReceiver {
        LogsReceiver {
            name: name.into(),
            inner,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn append(&self, entries: &[Entry]) -> Result<(), AppendError> {
        self.inner.append(entries)
    }

    pub fn append_with(&self, entries: &[Entry], token: &Token) -> Result<(), AppendError> {
        self.inner.append_with(entries, token)
    }
}

impl PartialEq for LogsReceiver {
    fn eq(&self, other: &LogsReceiver) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Debug for LogsReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LogsReceiver({})", self.name)
    }
}

/// Offers `entries` to every receiver; the index and error of each that did not take them. A sender
/// retries the `Full` ones later (with only those receivers, so nobody gets an entry twice) and counts the
/// `Refused` ones as dropped.
pub fn fan_out(receivers: &[LogsReceiver], entries: &[Entry]) -> Vec<(usize, AppendError)> {
    if entries.is_empty() {
        return Vec::new();
    }
    receivers
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.append(entries).err().map(|e| (i, e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingot_prom::labels::Labels;
    use std::sync::Mutex;

    struct Sink(Mutex<Vec<Entry>>, bool);
    impl LogsAppender for Sink {
        fn append(&self, entries: &[Entry]) -> Result<(), AppendError> {
            if self.1 {
                return Err(AppendError::Full {
                    retry_after: Duration::from_millis(10),
                    reason: "full".into(),
                });
            }
            self.0.lock().unwrap().extend_from_slice(entries);
            Ok(())
        }
    }

    #[test]
    fn fan_out_reports_who_did_not_take_the_entries() {
        let ok = Arc::new(Sink(Mutex::new(Vec::new()), false));
        let full = Arc::new(Sink(Mutex::new(Vec::new()), true));
        let receivers = [
            LogsReceiver::new("a", ok.clone()),
            LogsReceiver::new("b", full),
        ];
        let e = Entry::new(Labels::from_pairs(&[("job", "x")]), 1, "hello");
        let failed = fan_out(&receivers, std::slice::from_ref(&e));
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].0, 1);
        assert_eq!(ok.0.lock().unwrap().as_slice(), &[e]);
        assert_eq!(receivers[0], receivers[0].clone());
        assert_ne!(receivers[0], receivers[1]);
    }
}
