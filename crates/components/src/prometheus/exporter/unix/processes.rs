//! node_exporter's `processes` collector: process and thread states from `/proc/<pid>/stat` and
//! `/proc/<pid>/task/<tid>/stat`, and the kernel's limits.

use std::io;
use std::path::{Path, PathBuf};

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

pub(super) struct ProcessesCollector {
    procfs: PathBuf,
    threads_max_path: PathBuf,
    pid_max_path: PathBuf,
    states: StateCounts,
    thread_states: StateCounts,
    buf: Vec<u8>,
    path: PathBuf,
}

/// Processes and threads that vanish while we read them are skipped, as node_exporter does.
fn is_ignored(err: &io::Error) -> bool {
    ingot_hostfs::errno::is_vanished(err)
}

fn numeric_entries(dir: &Path) -> io::Result<Vec<i64>> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(id) = entry
            .file_name()
            .to_str()
            .and_then(ingot_hostfs::num::parse_i64_dec)
        {
            ids.push(id);
        }
    }
    Ok(ids)
}

impl ProcessesCollector {
    pub(super) fn new(config: &UnixConfig) -> ProcessesCollector {
        ProcessesCollector {
            procfs: config.procfs_path.clone(),
            threads_max_path: config.procfs_path.join("sys/kernel/threads-max"),
            pid_max_path: config.procfs_path.join("sys/kernel/pid_max"),
            states: StateCounts::default(),
            thread_states: StateCounts::default(),
            buf: Vec::new(),
            path: PathBuf::new(),
        }
    }

    /// Reads one stat file; `Ok(None)` if the task is gone.
    fn read_stat(&mut self, rel: &[&str]) -> Result<Option<(State, i64)>, String> {
        self.path.clear();
        self.path.push(&self.procfs);
        for part in rel {
            self.path.push(part);
        }
        match ingot_hostfs::read::read_into(&self.path, &mut self.buf) {
            Ok(()) => {}
            Err(e) if is_ignored(&e) => return Ok(None),
            Err(e) => return Err(open_error(&self.path, &e)),
        }
        let text = String::from_utf8_lossy(&self.buf);
        let stat = ingot_hostfs::process::parse_stat(&text).map_err(|e| e.to_string())?;
        Ok(Some((State::new(stat.state), stat.num_threads)))
    }

    fn count(&mut self) -> Result<(u64, i64), String> {
        let pids = numeric_entries(&self.procfs).map_err(|e| {
            format!(
                "unable to list all processes: {}",
                ingot_hostfs::errno::go_error_text(&e)
            )
        })?;
        let mut used = 0u64;
        let mut threads = 0i64;
        for pid in pids {
            let pid_text = super::IntText::new(pid);
            let Some((state, num_threads)) = self
                .read_stat(&[pid_text.as_str(), "stat"])
                .map_err(|e| format!("error reading stat for pid {pid}: {e}"))?
            else {
                continue;
            };
            used += 1;
            self.states.add(state.as_str());
            threads += num_threads;

            self.path.clear();
            self.path.push(&self.procfs);
            self.path.push(pid_text.as_str());
            self.path.push("task");
            let tids = match numeric_entries(&self.path) {
                Ok(tids) => tids,
                Err(e) if is_ignored(&e) => continue,
                Err(e) => {
                    return Err(format!(
                        "unable to list all threads for pid: {pid} {}",
                        ingot_hostfs::errno::go_error_text(&e)
                    ))
                }
            };
            for tid in tids {
                if tid == pid {
                    self.thread_states.add(state.as_str());
                    continue;
                }
                let tid_text = super::IntText::new(tid);
                match self.read_stat(&[pid_text.as_str(), "task", tid_text.as_str(), "stat"]) {
                    Ok(Some((thread_state, _))) => self.thread_states.add(thread_state.as_str()),
                    Ok(None) => {}
                    Err(e) => {
                        return Err(format!(
                            "error reading stat for pid:{pid} thread:{tid} err:{e}"
                        ))
                    }
                }
            }
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
        let max_threads = ingot_hostfs::read::read_u64(&self.threads_max_path, &mut self.buf)
            .map_err(|e| {
                format!(
                    "unable to retrieve limit number of threads: {}",
                    read_error(&self.threads_max_path, &e)
                )
            })?;
        out.push(&MAX_THREADS, &[], max_threads as f64);
        self.states.emit(out, &STATE);
        self.thread_states.emit(out, &THREADS_STATE);
        let pid_max =
            ingot_hostfs::read::read_u64(&self.pid_max_path, &mut self.buf).map_err(|e| {
                format!(
                    "unable to retrieve limit number of maximum pids allowed: {}",
                    read_error(&self.pid_max_path, &e)
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
