//! `/proc/net/arp`.

use crate::ParseError;

/// procfs's `parseARPEntries`, counted per device as node_exporter counts them: calls `f(device)` for
/// every entry. Lines of 9 fields (the header) and empty lines are skipped; a line of another width
/// than 6, a hardware address Go's `net.ParseMAC` refuses, or flags that are not a byte fail the file.
pub fn for_each_entry<'a>(text: &'a str, mut f: impl FnMut(&'a str)) -> Result<(), ParseError> {
    let mut columns: Vec<&str> = Vec::with_capacity(9);
    for line in text.split('\n') {
        columns.clear();
        columns.extend(line.split_ascii_whitespace());
        match columns.len() {
            0 | 9 => continue,
            6 => {
                if !is_mac(columns[3]) {
                    return Err(ParseError::new(format!(
                        "Failed to parse ARP entry: address {}: invalid MAC address",
                        columns[3]
                    )));
                }
                if crate::num::parse_uint_base0(columns[2], 8).is_none() {
                    return Err(ParseError::new(format!(
                        "Failed to parse ARP entry: strconv.ParseUint: parsing {:?}: invalid syntax",
                        columns[2]
                    )));
                }
                f(columns[5]);
            }
            width => {
                return Err(ParseError::new(format!(
                    "{width} columns found, but expected 6"
                )))
            }
        }
    }
    Ok(())
}

/// Go's `net.ParseMAC`: 6, 8 or 20 octets as `xx:xx:…`, `xx-xx-…` or `xxxx.xxxx.…`.
fn is_mac(s: &str) -> bool {
    let b = s.as_bytes();
    let hex = |c: &[u8]| c.iter().all(u8::is_ascii_hexdigit);
    if b.len() < 14 {
        return false;
    }
    if b[2] == b':' || b[2] == b'-' {
        let n = (b.len() + 1) / 3;
        if n * 3 != b.len() + 1 {
            return false;
        }
        if n != 6 && n != 8 && n != 20 {
            return false;
        }
        (0..n).all(|i| hex(&b[3 * i..3 * i + 2]) && (i + 1 == n || b[3 * i + 2] == b[2]))
    } else if b[4] == b'.' {
        let groups = (b.len() + 1) / 5;
        if groups * 5 != b.len() + 1 {
            return false;
        }
        let n = 2 * groups;
        if n != 6 && n != 8 && n != 20 {
            return false;
        }
        (0..n / 2).all(|i| hex(&b[5 * i..5 * i + 4]) && (i + 1 == n / 2 || b[5 * i + 4] == b'.'))
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_entries_per_device() {
        let text =
            "IP address       HW type     Flags       HW address            Mask     Device\n\
            192.168.1.1      0x1         0x2         cc:aa:dd:ee:aa:bb     *        eth0\n\
            192.168.1.2      0x1         0x2         bb:cc:dd:ee:ff:aa     *        eth0\n\
            10.0.0.1         0x1         0x0         00:00:00:00:00:00     *        eth1\n";
        let mut got = Vec::new();
        for_each_entry(text, |d| got.push(d)).unwrap();
        assert_eq!(got, ["eth0", "eth0", "eth1"]);
        assert!(for_each_entry("1 2 3\n", |_| {}).is_err());
        assert!(for_each_entry("a b 0x2 zz:aa:dd:ee:aa:bb * eth0\n", |_| {}).is_err());
        assert!(for_each_entry("a b 0x200 cc:aa:dd:ee:aa:bb * eth0\n", |_| {}).is_err());
    }

    #[test]
    fn macs_as_go_parses_them() {
        assert!(is_mac("00:00:5e:00:53:01"));
        assert!(is_mac("00-00-5e-00-53-01"));
        assert!(is_mac("0000.5e00.5301"));
        assert!(is_mac(
            "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01"
        ));
        assert!(!is_mac("00:00:5e:00:53"));
        assert!(!is_mac("00:00:5e-00:53:01"));
    }
}
