//! `/proc/net/stat/nf_conntrack`: a header line, then one line of hex counters per CPU.

use crate::ParseError;

/// The counters node_exporter reports, summed over CPUs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConntrackStat {
    pub found: u64,
    pub invalid: u64,
    pub ignore: u64,
    pub insert: u64,
    pub insert_failed: u64,
    pub drop: u64,
    pub early_drop: u64,
    pub search_restart: u64,
}

/// procfs's `parseConntrackStat`, summed as node_exporter sums it: every line after the header must
/// hold 16 or 17 hex numbers (`search_restart` is the 17th).
pub fn parse(text: &str) -> Result<ConntrackStat, ParseError> {
    let mut sum = ConntrackStat::default();
    let mut values = [0u64; 17];
    for line in text.lines().skip(1) {
        let mut n = 0;
        for field in line.split_ascii_whitespace() {
            let v = u64::from_str_radix(field, 16)
                .ok()
                .filter(|_| !field.starts_with('+'))
                .ok_or_else(|| ParseError::new(format!("Cannot parse entry: {field:?}")))?;
            if n < values.len() {
                values[n] = v;
            }
            n += 1;
        }
        if !(16..=17).contains(&n) {
            return Err(ParseError::new(format!(
                "invalid conntrackstat entry, invalid number of fields: {n}"
            )));
        }
        let add = |a: u64, b: u64| a.wrapping_add(b);
        sum.found = add(sum.found, values[2]);
        sum.invalid = add(sum.invalid, values[4]);
        sum.ignore = add(sum.ignore, values[5]);
        sum.insert = add(sum.insert, values[8]);
        sum.insert_failed = add(sum.insert_failed, values[9]);
        sum.drop = add(sum.drop, values[10]);
        sum.early_drop = add(sum.early_drop, values[11]);
        if n == 17 {
            sum.search_restart = add(sum.search_restart, values[16]);
        }
    }
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_cpus() {
        let text = "entries searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error expect_new expect_create expect_delete search_restart\n\
            00000021  00000000 00000001 00000000 00000005 000016d4 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000002\n\
            00000021  00000000 00000000 00000000 00000001 000036d4 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000005\n";
        let s = parse(text).unwrap();
        assert_eq!(s.found, 1);
        assert_eq!(s.invalid, 6);
        assert_eq!(s.ignore, 0x16d4 + 0x36d4);
        assert_eq!(s.search_restart, 7);
        assert!(parse("h\n1 2 3\n").is_err());
        assert!(parse("h\n0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 z\n").is_err());
    }
}
