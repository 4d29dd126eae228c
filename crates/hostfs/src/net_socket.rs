//! `/proc/net/{tcp,udp}{,6}`: one socket per line after a header.

use crate::ParseError;

/// Queue lengths summed over sockets, as procfs's `NetIPSocketSummary` gives them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub tx_queue: u64,
    pub rx_queue: u64,
    pub sockets: u64,
}

fn field_error(what: &str, field: &str) -> ParseError {
    ParseError::new(format!("Cannot parse {what} in {field:?}"))
}

fn hex(what: &str, field: &str) -> Result<u64, ParseError> {
    u64::from_str_radix(field, 16)
        .ok()
        .filter(|_| !field.starts_with('+'))
        .ok_or_else(|| field_error(what, field))
}

fn address(what: &str, field: &str) -> Result<(), ParseError> {
    let (ip, port) = field
        .split_once(':')
        .filter(|(_, p)| !p.contains(':'))
        .ok_or_else(|| field_error(what, field))?;
    if !(ip.len() == 8 || ip.len() == 32) || !ip.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(field_error(what, field));
    }
    hex(what, port).map(drop)
}

/// procfs's `newNetIPSocketSummary`: every line after the first must parse (procfs checks each
/// field it stores), else the file fails. `udp` files also need their `drops` column.
pub fn summary(text: &str, udp: bool) -> Result<Summary, ParseError> {
    let mut s = Summary::default();
    let mut fields: Vec<&str> = Vec::with_capacity(16);
    for line in text.lines().skip(1) {
        fields.clear();
        fields.extend(line.split_ascii_whitespace());
        if fields.len() < 10 || (udp && fields.len() < 13) {
            return Err(ParseError::new(format!(
                "Less than 10 columns found {:?}",
                fields.join(" ")
            )));
        }
        let sl = fields[0]
            .split_once(':')
            .filter(|(_, rest)| !rest.contains(':'))
            .ok_or_else(|| field_error("sl field", fields[0]))?
            .0;
        crate::num::parse_uint_base0(sl, 64).ok_or_else(|| field_error("sl field", sl))?;
        address("local_address", fields[1])?;
        address("rem_address", fields[2])?;
        hex("st", fields[3])?;
        let (tx, rx) = fields[4]
            .split_once(':')
            .ok_or_else(|| field_error("tx/rx queues", fields[4]))?;
        let (tx, rx) = (hex("tx_queue", tx)?, hex("rx_queue", rx)?);
        for (what, i) in [("UID", 7), ("inode", 9)] {
            crate::num::parse_uint_base0(fields[i], 64)
                .ok_or_else(|| field_error(what, fields[i]))?;
        }
        if udp {
            crate::num::parse_uint_base0(fields[12], 64)
                .ok_or_else(|| field_error("drops", fields[12]))?;
        }
        s.tx_queue = s.tx_queue.wrapping_add(tx);
        s.rx_queue = s.rx_queue.wrapping_add(rx);
        s.sockets += 1;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_queues() {
        let text = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
            0: 00000000:0016 00000000:0000 0A 00000015:00000000 00:00000000 00000000     0        0 2740 1 ffff88003d3af3c0 100 0 0 10 0\n\
            1: 0100007F:0277 00000000:0000 0A 00000001:00000002 00:00000000 00000000     0        0 2740 1 ffff88003d3af3c0 100 0 0 10 0\n";
        let s = summary(text, true).unwrap();
        assert_eq!(
            s,
            Summary {
                tx_queue: 0x16,
                rx_queue: 2,
                sockets: 2
            }
        );
        let v6 = "h\n 0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000001 00:00000000 00000000 0 0 1 2 ffff 100 0\n";
        assert_eq!(summary(v6, true).unwrap().rx_queue, 1);
        assert!(summary("h\n 0: 0:0 0:0 0A 0:0 0 0 0 0\n", false).is_err());
        assert!(summary("h\n0: 00000000:0016 00000000:0000 0A 0000001:zz 00:00000000 00000000 0 0 2740 1 f 100 0 0 10 0\n", true).is_err());
        assert_eq!(summary("h\n", true).unwrap(), Summary::default());
    }
}
