//! The log's own thread: appends, syncs, segment removals and position saves run there, in the order they
//! were asked for, so that a caller on an async worker never waits on the disk. Appends are queued and
//! bounded by bytes: past the bound an append is refused at once (the disk is not keeping up) rather than
//! blocking the caller or growing memory without limit.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use crate::{Position, Wal};

/// How many jobs (of any kind) may wait; appends are bounded by bytes well before this.
const JOB_CAPACITY: usize = 4096;

/// What became of one queued append: its position after the record, or why it could not be written.
pub struct Appended {
    pub result: io::Result<Position>,
    /// The caller's count of what the record holds (samples, lines), for its metrics.
    pub items: u64,
}

type Job = Box<dyn FnOnce(&Wal) + Send>;

enum Message {
    Append { record: Vec<u8>, items: u64 },
    Job(Job),
}

/// Why a queued operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The appends already queued hold `queued` bytes, and this one would pass `limit`.
    Backlog { queued: u64, limit: u64 },
    /// The thread is gone (the log was closed).
    Closed,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Backlog { queued, limit } => write!(
                f,
                "the disk is not keeping up: {queued} bytes wait to be written to the WAL, and the limit is {limit}"
            ),
            Refused::Closed => f.write_str("the WAL is closed"),
        }
    }
}

/// A handle to the log's thread. Clones share the thread; it ends, after doing everything queued, when the
/// last handle is dropped.
#[derive(Clone)]
pub struct WalThread {
    wal: Arc<Wal>,
    tx: mpsc::SyncSender<Message>,
    queued: Arc<AtomicU64>,
    limit: u64,
}

impl WalThread {
    /// Starts the thread for `wal`. `on_append` runs on the thread after each append, in order.
    /// `queue_limit` bounds the bytes of appends waiting to be written.
    pub fn spawn(
        wal: Arc<Wal>,
        name: &str,
        queue_limit: u64,
        on_append: impl Fn(Appended) + Send + 'static,
    ) -> io::Result<WalThread> {
        let (tx, rx) = mpsc::sync_channel::<Message>(JOB_CAPACITY);
        let queued = Arc::new(AtomicU64::new(0));
        let thread_wal = wal.clone();
        let thread_queued = queued.clone();
        let delay = test_hooks::append_delay();
        std::thread::Builder::new()
            .name(name.chars().take(15).collect())
            .spawn(move || {
                for message in rx {
                    match message {
                        Message::Append { record, items } => {
                            if let Some(d) = delay {
                                std::thread::sleep(d);
                            }
                            let result = thread_wal.append(&record);
                            thread_queued.fetch_sub(record.len() as u64, Ordering::AcqRel);
                            on_append(Appended { result, items });
                        }
                        Message::Job(job) => job(&thread_wal),
                    }
                }
            })?;
        Ok(WalThread {
            wal,
            tx,
            queued,
            limit: queue_limit,
        })
    }

    pub fn wal(&self) -> &Arc<Wal> {
        &self.wal
    }

    /// Bytes of appends waiting to be written.
    pub fn queued_bytes(&self) -> u64 {
        self.queued.load(Ordering::Acquire)
    }

    /// Queues one record; never blocks. What became of it is told to `on_append`.
    pub fn append(&self, record: Vec<u8>, items: u64) -> Result<(), Refused> {
        let len = record.len() as u64;
        let before = self.queued.fetch_add(len, Ordering::AcqRel);
        // One record larger than the whole bound is still taken when nothing waits, so that no record size
        // is refused forever.
        if before > 0 && before + len > self.limit {
            self.queued.fetch_sub(len, Ordering::AcqRel);
            return Err(Refused::Backlog {
                queued: before,
                limit: self.limit,
            });
        }
        self.tx
            .try_send(Message::Append { record, items })
            .map_err(|e| {
                self.queued.fetch_sub(len, Ordering::AcqRel);
                match e {
                    mpsc::TrySendError::Full(_) => Refused::Backlog {
                        queued: before,
                        limit: self.limit,
                    },
                    mpsc::TrySendError::Disconnected(_) => Refused::Closed,
                }
            })
    }

    /// Queues `job` to run on the thread after everything queued before it; never blocks.
    pub fn submit(&self, job: impl FnOnce(&Wal) + Send + 'static) -> Result<(), Refused> {
        self.tx
            .try_send(Message::Job(Box::new(job)))
            .map_err(|e| match e {
                mpsc::TrySendError::Full(_) => Refused::Backlog {
                    queued: self.queued_bytes(),
                    limit: self.limit,
                },
                mpsc::TrySendError::Disconnected(_) => Refused::Closed,
            })
    }

    /// Runs `job` on the thread after everything queued before it and waits for its result: for callers on a
    /// blocking thread (or at shutdown). Unlike [`submit`](Self::submit), it waits for room in the queue.
    pub fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Wal) -> T + Send + 'static,
    ) -> Result<T, Refused> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.tx
            .send(Message::Job(Box::new(move |wal| {
                let _ = tx.send(job(wal));
            })))
            .map_err(|_| Refused::Closed)?;
        rx.recv().map_err(|_| Refused::Closed)
    }
}

/// A delay before every append, for tests that show what a slow disk does (`test-hooks` feature only).
mod test_hooks {
    use super::Duration;

    /// `INGOT_TEST_WAL_APPEND_DELAY_MS`, read when a thread starts.
    #[cfg(feature = "test-hooks")]
    pub fn append_delay() -> Option<Duration> {
        std::env::var("INGOT_TEST_WAL_APPEND_DELAY_MS")
            .ok()?
            .parse()
            .ok()
            .map(Duration::from_millis)
    }

    #[cfg(not(feature = "test-hooks"))]
    pub fn append_delay() -> Option<Duration> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, Read};
    use std::sync::Mutex;

    #[test]
    fn appends_run_in_order_off_the_caller_and_are_bounded_by_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (wal, _) = Wal::open(dir.path().join("wal"), Options::default()).unwrap();
        let wal = Arc::new(wal);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        let gate = Mutex::new(gate_rx);
        let thread = {
            let seen = seen.clone();
            WalThread::spawn(wal.clone(), "wal-test", 100, move |a| {
                seen.lock().unwrap().push((a.items, a.result.is_ok()));
            })
            .unwrap()
        };
        // Hold the thread on a job so that appends queue up behind it.
        thread
            .submit(move |_| {
                let _ = gate.lock().unwrap().recv();
            })
            .unwrap();
        thread.append(vec![1; 60], 1).unwrap();
        assert_eq!(thread.queued_bytes(), 60);
        assert_eq!(
            thread.append(vec![2; 60], 2),
            Err(Refused::Backlog {
                queued: 60,
                limit: 100
            })
        );
        thread.append(vec![3; 40], 3).unwrap();
        gate_tx.send(()).unwrap();
        let end = thread.run(|wal| wal.end()).unwrap();
        assert_eq!(thread.queued_bytes(), 0);
        assert_eq!(*seen.lock().unwrap(), vec![(1, true), (3, true)]);
        let mut reader = wal.reader(wal.start());
        let mut buf = Vec::new();
        let mut records = Vec::new();
        while let Read::Record(_) = reader.next(&mut buf).unwrap() {
            records.push(buf[0]);
        }
        assert_eq!(records, vec![1, 3]);
        assert_eq!(reader.position(), end);
    }

    #[test]
    fn a_record_larger_than_the_bound_is_taken_when_nothing_waits() {
        let dir = tempfile::tempdir().unwrap();
        let (wal, _) = Wal::open(dir.path().join("wal"), Options::default()).unwrap();
        let thread = WalThread::spawn(Arc::new(wal), "wal-test", 10, |_| {}).unwrap();
        thread.append(vec![0; 50], 1).unwrap();
        let end = thread.run(|wal| wal.end()).unwrap();
        assert!(end.offset > 50);
    }
}
