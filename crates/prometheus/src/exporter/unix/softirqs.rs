//! node_exporter's `softirqs` collector: `/proc/softirqs`, one counter per vector and CPU.

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, IntText, UnixConfig};

const FUNCTIONS: Desc = Desc::new(
    "node_softirqs_functions_total",
    "Softirq counts per CPU.",
    MetricType::Counter,
    &["cpu", "type"],
);

pub(super) struct SoftirqsCollector {
    file: KeptFile,
    buf: Vec<u8>,
    counts: Vec<(&'static str, usize, u64)>,
}

impl SoftirqsCollector {
    pub(super) fn new(config: &UnixConfig) -> SoftirqsCollector {
        SoftirqsCollector {
            file: KeptFile::new(config.procfs_path.join("softirqs")),
            buf: Vec::new(),
            counts: Vec::new(),
        }
    }
}

impl Collector for SoftirqsCollector {
    fn name(&self) -> &'static str {
        "softirqs"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.file.read_into(&mut self.buf).map_err(|e| {
            format!(
                "couldn't get softirqs: {}",
                open_error(self.file.path(), &e)
            )
        })?;
        self.counts.clear();
        let counts = &mut self.counts;
        ingot_hostfs::interrupts::for_each_softirq(
            &String::from_utf8_lossy(&self.buf),
            |t, c, v| counts.push((t, c, v)),
        )
        .map_err(|e| format!("couldn't get softirqs: error parsing file: {e}"))?;
        let family = out.family(&FUNCTIONS);
        for &(kind, cpu, v) in &self.counts {
            family.push(&[IntText::new(cpu as i64).as_str(), kind], v as f64);
        }
        Ok(())
    }
}
