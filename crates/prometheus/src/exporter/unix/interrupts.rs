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

/// The `info` and `devices` labels node_exporter derives from a line's details (joined with single
/// spaces), kept by line position with the text they came from.
struct Details {
    text: String,
    info: String,
    devices: String,
}

pub(super) struct InterruptsCollector {
    file: KeptFile,
    buf: Vec<u8>,
    details: Vec<Details>,
}

impl InterruptsCollector {
    pub(super) fn new(config: &UnixConfig) -> InterruptsCollector {
        InterruptsCollector {
            file: KeptFile::new(config.procfs_path.join("interrupts")),
            buf: Vec::new(),
            details: Vec::new(),
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
        let family = out.family(&INTERRUPTS);
        let details = &mut self.details;
        let mut parts = Vec::new();
        let mut position = 0;
        let mut bad: Option<String> = None;
        ingot_hostfs::interrupts::for_each(&text, &mut parts, |i| {
            if bad.is_some() {
                return;
            }
            if details.len() <= position {
                details.push(Details {
                    text: String::new(),
                    info: String::new(),
                    devices: String::new(),
                });
            }
            let d = &mut details[position];
            position += 1;
            if d.text != i.details_text || d.text.is_empty() {
                d.text.clear();
                d.text.push_str(i.details_text);
                d.info.clear();
                d.devices.clear();
                let (info, devices) = if i.numbered {
                    (&i.details[..1], &i.details[1..])
                } else {
                    (i.details, &[][..])
                };
                for (target, words) in [(&mut d.info, info), (&mut d.devices, devices)] {
                    for (n, w) in words.iter().enumerate() {
                        if n > 0 {
                            target.push(' ');
                        }
                        target.push_str(w);
                    }
                }
            }
            for (cpu, value) in i.values.iter().enumerate() {
                let Some(v) = ingot_hostfs::num::parse_f64(value) else {
                    bad = Some(format!(
                        "invalid value {value} in interrupts: strconv.ParseFloat: parsing {value:?}: invalid syntax"
                    ));
                    return;
                };
                let cpu = IntText::new(cpu as i64);
                family.push(&[cpu.as_str(), i.name, &d.info, &d.devices], v);
            }
        })
        .map_err(|e| format!("couldn't get interrupts: {e}"))?;
        match bad {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
