//! node_exporter's `lnstat` collector: the per-CPU network cache statistics of `/proc/net/stat/*`,
//! as counters `node_lnstat_<name>_total{subsystem,cpu}`.

use ingot_prom::exposition::{FamilySet, MetricType};

use super::{Collector, IntText, UnixConfig};

pub(super) struct LnstatCollector {
    dir: std::path::PathBuf,
    buf: Vec<u8>,
    name: String,
}

impl LnstatCollector {
    pub(super) fn new(config: &UnixConfig) -> LnstatCollector {
        LnstatCollector {
            dir: config.procfs_path.join("net/stat"),
            buf: Vec::new(),
            name: String::new(),
        }
    }
}

impl Collector for LnstatCollector {
    fn name(&self) -> &'static str {
        "lnstat"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        // procfs's glob `net/stat/*`, in name order; every file parses before anything is reported.
        let mut files: Vec<String> = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect(),
            Err(_) => Vec::new(),
        };
        files.sort();
        let mut rows: Vec<(usize, String, usize, u64)> = Vec::new();
        for (f, file) in files.iter().enumerate() {
            let path = self.dir.join(file);
            ingot_hostfs::read::read_into(&path, &mut self.buf)
                .map_err(|e| format!("lnstat error: {}", super::open_error(&path, &e)))?;
            let text = String::from_utf8_lossy(&self.buf);
            ingot_hostfs::lnstat::for_each(&text, |name, cpu, v| {
                rows.push((f, name.to_owned(), cpu, v))
            })
            .map_err(|e| format!("lnstat error: {}: {e}", path.display()))?;
        }
        for (f, name, cpu, v) in &rows {
            self.name.clear();
            self.name.push_str("node_lnstat_");
            self.name.push_str(name);
            self.name.push_str("_total");
            let cpu = IntText::new(*cpu as i64);
            out.family_with(
                &self.name,
                "linux network cache stats",
                MetricType::Counter,
                &["subsystem", "cpu"],
            )
            .push(&[&files[*f], cpu.as_str()], *v as f64);
        }
        Ok(())
    }
}
