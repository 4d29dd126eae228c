//! [`Fanout`]: how a component that passes entries on (`loki.relabel`, `loki.source.api`) hands them to its
//! `forward_to` list without losing or doubling any when some receivers are full and others are not.
//!
//! Entries every receiver took are done. When none took them and at least one was full, the sender is told
//! [`AppendError::Full`] and keeps them (nothing was taken, so nothing is sent twice when it tries again).
//! When some took them and others were full, the fan-out keeps one copy for the full ones (one batch at
//! most) and says they were taken; until that copy is delivered, new entries are answered `Full`, so order
//! is kept and memory stays bounded. [`Fanout::retry_pending`] delivers it (the owner calls it on a timer;
//! the next [`Fanout::send`] tries first too).

use std::sync::{Mutex, RwLock};
use std::time::Duration;

use crate::receipt::Token;
use crate::{AppendError, Entry, LogsReceiver};

/// How soon a sender answered `Full` because of a held batch should try again.
const PENDING_RETRY: Duration = Duration::from_millis(100);

struct Pending {
    entries: Vec<Entry>,
    to: Vec<LogsReceiver>,
    token: Option<Token>,
}

/// A receiver that refused entries for good: its name and why.
pub type Refusal = (String, String);

pub struct Fanout {
    receivers: RwLock<Vec<LogsReceiver>>,
    pending: Mutex<Option<Pending>>,
}

impl Fanout {
    pub fn new(receivers: Vec<LogsReceiver>) -> Fanout {
        Fanout {
            receivers: RwLock::new(receivers),
            pending: Mutex::new(None),
        }
    }

    pub fn set_receivers(&self, receivers: Vec<LogsReceiver>) {
        *self.receivers.write().unwrap_or_else(|e| e.into_inner()) = receivers;
    }

    pub fn receivers(&self) -> Vec<LogsReceiver> {
        self.receivers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether a batch waits for receivers that were full.
    pub fn has_pending(&self) -> bool {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Offers `entries` to every receiver. `Ok` with the receivers that refused them for good (the caller
    /// counts them) when they were taken; `Err(Full)` when nothing was taken; `Err(Refused)` when every
    /// receiver refused them.
    pub fn send(
        &self,
        entries: &[Entry],
        token: Option<&Token>,
    ) -> Result<Vec<Refusal>, AppendError> {
        let mut refusals = Vec::new();
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = pending.as_mut() {
            if !flush(p, &mut refusals) {
                return Err(AppendError::Full {
                    retry_after: PENDING_RETRY,
                    reason: format!(
                        "waiting for {} to take earlier entries",
                        names(&p.to).join(", ")
                    ),
                });
            }
            *pending = None;
        }
        if entries.is_empty() {
            return Ok(refusals);
        }
        let receivers = self.receivers();
        let mut took = 0;
        let mut full: Vec<(LogsReceiver, Duration, String)> = Vec::new();
        let mut refused: Vec<Refusal> = Vec::new();
        for r in &receivers {
            let result = match token {
                Some(t) => r.append_with(entries, t),
                None => r.append(entries),
            };
            match result {
                Ok(()) => took += 1,
                Err(AppendError::Full {
                    retry_after,
                    reason,
                }) => full.push((r.clone(), retry_after, reason)),
                Err(AppendError::Refused(reason)) => refused.push((r.name().to_string(), reason)),
            }
        }
        if took == 0 && !full.is_empty() {
            let retry_after = full.iter().map(|f| f.1).min().unwrap_or(PENDING_RETRY);
            let reason = full
                .iter()
                .map(|(r, _, why)| format!("{}: {why}", r.name()))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(AppendError::Full {
                retry_after,
                reason,
            });
        }
        if took == 0 && !refused.is_empty() {
            let reason = refused
                .iter()
                .map(|(n, why)| format!("{n}: {why}"))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(AppendError::Refused(reason));
        }
        if !full.is_empty() {
            *pending = Some(Pending {
                entries: entries.to_vec(),
                to: full.into_iter().map(|f| f.0).collect(),
                token: token.cloned(),
            });
        }
        refusals.extend(refused);
        Ok(refusals)
    }

    /// Offers the held batch again: `Ok` with any refusals when nothing is held any more, `Err(Full)` while
    /// a receiver is still full.
    pub fn retry_pending(&self) -> Result<Vec<Refusal>, AppendError> {
        self.send(&[], None)
    }
}

fn names(receivers: &[LogsReceiver]) -> Vec<String> {
    receivers.iter().map(|r| r.name().to_string()).collect()
}

/// Offers the held batch to the receivers still owed it; `true` when none is left.
fn flush(p: &mut Pending, refusals: &mut Vec<Refusal>) -> bool {
    let Pending { entries, to, token } = p;
    to.retain(|r| {
        let result = match token.as_ref() {
            Some(t) => r.append_with(entries, t),
            None => r.append(entries),
        };
        match result {
            Ok(()) => false,
            Err(AppendError::Full { .. }) => true,
            Err(AppendError::Refused(reason)) => {
                refusals.push((r.name().to_string(), reason));
                false
            }
        }
    });
    to.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LogsAppender;
    use ingot_prom::labels::Labels;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    struct Sink {
        got: Mutex<Vec<String>>,
        full: AtomicBool,
    }

    impl LogsAppender for Sink {
        fn append(&self, entries: &[Entry]) -> Result<(), AppendError> {
            if self.full.load(Ordering::SeqCst) {
                return Err(AppendError::Full {
                    retry_after: Duration::from_millis(5),
                    reason: "full".into(),
                });
            }
            let mut got = self.got.lock().unwrap();
            got.extend(entries.iter().map(|e| e.line.clone()));
            Ok(())
        }
    }

    fn sink() -> Arc<Sink> {
        Arc::new(Sink {
            got: Mutex::new(Vec::new()),
            full: AtomicBool::new(false),
        })
    }

    fn entry(line: &str) -> Entry {
        Entry::new(Labels::from_pairs(&[("job", "x")]), 1, line)
    }

    #[test]
    fn a_full_receiver_gets_a_held_copy_and_nobody_gets_an_entry_twice() {
        let (a, b) = (sink(), sink());
        let f = Fanout::new(vec![
            LogsReceiver::new("a", a.clone()),
            LogsReceiver::new("b", b.clone()),
        ]);
        b.full.store(true, Ordering::SeqCst);
        // a takes it, b is full: held for b, taken as far as the sender knows.
        assert!(f.send(&[entry("1")], None).is_ok());
        assert!(f.has_pending());
        // While it is held, new entries wait (order and memory kept).
        assert!(matches!(
            f.send(&[entry("2")], None),
            Err(AppendError::Full { .. })
        ));
        b.full.store(false, Ordering::SeqCst);
        assert!(f.retry_pending().is_ok());
        assert!(f.send(&[entry("2")], None).is_ok());
        assert_eq!(*a.got.lock().unwrap(), vec!["1", "2"]);
        assert_eq!(*b.got.lock().unwrap(), vec!["1", "2"]);
        // Every receiver full: nothing taken, the sender keeps them.
        a.full.store(true, Ordering::SeqCst);
        b.full.store(true, Ordering::SeqCst);
        assert!(matches!(
            f.send(&[entry("3")], None),
            Err(AppendError::Full { .. })
        ));
        assert!(!f.has_pending());
    }

    #[test]
    fn a_held_batch_keeps_the_senders_receipt_open() {
        let (a, b) = (sink(), sink());
        let f = Fanout::new(vec![
            LogsReceiver::new("a", a.clone()),
            LogsReceiver::new("b", b.clone()),
        ]);
        b.full.store(true, Ordering::SeqCst);
        let (mut r, t) = crate::receipt();
        f.send(&[entry("1")], Some(&t)).unwrap();
        drop(t);
        assert_eq!(r.try_stored(), None);
        b.full.store(false, Ordering::SeqCst);
        f.retry_pending().unwrap();
        assert_eq!(r.try_stored(), Some(Ok(())));
    }
}
