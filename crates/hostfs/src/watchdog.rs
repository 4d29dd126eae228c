//! `/sys/class/watchdog/<watchdog>`, as prometheus/procfs 0.21's `WatchdogClass` reads it.

use std::path::Path;

use crate::sysfs::{self, SysError};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Watchdog {
    pub name: String,
    pub bootstatus: Option<i64>,
    pub options: Option<String>,
    pub fw_version: Option<i64>,
    pub identity: Option<String>,
    pub nowayout: Option<i64>,
    pub state: Option<String>,
    pub status: Option<String>,
    pub timeleft: Option<i64>,
    pub timeout: Option<i64>,
    pub pretimeout: Option<i64>,
    pub pretimeout_governor: Option<String>,
    pub access_cs0: Option<i64>,
}

/// Every watchdog of `<sysfs>/class/watchdog`, sorted. Missing files are `None`; another read
/// failure, or a number that does not parse, fails the class.
pub fn watchdogs(class_dir: &Path, buf: &mut Vec<u8>) -> Result<Vec<Watchdog>, SysError> {
    let entries = sysfs::read_dir(class_dir).map_err(|e| {
        e.context(format!(
            "failed to list watchdog devices at {:?}",
            class_dir.display().to_string()
        ))
    })?;
    let mut out = Vec::new();
    for entry in entries {
        let dir = class_dir.join(&entry.name);
        let mut wd = Watchdog {
            name: entry.name.clone(),
            ..Watchdog::default()
        };
        for file in [
            "bootstatus",
            "options",
            "fw_version",
            "identity",
            "nowayout",
            "state",
            "status",
            "timeleft",
            "timeout",
            "pretimeout",
            "pretimeout_governor",
            "access_cs0",
        ] {
            let path = dir.join(file);
            let value = match sysfs::read_value(&path, buf) {
                Ok(v) => v,
                Err(e) if e.is_not_found_unwrapped() => continue,
                Err(e) => {
                    return Err(e.context(format!(
                        "failed to read file {:?}",
                        path.display().to_string()
                    )))
                }
            };
            let int = |v: &str| {
                sysfs::parse_int_base0(v).map(Some).ok_or_else(|| {
                    SysError::msg(format!("strconv.ParseInt: parsing {v:?}: invalid syntax"))
                })
            };
            match file {
                "bootstatus" => wd.bootstatus = int(&value)?,
                "fw_version" => wd.fw_version = int(&value)?,
                "nowayout" => wd.nowayout = int(&value)?,
                "timeleft" => wd.timeleft = int(&value)?,
                "timeout" => wd.timeout = int(&value)?,
                "pretimeout" => wd.pretimeout = int(&value)?,
                "access_cs0" => wd.access_cs0 = int(&value)?,
                "options" => wd.options = Some(value),
                "identity" => wd.identity = Some(value),
                "state" => wd.state = Some(value),
                "status" => wd.status = Some(value),
                _ => wd.pretimeout_governor = Some(value),
            }
        }
        out.push(wd);
    }
    Ok(out)
}
