//! `/proc/<pid>/net/netstat` and `/proc/net/snmp`: pairs of lines, a header of names and a line of values,
//! each starting with the section (`IpExt:`); and `/proc/net/snmp6`, one `name value` per line.

use crate::num::parse_u64_dec;
use crate::ParseError;

/// node_exporter's `parseNetStats`: calls `f(protocol, name, value)` for every column of every pair of
/// lines, splitting on single spaces as node_exporter does. A pair whose lines have different numbers
/// of fields fails the file.
pub fn for_each_pair<'a>(
    text: &'a str,
    mut f: impl FnMut(&'a str, &'a str, &'a str) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let mut lines = text.lines();
    while let Some(header) = lines.next() {
        let values = lines.next().unwrap_or("");
        let mut names = header.split(' ');
        let first = names.next().unwrap_or("");
        // node_exporter drops the last character of the first field (the colon).
        let protocol = first.char_indices().last().map_or("", |(i, _)| &first[..i]);
        if header.split(' ').count() != values.split(' ').count() {
            return Err(ParseError::new(format!(
                "mismatch field count mismatch: {protocol}"
            )));
        }
        for (name, value) in names.zip(values.split(' ').skip(1)) {
            f(protocol, name, value)?;
        }
    }
    Ok(())
}

/// node_exporter's `parseSNMP6Stats`: lines of `<name> <value>`; the name splits after its first `6`
/// into protocol (`Ip6`) and field (`InReceives`). Lines without a `6` or a value are skipped.
pub fn for_each_snmp6<'a>(
    text: &'a str,
    mut f: impl FnMut(&'a str, &'a str, &'a str) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let (Some(stat), Some(value)) = (fields.next(), fields.next()) else {
            continue;
        };
        if let Some(six) = stat.find('6') {
            f(&stat[..=six], &stat[six + 1..], value)?;
        }
    }
    Ok(())
}

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

    #[test]
    fn pairs_of_lines() {
        let mut got = Vec::new();
        for_each_pair(NETSTAT, |p, n, v| {
            got.push(format!("{p}_{n}={v}"));
            Ok(())
        })
        .unwrap();
        assert_eq!(got[0], "TcpExt_SyncookiesSent=0");
        assert_eq!(got[2], "IpExt_InNoRoutes=0");
        assert_eq!(got.last().unwrap(), "IpExt_OutOctets=654321");
        let err = for_each_pair("Ip: A B\nIp: 1\n", |_, _, _| Ok(())).unwrap_err();
        assert_eq!(err.to_string(), "mismatch field count mismatch: Ip");
    }

    #[test]
    fn snmp6_lines() {
        let mut got = Vec::new();
        for_each_snmp6(
            "Ip6InReceives                   \t36\nIcmp6OutMsgs 8\nnosix 1\nIp6X\n",
            |p, n, v| {
                got.push((p, n, v));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(
            got,
            [("Ip6", "InReceives", "36"), ("Icmp6", "OutMsgs", "8")]
        );
    }
}
