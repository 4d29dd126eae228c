//! node_exporter's `xfs` collector: every XFS file system's statistics, from
//! `/sys/fs/xfs/<device>/stats/stats`. No XFS, no samples (and no failure).

use ingot_hostfs::xfs::XfsStats;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use std::io;

use super::{Collector, LazyDir, UnixConfig};

/// Linux's `ENOTDIR`: an entry of the directory that is a file.
const ENOTDIR: i32 = 20;

/// A family and where its value is: the stats line and the position in it.
struct Field {
    desc: Desc,
    value: fn(&XfsStats) -> u32,
}

macro_rules! xfs {
    ($name:literal, $help:literal, $line:ident, $i:literal) => {
        Field {
            desc: Desc::new(
                concat!("node_xfs_", $name),
                $help,
                MetricType::Counter,
                &["device"],
            ),
            value: |s| s.$line[$i],
        }
    };
}

const FIELDS: &[Field] = &[
    xfs!("extent_allocation_extents_allocated_total", "Number of extents allocated for a filesystem.", extent_alloc, 0),
    xfs!("extent_allocation_blocks_allocated_total", "Number of blocks allocated for a filesystem.", extent_alloc, 1),
    xfs!("extent_allocation_extents_freed_total", "Number of extents freed for a filesystem.", extent_alloc, 2),
    xfs!("extent_allocation_blocks_freed_total", "Number of blocks freed for a filesystem.", extent_alloc, 3),
    xfs!("allocation_btree_lookups_total", "Number of allocation B-tree lookups for a filesystem.", abt, 0),
    xfs!("allocation_btree_compares_total", "Number of allocation B-tree compares for a filesystem.", abt, 1),
    xfs!("allocation_btree_records_inserted_total", "Number of allocation B-tree records inserted for a filesystem.", abt, 2),
    xfs!("allocation_btree_records_deleted_total", "Number of allocation B-tree records deleted for a filesystem.", abt, 3),
    xfs!("block_mapping_reads_total", "Number of block map for read operations for a filesystem.", blk_map, 0),
    xfs!("block_mapping_writes_total", "Number of block map for write operations for a filesystem.", blk_map, 1),
    xfs!("block_mapping_unmaps_total", "Number of block unmaps (deletes) for a filesystem.", blk_map, 2),
    xfs!("block_mapping_extent_list_insertions_total", "Number of extent list insertions for a filesystem.", blk_map, 3),
    xfs!("block_mapping_extent_list_deletions_total", "Number of extent list deletions for a filesystem.", blk_map, 4),
    xfs!("block_mapping_extent_list_lookups_total", "Number of extent list lookups for a filesystem.", blk_map, 5),
    xfs!("block_mapping_extent_list_compares_total", "Number of extent list compares for a filesystem.", blk_map, 6),
    xfs!("block_map_btree_lookups_total", "Number of block map B-tree lookups for a filesystem.", bmbt, 0),
    xfs!("block_map_btree_compares_total", "Number of block map B-tree compares for a filesystem.", bmbt, 1),
    xfs!("block_map_btree_records_inserted_total", "Number of block map B-tree records inserted for a filesystem.", bmbt, 2),
    xfs!("block_map_btree_records_deleted_total", "Number of block map B-tree records deleted for a filesystem.", bmbt, 3),
    xfs!("directory_operation_lookup_total", "Number of file name directory lookups which miss the operating systems directory name lookup cache.", dir, 0),
    xfs!("directory_operation_create_total", "Number of times a new directory entry was created for a filesystem.", dir, 1),
    xfs!("directory_operation_remove_total", "Number of times an existing directory entry was created for a filesystem.", dir, 2),
    xfs!("directory_operation_getdents_total", "Number of times the directory getdents operation was performed for a filesystem.", dir, 3),
    xfs!("inode_operation_attempts_total", "Number of times the OS looked for an XFS inode in the inode cache.", ig, 0),
    xfs!("inode_operation_found_total", "Number of times the OS looked for and found an XFS inode in the inode cache.", ig, 1),
    xfs!("inode_operation_recycled_total", "Number of times the OS found an XFS inode in the cache, but could not use it as it was being recycled.", ig, 2),
    xfs!("inode_operation_missed_total", "Number of times the OS looked for an XFS inode in the cache, but did not find it.", ig, 3),
    xfs!("inode_operation_duplicates_total", "Number of times the OS tried to add a missing XFS inode to the inode cache, but found it had already been added by another process.", ig, 4),
    xfs!("inode_operation_reclaims_total", "Number of times the OS reclaimed an XFS inode from the inode cache to free memory for another purpose.", ig, 5),
    xfs!("inode_operation_attribute_changes_total", "Number of times the OS explicitly changed the attributes of an XFS inode.", ig, 6),
    xfs!("read_calls_total", "Number of read(2) system calls made to files in a filesystem.", rw, 1),
    xfs!("write_calls_total", "Number of write(2) system calls made to files in a filesystem.", rw, 0),
    xfs!("vnode_active_total", "Number of vnodes not on free lists for a filesystem.", vnodes, 0),
    xfs!("vnode_allocate_total", "Number of times vn_alloc called for a filesystem.", vnodes, 1),
    xfs!("vnode_get_total", "Number of times vn_get called for a filesystem.", vnodes, 2),
    xfs!("vnode_hold_total", "Number of times vn_hold called for a filesystem.", vnodes, 3),
    xfs!("vnode_release_total", "Number of times vn_rele called for a filesystem.", vnodes, 4),
    xfs!("vnode_reclaim_total", "Number of times vn_reclaim called for a filesystem.", vnodes, 5),
    xfs!("vnode_remove_total", "Number of times vn_remove called for a filesystem.", vnodes, 6),
];

pub(super) struct XfsCollector {
    path: std::path::PathBuf,
    dir: LazyDir,
    names: Vec<String>,
    stats: Vec<(usize, XfsStats)>,
    list: Vec<u8>,
    buf: Vec<u8>,
}

impl XfsCollector {
    pub(super) fn new(config: &UnixConfig) -> XfsCollector {
        let path = config.sysfs_path.join("fs/xfs");
        XfsCollector {
            dir: LazyDir::new(path.clone()),
            path,
            names: Vec::new(),
            stats: Vec::new(),
            list: Vec::new(),
            buf: Vec::new(),
        }
    }
}

impl Collector for XfsCollector {
    fn name(&self) -> &'static str {
        "xfs"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        // procfs's glob `fs/xfs/*/stats/stats`: every entry with a stats file (not the global
        // `fs/xfs/stats/stats`), in name order. All files parse before anything is reported.
        self.names.clear();
        if let Ok(dir) = self.dir.get() {
            let names = &mut self.names;
            let listed = dir.for_each_entry(&mut self.list, |name| {
                if let Ok(name) = std::str::from_utf8(name) {
                    names.push(name.to_owned());
                }
            });
            if listed.is_err() {
                self.names.clear();
            }
        }
        self.names.sort_unstable();
        self.stats.clear();
        for (i, device) in self.names.iter().enumerate() {
            match self.dir.read_into(device, "stats/stats", &mut self.buf) {
                Ok(()) => {}
                Err(e)
                    if e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(ENOTDIR) =>
                {
                    continue
                }
                Err(e) => {
                    let path = self.path.join(device).join("stats/stats");
                    return Err(format!(
                        "failed to retrieve XFS stats: {}",
                        super::open_error(&path, &e)
                    ));
                }
            }
            let s = ingot_hostfs::xfs::parse(&String::from_utf8_lossy(&self.buf)).map_err(|e| {
                format!(
                    "failed to retrieve XFS stats: {}: {e}",
                    self.path.join(device).join("stats/stats").display()
                )
            })?;
            self.stats.push((i, s));
        }
        for (i, s) in &self.stats {
            let device = &self.names[*i];
            for field in FIELDS {
                out.push(&field.desc, &[device], f64::from((field.value)(s)));
            }
        }
        Ok(())
    }
}
