//! `/proc/diskstats`.

use crate::num::parse_u64_dec;
use crate::ParseError;

/// One device line. `stats[..stat_count]` are the counters the kernel printed (11 before 4.18,
/// 15 until 5.5, 17 since); the rest are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskLine<'a> {
    pub major: u32,
    pub minor: u32,
    pub name: &'a str,
    pub stats: [u64; 17],
    pub stat_count: usize,
}

/// Calls `f` for every line with at least 11 counters; shorter lines are skipped and a
/// malformed number fails the file, as procfs's `Sscanf` does.
pub fn for_each<'a>(text: &'a str, mut f: impl FnMut(&DiskLine<'a>)) -> Result<(), ParseError> {
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let bad = |field: &str| {
            ParseError::new(format!(
                "couldn't parse {line:?}: expected integer, got {field:?}"
            ))
        };
        let Some(major) = fields.next() else { continue };
        let major = parse_u32(major).ok_or_else(|| bad(major))?;
        let Some(minor) = fields.next() else { continue };
        let minor = parse_u32(minor).ok_or_else(|| bad(minor))?;
        let Some(name) = fields.next() else { continue };
        let mut disk = DiskLine {
            major,
            minor,
            name,
            stats: [0; 17],
            stat_count: 0,
        };
        for (slot, field) in disk.stats.iter_mut().zip(fields) {
            *slot = parse_u64_dec(field).ok_or_else(|| bad(field))?;
            disk.stat_count += 1;
        }
        if disk.stat_count >= 11 {
            f(&disk);
        }
    }
    Ok(())
}

fn parse_u32(s: &str) -> Option<u32> {
    parse_u64_dec(s).and_then(|v| u32::try_from(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_printed_field_count() {
        let text = "   8       0 sda 25354637 34367663 1003346126 18492372 28444756 11134226 505697032 63877960 0 9653880 82621804\n\
                    8      32 sdc 126552 141 1657779 14 11822 1895 172905 1007 0 10730 17070 18851 0 125173784 11130 1555 1944\n\
                    8 1 short 1 2 3\n\n";
        let mut got = Vec::new();
        for_each(text, |d| {
            got.push((
                d.name.to_owned(),
                d.major,
                d.minor,
                d.stat_count,
                d.stats[16],
            ))
        })
        .unwrap();
        assert_eq!(
            got,
            vec![("sda".into(), 8, 0, 11, 0), ("sdc".into(), 8, 32, 17, 1944)]
        );
    }

    #[test]
    fn malformed_number_fails() {
        assert!(for_each("8 0 sda 1 2 x 4 5 6 7 8 9 10 11\n", |_| {}).is_err());
    }
}
