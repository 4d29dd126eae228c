//! `/proc/interrupts` and `/proc/softirqs`: a header of CPU names, then one line per interrupt with a
//! count per CPU.

use crate::ParseError;

/// One interrupt line, as node_exporter's `parseInterrupts` splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupt<'a> {
    /// What precedes the colon, leading spaces removed (`0`, `NMI`).
    pub name: &'a str,
    /// The per-CPU counts, as written.
    pub values: Vec<&'a str>,
    /// For a numbered interrupt the controller (`IO-APIC-edge`), else the whole description.
    pub info: String,
    /// For a numbered interrupt the devices (`timer`), else empty.
    pub devices: String,
}

/// node_exporter's `parseInterrupts`: lines with fewer fields than CPUs plus one (`ERR`, `MIS`) are
/// skipped; an empty file is an error. A name that appears twice keeps its last line.
pub fn parse(text: &str) -> Result<Vec<Interrupt<'_>>, ParseError> {
    let mut lines = text.lines();
    let header = lines
        .next()
        .ok_or_else(|| ParseError::new("interrupts empty"))?;
    let cpus = header.split_ascii_whitespace().count();
    let mut out: Vec<Interrupt<'_>> = Vec::new();
    for line in lines {
        let Some((name, rest)) = line.split_once(':') else {
            continue;
        };
        let parts: Vec<&str> = rest.split_ascii_whitespace().collect();
        if parts.len() < cpus + 1 {
            continue;
        }
        let name = name.trim_start_matches(' ');
        let numbered = crate::num::parse_i64_dec(name).is_some();
        let (info, devices) = if numbered {
            (parts[cpus].to_owned(), parts[cpus + 1..].join(" "))
        } else {
            (parts[cpus..].join(" "), String::new())
        };
        let interrupt = Interrupt {
            name,
            values: parts[..cpus].to_vec(),
            info,
            devices,
        };
        match out.iter_mut().find(|i| i.name == name) {
            Some(existing) => *existing = interrupt,
            None => out.push(interrupt),
        }
    }
    Ok(out)
}

/// The ten softirq vectors of `/proc/softirqs` that procfs knows, with the type label node_exporter
/// gives each.
pub const SOFTIRQ_TYPES: [(&str, &str); 10] = [
    ("HI:", "HI"),
    ("TIMER:", "TIMER"),
    ("NET_TX:", "NET_TX"),
    ("NET_RX:", "NET_RX"),
    ("BLOCK:", "BLOCK"),
    ("IRQ_POLL:", "IRQ_POLL"),
    ("TASKLET:", "TASKLET"),
    ("SCHED:", "SCHED"),
    ("HRTIMER:", "HRTIMER"),
    ("RCU:", "RCU"),
];

/// procfs's `parseSoftirqs`: calls `f(type, cpu, count)` for every count of the known vectors (other
/// lines are skipped); an empty file or a count that is not an unsigned integer fails it.
pub fn for_each_softirq(
    text: &str,
    mut f: impl FnMut(&'static str, usize, u64),
) -> Result<(), ParseError> {
    let mut lines = text.lines();
    if lines.next().is_none() {
        return Err(ParseError::new("softirqs empty"));
    }
    for line in lines {
        let mut parts = line.split_ascii_whitespace();
        let Some(key) = parts.next() else { continue };
        let Some(&(_, kind)) = SOFTIRQ_TYPES.iter().find(|(k, _)| *k == key) else {
            continue;
        };
        for (cpu, count) in parts.enumerate() {
            let v = crate::num::parse_u64_dec(count).ok_or_else(|| {
                ParseError::new(format!("couldn't parse {count:?} ({kind}{cpu})"))
            })?;
            f(kind, cpu, v);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_and_named() {
        let text = "           CPU0       CPU1\n  0:         18          0   IO-APIC   2-edge      timer\n\
                    NMI:         47         52   Non-maskable interrupts\nERR:          0\n  0:         19          1   X   y\n";
        let got = parse(text).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name, "0");
        assert_eq!(got[0].values, ["19", "1"]);
        assert_eq!(got[0].info, "X");
        assert_eq!(got[0].devices, "y");
        assert_eq!(got[1].info, "Non-maskable interrupts");
        assert_eq!(got[1].devices, "");
        assert!(parse("").is_err());
    }

    #[test]
    fn softirqs() {
        let mut got = Vec::new();
        for_each_softirq(
            "          CPU0       CPU1\n  HI:  7  1\n  NEW: 3 3\n  RCU: 5 6\n",
            |t, c, v| got.push((t, c, v)),
        )
        .unwrap();
        assert_eq!(
            got,
            [("HI", 0, 7), ("HI", 1, 1), ("RCU", 0, 5), ("RCU", 1, 6)]
        );
        assert!(for_each_softirq("CPU0\nHI: x\n", |_, _, _| {}).is_err());
        assert!(for_each_softirq("", |_, _, _| {}).is_err());
    }
}
