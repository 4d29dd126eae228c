//! The component's reading thread: it owns the journal reader and the positions file. It reads entries
//! in batches, hands each batch to the receivers with a receipt, and moves the saved cursor only when
//! the receivers have stored every entry up to it (on disk, for `loki.write`). A batch the receivers
//! answer `Full` to is kept and offered again; reading waits meanwhile. All its disk I/O happens here,
//! never on an async worker.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use ingot_journal::{Cursor, JournalReader, SeekTo};
use ingot_logs::{AppendError, Entry, Fanout, Receipt};
use ingot_runtime::health::HealthReporter;

use super::args::Arguments;
use super::convert::{Converter, Dropped};
use super::metrics::Metrics;
use crate::source::file::positions::{PosKey, Positions};

/// How often the cursor is written when it moved.
pub const SAVE_INTERVAL: Duration = Duration::from_secs(2);
/// How often the journal is looked at for new files and entries when there was nothing to read.
const POLL: Duration = Duration::from_millis(250);
const MAX_BATCH_ENTRIES: usize = 1024;
const MAX_BATCH_BYTES: usize = 1 << 20;
/// Batches handed over and not yet stored, at most (reading waits past it).
const MAX_IN_FLIGHT: usize = 64;
/// How long a stop waits for the receivers to store what they took, so that its cursor is saved.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// Makes the reader for a set of arguments (tests put their own in).
pub type ReaderFactory = Arc<dyn Fn(&Arguments) -> Box<dyn JournalReader> + Send + Sync>;

pub fn default_reader(args: &Arguments) -> Box<dyn JournalReader> {
    let paths = if args.path.is_empty() {
        ingot_journal::Paths::Default
    } else {
        ingot_journal::Paths::Directory(args.path.clone().into())
    };
    Box::new(ingot_journal::Journal::new(
        paths,
        args.match_groups.clone(),
        ingot_journal::Options::default(),
    ))
}

pub struct Control {
    pub args: Arc<Arguments>,
    pub version: u64,
    pub stop: bool,
}

/// What debug info and health show.
#[derive(Clone, Debug, Default)]
pub struct Status {
    /// The cursor of the last entry the receivers stored.
    pub cursor: Option<String>,
    pub problems: Vec<String>,
    /// Why the receivers hold reading back, while they do.
    pub waiting: Option<String>,
    pub refused_entries: u64,
    pub bad_entries: u64,
}

pub struct Shared {
    pub control: Mutex<Control>,
    pub wake: Condvar,
    pub metrics: Metrics,
    pub status: Mutex<Status>,
}

impl Shared {
    pub fn new(args: Arc<Arguments>) -> Shared {
        Shared {
            control: Mutex::new(Control {
                args,
                version: 0,
                stop: false,
            }),
            wake: Condvar::new(),
            metrics: Metrics::default(),
            status: Mutex::new(Status::default()),
        }
    }
}

/// A batch the receivers did not take yet.
struct Held {
    entries: Vec<Entry>,
    /// The cursor of the last entry read for it (converted or dropped).
    cursor: String,
    retry_at: Instant,
}

pub struct Worker {
    id: String,
    shared: Arc<Shared>,
    health: HealthReporter,
    args: Arc<Arguments>,
    version: u64,
    factory: ReaderFactory,
    reader: Box<dyn JournalReader>,
    converter: Converter,
    fanout: Fanout,
    positions: Positions,
    key: PosKey,
    /// A cursor Alloy converted from a legacy file (labels `{}`): read when `key` has none.
    legacy_key: PosKey,
    positions_problem: Option<String>,
    committed: Option<String>,
    /// The cursor of the last entry handed to the receivers (or dropped).
    handed: Option<String>,
    held: Option<Held>,
    in_flight: VecDeque<(Option<Receipt>, String)>,
    /// The first entry after resuming from a cursor is checked against `max_age`.
    check_age: bool,
    next_save: Instant,
    last_health: Option<(bool, String)>,
    last_refusal: Option<String>,
    last_look: Instant,
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

fn converter_for(id: &str, args: &Arguments) -> Converter {
    Converter::new(
        id,
        &args.labels,
        args.relabel_rules.0.clone(),
        args.format_as_json,
    )
}

impl Worker {
    pub fn new(
        id: String,
        shared: Arc<Shared>,
        health: HealthReporter,
        positions: Positions,
        positions_problem: Option<String>,
        factory: ReaderFactory,
    ) -> Worker {
        let (args, version) = {
            let c = shared.control.lock().unwrap_or_else(|e| e.into_inner());
            (c.args.clone(), c.version)
        };
        let reader = factory(&args);
        let key = PosKey {
            path: format!("cursor-{id}"),
            labels: String::new(),
        };
        let legacy_key = PosKey {
            path: key.path.clone(),
            labels: "{}".into(),
        };
        Worker {
            converter: converter_for(&id, &args),
            fanout: Fanout::new(args.forward_to.iter().map(|r| r.0.clone()).collect()),
            id,
            shared,
            health,
            args,
            version,
            factory,
            reader,
            positions,
            key,
            legacy_key,
            positions_problem,
            committed: None,
            handed: None,
            held: None,
            in_flight: VecDeque::new(),
            check_age: false,
            next_save: Instant::now() + SAVE_INTERVAL,
            last_health: None,
            last_refusal: None,
            last_look: Instant::now(),
        }
    }

    /// Where reading starts: after the saved cursor (at it, for a cursor Alloy saved), unless that is
    /// older than `max_age`; without one, `max_age` ago (`max_age = 0`: the whole journal).
    fn start(&mut self) {
        let saved = self
            .positions
            .get(&self.key)
            .or_else(|| self.positions.get(&self.legacy_key))
            .cloned();
        if let Some(s) = saved {
            match Cursor::parse(&s.value) {
                Ok(c) => {
                    self.reader.seek(SeekTo::Cursor {
                        cursor: c,
                        inclusive: !s.after,
                    });
                    self.committed = Some(s.value.clone());
                    self.handed = Some(s.value);
                    self.check_age = !self.args.max_age.is_zero();
                    tracing::info!(component = %self.id, cursor = %c_text(&self.committed), "resuming the journal after the saved cursor");
                    return;
                }
                Err(e) => {
                    tracing::error!(component = %self.id, "received error reading saved journal position: {e}; reading from max_age ago");
                }
            }
        }
        self.seek_max_age();
    }

    fn seek_max_age(&mut self) {
        let to = if self.args.max_age.is_zero() {
            SeekTo::Head
        } else {
            SeekTo::Realtime(now_us().saturating_sub(self.args.max_age.as_micros() as u64))
        };
        self.reader.seek(to);
    }

    /// Runs until the component stops; saves the cursor on the way out.
    pub fn run(mut self) {
        self.start();
        loop {
            let (new_args, stop) = {
                let c = self
                    .shared
                    .control
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                let new = (c.version != self.version).then(|| (c.args.clone(), c.version));
                (new, c.stop)
            };
            if stop {
                break;
            }
            if let Some((args, version)) = new_args {
                self.apply(args, version);
            }
            self.commit();
            let wait = self.step();
            let now = Instant::now();
            if now >= self.next_save {
                self.save(false);
                self.next_save = now + SAVE_INTERVAL;
            }
            self.publish();
            if let Some(wait) = wait {
                self.sleep(wait);
                // Nothing was left to read: look for more (at most every POLL while receipts are
                // awaited).
                if self.held.is_none()
                    && self.in_flight.len() < MAX_IN_FLIGHT
                    && self.last_look.elapsed() >= POLL
                {
                    self.reader.refresh();
                    self.last_look = Instant::now();
                }
            }
        }
        self.finish();
    }

    fn apply(&mut self, args: Arc<Arguments>, version: u64) {
        self.fanout
            .set_receivers(args.forward_to.iter().map(|r| r.0.clone()).collect());
        self.converter = converter_for(&self.id, &args);
        if !args.same_source(&self.args) {
            // Another path or other matches: a new reader, from the last entry handed over. A held
            // batch is read again from there.
            self.reader = (self.factory)(&args);
            self.held = None;
            match self.handed.as_deref().map(Cursor::parse) {
                Some(Ok(c)) => self.reader.seek(SeekTo::Cursor {
                    cursor: c,
                    inclusive: false,
                }),
                _ => {
                    self.args = args.clone();
                    self.seek_max_age();
                }
            }
        }
        self.args = args;
        self.version = version;
    }

    /// Moves the committed cursor past every batch the receivers stored, in order.
    fn commit(&mut self) {
        while let Some((receipt, _)) = self.in_flight.front_mut() {
            let result = match receipt {
                None => Ok(()),
                Some(r) => match r.try_stored() {
                    None => break,
                    Some(result) => result,
                },
            };
            let (_, cursor) = self.in_flight.pop_front().expect("front");
            match result {
                Ok(()) => {
                    self.positions.put_cursor(&self.key, &cursor);
                    self.positions.remove(&self.legacy_key);
                    self.committed = Some(cursor);
                }
                Err(e) => {
                    // The receivers took the entries but could not keep them: read them again.
                    tracing::warn!(component = %self.id, "the receivers could not store journal entries ({e}); reading again after the last stored entry");
                    self.in_flight.clear();
                    self.held = None;
                    self.handed = self.committed.clone();
                    match self.committed.as_deref().map(Cursor::parse) {
                        Some(Ok(c)) => self.reader.seek(SeekTo::Cursor {
                            cursor: c,
                            inclusive: false,
                        }),
                        _ => self.seek_max_age(),
                    }
                    break;
                }
            }
        }
    }

    /// Does one piece of work; `Some(wait)` when there is nothing to do for that long.
    fn step(&mut self) -> Option<Duration> {
        if let Some(h) = &self.held {
            let now = Instant::now();
            if now < h.retry_at {
                return Some(h.retry_at - now);
            }
            let h = self.held.take().expect("held");
            self.offer(h.entries, h.cursor);
            return None;
        }
        if self.fanout.has_pending() {
            // A batch some receivers took and others were full for: theirs first.
            if let Err(AppendError::Full { retry_after, .. }) = self.fanout.retry_pending() {
                return Some(retry_after.clamp(Duration::from_millis(10), POLL));
            }
        }
        if self.in_flight.len() >= MAX_IN_FLIGHT {
            return Some(Duration::from_millis(10));
        }
        let mut batch = Vec::new();
        let mut bytes = 0;
        let mut last = None;
        let created = ingot_logs::entry::now_us();
        while batch.len() < MAX_BATCH_ENTRIES && bytes < MAX_BATCH_BYTES {
            let Some(e) = self.reader.next_entry() else {
                break;
            };
            if std::mem::take(&mut self.check_age) {
                let oldest = now_us().saturating_sub(self.args.max_age.as_micros() as u64);
                if e.position.realtime < oldest {
                    // As Alloy: a saved position older than max_age gives way to max_age.
                    tracing::info!(component = %self.id, "the saved journal position is older than max_age ({}); reading from max_age ago", ingot_gocompat::time::format_std_duration(self.args.max_age));
                    self.seek_max_age();
                    continue;
                }
            }
            last = Some(e.cursor());
            match self.converter.convert(&e, created) {
                Ok(entry) => {
                    bytes += entry.size();
                    batch.push(entry);
                }
                Err(Dropped::NoMessage) => {
                    self.shared
                        .metrics
                        .no_message
                        .fetch_add(1, Ordering::Relaxed);
                }
                Err(Dropped::EmptyLabels) => {
                    self.shared
                        .metrics
                        .empty_labels
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        for n in self.reader.take_notices() {
            tracing::warn!(component = %self.id, "{n}");
        }
        let Some(cursor) = last else {
            return Some(if self.in_flight.is_empty() {
                POLL
            } else {
                // Waiting for receipts: look again soon.
                Duration::from_millis(20)
            });
        };
        self.offer(batch, cursor);
        None
    }

    fn offer(&mut self, entries: Vec<Entry>, cursor: String) {
        if entries.is_empty() {
            self.handed = Some(cursor.clone());
            self.in_flight.push_back((None, cursor));
            return;
        }
        let (receipt, token) = ingot_logs::receipt();
        match self.fanout.send(&entries, Some(&token)) {
            Ok(refusals) => {
                drop(token);
                self.shared
                    .metrics
                    .lines
                    .fetch_add(entries.len() as u64, Ordering::Relaxed);
                for (receiver, why) in &refusals {
                    self.refused(entries.len(), format!("{receiver}: {why}"));
                }
                self.status(|s| s.waiting = None);
                self.handed = Some(cursor.clone());
                self.in_flight.push_back((Some(receipt), cursor));
            }
            Err(AppendError::Full {
                retry_after,
                reason,
            }) => {
                drop(token);
                self.status(|s| s.waiting = Some(reason));
                self.held = Some(Held {
                    entries,
                    cursor,
                    retry_at: Instant::now()
                        + retry_after.clamp(Duration::from_millis(10), Duration::from_secs(1)),
                });
            }
            Err(AppendError::Refused(reason)) => {
                drop(token);
                self.refused(entries.len(), reason);
                self.handed = Some(cursor.clone());
                self.in_flight.push_back((None, cursor));
            }
        }
    }

    fn refused(&mut self, n: usize, why: String) {
        if self.last_refusal.as_deref() != Some(why.as_str()) {
            tracing::warn!(component = %self.id, "journal entries dropped: a receiver refused them: {why}");
            self.last_refusal = Some(why);
        }
        self.status(|s| s.refused_entries += n as u64);
    }

    fn status(&self, f: impl FnOnce(&mut Status)) {
        f(&mut self.shared.status.lock().unwrap_or_else(|e| e.into_inner()));
    }

    fn sleep(&self, wait: Duration) {
        let c = self
            .shared
            .control
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if c.stop || c.version != self.version {
            return;
        }
        let _ = self
            .shared
            .wake
            .wait_timeout(c, wait)
            .unwrap_or_else(|e| e.into_inner());
    }

    fn save(&mut self, force: bool) {
        match self.positions.save(force) {
            Ok(_) => {
                if self.positions_problem.take().is_some() {
                    tracing::info!(component = %self.id, "positions file written again");
                }
            }
            Err(e) => {
                let msg = format!(
                    "writing positions file {}: {}",
                    self.positions.path().display(),
                    ingot_local::file_match::io_error_text(&e)
                );
                if self.positions_problem.as_deref() != Some(msg.as_str()) {
                    tracing::error!(component = %self.id, "{msg}");
                }
                self.positions_problem = Some(msg);
            }
        }
    }

    /// Health and debug info from the reader's problems.
    fn publish(&mut self) {
        let mut problems = self.reader.problems();
        if let Some(p) = &self.positions_problem {
            problems.push(p.clone());
        }
        let counts = self.reader.counts();
        {
            let mut s = self.shared.status.lock().unwrap_or_else(|e| e.into_inner());
            s.cursor = self.committed.clone();
            s.problems = problems.clone();
            s.bad_entries = counts.bad_entries;
        }
        let health = if problems.is_empty() {
            (true, "journal tailer is running".to_string())
        } else {
            (false, problems.join("; "))
        };
        if self.last_health.as_ref() != Some(&health) {
            if health.0 {
                self.health.healthy(health.1.clone());
            } else {
                tracing::warn!(component = %self.id, "{}", health.1);
                self.health.unhealthy(health.1.clone());
            }
            self.last_health = Some(health);
        }
    }

    /// On stop: waits a bounded time for the receivers to store what they took, then saves the cursor.
    fn finish(&mut self) {
        let deadline = Instant::now() + STOP_WAIT;
        loop {
            self.commit();
            if self.fanout.has_pending() {
                let _ = self.fanout.retry_pending();
            }
            if self.in_flight.is_empty() || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if !self.in_flight.is_empty() {
            tracing::warn!(component = %self.id, "stopping before the receivers stored {} batches of journal entries; they are read again at the next start", self.in_flight.len());
        }
        self.save(true);
    }
}

fn c_text(c: &Option<String>) -> &str {
    c.as_deref().unwrap_or("")
}
