//! node_exporter's `meminfo_numa` collector: memory per NUMA node, from
//! `/sys/devices/system/node/node<N>/meminfo` (gauges) and `numastat` (counters).

use ingot_prom::exposition::{FamilySet, MetricType};

use super::{Collector, UnixConfig};

pub(super) struct MeminfoNumaCollector {
    dir: std::path::PathBuf,
    buf: Vec<u8>,
    name: String,
    help: String,
}

impl MeminfoNumaCollector {
    pub(super) fn new(config: &UnixConfig) -> MeminfoNumaCollector {
        MeminfoNumaCollector {
            dir: config.sysfs_path.join("devices/system/node"),
            buf: Vec::new(),
            name: String::new(),
            help: String::new(),
        }
    }
}

impl Collector for MeminfoNumaCollector {
    fn name(&self) -> &'static str {
        "meminfo_numa"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let wrap = |e: String| format!("couldn't get NUMA meminfo: {e}");
        // Go's glob `node[0-9]*`, in name order.
        let mut nodes: Vec<String> = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| {
                    n.strip_prefix("node")
                        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        nodes.sort();
        // (family, node label, value, counter?) for every line, reported once all parsed.
        let mut rows: Vec<(String, String, f64, bool)> = Vec::new();
        for node in &nodes {
            let dir = self.dir.join(node);
            let path = dir.join("meminfo");
            ingot_hostfs::read::read_into(&path, &mut self.buf)
                .map_err(|e| wrap(super::open_error(&path, &e)))?;
            let text = String::from_utf8_lossy(&self.buf);
            for m in ingot_hostfs::numa::meminfo(&text).map_err(|e| wrap(e.to_string()))? {
                rows.push((m.key, m.node.to_owned(), m.value, false));
            }
            let path = dir.join("numastat");
            ingot_hostfs::read::read_into(&path, &mut self.buf)
                .map_err(|e| wrap(super::open_error(&path, &e)))?;
            // node_exporter's `.*devices/system/node/node([0-9]*)`: the digits after "node".
            let number: String = node[4..].chars().take_while(char::is_ascii_digit).collect();
            let text = String::from_utf8_lossy(&self.buf);
            for (key, v) in ingot_hostfs::numa::numastat(&text).map_err(|e| wrap(e.to_string()))? {
                rows.push((format!("{key}_total"), number.clone(), v, true));
            }
        }
        for (key, node, v, counter) in &rows {
            self.name.clear();
            self.name.push_str("node_memory_numa_");
            self.name.push_str(key);
            self.help.clear();
            self.help.push_str("Memory information field ");
            self.help.push_str(key);
            self.help.push('.');
            let kind = if *counter {
                MetricType::Counter
            } else {
                MetricType::Gauge
            };
            out.family_with(&self.name, &self.help, kind, &["node"])
                .push(&[node], *v);
        }
        Ok(())
    }
}
