//! `/proc/interrupts` and `/proc/softirqs`: a header of CPU names, then one line per interrupt with a
//! count per CPU.

use crate::ParseError;

/// One interrupt line, as node_exporter's `parseInterrupts` splits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupt<'a, 'p> {
    /// What precedes the colon, leading spaces removed (`0`, `NMI`).
    pub name: &'a str,
    /// The per-CPU counts, as written.
    pub values: &'p [&'a str],
    /// Whether the name is a number: then the first of `details` is the controller (the `info`
    /// label) and the rest the devices; otherwise all of them are the description (`info`).
    pub numbered: bool,
    /// The fields after the counts.
    pub details: &'p [&'a str],
    /// The text the details come from (for callers that keep what they derive from it).
    pub details_text: &'a str,
}

/// node_exporter's `parseInterrupts`: lines with fewer fields than CPUs plus one (`ERR`, `MIS`) are
/// skipped; an empty file is an error. Lines are visited last first, so that of two lines with the
/// same name a caller that keeps the first it sees keeps the last one, as node_exporter's map does.
/// `parts` is scratch space kept by the caller.
pub fn for_each<'a>(
    text: &'a str,
    parts: &mut Vec<&'a str>,
    mut f: impl FnMut(&Interrupt<'a, '_>),
) -> Result<(), ParseError> {
    let mut lines = text.lines();
    let header = lines
        .next()
        .ok_or_else(|| ParseError::new("interrupts empty"))?;
    let cpus = header.split_ascii_whitespace().count();
    for line in lines.rev() {
        let Some((name, rest)) = line.split_once(':') else {
            continue;
        };
        parts.clear();
        parts.extend(rest.split_ascii_whitespace());
        if parts.len() < cpus + 1 {
            continue;
        }
        let first_detail = parts[cpus];
        let at = first_detail.as_ptr() as usize - rest.as_ptr() as usize;
        f(&Interrupt {
            name: name.trim_start_matches(' '),
            values: &parts[..cpus],
            numbered: crate::num::parse_i64_dec(name.trim_start_matches(' ')).is_some(),
            details: &parts[cpus..],
            details_text: &rest[at..],
        });
    }
    Ok(())
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
        let mut got = Vec::new();
        let mut parts = Vec::new();
        for_each(text, &mut parts, |i| {
            got.push((
                i.name,
                i.values.to_vec(),
                i.numbered,
                i.details.join(" "),
                i.details_text,
            ))
        })
        .unwrap();
        assert_eq!(got.len(), 3);
        // Last line first.
        assert_eq!(
            got[0],
            ("0", vec!["19", "1"], true, "X y".to_owned(), "X   y")
        );
        assert_eq!(got[1].0, "NMI");
        assert!(!got[1].2);
        assert_eq!(got[1].3, "Non-maskable interrupts");
        assert_eq!(got[2].3, "IO-APIC 2-edge timer");
        assert!(for_each("", &mut parts, |_| {}).is_err());
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
