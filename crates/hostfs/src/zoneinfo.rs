//! `/proc/zoneinfo`, as procfs's `parseZoneinfo` reads it.

/// The fields procfs knows, by the key of their line, in procfs's struct order.
pub const FIELDS: [&str; 34] = [
    "nr_free_pages",
    "min",
    "low",
    "high",
    "scanned",
    "spanned",
    "present",
    "managed",
    "nr_active_anon",
    "nr_inactive_anon",
    "nr_isolated_anon",
    "nr_anon_pages",
    "nr_anon_transparent_hugepages",
    "nr_active_file",
    "nr_inactive_file",
    "nr_isolated_file",
    "nr_file_pages",
    "nr_slab_reclaimable",
    "nr_slab_unreclaimable",
    "nr_mlock_stack",
    "nr_kernel_stack",
    "nr_mapped",
    "nr_dirty",
    "nr_writeback",
    "nr_unevictable",
    "nr_shmem",
    "nr_dirtied",
    "nr_written",
    "numa_hit",
    "numa_miss",
    "numa_foreign",
    "numa_interleave",
    "numa_local",
    "numa_other",
];

/// Go's `strconv.ParseInt(s, 0, 64)`.
fn parse_int_base0(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = crate::num::parse_uint_base0(digits, 64)?;
    if negative {
        (magnitude <= i64::MAX as u64 + 1).then(|| (magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// One zone: node and zone names, the values of [`FIELDS`] its block had (a value that does not
/// parse as an integer is left out, as procfs leaves it nil), and its protection array.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Zone {
    pub node: String,
    pub zone: String,
    pub values: Vec<(usize, i64)>,
    pub protection: Vec<i64>,
}

/// The `(\d+), zone\s+(\w+)` header of a block.
fn node_zone(line: &str) -> Option<(&str, &str)> {
    let at = line.find(", zone")?;
    let digits = line[..at]
        .bytes()
        .rev()
        .take_while(u8::is_ascii_digit)
        .count();
    if digits == 0 {
        return None;
    }
    let node = &line[at - digits..at];
    let rest = &line[at + ", zone".len()..];
    let trimmed = rest.trim_start();
    if trimmed.len() == rest.len() {
        return None;
    }
    let len = trimmed
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    if len == 0 {
        return None;
    }
    Some((node, &trimmed[..len]))
}

/// procfs's `parseZoneinfo`: blocks separated by `\nNode`, each giving one zone (even one without a
/// header); nothing fails.
pub fn parse(text: &str) -> Vec<Zone> {
    let mut out = Vec::new();
    for block in text.split("\nNode") {
        let mut zone = Zone::default();
        for line in block.split('\n') {
            if let Some((node, name)) = node_zone(line) {
                zone.node = node.to_owned();
                zone.zone = name.to_owned();
                continue;
            }
            let trimmed = line.trim();
            if trimmed.starts_with("per-node stats") {
                continue;
            }
            let mut parts = trimmed.split_ascii_whitespace();
            let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
                continue;
            };
            if key == "protection:" {
                // "protection: (0, 2877, 7826, 7826)": all or nothing.
                let Some((_, values)) = line.split_once(':') else {
                    continue;
                };
                let values = values.replacen('(', "", 1).replacen(')', "", 1);
                let parsed: Option<Vec<i64>> = values
                    .trim()
                    .split(", ")
                    .map(crate::num::parse_i64_dec)
                    .collect();
                if let Some(p) = parsed {
                    zone.protection = p;
                }
                continue;
            }
            let Some(i) = FIELDS.iter().position(|f| *f == key) else {
                continue;
            };
            // procfs's ValueParser: a value that does not parse leaves the field unset.
            let v = parse_int_base0(value);
            match (v, zone.values.iter_mut().find(|(j, _)| *j == i)) {
                (Some(v), Some(slot)) => slot.1 = v,
                (Some(v), None) => zone.values.push((i, v)),
                (None, Some(_)) => zone.values.retain(|(j, _)| *j != i),
                (None, None) => {}
            }
        }
        out.push(zone);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_and_protection() {
        let text = "Node 0, zone      DMA\n  per-node stats\n      nr_inactive_anon 230981\n  pages free     2949\n        min      8\n        protection: (0, 2877, 7826, 7826)\n      nr_free_pages 2949\nNode 0, zone    DMA32\n  pages free     1\n        min      0x10\n        high     bogus\n";
        let zones = parse(text);
        assert_eq!(zones.len(), 2);
        assert_eq!(
            (zones[0].node.as_str(), zones[0].zone.as_str()),
            ("0", "DMA")
        );
        assert!(zones[0].values.contains(&(9, 230981)));
        assert!(zones[0].values.contains(&(1, 8)));
        assert!(zones[0].values.contains(&(0, 2949)));
        assert_eq!(zones[0].protection, [0, 2877, 7826, 7826]);
        assert_eq!(zones[1].zone, "DMA32");
        assert_eq!(zones[1].values, [(1, 16)]);
    }
}
