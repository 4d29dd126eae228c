//! `/proc/schedstat`: the per-CPU scheduler statistics.

/// One `cpuN` line's last three of nine numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedstatCpu<'a> {
    pub cpu: &'a str,
    pub running_ns: u64,
    pub waiting_ns: u64,
    pub timeslices: u64,
}

/// procfs's `Schedstat`: lines `cpu<N>` followed by nine numbers, single-spaced (its regex); other
/// lines, and lines whose numbers do not fit, are skipped. Nothing fails.
pub fn for_each(text: &str, mut f: impl FnMut(&SchedstatCpu<'_>)) {
    'lines: for line in text.lines() {
        let Some(rest) = line.strip_prefix("cpu") else {
            continue;
        };
        let mut fields = rest.split(' ');
        let cpu = fields.next().unwrap_or("");
        if cpu.is_empty() || !cpu.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let mut values = [0u64; 9];
        for (i, slot) in values.iter_mut().enumerate() {
            let Some(field) = fields.next() else {
                continue 'lines;
            };
            // The regex takes a run of digits; after the ninth, anything may follow.
            let digits = field.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || (i < 8 && digits < field.len()) {
                continue 'lines;
            }
            match crate::num::parse_u64_dec(&field[..digits]) {
                Some(v) => *slot = v,
                None => continue 'lines,
            }
        }
        f(&SchedstatCpu {
            cpu,
            running_ns: values[6],
            waiting_ns: values[7],
            timeslices: values[8],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lines_only() {
        let text = "version 15\ntimestamp 15819019232\n\
            cpu0 498494191 0 3533438552 2553969831 3853684107 2465731542 2045936778163039 343796328169361 4767485306\n\
            domain0 00000000,00000003 212499247 210112015 1861015 1860405436 536440 369895 32599 210079416 25368550 24241256 384652 927363878 807233 6366 1647 0 0 0 0 0 0 0 0 0 2493 2493 0 0 0 0 0 0 0 0 0 0 0 0 0\n\
            cpu1 0 0 0 0 0 0 1 2\n";
        let mut got = Vec::new();
        for_each(text, |c| {
            got.push((c.cpu.to_owned(), c.running_ns, c.waiting_ns, c.timeslices))
        });
        assert_eq!(
            got,
            [(
                "0".to_owned(),
                2045936778163039,
                343796328169361,
                4767485306
            )]
        );
    }
}
