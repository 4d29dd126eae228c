//! The kernel's routing netlink (`NETLINK_ROUTE`) dumps node_exporter reads: IPv4 neighbours (the
//! ARP table, for `arp` with `netlink = true`), links and routes (for `network_route`), and queueing
//! disciplines (for `qdisc`).

use std::ffi::CStr;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const RTM_NEWROUTE: u16 = 24;
const RTM_GETROUTE: u16 = 26;
const RTM_NEWNEIGH: u16 = 28;
const RTM_GETNEIGH: u16 = 30;
const RTM_NEWQDISC: u16 = 36;
const RTM_GETQDISC: u16 = 38;
/// `struct tcmsg`.
const TCMSG: usize = 20;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const HEADER: usize = 16;
/// `struct ndmsg`.
const NDMSG: usize = 12;
/// `struct ifinfomsg`.
const IFINFOMSG: usize = 16;
/// `struct rtmsg`.
const RTMSG: usize = 12;
/// `NUD_NOARP`: an entry that needs no resolution (not an ARP entry).
const NUD_NOARP: u16 = 0x40;

fn word(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// Sends a dump request of `kind` with `body` and calls `f(type, payload)` for every message of
/// the answer.
fn dump(kind: u16, body: &[u8], mut f: impl FnMut(u16, &[u8])) -> io::Result<()> {
    // SAFETY: plain socket creation; the descriptor is owned below.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_ROUTE,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor we just created and nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut request = vec![0u8; HEADER + body.len()];
    let total = request.len() as u32;
    request[0..4].copy_from_slice(&total.to_ne_bytes());
    request[4..6].copy_from_slice(&kind.to_ne_bytes());
    let flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
    request[6..8].copy_from_slice(&flags.to_ne_bytes());
    request[8..12].copy_from_slice(&1u32.to_ne_bytes());
    request[HEADER..].copy_from_slice(body);
    loop {
        // SAFETY: the request is valid for its length; the socket is unconnected, so the kernel
        // (port 0) receives it.
        let sent = unsafe { libc::send(fd.as_raw_fd(), request.as_ptr().cast(), request.len(), 0) };
        if sent >= 0 {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        // SAFETY: the kernel writes at most `buf.len()` bytes into buf.
        let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        if n == 0 {
            return Ok(());
        }
        let mut data = &buf[..n as usize];
        while data.len() >= HEADER {
            let len = word(data, 0) as usize;
            let kind = u16::from_ne_bytes([data[4], data[5]]);
            if len < HEADER || len > data.len() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "malformed netlink message",
                ));
            }
            let payload = &data[HEADER..len];
            match kind {
                NLMSG_DONE => return Ok(()),
                NLMSG_ERROR => {
                    let errno = if payload.len() >= 4 {
                        word(payload, 0) as i32
                    } else {
                        0
                    };
                    if errno != 0 {
                        return Err(io::Error::from_raw_os_error(-errno));
                    }
                }
                _ => f(kind, payload),
            }
            let next = (len + 3) & !3;
            data = &data[next.min(data.len())..];
        }
    }
}

/// Calls `f(type, value)` for each route attribute in `attrs`.
fn for_each_attribute<'a>(mut attrs: &'a [u8], mut f: impl FnMut(u16, &'a [u8])) {
    while attrs.len() >= 4 {
        let len = u16::from_ne_bytes([attrs[0], attrs[1]]) as usize;
        let kind = u16::from_ne_bytes([attrs[2], attrs[3]]) & 0x3fff;
        if len < 4 || len > attrs.len() {
            return;
        }
        f(kind, &attrs[4..len]);
        let next = (len + 3) & !3;
        attrs = &attrs[next.min(attrs.len())..];
    }
}

/// Calls `f(interface)` for every IPv4 neighbour entry that is not `NUD_NOARP`; entries of an
/// interface that no longer exists are skipped, as rtnetlink's `Neighbours` skips them.
pub fn for_each_arp_entry(mut f: impl FnMut(&str)) -> io::Result<()> {
    let mut request = [0u8; NDMSG];
    request[0] = libc::AF_INET as u8;
    let mut names: Vec<(u32, Option<String>)> = Vec::new();
    dump(RTM_GETNEIGH, &request, |kind, body| {
        if kind != RTM_NEWNEIGH || body.len() < NDMSG || body[0] != libc::AF_INET as u8 {
            return;
        }
        let index = word(body, 4);
        let state = u16::from_ne_bytes([body[8], body[9]]);
        if state & NUD_NOARP != 0 {
            return;
        }
        let name = match names.iter().find(|(i, _)| *i == index) {
            Some((_, name)) => name.clone(),
            None => {
                let name = interface_name(index);
                names.push((index, name.clone()));
                name
            }
        };
        if let Some(name) = name {
            f(&name);
        }
    })
}

/// `if_indextoname`, `None` when the interface is gone.
fn interface_name(index: u32) -> Option<String> {
    let mut name = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: the buffer holds IF_NAMESIZE bytes, as if_indextoname requires.
    let r = unsafe { libc::if_indextoname(index, name.as_mut_ptr()) };
    if r.is_null() {
        return None;
    }
    // SAFETY: on success the kernel's name was written NUL-terminated into `name`.
    let name = unsafe { CStr::from_ptr(name.as_ptr()) };
    Some(name.to_string_lossy().into_owned())
}

/// Every link: index and name (`IFLA_IFNAME`).
pub fn links() -> io::Result<Vec<(u32, String)>> {
    let request = [0u8; IFINFOMSG];
    let mut out = Vec::new();
    dump(RTM_GETLINK, &request, |kind, body| {
        if kind != RTM_NEWLINK || body.len() < IFINFOMSG {
            return;
        }
        let index = word(body, 4);
        let mut name = String::new();
        for_each_attribute(&body[IFINFOMSG..], |t, v| {
            // IFLA_IFNAME
            if t == 3 {
                name =
                    String::from_utf8_lossy(v.split(|&b| b == 0).next().unwrap_or(v)).into_owned();
            }
        });
        out.push((index, name));
    })?;
    Ok(out)
}

/// One next hop of a multipath route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHop {
    pub interface: u32,
    pub hops: u8,
    pub gateway: Option<IpAddr>,
}

/// A route, as rtnetlink decodes the attributes node_exporter uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub family: u8,
    pub dst_len: u8,
    pub protocol: u8,
    /// `rtm_type` (`RTN_UNICAST` = 1).
    pub kind: u8,
    pub dst: Option<IpAddr>,
    /// `RTA_PREFSRC`.
    pub src: Option<IpAddr>,
    pub gateway: Option<IpAddr>,
    pub out_interface: u32,
    pub priority: u32,
    pub multipath: Vec<NextHop>,
}

fn ip(v: &[u8]) -> Option<IpAddr> {
    match v.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::new(v[0], v[1], v[2], v[3]))),
        16 => {
            let b: [u8; 16] = v.try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(b)))
        }
        _ => None,
    }
}

/// Every route of every table and family (rtnetlink's `Route.List`).
pub fn routes() -> io::Result<Vec<Route>> {
    let request = [0u8; RTMSG];
    let mut out = Vec::new();
    dump(RTM_GETROUTE, &request, |kind, body| {
        if kind != RTM_NEWROUTE || body.len() < RTMSG {
            return;
        }
        let mut r = Route {
            family: body[0],
            dst_len: body[1],
            protocol: body[5],
            kind: body[7],
            dst: None,
            src: None,
            gateway: None,
            out_interface: 0,
            priority: 0,
            multipath: Vec::new(),
        };
        for_each_attribute(&body[RTMSG..], |t, v| match t {
            // RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC, RTA_MULTIPATH
            1 => r.dst = ip(v),
            4 if v.len() >= 4 => r.out_interface = word(v, 0),
            5 => r.gateway = ip(v),
            6 if v.len() >= 4 => r.priority = word(v, 0),
            7 => r.src = ip(v),
            9 => {
                // struct rtnexthop { u16 len; u8 flags; u8 hops; i32 ifindex; } and attributes.
                let mut rest = v;
                while rest.len() >= 8 {
                    let len = u16::from_ne_bytes([rest[0], rest[1]]) as usize;
                    if len < 8 || len > rest.len() {
                        break;
                    }
                    let mut hop = NextHop {
                        interface: word(rest, 4),
                        hops: rest[3],
                        gateway: None,
                    };
                    for_each_attribute(&rest[8..len], |t, v| {
                        if t == 5 {
                            hop.gateway = ip(v);
                        }
                    });
                    r.multipath.push(hop);
                    let next = (len + 3) & !3;
                    rest = &rest[next.min(rest.len())..];
                }
            }
            _ => {}
        });
        out.push(r);
    })?;
    Ok(out)
}

/// One queueing discipline, with the counters ema/qdisc (node_exporter's `qdisc` collector) reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Qdisc {
    pub ifindex: u32,
    /// 0 for a root qdisc (the kernel's `TC_H_ROOT`, all ones, is reported as 0, as ema/qdisc does).
    pub parent: u32,
    pub kind: String,
    pub bytes: u64,
    pub packets: u32,
    pub drops: u32,
    pub requeues: u32,
    pub overlimits: u32,
    pub qlen: u32,
    pub backlog: u32,
}

/// Every qdisc of every interface (`RTM_GETQDISC` dump), in the kernel's order.
pub fn qdiscs() -> io::Result<Vec<Qdisc>> {
    let request = [0u8; TCMSG];
    let mut out = Vec::new();
    let mut bad = None;
    dump(RTM_GETQDISC, &request, |kind, body| {
        if kind != RTM_NEWQDISC || bad.is_some() {
            return;
        }
        match parse_qdisc(body) {
            Ok(q) => out.push(q),
            Err(e) => bad = Some(e),
        }
    })?;
    match bad {
        Some(e) => Err(io::Error::new(io::ErrorKind::InvalidData, e)),
        None => Ok(out),
    }
}

/// One `RTM_NEWQDISC` payload, read as ema/qdisc's `parseMessage` reads it: `TCA_KIND`, then the
/// counters of `TCA_STATS2` (`TCA_STATS_BASIC`, `TCA_STATS_QUEUE`) and of the older `TCA_STATS`, each
/// overwriting what it carries in the order the kernel sent them.
fn parse_qdisc(body: &[u8]) -> Result<Qdisc, String> {
    const TCA_KIND: u16 = 1;
    const TCA_STATS: u16 = 3;
    const TCA_STATS2: u16 = 7;
    const TCA_STATS_BASIC: u16 = 1;
    const TCA_STATS_QUEUE: u16 = 3;
    if body.len() < TCMSG {
        return Err(format!("short message, len={}", body.len()));
    }
    let parent = word(body, 12);
    let mut q = Qdisc {
        ifindex: word(body, 4),
        parent: if parent == u32::MAX { 0 } else { parent },
        ..Qdisc::default()
    };
    let mut short = None;
    for_each_attribute(&body[TCMSG..], |t, v| match t {
        TCA_KIND => {
            q.kind = String::from_utf8_lossy(v.split(|&b| b == 0).next().unwrap_or(v)).into_owned()
        }
        TCA_STATS2 => for_each_attribute(v, |t, v| match t {
            TCA_STATS_BASIC if v.len() >= 12 => {
                q.bytes = u64::from_ne_bytes(v[0..8].try_into().expect("8 bytes"));
                q.packets = word(v, 8);
            }
            TCA_STATS_QUEUE if v.len() >= 20 => {
                q.qlen = word(v, 0);
                q.backlog = word(v, 4);
                q.drops = word(v, 8);
                q.requeues = word(v, 12);
                q.overlimits = word(v, 16);
            }
            TCA_STATS_BASIC | TCA_STATS_QUEUE => short = Some(t),
            _ => {}
        }),
        TCA_STATS if v.len() >= 36 => {
            q.bytes = u64::from_ne_bytes(v[0..8].try_into().expect("8 bytes"));
            q.packets = word(v, 8);
            q.drops = word(v, 12);
            q.overlimits = word(v, 16);
            q.qlen = word(v, 28);
            q.backlog = word(v, 32);
        }
        TCA_STATS => short = Some(t),
        _ => {}
    });
    if let Some(t) = short {
        // ema/qdisc would index past the end and panic; a clear error instead.
        return Err(format!("qdisc statistics attribute {t} too short"));
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_the_neighbour_table() {
        // Whatever the host's table holds, the dump succeeds and names real interfaces.
        let mut devices = Vec::new();
        for_each_arp_entry(|d| devices.push(d.to_owned())).unwrap();
        for d in devices {
            assert!(!d.is_empty());
        }
        assert_eq!(interface_name(1).as_deref(), Some("lo"));
    }

    #[test]
    fn dumps_links_and_routes() {
        let links = links().unwrap();
        assert!(links.iter().any(|(i, n)| *i == 1 && n == "lo"), "{links:?}");
        let routes = routes().unwrap();
        // The loopback's local route exists on every host.
        assert!(
            routes
                .iter()
                .any(|r| r.dst == Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)))
                    && r.out_interface == 1),
            "{routes:?}"
        );
    }

    fn attr(t: u16, v: &[u8]) -> Vec<u8> {
        let mut a = Vec::new();
        a.extend_from_slice(&((4 + v.len()) as u16).to_ne_bytes());
        a.extend_from_slice(&t.to_ne_bytes());
        a.extend_from_slice(v);
        while a.len() % 4 != 0 {
            a.push(0);
        }
        a
    }

    #[test]
    fn a_qdisc_message_as_ema_qdisc_reads_it() {
        let mut body = vec![0u8; super::TCMSG];
        body[4..8].copy_from_slice(&2u32.to_ne_bytes());
        body[12..16].copy_from_slice(&u32::MAX.to_ne_bytes());
        body.extend(attr(1, b"fq_codel\0"));
        let mut basic = 1234u64.to_ne_bytes().to_vec();
        basic.extend(7u32.to_ne_bytes());
        basic.extend([0u8; 4]);
        let queue: Vec<u8> = [1u32, 2, 3, 4, 5]
            .iter()
            .flat_map(|n| n.to_ne_bytes())
            .collect();
        let mut stats2 = attr(1, &basic);
        stats2.extend(attr(3, &queue));
        body.extend(attr(7, &stats2));
        let q = super::parse_qdisc(&body).unwrap();
        assert_eq!(
            q,
            super::Qdisc {
                ifindex: 2,
                parent: 0,
                kind: "fq_codel".into(),
                bytes: 1234,
                packets: 7,
                qlen: 1,
                backlog: 2,
                drops: 3,
                requeues: 4,
                overlimits: 5,
            }
        );
        // The older TCA_STATS after TCA_STATS2 overwrites what it carries (not requeues).
        let old: Vec<u8> = 99u64
            .to_ne_bytes()
            .iter()
            .copied()
            .chain(
                [8u32, 9, 10, 0, 0, 11, 12]
                    .iter()
                    .flat_map(|n| n.to_ne_bytes()),
            )
            .collect();
        body.extend(attr(3, &old));
        let q = super::parse_qdisc(&body).unwrap();
        assert_eq!(
            (
                q.bytes,
                q.packets,
                q.drops,
                q.overlimits,
                q.qlen,
                q.backlog,
                q.requeues
            ),
            (99, 8, 9, 10, 11, 12, 4)
        );
        assert_eq!(
            super::parse_qdisc(&body[..10]).unwrap_err(),
            "short message, len=10"
        );
        let mut short = vec![0u8; super::TCMSG];
        short.extend(attr(3, &[0u8; 8]));
        assert!(super::parse_qdisc(&short).is_err());
    }
}
