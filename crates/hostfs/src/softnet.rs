//! `/proc/net/softnet_stat`: one line of hex counters per CPU.

use crate::ParseError;

/// One CPU's line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SoftnetStat {
    pub processed: u32,
    pub dropped: u32,
    pub time_squeezed: u32,
    pub cpu_collision: u32,
    pub received_rps: u32,
    pub flow_limit_count: u32,
    pub backlog_len: u32,
    /// The CPU: the 13th column when there is one, else the line's position.
    pub index: u32,
}

fn hex32(field: &str) -> Result<u32, ParseError> {
    u32::from_str_radix(field, 16)
        .ok()
        .filter(|_| !field.starts_with('+'))
        .ok_or_else(|| {
            ParseError::new(format!(
                "strconv.ParseUint: parsing {field:?}: invalid syntax"
            ))
        })
}

/// procfs's `parseSoftnet`: a line of fewer than 9 columns, or an unparsable column that it uses, fails
/// the file.
pub fn for_each(text: &str, mut f: impl FnMut(&SoftnetStat)) -> Result<(), ParseError> {
    let mut columns: Vec<&str> = Vec::with_capacity(16);
    for (cpu, line) in text.lines().enumerate() {
        columns.clear();
        columns.extend(line.split_ascii_whitespace());
        let width = columns.len();
        if width < 9 {
            return Err(ParseError::new(format!(
                "detected {width} columns, but expected at least 9"
            )));
        }
        let mut s = SoftnetStat::default();
        for (i, column) in columns[..9].iter().enumerate() {
            let v = hex32(column)?;
            match i {
                0 => s.processed = v,
                1 => s.dropped = v,
                2 => s.time_squeezed = v,
                8 => s.cpu_collision = v,
                _ => {}
            }
        }
        if width >= 10 {
            s.received_rps = hex32(columns[9])?;
        }
        if width >= 11 {
            s.flow_limit_count = hex32(columns[10])?;
        }
        if width >= 13 {
            s.backlog_len = hex32(columns[11])?;
            s.index = hex32(columns[12])?;
        } else {
            s.index = cpu as u32;
        }
        f(&s);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        let mut got = Vec::new();
        for_each(
            "00015c73 00020e76 F0000769 00000000 00000000 00000000 00000000 00000000 00000000\n\
             01663fb2 00000000 000109a4 00000000 00000000 00000000 00000000 00000000 0000000a 00000001 00000002 00000003 00000007\n",
            |s| got.push(*s),
        )
        .unwrap();
        assert_eq!(got[0].time_squeezed, 0xF0000769);
        assert_eq!(got[0].index, 0);
        assert_eq!(got[1].cpu_collision, 10);
        assert_eq!(got[1].flow_limit_count, 2);
        assert_eq!(got[1].backlog_len, 3);
        assert_eq!(got[1].index, 7);
        assert!(for_each("1 2 3\n", |_| {}).is_err());
    }
}
