//! node_exporter's `time` collector: the clock, the local zone and the kernel's clocksources.

use std::time::{SystemTime, UNIX_EPOCH};

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, IntText, LazyDir, UnixConfig};

const NOW: Desc = Desc::new(
    "node_time_seconds",
    "System time in seconds since epoch (1970).",
    MetricType::Gauge,
    &[],
);
const ZONE: Desc = Desc::new(
    "node_time_zone_offset_seconds",
    "System time zone offset in seconds.",
    MetricType::Gauge,
    &["time_zone"],
);
const CLOCKSOURCE_AVAILABLE: Desc = Desc::new(
    "node_time_clocksource_available_info",
    "Available clocksources read from '/sys/devices/system/clocksource'.",
    MetricType::Gauge,
    &["device", "clocksource"],
);
const CLOCKSOURCE_CURRENT: Desc = Desc::new(
    "node_time_clocksource_current_info",
    "Current clocksource read from '/sys/devices/system/clocksource'.",
    MetricType::Gauge,
    &["device", "clocksource"],
);

pub(super) struct TimeCollector {
    clocksource_dir: LazyDir,
    buf: Vec<u8>,
}

impl TimeCollector {
    pub(super) fn new(config: &UnixConfig) -> TimeCollector {
        TimeCollector {
            clocksource_dir: LazyDir::new(config.sysfs_path.join("devices/system/clocksource")),
            buf: Vec::new(),
        }
    }
}

impl Collector for TimeCollector {
    fn name(&self) -> &'static str {
        "time"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        // Go computes float64(now.UnixNano()) / 1e9; the same two roundings give the same value.
        let nanos = since_epoch.as_nanos() as i64;
        out.push(&NOW, &[], nanos as f64 / 1e9);
        let (zone, offset) = ingot_hostfs::sys::local_zone(since_epoch.as_secs() as i64);
        out.push(&ZONE, &[&zone], offset as f64);

        let clocksource_error = |e: std::io::Error| {
            format!(
                "couldn't get clocksources: {}",
                ingot_hostfs::errno::go_error_text(&e)
            )
        };
        let names = self
            .clocksource_dir
            .glob_numbered("clocksource", &mut self.buf);
        // Like procfs, read everything before reporting anything: one unreadable clocksource
        // fails the collector with no clocksource samples.
        let mut sources = Vec::with_capacity(names.len());
        for name in &names {
            let available = self
                .clocksource_dir
                .read_sys_value(name, "available_clocksource", &mut self.buf)
                .map_err(clocksource_error)?
                .to_owned();
            let current = self
                .clocksource_dir
                .read_sys_value(name, "current_clocksource", &mut self.buf)
                .map_err(clocksource_error)?
                .to_owned();
            sources.push((available, current));
        }
        // The device label is the position in glob order, not the directory's number.
        for (i, (available, current)) in sources.iter().enumerate() {
            let device = IntText::new(i as i64);
            for clocksource in available.split_whitespace() {
                out.push(&CLOCKSOURCE_AVAILABLE, &[device.as_str(), clocksource], 1.0);
            }
            out.push(&CLOCKSOURCE_CURRENT, &[device.as_str(), current], 1.0);
        }
        Ok(())
    }
}
