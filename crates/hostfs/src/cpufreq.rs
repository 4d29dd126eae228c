//! `/sys/devices/system/cpu/cpu<N>/cpufreq`, as prometheus/procfs 0.21's `SystemCpufreq` reads it.

use std::path::Path;

use crate::sysfs::{self, SysError};

/// One CPU's frequency settings; frequencies in kHz, as sysfs gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cpufreq {
    /// `N` of `cpu<N>`.
    pub name: String,
    pub cpuinfo_cur_freq: Option<u64>,
    pub cpuinfo_avg_freq: Option<u64>,
    pub cpuinfo_max_freq: Option<u64>,
    pub cpuinfo_min_freq: Option<u64>,
    pub cpuinfo_transition_latency: Option<u64>,
    pub scaling_cur_freq: Option<u64>,
    pub scaling_max_freq: Option<u64>,
    pub scaling_min_freq: Option<u64>,
    pub scaling_available_governors: String,
    pub scaling_driver: String,
    pub scaling_governor: String,
    pub related_cpus: String,
    pub scaling_setspeed: String,
}

/// Every online CPU of `<sysfs>/devices/system/cpu` that has a `cpufreq` directory, in the order
/// of `cpu[0-9]*` sorted as text (cpu0, cpu1, cpu10, cpu2). Fails, as procfs does, when the
/// `offline` list cannot be read or parsed, or when a CPU's numeric files (other than missing or
/// unreadable ones) or any of its five text files cannot be read.
///
/// procfs also parses `stats/time_in_state` and `stats/trans_table`, which node_exporter does not
/// export; they are not read here, so a kernel that refuses them (EFBIG on a large table) does not
/// fail the collector.
pub fn system_cpufreq(cpu_dir: &Path, buf: &mut Vec<u8>) -> Result<Vec<Cpufreq>, SysError> {
    let mut cpus = sysfs::glob(cpu_dir, |n| sysfs::prefix_then_digit(n, "cpu"));
    let offline_path = cpu_dir.join("offline");
    let offline = sysfs::read_file(&offline_path, buf)?;
    let offline = String::from_utf8_lossy(offline).into_owned();
    if !offline.trim().is_empty() {
        let offline =
            crate::sys::parse_cpu_range(&offline).map_err(|e| SysError::msg(e.to_string()))?;
        if !offline.is_empty() {
            let mut kept = Vec::with_capacity(cpus.len());
            for cpu in cpus {
                let n: u16 = cpu[3..].parse().map_err(|_| {
                    SysError::msg(format!(
                        "strconv.Atoi: parsing {:?}: invalid syntax",
                        &cpu[3..]
                    ))
                })?;
                if !offline.contains(&n) {
                    kept.push(cpu);
                }
            }
            cpus = kept;
        }
    }
    let mut out = Vec::with_capacity(cpus.len());
    for cpu in cpus {
        let dir = cpu_dir.join(&cpu).join("cpufreq");
        match std::fs::metadata(&dir) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(SysError::io("stat", &dir, &e)),
        }
        let mut freq = Cpufreq {
            name: cpu[3..].to_owned(),
            ..Cpufreq::default()
        };
        for (file, slot) in [
            ("cpuinfo_cur_freq", &mut freq.cpuinfo_cur_freq),
            ("cpuinfo_avg_freq", &mut freq.cpuinfo_avg_freq),
            ("cpuinfo_max_freq", &mut freq.cpuinfo_max_freq),
            ("cpuinfo_min_freq", &mut freq.cpuinfo_min_freq),
            (
                "cpuinfo_transition_latency",
                &mut freq.cpuinfo_transition_latency,
            ),
            ("scaling_cur_freq", &mut freq.scaling_cur_freq),
            ("scaling_max_freq", &mut freq.scaling_max_freq),
            ("scaling_min_freq", &mut freq.scaling_min_freq),
        ] {
            match sysfs::read_uint(&dir.join(file), buf) {
                Ok(v) => *slot = Some(v),
                Err(e) if e.is_not_found() || e.is_permission() => {}
                Err(e) => return Err(e),
            }
        }
        for (file, slot) in [
            (
                "scaling_available_governors",
                &mut freq.scaling_available_governors,
            ),
            ("scaling_driver", &mut freq.scaling_driver),
            ("scaling_governor", &mut freq.scaling_governor),
            ("related_cpus", &mut freq.related_cpus),
            ("scaling_setspeed", &mut freq.scaling_setspeed),
        ] {
            *slot = sysfs::read_value(&dir.join(file), buf)?;
        }
        out.push(freq);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, content: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    fn cpu(root: &Path, n: u32, cur: &str) {
        let d = format!("cpu{n}/cpufreq");
        write(root, &format!("{d}/scaling_cur_freq"), cur);
        for f in [
            "scaling_available_governors",
            "scaling_driver",
            "scaling_governor",
            "related_cpus",
            "scaling_setspeed",
        ] {
            write(root, &format!("{d}/{f}"), "x\n");
        }
    }

    #[test]
    fn offline_cpus_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut buf = Vec::new();
        assert!(system_cpufreq(root, &mut buf).unwrap_err().is_not_found());
        write(root, "offline", "1\n");
        cpu(root, 0, "800000\n");
        cpu(root, 1, "900000\n");
        cpu(root, 10, "1000000\n");
        std::fs::create_dir_all(root.join("cpu2")).unwrap();
        let freqs = system_cpufreq(root, &mut buf).unwrap();
        let names: Vec<_> = freqs.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["0", "10"]);
        assert_eq!(freqs[1].scaling_cur_freq, Some(1_000_000));
        assert_eq!(freqs[0].cpuinfo_max_freq, None);
        std::fs::remove_file(root.join("cpu0/cpufreq/scaling_driver")).unwrap();
        let err = system_cpufreq(root, &mut buf).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("cpu0/cpufreq/scaling_driver: no such file or directory"),
            "{err}"
        );
        write(root, "cpu0/cpufreq/scaling_driver", "x\n");
        write(root, "cpu0/cpufreq/scaling_max_freq", "<unknown>\n");
        assert!(system_cpufreq(root, &mut buf).is_err());
    }
}
