//! `/proc/net/dev`.

use crate::num::parse_u64_dec;
use crate::ParseError;

/// One interface's 16 counters in the kernel's column order: receive bytes, packets, errs,
/// drop, fifo, frame, compressed, multicast, then transmit bytes, packets, errs, drop, fifo,
/// colls, carrier, compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetDevLine<'a> {
    pub name: &'a str,
    pub counters: [u64; 16],
}

/// Calls `f` for every interface line (the two header lines are skipped). The name is what
/// precedes the last `:`; a malformed line fails the file.
pub fn for_each<'a>(text: &'a str, mut f: impl FnMut(&NetDevLine<'a>)) -> Result<(), ParseError> {
    for line in text.lines().skip(2) {
        let idx = line
            .rfind(':')
            .ok_or_else(|| ParseError::new("invalid net/dev line, missing colon"))?;
        let name = line[..idx].trim();
        if name.is_empty() {
            return Err(ParseError::new(
                "invalid net/dev line, empty interface name",
            ));
        }
        let mut dev = NetDevLine {
            name,
            counters: [0; 16],
        };
        let mut fields = line[idx + 1..].split_ascii_whitespace();
        for slot in dev.counters.iter_mut() {
            let field = fields.next().ok_or_else(|| {
                ParseError::new(format!("invalid net/dev line for {name}: too few fields"))
            })?;
            *slot = parse_u64_dec(field).ok_or_else(|| {
                ParseError::new(format!(
                    "strconv.ParseUint: parsing {field:?}: invalid syntax"
                ))
            })?;
        }
        f(&dev);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Inter-|   Receive                                                |  Transmit\n \
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    \
lo: 1664039048 1566805    0    0    0     0          0         0 1664039048 1566805    0    0    0     0       0          0\n  \
eth0:68210035552 520993275    0    0    0     0          0         0 9315587528 43451486    0    0    0     0       0          0\n";

    #[test]
    fn parses_interfaces() {
        let mut got = Vec::new();
        for_each(SAMPLE, |d| got.push((d.name.to_owned(), d.counters))).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].0, "eth0");
        assert_eq!(got[1].1[0], 68210035552);
        assert_eq!(got[1].1[9], 43451486);
    }

    #[test]
    fn rejects_short_lines() {
        assert!(for_each("h\nh\n lo: 1 2 3\n", |_| {}).is_err());
        assert!(for_each("h\nh\n lo 1 2 3\n", |_| {}).is_err());
    }
}
