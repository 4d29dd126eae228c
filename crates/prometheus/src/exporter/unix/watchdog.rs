//! node_exporter's `watchdog` collector: `/sys/class/watchdog/<watchdog>`.

use std::path::PathBuf;

use ingot_hostfs::watchdog;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::exporter::NO_DATA;
use super::{Collector, UnixConfig};

macro_rules! value {
    ($name:literal, $file:literal) => {
        Desc::new(
            concat!("node_watchdog_", $name),
            concat!("Value of /sys/class/watchdog/<watchdog>/", $file),
            MetricType::Gauge,
            &["name"],
        )
    };
}

const BOOTSTATUS: Desc = value!("bootstatus", "bootstatus");
const FW_VERSION: Desc = value!("fw_version", "fw_version");
const NOWAYOUT: Desc = value!("nowayout", "nowayout");
const TIMELEFT: Desc = value!("timeleft_seconds", "timeleft");
const TIMEOUT: Desc = value!("timeout_seconds", "timeout");
const PRETIMEOUT: Desc = value!("pretimeout_seconds", "pretimeout");
const ACCESS_CS0: Desc = value!("access_cs0", "access_cs0");
const INFO: Desc = Desc::new(
    "node_watchdog_info",
    "Info of /sys/class/watchdog/<watchdog>",
    MetricType::Gauge,
    &[
        "name",
        "options",
        "identity",
        "state",
        "status",
        "pretimeout_governor",
    ],
);

pub(super) struct WatchdogCollector {
    class_dir: PathBuf,
    buf: Vec<u8>,
}

impl WatchdogCollector {
    pub(super) fn new(config: &UnixConfig) -> WatchdogCollector {
        WatchdogCollector {
            class_dir: config.sysfs_path.join("class/watchdog"),
            buf: Vec::new(),
        }
    }
}

impl Collector for WatchdogCollector {
    fn name(&self) -> &'static str {
        "watchdog"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let watchdogs = match watchdog::watchdogs(&self.class_dir, &mut self.buf) {
            Ok(w) => w,
            Err(e) if e.is_not_found() || e.is_permission() || e.is_invalid() => {
                return Err(NO_DATA.into())
            }
            Err(e) => return Err(e.to_string()),
        };
        for wd in &watchdogs {
            let n = [wd.name.as_str()];
            for (desc, v) in [
                (&BOOTSTATUS, wd.bootstatus),
                (&FW_VERSION, wd.fw_version),
                (&NOWAYOUT, wd.nowayout),
                (&TIMELEFT, wd.timeleft),
                (&TIMEOUT, wd.timeout),
                (&PRETIMEOUT, wd.pretimeout),
                (&ACCESS_CS0, wd.access_cs0),
            ] {
                if let Some(v) = v {
                    out.push(desc, &n, v as f64);
                }
            }
            let text = |s: &Option<String>| s.clone().unwrap_or_default();
            out.push(
                &INFO,
                &[
                    &wd.name,
                    &text(&wd.options),
                    &text(&wd.identity),
                    &text(&wd.state),
                    &text(&wd.status),
                    &text(&wd.pretimeout_governor),
                ],
                1.0,
            );
        }
        Ok(())
    }
}
