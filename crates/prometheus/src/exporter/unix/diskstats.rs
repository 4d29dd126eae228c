//! node_exporter's `diskstats` collector: `/proc/diskstats`, udev properties and
//! `/sys/block/<dev>/queue/rotational`.

use std::fmt::Write as _;

use ingot_hostfs::read::KeptFile;
use ingot_hostfs::udev::UdevProperties;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::config::{optional_regex, DeviceFilter};
use super::{open_error, Collector, ConfigError, IntText, LazyDir, UnixConfig};

const INFO: Desc = Desc::new(
    "node_disk_info",
    "Info of /sys/block/<block_device>.",
    MetricType::Gauge,
    &[
        "device",
        "major",
        "minor",
        "path",
        "wwn",
        "model",
        "serial",
        "revision",
        "rotational",
    ],
);
const FILESYSTEM_INFO: Desc = Desc::new(
    "node_disk_filesystem_info",
    "Info about disk filesystem.",
    MetricType::Gauge,
    &["device", "type", "usage", "uuid", "version"],
);
const DEVICE_MAPPER_INFO: Desc = Desc::new(
    "node_disk_device_mapper_info",
    "Info about disk device mapper.",
    MetricType::Gauge,
    &["device", "name", "uuid", "vg_name", "lv_name", "lv_layer"],
);
/// udev property and family of the three ATA gauges.
const ATA: [(&str, Desc); 3] = [
    (
        "ID_ATA_WRITE_CACHE",
        Desc::new(
            "node_disk_ata_write_cache",
            "ATA disk has a write cache.",
            MetricType::Gauge,
            &["device"],
        ),
    ),
    (
        "ID_ATA_WRITE_CACHE_ENABLED",
        Desc::new(
            "node_disk_ata_write_cache_enabled",
            "ATA disk has its write cache enabled.",
            MetricType::Gauge,
            &["device"],
        ),
    ),
    (
        "ID_ATA_ROTATION_RATE_RPM",
        Desc::new(
            "node_disk_ata_rotation_rate_rpm",
            "ATA disk rotation rate in RPMs (0 for SSDs).",
            MetricType::Gauge,
            &["device"],
        ),
    ),
];

const fn counter(name: &'static str, help: &'static str) -> Desc {
    Desc::new(name, help, MetricType::Counter, &["device"])
}

/// The families of the 17 kernel counters, in column order.
const STATS: [Desc; 17] = [
    counter(
        "node_disk_reads_completed_total",
        "The total number of reads completed successfully.",
    ),
    counter(
        "node_disk_reads_merged_total",
        "The total number of reads merged.",
    ),
    counter(
        "node_disk_read_bytes_total",
        "The total number of bytes read successfully.",
    ),
    counter(
        "node_disk_read_time_seconds_total",
        "The total number of seconds spent by all reads.",
    ),
    counter(
        "node_disk_writes_completed_total",
        "The total number of writes completed successfully.",
    ),
    counter(
        "node_disk_writes_merged_total",
        "The number of writes merged.",
    ),
    counter(
        "node_disk_written_bytes_total",
        "The total number of bytes written successfully.",
    ),
    counter(
        "node_disk_write_time_seconds_total",
        "This is the total number of seconds spent by all writes.",
    ),
    Desc::new(
        "node_disk_io_now",
        "The number of I/Os currently in progress.",
        MetricType::Gauge,
        &["device"],
    ),
    counter(
        "node_disk_io_time_seconds_total",
        "Total seconds spent doing I/Os.",
    ),
    counter(
        "node_disk_io_time_weighted_seconds_total",
        "The weighted # of seconds spent doing I/Os.",
    ),
    counter(
        "node_disk_discards_completed_total",
        "The total number of discards completed successfully.",
    ),
    counter(
        "node_disk_discards_merged_total",
        "The total number of discards merged.",
    ),
    counter(
        "node_disk_discarded_sectors_total",
        "The total number of sectors discarded successfully.",
    ),
    counter(
        "node_disk_discard_time_seconds_total",
        "This is the total number of seconds spent by all discards.",
    ),
    counter(
        "node_disk_flush_requests_total",
        "The total number of flush requests completed successfully",
    ),
    counter(
        "node_disk_flush_requests_time_seconds_total",
        "This is the total number of seconds spent by all flush requests.",
    ),
];

/// How each column becomes a value. Sectors are 512 bytes whatever the device; times are
/// milliseconds, multiplied by 0.001 (not divided by 1000: the last digit differs, and
/// node_exporter multiplies). Discarded sectors stay sectors, as upstream reports them.
#[derive(Clone, Copy)]
enum Scale {
    Count,
    Sectors,
    Millis,
}

const SCALES: [Scale; 17] = {
    use Scale::*;
    [
        Count, Count, Sectors, Millis, Count, Count, Sectors, Millis, Count, Millis, Millis, Count,
        Count, Count, Millis, Count, Millis,
    ]
};

const SECONDS_PER_TICK: f64 = 1.0 / 1000.0;
const SECTOR_SIZE: f64 = 512.0;

pub(super) struct DiskstatsCollector {
    diskstats: KeptFile,
    sysfs_block: LazyDir,
    /// `None` when the udev data directory is missing: node_exporter then skips udev lookups.
    udev_dir: Option<LazyDir>,
    filter: DeviceFilter,
    buf: Vec<u8>,
    udev_buf: Vec<u8>,
    small_buf: Vec<u8>,
    name_buf: String,
}

impl DiskstatsCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<DiskstatsCollector, ConfigError> {
        // Alloy passes only the include pattern when it is set.
        let filter = if config.disk.device_include.is_empty() {
            DeviceFilter::new(
                optional_regex("disk.device_exclude", &config.disk.device_exclude)?,
                None,
            )
        } else {
            DeviceFilter::new(
                None,
                optional_regex("disk.device_include", &config.disk.device_include)?,
            )
        };
        let udev_dir = if config.udev_data_path.is_dir() {
            Some(LazyDir::new(config.udev_data_path.clone()))
        } else {
            // As node_exporter does: say it once, then go on without the udev labels.
            tracing::warn!(
                path = %config.udev_data_path.display(),
                "udev_data_path is not a directory; the diskstats collector goes on without udev \
                 properties: node_disk_info has empty path, wwn, model, serial and revision, and \
                 node_disk_filesystem_info, node_disk_device_mapper_info and node_disk_ata_* are absent"
            );
            None
        };
        Ok(DiskstatsCollector {
            diskstats: KeptFile::new(config.procfs_path.join("diskstats")),
            sysfs_block: LazyDir::new(config.sysfs_path.join("block")),
            udev_dir,
            filter,
            buf: Vec::new(),
            udev_buf: Vec::new(),
            small_buf: Vec::new(),
            name_buf: String::new(),
        })
    }
}

impl Collector for DiskstatsCollector {
    fn name(&self) -> &'static str {
        "diskstats"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let DiskstatsCollector {
            diskstats,
            sysfs_block,
            udev_dir,
            filter,
            buf,
            udev_buf,
            small_buf,
            name_buf,
        } = self;
        diskstats.read_into(buf).map_err(|e| {
            format!(
                "couldn't get diskstats: {}",
                open_error(diskstats.path(), &e)
            )
        })?;
        let text = String::from_utf8_lossy(buf);
        let mut udev = UdevProperties::default();
        let mut result = Ok(());
        let parsed = ingot_hostfs::diskstats::for_each(&text, |disk| {
            let dev = disk.name;
            if filter.ignored(dev) {
                return;
            }
            udev_buf.clear();
            if let Some(dir) = udev_dir.as_mut() {
                name_buf.clear();
                let _ = write!(name_buf, "b{}:{}", disk.major, disk.minor);
                // A device without udev data gets empty labels; node_exporter only logs it.
                if dir.read_into(name_buf, "", udev_buf).is_err() {
                    udev_buf.clear();
                }
            }
            let udev_text = std::str::from_utf8(udev_buf).unwrap_or("");
            // Reuse the pair list's allocation across devices.
            let mut props = std::mem::take(&mut udev).recycle();
            props.fill(udev_text);

            // The serial printed on the label, else the short serial, else the full one
            // (virtio devices only have that).
            let serial = [
                props.value("SCSI_IDENT_SERIAL"),
                props.value("ID_SERIAL_SHORT"),
                props.value("ID_SERIAL"),
            ]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or("");
            let rotational = match sysfs_block.read_u64(dev, "queue/rotational", small_buf) {
                Ok(1) => "1",
                _ => "0",
            };
            let (major, minor) = (
                IntText::new(i64::from(disk.major)),
                IntText::new(i64::from(disk.minor)),
            );
            out.push(
                &INFO,
                &[
                    dev,
                    major.as_str(),
                    minor.as_str(),
                    props.value("ID_PATH"),
                    props.value("ID_WWN"),
                    props.value("ID_MODEL"),
                    serial,
                    props.value("ID_REVISION"),
                    rotational,
                ],
                1.0,
            );

            for i in 0..disk.stat_count {
                let raw = disk.stats[i] as f64;
                let value = match SCALES[i] {
                    Scale::Count => raw,
                    Scale::Sectors => raw * SECTOR_SIZE,
                    Scale::Millis => raw * SECONDS_PER_TICK,
                };
                out.push(&STATS[i], &[dev], value);
            }

            let fs_type = props.value("ID_FS_TYPE");
            if !fs_type.is_empty() {
                out.push(
                    &FILESYSTEM_INFO,
                    &[
                        dev,
                        fs_type,
                        props.value("ID_FS_USAGE"),
                        props.value("ID_FS_UUID"),
                        props.value("ID_FS_VERSION"),
                    ],
                    1.0,
                );
            }
            let dm_name = props.value("DM_NAME");
            if !dm_name.is_empty() {
                out.push(
                    &DEVICE_MAPPER_INFO,
                    &[
                        dev,
                        dm_name,
                        props.value("DM_UUID"),
                        props.value("DM_VG_NAME"),
                        props.value("DM_LV_NAME"),
                        props.value("DM_LV_LAYER"),
                    ],
                    1.0,
                );
            }
            if !props.value("ID_ATA").is_empty() {
                for (key, desc) in &ATA {
                    // Missing or unparsable values are skipped; node_exporter only logs them.
                    if let Some(v) = props.get(key).and_then(ingot_hostfs::num::parse_f64) {
                        out.push(desc, &[dev], v);
                    }
                }
            }
            udev = props.recycle();
        });
        if let Err(e) = parsed {
            result = Err(format!("couldn't get diskstats: {e}"));
        }
        result
    }
}
