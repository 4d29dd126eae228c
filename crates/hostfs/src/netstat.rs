//! `/proc/<pid>/net/netstat` and `/proc/net/snmp`: pairs of lines, a header of names and a line of values,
//! each starting with the section (`IpExt:`).

use crate::num::parse_u64_dec;

/// The value named `name` in section `section` (`"IpExt"`, `"InOctets"`); `None` when the file has no such
/// column or its value is not a number.
pub fn value(text: &str, section: &str, name: &str) -> Option<u64> {
    let mut lines = text.lines();
    while let Some(header) = lines.next() {
        let values = lines.next()?;
        let (Some(h), Some(v)) = (header.strip_prefix(section), values.strip_prefix(section))
        else {
            continue;
        };
        let (Some(h), Some(v)) = (h.strip_prefix(':'), v.strip_prefix(':')) else {
            continue;
        };
        let column = h.split_ascii_whitespace().position(|n| n == name)?;
        return v
            .split_ascii_whitespace()
            .nth(column)
            .and_then(parse_u64_dec);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const NETSTAT: &str = "\
TcpExt: SyncookiesSent SyncookiesRecv
TcpExt: 0 0
IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets
IpExt: 0 0 10 20 0 0 123456 654321
";

    #[test]
    fn finds_a_column_of_a_section() {
        assert_eq!(value(NETSTAT, "IpExt", "InOctets"), Some(123456));
        assert_eq!(value(NETSTAT, "IpExt", "OutOctets"), Some(654321));
        assert_eq!(value(NETSTAT, "TcpExt", "SyncookiesRecv"), Some(0));
        assert_eq!(value(NETSTAT, "IpExt", "Nothing"), None);
        assert_eq!(value(NETSTAT, "MPTcpExt", "InOctets"), None);
    }
}
