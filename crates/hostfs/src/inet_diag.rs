//! TCP sockets by state, from the kernel's `sock_diag` netlink interface (`NETLINK_INET_DIAG`), as
//! node_exporter's `tcpstat` collector asks for them.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Counts of one address family's TCP sockets.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TcpStats {
    /// Sockets per kernel state as the message gives it (`TCP_ESTABLISHED` = 1 … `TCP_CLOSING` = 11;
    /// the dump asks for those only); states above 15 are counted in `other`.
    pub states: [u64; 16],
    pub other: u64,
    /// The sum of the sockets' receive and send queues, in bytes.
    pub rx_queued: u64,
    pub tx_queued: u64,
    /// How many sockets answered.
    pub sockets: u64,
}

const NETLINK_INET_DIAG: libc::c_int = 4;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const HEADER: usize = 16;
/// `struct inet_diag_req_v2`.
const REQUEST: usize = 56;
/// `struct inet_diag_msg` up to `idiag_inode`.
const MESSAGE: usize = 72;

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Dumps every TCP socket of `family` (`libc::AF_INET` or `libc::AF_INET6`), in every state.
pub fn tcp_stats(family: u8) -> io::Result<TcpStats> {
    // SAFETY: plain socket creation; the descriptor is owned below.
    let fd = check(unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            NETLINK_INET_DIAG,
        )
    })?;
    // SAFETY: a descriptor we just created and nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };

    let mut request = [0u8; HEADER + REQUEST];
    request[0..4].copy_from_slice(&((HEADER + REQUEST) as u32).to_ne_bytes());
    request[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    let flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
    request[6..8].copy_from_slice(&flags.to_ne_bytes());
    request[8..12].copy_from_slice(&1u32.to_ne_bytes());
    request[HEADER] = family;
    request[HEADER + 1] = libc::IPPROTO_TCP as u8;
    // idiag_ext 0: the queue lengths come with every message; no tcp_info is needed.
    request[HEADER + 4..HEADER + 8].copy_from_slice(&0xfffu32.to_ne_bytes());
    // SAFETY: sockaddr_nl is plain old data; all zero addresses the kernel.
    let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    loop {
        // SAFETY: the request and address are valid for the lengths given.
        let sent = unsafe {
            libc::sendto(
                fd.as_raw_fd(),
                request.as_ptr().cast(),
                request.len(),
                0,
                (&kernel as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if sent >= 0 {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }

    let mut stats = TcpStats::default();
    let mut buf = vec![0u8; 64 * 1024];
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
            return Ok(stats);
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
                NLMSG_DONE => return Ok(stats),
                NLMSG_ERROR => {
                    let errno = body
                        .get(0..4)
                        .map(|b| i32::from_ne_bytes(b.try_into().expect("4 bytes")))
                        .unwrap_or(0);
                    if errno != 0 {
                        return Err(io::Error::from_raw_os_error(-errno));
                    }
                }
                _ if body.len() >= MESSAGE => {
                    let state = body[1] as usize;
                    let word = |at: usize| {
                        u32::from_ne_bytes(body[at..at + 4].try_into().expect("4 bytes"))
                    };
                    stats.rx_queued += u64::from(word(56));
                    stats.tx_queued += u64::from(word(60));
                    match stats.states.get_mut(state) {
                        Some(count) => *count += 1,
                        None => stats.other += 1,
                    }
                    stats.sockets += 1;
                }
                _ => {}
            }
            // Messages are aligned to 4 bytes.
            let next = (len + 3) & !3;
            data = &data[next.min(data.len())..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sees_a_listening_socket() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let stats = tcp_stats(libc::AF_INET as u8).unwrap();
        // TCP_LISTEN = 10.
        assert!(stats.states[10] >= 1, "{stats:?}");
        assert!(stats.sockets >= 1);
        drop(listener);
    }
}
