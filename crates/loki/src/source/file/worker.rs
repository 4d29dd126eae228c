//! The component's reading thread: it owns every file being read, the positions file and the index of
//! files seen by identity. It wakes when a file is due (idle files are looked at every
//! `min_poll_frequency`, doubling up to `max_poll_frequency`), when a refused batch may be offered again,
//! when `file_match` is due, when positions are due to be saved, and when the arguments change. All its
//! disk I/O happens here, never on an async worker.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use ingot_logs::LogsReceiver;
use ingot_prom::labels::Labels;
use ingot_runtime::health::HealthReporter;

use super::args::{Arguments, OnPositionsFileError};
use super::metrics::Metrics;
use super::positions::{label_set_string, Damaged, PosKey, Positions};
use super::task::{
    text, Change, Cursor, OpenFailure, OpenOptions, Reading, Signature, Start, DRAIN_GRACE,
};

/// How often positions are written when they changed.
pub const SAVE_INTERVAL: Duration = Duration::from_secs(2);
/// Retry delays for a file that cannot be opened (Alloy's 1s to 10s).
const RETRY_MIN: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(10);
/// Entries of the identity index not touched for this long are forgotten.
const KNOWN_TTL: Duration = Duration::from_secs(24 * 3600);

/// What the component hands the thread.
pub struct Control {
    pub args: Arc<Arguments>,
    pub version: u64,
    pub stop: bool,
}

/// One file's state for debug info and health.
#[derive(Clone, Debug, PartialEq)]
pub struct FileStatus {
    pub path: String,
    pub labels: String,
    pub running: bool,
    pub read_offset: u64,
    pub state: &'static str,
    pub error: Option<String>,
    /// Why the receivers hold back this file's entries, while they do.
    pub blocked: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Status {
    pub files: BTreeMap<PosKey, FileStatus>,
    /// Problems not tied to one file (patterns, the positions file), in words.
    pub problems: Vec<String>,
    pub dropped_entries: u64,
}

/// Shared between the component and its thread.
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

enum State {
    /// No file open: waiting for it to exist, or retrying after an error.
    Waiting,
    Open(Cursor),
    /// The path now names another file (or none): this one is read to its end first.
    Draining {
        cur: Cursor,
        idle_since: Instant,
    },
    /// A compressed file read whole.
    Done,
    /// Not read: `on_positions_file_error = "skip"`.
    Skipped(String),
}

struct Task {
    key: PosKey,
    labels: Labels,
    state: State,
    due: Instant,
    interval: Duration,
    retry: Duration,
    error: Option<String>,
    /// Never opened in this run: the positions file says where to start.
    first_open: bool,
    /// The positions file was damaged when this task started: `on_positions_file_error` decides.
    damaged: bool,
    /// Its target is gone: finish the open file, then go.
    retiring: bool,
    /// Waits for the task draining the same file to hand it over.
    handover_from: Option<PosKey>,
    /// Compressed files wait `initial_delay` after they are found.
    not_before: Option<Instant>,
    /// A compressed file that ended early: its size then, and where reading stopped.
    incomplete: Option<(u64, u64)>,
    /// The committed offset of the last file, kept while none is open, and that file's identity.
    last_committed: u64,
    last_identity: Option<super::positions::Identity>,
    status_dirty: bool,
}

impl Task {
    fn cursor(&self) -> Option<&Cursor> {
        match &self.state {
            State::Open(c) | State::Draining { cur: c, .. } => Some(c),
            _ => None,
        }
    }

    fn committed(&self) -> u64 {
        self.cursor().map_or(self.last_committed, |c| c.committed)
    }

    fn set_error(&mut self, id: &str, error: Option<String>) {
        if self.error != error {
            match &error {
                Some(e) => tracing::warn!(component = %id, path = %self.key.path, "{e}"),
                None => {
                    tracing::info!(component = %id, path = %self.key.path, "reading the file again")
                }
            }
            self.error = error;
            self.status_dirty = true;
        }
    }
}

/// A file seen, by inode: its signature, how far it was read, and who reads it now.
struct Known {
    sig: Signature,
    offset: u64,
    holder: Option<(PosKey, bool)>,
    touched: Instant,
}

pub struct Worker {
    id: String,
    shared: Arc<Shared>,
    health: HealthReporter,
    args: Arc<Arguments>,
    version: u64,
    receivers: Vec<LogsReceiver>,
    positions: Positions,
    positions_problem: Option<String>,
    /// The positions file was damaged: the first set of targets follows `on_positions_file_error`.
    damaged: Option<Damaged>,
    first_reconcile: bool,
    tasks: BTreeMap<PosKey, Task>,
    known: HashMap<u64, Known>,
    /// Complete signatures of the files read, with how far they were read: a copy of one of them
    /// (copytruncate's) starts there.
    by_sig: HashMap<u64, (u64, Instant)>,
    match_problems: Vec<String>,
    next_sync: Instant,
    next_save: Instant,
    dropped: u64,
    last_refused: Option<String>,
    health_dirty: bool,
}

fn receivers_of(args: &Arguments) -> Vec<LogsReceiver> {
    args.forward_to.iter().map(|r| r.0.clone()).collect()
}

/// One file to read: its key, path and stream labels.
struct Wanted {
    key: PosKey,
    labels: Labels,
    modified: Option<SystemTime>,
}

fn wanted_from(path: String, target: &BTreeMap<String, String>) -> Wanted {
    let public: Vec<(&str, &str)> = target
        .iter()
        .filter(|(k, _)| !k.starts_with("__"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let key = PosKey {
        labels: label_set_string(public.iter().copied()),
        path: path.clone(),
    };
    let mut pairs: Vec<(&str, &str)> = public;
    pairs.retain(|(k, _)| *k != "filename");
    pairs.push(("filename", &path));
    Wanted {
        key,
        labels: Labels::from_pairs(&pairs),
        modified: None,
    }
}

impl Worker {
    pub fn new(
        id: String,
        shared: Arc<Shared>,
        health: HealthReporter,
        positions: Positions,
        damaged: Option<Damaged>,
    ) -> Worker {
        let (args, version) = {
            let c = shared.control.lock().unwrap_or_else(|e| e.into_inner());
            (c.args.clone(), c.version)
        };
        let now = Instant::now();
        let mut known = HashMap::new();
        for (_, s) in positions.entries() {
            if let (Some(id), Ok(offset)) = (s.identity, s.offset()) {
                known.insert(
                    id.ino,
                    Known {
                        sig: Signature::from_identity(&id),
                        offset,
                        holder: None,
                        touched: now,
                    },
                );
            }
        }
        let positions_problem = damaged.as_ref().map(|d| {
            format!(
                "{}; the files read when it was found start as on_positions_file_error = {:?} says",
                d.0,
                args.on_positions_file_error.as_str()
            )
        });
        Worker {
            receivers: receivers_of(&args),
            id,
            shared,
            health,
            args,
            version,
            positions,
            positions_problem,
            damaged,
            first_reconcile: true,
            tasks: BTreeMap::new(),
            known,
            by_sig: HashMap::new(),
            match_problems: Vec::new(),
            next_sync: now,
            next_save: now + SAVE_INTERVAL,
            dropped: 0,
            last_refused: None,
            health_dirty: true,
        }
    }

    /// Runs until the component stops; saves positions on the way out.
    pub fn run(mut self) {
        self.reconcile(Instant::now());
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
            let now = Instant::now();
            if let Some((args, version)) = new_args {
                self.apply_args(args, version);
                self.reconcile(now);
            } else if self.args.file_match.enabled && now >= self.next_sync {
                self.reconcile(now);
            }
            self.step_due(now);
            if now >= self.next_save {
                self.save(false);
                self.next_save = now + SAVE_INTERVAL;
            }
            self.publish();
            self.sleep();
        }
        self.save(true);
        self.shared.metrics.set_active(0);
    }

    fn apply_args(&mut self, args: Arc<Arguments>, version: u64) {
        let old = std::mem::replace(&mut self.receivers, receivers_of(&args));
        // A batch waiting for receivers goes to the new ones it has not reached: those it was waiting
        // for that are still there, and those that are new.
        for t in self.tasks.values_mut() {
            let pending = match &mut t.state {
                State::Open(c) | State::Draining { cur: c, .. } => c.pending.as_mut(),
                _ => None,
            };
            if let Some(p) = pending {
                p.remaining = self
                    .receivers
                    .iter()
                    .filter(|r| p.remaining.contains(r) || !old.contains(r))
                    .cloned()
                    .collect();
                p.retry_at = Instant::now();
            }
        }
        self.args = args;
        self.version = version;
        self.health_dirty = true;
    }

    /// The files the targets name now.
    fn resolve(&mut self) -> Vec<Wanted> {
        let mut out = Vec::new();
        self.match_problems.clear();
        if !self.args.file_match.enabled {
            for t in &self.args.targets {
                let path = t.get("__path__").cloned().unwrap_or_default();
                out.push(wanted_from(path, t));
            }
            return out;
        }
        for t in &self.args.targets {
            let m = ingot_local::file_match::match_files(t);
            self.match_problems.extend(m.problems);
            for f in m.files {
                let mut w = wanted_from(f.path, t);
                w.modified = f.modified;
                out.push(w);
            }
        }
        out
    }

    fn reconcile(&mut self, now: Instant) {
        let wanted = self.resolve();
        self.next_sync = now + self.args.file_match.sync_period;
        let ignore = self.args.file_match.ignore_older_than;
        let mut keep = BTreeSet::new();
        for w in wanted {
            if keep.contains(&w.key) {
                continue;
            }
            if let Some(t) = self.tasks.get_mut(&w.key) {
                keep.insert(w.key);
                if t.retiring {
                    t.retiring = false;
                    t.status_dirty = true;
                }
                continue;
            }
            // As Alloy, a file found old is not started (one already read goes on).
            if self.args.file_match.enabled && !ignore.is_zero() {
                let old = w.modified.is_some_and(|m| {
                    SystemTime::now()
                        .duration_since(m)
                        .is_ok_and(|age| age > ignore)
                });
                if old {
                    continue;
                }
            }
            let not_before = self
                .args
                .compression()
                .filter(|c| !c.initial_delay.is_zero())
                .map(|c| now + c.initial_delay);
            keep.insert(w.key.clone());
            self.tasks.insert(
                w.key.clone(),
                Task {
                    key: w.key,
                    labels: w.labels,
                    state: State::Waiting,
                    due: not_before.unwrap_or(now),
                    interval: self.args.file_watch.min_poll_frequency,
                    retry: RETRY_MIN,
                    error: None,
                    first_open: true,
                    damaged: self.first_reconcile && self.damaged.is_some(),
                    retiring: false,
                    handover_from: None,
                    not_before,
                    incomplete: None,
                    last_committed: 0,
                    last_identity: None,
                    status_dirty: true,
                },
            );
        }
        self.first_reconcile = false;
        let gone: Vec<PosKey> = self
            .tasks
            .keys()
            .filter(|k| !keep.contains(*k))
            .cloned()
            .collect();
        for k in gone {
            let t = self.tasks.get_mut(&k).expect("task");
            // An open file is read to its end first (its lines may not all be read yet).
            let open = matches!(t.state, State::Open(_) | State::Draining { .. });
            if open && !t.retiring {
                t.retiring = true;
                t.due = now;
                t.status_dirty = true;
            } else if !open {
                self.remove_task(&k);
            }
        }
        self.health_dirty = true;
    }

    /// Forgets a task whose target is gone: its position goes, as in Alloy (a target that comes back is
    /// a new file to ingot too, unless the identity index knows it).
    fn remove_task(&mut self, key: &PosKey) {
        if let Some(t) = self.tasks.remove(key) {
            if let Some(c) = t.cursor() {
                self.release_known(c.reading.id.1, c.committed);
            }
            self.positions.remove(key);
            if !self.tasks.values().any(|o| o.key.path == key.path) {
                self.shared.metrics.remove(&key.path);
            }
            self.shared
                .status
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .files
                .remove(key);
            self.health_dirty = true;
        }
    }

    fn release_known(&mut self, ino: u64, offset: u64) {
        if let Some(k) = self.known.get_mut(&ino) {
            k.holder = None;
            k.offset = offset;
            k.touched = Instant::now();
        }
    }

    fn step_due(&mut self, now: Instant) {
        let due: Vec<PosKey> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.due <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.step_task(&key, now);
        }
        // Hand-overs: a task that found its file being drained by another takes it over.
        let wants: Vec<(PosKey, PosKey)> = self
            .tasks
            .iter()
            .filter_map(|(k, t)| t.handover_from.clone().map(|f| (k.clone(), f)))
            .collect();
        for (to, from) in wants {
            let released = match self.tasks.get_mut(&from) {
                Some(t) => match std::mem::replace(&mut t.state, State::Waiting) {
                    State::Draining { cur, .. } if cur.pending.is_none() => {
                        t.last_committed = cur.committed;
                        let (ino, off) = (cur.reading.id.1, cur.committed);
                        drop(cur);
                        t.due = now;
                        t.status_dirty = true;
                        Some((ino, off, t.retiring))
                    }
                    other => {
                        t.state = other;
                        None
                    }
                },
                None => None,
            };
            if let Some((ino, off, retiring)) = released {
                self.release_known(ino, off);
                if retiring {
                    self.remove_task(&from);
                }
            }
            if let Some(t) = self.tasks.get_mut(&to) {
                t.handover_from = None;
                t.due = now;
            }
        }
    }

    fn step_task(&mut self, key: &PosKey, now: Instant) {
        let Some(mut t) = self.tasks.remove(key) else {
            return;
        };
        let state = std::mem::replace(&mut t.state, State::Waiting);
        t.state = match state {
            State::Waiting => self.open(&mut t, now),
            State::Open(cur) => self.read_open(&mut t, cur, now),
            State::Draining { cur, idle_since } => self.drain(&mut t, cur, idle_since, now),
            s @ (State::Done | State::Skipped(_)) => {
                t.due = now + Duration::from_secs(3600);
                s
            }
        };
        let retire = t.retiring && !matches!(t.state, State::Open(_) | State::Draining { .. });
        if let (State::Done, Some(ident)) = (&t.state, t.last_identity) {
            self.positions.put(&t.key, t.last_committed, Some(ident));
        }
        if let Some(c) = t.cursor() {
            let (committed, ident, size) = (c.committed, c.reading.identity(), c.reading.size());
            self.positions.put(&t.key, committed, Some(ident));
            let k = self.known.entry(ident.ino).or_insert(Known {
                sig: Signature::from_identity(&ident),
                offset: committed,
                holder: None,
                touched: now,
            });
            k.sig = Signature::from_identity(&ident);
            k.offset = committed;
            k.holder = Some((t.key.clone(), matches!(t.state, State::Draining { .. })));
            k.touched = now;
            if ident.sig_len as usize == super::task::SIGNATURE_SIZE && !c.reading.compressed() {
                self.by_sig.insert(ident.sig_hash, (committed, now));
            }
            self.shared.metrics.update(&t.key.path, |m| {
                m.read_bytes = committed;
                m.file_bytes = size;
            });
        }
        t.status_dirty = true;
        let k = t.key.clone();
        self.tasks.insert(k.clone(), t);
        if retire {
            self.remove_task(&k);
        }
    }

    /// Where a newly opened file starts, or why it must wait or be skipped.
    fn start_for(&mut self, t: &mut Task, file: &std::fs::File) -> Result<Option<Start>, String> {
        use std::os::unix::fs::MetadataExt;
        let meta = file.metadata().map_err(|e| text(&e))?;
        let ino = meta.ino();
        let first = std::mem::replace(&mut t.first_open, false);
        let compressed = self.args.compression().is_some();
        if first && t.damaged {
            return match self.args.on_positions_file_error {
                OnPositionsFileError::Skip => Err("skip".into()),
                OnPositionsFileError::RestartFromEnd if !compressed => Ok(Some(Start::End)),
                _ => Ok(Some(Start::At(0))),
            };
        }
        if first {
            let mut stored = self.positions.get(&t.key).cloned();
            if stored.as_ref().is_none_or(|s| s.value == "0")
                && !self.args.legacy_positions_file.is_empty()
            {
                let legacy = PosKey {
                    path: t.key.path.clone(),
                    labels: "{}".into(),
                };
                if let Some(s) = self.positions.get(&legacy) {
                    stored = Some(s.clone());
                }
            }
            if let Some(s) = stored {
                match s.offset() {
                    Err(e) => {
                        tracing::warn!(component = %self.id, path = %t.key.path, "bad positions entry ({e}): on_positions_file_error = {:?}", self.args.on_positions_file_error.as_str());
                        return match self.args.on_positions_file_error {
                            OnPositionsFileError::Skip => Err("skip".into()),
                            OnPositionsFileError::RestartFromEnd if !compressed => {
                                Ok(Some(Start::End))
                            }
                            _ => Ok(Some(Start::At(0))),
                        };
                    }
                    Ok(offset) => {
                        let same = match s.identity {
                            // Written by Alloy: trusted as Alloy trusts it.
                            None => true,
                            Some(id) if id.sig_len == 0 => id.ino == ino,
                            Some(id) => {
                                Signature::from_identity(&id).matches(file).unwrap_or(false)
                            }
                        };
                        if same {
                            return Ok(Some(Start::At(offset)));
                        }
                        tracing::info!(component = %self.id, path = %t.key.path, "the file is not the one the positions file names (replaced while stopped): reading it from the start");
                    }
                }
            }
        }
        // A file seen before under another path (rotated by renaming) or read before.
        if let Some(k) = self.known.get(&ino) {
            if k.sig.matches(file).unwrap_or(false) {
                match &k.holder {
                    Some((other, true)) if *other != t.key => {
                        t.handover_from = Some(other.clone());
                        return Ok(None);
                    }
                    // Another target reads it as its own stream: so does this one.
                    Some((other, false)) if *other != t.key => {
                        return Ok(Some(if self.args.tail_from_end && !compressed {
                            Start::End
                        } else {
                            Start::At(0)
                        }));
                    }
                    _ => return Ok(Some(Start::At(k.offset.min(meta.len())))),
                }
            }
        }
        // A copy of a file read before (copytruncate's): from where that one was read.
        if !compressed {
            if let Ok(sig) = Signature::of(file) {
                if sig.complete() {
                    if let Some((offset, _)) = self.by_sig.get(&sig.hash) {
                        return Ok(Some(Start::At((*offset).min(meta.len()))));
                    }
                }
            }
        }
        if self.args.tail_from_end && !compressed {
            return Ok(Some(Start::End));
        }
        Ok(Some(Start::At(0)))
    }

    fn open(&mut self, t: &mut Task, now: Instant) -> State {
        let poll = self.args.file_watch.max_poll_frequency;
        if t.retiring {
            return State::Waiting;
        }
        if let Some(nb) = t.not_before {
            if now < nb {
                t.due = nb;
                return State::Waiting;
            }
        }
        if t.handover_from.is_some() {
            t.due = now + poll;
            return State::Waiting;
        }
        if let Some((size, _)) = t.incomplete {
            // A compressed file that ended early is read again once it changed.
            match std::fs::metadata(&t.key.path) {
                Ok(m) if m.len() == size => {
                    t.due = now + self.args.file_watch.max_poll_frequency.max(RETRY_MIN);
                    return State::Waiting;
                }
                _ => {}
            }
        }
        let file = match std::fs::File::open(&t.key.path) {
            Ok(f) => f,
            Err(e) => {
                let err = self.open_error(&t.key.path, &e);
                t.set_error(&self.id, err.clone());
                t.due = now
                    + if err.is_some() {
                        let r = t.retry;
                        t.retry = (t.retry * 2).min(RETRY_MAX);
                        r
                    } else {
                        poll
                    };
                return State::Waiting;
            }
        };
        let start = if let Some((_, resume)) = t.incomplete {
            Ok(Some(Start::At(resume)))
        } else {
            self.start_for(t, &file)
        };
        let start = match start {
            Ok(Some(s)) => s,
            Ok(None) => {
                t.due = now + poll;
                return State::Waiting;
            }
            Err(_) => {
                let why = "not read: its positions entry is damaged and on_positions_file_error = \"skip\"".to_string();
                t.set_error(&self.id, None);
                return State::Skipped(why);
            }
        };
        let opts = OpenOptions {
            codec: self.args.codec,
            compression: self.args.compression().map(|c| c.format),
        };
        match Reading::open(&t.key.path, file, start, &opts) {
            Ok(r) => {
                t.set_error(&self.id, None);
                t.retry = RETRY_MIN;
                t.incomplete = None;
                t.interval = self.args.file_watch.min_poll_frequency;
                t.due = now;
                tracing::debug!(component = %self.id, path = %t.key.path, offset = r.pos, "start tailing file");
                State::Open(Cursor::new(r))
            }
            Err(OpenFailure::Compressed(why)) => {
                t.set_error(&self.id, None);
                State::Skipped(why)
            }
            Err(OpenFailure::Failed(e)) => {
                if e.contains("unexpected EOF") {
                    // A compressed file still being written: read again once it changed.
                    if let Ok(m) = std::fs::metadata(&t.key.path) {
                        t.incomplete = Some((m.len(), t.incomplete.map_or(0, |i| i.1)));
                    }
                }
                t.set_error(&self.id, Some(e));
                t.due = now + t.retry;
                t.retry = (t.retry * 2).min(RETRY_MAX);
                State::Waiting
            }
        }
    }

    /// Why a file could not be opened, in words; `None` when it simply does not exist yet in a
    /// directory that does.
    fn open_error(&self, path: &str, e: &io::Error) -> Option<String> {
        if e.kind() == io::ErrorKind::NotFound {
            if path.is_empty() {
                return Some("a target without __path__".into());
            }
            let dir = std::path::Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            return match std::fs::metadata(dir) {
                Ok(m) if m.is_dir() => None,
                Ok(_) => Some(format!("open {path}: not a directory: {}", dir.display())),
                Err(de) => Some(format!(
                    "open {path}: directory {}: {}",
                    dir.display(),
                    text(&de)
                )),
            };
        }
        Some(format!("open {path}: {}", text(e)))
    }

    /// Reads an open file; at its end, looks for rotation, truncation and replacement.
    fn read_open(&mut self, t: &mut Task, mut cur: Cursor, now: Instant) -> State {
        let res = cur.step(&t.labels, &self.receivers, now, false);
        self.account(t, &res);
        if cur.blocked() {
            t.due = cur.pending.as_ref().map_or(now, |p| p.retry_at);
            return State::Open(cur);
        }
        if res.more {
            t.due = now;
            t.interval = self.args.file_watch.min_poll_frequency;
            return State::Open(cur);
        }
        if let Some(e) = &res.error {
            if cur.reading.compressed() {
                if e.starts_with("unexpected EOF") {
                    t.incomplete = Some((cur.reading.size(), cur.committed));
                    t.last_committed = cur.committed;
                    t.set_error(&self.id, Some(format!("{}: {e}", t.key.path)));
                    t.due = now + RETRY_MIN;
                    return State::Waiting;
                }
                t.set_error(&self.id, Some(format!("{}: {e}", t.key.path)));
                t.last_committed = cur.committed;
                t.last_identity = Some(cur.reading.identity());
                return State::Done;
            }
            t.set_error(&self.id, Some(format!("read {}: {e}", t.key.path)));
            t.due = now + t.retry;
            return State::Open(cur);
        }
        if cur.reading.finished {
            // A compressed file read whole: its position stays, so it is never read twice.
            t.last_committed = cur.committed;
            t.last_identity = Some(cur.reading.identity());
            self.release_known(cur.reading.id.1, cur.committed);
            t.set_error(&self.id, None);
            tracing::debug!(component = %self.id, path = %t.key.path, "compressed file read whole");
            return State::Done;
        }
        if t.retiring {
            return State::Draining {
                cur,
                idle_since: now,
            };
        }
        // At the end of the file: has it been rotated, truncated, replaced?
        let grew = res.lines > 0;
        match std::fs::metadata(&t.key.path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                tracing::debug!(component = %self.id, path = %t.key.path, "file deleted or renamed: reading what is left");
                t.due = now;
                return State::Draining {
                    cur,
                    idle_since: now,
                };
            }
            Err(e) => {
                let err = self.open_error(&t.key.path, &e);
                t.set_error(&self.id, err);
            }
            Ok(meta) => {
                use std::os::unix::fs::MetadataExt;
                if (meta.dev(), meta.ino()) != cur.reading.id {
                    return self.replaced(t, cur, now);
                }
                t.set_error(&self.id, None);
                match cur.look(&meta) {
                    Change::Truncated => {
                        self.truncated(t, &mut cur);
                        t.due = now;
                        return State::Open(cur);
                    }
                    Change::Grew => {
                        t.due = now;
                        t.interval = self.args.file_watch.min_poll_frequency;
                        return State::Open(cur);
                    }
                    Change::Touched => {
                        // Same size, new time: rewritten in place with other content?
                        if !cur.reading.sig.matches(cur.reading.file()).unwrap_or(true) {
                            self.truncated(t, &mut cur);
                            t.due = now;
                            return State::Open(cur);
                        }
                    }
                    Change::None => {}
                }
            }
        }
        self.idle(t, grew, now);
        // A line without its newline is sent when it waited long enough: look again then.
        if let Some(at) = cur.partial_deadline() {
            t.due = t.due.min(at);
        }
        State::Open(cur)
    }

    /// Backs the file's next look off while it is idle (doubling up to `max_poll_frequency`).
    fn idle(&mut self, t: &mut Task, grew: bool, now: Instant) {
        let fw = self.args.file_watch;
        let min = fw.min_poll_frequency.min(fw.max_poll_frequency);
        t.interval = if grew {
            min
        } else {
            (t.interval * 2).clamp(min, fw.max_poll_frequency.max(min))
        };
        t.due = now + t.interval.max(Duration::from_millis(1));
    }

    fn truncated(&mut self, t: &mut Task, cur: &mut Cursor) {
        tracing::info!(component = %self.id, path = %t.key.path, "file truncated: reading it from the start");
        if cur.reading.sig.complete() {
            self.by_sig
                .insert(cur.reading.sig.hash, (cur.committed, Instant::now()));
        }
        if let Err(e) = cur.restart_from_zero() {
            t.set_error(&self.id, Some(format!("read {}: {}", t.key.path, text(&e))));
        }
    }

    /// The path names another file now.
    fn replaced(&mut self, t: &mut Task, cur: Cursor, now: Instant) -> State {
        // An atomic rewrite (new file, same first bytes): the same content goes on where it was.
        if let Ok(file) = std::fs::File::open(&t.key.path) {
            if cur.reading.sig.matches(&file).unwrap_or(false) && !cur.reading.compressed() {
                let opts = OpenOptions {
                    codec: self.args.codec,
                    compression: None,
                };
                if let Ok(r) = Reading::open(&t.key.path, file, Start::At(cur.committed), &opts) {
                    tracing::debug!(component = %self.id, path = %t.key.path, "file replaced by one with the same start: going on at the same offset");
                    self.release_known(cur.reading.id.1, cur.committed);
                    let mut next = Cursor::new(r);
                    next.pending = cur.pending;
                    next.committed = cur.committed;
                    t.due = now;
                    return State::Open(next);
                }
            }
        }
        tracing::debug!(component = %self.id, path = %t.key.path, "file rotated: reading the old one to its end first");
        t.due = now;
        State::Draining {
            cur,
            idle_since: now,
        }
    }

    /// Reads a rotated-away file until it stopped growing for [`DRAIN_GRACE`], then opens the path again.
    fn drain(&mut self, t: &mut Task, mut cur: Cursor, idle_since: Instant, now: Instant) -> State {
        let quiet = now.duration_since(idle_since) >= DRAIN_GRACE;
        let res = cur.step(&t.labels, &self.receivers, now, quiet);
        self.account(t, &res);
        if cur.blocked() {
            t.due = cur.pending.as_ref().map_or(now, |p| p.retry_at);
            return State::Draining { cur, idle_since };
        }
        if res.more || res.lines > 0 && !quiet {
            t.due = now;
            return State::Draining {
                cur,
                idle_since: if res.lines > 0 { now } else { idle_since },
            };
        }
        if !quiet {
            t.due = idle_since + DRAIN_GRACE;
            return State::Draining { cur, idle_since };
        }
        // Done with the old file.
        if cur.reading.sig.complete() {
            self.by_sig
                .insert(cur.reading.sig.hash, (cur.committed, Instant::now()));
        }
        self.release_known(cur.reading.id.1, cur.committed);
        t.last_committed = 0;
        t.due = now;
        tracing::debug!(component = %self.id, path = %t.key.path, "finished the rotated file");
        if t.retiring {
            return State::Waiting;
        }
        self.positions.put(&t.key, 0, None);
        State::Waiting
    }

    fn account(&mut self, t: &mut Task, res: &super::task::StepResult) {
        if res.lines > 0 {
            self.shared
                .metrics
                .update(&t.key.path, |m| m.read_lines += res.lines);
        }
        for (n, why) in &res.refused {
            self.dropped += n;
            if self.last_refused.as_deref() != Some(why) {
                tracing::warn!(component = %self.id, path = %t.key.path, "a receiver refused {n} entries for good; they are dropped for it: {why}");
                self.last_refused = Some(why.clone());
            }
        }
    }

    fn save(&mut self, force: bool) {
        let problem = match self.positions.save(force) {
            Ok(_) => None,
            Err(e) => Some(format!(
                "cannot save positions to {}: {}",
                self.positions.path().display(),
                text(&e)
            )),
        };
        // Once saved in good order, a damaged file is gone.
        if problem.is_none() && self.damaged.is_some() && !self.first_reconcile {
            self.damaged = None;
        }
        let changed = match (&problem, &self.positions_problem) {
            (Some(p), _) => self.positions_problem.as_ref() != Some(p),
            (None, Some(p)) => p.starts_with("cannot save"),
            (None, None) => false,
        };
        if changed {
            if let Some(p) = &problem {
                tracing::error!(component = %self.id, "{p}");
            }
            if problem.is_some()
                || self
                    .positions_problem
                    .as_deref()
                    .is_some_and(|p| p.starts_with("cannot save"))
            {
                self.positions_problem = problem;
            }
            self.health_dirty = true;
        }
        let now = Instant::now();
        self.known
            .retain(|_, k| k.holder.is_some() || now.duration_since(k.touched) < KNOWN_TTL);
        self.by_sig
            .retain(|_, (_, at)| now.duration_since(*at) < KNOWN_TTL);
    }

    /// Publishes status, health and the active-files gauge.
    fn publish(&mut self) {
        let mut status = self.shared.status.lock().unwrap_or_else(|e| e.into_inner());
        let mut any = false;
        for t in self.tasks.values_mut() {
            if !t.status_dirty {
                continue;
            }
            t.status_dirty = false;
            any = true;
            let (state, running) = match &t.state {
                State::Waiting => ("waiting", false),
                State::Open(_) => ("reading", true),
                State::Draining { .. } => ("draining rotated file", true),
                State::Done => ("read whole", false),
                State::Skipped(_) => ("skipped", false),
            };
            let blocked = t
                .cursor()
                .and_then(|c| c.pending.as_ref())
                .map(|p| p.reason.clone());
            let error = match &t.state {
                State::Skipped(why) => Some(why.clone()),
                _ => t.error.clone(),
            };
            let committed = t.committed();
            status.files.insert(
                t.key.clone(),
                FileStatus {
                    path: t.key.path.clone(),
                    labels: t.key.labels.clone(),
                    running,
                    read_offset: committed,
                    state,
                    error,
                    blocked,
                },
            );
        }
        status.dropped_entries = self.dropped;
        if !(any || self.health_dirty) {
            return;
        }
        self.health_dirty = false;
        let mut problems: Vec<String> = self.match_problems.clone();
        problems.extend(self.positions_problem.clone());
        status.problems = problems.clone();
        let errors: Vec<String> = status
            .files
            .values()
            .filter_map(|f| f.error.clone())
            .collect();
        let running = status.files.values().filter(|f| f.running).count();
        drop(status);
        self.shared.metrics.set_active(running);
        let mut all = errors;
        all.extend(problems);
        let notes: Vec<String> = self.args.warnings.clone();
        if all.is_empty() {
            let mut msg = format!("reading {running} files");
            if !notes.is_empty() {
                msg.push_str("; ");
                msg.push_str(&notes.join("; "));
            }
            self.health.healthy(msg);
        } else {
            const SHOWN: usize = 10;
            let n = all.len();
            all.truncate(SHOWN);
            let mut msg = all.join("; ");
            if n > SHOWN {
                msg.push_str(&format!("; and {} more", n - SHOWN));
            }
            self.health.unhealthy(msg);
        }
    }

    /// Waits until the next task is due (or the arguments change, or the component stops).
    fn sleep(&self) {
        let now = Instant::now();
        let mut next = self.next_save;
        if self.args.file_match.enabled {
            next = next.min(self.next_sync);
        }
        for t in self.tasks.values() {
            next = next.min(t.due);
        }
        let timeout = next.saturating_duration_since(now);
        if timeout.is_zero() {
            return;
        }
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
            .wait_timeout(c, timeout)
            .unwrap_or_else(|e| e.into_inner());
    }
}
