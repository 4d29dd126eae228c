//! `/proc/net/ip_vs_stats` and `/proc/net/ip_vs`: IP Virtual Server totals and backends.

use std::net::IpAddr;

use crate::ParseError;

/// The five totals of `ip_vs_stats` (hex on its third line).
pub fn stats(text: &str) -> Result<[u64; 5], ParseError> {
    let lines: Vec<&str> = text.splitn(4, '\n').collect();
    if lines.len() != 4 {
        return Err(ParseError::new("ip_vs_stats corrupt: too short"));
    }
    let fields: Vec<&str> = lines[2].split_ascii_whitespace().collect();
    if fields.len() != 5 {
        return Err(ParseError::new(
            "ip_vs_stats corrupt: unexpected number of fields",
        ));
    }
    let mut out = [0u64; 5];
    for (slot, f) in out.iter_mut().zip(fields) {
        *slot = u64::from_str_radix(f, 16)
            .ok()
            .filter(|_| !f.starts_with('+'))
            .ok_or_else(|| {
                ParseError::new(format!("strconv.ParseUint: parsing {f:?}: invalid syntax"))
            })?;
    }
    Ok(out)
}

/// One backend line (`->`) with the virtual service above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend<'a> {
    /// `None` for a firewall-mark service.
    pub local_address: Option<IpAddr>,
    pub local_port: u16,
    pub local_mark: &'a str,
    pub remote_address: Option<IpAddr>,
    pub remote_port: u16,
    pub proto: &'a str,
    pub weight: u64,
    pub active: u64,
    pub inactive: u64,
}

/// procfs's `parseIPPort`: `C0A80016:0CEA` or `[2620:0:...]:0050`.
fn ip_port(s: &str) -> Result<(Option<IpAddr>, u16), ParseError> {
    let bad = || ParseError::new(format!("Unexpected IP:Port {s}"));
    let ip = match s.len() {
        13 => {
            let hex = &s[..8];
            let v = u32::from_str_radix(hex, 16)
                .ok()
                .filter(|_| hex.bytes().all(|b| b.is_ascii_hexdigit()))
                .ok_or_else(bad)?;
            IpAddr::V4(v.into())
        }
        46 => s
            .get(1..40)
            .and_then(|a| a.parse::<std::net::Ipv6Addr>().ok())
            .map(IpAddr::V6)
            .ok_or_else(|| {
                ParseError::new(format!("Invalid IPv6 addr {}", &s[1..40.min(s.len())]))
            })?,
        _ => return Err(bad()),
    };
    let port = &s[s.len() - 4..];
    let port = u16::from_str_radix(port, 16)
        .ok()
        .filter(|_| !port.starts_with('+'))
        .ok_or_else(|| {
            ParseError::new(format!(
                "strconv.ParseUint: parsing {port:?}: invalid syntax"
            ))
        })?;
    Ok((Some(ip), port))
}

/// procfs's `parseIPVSBackendStatus`.
pub fn backends(text: &str) -> Result<Vec<Backend<'_>>, ParseError> {
    let mut out = Vec::new();
    let (mut proto, mut mark) = ("", "");
    let (mut local, mut local_port) = (None, 0);
    for line in text.lines() {
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        match fields[0] {
            "IP" | "Prot" => continue,
            _ if fields.get(1) == Some(&"RemoteAddress:Port") => continue,
            "TCP" | "UDP" if fields.len() >= 2 => {
                proto = fields[0];
                mark = "";
                (local, local_port) = ip_port(fields[1])?;
            }
            "FWM" if fields.len() >= 2 => {
                proto = fields[0];
                mark = fields[1];
                local = None;
                local_port = 0;
            }
            "->" if fields.len() >= 6 => {
                let (remote, remote_port) = ip_port(fields[1])?;
                let number = |f: &str| {
                    crate::num::parse_u64_dec(f).ok_or_else(|| {
                        ParseError::new(format!("strconv.ParseUint: parsing {f:?}: invalid syntax"))
                    })
                };
                out.push(Backend {
                    local_address: local,
                    local_port,
                    local_mark: mark,
                    remote_address: remote,
                    remote_port,
                    proto,
                    weight: number(fields[3])?,
                    active: number(fields[4])?,
                    inactive: number(fields[5])?,
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_and_backends() {
        let t = stats("   Total Incoming Outgoing         Incoming         Outgoing\n   Conns  Packets  Packets            Bytes            Bytes\n 16AA370 E33656E5        0     51D8C8883AB3                0\n\n rest\n").unwrap();
        assert_eq!(t, [0x16AA370, 0xE33656E5, 0, 0x51D8C8883AB3, 0]);
        let b = backends(
            "IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n\
             TCP  C0A80016:0CEA wlc\n  -> C0A85216:0CEA      Tunnel  100    248        2\n\
             FWM  10001000 wlc\n  -> C0A8321A:0CEA      Tunnel  20     64         1\n\
             TCP  [2620:0000:0000:0000:0000:0000:0000:0001]:0050 sh\n  -> [2620:0000:0000:0000:0000:0000:0000:0002]:0050      Route   1      0          0\n",
        )
        .unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].local_address, Some("192.168.0.22".parse().unwrap()));
        assert_eq!(b[0].local_port, 3306);
        assert_eq!(b[1].local_address, None);
        assert_eq!(b[1].local_mark, "10001000");
        assert_eq!(b[2].remote_address, Some("2620::2".parse().unwrap()));
        assert_eq!(b[2].remote_port, 80);
    }
}
