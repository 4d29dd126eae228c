//! The agent's process, as Alloy's `/metrics` reports it twice over: client_golang's process collector
//! (`process_*`, from procfs) and Alloy's resources collector (`alloy_resources_*`, from gopsutil), each
//! with its own rounding. Both read this process under `/proc/self`; the machine's network counters are
//! the sums over `/proc/net/dev` (every interface, loopback included), as gopsutil's `IOCounters`.
//!
//! A file that cannot be read or parsed leaves its metrics out of the gather, as both collectors do
//! (client_golang's without a word, Alloy's with a log line).

use std::path::PathBuf;

use ingot_hostfs::{limits, netdev, netstat, process, stat};
use ingot_prom::exposition::{Desc, FamilySet, MetricType};
use ingot_runtime::metrics::AgentCollector;

use MetricType::{Counter, Gauge};

/// USER_HZ: the kernel reports CPU times and the start time in 1/100 s, whatever the tick rate.
const TICKS_PER_SECOND: u64 = 100;

static CPU: Desc = Desc::new(
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
    Counter,
    &[],
);
static OPEN_FDS: Desc = Desc::new(
    "process_open_fds",
    "Number of open file descriptors.",
    Gauge,
    &[],
);
static MAX_FDS: Desc = Desc::new(
    "process_max_fds",
    "Maximum number of open file descriptors.",
    Gauge,
    &[],
);
static VIRTUAL: Desc = Desc::new(
    "process_virtual_memory_bytes",
    "Virtual memory size in bytes.",
    Gauge,
    &[],
);
static VIRTUAL_MAX: Desc = Desc::new(
    "process_virtual_memory_max_bytes",
    "Maximum amount of virtual memory available in bytes.",
    Gauge,
    &[],
);
static RESIDENT: Desc = Desc::new(
    "process_resident_memory_bytes",
    "Resident memory size in bytes.",
    Gauge,
    &[],
);
static START: Desc = Desc::new(
    "process_start_time_seconds",
    "Start time of the process since unix epoch in seconds.",
    Gauge,
    &[],
);
static NET_RECEIVE: Desc = Desc::new(
    "process_network_receive_bytes_total",
    "Number of bytes received by the process over the network.",
    Counter,
    &[],
);
static NET_TRANSMIT: Desc = Desc::new(
    "process_network_transmit_bytes_total",
    "Number of bytes sent by the process over the network.",
    Counter,
    &[],
);

static RES_START: Desc = Desc::new(
    "alloy_resources_process_start_time_seconds",
    "Start time of the process since Unix epoch in seconds.",
    Gauge,
    &[],
);
static RES_CPU: Desc = Desc::new(
    "alloy_resources_process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
    Counter,
    &[],
);
static RES_RESIDENT: Desc = Desc::new(
    "alloy_resources_process_resident_memory_bytes",
    "Current resident memory size in bytes.",
    Gauge,
    &[],
);
static RES_VIRTUAL: Desc = Desc::new(
    "alloy_resources_process_virtual_memory_bytes",
    "Current virtual memory size in bytes.",
    Gauge,
    &[],
);
static RES_RX: Desc = Desc::new(
    "alloy_resources_machine_rx_bytes_total",
    "Total bytes, host-wide, received across all network interfaces.",
    Counter,
    &[],
);
static RES_TX: Desc = Desc::new(
    "alloy_resources_machine_tx_bytes_total",
    // Alloy's words, grammar included.
    "Total bytes, host-wide, sent across all given network interface.",
    Counter,
    &[],
);

/// Collects `process_*` and `alloy_resources_*` for the process whose `/proc/<pid>` directory is
/// `proc_root/<pid>`.
pub struct ProcessCollector {
    proc_root: PathBuf,
    pid: String,
    page_size: u64,
}

impl Default for ProcessCollector {
    fn default() -> ProcessCollector {
        ProcessCollector::new(
            PathBuf::from("/proc"),
            "self",
            ingot_hostfs::sys::page_size(),
        )
    }
}

impl ProcessCollector {
    /// `pid` is a directory name under `proc_root` (`self`, or a number).
    pub fn new(proc_root: PathBuf, pid: &str, page_size: u64) -> ProcessCollector {
        ProcessCollector {
            proc_root,
            pid: pid.to_string(),
            page_size,
        }
    }

    fn read(&self, rel: &str) -> Result<String, String> {
        let path = self.proc_root.join(rel);
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))
    }

    fn read_own(&self, rel: &str) -> Result<String, String> {
        self.read(&format!("{}/{rel}", self.pid))
    }
}

impl AgentCollector for ProcessCollector {
    fn collect(&self, set: &mut FamilySet) {
        let boot_time = self
            .read("stat")
            .and_then(|t| stat::boot_time(&t).map_err(|e| e.to_string()));
        match self.read_own("stat").and_then(|t| {
            process::parse_stat(&t)
                .map(copy_stat)
                .map_err(|e| e.to_string())
        }) {
            Ok(s) => {
                // client_golang (procfs): times in float seconds; the start time with its fraction.
                let cpu = (s.utime + s.stime) as f64 / TICKS_PER_SECOND as f64;
                set.push(&CPU, &[], cpu);
                set.push(&VIRTUAL, &[], s.vsize as f64);
                set.push(
                    &RESIDENT,
                    &[],
                    (s.rss.max(0) as u64 * self.page_size) as f64,
                );
                // gopsutil: user and system each in seconds, then added; the same sizes.
                let res_cpu = s.utime as f64 / TICKS_PER_SECOND as f64
                    + s.stime as f64 / TICKS_PER_SECOND as f64;
                set.push(&RES_CPU, &[], res_cpu);
                set.push(
                    &RES_RESIDENT,
                    &[],
                    (s.rss.max(0) as u64 * self.page_size) as f64,
                );
                set.push(&RES_VIRTUAL, &[], s.vsize as f64);
                match &boot_time {
                    Ok(boot) => {
                        let start = *boot as f64 + s.starttime as f64 / TICKS_PER_SECOND as f64;
                        set.push(&START, &[], start);
                        // gopsutil: whole seconds after boot, in milliseconds, then back to seconds.
                        let created = s.starttime / TICKS_PER_SECOND + boot;
                        set.push(&RES_START, &[], created as f64);
                    }
                    Err(e) => resources_error(&RES_START, e),
                }
            }
            Err(e) => {
                for d in [&RES_CPU, &RES_RESIDENT, &RES_VIRTUAL, &RES_START] {
                    resources_error(d, &e);
                }
            }
        }
        if let Ok(fds) = std::fs::read_dir(self.proc_root.join(&self.pid).join("fd")) {
            set.push(&OPEN_FDS, &[], fds.count() as f64);
        }
        if let Ok(l) = self
            .read_own("limits")
            .and_then(|t| limits::parse_limits(&t).map_err(|e| e.to_string()))
        {
            set.push(&MAX_FDS, &[], l.open_files as f64);
            set.push(&VIRTUAL_MAX, &[], l.address_space as f64);
        }
        if let Ok(text) = self.read_own("net/netstat") {
            let octets = |name| netstat::value(&text, "IpExt", name).unwrap_or(0) as f64;
            set.push(&NET_RECEIVE, &[], octets("InOctets"));
            set.push(&NET_TRANSMIT, &[], octets("OutOctets"));
        }
        let mut rx = 0u64;
        let mut tx = 0u64;
        let dev = self.read("net/dev").and_then(|t| {
            netdev::for_each(&t, |line| {
                rx = rx.wrapping_add(line.counters[0]);
                tx = tx.wrapping_add(line.counters[8]);
            })
            .map_err(|e| e.to_string())
        });
        match dev {
            Ok(()) => {
                set.push(&RES_RX, &[], rx as f64);
                set.push(&RES_TX, &[], tx as f64);
            }
            Err(e) => {
                resources_error(&RES_RX, &e);
                resources_error(&RES_TX, &e);
            }
        }
    }
}

/// The numbers of `/proc/<pid>/stat` this collector uses, without the borrowed text.
struct Stat {
    utime: u64,
    stime: u64,
    starttime: u64,
    vsize: u64,
    rss: i64,
}

fn copy_stat(s: process::ProcStat<'_>) -> Stat {
    Stat {
        utime: s.utime,
        stime: s.stime,
        starttime: s.starttime,
        vsize: s.vsize,
        rss: s.rss,
    }
}

/// Alloy's resources collector logs each metric it could not collect, on every gather.
fn resources_error(desc: &Desc, err: &str) {
    tracing::error!(name = desc.name, err, "failed to collect resources metric");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A /proc with one process, pid 42: 1234 + 567 ticks of CPU, started 250.37 s after a boot at
    /// 1,700,000,000, 100 MiB of address space and 2,000 resident pages.
    fn fake_proc() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("42/fd")).unwrap();
        std::fs::create_dir_all(p.join("42/net")).unwrap();
        std::fs::create_dir_all(p.join("net")).unwrap();
        for fd in ["0", "1", "2", "7"] {
            std::fs::write(p.join("42/fd").join(fd), "").unwrap();
        }
        std::fs::write(
            p.join("42/stat"),
            "42 (ingot) S 1 42 42 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 3 0 25037 104857600 2000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
        )
        .unwrap();
        std::fs::write(p.join("stat"), "cpu  1 2 3 4\nbtime 1700000000\n").unwrap();
        std::fs::write(
            p.join("42/limits"),
            "Limit                     Soft Limit           Hard Limit           Units     \n\
             Max open files            65536                65536                files     \n\
             Max address space         unlimited            unlimited            bytes     \n",
        )
        .unwrap();
        std::fs::write(
            p.join("42/net/netstat"),
            "IpExt: InOctets OutOctets\nIpExt: 1000 2000\n",
        )
        .unwrap();
        std::fs::write(
            p.join("net/dev"),
            "Inter-|   Receive                                                |  Transmit\n \
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    \
             lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n  \
             eth0: 5000 10 0 0 0 0 0 0 7000 20 0 0 0 0 0 0\n",
        )
        .unwrap();
        dir
    }

    #[test]
    fn both_collectors_with_their_own_rounding() {
        let proc = fake_proc();
        let c = ProcessCollector::new(proc.path().to_path_buf(), "42", 4096);
        let mut set = FamilySet::new();
        c.collect(&mut set);
        let samples: Vec<String> = set
            .encode_to_string()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        assert_eq!(
            samples,
            [
                "alloy_resources_machine_rx_bytes_total 5100",
                "alloy_resources_machine_tx_bytes_total 7100",
                "alloy_resources_process_cpu_seconds_total 18.009999999999998",
                "alloy_resources_process_resident_memory_bytes 8.192e+06",
                "alloy_resources_process_start_time_seconds 1.70000025e+09",
                "alloy_resources_process_virtual_memory_bytes 1.048576e+08",
                "process_cpu_seconds_total 18.01",
                "process_max_fds 65536",
                "process_network_receive_bytes_total 1000",
                "process_network_transmit_bytes_total 2000",
                "process_open_fds 4",
                "process_resident_memory_bytes 8.192e+06",
                "process_start_time_seconds 1.70000025037e+09",
                "process_virtual_memory_bytes 1.048576e+08",
                "process_virtual_memory_max_bytes 1.8446744073709552e+19",
            ]
        );
    }

    #[test]
    fn this_process_has_sane_values() {
        let mut set = FamilySet::new();
        ProcessCollector::default().collect(&mut set);
        let value = |name: &str| -> f64 {
            set.get(name)
                .and_then(|f| f.samples().next().map(|s| s.value()))
                .unwrap_or_else(|| panic!("{name} missing"))
        };
        assert!(value("process_resident_memory_bytes") > 1e6);
        assert!(value("process_open_fds") >= 3.0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let start = value("process_start_time_seconds");
        assert!(
            start > now - 3600.0 && start <= now + 1.0,
            "{start} vs {now}"
        );
        assert!((value("alloy_resources_process_start_time_seconds") - start).abs() < 1.0);
        assert!(value("alloy_resources_machine_rx_bytes_total") >= 0.0);
    }
}
