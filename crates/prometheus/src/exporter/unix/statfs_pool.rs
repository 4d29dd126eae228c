//! Worker threads that run `statfs` for the filesystem collector, so that a mount whose
//! `statfs` never returns (a dead NFS server) cannot stall a gather.
//!
//! One gather hands all its mounts to the pool as a batch. A single worker takes the batch and
//! works through it; if it is not done after [`HELP_AFTER`], the other workers join in, so one
//! stuck mount only holds up its own worker. In the common case this costs two thread wakeups
//! per gather instead of two per mount.
//!
//! When the deadline passes, a mount whose call is still running is stuck: it is remembered
//! (and skipped by later gathers) until that call returns, its worker leaves the pool, and a
//! replacement starts. Mounts no worker got to in time are reported as timed out, but not
//! remembered as stuck.

use std::collections::HashSet;
use std::ffi::{CStr, CString};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ingot_hostfs::sys::FsStat;

/// How long the first worker works alone before the others are woken to help.
const HELP_AFTER: Duration = Duration::from_millis(5);

pub(super) const TIMEOUT_ERROR: &str = "mountpoint timeout";

pub(super) type StatfsFn = fn(&CStr) -> io::Result<FsStat>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Queued,
    Running,
    Done,
    /// Still running when the gather gave up.
    Stuck,
}

struct BatchState {
    status: Vec<Status>,
    results: Vec<Option<io::Result<FsStat>>>,
    remaining: usize,
    /// The gather stopped waiting; workers start no more items.
    closed: bool,
}

struct Batch {
    paths: Vec<CString>,
    mount_points: Vec<String>,
    next: AtomicUsize,
    state: Mutex<BatchState>,
    finished: Condvar,
}

struct WorkState {
    batch: Option<Arc<Batch>>,
    generation: u64,
    /// Workers still to wake for the current batch.
    wanted: usize,
    /// Mount points whose `statfs` is blocked.
    stuck: HashSet<String>,
    /// Workers not blocked in a stuck call.
    healthy: usize,
    shutdown: bool,
}

struct Shared {
    work: Mutex<WorkState>,
    wake: Condvar,
    statfs: StatfsFn,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks; recover the data if something ever did.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(super) struct StatfsPool {
    shared: Arc<Shared>,
    workers: usize,
}

impl StatfsPool {
    pub(super) fn new(workers: usize, statfs: StatfsFn) -> StatfsPool {
        StatfsPool {
            shared: Arc::new(Shared {
                work: Mutex::new(WorkState {
                    batch: None,
                    generation: 0,
                    wanted: 0,
                    stuck: HashSet::new(),
                    healthy: 0,
                    shutdown: false,
                }),
                wake: Condvar::new(),
                statfs,
            }),
            workers: workers.max(1),
        }
    }

    /// Starts workers until enough are healthy. Threads start on the first gather, so an
    /// exporter without the filesystem collector has none.
    fn ensure_workers(&self, work: &mut WorkState) -> io::Result<()> {
        while work.healthy < self.workers {
            let shared = Arc::clone(&self.shared);
            std::thread::Builder::new()
                .name("ingot-statfs".to_owned())
                .stack_size(128 * 1024)
                .spawn(move || worker(shared))?;
            work.healthy += 1;
        }
        Ok(())
    }

    #[cfg(test)]
    pub(super) fn is_stuck(&self, mount_point: &str) -> bool {
        lock(&self.shared.work).stuck.contains(mount_point)
    }

    #[cfg(test)]
    pub(super) fn healthy_workers(&self) -> usize {
        lock(&self.shared.work).healthy
    }

    /// `statfs` for each `(index, path, mount point)`, waiting at most `timeout` in total.
    /// Mounts already known to be stuck answer [`TIMEOUT_ERROR`] at once.
    pub(super) fn stat_all(
        &self,
        requests: Vec<(usize, CString, &str)>,
        timeout: Duration,
    ) -> io::Result<Vec<(usize, Result<FsStat, String>)>> {
        let deadline = Instant::now() + timeout;
        let mut results = Vec::with_capacity(requests.len());
        let mut indexes = Vec::with_capacity(requests.len());
        let mut paths = Vec::with_capacity(requests.len());
        let mut mount_points = Vec::with_capacity(requests.len());
        let batch = {
            let mut work = lock(&self.shared.work);
            self.ensure_workers(&mut work)?;
            for (index, path, mount_point) in requests {
                if work.stuck.contains(mount_point) {
                    results.push((index, Err(TIMEOUT_ERROR.to_owned())));
                } else {
                    indexes.push(index);
                    paths.push(path);
                    mount_points.push(mount_point.to_owned());
                }
            }
            if paths.is_empty() {
                return Ok(results);
            }
            let n = paths.len();
            let batch = Arc::new(Batch {
                paths,
                mount_points,
                next: AtomicUsize::new(0),
                state: Mutex::new(BatchState {
                    status: vec![Status::Queued; n],
                    results: (0..n).map(|_| None).collect(),
                    remaining: n,
                    closed: false,
                }),
                finished: Condvar::new(),
            });
            work.batch = Some(Arc::clone(&batch));
            work.generation += 1;
            work.wanted = 1;
            drop(work);
            // Woken after the lock is released, the worker does not block on it at once.
            self.shared.wake.notify_one();
            batch
        };

        let help_at = (Instant::now() + HELP_AFTER).min(deadline);
        if !wait_until(&batch, help_at) {
            let mut work = lock(&self.shared.work);
            work.wanted = work.healthy;
            self.shared.wake.notify_all();
            drop(work);
            wait_until(&batch, deadline);
        }

        let mut work = lock(&self.shared.work);
        work.batch = None;
        work.wanted = 0;
        let mut state = lock(&batch.state);
        state.closed = true;
        let mut newly_stuck = 0;
        for (i, &index) in indexes.iter().enumerate() {
            let result = match state.status[i] {
                Status::Done => state.results[i]
                    .take()
                    .map(|r| r.map_err(|e| ingot_hostfs::errno::go_error_text(&e)))
                    .unwrap_or_else(|| Err(TIMEOUT_ERROR.to_owned())),
                Status::Running => {
                    state.status[i] = Status::Stuck;
                    work.stuck.insert(batch.mount_points[i].clone());
                    newly_stuck += 1;
                    Err(TIMEOUT_ERROR.to_owned())
                }
                Status::Queued | Status::Stuck => Err(TIMEOUT_ERROR.to_owned()),
            };
            results.push((index, result));
        }
        drop(state);
        work.healthy -= newly_stuck;
        // Replace the workers that are now stuck, so the next gather has a full pool.
        self.ensure_workers(&mut work)?;
        Ok(results)
    }
}

impl Drop for StatfsPool {
    fn drop(&mut self) {
        lock(&self.shared.work).shutdown = true;
        self.shared.wake.notify_all();
    }
}

/// Waits until every item of `batch` is done or `until` passes; true if done.
fn wait_until(batch: &Batch, until: Instant) -> bool {
    let mut state = lock(&batch.state);
    loop {
        if state.remaining == 0 {
            return true;
        }
        let now = Instant::now();
        if now >= until {
            return false;
        }
        state = batch
            .finished
            .wait_timeout(state, until - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

fn worker(shared: Arc<Shared>) {
    let mut seen_generation = 0;
    loop {
        let batch = {
            let mut work = lock(&shared.work);
            loop {
                if work.shutdown {
                    return;
                }
                if work.wanted > 0 && work.generation != seen_generation {
                    if let Some(batch) = work.batch.clone() {
                        work.wanted -= 1;
                        seen_generation = work.generation;
                        break batch;
                    }
                }
                work = shared.wake.wait(work).unwrap_or_else(|e| e.into_inner());
            }
        };
        loop {
            let i = batch.next.fetch_add(1, Ordering::Relaxed);
            if i >= batch.paths.len() {
                break;
            }
            {
                let mut state = lock(&batch.state);
                if state.closed {
                    break;
                }
                state.status[i] = Status::Running;
            }
            let result = (shared.statfs)(&batch.paths[i]);
            let mut work = lock(&shared.work);
            let mut state = lock(&batch.state);
            let was_stuck = state.status[i] == Status::Stuck;
            state.status[i] = Status::Done;
            if was_stuck {
                // The mount answers again: the next gather asks it as usual. This worker was
                // replaced when it got stuck, so it leaves.
                work.stuck.remove(&batch.mount_points[i]);
                return;
            }
            state.results[i] = Some(result);
            state.remaining -= 1;
            let finished = state.remaining == 0;
            drop(state);
            drop(work);
            if finished {
                batch.finished.notify_all();
            }
        }
    }
}
