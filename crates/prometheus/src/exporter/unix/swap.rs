//! node_exporter's `swap` collector (off by default): each swap area of `/proc/swaps`, its size,
//! use and priority.

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig};

const LABELS: &[&str] = &["device", "swap_type"];
const SIZE: Desc = Desc::new(
    "node_swap_size_bytes",
    "Swap device size in bytes.",
    MetricType::Gauge,
    LABELS,
);
const USED: Desc = Desc::new(
    "node_swap_used_bytes",
    "Swap device used in bytes.",
    MetricType::Gauge,
    LABELS,
);
const PRIORITY: Desc = Desc::new(
    "node_swap_priority",
    "Swap device priority.",
    MetricType::Gauge,
    LABELS,
);

pub(super) struct SwapCollector {
    file: KeptFile,
    buf: Vec<u8>,
}

impl SwapCollector {
    pub(super) fn new(config: &UnixConfig) -> SwapCollector {
        SwapCollector {
            file: KeptFile::new(config.procfs_path.join("swaps")),
            buf: Vec::new(),
        }
    }
}

/// One swap area: device, type, size and use in KiB, priority.
type Area<'a> = (&'a str, &'a str, i64, i64, i64);

/// procfs' `parseSwaps`: the header line skipped, then every line at least five fields with three
/// integers; one bad line fails the whole file.
fn parse(text: &str) -> Result<Vec<Area<'_>>, String> {
    let mut areas = Vec::new();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 5 {
            return Err(format!(
                "error parsing file: too few fields in swap string: {line}"
            ));
        }
        let number = |i: usize, what: &str| {
            ingot_gocompat::strconv::atoi(fields[i]).map_err(|e| {
                format!(
                    "error parsing file: invalid swap {what}: {}: {e}",
                    fields[i]
                )
            })
        };
        areas.push((
            fields[0],
            fields[1],
            number(2, "size")?,
            number(3, "used")?,
            number(4, "priority")?,
        ));
    }
    Ok(areas)
}

impl Collector for SwapCollector {
    fn name(&self) -> &'static str {
        "swap"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        const WHY: &str = "couldn't get swap information: couldn't get proc/swap information";
        self.file
            .read_into(&mut self.buf)
            .map_err(|e| format!("{WHY}: {}", open_error(self.file.path(), &e)))?;
        let text = String::from_utf8_lossy(&self.buf);
        let areas = parse(&text).map_err(|e| format!("{WHY}: {e}"))?;
        for (device, kind, size, used, priority) in areas {
            // The kernel counts in KiB; node_exporter multiplies as Go's int does.
            let labels = [device, kind];
            out.push(&SIZE, &labels, size.wrapping_mul(1024) as f64);
            out.push(&USED, &labels, used.wrapping_mul(1024) as f64);
            out.push(&PRIORITY, &labels, priority as f64);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_and_bad_lines_as_procfs_reads_them() {
        let text = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/zram0                              partition\t8388604\t\t76\t\t100\n/swapfile file 1024 0 -2\n";
        assert_eq!(
            parse(text).unwrap(),
            [
                ("/dev/zram0", "partition", 8388604, 76, 100),
                ("/swapfile", "file", 1024, 0, -2)
            ]
        );
        assert!(parse("Filename Type Size Used Priority\n")
            .unwrap()
            .is_empty());
        assert_eq!(
            parse("header\n/dev/sda2 partition 10 2\n").unwrap_err(),
            "error parsing file: too few fields in swap string: /dev/sda2 partition 10 2"
        );
        assert_eq!(
            parse("header\n/dev/sda2 partition 10 x 1\n").unwrap_err(),
            "error parsing file: invalid swap used: x: strconv.Atoi: parsing \"x\": invalid syntax"
        );
    }
}
