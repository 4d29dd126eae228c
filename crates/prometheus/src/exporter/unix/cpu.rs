//! node_exporter's `cpu` collector: `/proc/stat`, `/proc/cpuinfo` and the CPU topology in sysfs.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::PathBuf;

use ingot_hostfs::read::KeptFile;
use ingot_hostfs::stat::CpuTimes;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};
use regex::Regex;

use super::config::optional_regex;
use super::{open_error, Collector, ConfigError, IntText, LazyDir, UnixConfig};

const SECONDS: Desc = Desc::new(
    "node_cpu_seconds_total",
    "Seconds the CPUs spent in each mode.",
    MetricType::Counter,
    &["cpu", "mode"],
);
const GUEST: Desc = Desc::new(
    "node_cpu_guest_seconds_total",
    "Seconds the CPUs spent in guests (VMs) for each mode.",
    MetricType::Counter,
    &["cpu", "mode"],
);
const INFO: Desc = Desc::new(
    "node_cpu_info",
    "CPU information from /proc/cpuinfo.",
    MetricType::Gauge,
    &[
        "package",
        "core",
        "cpu",
        "vendor",
        "family",
        "model",
        "model_name",
        "microcode",
        "stepping",
        "cachesize",
    ],
);
/// Emitted with `node_cpu_info` when the cpufreq collector is enabled too (node_exporter's cpu
/// collector looks at the cpufreq collector's state for this).
const FREQUENCY: Desc = Desc::new(
    "node_cpu_frequency_hertz",
    "CPU frequency in hertz from /proc/cpuinfo.",
    MetricType::Gauge,
    &["package", "core", "cpu"],
);
const FLAG_INFO: Desc = Desc::new(
    "node_cpu_flag_info",
    "The `flags` field of CPU information from /proc/cpuinfo taken from the first core.",
    MetricType::Gauge,
    &["flag"],
);
const BUG_INFO: Desc = Desc::new(
    "node_cpu_bug_info",
    "The `bugs` field of CPU information from /proc/cpuinfo taken from the first core.",
    MetricType::Gauge,
    &["bug"],
);
const CORE_THROTTLES: Desc = Desc::new(
    "node_cpu_core_throttles_total",
    "Number of times this CPU core has been throttled.",
    MetricType::Counter,
    &["package", "core"],
);
const PACKAGE_THROTTLES: Desc = Desc::new(
    "node_cpu_package_throttles_total",
    "Number of times this CPU package has been throttled.",
    MetricType::Counter,
    &["package"],
);
const ISOLATED: Desc = Desc::new(
    "node_cpu_isolated",
    "Whether each core is isolated, information from /sys/devices/system/cpu/isolated.",
    MetricType::Gauge,
    &["cpu"],
);
const ONLINE: Desc = Desc::new(
    "node_cpu_online",
    "CPUs that are online and being scheduled.",
    MetricType::Gauge,
    &["cpu"],
);

/// node_exporter resets a CPU's counters when idle goes back by this many seconds (a hotplug).
const JUMP_BACK_SECONDS: f64 = 3.0;

pub(super) struct CpuCollector {
    stat: KeptFile,
    cpuinfo_path: PathBuf,
    guest: bool,
    info: bool,
    /// `node_cpu_frequency_hertz` from `/proc/cpuinfo`: with `info`, when cpufreq is enabled.
    frequency: bool,
    flags_include: Option<Regex>,
    bugs_include: Option<Regex>,
    /// Read once at start, as node_exporter does.
    isolated: Option<Vec<u16>>,
    /// Last reported times per CPU, so counters never go backwards.
    last: HashMap<i64, CpuTimes>,
    current: Vec<(i64, CpuTimes)>,
    cpu_fd: LazyDir,
    buf: Vec<u8>,
    small_buf: Vec<u8>,
}

impl CpuCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<CpuCollector, ConfigError> {
        let flags_include = optional_regex("cpu.flags_include", &config.cpu.flags_include)?;
        let bugs_include = optional_regex("cpu.bugs_include", &config.cpu.bugs_include)?;
        let cpu_dir = config.sysfs_path.join("devices/system/cpu");
        let isolated_path = cpu_dir.join("isolated");
        let isolated = match std::fs::read(&isolated_path) {
            Ok(data) => Some(
                ingot_hostfs::sys::parse_cpu_range(&String::from_utf8_lossy(&data))
                    .map_err(|e| ConfigError(format!("unable to get isolated cpus: {e}")))?,
            ),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(ConfigError(format!(
                    "unable to get isolated cpus: {}",
                    open_error(&isolated_path, &e)
                )))
            }
        };
        Ok(CpuCollector {
            stat: KeptFile::new(config.procfs_path.join("stat")),
            cpuinfo_path: config.procfs_path.join("cpuinfo"),
            cpu_fd: LazyDir::new(cpu_dir),
            guest: config.cpu.guest,
            info: config.cpu.info || flags_include.is_some() || bugs_include.is_some(),
            frequency: config.collector_selection().enabled.contains(&"cpufreq"),
            flags_include,
            bugs_include,
            isolated,
            last: HashMap::new(),
            current: Vec::new(),
            buf: Vec::new(),
            small_buf: Vec::new(),
        })
    }

    fn update_info(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let text = ingot_hostfs::read::read_str(&self.cpuinfo_path, &mut self.buf)
            .map_err(|e| open_error(&self.cpuinfo_path, &e))?;
        let cpus = ingot_hostfs::cpuinfo::parse_x86(text).map_err(|e| e.to_string())?;
        let family = out.family(&INFO);
        for cpu in &cpus {
            let n = IntText::new(i64::from(cpu.processor));
            family.push(
                &[
                    cpu.physical_id,
                    cpu.core_id,
                    n.as_str(),
                    cpu.vendor_id,
                    cpu.cpu_family,
                    cpu.model,
                    cpu.model_name,
                    cpu.microcode,
                    cpu.stepping,
                    cpu.cache_size,
                ],
                1.0,
            );
        }
        if self.frequency {
            let family = out.family(&FREQUENCY);
            for cpu in &cpus {
                let n = IntText::new(i64::from(cpu.processor));
                family.push(
                    &[cpu.physical_id, cpu.core_id, n.as_str()],
                    cpu.cpu_mhz * 1e6,
                );
            }
        }
        if let Some(first) = cpus.first() {
            for (list, filter, desc) in [
                (first.flags, &self.flags_include, &FLAG_INFO),
                (first.bugs, &self.bugs_include, &BUG_INFO),
            ] {
                let Some(filter) = filter else { continue };
                for value in list.split_whitespace() {
                    if filter.is_match(value) {
                        out.push(desc, &[value], 1.0);
                    }
                }
            }
        }
        Ok(())
    }

    fn update_stat(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.stat
            .read_into(&mut self.buf)
            .map_err(|e| open_error(self.stat.path(), &e))?;
        let text = std::str::from_utf8(&self.buf).map_err(|e| e.to_string())?;
        self.current.clear();
        let current = &mut self.current;
        ingot_hostfs::stat::for_each_cpu(text, |line| {
            if let Some(cpu) = line.cpu {
                current.push((cpu, line.times));
            }
        })
        .map_err(|e| e.to_string())?;
        // A CPU listed twice keeps its last line, as procfs's map does.
        for &(cpu, new) in &self.current {
            let mut kept = self.last.get(&cpu).copied().unwrap_or_default();
            if kept.idle - new.idle >= JUMP_BACK_SECONDS {
                kept = CpuTimes::default();
            }
            for (k, n) in [
                (&mut kept.idle, new.idle),
                (&mut kept.user, new.user),
                (&mut kept.nice, new.nice),
                (&mut kept.system, new.system),
                (&mut kept.iowait, new.iowait),
                (&mut kept.irq, new.irq),
                (&mut kept.softirq, new.softirq),
                (&mut kept.steal, new.steal),
                (&mut kept.guest, new.guest),
                (&mut kept.guest_nice, new.guest_nice),
            ] {
                if n >= *k {
                    *k = n;
                }
            }
            self.last.insert(cpu, kept);
        }
        if self.last.len() != self.current.len() {
            let current = &self.current;
            self.last
                .retain(|cpu, _| current.iter().any(|(c, _)| c == cpu));
        }
        let seconds = out.family(&SECONDS);
        for (&cpu, t) in &self.last {
            let n = IntText::new(cpu);
            let n = n.as_str();
            for (mode, v) in [
                ("user", t.user),
                ("nice", t.nice),
                ("system", t.system),
                ("idle", t.idle),
                ("iowait", t.iowait),
                ("irq", t.irq),
                ("softirq", t.softirq),
                ("steal", t.steal),
            ] {
                seconds.push(&[n, mode], v);
            }
        }
        if self.guest {
            let guest = out.family(&GUEST);
            for (&cpu, t) in &self.last {
                let n = IntText::new(cpu);
                guest.push(&[n.as_str(), "user"], t.guest);
                guest.push(&[n.as_str(), "nice"], t.guest_nice);
            }
        }
        Ok(())
    }

    fn read_u64_at(&mut self, cpu: &str, rel: &str) -> Option<u64> {
        self.cpu_fd.read_u64(cpu, rel, &mut self.small_buf).ok()
    }

    fn update_thermal_throttle(&mut self, out: &mut FamilySet, dirs: &[String]) {
        let mut packages: BTreeMap<u64, u64> = BTreeMap::new();
        let mut cores: BTreeMap<(u64, u64), u64> = BTreeMap::new();
        for dir in dirs {
            let Some(package) = self.read_u64_at(dir, "topology/physical_package_id") else {
                continue;
            };
            let Some(core) = self.read_u64_at(dir, "topology/core_id") else {
                continue;
            };
            // One counter per core and per package, from the first of its CPUs that has it.
            if let Entry::Vacant(slot) = cores.entry((package, core)) {
                if let Some(count) = self.read_u64_at(dir, "thermal_throttle/core_throttle_count") {
                    slot.insert(count);
                }
            }
            if let Entry::Vacant(slot) = packages.entry(package) {
                if let Some(count) =
                    self.read_u64_at(dir, "thermal_throttle/package_throttle_count")
                {
                    slot.insert(count);
                }
            }
        }
        for (package, count) in packages {
            out.push(
                &PACKAGE_THROTTLES,
                &[IntText::new(package as i64).as_str()],
                count as f64,
            );
        }
        for ((package, core), count) in cores {
            let (p, c) = (IntText::new(package as i64), IntText::new(core as i64));
            out.push(&CORE_THROTTLES, &[p.as_str(), c.as_str()], count as f64);
        }
    }

    fn update_online(&mut self, out: &mut FamilySet, dirs: &[String]) {
        // Kernels without CPU hotplug have no cpu0/online; node_exporter then emits nothing.
        let Some(first) = dirs.first() else {
            return;
        };
        if let Err(e) = self
            .cpu_fd
            .read_sys_value(first, "online", &mut self.small_buf)
        {
            if e.kind() == io::ErrorKind::NotFound {
                return;
            }
        }
        for name in dirs {
            let online = self
                .cpu_fd
                .read_sys_value(name, "online", &mut self.small_buf)
                .is_ok_and(|v| v == "1");
            let number = name.strip_prefix("cpu").unwrap_or(name);
            out.push(&ONLINE, &[number], if online { 1.0 } else { 0.0 });
        }
    }
}

impl Collector for CpuCollector {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        if self.info {
            self.update_info(out)?;
        }
        self.update_stat(out)?;
        if let Some(isolated) = &self.isolated {
            for &cpu in isolated {
                out.push(&ISOLATED, &[IntText::new(i64::from(cpu)).as_str()], 1.0);
            }
        }
        let dirs = self.cpu_fd.glob_numbered("cpu", &mut self.buf);
        self.update_thermal_throttle(out, &dirs);
        self.update_online(out, &dirs);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn write(root: &Path, rel: &str, content: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    fn collector(root: &Path, guest: bool) -> CpuCollector {
        let config = UnixConfig {
            procfs_path: root.join("proc"),
            sysfs_path: root.join("sys"),
            cpu: super::super::CpuConfig {
                guest,
                ..Default::default()
            },
            ..UnixConfig::default()
        };
        CpuCollector::new(&config).unwrap()
    }

    fn gather(c: &mut CpuCollector) -> String {
        let mut set = FamilySet::new();
        c.update(&mut set).unwrap();
        set.encode_to_string()
    }

    #[test]
    fn counters_never_go_backwards_until_a_hotplug() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "proc/stat",
            "cpu 1 1 1 1\ncpu0 100 0 0 100000 0 0 0 0 0 0\n",
        );
        let mut c = collector(root, false);
        assert!(gather(&mut c).contains("node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 1\n"));
        // user goes back: the old value is kept.
        write(root, "proc/stat", "cpu0 50 0 0 100001 0 0 0 0 0 0\n");
        let text = gather(&mut c);
        assert!(text.contains("{cpu=\"0\",mode=\"user\"} 1\n"), "{text}");
        assert!(
            text.contains("{cpu=\"0\",mode=\"idle\"} 1000.01\n"),
            "{text}"
        );
        // idle goes back by more than 3 s: the CPU starts over.
        write(root, "proc/stat", "cpu0 50 0 0 500 0 0 0 0 0 0\n");
        let text = gather(&mut c);
        assert!(text.contains("{cpu=\"0\",mode=\"user\"} 0.5\n"), "{text}");
        assert!(!text.contains("guest"), "{text}");
    }

    #[test]
    fn offline_cpus_disappear_and_guest_is_optional() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "proc/stat",
            "cpu0 1 0 0 1 0 0 0 0 3 4\ncpu1 1 0 0 1 0 0 0 0 0 0\n",
        );
        let mut c = collector(root, true);
        let text = gather(&mut c);
        assert!(
            text.contains("node_cpu_guest_seconds_total{cpu=\"0\",mode=\"nice\"} 0.04\n"),
            "{text}"
        );
        assert!(text.contains("{cpu=\"1\",mode=\"user\"}"));
        write(root, "proc/stat", "cpu0 1 0 0 1 0 0 0 0 3 4\n");
        assert!(!gather(&mut c).contains("{cpu=\"1\","));
    }

    #[test]
    fn online_only_when_cpu0_reports_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "proc/stat", "cpu0 1 0 0 1\n");
        write(root, "sys/devices/system/cpu/cpu1/online", "1\n");
        std::fs::create_dir_all(root.join("sys/devices/system/cpu/cpu0")).unwrap();
        let mut c = collector(root, false);
        assert!(!gather(&mut c).contains("node_cpu_online"));
        write(root, "sys/devices/system/cpu/cpu0/online", "0\n");
        let text = gather(&mut c);
        assert!(
            text.contains("node_cpu_online{cpu=\"0\"} 0\nnode_cpu_online{cpu=\"1\"} 1\n"),
            "{text}"
        );
    }

    #[test]
    fn throttles_come_from_the_first_cpu_that_has_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "proc/stat", "cpu0 1 0 0 1\n");
        let cpu = "sys/devices/system/cpu";
        for n in [0, 1, 2] {
            let package = if n == 2 { "1" } else { "0" };
            write(
                root,
                &format!("{cpu}/cpu{n}/topology/physical_package_id"),
                package,
            );
            write(root, &format!("{cpu}/cpu{n}/topology/core_id"), "0\n");
        }
        // cpu0 lacks the counters; its sibling cpu1 has them.
        write(
            root,
            &format!("{cpu}/cpu1/thermal_throttle/core_throttle_count"),
            "7\n",
        );
        write(
            root,
            &format!("{cpu}/cpu1/thermal_throttle/package_throttle_count"),
            "3\n",
        );
        write(
            root,
            &format!("{cpu}/cpu2/thermal_throttle/core_throttle_count"),
            "1\n",
        );
        let text = gather(&mut collector(root, false));
        assert!(
            text.contains(
                "node_cpu_core_throttles_total{core=\"0\",package=\"0\"} 7\n\
                 node_cpu_core_throttles_total{core=\"0\",package=\"1\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("# TYPE node_cpu_package_throttles_total counter\nnode_cpu_package_throttles_total{package=\"0\"} 3\n# HELP"),
            "{text}"
        );
    }

    #[test]
    fn missing_stat_fails() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = collector(dir.path(), false);
        let err = c.update(&mut FamilySet::new()).unwrap_err();
        assert!(
            err.starts_with("open ") && err.ends_with("proc/stat: no such file or directory"),
            "{err}"
        );
    }
}
