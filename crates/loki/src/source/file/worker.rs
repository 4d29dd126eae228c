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
use super::positions::{label_set_string, Damaged, Identity, PosKey, Positions};
use super::task::{
    text, Change, Cursor, OpenFailure, OpenOptions, Reading, Signature, Start, DRAIN_GRACE,
};
use super::watch::{Watch, GATHER, WATCHED_LOOK};

/// How often positions are written when they changed.
pub const SAVE_INTERVAL: Duration = Duration::from_secs(2);
/// Retry delays for a file that cannot be opened (Alloy's 1s to 10s).
const RETRY_MIN: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(10);
/// Every how many looks at an idle file the whole path is looked up (the others stat the name in its
/// directory, opened once).
const FULL_LOOK_EVERY: u32 = 8;
/// At most how much earlier than due an idle file may be looked at, to batch the looks.
const SLACK: Duration = Duration::from_millis(25);
/// How long health reports a damaged positions file found at start.
const DAMAGED_NOTICE: Duration = Duration::from_secs(60);
/// Entries of the identity index not touched for this long are forgotten.
const KNOWN_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a stop spends reading what the open files still hold.
const STOP_READ_WAIT: Duration = Duration::from_secs(1);
/// How soon a rotated file read whole is looked at again while its last lines are being stored.
const STORE_WAIT: Duration = Duration::from_millis(20);
/// How long a stop waits for the receivers to store what they took before the last save.
const STOP_STORE_WAIT: Duration = Duration::from_secs(2);

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
    /// Why the file is not read, when that is not an error (compressed data in a text reader).
    pub note: Option<String>,
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
    /// Set with `control.stop`: read between files, so that a stop does not wait for a whole turn.
    pub stopping: std::sync::atomic::AtomicBool,
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
            stopping: std::sync::atomic::AtomicBool::new(false),
            wake: Condvar::new(),
            metrics: Metrics::default(),
            status: Mutex::new(Status::default()),
        }
    }
}

/// What a task is doing.
enum Phase {
    /// Reading (or waiting for) the file at its path.
    Active,
    /// A compressed file read whole.
    Done,
    /// Not read, and why (`on_positions_file_error = "skip"`, compressed data in a text reader).
    Skipped(String),
}

/// A file the path named before a rotation, read to its end (the writer may still append to it until
/// it reopens) until it stopped growing for [`DRAIN_GRACE`].
struct Old {
    cur: Cursor,
    idle_since: Instant,
}

impl Old {
    /// A file nobody writes to any more (found after a rotation the reader did not see): finished as soon
    /// as it has nothing left to read, without the grace a just-rotated file gets.
    fn written_out(cur: Cursor) -> Old {
        let now = Instant::now();
        Old {
            cur,
            idle_since: now.checked_sub(DRAIN_GRACE).unwrap_or(now),
        }
    }
}

struct Task {
    key: PosKey,
    labels: Labels,
    phase: Phase,
    /// The file at the path, when one is open.
    cur: Option<Cursor>,
    /// Files rotated away, oldest first: read before `cur`.
    old: Vec<Old>,
    due: Instant,
    interval: Duration,
    retry: Duration,
    error: Option<String>,
    /// Never opened in this run: the positions file says where to start.
    first_open: bool,
    /// The positions file was damaged when this task started: `on_positions_file_error` decides.
    damaged: bool,
    /// Its target is gone: finish the open files, then go.
    retiring: bool,
    /// Waits for the task draining the same file to hand it over.
    handover_from: Option<(PosKey, u64)>,
    /// Compressed files wait `initial_delay` after they are found.
    not_before: Option<Instant>,
    /// A compressed file that ended early: its size then, and where reading stopped.
    incomplete: Option<(u64, u64)>,
    /// A compressed file read whole: where it ended, and which file it was.
    done_at: Option<(u64, super::positions::Identity)>,
    status_dirty: bool,
    /// What the positions, the identity index, metrics and status last saw of this task.
    noted: Option<Noted>,
    /// Looks at the idle file so far (every [`FULL_LOOK_EVERY`]th looks up the whole path).
    idle_looks: u32,
}

/// The parts of a task's state that its bookkeeping follows.
type Noted = (
    Option<(u64, (u64, u64), u64, bool, bool)>,
    usize,
    Option<u64>,
    (u64, u64),
);

impl Task {
    /// The oldest rotated-away file still being read or stored: where its stored lines end, and which
    /// file it is. Saved beside the path's entry (`ingot_draining`), so that a crash before it is done
    /// finds that file again at the next start.
    fn draining(&self) -> Option<(u64, Identity)> {
        self.old
            .first()
            .map(|o| (o.cur.durable, o.cur.reading.identity()))
    }

    /// Puts this task's entry in the positions: the file at the path (or where a finished compressed
    /// file ended) and the rotated file still draining. Unchanged values leave the file clean.
    fn record_position(&self, key: &PosKey, positions: &mut Positions) {
        if let Some(c) = &self.cur {
            positions.put(key, c.durable, Some(c.reading.identity()));
        } else if let Some((offset, ident)) = self.done_at {
            positions.put(key, offset, Some(ident));
        }
        positions.put_draining(key, self.draining());
    }

    /// A change was noticed: look at the file now (unless it waits for its receivers, which decide
    /// when it goes on, or is looked at within the notices' own period anyway), and poll it often again.
    fn look_soon(&mut self, now: Instant, min_poll: Duration) {
        if self.due <= now + GATHER {
            return;
        }
        let waiting = self
            .old
            .iter()
            .map(|o| &o.cur)
            .chain(self.cur.as_ref())
            .any(|c| c.pending.is_some());
        if !waiting && matches!(self.phase, Phase::Active) {
            self.due = self.due.min(now);
            self.interval = min_poll;
        }
    }

    fn committed(&self) -> u64 {
        match (&self.cur, &self.done_at) {
            (Some(c), _) => c.committed,
            (None, Some((o, _))) => *o,
            _ => 0,
        }
    }

    fn running(&self) -> bool {
        self.cur.is_some() || !self.old.is_empty()
    }

    fn pending_reason(&self) -> Option<String> {
        self.old
            .iter()
            .map(|o| &o.cur)
            .chain(self.cur.as_ref())
            .find_map(|c| c.pending.as_ref().map(|p| p.reason.clone()))
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
    started: Instant,
    /// Directories of the files read, opened once, for the cheap looks at idle files.
    dirs: HashMap<std::path::PathBuf, Option<Arc<rustix::fd::OwnedFd>>>,
    /// The kernel's change notices for the files' directories (`None`: every file is polled).
    watch: Option<Watch>,
}

/// `fstatat` of `name` in the directory `dir`, following symbolic links: the file's (device, inode),
/// size and modification time.
fn stat_at(
    dir: &rustix::fd::OwnedFd,
    name: &std::ffi::OsStr,
) -> Option<((u64, u64), u64, Option<SystemTime>)> {
    let st = rustix::fs::statat(dir, name, rustix::fs::AtFlags::empty()).ok()?;
    let mtime = (st.st_mtime >= 0).then(|| {
        SystemTime::UNIX_EPOCH + Duration::new(st.st_mtime as u64, st.st_mtime_nsec as u32)
    });
    Some((
        (st.st_dev as u64, st.st_ino as u64),
        st.st_size as u64,
        mtime,
    ))
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
        let watch = Watch::start(&id, shared.clone());
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
            started: now,
            dirs: HashMap::new(),
            watch,
        }
    }

    /// The open directory of `path` and the file's name in it (`None` when it cannot be opened).
    fn dir_of(&mut self, path: &str) -> Option<(Arc<rustix::fd::OwnedFd>, std::ffi::OsString)> {
        let p = std::path::Path::new(path);
        let (dir, name) = (p.parent()?, p.file_name()?);
        if self.dirs.len() > 10_000 {
            self.dirs.clear();
        }
        let fd = self
            .dirs
            .entry(dir.to_path_buf())
            .or_insert_with(|| {
                rustix::fs::open(
                    dir,
                    rustix::fs::OFlags::RDONLY
                        | rustix::fs::OFlags::DIRECTORY
                        | rustix::fs::OFlags::CLOEXEC,
                    rustix::fs::Mode::empty(),
                )
                .ok()
                .map(Arc::new)
            })
            .clone()?;
        Some((fd, name.to_os_string()))
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
            self.take_notices(now);
            self.step_due(now);
            if now >= self.next_save {
                self.save(false);
                self.next_save = now + SAVE_INTERVAL;
            }
            self.publish();
            self.sleep();
        }
        self.last_reads(STOP_READ_WAIT);
        self.wait_stored(STOP_STORE_WAIT);
        self.save(true);
        self.shared.metrics.set_active(0);
    }

    /// On the way out: what the open files hold now is read and offered once more (at most `limit`),
    /// rotated files first. A file rotated and compressed away just before the stop is still open here,
    /// so the lines written after the last read are not left behind in the compressed copy.
    fn last_reads(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let keys: Vec<PosKey> = self.tasks.keys().cloned().collect();
        for key in keys {
            let Some(mut t) = self.tasks.remove(&key) else {
                continue;
            };
            let mut results = Vec::new();
            let cursors = t.old.iter_mut().map(|o| &mut o.cur).chain(t.cur.as_mut());
            for c in cursors {
                loop {
                    let now = Instant::now();
                    if now >= deadline || c.reading.compressed() {
                        break;
                    }
                    let res = c.step(&t.labels, &self.receivers, now, false);
                    let more = res.more && c.pending.is_none();
                    results.push(res);
                    if !more {
                        break;
                    }
                }
            }
            for res in &results {
                self.account(&mut t, res);
            }
            t.record_position(&key, &mut self.positions);
            self.tasks.insert(key, t);
        }
    }

    /// On the way out: waits (at most `limit`) for the receivers to store what they took, so that the
    /// positions saved last are where delivery stopped; what is still unstored then is read again at the
    /// next start (duplicates, never a loss).
    fn wait_stored(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let mut storing = false;
            for (key, t) in self.tasks.iter_mut() {
                for c in t.old.iter_mut().map(|o| &mut o.cur).chain(t.cur.as_mut()) {
                    c.poll_stored();
                    storing |= c.storing();
                }
                t.record_position(key, &mut self.positions);
            }
            if !storing || Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn apply_args(&mut self, args: Arc<Arguments>, version: u64) {
        let old = std::mem::replace(&mut self.receivers, receivers_of(&args));
        // A batch waiting for receivers goes to the new ones it has not reached: those it was waiting
        // for that are still there, and those that are new.
        for t in self.tasks.values_mut() {
            let cursors = t.old.iter_mut().map(|o| &mut o.cur).chain(t.cur.as_mut());
            for c in cursors {
                if let Some(p) = c.pending.as_mut() {
                    p.remaining = self
                        .receivers
                        .iter()
                        .filter(|r| p.remaining.contains(r) || !old.contains(r))
                        .cloned()
                        .collect();
                    p.retry_at = Instant::now();
                }
            }
            t.due = Instant::now();
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
                    phase: Phase::Active,
                    cur: None,
                    old: Vec::new(),
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
                    done_at: None,
                    status_dirty: true,
                    noted: None,
                    idle_looks: 0,
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
            if t.running() && !t.retiring {
                t.retiring = true;
                t.due = now;
                t.status_dirty = true;
            } else if !t.running() {
                self.remove_task(&k);
            }
        }
        self.health_dirty = true;
    }

    /// Forgets a task whose target is gone: its position goes, as in Alloy (a target that comes back is
    /// a new file to ingot too, unless the identity index knows it).
    fn remove_task(&mut self, key: &PosKey) {
        if let Some(w) = &mut self.watch {
            w.forget(key);
        }
        if let Some(t) = self.tasks.remove(key) {
            for c in t.old.iter().map(|o| &o.cur).chain(t.cur.as_ref()) {
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

    /// Brings forward the look at every file the kernel says changed.
    fn take_notices(&mut self, now: Instant) {
        let Some(changed) = self.watch.as_mut().and_then(|w| w.take()) else {
            return;
        };
        let min = self.args.file_watch.min_poll_frequency;
        if changed.everything {
            for t in self.tasks.values_mut() {
                t.look_soon(now, min);
            }
            return;
        }
        for key in &changed.files {
            if let Some(t) = self.tasks.get_mut(key) {
                t.look_soon(now, min);
            }
        }
        for key in &changed.relook {
            // A directory on the path is gone or moved: the open directory is no use any more, and
            // the next look follows the whole path.
            if let Some(dir) = std::path::Path::new(&key.path).parent() {
                self.dirs.remove(dir);
            }
            if let Some(t) = self.tasks.get_mut(key) {
                t.idle_looks = FULL_LOOK_EVERY - 1;
                t.look_soon(now, min);
            }
        }
    }

    fn step_due(&mut self, now: Instant) {
        // Files due a little later are looked at now too, so that idle files are looked at in batches
        // (a few wake-ups a second), not one wake-up each.
        let fw = self.args.file_watch;
        let slack = (fw.min_poll_frequency.min(fw.max_poll_frequency) / 4).min(SLACK);
        let horizon = now + slack;
        // The tasks are taken out while they are stepped (a step never touches other tasks), so
        // that a turn costs no copy of any key.
        let mut tasks = std::mem::take(&mut self.tasks);
        let mut retired = Vec::new();
        for t in tasks.values_mut() {
            if self
                .shared
                .stopping
                .load(std::sync::atomic::Ordering::Relaxed)
            {
                break;
            }
            if t.due <= horizon && self.step_task(t, now) {
                retired.push(t.key.clone());
            }
        }
        self.tasks = tasks;
        for key in retired {
            self.remove_task(&key);
        }
        // Hand-overs: a task that found its file being drained by another takes it over.
        let wants: Vec<(PosKey, (PosKey, u64))> = self
            .tasks
            .iter()
            .filter_map(|(k, t)| t.handover_from.clone().map(|f| (k.clone(), f)))
            .collect();
        for (to, (from, ino)) in wants {
            let mut released = false;
            if let Some(t) = self.tasks.get_mut(&from) {
                // Look now rather than at the next poll.
                t.due = now;
                if let Some(i) = t
                    .old
                    .iter()
                    .position(|o| o.cur.reading.id.1 == ino && o.cur.pending.is_none())
                {
                    let o = t.old.remove(i);
                    t.status_dirty = true;
                    let retire = t.retiring && !t.running();
                    self.release_known(ino, o.cur.committed);
                    released = true;
                    if retire {
                        self.remove_task(&from);
                    }
                }
            } else {
                // The other task is gone: nothing to wait for.
                released = true;
            }
            if released || self.known.get(&ino).is_none_or(|k| k.holder.is_none()) {
                if let Some(t) = self.tasks.get_mut(&to) {
                    t.handover_from = None;
                    t.due = now;
                }
            }
        }
    }

    /// One turn of a task; true when it is done and its target gone (the caller removes it).
    fn step_task(&mut self, t: &mut Task, now: Instant) -> bool {
        for c in t.old.iter_mut().map(|o| &mut o.cur).chain(t.cur.as_mut()) {
            c.poll_stored();
        }
        match t.phase {
            Phase::Active => self.step_active(t, now),
            Phase::Done | Phase::Skipped(_) => t.due = now + Duration::from_secs(3600),
        }
        let snapshot = (
            t.cur.as_ref().map(|c| {
                (
                    c.durable,
                    c.reading.id,
                    c.reading.size(),
                    c.pending.is_some(),
                    c.reading.sig.complete(),
                )
            }),
            t.old.len(),
            t.done_at.map(|d| d.0),
            t.old
                .iter()
                .fold((0, 0), |(c, d), o| (c + o.cur.committed, d + o.cur.durable)),
        );
        if t.noted != Some(snapshot) {
            let files = |n: &Noted| (n.0.map(|c| (c.1, c.4)), n.1);
            if t.noted
                .as_ref()
                .is_some_and(|n| files(n) != files(&snapshot))
            {
                // Another file at the path (a rotation seen), a rotated file finished, or the file's
                // signature just became whole: saved at once, not at the next interval, so that a crash
                // now and a rotation while stopped do not leave the positions file naming a file two
                // rotations back, or naming the file by a partial signature (taken just after a
                // truncation), by which copytruncate's copy of it cannot be found at the next start.
                self.next_save = now;
            }
            t.noted = Some(snapshot);
            t.record_position(&t.key, &mut self.positions);
            if let Some(c) = &t.cur {
                let (committed, ident, size) =
                    (c.committed, c.reading.identity(), c.reading.size());
                self.note_known(&t.key, c, false, now);
                if ident.sig_len as usize == super::task::SIGNATURE_SIZE && !c.reading.compressed()
                {
                    self.by_sig.insert(ident.sig_hash, (committed, now));
                }
                self.shared.metrics.update(&t.key.path, |m| {
                    m.read_bytes = committed;
                    m.file_bytes = size;
                });
            }
            for o in &t.old {
                self.note_known(&t.key, &o.cur, true, now);
            }
            t.status_dirty = true;
        }
        t.retiring && !t.running()
    }

    fn note_known(&mut self, key: &PosKey, c: &Cursor, draining: bool, now: Instant) {
        let ident = c.reading.identity();
        let k = self.known.entry(ident.ino).or_insert(Known {
            sig: Signature::from_identity(&ident),
            offset: c.committed,
            holder: None,
            touched: now,
        });
        k.sig = Signature::from_identity(&ident);
        k.offset = c.committed;
        k.holder = Some((key.clone(), draining));
        k.touched = now;
    }

    /// One turn of a task: the rotated-away files first, then the file at the path.
    fn step_active(&mut self, t: &mut Task, now: Instant) {
        let mut due = now + Duration::from_secs(3600);
        let mut hold = false;
        let mut i = 0;
        while i < t.old.len() {
            let quiet = now.duration_since(t.old[i].idle_since) >= DRAIN_GRACE;
            let res = t.old[i].cur.step(&t.labels, &self.receivers, now, quiet);
            self.account(t, &res);
            let o = &mut t.old[i];
            if let Some(p) = &o.cur.pending {
                due = due.min(p.retry_at);
                hold = true;
                break;
            }
            if res.more {
                o.idle_since = now;
                due = now;
                hold = true;
                break;
            }
            if res.lines > 0 {
                o.idle_since = now;
            }
            if quiet && res.lines == 0 && o.cur.storing() {
                // Read whole, but its last lines are not stored yet: it stays (and stays named in
                // the positions file) until they are.
                due = due.min(now + STORE_WAIT);
                i += 1;
                continue;
            }
            if quiet && res.lines == 0 {
                let o = t.old.remove(i);
                self.release_known(o.cur.reading.id.1, o.cur.committed);
                if o.cur.reading.sig.complete() && !o.cur.reading.compressed() {
                    // A target for this file found later (a copy matched by a glob) starts at its end.
                    self.by_sig
                        .insert(o.cur.reading.sig.hash, (o.cur.committed, now));
                }
                tracing::debug!(component = %self.id, path = %t.key.path, "finished the rotated file");
                continue;
            }
            due = due.min(o.idle_since + DRAIN_GRACE);
            i += 1;
        }
        if !hold && !t.retiring && t.old.is_empty() && t.error.is_none() {
            // An idle file costs one stat: nothing is read unless it changed. Most looks stat the name
            // in its directory (opened once), which spares the kernel the walk down the path; every
            // few looks the whole path is looked up again (a directory renamed, a symlink retargeted).
            t.idle_looks = t.idle_looks.wrapping_add(1);
            let full = t.idle_looks.is_multiple_of(FULL_LOOK_EVERY);
            let dir = if full { None } else { self.dir_of(&t.key.path) };
            let quiet = t.cur.as_ref().is_some_and(|c| {
                c.pending.is_none()
                    && c.partial_deadline().is_none_or(|d| d > now)
                    && match &dir {
                        Some((fd, name)) => stat_at(fd, name)
                            .is_some_and(|(id, len, mtime)| c.unchanged_as(id, len, mtime)),
                        None => std::fs::metadata(&t.key.path).is_ok_and(|m| c.unchanged(&m)),
                    }
            });
            if quiet {
                self.idle(t, false, now);
                if let Some(d) = t.cur.as_ref().and_then(|c| c.partial_deadline()) {
                    t.due = t.due.min(d);
                }
                return;
            }
        }
        if !hold && !t.retiring {
            let mut found_rotated = false;
            if t.cur.is_none() {
                let before = t.old.len();
                self.try_open(t, now);
                // A file rotated while stopped, found by the open, is finished before the new one is read.
                found_rotated = t.old.len() > before;
            }
            if found_rotated {
                t.due = now;
            } else if let Some(cur) = t.cur.take() {
                t.cur = self.read_cur(t, cur, now);
                if t.cur.is_none() && matches!(t.phase, Phase::Active) && !t.old.is_empty() {
                    // Rotated away just now: open what the path names now at once.
                    self.try_open(t, now);
                    if let Some(cur) = t.cur.take() {
                        t.cur = self.read_cur(t, cur, now);
                    }
                }
            }
            due = due.min(t.due);
        } else if t.retiring {
            if let Some(cur) = t.cur.take() {
                t.old.push(Old {
                    cur,
                    idle_since: now,
                });
                due = now;
            }
        }
        t.due = due;
    }

    /// Where a newly opened file starts, or why it must wait or be skipped.
    fn start_for(&mut self, t: &mut Task, file: &std::fs::File) -> Result<Option<Start>, String> {
        use std::os::unix::fs::MetadataExt;
        let meta = file.metadata().map_err(|e| text(&e))?;
        let ino = meta.ino();
        let first = t.first_open;
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
            if let Some((offset, id)) = stored.as_ref().and_then(|s| s.draining) {
                let found = self.rotated_beside(&t.key.path, id, offset, false);
                if let Some((rotated, cur)) = found {
                    if !t.old.iter().any(|o| o.cur.reading.id == cur.reading.id) {
                        tracing::info!(component = %self.id, path = %t.key.path, rotated = %rotated, offset, "a rotated file was still being read or delivered at the stop: finishing it from the stored position first");
                        t.old.push(Old::written_out(cur));
                    }
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
                        let found = s
                            .identity
                            .and_then(|id| self.rotated_beside(&t.key.path, id, offset, false));
                        match found {
                            Some((rotated, cur)) => {
                                t.old.push(Old::written_out(cur));
                                tracing::info!(component = %self.id, path = %t.key.path, rotated = %rotated, offset, "the file was rotated while stopped: finishing the rotated file from the saved position, then reading the new one from the start");
                            }
                            None => {
                                tracing::info!(component = %self.id, path = %t.key.path, "the file is not the one the positions file names (replaced while stopped): reading it from the start");
                            }
                        }
                    }
                }
            }
        }
        // A file seen before under another path (rotated by renaming) or read before.
        if let Some(k) = self.known.get(&ino) {
            if k.sig.matches(file).unwrap_or(false) {
                match &k.holder {
                    Some((other, true)) if *other != t.key => {
                        t.handover_from = Some((other.clone(), ino));
                        return Ok(None);
                    }
                    Some((other, false)) if *other != t.key => {
                        let theirs = std::fs::metadata(&other.path).is_ok_and(|m| m.ino() == ino);
                        if !theirs {
                            // Renamed away from the other target's path, which has not looked yet:
                            // it hands the file over once it sees the rename.
                            t.handover_from = Some((other.clone(), ino));
                            return Ok(None);
                        }
                        // Another target reads it as its own stream: so does this one.
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

    /// The file a position belongs to, found beside `path` after a rotation the reader did not see
    /// happen: renamed while ingot was stopped (logrotate's `create`), found by its inode and signature,
    /// or copied before the path was truncated (`copytruncate`, while stopped or faster than the reader),
    /// found by its signature. Opened at `offset` when it is longer than that (or as long, with
    /// `read_whole_too`: it then only carries the receipts of lines taken but not stored yet) and no
    /// target of this component reads it under its own name. Without it the lines written between the
    /// last read and the rotation would be lost (Alloy reads only the file at the path).
    ///
    /// A copy is known by the file's first bytes: all 1,024 of them, or as many as the file had when it
    /// was last read (a small file, or one just truncated: its signature is partial until it grows, and
    /// a crash then is exactly when the copy matters). A partial signature is weaker evidence, so such a
    /// copy must also have a line's end just before `offset`, and of several copies that qualify the
    /// newest is taken (older rotations of a log that starts with the same header match too).
    fn rotated_beside(
        &self,
        path: &str,
        id: super::positions::Identity,
        offset: u64,
        read_whole_too: bool,
    ) -> Option<(String, Cursor)> {
        use std::os::unix::fs::{FileExt, MetadataExt};
        if id.sig_len == 0 || self.args.compression().is_some() {
            return None;
        }
        let whole = id.sig_len as usize == super::task::SIGNATURE_SIZE;
        let path = std::path::Path::new(path);
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty())?;
        let sig = Signature::from_identity(&id);
        let mut best: Option<(Option<SystemTime>, String, std::fs::File)> = None;
        // Bounded: a rotation keeps the file in its directory, and a directory of logs is not huge.
        for entry in std::fs::read_dir(dir).ok()?.take(10_000).flatten() {
            let candidate = entry.path();
            if candidate == path {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            let renamed = meta.ino() == id.ino;
            let long_enough = meta.len() > offset || (read_whole_too && meta.len() == offset);
            if !meta.is_file() || !long_enough {
                continue;
            }
            let Ok(file) = std::fs::File::open(&candidate) else {
                continue;
            };
            if !sig.matches(&file).unwrap_or(false) {
                continue;
            }
            let name = candidate.to_string_lossy().into_owned();
            if renamed || whole {
                // The renamed file itself, or a copy with the same 1,024 first bytes: the one.
                best = Some((None, name, file));
                break;
            }
            let mut last = [0u8; 1];
            let at_line_end = offset == 0
                || file
                    .read_exact_at(&mut last, offset - 1)
                    .is_ok_and(|()| last[0] == b'\n');
            let mtime = meta.modified().ok();
            if at_line_end && best.as_ref().is_none_or(|(m, _, _)| mtime > *m) {
                best = Some((mtime, name, file));
            }
        }
        let (_, name, file) = best?;
        if self.tasks.keys().any(|k| k.path == name) {
            // Read under its own name by a target of this component.
            return None;
        }
        let opts = OpenOptions {
            codec: self.args.codec,
            compression: None,
        };
        let reading = Reading::open(&name, file, Start::At(offset), &opts).ok()?;
        Some((name, Cursor::new(reading)))
    }

    /// Opens the file the path names, if it can: sets `t.cur`, or says why not.
    fn try_open(&mut self, t: &mut Task, now: Instant) {
        let poll = self.args.file_watch.max_poll_frequency;
        t.due = now + poll;
        if let Some(nb) = t.not_before {
            if now < nb {
                t.due = nb;
                return;
            }
        }
        if t.handover_from.is_some() {
            // Asked again at the next poll, in case the other task never lets go.
            t.handover_from = None;
            return;
        }
        if let Some((size, _)) = t.incomplete {
            // A compressed file that ended early is read again once it changed.
            if std::fs::metadata(&t.key.path).is_ok_and(|m| m.len() == size) {
                t.due = now + poll.max(RETRY_MIN);
                return;
            }
        }
        let file = match std::fs::File::open(&t.key.path) {
            Ok(f) => f,
            Err(e) => {
                let err = self.open_error(&t.key.path, &e);
                if err.is_some() {
                    t.due = now + t.retry;
                    t.retry = (t.retry * 2).min(RETRY_MAX);
                } else if self.watch.as_mut().is_some_and(|w| w.covers(&t.key, now)) {
                    // Not there yet: its creation is noticed.
                    t.due = now + poll.max(WATCHED_LOOK);
                }
                t.set_error(&self.id, err);
                return;
            }
        };
        let start = match t.incomplete {
            Some((_, resume)) => Ok(Some(Start::At(resume))),
            None => self.start_for(t, &file),
        };
        if !matches!(start, Ok(None)) {
            t.first_open = false;
        }
        let start = match start {
            Ok(Some(s)) => s,
            Ok(None) => return,
            Err(_) => {
                t.set_error(&self.id, None);
                t.phase = Phase::Skipped(
                    "not read: its positions entry is damaged and on_positions_file_error = \"skip\""
                        .into(),
                );
                return;
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
                if let Some(w) = &mut self.watch {
                    // The path may resolve elsewhere now (a symbolic link changed).
                    w.forget(&t.key);
                    w.covers(&t.key, now);
                }
                tracing::debug!(component = %self.id, path = %t.key.path, offset = r.pos, "start tailing file");
                t.cur = Some(Cursor::new(r));
            }
            Err(OpenFailure::Compressed(why)) => {
                t.set_error(&self.id, None);
                t.phase = Phase::Skipped(why);
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

    /// Reads the file at the path; at its end, looks for rotation, truncation and replacement. Returns
    /// the cursor unless the file was rotated away (it is then in `t.old`) or read whole.
    fn read_cur(&mut self, t: &mut Task, mut cur: Cursor, now: Instant) -> Option<Cursor> {
        let res = cur.step(&t.labels, &self.receivers, now, false);
        self.account(t, &res);
        if let Some(p) = &cur.pending {
            t.due = p.retry_at;
            return Some(cur);
        }
        if res.more {
            t.due = now;
            t.interval = self.args.file_watch.min_poll_frequency;
            return Some(cur);
        }
        if let Some(e) = &res.error {
            if cur.reading.compressed() {
                if e.starts_with("unexpected EOF") {
                    t.incomplete = Some((cur.reading.size(), cur.committed));
                    t.set_error(&self.id, Some(format!("{}: {e}", t.key.path)));
                    t.due = now + RETRY_MIN;
                    self.release_known(cur.reading.id.1, cur.committed);
                    return None;
                }
                t.set_error(&self.id, Some(format!("{}: {e}", t.key.path)));
                t.done_at = Some((cur.committed, cur.reading.identity()));
                t.phase = Phase::Done;
                self.release_known(cur.reading.id.1, cur.committed);
                return None;
            }
            t.set_error(&self.id, Some(format!("read {}: {e}", t.key.path)));
            t.due = now + t.retry;
            return Some(cur);
        }
        if cur.reading.finished {
            // A compressed file read whole: its position stays, so it is never read twice.
            t.done_at = Some((cur.committed, cur.reading.identity()));
            t.phase = Phase::Done;
            self.release_known(cur.reading.id.1, cur.committed);
            t.set_error(&self.id, None);
            tracing::debug!(component = %self.id, path = %t.key.path, "compressed file read whole");
            return None;
        }
        // At the end of the file: has it been rotated, truncated, replaced?
        let grew = res.lines > 0;
        match std::fs::metadata(&t.key.path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                tracing::debug!(component = %self.id, path = %t.key.path, "file deleted or renamed: reading what is left");
                t.old.push(Old {
                    cur,
                    idle_since: now,
                });
                t.due = now;
                return None;
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
                        return Some(cur);
                    }
                    change @ (Change::Grew | Change::Touched) => {
                        // Grown or rewritten: still the same content at its start? (Truncated and
                        // written past the old size between two looks, or rewritten in place.)
                        let sig = cur.reading.sig;
                        if sig.len > 0 && !sig.matches(cur.reading.file()).unwrap_or(true) {
                            self.truncated(t, &mut cur);
                            t.due = now;
                            return Some(cur);
                        }
                        if change == Change::Grew {
                            t.due = now;
                            t.interval = self.args.file_watch.min_poll_frequency;
                            return Some(cur);
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
        Some(cur)
    }

    /// Backs the file's next look off while it is idle (doubling up to `max_poll_frequency`).
    /// A file covered by the kernel's change notices backs off further, to [`WATCHED_LOOK`]: a change
    /// brings its next look forward.
    fn idle(&mut self, t: &mut Task, grew: bool, now: Instant) {
        let fw = self.args.file_watch;
        let min = fw.min_poll_frequency.min(fw.max_poll_frequency);
        let mut max = fw.max_poll_frequency.max(min);
        if self.watch.as_mut().is_some_and(|w| w.covers(&t.key, now)) {
            max = max.max(WATCHED_LOOK);
        }
        t.interval = if grew {
            min
        } else {
            (t.interval * 2).clamp(min, max)
        };
        t.due = now + t.interval.max(Duration::from_millis(1));
    }

    fn truncated(&mut self, t: &mut Task, cur: &mut Cursor) {
        tracing::info!(component = %self.id, path = %t.key.path, "file truncated: reading it from the start");
        if cur.reading.sig.complete() {
            self.by_sig
                .insert(cur.reading.sig.hash, (cur.committed, Instant::now()));
        }
        // copytruncate: what was written after the last read is only in the copy.
        // Taken up even when everything was read, while lines taken from the file are not stored
        // yet: the copy then carries their receipts and is saved as draining until they are.
        let unstored = cur.storing();
        if let Some((copy, mut c)) =
            self.rotated_beside(&t.key.path, cur.reading.identity(), cur.committed, unstored)
        {
            c.take_receipts_from(cur);
            tracing::info!(component = %self.id, path = %t.key.path, copy = %copy, offset = cur.committed, "reading the rest of the truncated file from its copy");
            t.old.push(Old::written_out(c));
        }
        if let Err(e) = cur.restart_from_zero() {
            t.set_error(&self.id, Some(format!("read {}: {}", t.key.path, text(&e))));
        }
    }

    /// The path names another file now.
    fn replaced(&mut self, t: &mut Task, cur: Cursor, now: Instant) -> Option<Cursor> {
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
                    next.continue_from(cur);
                    t.due = now;
                    return Some(next);
                }
            }
        }
        tracing::debug!(component = %self.id, path = %t.key.path, "file rotated: reading the old one to its end beside the new one");
        t.old.push(Old {
            cur,
            idle_since: now,
        });
        t.due = now;
        None
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
        // Once saved in good order, a damaged file is gone; health says so for a minute.
        if problem.is_none() && !self.first_reconcile {
            if let Some(d) = &self.damaged {
                if self.started.elapsed() >= DAMAGED_NOTICE {
                    if self
                        .positions_problem
                        .as_deref()
                        .is_some_and(|p| p.starts_with(&d.0))
                    {
                        self.positions_problem = None;
                        self.health_dirty = true;
                    }
                    self.damaged = None;
                }
            }
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
            let running = t.running();
            let state = match (&t.phase, &t.cur, t.old.is_empty()) {
                (Phase::Done, _, _) => "read whole",
                (Phase::Skipped(_), _, _) => "skipped",
                (_, Some(_), true) => "reading",
                (_, _, false) => "reading, and a rotated file to its end",
                (_, None, true) => "waiting for the file",
            };
            let blocked = t.pending_reason();
            // A skipped file is not a problem of the component: its reason shows in debug info only.
            let error = t.error.clone();
            let note = match &t.phase {
                Phase::Skipped(why) => Some(why.clone()),
                _ => None,
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
                    note,
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
        if self.watch.as_ref().is_some_and(|w| w.has_changes()) {
            return;
        }
        let _ = self
            .shared
            .wake
            .wait_timeout(c, timeout)
            .unwrap_or_else(|e| e.into_inner());
    }
}
