//! node_exporter's `processes` collector: process and thread states from `/proc/<pid>/stat` and
//! `/proc/<pid>/task/<tid>/stat`, and the kernel's limits.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use ingot_hostfs::read::{read_whole_at, Dir, KeptFile};
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig};

const THREADS: Desc = Desc::new(
    "node_processes_threads",
    "Allocated threads in system",
    MetricType::Gauge,
    &[],
);
const MAX_THREADS: Desc = Desc::new(
    "node_processes_max_threads",
    "Limit of threads in the system",
    MetricType::Gauge,
    &[],
);
const STATE: Desc = Desc::new(
    "node_processes_state",
    "Number of processes in each state.",
    MetricType::Gauge,
    &["state"],
);
const THREADS_STATE: Desc = Desc::new(
    "node_processes_threads_state",
    "Number of threads in each state.",
    MetricType::Gauge,
    &["thread_state"],
);
const PIDS: Desc = Desc::new(
    "node_processes_pids",
    "Number of PIDs",
    MetricType::Gauge,
    &[],
);
const MAX_PROCESSES: Desc = Desc::new(
    "node_processes_max_processes",
    "Number of max PIDs limit",
    MetricType::Gauge,
    &[],
);

/// A task state as the kernel prints it (one letter), copied out of the read buffer without
/// allocating.
#[derive(Clone, Copy)]
struct State {
    bytes: [u8; 16],
    len: usize,
}

impl State {
    fn new(s: &str) -> State {
        let mut bytes = [0u8; 16];
        // Cut at a character boundary; no kernel prints more than one letter.
        let mut len = s.len().min(bytes.len());
        while !s.is_char_boundary(len) {
            len -= 1;
        }
        bytes[..len].copy_from_slice(&s.as_bytes()[..len]);
        State { bytes, len }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

/// Counts per state letter; kept between gathers so the state strings are allocated once.
#[derive(Default)]
struct StateCounts(Vec<(String, u64)>);

impl StateCounts {
    fn reset(&mut self) {
        self.0.iter_mut().for_each(|(_, n)| *n = 0);
    }

    fn add(&mut self, state: &str) {
        match self.0.iter_mut().find(|(s, _)| s == state) {
            Some((_, n)) => *n += 1,
            None => self.0.push((state.to_owned(), 1)),
        }
    }

    fn emit(&self, out: &mut FamilySet, desc: &Desc) {
        for (state, n) in &self.0 {
            if *n > 0 {
                out.push(desc, &[state], *n as f64);
            }
        }
    }
}

/// At most this many descriptors are kept open between gathers (and at most a quarter of the
/// open-files limit). Each costs the kernel about 4.5 KiB (a file, and a page of seq_file buffer
/// for a stat file), so a host with more tasks keeps the first ones and opens the rest afresh.
const KEPT_MAX: usize = 256;

/// Stat files and task directories kept open from one gather to the next: a read from offset 0
/// of a kept `/proc/<pid>/stat` makes the kernel generate it afresh, so a task that lives on
/// costs one `pread` per gather instead of `openat`, `read` and `close`.
///
/// A kept descriptor names one process, not a number: once that process is gone, reads fail
/// (`ESRCH`, or `ENOENT` for a task directory), even when the pid has been given to another
/// process. Any failure drops the descriptor and the file is opened afresh, so what the gather
/// sees, and every error it reports, is what a fresh open gives.
struct KeptFds {
    /// `(pid, 0)`: `/proc/<pid>/stat`; `(pid, tid)`: `/proc/<pid>/task/<tid>/stat`.
    stats: HashMap<(i64, i64), File>,
    tasks: HashMap<i64, Dir>,
    /// The descriptors of the previous gather not yet used by this one; closed at its end.
    old_stats: HashMap<(i64, i64), File>,
    old_tasks: HashMap<i64, Dir>,
    /// How many descriptors may be kept: `limit` in the kernel's procfs, else 0.
    max: usize,
    limit: usize,
}

impl KeptFds {
    fn new() -> KeptFds {
        let limit = ingot_hostfs::sys::open_files_limit().unwrap_or(u64::MAX);
        KeptFds {
            stats: HashMap::new(),
            tasks: HashMap::new(),
            old_stats: HashMap::new(),
            old_tasks: HashMap::new(),
            max: 0,
            limit: KEPT_MAX.min(usize::try_from(limit / 4).unwrap_or(KEPT_MAX)),
        }
    }

    /// Keeps descriptors only if `on`; otherwise every file is opened afresh.
    fn enable(&mut self, on: bool) {
        self.max = if on { self.limit } else { 0 };
        if !on {
            self.stats.clear();
            self.tasks.clear();
        }
    }

    fn begin(&mut self) {
        std::mem::swap(&mut self.stats, &mut self.old_stats);
        std::mem::swap(&mut self.tasks, &mut self.old_tasks);
    }

    /// Closes the descriptors of tasks this gather did not see.
    fn finish(&mut self) {
        self.old_stats.clear();
        self.old_tasks.clear();
    }

    fn has_room(&self) -> bool {
        self.stats.len() + self.tasks.len() < self.max
    }

    /// Reads the stat file `rel` below `dir` (whose key is `key`) into `buf`.
    fn read_stat(
        &mut self,
        key: (i64, i64),
        dir: &Dir,
        rel: &str,
        buf: &mut Vec<u8>,
    ) -> io::Result<()> {
        if let Some(file) = self.old_stats.remove(&key) {
            if read_whole_at(&file, buf).is_ok() {
                self.stats.insert(key, file);
                return Ok(());
            }
        }
        let file = dir.open_file(rel)?;
        read_whole_at(&file, buf)?;
        if self.has_room() {
            self.stats.insert(key, file);
        }
        Ok(())
    }

    /// Lists the task directory `rel` (of process `pid`) below `proc_dir` into `tids`, and
    /// returns it open.
    fn list_tasks(
        &mut self,
        pid: i64,
        proc_dir: &Dir,
        rel: &str,
        dents: &mut Vec<u8>,
        tids: &mut Vec<i64>,
    ) -> io::Result<Dir> {
        if let Some(task) = self.old_tasks.remove(&pid) {
            if task
                .rewind()
                .and_then(|()| list_ids(&task, dents, tids))
                .is_ok()
            {
                return Ok(task);
            }
        }
        let task = proc_dir.open_dir(rel)?;
        list_ids(&task, dents, tids)?;
        Ok(task)
    }

    /// Keeps a task directory that [`KeptFds::list_tasks`] returned, if there is room.
    fn keep_tasks(&mut self, pid: i64, task: Dir) {
        if self.has_room() {
            self.tasks.insert(pid, task);
        }
    }
}

pub(super) struct ProcessesCollector {
    procfs: PathBuf,
    /// procfs, kept open to list it and to open `<pid>/stat` and `<pid>/task` below it with
    /// short relative paths. Opened on first use; dropped after a failed listing.
    proc_dir: Option<Dir>,
    /// Whether `proc_dir` is the kernel's procfs, where `/proc/<pid>/task` of a process with one
    /// thread holds only its leader.
    real_procfs: bool,
    kept: KeptFds,
    threads_max: KeptFile,
    pid_max: KeptFile,
    states: StateCounts,
    thread_states: StateCounts,
    buf: Vec<u8>,
    /// Scratch space for directory listings.
    dents: Vec<u8>,
    pids: Vec<i64>,
    tids: Vec<i64>,
    rel: String,
}

/// Processes and threads that vanish while we read them are skipped, as node_exporter does.
fn is_ignored(err: &io::Error) -> bool {
    ingot_hostfs::errno::is_vanished(err)
}

/// Replaces `ids` with the numeric entry names of `dir` (pids or tids).
fn list_ids(dir: &Dir, dents: &mut Vec<u8>, ids: &mut Vec<i64>) -> io::Result<()> {
    ids.clear();
    dir.list(dents, |name| {
        if let Some(id) = std::str::from_utf8(name)
            .ok()
            .and_then(ingot_hostfs::num::parse_i64_dec)
        {
            ids.push(id);
        }
    })
}

/// The state and thread count of a stat file's content.
fn parse_stat(buf: &[u8]) -> Result<(State, i64), String> {
    // The kernel writes UTF-8 (ASCII but for the command name); checking that is cheaper than
    // the lossy conversion, which is kept for anything else.
    let text = match std::str::from_utf8(buf) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(buf),
    };
    let stat = ingot_hostfs::process::parse_stat(&text).map_err(|e| e.to_string())?;
    Ok((State::new(stat.state), stat.num_threads))
}

/// `<a>/<b>` into `rel`.
fn join_rel(rel: &mut String, a: &str, b: &str) {
    rel.clear();
    rel.push_str(a);
    rel.push('/');
    rel.push_str(b);
}

impl ProcessesCollector {
    pub(super) fn new(config: &UnixConfig) -> ProcessesCollector {
        ProcessesCollector {
            procfs: config.procfs_path.clone(),
            proc_dir: None,
            real_procfs: false,
            kept: KeptFds::new(),
            threads_max: KeptFile::new(config.procfs_path.join("sys/kernel/threads-max")),
            pid_max: KeptFile::new(config.procfs_path.join("sys/kernel/pid_max")),
            states: StateCounts::default(),
            thread_states: StateCounts::default(),
            buf: Vec::new(),
            dents: Vec::new(),
            pids: Vec::new(),
            tids: Vec::new(),
            rel: String::new(),
        }
    }

    /// Lists the pids in procfs into `self.pids`.
    fn list_pids(&mut self) -> io::Result<()> {
        if self.proc_dir.is_none() {
            let dir = Dir::open_listable(&self.procfs)?;
            self.real_procfs = dir.is_procfs().unwrap_or(false);
            // A kept descriptor of a regular file (a fixture) would not see the file replaced.
            self.kept.enable(self.real_procfs);
            self.proc_dir = Some(dir);
        }
        let dir = self.proc_dir.as_ref().expect("just opened");
        let listed = dir
            .rewind()
            .and_then(|()| list_ids(dir, &mut self.dents, &mut self.pids));
        if listed.is_err() {
            // Open procfs afresh next time.
            self.proc_dir = None;
        }
        listed
    }

    /// node_exporter's `getAllocatedThreads`: for each process, its state and thread count from
    /// `/proc/<pid>/stat`, and the state of each of its threads from `/proc/<pid>/task`, where the
    /// leader counts with the process's state and every other thread is read from
    /// `task/<tid>/stat`.
    ///
    /// In the kernel's procfs, a process whose stat says it has one thread has only its leader
    /// in `task`, so that listing is skipped: it would add the process's state once (unless the
    /// process gained a thread or exited in between, which a listing a moment later would not
    /// see either). A copy of procfs (node_exporter's fixtures) may lack `task`; it is listed.
    fn count(&mut self) -> Result<(u64, i64), String> {
        self.list_pids().map_err(|e| {
            format!(
                "unable to list all processes: {}",
                ingot_hostfs::errno::go_error_text(&e)
            )
        })?;
        let pids = std::mem::take(&mut self.pids);
        self.kept.begin();
        let result = self.count_pids(&pids);
        self.kept.finish();
        self.pids = pids;
        result
    }

    fn count_pids(&mut self, pids: &[i64]) -> Result<(u64, i64), String> {
        let Some(dir) = self.proc_dir.as_ref() else {
            return Ok((0, 0));
        };
        let mut used = 0u64;
        let mut threads = 0i64;
        for &pid in pids {
            let pid_text = super::IntText::new(pid);
            join_rel(&mut self.rel, pid_text.as_str(), "stat");
            match self.kept.read_stat((pid, 0), dir, &self.rel, &mut self.buf) {
                Ok(()) => {}
                Err(e) if is_ignored(&e) => continue,
                Err(e) => {
                    return Err(format!(
                        "error reading stat for pid {pid}: {}",
                        open_error(&self.procfs.join(&self.rel), &e)
                    ))
                }
            }
            let (state, num_threads) = parse_stat(&self.buf)
                .map_err(|e| format!("error reading stat for pid {pid}: {e}"))?;
            used += 1;
            self.states.add(state.as_str());
            threads += num_threads;
            if num_threads == 1 && self.real_procfs {
                self.thread_states.add(state.as_str());
                continue;
            }

            join_rel(&mut self.rel, pid_text.as_str(), "task");
            let task =
                match self
                    .kept
                    .list_tasks(pid, dir, &self.rel, &mut self.dents, &mut self.tids)
                {
                    Ok(task) => task,
                    Err(e) if is_ignored(&e) => continue,
                    Err(e) => {
                        return Err(format!(
                            "unable to list all threads for pid: {pid} {}",
                            ingot_hostfs::errno::go_error_text(&e)
                        ))
                    }
                };
            for &tid in &self.tids {
                if tid == pid {
                    self.thread_states.add(state.as_str());
                    continue;
                }
                let tid_text = super::IntText::new(tid);
                join_rel(&mut self.rel, tid_text.as_str(), "stat");
                let read = match self
                    .kept
                    .read_stat((pid, tid), &task, &self.rel, &mut self.buf)
                {
                    Ok(()) => parse_stat(&self.buf).map(Some),
                    Err(e) if is_ignored(&e) => Ok(None),
                    Err(e) => Err(open_error(
                        &self
                            .procfs
                            .join(pid_text.as_str())
                            .join("task")
                            .join(&self.rel),
                        &e,
                    )),
                };
                match read {
                    Ok(Some((thread_state, _))) => self.thread_states.add(thread_state.as_str()),
                    Ok(None) => {}
                    Err(e) => {
                        return Err(format!(
                            "error reading stat for pid:{pid} thread:{tid} err:{e}"
                        ))
                    }
                }
            }
            self.kept.keep_tasks(pid, task);
        }
        Ok((used, threads))
    }
}

impl Collector for ProcessesCollector {
    fn name(&self) -> &'static str {
        "processes"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.states.reset();
        self.thread_states.reset();
        let (pids, threads) = self
            .count()
            .map_err(|e| format!("unable to retrieve number of allocated threads: {e}"))?;
        out.push(&THREADS, &[], threads as f64);
        let max_threads = self.threads_max.read_u64(&mut self.buf).map_err(|e| {
            format!(
                "unable to retrieve limit number of threads: {}",
                read_error(self.threads_max.path(), &e)
            )
        })?;
        out.push(&MAX_THREADS, &[], max_threads as f64);
        self.states.emit(out, &STATE);
        self.thread_states.emit(out, &THREADS_STATE);
        let pid_max = self.pid_max.read_u64(&mut self.buf).map_err(|e| {
            format!(
                "unable to retrieve limit number of maximum pids allowed: {}",
                read_error(self.pid_max.path(), &e)
            )
        })?;
        out.push(&PIDS, &[], pids as f64);
        out.push(&MAX_PROCESSES, &[], pid_max as f64);
        Ok(())
    }
}

fn read_error(path: &Path, err: &io::Error) -> String {
    if err.kind() == io::ErrorKind::InvalidData {
        err.to_string()
    } else {
        open_error(path, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "0 0 0 0 -1 4194560 9061 9416027 94 2620 36 98 54406 13885 20 0 1 0 29 109604864 2507 18446744073709551615 1 1 0 0 0 0 671173123 4096 1260 0 0 0 17 0 0 0 19 0 0 0 0 0 0 0 0 0 0";

    fn write(root: &Path, rel: &str, content: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    #[test]
    fn counts_thread_states_from_tasks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "sys/kernel/threads-max", "100\n");
        write(root, "sys/kernel/pid_max", "50\n");
        // Process 5 has three threads: itself (state of the process) and two tasks.
        write(
            root,
            "5/stat",
            &format!("5 (app) S {}", STAT.replacen("0 0 0 0 -1", "1 5 5 0 -1", 1)),
        );
        write(root, "5/task/5/stat", "ignored");
        write(root, "5/task/6/stat", &format!("6 (app) R {STAT}"));
        write(root, "5/task/7/stat", &format!("7 (app) D {STAT}"));
        // A task that vanished is skipped.
        std::fs::create_dir_all(root.join("5/task/8")).unwrap();
        write(root, "9/stat", &format!("9 (k) I {STAT}"));
        write(root, "self", "5");
        let config = UnixConfig {
            procfs_path: root.to_owned(),
            ..UnixConfig::default()
        };
        let mut c = ProcessesCollector::new(&config);
        let mut set = FamilySet::new();
        c.update(&mut set).unwrap();
        // A copy of procfs: nothing is kept open.
        assert!(!c.real_procfs);
        assert!(c.kept.stats.is_empty() && c.kept.tasks.is_empty());
        let text = set.encode_to_string();
        for line in [
            "node_processes_pids 2\n",
            "node_processes_threads 2\n",
            "node_processes_max_threads 100\n",
            "node_processes_max_processes 50\n",
            "node_processes_state{state=\"I\"} 1\n",
            "node_processes_state{state=\"S\"} 1\n",
            "node_processes_threads_state{thread_state=\"D\"} 1\n",
            "node_processes_threads_state{thread_state=\"R\"} 1\n",
            "node_processes_threads_state{thread_state=\"S\"} 1\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
    }

    fn pids_and_threads(text: &str) -> (u64, u64, u64) {
        let value = |name: &str| -> u64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
                .unwrap_or_else(|| panic!("no {name} in\n{text}"))
                .parse()
                .unwrap()
        };
        let thread_states = text
            .lines()
            .filter(|l| l.starts_with("node_processes_threads_state{"))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
            .sum();
        (
            value("node_processes_pids"),
            value("node_processes_threads"),
            thread_states,
        )
    }

    /// On the kernel's procfs, descriptors are kept between gathers, and a process that exits
    /// loses its descriptor without an error; each thread is counted once.
    #[test]
    fn live_procfs_keeps_descriptors_of_living_tasks() {
        let config = UnixConfig {
            procfs_path: "/proc".into(),
            ..UnixConfig::default()
        };
        let mut c = ProcessesCollector::new(&config);
        let mut child = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap();
        let child_pid = i64::from(child.id());
        let mut set = FamilySet::new();
        c.update(&mut set).unwrap();
        assert!(c.real_procfs);
        assert!(c.kept.max > 0);
        // On a host with more tasks than descriptors kept, the child may be one of the others.
        let full = c.kept.stats.len() + c.kept.tasks.len() >= c.kept.max;
        assert!(full || c.kept.stats.contains_key(&(child_pid, 0)));
        let own = i64::from(std::process::id());
        // The test harness runs this test on a thread of its own: this process has threads.
        assert!(full || c.kept.tasks.contains_key(&own));

        child.kill().unwrap();
        child.wait().unwrap();
        set.clear();
        c.update(&mut set).unwrap();
        assert!(!c.kept.stats.contains_key(&(child_pid, 0)));
        assert!(c.kept.stats.len() + c.kept.tasks.len() <= c.kept.max);
        assert!(c.kept.max <= KEPT_MAX);

        // With no task starting or ending in between, every thread is counted once. Other
        // tests of this binary start and end threads, so retry a few times.
        let consistent = (0..50).any(|_| {
            set.clear();
            c.update(&mut set).unwrap();
            let (_, threads, thread_states) = pids_and_threads(&set.encode_to_string());
            threads == thread_states
        });
        assert!(consistent, "{}", set.encode_to_string());
    }

    /// The premise of keeping descriptors: a kept stat file of a process that has exited fails
    /// (as vanished) instead of showing another process that took its pid later.
    #[test]
    fn kept_stat_of_an_exited_process_fails_as_vanished() {
        let mut child = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap();
        let proc_dir = Dir::open_listable(Path::new("/proc")).unwrap();
        let file = proc_dir.open_file(&format!("{}/stat", child.id())).unwrap();
        let mut buf = Vec::new();
        read_whole_at(&file, &mut buf).unwrap();
        assert!(parse_stat(&buf).is_ok());
        child.kill().unwrap();
        child.wait().unwrap();
        let err = read_whole_at(&file, &mut buf).unwrap_err();
        assert!(is_ignored(&err), "{err}");
    }

    #[test]
    fn malformed_stat_fails_with_the_pid() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "3/stat", "3 (x) S 1 2\n");
        let config = UnixConfig {
            procfs_path: dir.path().to_owned(),
            ..UnixConfig::default()
        };
        let err = ProcessesCollector::new(&config)
            .update(&mut FamilySet::new())
            .unwrap_err();
        assert!(
            err.contains("error reading stat for pid 3: unexpected EOF"),
            "{err}"
        );
    }
}
