//! A journal: every journal file in a set of directories, read as one stream in systemd's order, and
//! followed as files grow, rotate, appear and go.
//!
//! Which files: with the default paths, the files in `/run/log/journal` and `/var/log/journal` and in
//! their subdirectories named by a machine id (in `/var/log/journal`, only this machine's, as
//! `sd_journal_open(SD_JOURNAL_LOCAL_ONLY)` reads them); with a directory, the files in it and in
//! every subdirectory named by a machine id (as `sd_journal_open_directory`). A journal file is any
//! `*.journal` (the active `system.journal`, `user-1000.journal`, archived `system@….journal`) or
//! `*.journal~` (a file journald set aside as dirty).
//!
//! How they interleave: each file keeps its place; the next entry is the first, in systemd's order
//! (`cursor::compare_entries`), of the files' next entries after the last one read. An entry equal to
//! the last one read (a copy in another file) is passed over, so copies are read once.
//!
//! A file is known by its device and inode, so a rotation (journald renames `system.journal` to
//! `system@….journal` and starts a new one) moves the file under a new name without reading it again,
//! and a deleted file is read to its end through the descriptor already open.
//!
//! A place that cannot be read consistently in a file being written (an entry linked before the reader
//! sees all of it) stops reading until the next refresh, so that entries keep their order; in a file
//! no longer written, or after [`Options::stall_limit`], the entry is skipped and counted.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::cursor::{compare_entries, compare_with, Cursor, Position};
use crate::file::{EntryMeta, Field, JournalFile, OpenError, ReadError, Skipped};
use crate::format::{HeaderError, Id128, State};

/// The directories read when no path is given.
pub const DEFAULT_PATHS: [&str; 2] = ["/run/log/journal", "/var/log/journal"];
/// How long a new file may look like no journal (journald creates and then fills it) before it is
/// reported.
const NEW_FILE_GRACE: Duration = Duration::from_secs(10);

/// One entry read: where it sits (its cursor) and its fields, in the entry's order (a field may occur
/// more than once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub position: Position,
    pub fields: Vec<Arc<Field>>,
}

impl Entry {
    /// The cursor string systemd prints for this entry.
    pub fn cursor(&self) -> String {
        self.position.to_string()
    }

    /// The last value of `name` (systemd's readers keep the last when a field repeats).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .rev()
            .find(|f| f.name == name)
            .map(|f| f.value.as_slice())
    }
}

/// Where reading starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeekTo {
    /// The oldest entry.
    Head,
    /// After the newest entry of the files there now (files that appear later are read whole).
    Tail,
    /// The first entry at or after this wall-clock time (microseconds since the epoch).
    Realtime(u64),
    /// After the entry `cursor` names (or from it, when `inclusive`).
    Cursor { cursor: Cursor, inclusive: bool },
}

/// Which files make the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Paths {
    /// `/run/log/journal` and `/var/log/journal`, this machine's files only.
    Default,
    /// One directory and its machine-id subdirectories.
    Directory(PathBuf),
    /// These files only.
    Files(Vec<PathBuf>),
}

#[derive(Clone, Debug)]
pub struct Options {
    /// A decompressed field longer than this is left out of its entry (and counted).
    pub max_field_size: usize,
    /// How long an inconsistent place in a file being written is waited for before it is skipped.
    pub stall_limit: Duration,
    /// The machine id the default paths keep (`None`: read from `/etc/machine-id`).
    pub machine_id: Option<Id128>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_field_size: 64 << 20,
            stall_limit: Duration::from_secs(10),
            machine_id: None,
        }
    }
}

/// Entries and objects left out, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub skipped: Skipped,
    /// Entries that could not be read and were passed over.
    pub bad_entries: u64,
}

/// What [`Journal`] does, for the component and for readers tests put in its place.
pub trait JournalReader: Send {
    /// Where the next [`next_entry`](Self::next_entry) starts.
    fn seek(&mut self, to: SeekTo);
    /// The next entry in order, or `None` when there is none for now.
    fn next_entry(&mut self) -> Option<Entry>;
    /// Looks for new files and new entries.
    fn refresh(&mut self);
    /// Why directories or files are not read, in words naming the path and the cause.
    fn problems(&self) -> Vec<String>;
    fn counts(&self) -> Counts;
    /// Things worth a log line since the last call (entries passed over, and why).
    fn take_notices(&mut self) -> Vec<String>;
}

/// Where reading stands.
#[derive(Clone, Debug)]
enum Place {
    Seek(SeekTo),
    /// After this entry.
    At(Cursor),
}

struct Slot {
    file: JournalFile,
    /// The next entry index to look at.
    next: u64,
    positioned: bool,
    candidate: Option<(u64, EntryMeta)>,
    /// Seen by the last scan of the directories.
    seen: bool,
    /// An inconsistent place: at which entry, since when.
    stall: Option<(u64, Instant)>,
    /// Matches resolved to DATA offsets, for the entries below the first number.
    resolved: Option<(u64, Vec<Vec<u64>>)>,
    /// Its header could not be read again (named in the problems).
    file_problem: bool,
}

impl Slot {
    fn exhausted(&self) -> bool {
        self.candidate.is_none() && self.next >= self.file.n_entries()
    }
}

enum Fill {
    Candidate,
    Empty,
    Stalled,
}

pub struct Journal {
    paths: Paths,
    opts: Options,
    machine_id: Option<Id128>,
    /// Groups of `FIELD=value` payloads: an entry matches when it has one payload of every group.
    matches: Vec<Vec<Vec<u8>>>,
    slots: Vec<Slot>,
    place: Place,
    dir_problems: Vec<String>,
    file_problems: HashMap<PathBuf, String>,
    /// Files that did not look like journals yet, with when they were first seen.
    unready: HashMap<PathBuf, Instant>,
    counts: Counts,
    notices: Vec<String>,
    /// The directories the last listing read, their modification times then, and when.
    dirs: Vec<PathBuf>,
    dirs_seen: Vec<Option<SystemTime>>,
    last_listing: Instant,
}

/// How often the directories are listed even when they seem unchanged.
const RELIST_EVERY: Duration = Duration::from_secs(5);

/// Notices kept until the caller takes them.
const MAX_NOTICES: usize = 100;

/// An I/O error as Go prints it: the system's message, lowercase, without Rust's `(os error N)`.
pub fn error_text(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => {
            let mut t = s[..i].to_string();
            if let Some(f) = t.get_mut(0..1) {
                f.make_ascii_lowercase();
            }
            t
        }
        None => s,
    }
}

fn is_journal_name(name: &str) -> bool {
    name.ends_with(".journal") || name.ends_with(".journal~")
}

fn machine_id_dir(name: &str) -> Option<Id128> {
    if name.len() == 32 {
        Id128::parse(name)
    } else {
        None
    }
}

/// Parses Alloy's `matches`: space-separated `FIELD=value` items, each with exactly one `=`, the
/// field a valid journal field name (`sd_journal_add_match`'s rule). Items of the same field are
/// alternatives; different fields must all match.
pub fn parse_matches(text: &str) -> Result<Vec<Vec<Vec<u8>>>, String> {
    let mut groups: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    for item in text.split_whitespace() {
        let parts: Vec<&str> = item.split('=').collect();
        if parts.len() != 2 {
            return Err("Error parsing journal reader 'matches' config value".into());
        }
        let field = parts[0];
        let valid = !field.is_empty()
            && !field.starts_with("__")
            && field
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(format!(
                "failed to add match {item:?}: {field:?} is not a journal field name (A-Z, 0-9 and _, not starting with __)"
            ));
        }
        let payload = item.as_bytes().to_vec();
        match groups.iter_mut().find(|(f, _)| f == field) {
            Some((_, values)) => {
                if !values.contains(&payload) {
                    values.push(payload)
                }
            }
            None => groups.push((field.to_string(), vec![payload])),
        }
    }
    Ok(groups.into_iter().map(|(_, v)| v).collect())
}

impl Journal {
    pub fn new(paths: Paths, matches: Vec<Vec<Vec<u8>>>, opts: Options) -> Journal {
        let machine_id = opts.machine_id.or_else(|| {
            std::fs::read_to_string("/etc/machine-id")
                .ok()
                .and_then(|s| Id128::parse(s.trim()))
        });
        let mut j = Journal {
            paths,
            opts,
            machine_id,
            matches,
            slots: Vec::new(),
            place: Place::Seek(SeekTo::Head),
            dir_problems: Vec::new(),
            file_problems: HashMap::new(),
            unready: HashMap::new(),
            counts: Counts::default(),
            notices: Vec::new(),
            dirs: Vec::new(),
            dirs_seen: Vec::new(),
            last_listing: Instant::now(),
        };
        j.scan();
        j
    }

    /// The files read now.
    pub fn files(&self) -> Vec<PathBuf> {
        self.slots
            .iter()
            .map(|s| s.file.path().to_path_buf())
            .collect()
    }

    /// The journal files the paths name now, and the problems met looking for them.
    fn list(&self) -> (Vec<PathBuf>, Vec<String>, Vec<PathBuf>) {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        let mut dirs = Vec::new();
        match &self.paths {
            Paths::Files(list) => files.extend(list.iter().cloned()),
            Paths::Directory(dir) => {
                dirs.push(dir.clone());
                if let Err(e) = list_root(dir, None, &mut files, &mut problems, &mut dirs) {
                    problems.push(format!("open {}: {}", dir.display(), error_text(&e)));
                }
            }
            Paths::Default => {
                let mut missing = 0;
                for root in DEFAULT_PATHS {
                    // Local only: in /var/log/journal, this machine's directory; under /run, all.
                    let keep = if root.starts_with("/run") {
                        None
                    } else {
                        self.machine_id
                    };
                    dirs.push(PathBuf::from(root));
                    match list_root(Path::new(root), keep, &mut files, &mut problems, &mut dirs) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::NotFound => missing += 1,
                        Err(e) => problems.push(format!("open {root}: {}", error_text(&e))),
                    }
                }
                if missing == DEFAULT_PATHS.len() {
                    problems.push(format!(
                        "no journal: neither {} nor {} exists",
                        DEFAULT_PATHS[1], DEFAULT_PATHS[0]
                    ));
                }
            }
        }
        (files, problems, dirs)
    }

    /// The modification times of the directories the last listing read: when none changed (and none
    /// changed too recently to tell), the listing is still true.
    fn dirs_signature(&self) -> Vec<Option<SystemTime>> {
        self.dirs
            .iter()
            .map(|d| std::fs::metadata(d).and_then(|m| m.modified()).ok())
            .collect()
    }

    /// Looks for new entries: the headers of files that may still be written are read again, and the
    /// directories listed again when they changed (or every few seconds, for files that could not be
    /// opened before).
    fn look(&mut self) {
        let signature = self.dirs_signature();
        let settled = signature.iter().all(|m| {
            m.and_then(|t| t.elapsed().ok())
                .is_none_or(|age| age >= Duration::from_secs(1))
        });
        let unchanged = settled
            && signature == self.dirs_seen
            && self.last_listing.elapsed() < RELIST_EVERY
            && self.unready.is_empty();
        if !unchanged {
            self.scan();
            return;
        }
        self.refresh_headers();
    }

    fn refresh_headers(&mut self) {
        for s in &mut self.slots {
            // An archived file is never written again.
            if s.file.state() == State::Archived && !s.file_problem {
                continue;
            }
            match s.file.refresh() {
                Ok(_) => {
                    if std::mem::take(&mut s.file_problem) {
                        self.file_problems.remove(s.file.path());
                    }
                }
                Err(e) => {
                    s.file_problem = true;
                    self.file_problems.insert(
                        s.file.path().to_path_buf(),
                        format!("{}: {e}", s.file.path().display()),
                    );
                }
            }
        }
    }

    fn scan(&mut self) {
        let (paths, problems, dirs) = self.list();
        self.dir_problems = problems;
        self.dirs = dirs;
        self.dirs_seen = self.dirs_signature();
        self.last_listing = Instant::now();
        for s in &mut self.slots {
            s.seen = false;
        }
        let mut still_unready = HashMap::new();
        let mut file_problems = HashMap::new();
        for path in paths {
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => {
                    file_problems.insert(
                        path.clone(),
                        format!("stat {}: {}", path.display(), error_text(&e)),
                    );
                    continue;
                }
            };
            use std::os::unix::fs::MetadataExt;
            let id = (meta.dev(), meta.ino());
            if let Some(s) = self.slots.iter_mut().find(|s| s.file.dev_ino() == id) {
                s.seen = true;
                if s.file.path() != path {
                    s.file.set_path(path);
                }
                continue;
            }
            match JournalFile::open(&path, self.opts.max_field_size) {
                Ok(file) => {
                    let positioned = false;
                    self.slots.push(Slot {
                        file,
                        next: 0,
                        positioned,
                        candidate: None,
                        seen: true,
                        stall: None,
                        resolved: None,
                        file_problem: false,
                    });
                }
                Err(OpenError::Io(e)) => {
                    file_problems.insert(
                        path.clone(),
                        format!("open {}: {}", path.display(), error_text(&e)),
                    );
                }
                Err(OpenError::Header(HeaderError::NotJournal(why))) => {
                    // journald creates a file before it writes its header: give it a moment.
                    let since = self
                        .unready
                        .get(&path)
                        .copied()
                        .unwrap_or_else(Instant::now);
                    if since.elapsed() >= NEW_FILE_GRACE {
                        file_problems.insert(path.clone(), format!("{}: {why}", path.display()));
                    }
                    still_unready.insert(path, since);
                }
                Err(OpenError::Header(e)) => {
                    file_problems.insert(path.clone(), format!("{}: {e}", path.display()));
                }
            }
        }
        self.unready = still_unready;
        // A file gone from the directories is read to its end, then let go.
        self.slots.retain(|s| s.seen || !s.exhausted());
        self.file_problems = file_problems;
        for s in &mut self.slots {
            s.file_problem = false;
        }
        self.refresh_headers();
    }

    /// Sets where a slot's reading starts, from the place reading stands.
    fn position(&mut self, i: usize) -> Result<(), ReadError> {
        let slot = &mut self.slots[i];
        let next = match &self.place {
            Place::Seek(SeekTo::Head) => 0,
            // Files there at the seek were positioned then; a file found later is new.
            Place::Seek(SeekTo::Tail) => 0,
            Place::Seek(SeekTo::Realtime(t)) => {
                let t = *t;
                slot.file.bisect(0, |p| p.realtime < t)?
            }
            Place::Seek(SeekTo::Cursor { cursor: c, .. }) | Place::At(c) => {
                let c = *c;
                let same_source = c.seqnum_id == Some(slot.file.header().seqnum_id);
                match (same_source, c.seqnum, c.realtime) {
                    (true, Some(s), _) => slot.file.bisect(0, |p| p.seqnum < s)?,
                    (_, _, Some(t)) => slot.file.bisect(0, |p| p.realtime < t)?,
                    _ => 0,
                }
            }
        };
        slot.next = next;
        slot.positioned = true;
        Ok(())
    }

    fn resolve_matches(&mut self, i: usize) -> Result<(), ReadError> {
        if self.matches.is_empty() {
            return Ok(());
        }
        let slot = &mut self.slots[i];
        let n = slot.file.n_entries();
        if matches!(&slot.resolved, Some((at, _)) if *at == n) {
            return Ok(());
        }
        let mut groups = Vec::with_capacity(self.matches.len());
        for g in &self.matches {
            let mut offsets = Vec::new();
            for payload in g {
                if let Some(o) = slot.file.find_data(payload)? {
                    offsets.push(o);
                }
            }
            groups.push(offsets);
        }
        slot.resolved = Some((n, groups));
        Ok(())
    }

    /// Handles an unreadable place at a slot's `next`: waits for a file being written (within the
    /// limit), otherwise passes over the entry. True when reading should wait.
    fn stalled(&mut self, i: usize, err: ReadError) -> bool {
        let limit = self.opts.stall_limit;
        let chain_end = matches!(err, ReadError::ChainEnd(_));
        let why = err.to_string();
        let slot = &mut self.slots[i];
        // What was read of the place may be what the writer had not finished: read it again.
        slot.file.forget_blocks();
        let since = match slot.stall {
            Some((at, since)) if at == slot.next => since,
            _ => {
                let now = Instant::now();
                slot.stall = Some((slot.next, now));
                now
            }
        };
        if slot.file.state() == State::Online && since.elapsed() < limit {
            return true;
        }
        let notice = if chain_end {
            format!(
                "{}: passing over entries {} to {} that cannot be reached: {why}",
                slot.file.path().display(),
                slot.next,
                slot.file.n_entries()
            )
        } else {
            format!(
                "{}: passing over entry {} that cannot be read: {why}",
                slot.file.path().display(),
                slot.next
            )
        };
        // Past the end of the chain nothing can be reached: the file is done.
        slot.next = if chain_end {
            slot.file.n_entries()
        } else {
            slot.next + 1
        };
        slot.stall = None;
        slot.resolved = None;
        self.counts.bad_entries += 1;
        if self.notices.len() < MAX_NOTICES {
            self.notices.push(notice);
        }
        false
    }

    fn fill(&mut self, i: usize) -> Fill {
        if !self.slots[i].positioned {
            if let Err(e) = self.position(i) {
                return if self.stalled(i, e) {
                    Fill::Stalled
                } else {
                    // Could not place it: read it from its start; the order check passes over what
                    // was read already.
                    self.slots[i].next = 0;
                    self.slots[i].positioned = true;
                    self.fill(i)
                };
            }
        }
        loop {
            let slot = &mut self.slots[i];
            if let Some((idx, meta)) = slot.candidate {
                let before = match &self.place {
                    Place::At(c) => compare_with(&meta.position, c).is_le(),
                    _ => false,
                };
                if !before {
                    return Fill::Candidate;
                }
                slot.candidate = None;
                slot.next = idx + 1;
            }
            if slot.next >= slot.file.n_entries() {
                if slot.file.state() != State::Online {
                    slot.file.shrink();
                }
                return Fill::Empty;
            }
            let meta = match slot.file.entry_meta(slot.next) {
                Ok(m) => m,
                Err(e) => {
                    if self.stalled(i, e) {
                        return Fill::Stalled;
                    }
                    continue;
                }
            };
            let skip = match &self.place {
                Place::At(c) => compare_with(&meta.position, c).is_le(),
                Place::Seek(SeekTo::Cursor { cursor, inclusive }) => {
                    let o = compare_with(&meta.position, cursor);
                    o.is_lt() || (o.is_eq() && !inclusive)
                }
                _ => false,
            };
            if skip {
                self.slots[i].next += 1;
                continue;
            }
            if !self.matches.is_empty() {
                let matched = self.resolve_matches(i).and_then(|()| {
                    let slot = &mut self.slots[i];
                    let items = slot.file.entry_items(&meta)?;
                    let groups = &slot.resolved.as_ref().expect("resolved").1;
                    Ok(groups.iter().all(|g| g.iter().any(|o| items.contains(o))))
                });
                match matched {
                    Ok(true) => {}
                    Ok(false) => {
                        self.slots[i].next += 1;
                        continue;
                    }
                    Err(e) => {
                        if self.stalled(i, e) {
                            return Fill::Stalled;
                        }
                        continue;
                    }
                }
            }
            let slot = &mut self.slots[i];
            slot.candidate = Some((slot.next, meta));
            return Fill::Candidate;
        }
    }
}

/// Adds the journal files of `root` and of its machine-id subdirectories (only `keep`'s when given).
fn list_root(
    root: &Path,
    keep: Option<Id128>,
    files: &mut Vec<PathBuf>,
    problems: &mut Vec<String>,
    dirs: &mut Vec<PathBuf>,
) -> io::Result<()> {
    let mut names: Vec<(String, bool)> = Vec::new();
    for de in std::fs::read_dir(root)? {
        let de = de?;
        let name = de.file_name().to_string_lossy().into_owned();
        let is_dir = de.file_type().map(|t| t.is_dir()).unwrap_or(false)
            || (de.file_type().map(|t| t.is_symlink()).unwrap_or(false) && de.path().is_dir());
        names.push((name, is_dir));
    }
    names.sort();
    for (name, is_dir) in names {
        if is_journal_name(&name) && !is_dir {
            files.push(root.join(&name));
        } else if is_dir {
            let Some(id) = machine_id_dir(&name) else {
                continue;
            };
            if keep.is_some_and(|k| k != id) {
                continue;
            }
            let dir = root.join(&name);
            dirs.push(dir.clone());
            match std::fs::read_dir(&dir) {
                Ok(rd) => {
                    let mut inner: Vec<PathBuf> = rd
                        .filter_map(|de| de.ok())
                        .filter(|de| {
                            is_journal_name(&de.file_name().to_string_lossy())
                                && !de.file_type().map(|t| t.is_dir()).unwrap_or(false)
                        })
                        .map(|de| de.path())
                        .collect();
                    inner.sort();
                    files.extend(inner);
                }
                Err(e) => problems.push(format!("open {}: {}", dir.display(), error_text(&e))),
            }
        }
    }
    Ok(())
}

impl JournalReader for Journal {
    fn seek(&mut self, to: SeekTo) {
        let tail = to == SeekTo::Tail;
        self.place = Place::Seek(to);
        for s in &mut self.slots {
            s.candidate = None;
            s.stall = None;
            s.positioned = tail;
            if tail {
                s.next = s.file.n_entries();
            }
        }
    }

    fn next_entry(&mut self) -> Option<Entry> {
        loop {
            let mut best: Option<usize> = None;
            for i in 0..self.slots.len() {
                match self.fill(i) {
                    Fill::Candidate => {
                        let better = match best {
                            None => true,
                            Some(b) => {
                                let (x, y) = (
                                    &self.slots[i].candidate.as_ref().expect("candidate").1,
                                    &self.slots[b].candidate.as_ref().expect("candidate").1,
                                );
                                compare_entries(&x.position, &y.position).is_lt()
                            }
                        };
                        if better {
                            best = Some(i);
                        }
                    }
                    // Entries keep their order: nothing is read past a file being written until
                    // its next entry can be read.
                    Fill::Stalled => return None,
                    Fill::Empty => {}
                }
            }
            let b = best?;
            let (idx, meta) = self.slots[b].candidate.expect("candidate");
            let mut skipped = Skipped::default();
            match self.slots[b].file.entry_fields(&meta, &mut skipped) {
                Ok(fields) => {
                    let slot = &mut self.slots[b];
                    slot.candidate = None;
                    slot.next = idx + 1;
                    slot.stall = None;
                    self.counts.skipped.not_fields += skipped.not_fields;
                    self.counts.skipped.too_large += skipped.too_large;
                    self.place = Place::At(Cursor::of(&meta.position));
                    return Some(Entry {
                        position: meta.position,
                        fields,
                    });
                }
                Err(e) => {
                    self.slots[b].candidate = None;
                    self.slots[b].next = idx;
                    if self.stalled(b, e) {
                        return None;
                    }
                }
            }
        }
    }

    fn refresh(&mut self) {
        self.look();
    }

    fn problems(&self) -> Vec<String> {
        let mut out = self.dir_problems.clone();
        let mut files: Vec<&String> = self.file_problems.values().collect();
        files.sort();
        out.extend(files.into_iter().cloned());
        out
    }

    fn counts(&self) -> Counts {
        self.counts
    }

    fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
}
