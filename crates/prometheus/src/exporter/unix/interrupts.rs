//! node_exporter's `interrupts` collector: `/proc/interrupts`, one counter per interrupt and CPU.

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, IntText, UnixConfig};

const INTERRUPTS: Desc = Desc::new(
    "node_interrupts_total",
    "Interrupt details.",
    MetricType::Counter,
    &["cpu", "type", "info", "devices"],
);

pub(super) struct InterruptsCollector {
    file: KeptFile,
    buf: Vec<u8>,
}

impl InterruptsCollector {
    pub(super) fn new(config: &UnixConfig) -> InterruptsCollector {
        InterruptsCollector {
            file: KeptFile::new(config.procfs_path.join("interrupts")),
            buf: Vec::new(),
        }
    }
}

impl Collector for InterruptsCollector {
    fn name(&self) -> &'static str {
        "interrupts"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.file.read_into(&mut self.buf).map_err(|e| {
            format!(
                "couldn't get interrupts: {}",
                open_error(self.file.path(), &e)
            )
        })?;
        let text = String::from_utf8_lossy(&self.buf);
        let interrupts = ingot_hostfs::interrupts::parse(&text)
            .map_err(|e| format!("couldn't get interrupts: {e}"))?;
        let family = out.family(&INTERRUPTS);
        for i in &interrupts {
            for (cpu, value) in i.values.iter().enumerate() {
                let v = ingot_hostfs::num::parse_f64(value).ok_or_else(|| {
                    format!("invalid value {value} in interrupts: strconv.ParseFloat: parsing {value:?}: invalid syntax")
                })?;
                let cpu = IntText::new(cpu as i64);
                family.push(&[cpu.as_str(), i.name, &i.info, &i.devices], v);
            }
        }
        Ok(())
    }
}
