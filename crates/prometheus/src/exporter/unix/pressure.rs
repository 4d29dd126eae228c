//! node_exporter's `pressure` collector: pressure stall information from `/proc/pressure/{cpu,io,memory,irq}`.

use std::io;

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig, NO_DATA};

const CPU: Desc = Desc::new(
    "node_pressure_cpu_waiting_seconds_total",
    "Total time in seconds that processes have waited for CPU time",
    MetricType::Counter,
    &[],
);
const IO: Desc = Desc::new(
    "node_pressure_io_waiting_seconds_total",
    "Total time in seconds that processes have waited due to IO congestion",
    MetricType::Counter,
    &[],
);
const IO_FULL: Desc = Desc::new(
    "node_pressure_io_stalled_seconds_total",
    "Total time in seconds no process could make progress due to IO congestion",
    MetricType::Counter,
    &[],
);
const MEMORY: Desc = Desc::new(
    "node_pressure_memory_waiting_seconds_total",
    "Total time in seconds that processes have waited for memory",
    MetricType::Counter,
    &[],
);
const MEMORY_FULL: Desc = Desc::new(
    "node_pressure_memory_stalled_seconds_total",
    "Total time in seconds no process could make progress due to memory congestion",
    MetricType::Counter,
    &[],
);
const IRQ_FULL: Desc = Desc::new(
    "node_pressure_irq_stalled_seconds_total",
    "Total time in seconds no process could make progress due to IRQ congestion",
    MetricType::Counter,
    &[],
);

const RESOURCES: [&str; 4] = ["cpu", "io", "memory", "irq"];

pub(super) struct PressureCollector {
    files: [KeptFile; 4],
    buf: Vec<u8>,
}

impl PressureCollector {
    pub(super) fn new(config: &UnixConfig) -> PressureCollector {
        let dir = config.procfs_path.join("pressure");
        PressureCollector {
            files: RESOURCES.map(|r| KeptFile::new(dir.join(r))),
            buf: Vec::new(),
        }
    }
}

/// Microseconds to seconds, as node_exporter divides (twice, so the rounding is the same).
fn seconds(total: u64) -> f64 {
    total as f64 / 1000.0 / 1000.0
}

impl Collector for PressureCollector {
    fn name(&self) -> &'static str {
        "pressure"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let mut found = 0;
        for (resource, file) in RESOURCES.iter().zip(&mut self.files) {
            match file.read_into(&mut self.buf) {
                Ok(()) => {}
                // No PSI on this kernel (or no IRQ pressure before 6.1).
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                // PSI compiled in but off (`psi=0`): the files exist and refuse reads.
                Err(e) if e.raw_os_error() == Some(ENOTSUP) => return Err(NO_DATA.into()),
                Err(e) => {
                    return Err(format!(
                        "failed to retrieve pressure stats: error reading file: psi_stats: unavailable for {resource:?}: {}",
                        open_error(file.path(), &e)
                    ))
                }
            }
            let text = String::from_utf8_lossy(&self.buf);
            let psi = ingot_hostfs::pressure::parse(&text).map_err(|e| {
                format!(
                    "failed to retrieve pressure stats: {}: {e}",
                    file.path().display()
                )
            })?;
            if psi.some.is_none() && *resource != "irq" {
                return Err(NO_DATA.into());
            }
            if psi.full.is_none() && *resource != "cpu" {
                return Err(NO_DATA.into());
            }
            let (some, full) = (psi.some.unwrap_or(0), psi.full.unwrap_or(0));
            match *resource {
                "cpu" => out.push(&CPU, &[], seconds(some)),
                "io" => {
                    out.push(&IO, &[], seconds(some));
                    out.push(&IO_FULL, &[], seconds(full));
                }
                "memory" => {
                    out.push(&MEMORY, &[], seconds(some));
                    out.push(&MEMORY_FULL, &[], seconds(full));
                }
                _ => out.push(&IRQ_FULL, &[], seconds(full)),
            }
            found += 1;
        }
        if found == 0 {
            return Err(NO_DATA.into());
        }
        Ok(())
    }
}

/// Linux's `ENOTSUP` (= `EOPNOTSUPP`).
const ENOTSUP: i32 = 95;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_pressure_files_is_no_data() {
        let dir = tempfile::tempdir().unwrap();
        let config = UnixConfig {
            procfs_path: dir.path().to_owned(),
            ..UnixConfig::default()
        };
        let mut c = PressureCollector::new(&config);
        assert_eq!(c.update(&mut FamilySet::new()).unwrap_err(), NO_DATA);
        std::fs::create_dir_all(dir.path().join("pressure")).unwrap();
        std::fs::write(
            dir.path().join("pressure/cpu"),
            "some avg10=0.00 avg60=0.00 avg300=0.00 total=14036781\n",
        )
        .unwrap();
        let mut set = FamilySet::new();
        c.update(&mut set).unwrap();
        assert_eq!(
            set.encode_to_string(),
            "# HELP node_pressure_cpu_waiting_seconds_total Total time in seconds that processes have waited for CPU time\n\
             # TYPE node_pressure_cpu_waiting_seconds_total counter\n\
             node_pressure_cpu_waiting_seconds_total 14.036781000000001\n"
        );
    }
}
