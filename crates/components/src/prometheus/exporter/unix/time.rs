//! node_exporter's `time` collector: the clock, the local zone and the kernel's clocksources.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, IntText, UnixConfig};

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
    sysfs: PathBuf,
}

impl TimeCollector {
    pub(super) fn new(config: &UnixConfig) -> TimeCollector {
        TimeCollector {
            sysfs: config.sysfs_path.clone(),
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

        let sources = ingot_hostfs::clocksource::read_all(&self.sysfs).map_err(|e| {
            format!(
                "couldn't get clocksources: {}",
                ingot_hostfs::errno::go_error_text(&e)
            )
        })?;
        // The device label is the position in glob order, not the directory's number.
        for (i, source) in sources.iter().enumerate() {
            let device = IntText::new(i as i64);
            for available in &source.available {
                out.push(&CLOCKSOURCE_AVAILABLE, &[device.as_str(), available], 1.0);
            }
            out.push(
                &CLOCKSOURCE_CURRENT,
                &[device.as_str(), &source.current],
                1.0,
            );
        }
        Ok(())
    }
}
