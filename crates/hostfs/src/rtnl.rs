//! IPv4 neighbours (the ARP table) from the kernel's routing netlink (`RTM_GETNEIGH`), as
//! node_exporter's `arp` collector reads them when `netlink` is on.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const RTM_NEWNEIGH: u16 = 28;
const RTM_GETNEIGH: u16 = 30;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const HEADER: usize = 16;
/// `struct ndmsg`.
const NDMSG: usize = 12;
/// `NUD_NOARP`: an entry that needs no resolution (not an ARP entry).
const NUD_NOARP: u16 = 0x40;

/// Calls `f(interface)` for every IPv4 neighbour entry that is not `NUD_NOARP`; entries of an
/// interface that no longer exists are skipped, as rtnetlink's `Neighbours` skips them.
pub fn for_each_arp_entry(mut f: impl FnMut(&str)) -> io::Result<()> {
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
    let mut request = [0u8; HEADER + NDMSG];
    request[0..4].copy_from_slice(&((HEADER + NDMSG) as u32).to_ne_bytes());
    request[4..6].copy_from_slice(&RTM_GETNEIGH.to_ne_bytes());
    let flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
    request[6..8].copy_from_slice(&flags.to_ne_bytes());
    request[8..12].copy_from_slice(&1u32.to_ne_bytes());
    request[HEADER] = libc::AF_INET as u8;
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
    let mut names: Vec<(u32, Option<String>)> = Vec::new();
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
            let len = u32::from_ne_bytes(data[0..4].try_into().expect("4 bytes")) as usize;
            let kind = u16::from_ne_bytes([data[4], data[5]]);
            if len < HEADER || len > data.len() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "malformed netlink message",
                ));
            }
            let body = &data[HEADER..len];
            match kind {
                NLMSG_DONE => return Ok(()),
                NLMSG_ERROR => {
                    let errno = body
                        .get(0..4)
                        .map(|b| i32::from_ne_bytes(b.try_into().expect("4 bytes")))
                        .unwrap_or(0);
                    if errno != 0 {
                        return Err(io::Error::from_raw_os_error(-errno));
                    }
                }
                RTM_NEWNEIGH if body.len() >= NDMSG && body[0] == libc::AF_INET as u8 => {
                    let index = u32::from_ne_bytes(body[4..8].try_into().expect("4 bytes"));
                    let state = u16::from_ne_bytes([body[8], body[9]]);
                    if state & NUD_NOARP == 0 {
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
                    }
                }
                _ => {}
            }
            let next = (len + 3) & !3;
            data = &data[next.min(data.len())..];
        }
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn dumps_the_neighbour_table() {
        // Whatever the host's table holds, the dump succeeds and names real interfaces.
        let mut devices = Vec::new();
        super::for_each_arp_entry(|d| devices.push(d.to_owned())).unwrap();
        for d in devices {
            assert!(!d.is_empty());
        }
        assert_eq!(super::interface_name(1).as_deref(), Some("lo"));
    }
}
