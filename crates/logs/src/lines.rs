//! [`LineForwarder`]: text lines (the agent's own log, for `logging { write_to = [...] }`) turned into
//! entries and sent to receivers on a thread of its own, so that whoever writes a line never waits: lines
//! wait in a bounded queue, and past its bound they are dropped and counted, never blocking the writer.
//! Until the receivers are first set (the config is loaded), lines are kept in the queue, as Alloy keeps
//! the lines it logs before its `logging` block is read and then sends them too.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_prom::labels::Labels;

use crate::entry::{now_ns, now_us};
use crate::{AppendError, Entry, Fanout, LogsReceiver};

/// Most lines sent in one append.
const BATCH_LINES: usize = 256;
/// How long a line waits for others to share its append.
const BATCH_WAIT: Duration = Duration::from_millis(100);
/// How long a batch the receivers keep answering `Full` is offered before it is dropped (and counted).
const GIVE_UP_AFTER: Duration = Duration::from_secs(30);

thread_local! {
    /// Set on the forwarder's own thread: lines it causes (a receiver logging while taking a batch) are
    /// not forwarded again, so that no line can feed itself.
    static FORWARDING: Cell<bool> = const { Cell::new(false) };
}

pub struct LineForwarder {
    tx: SyncSender<(i64, String)>,
    fanout: Arc<Fanout>,
    enabled: Arc<AtomicBool>,
    /// The receivers have been set at least once.
    configured: Arc<AtomicBool>,
    dropped: Arc<AtomicU64>,
}

impl LineForwarder {
    /// Starts the thread. Lines become entries with `labels`; at most `capacity` lines wait.
    pub fn spawn(labels: Labels, capacity: usize) -> std::io::Result<LineForwarder> {
        let (tx, rx) = mpsc::sync_channel::<(i64, String)>(capacity);
        let fanout = Arc::new(Fanout::new(Vec::new()));
        let dropped = Arc::new(AtomicU64::new(0));
        let configured = Arc::new(AtomicBool::new(false));
        let (f, d, c) = (fanout.clone(), dropped.clone(), configured.clone());
        std::thread::Builder::new()
            .name("ingot-log-fwd".into())
            .spawn(move || {
                FORWARDING.with(|x| x.set(true));
                while !c.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                run(rx, labels, &f, &d);
            })?;
        Ok(LineForwarder {
            tx,
            fanout,
            enabled: Arc::new(AtomicBool::new(false)),
            configured,
            dropped,
        })
    }

    pub fn set_receivers(&self, receivers: Vec<LogsReceiver>) {
        self.enabled.store(!receivers.is_empty(), Ordering::Release);
        self.fanout.set_receivers(receivers);
        self.configured.store(true, Ordering::Release);
    }

    /// Whether lines offered now are kept: before the receivers are first set, and while there are any.
    pub fn is_enabled(&self) -> bool {
        !self.configured.load(Ordering::Acquire) || self.enabled.load(Ordering::Acquire)
    }

    /// Queues a line without waiting; a full queue drops it (counted).
    pub fn offer(&self, line: &str) {
        if !self.is_enabled() || FORWARDING.with(Cell::get) {
            return;
        }
        match self.tx.try_send((now_ns(), line.to_string())) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Lines dropped so far (queue full, or receivers full for too long).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

fn run(rx: mpsc::Receiver<(i64, String)>, labels: Labels, fanout: &Fanout, dropped: &AtomicU64) {
    let mut reported = 0u64;
    let mut last_report = Instant::now();
    loop {
        let first = match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(l) => l,
            Err(RecvTimeoutError::Timeout) => {
                report(dropped, &mut reported, &mut last_report);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let deadline = Instant::now() + BATCH_WAIT;
        let mut batch = vec![first];
        while batch.len() < BATCH_LINES {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(l) => batch.push(l),
                Err(_) => break,
            }
        }
        let created = now_us();
        let entries: Vec<Entry> = batch
            .into_iter()
            .map(|(ts, line)| Entry {
                labels: labels.clone(),
                timestamp_ns: ts,
                line,
                structured_metadata: Vec::new(),
                created_us: created,
            })
            .collect();
        let started = Instant::now();
        loop {
            match fanout.send(&entries, None) {
                Ok(refusals) => {
                    if !refusals.is_empty() {
                        dropped.fetch_add(entries.len() as u64, Ordering::Relaxed);
                    }
                    break;
                }
                Err(AppendError::Full { retry_after, .. })
                    if started.elapsed() + retry_after < GIVE_UP_AFTER =>
                {
                    std::thread::sleep(retry_after);
                }
                Err(_) => {
                    dropped.fetch_add(entries.len() as u64, Ordering::Relaxed);
                    break;
                }
            }
        }
        report(dropped, &mut reported, &mut last_report);
    }
}

/// Says (at most every 10 s, on standard error only) how many lines were dropped since it last said.
fn report(dropped: &AtomicU64, reported: &mut u64, last: &mut Instant) {
    let now = dropped.load(Ordering::Relaxed);
    if now > *reported && last.elapsed() >= Duration::from_secs(10) {
        tracing::warn!(
            "{} log lines were not sent to logging.write_to (its queue was full, or its receivers were full for {}s)",
            now - *reported,
            GIVE_UP_AFTER.as_secs()
        );
        *reported = now;
        *last = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LogsAppender;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Sink(Mutex<Vec<Entry>>);
    impl LogsAppender for Sink {
        fn append(&self, entries: &[Entry]) -> Result<(), AppendError> {
            self.0.lock().unwrap().extend_from_slice(entries);
            Ok(())
        }
    }

    #[test]
    fn lines_become_entries_and_a_full_queue_drops_instead_of_waiting() {
        let f = LineForwarder::spawn(Labels::from_pairs(&[("component", "alloy")]), 4).unwrap();
        // Before the receivers are first set, lines wait for them.
        f.offer("one\n");
        let sink = Arc::new(Sink::default());
        f.set_receivers(vec![LogsReceiver::new("sink", sink.clone())]);
        f.offer("two\n");
        let deadline = Instant::now() + Duration::from_secs(5);
        while sink.0.lock().unwrap().len() < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let got = sink.0.lock().unwrap().clone();
        assert_eq!(
            got.iter().map(|e| e.line.as_str()).collect::<Vec<_>>(),
            vec!["one\n", "two\n"]
        );
        assert_eq!(got[0].labels.get("component"), Some("alloy"));
        // Many more than the queue holds, offered at once: none waits, the rest is counted.
        let started = Instant::now();
        for i in 0..10_000 {
            f.offer(&format!("{i}\n"));
        }
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(f.dropped() > 0);
        // Without receivers, nothing is kept.
        f.set_receivers(Vec::new());
        assert!(!f.is_enabled());
    }
}
