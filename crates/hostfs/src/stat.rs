//! `/proc/stat`: the per-CPU time lines and the boot time.

use crate::num::parse_f64;
use crate::ParseError;

/// USER_HZ as procfs assumes it: the kernel reports jiffies of 1/100 s.
pub const USER_HZ: f64 = 100.0;

/// One `cpu` line, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTimes {
    pub user: f64,
    pub nice: f64,
    pub system: f64,
    pub idle: f64,
    pub iowait: f64,
    pub irq: f64,
    pub softirq: f64,
    pub steal: f64,
    pub guest: f64,
    pub guest_nice: f64,
}

/// A `cpuN` line; `cpu: None` is the aggregate `cpu` line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuLine {
    pub cpu: Option<i64>,
    pub times: CpuTimes,
}

/// Calls `f` for every `cpu` line. Missing trailing fields count as zero (old kernels print
/// fewer), an unparsable field fails the whole file, as in procfs.
pub fn for_each_cpu(text: &str, mut f: impl FnMut(CpuLine)) -> Result<(), ParseError> {
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let Some(key) = fields.next() else { continue };
        if !key.starts_with("cpu") {
            continue;
        }
        let mut values = [0f64; 10];
        let mut count = 0;
        for (slot, field) in values.iter_mut().zip(fields) {
            *slot = parse_f64(field).ok_or_else(|| {
                ParseError::new(format!(
                    "couldn't parse {line:?} (cpu): expected number, got {field:?}"
                ))
            })? / USER_HZ;
            count += 1;
        }
        if count == 0 {
            // procfs requires `<key> <value>` before it looks at the line at all.
            continue;
        }
        let cpu =
            if key == "cpu" {
                None
            } else {
                Some(crate::num::parse_i64_dec(&key[3..]).ok_or_else(|| {
                    ParseError::new(format!("couldn't parse {line:?} (cpu/cpuid)"))
                })?)
            };
        let [user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice] = values;
        f(CpuLine {
            cpu,
            times: CpuTimes {
                user,
                nice,
                system,
                idle,
                iowait,
                irq,
                softirq,
                steal,
                guest,
                guest_nice,
            },
        });
    }
    Ok(())
}

/// The `btime` line: when the system booted, in seconds since the epoch.
pub fn boot_time(text: &str) -> Result<u64, ParseError> {
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        if fields.next() != Some("btime") {
            continue;
        }
        let value = fields.next().unwrap_or("");
        return crate::num::parse_u64_dec(value)
            .ok_or_else(|| ParseError::new(format!("couldn't parse {line:?} (btime): {value:?}")));
    }
    Err(ParseError::new("no btime line"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_time_from_btime() {
        let text = "cpu  1 2 3 4\nbtime 1700000000\nprocesses 42\n";
        assert_eq!(boot_time(text), Ok(1_700_000_000));
        assert!(boot_time("cpu 1 2 3\n").is_err());
        assert!(boot_time("btime x\n").is_err());
    }

    #[test]
    fn parses_cpu_lines_in_seconds() {
        let text = "cpu  301854 612 111922 8979004 3552 2 3944 0 44 36\n\
                    cpu0 44490 19 21045 1087069 220 1 3410 0 2 1\n\
                    cpu1 47869 23 16474 1110787\n\
                    intr 8885917 17 0\nctxt 38014093\n";
        let mut lines = Vec::new();
        for_each_cpu(text, |l| lines.push(l)).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].cpu, None);
        assert_eq!(lines[1].cpu, Some(0));
        assert_eq!(lines[1].times.user, 444.9);
        assert_eq!(lines[1].times.guest, 0.02);
        assert_eq!(lines[1].times.guest_nice, 0.01);
        assert_eq!(lines[2].times.idle, 11107.87);
        assert_eq!(lines[2].times.iowait, 0.0);
    }

    #[test]
    fn rejects_garbage() {
        assert!(for_each_cpu("cpu0 1 x 3\n", |_| {}).is_err());
        assert!(for_each_cpu("cpuX 1 2 3\n", |_| {}).is_err());
    }
}
