//! `/proc/buddyinfo`: free blocks per order, per node and zone.

use crate::ParseError;

/// One line: node, zone and the count of free blocks of each order.
#[derive(Debug, Clone, PartialEq)]
pub struct BuddyInfo<'a> {
    pub node: &'a str,
    pub zone: &'a str,
    pub sizes: Vec<f64>,
}

/// procfs's `parseBuddyInfo`: every line needs four fields, the same number of orders as the first
/// line, and numbers.
pub fn parse(text: &str) -> Result<Vec<BuddyInfo<'_>>, ParseError> {
    let mut out = Vec::new();
    let mut buckets: Option<usize> = None;
    for line in text.lines() {
        let parts: Vec<&str> = line.split_ascii_whitespace().collect();
        if parts.len() < 4 {
            return Err(ParseError::new(format!(
                "Invalid number of fields, found: {parts:?}"
            )));
        }
        let count = parts.len() - 4;
        match buckets {
            None => buckets = Some(count),
            Some(n) if n != count => {
                return Err(ParseError::new(format!(
                    "mismatch in number of buddyinfo buckets, previous count {n}, new count {count}"
                )))
            }
            _ => {}
        }
        let sizes = parts[4..]
            .iter()
            .map(|p| {
                crate::num::parse_f64(p)
                    .ok_or_else(|| ParseError::new(format!("Invalid value in buddyinfo: {p:?}")))
            })
            .collect::<Result<Vec<f64>, _>>()?;
        out.push(BuddyInfo {
            node: parts[1].strip_suffix(',').unwrap_or(parts[1]),
            zone: parts[3].strip_suffix(',').unwrap_or(parts[3]),
            sizes,
        });
    }
    Ok(out)
}

/// `/proc/cgroups`: `(subsystem, hierarchy, cgroups, enabled)` per line; `#` lines skipped, and a
/// line of fewer than four fields or with a non-integer fails the file (procfs's
/// `parseCgroupSummary`).
pub fn cgroups(text: &str) -> Result<Vec<(&str, i64, i64)>, ParseError> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        if fields.len() < 4 {
            return Err(ParseError::new(format!(
                "4+ fields required, found {} fields in cgroup info string: {line}",
                fields.len()
            )));
        }
        let int = |f: &str, what: &str| {
            crate::num::parse_i64_dec(f)
                .ok_or_else(|| ParseError::new(format!("Unable to parse {what} from {f:?}")))
        };
        int(fields[1], "hierarchy ID")?;
        let cgroups = int(fields[2], "Cgroup Num")?;
        let enabled = int(fields[3], "Enabled")?;
        out.push((fields[0], cgroups, enabled));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buddyinfo_lines() {
        let b = parse("Node 0, zone      DMA      1      0      1      0      2\nNode 0, zone    DMA32    759    572    791    475    194\n").unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!((b[1].node, b[1].zone), ("0", "DMA32"));
        assert_eq!(b[1].sizes, [759.0, 572.0, 791.0, 475.0, 194.0]);
        assert!(parse("Node 0, zone DMA 1 2\nNode 0, zone X 1\n").is_err());
        assert!(parse("Node 0,\n").is_err());
    }

    #[test]
    fn cgroups_lines() {
        let c = cgroups(
            "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t5\t47\t1\nmemory\t0\t1\t0\n",
        )
        .unwrap();
        assert_eq!(c, [("cpuset", 47, 1), ("memory", 1, 0)]);
        assert!(cgroups("cpu 1 x 1\n").is_err());
    }
}
