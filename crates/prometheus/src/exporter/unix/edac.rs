//! node_exporter's `edac` collector: memory error counters of
//! `/sys/devices/system/edac/mc/mc*/` and their csrows and channels.

use std::path::{Path, PathBuf};

use ingot_hostfs::sysfs;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, UnixConfig};

const CE: Desc = Desc::new(
    "node_edac_correctable_errors_total",
    "Total correctable memory errors.",
    MetricType::Counter,
    &["controller"],
);
const UE: Desc = Desc::new(
    "node_edac_uncorrectable_errors_total",
    "Total uncorrectable memory errors.",
    MetricType::Counter,
    &["controller"],
);
const CSROW_CE: Desc = Desc::new(
    "node_edac_csrow_correctable_errors_total",
    "Total correctable memory errors for this csrow.",
    MetricType::Counter,
    &["controller", "csrow"],
);
const CSROW_UE: Desc = Desc::new(
    "node_edac_csrow_uncorrectable_errors_total",
    "Total uncorrectable memory errors for this csrow.",
    MetricType::Counter,
    &["controller", "csrow"],
);
const CHANNEL_CE: Desc = Desc::new(
    "node_edac_channel_correctable_errors_total",
    "Total correctable memory errors for this channel.",
    MetricType::Counter,
    &["controller", "csrow", "channel", "dimm_label"],
);
const CHANNEL_UE: Desc = Desc::new(
    "node_edac_channel_uncorrectable_errors_total",
    "Total uncorrectable memory errors for this channel.",
    MetricType::Counter,
    &["controller", "csrow", "channel", "dimm_label"],
);

pub(super) struct EdacCollector {
    mc_dir: PathBuf,
    buf: Vec<u8>,
}

impl EdacCollector {
    pub(super) fn new(config: &UnixConfig) -> EdacCollector {
        EdacCollector {
            mc_dir: config.sysfs_path.join("devices/system/edac/mc"),
            buf: Vec::new(),
        }
    }

    /// A counter file; a failure names the counter (`shown`) and what it counts for.
    fn count_as(&mut self, dir: &Path, file: &str, shown: &str, what: &str) -> Result<f64, String> {
        sysfs::read_uint(&dir.join(file), &mut self.buf)
            .map(|v| v as f64)
            .map_err(|e| format!("couldn't get {shown} for {what}: {e}"))
    }

    fn count(&mut self, dir: &Path, file: &str, what: &str) -> Result<f64, String> {
        self.count_as(dir, file, file, what)
    }
}

/// The digits right after `prefix` (node_exporter's `mc([0-9]*)`, `csrow([0-9]*)`).
fn number_after<'a>(name: &'a str, prefix: &str) -> &'a str {
    let rest = &name[prefix.len()..];
    &rest[..rest.bytes().take_while(u8::is_ascii_digit).count()]
}

/// node_exporter's `edacDimmLabel`: the `ch<N>_dimm_label` file trimmed, without `#`, with `_`
/// before `csrow` and `channel`; `unknown` if it cannot be read.
fn dimm_label(csrow: &Path, channel: &str, buf: &mut Vec<u8>) -> String {
    match sysfs::read_file(&csrow.join(format!("ch{channel}_dimm_label")), buf) {
        Ok(raw) => String::from_utf8_lossy(raw)
            .trim()
            .replace('#', "")
            .replace("csrow", "_csrow")
            .replace("channel", "_channel"),
        Err(_) => "unknown".to_owned(),
    }
}

impl Collector for EdacCollector {
    fn name(&self) -> &'static str {
        "edac"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        // No memory controllers (no EDAC driver) is a success with no samples, as in node_exporter.
        let controllers = sysfs::glob(&self.mc_dir, |n| sysfs::prefix_then_digit(n, "mc"));
        for mc in controllers {
            let dir = self.mc_dir.join(&mc);
            let c = number_after(&mc, "mc").to_owned();
            let what = format!("controller {c}");
            let v = self.count(&dir, "ce_count", &what)?;
            out.push(&CE, &[&c], v);
            let v = self.count(&dir, "ce_noinfo_count", &what)?;
            out.push(&CSROW_CE, &[&c, "unknown"], v);
            let v = self.count(&dir, "ue_count", &what)?;
            out.push(&UE, &[&c], v);
            let v = self.count(&dir, "ue_noinfo_count", &what)?;
            out.push(&CSROW_UE, &[&c, "unknown"], v);
            for csrow_name in sysfs::glob(&dir, |n| sysfs::prefix_then_digit(n, "csrow")) {
                let csrow = dir.join(&csrow_name);
                let r = number_after(&csrow_name, "csrow").to_owned();
                let what = format!("controller/csrow {c}/{r}");
                let v = self.count(&csrow, "ce_count", &what)?;
                out.push(&CSROW_CE, &[&c, &r], v);
                let v = self.count(&csrow, "ue_count", &what)?;
                out.push(&CSROW_UE, &[&c, &r], v);
                let channels = sysfs::glob(&csrow, |n| {
                    n.starts_with("ch")
                        && n.ends_with("_ce_count")
                        && n.len() >= "ch_ce_count".len()
                });
                for file in channels {
                    // node_exporter's `ch([0-9]+)_ce_count`, found anywhere in the name.
                    let Some(channel) = channel_number(&file) else {
                        continue;
                    };
                    let label = dimm_label(&csrow, channel, &mut self.buf);
                    let what = format!("controller/csrow/channel {c}/{r}/{channel}");
                    let v = self.count_as(&csrow, &file, "ce_count", &what)?;
                    out.push(&CHANNEL_CE, &[&c, &r, channel, &label], v);
                    // A channel without an uncorrectable count is reported without one.
                    if let Ok(v) = sysfs::read_uint(
                        &csrow.join(format!("ch{channel}_ue_count")),
                        &mut self.buf,
                    ) {
                        out.push(&CHANNEL_UE, &[&c, &r, channel, &label], v as f64);
                    }
                }
            }
        }
        Ok(())
    }
}

/// The first `ch<digits>_ce_count` in `name`, as node_exporter's unanchored regex finds it.
fn channel_number(name: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(pos) = name[from..].find("ch") {
        let start = from + pos + 2;
        let digits = name[start..].bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && name[start + digits..].starts_with("_ce_count") {
            return Some(&name[start..start + digits]);
        }
        from = from + pos + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_numbers() {
        assert_eq!(channel_number("ch0_ce_count"), Some("0"));
        assert_eq!(channel_number("ch12_ce_count"), Some("12"));
        assert_eq!(channel_number("chx_ce_count"), None);
        assert_eq!(number_after("mc10", "mc"), "10");
    }
}
