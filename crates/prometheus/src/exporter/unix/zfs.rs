//! node_exporter's `zfs` collector: OpenZFS's kstats under `/proc/spl/kstat/zfs` (ARC, dbuf, ZIL,
//! ... as untyped `node_zfs_<subsystem>_<name>`), and per pool its I/O, datasets and state. Without
//! ZFS there is no data.

use std::path::PathBuf;

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, UnixConfig, NO_DATA};

/// node_exporter's subsystems and the kstat file each reads.
const SUBSYSTEMS: [(&str, &str); 11] = [
    ("zfs_abd", "abdstats"),
    ("zfs_arc", "arcstats"),
    ("zfs_dbuf", "dbufstats"),
    ("zfs_dmu_tx", "dmu_tx"),
    ("zfs_dnode", "dnodestats"),
    ("zfs_fm", "fm"),
    ("zfs_vdev_cache", "vdev_cache_stats"),
    ("zfs_vdev_mirror", "vdev_mirror_stats"),
    ("zfs_xuio", "xuio_stats"),
    ("zfs_zfetch", "zfetchstats"),
    ("zfs_zil", "zil"),
];

const POOL_STATES: [&str; 7] = [
    "online",
    "degraded",
    "faulted",
    "offline",
    "removed",
    "unavail",
    "suspended",
];

const POOL_STATE: Desc = Desc::new(
    "node_zfs_zpool_state",
    "kstat.zfs.misc.state",
    MetricType::Gauge,
    &["zpool", "state"],
);

pub(super) struct ZfsCollector {
    base: PathBuf,
    buf: Vec<u8>,
    name: String,
    help: String,
}

impl ZfsCollector {
    pub(super) fn new(config: &UnixConfig) -> ZfsCollector {
        ZfsCollector {
            base: config.procfs_path.join("spl/kstat/zfs"),
            buf: Vec::new(),
            name: String::new(),
            help: String::new(),
        }
    }

    /// `node_<subsystem>_<kstat with - as _>` and its help, `kstat.zfs.misc.<file>.<kstat>`.
    fn describe(&mut self, subsystem: &str, file: &str, kstat: &str) {
        self.name.clear();
        self.name.push_str("node_");
        self.name.push_str(subsystem);
        self.name.push('_');
        self.name
            .extend(kstat.chars().map(|c| if c == '-' { '_' } else { c }));
        self.help.clear();
        self.help.push_str("kstat.zfs.misc.");
        self.help.push_str(file);
        self.help.push('.');
        self.help.push_str(kstat);
    }

    /// The pool directories' files matching `<pool>/<file>` (a `prefix*` when `prefixed`), in
    /// path order, as Go's glob lists them.
    fn pool_files(&self, file: &str, prefixed: bool) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let Ok(pools) = std::fs::read_dir(&self.base) else {
            return out;
        };
        let mut pools: Vec<String> = pools
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        pools.sort();
        for pool in pools {
            let dir = self.base.join(&pool);
            if prefixed {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|n| n.starts_with(file))
                    .collect();
                names.sort();
                out.extend(names.into_iter().map(|n| (pool.clone(), n)));
            } else if dir.join(file).exists() {
                out.push((pool, file.to_owned()));
            }
        }
        out
    }
}

impl Collector for ZfsCollector {
    fn name(&self) -> &'static str {
        "zfs"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        if !self.base.exists() {
            return Err(NO_DATA.into());
        }
        for (subsystem, file) in SUBSYSTEMS {
            // A subsystem whose file is missing is skipped (ZFS versions differ).
            if ingot_hostfs::read::read_into(&self.base.join(file), &mut self.buf).is_err() {
                continue;
            }
            let text = String::from_utf8_lossy(&self.buf).into_owned();
            let mut rows = Vec::new();
            ingot_hostfs::zfs::for_each_kstat(&text, file, |kstat, v| rows.push((kstat, v)))
                .map_err(|e| e.to_string())?;
            for (kstat, v) in rows {
                self.describe(subsystem, file, kstat);
                out.family_with(&self.name, &self.help, MetricType::Unknown, &[])
                    .push(&[], v);
            }
        }

        for (pool, file) in self.pool_files("io", false) {
            let path = self.base.join(&pool).join(&file);
            ingot_hostfs::read::read_into(&path, &mut self.buf)
                .map_err(|_| "ZFS / ZFS statistics are not available".to_owned())?;
            let text = String::from_utf8_lossy(&self.buf).into_owned();
            let mut rows = Vec::new();
            ingot_hostfs::zfs::for_each_pool_io(&text, |kstat, v| rows.push((kstat, v)))
                .map_err(|e| e.to_string())?;
            for (kstat, v) in rows {
                self.describe("zfs_zpool", "io", kstat);
                out.family_with(&self.name, &self.help, MetricType::Unknown, &["zpool"])
                    .push(&[&pool], v);
            }
        }

        for (pool, file) in self.pool_files("objset-", true) {
            let path = self.base.join(&pool).join(&file);
            ingot_hostfs::read::read_into(&path, &mut self.buf)
                .map_err(|_| "ZFS / ZFS statistics are not available".to_owned())?;
            let text = String::from_utf8_lossy(&self.buf).into_owned();
            let mut rows = Vec::new();
            ingot_hostfs::zfs::for_each_objset(&text, |dataset, kstat, v| {
                rows.push((dataset.to_owned(), kstat, v))
            })
            .map_err(|e| e.to_string())?;
            for (dataset, kstat, v) in rows {
                self.describe("zfs_zpool_dataset", "objset", kstat);
                out.family_with(
                    &self.name,
                    &self.help,
                    MetricType::Unknown,
                    &["zpool", "dataset"],
                )
                .push(&[&pool, &dataset], v);
            }
        }

        for (pool, file) in self.pool_files("state", false) {
            let path = self.base.join(&pool).join(&file);
            ingot_hostfs::read::read_into(&path, &mut self.buf)
                .map_err(|_| "ZFS / ZFS statistics are not available".to_owned())?;
            let text = String::from_utf8_lossy(&self.buf);
            let actual = text.lines().next().unwrap_or("").to_lowercase();
            for state in POOL_STATES {
                let on = if actual == state { 1.0 } else { 0.0 };
                out.push(&POOL_STATE, &[&pool, state], on);
            }
        }
        Ok(())
    }
}
