//! node_exporter's `cpufreq` collector: `/sys/devices/system/cpu/cpu*/cpufreq`. (With
//! `cpu.info` on, the cpu collector adds its own `node_cpu_frequency_hertz` from `/proc/cpuinfo`
//! while this collector is enabled, as node_exporter does.)

use std::path::PathBuf;

use ingot_hostfs::cpufreq;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, UnixConfig};

macro_rules! hertz {
    ($name:literal, $help:literal) => {
        Desc::new(
            concat!("node_cpu_", $name),
            $help,
            MetricType::Gauge,
            &["cpu"],
        )
    };
}

const FREQUENCY: Desc = hertz!("frequency_hertz", "Current CPU thread frequency in hertz.");
const FREQUENCY_AVG: Desc = hertz!(
    "frequency_avg_hertz",
    "Average CPU thread frequency in hertz."
);
const FREQUENCY_MIN: Desc = hertz!(
    "frequency_min_hertz",
    "Minimum CPU thread frequency in hertz."
);
const FREQUENCY_MAX: Desc = hertz!(
    "frequency_max_hertz",
    "Maximum CPU thread frequency in hertz."
);
const SCALING: Desc = hertz!(
    "scaling_frequency_hertz",
    "Current scaled CPU thread frequency in hertz."
);
const SCALING_MIN: Desc = hertz!(
    "scaling_frequency_min_hertz",
    "Minimum scaled CPU thread frequency in hertz."
);
const SCALING_MAX: Desc = hertz!(
    "scaling_frequency_max_hertz",
    "Maximum scaled CPU thread frequency in hertz."
);
const GOVERNOR: Desc = Desc::new(
    "node_cpu_scaling_governor",
    "Current enabled CPU frequency governor.",
    MetricType::Gauge,
    &["cpu", "governor"],
);

pub(super) struct CpufreqCollector {
    cpu_dir: PathBuf,
    buf: Vec<u8>,
}

impl CpufreqCollector {
    pub(super) fn new(config: &UnixConfig) -> CpufreqCollector {
        CpufreqCollector {
            cpu_dir: config.sysfs_path.join("devices/system/cpu"),
            buf: Vec::new(),
        }
    }
}

impl Collector for CpufreqCollector {
    fn name(&self) -> &'static str {
        "cpufreq"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let cpus =
            cpufreq::system_cpufreq(&self.cpu_dir, &mut self.buf).map_err(|e| e.to_string())?;
        // The cpu collector (run first) may have made `node_cpu_frequency_hertz` its own, with
        // `/proc/cpuinfo`'s labels and help; client_golang's registry then drops this collector's
        // samples of that name as inconsistent, and so does this one.
        let frequency_taken = out
            .get(FREQUENCY.name)
            .is_some_and(|f| f.help() != FREQUENCY.help);
        // sysfs gives kHz.
        for cpu in &cpus {
            for (desc, khz) in [
                (&FREQUENCY, cpu.cpuinfo_cur_freq),
                (&FREQUENCY_AVG, cpu.cpuinfo_avg_freq),
                (&FREQUENCY_MIN, cpu.cpuinfo_min_freq),
                (&FREQUENCY_MAX, cpu.cpuinfo_max_freq),
                (&SCALING, cpu.scaling_cur_freq),
                (&SCALING_MIN, cpu.scaling_min_freq),
                (&SCALING_MAX, cpu.scaling_max_freq),
            ] {
                if desc.name == FREQUENCY.name && frequency_taken {
                    continue;
                }
                if let Some(khz) = khz {
                    out.push(desc, &[&cpu.name], khz as f64 * 1000.0);
                }
            }
            if !cpu.scaling_governor.is_empty() {
                for governor in cpu.scaling_available_governors.split(' ') {
                    let on = governor == cpu.scaling_governor;
                    out.push(
                        &GOVERNOR,
                        &[&cpu.name, governor],
                        if on { 1.0 } else { 0.0 },
                    );
                }
            }
        }
        Ok(())
    }
}
