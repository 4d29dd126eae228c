//! `/sys/fs/xfs/<device>/stats/stats`: per-filesystem XFS statistics, as procfs's `xfs.ParseStats`
//! reads them.

use crate::ParseError;

/// How many values each known line must have (`None`: any number), as procfs checks them. A line
/// not listed is still parsed as unsigned 32-bit integers.
fn expected(label: &str) -> Option<&'static [usize]> {
    Some(match label {
        "extent_alloc" | "abt" | "bmbt" | "dir" | "attr" => &[4],
        "blk_map" | "ig" => &[7],
        "trans" | "icluster" => &[3],
        "log" => &[5],
        "rw" | "xstrat" => &[2],
        "vnodes" => &[7, 8],
        "buf" => &[9],
        "push_ail" => &[10],
        "abtb2" | "abtc2" | "bmbt2" | "ibt2" | "fibt2" | "rmapbt" | "refcntbt" | "rmapbt_mem"
        | "rcbagbt" | "rtrmapbt" | "rtrmapbt_mem" | "rtrefcntbt" => &[15],
        "qm" => &[8, 9],
        "debug" => &[1],
        _ => return None,
    })
}

/// The lines node_exporter reports, by label, with their values (absent lines stay zero).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XfsStats {
    pub extent_alloc: [u32; 4],
    pub abt: [u32; 4],
    pub blk_map: [u32; 7],
    pub bmbt: [u32; 4],
    pub dir: [u32; 4],
    pub ig: [u32; 7],
    pub rw: [u32; 2],
    pub vnodes: [u32; 7],
}

fn copy<const N: usize>(slot: &mut [u32; N], values: &[u32]) {
    for (s, v) in slot.iter_mut().zip(values) {
        *s = *v;
    }
}

/// procfs's `ParseStats`: lines of a label and numbers; a number that does not parse or a known
/// line with the wrong count fails the file.
pub fn parse(text: &str) -> Result<XfsStats, ParseError> {
    let mut s = XfsStats::default();
    let mut values: Vec<u32> = Vec::with_capacity(16);
    for line in text.lines() {
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        if fields.len() < 2 {
            continue;
        }
        let label = fields[0];
        let wide = |fields: &[&str], n: usize| -> Result<(), ParseError> {
            for f in fields {
                crate::num::parse_u64_dec(f).ok_or_else(|| {
                    ParseError::new(format!("strconv.ParseUint: parsing {f:?}: invalid syntax"))
                })?;
            }
            if fields.len() != n {
                return Err(ParseError::new(format!(
                    "incorrect number of values for XFS {label} stats: {}",
                    fields.len()
                )));
            }
            Ok(())
        };
        // 64-bit lines.
        if label == "gc" && fields.len() >= 3 && fields[1] == "xpc" {
            wide(&fields[2..], 1)?;
            continue;
        }
        match label {
            "xpc" => {
                wide(&fields[1..], 3)?;
                continue;
            }
            "defer_relog" => {
                wide(&fields[1..], 1)?;
                continue;
            }
            _ => {}
        }
        values.clear();
        for f in &fields[1..] {
            let v = crate::num::parse_u64_dec(f)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| {
                    ParseError::new(format!("strconv.ParseUint: parsing {f:?}: invalid syntax"))
                })?;
            values.push(v);
        }
        let n = values.len();
        let bad = || {
            ParseError::new(format!(
                "incorrect number of values for XFS {label} stats: {n}"
            ))
        };
        match expected(label) {
            Some(counts) if !counts.contains(&n) => return Err(bad()),
            None if label == "zoned" && n < 3 => return Err(bad()),
            None if label == "metafile" && n < 1 => return Err(bad()),
            _ => {}
        }
        match label {
            "extent_alloc" => copy(&mut s.extent_alloc, &values),
            "abt" => copy(&mut s.abt, &values),
            "blk_map" => copy(&mut s.blk_map, &values),
            "bmbt" => copy(&mut s.bmbt, &values),
            "dir" => copy(&mut s.dir, &values),
            "ig" => copy(&mut s.ig, &values),
            "rw" => copy(&mut s.rw, &values),
            "vnodes" => copy(&mut s.vnodes, &values),
            _ => {}
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_lines_and_counts() {
        let s = parse(
            "extent_alloc 1 872 0 0\nabt 0 0 0 0\nblk_map 61 29 1 1 1 91 0\nbmbt 0 0 0 0\n\
             dir 3 2 1 52\ntrans 4 5 6\nig 0 0 0 0 0 0 0\nrw 28 2\nvnodes 1 2 3 4 5 6 7 8\n\
             xpc 399724544 92823103 86219234\nunknown 5\n",
        )
        .unwrap();
        assert_eq!(s.extent_alloc, [1, 872, 0, 0]);
        assert_eq!(s.rw, [28, 2]);
        assert_eq!(s.vnodes, [1, 2, 3, 4, 5, 6, 7]);
        assert!(parse("abt 1 2 3\n").is_err());
        assert!(parse("abt 1 2 3 x\n").is_err());
        assert!(parse("unknown 99999999999\n").is_err());
        assert!(parse("xpc 1 2\n").is_err());
    }
}
