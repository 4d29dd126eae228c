//! node_exporter's `meminfo` collector: a fixed list of `/proc/meminfo` fields.
//!
//! Since node_exporter 1.9 only these fields are exported (a field the kernel adds later does
//! not appear until node_exporter names it). Fields in kB are reported in bytes; the four
//! `HugePages_*` counts are reported as printed.

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig};

struct Field {
    key: &'static str,
    desc: Desc,
    in_bytes: bool,
}

macro_rules! field {
    ($key:literal, $suffix:literal, $in_bytes:literal) => {
        Field {
            key: $key,
            desc: Desc::new(
                concat!("node_memory_", $suffix),
                concat!("Memory information field ", $suffix, "."),
                MetricType::Gauge,
                &[],
            ),
            in_bytes: $in_bytes,
        }
    };
}

// Sorted by key, for binary search.
const FIELDS: &[Field] = &[
    field!("Active", "Active_bytes", true),
    field!("Active(anon)", "Active_anon_bytes", true),
    field!("Active(file)", "Active_file_bytes", true),
    field!("AnonHugePages", "AnonHugePages_bytes", true),
    field!("AnonPages", "AnonPages_bytes", true),
    field!("Bounce", "Bounce_bytes", true),
    field!("Buffers", "Buffers_bytes", true),
    field!("Cached", "Cached_bytes", true),
    field!("CmaFree", "CmaFree_bytes", true),
    field!("CmaTotal", "CmaTotal_bytes", true),
    field!("CommitLimit", "CommitLimit_bytes", true),
    field!("Committed_AS", "Committed_AS_bytes", true),
    field!("DirectMap1G", "DirectMap1G_bytes", true),
    field!("DirectMap2M", "DirectMap2M_bytes", true),
    field!("DirectMap4k", "DirectMap4k_bytes", true),
    field!("Dirty", "Dirty_bytes", true),
    field!("HardwareCorrupted", "HardwareCorrupted_bytes", true),
    field!("HugePages_Free", "HugePages_Free", false),
    field!("HugePages_Rsvd", "HugePages_Rsvd", false),
    field!("HugePages_Surp", "HugePages_Surp", false),
    field!("HugePages_Total", "HugePages_Total", false),
    field!("Hugepagesize", "Hugepagesize_bytes", true),
    field!("Inactive", "Inactive_bytes", true),
    field!("Inactive(anon)", "Inactive_anon_bytes", true),
    field!("Inactive(file)", "Inactive_file_bytes", true),
    field!("KernelStack", "KernelStack_bytes", true),
    field!("Mapped", "Mapped_bytes", true),
    field!("MemAvailable", "MemAvailable_bytes", true),
    field!("MemFree", "MemFree_bytes", true),
    field!("MemTotal", "MemTotal_bytes", true),
    field!("Mlocked", "Mlocked_bytes", true),
    field!("NFS_Unstable", "NFS_Unstable_bytes", true),
    field!("PageTables", "PageTables_bytes", true),
    field!("Percpu", "Percpu_bytes", true),
    field!("SReclaimable", "SReclaimable_bytes", true),
    field!("SUnreclaim", "SUnreclaim_bytes", true),
    field!("Shmem", "Shmem_bytes", true),
    field!("ShmemHugePages", "ShmemHugePages_bytes", true),
    field!("ShmemPmdMapped", "ShmemPmdMapped_bytes", true),
    field!("Slab", "Slab_bytes", true),
    field!("SwapCached", "SwapCached_bytes", true),
    field!("SwapFree", "SwapFree_bytes", true),
    field!("SwapTotal", "SwapTotal_bytes", true),
    field!("Unevictable", "Unevictable_bytes", true),
    field!("VmallocChunk", "VmallocChunk_bytes", true),
    field!("VmallocTotal", "VmallocTotal_bytes", true),
    field!("VmallocUsed", "VmallocUsed_bytes", true),
    field!("Writeback", "Writeback_bytes", true),
    field!("WritebackTmp", "WritebackTmp_bytes", true),
    field!("Zswap", "Zswap_bytes", true),
    field!("Zswapped", "Zswapped_bytes", true),
];

pub(super) struct MeminfoCollector {
    file: KeptFile,
    buf: Vec<u8>,
    values: Vec<Option<f64>>,
}

impl MeminfoCollector {
    pub(super) fn new(config: &UnixConfig) -> MeminfoCollector {
        MeminfoCollector {
            file: KeptFile::new(config.procfs_path.join("meminfo")),
            buf: Vec::new(),
            values: vec![None; FIELDS.len()],
        }
    }
}

impl Collector for MeminfoCollector {
    fn name(&self) -> &'static str {
        "meminfo"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.file.read_into(&mut self.buf).map_err(|e| {
            format!(
                "couldn't get meminfo: failed to get memory info: {}",
                open_error(self.file.path(), &e)
            )
        })?;
        let text = String::from_utf8_lossy(&self.buf);
        self.values.iter_mut().for_each(|v| *v = None);
        let values = &mut self.values;
        ingot_hostfs::meminfo::for_each(&text, |line| {
            // A repeated key keeps its last value, as procfs's struct fields do.
            if let Ok(i) = FIELDS.binary_search_by(|f| f.key.cmp(line.key)) {
                let v = if FIELDS[i].in_bytes {
                    line.bytes
                } else {
                    line.value
                };
                values[i] = Some(v as f64);
            }
        })
        .map_err(|e| format!("couldn't get meminfo: failed to get memory info: {e}"))?;
        for (field, value) in FIELDS.iter().zip(&self.values) {
            if let Some(v) = value {
                out.push(&field.desc, &[], *v);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifty_one_fields_with_unique_names() {
        assert_eq!(FIELDS.len(), 51);
        let mut names: Vec<_> = FIELDS.iter().map(|f| f.desc.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 51);
        assert!(
            FIELDS.windows(2).all(|w| w[0].key < w[1].key),
            "FIELDS must stay sorted by key"
        );
    }

    #[test]
    fn unknown_fields_are_skipped_and_units_applied() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("meminfo"),
            "MemTotal:  2 kB\nHugePages_Total:  3\nSecPageTables:  4 kB\nActive(file): 1 kB\n",
        )
        .unwrap();
        let config = UnixConfig {
            procfs_path: dir.path().to_owned(),
            ..UnixConfig::default()
        };
        let mut c = MeminfoCollector::new(&config);
        let mut set = FamilySet::new();
        c.update(&mut set).unwrap();
        let text = set.encode_to_string();
        assert!(
            text.contains("\nnode_memory_MemTotal_bytes 2048\n"),
            "{text}"
        );
        assert!(text.contains("\nnode_memory_HugePages_Total 3\n"), "{text}");
        assert!(
            text.contains("\nnode_memory_Active_file_bytes 1024\n"),
            "{text}"
        );
        assert!(!text.contains("SecPageTables"), "{text}");
    }
}
