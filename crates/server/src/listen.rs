//! `--server.http.listen-addr` as Go's `net.Listen("tcp", addr)` reads it: `host:port` split as
//! `net.SplitHostPort` splits it (`[::1]:12345` for IPv6), an empty host listening on every address of
//! both families (`:12345`), and a host name resolved to one address, IPv4 first (`localhost:12345`).

use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use tokio::net::TcpListener;

/// Go's `net.SplitHostPort`: `host:port`, `[host]:port`; the error texts are Go's.
pub fn split_host_port(addr: &str) -> Result<(&str, &str), String> {
    let missing_port = || format!("address {addr}: missing port in address");
    let too_many = || format!("address {addr}: too many colons in address");
    let Some(colon) = addr.rfind(':') else {
        return Err(missing_port());
    };
    let (host, port) = (&addr[..colon], &addr[colon + 1..]);
    if let Some(inner) = host.strip_prefix('[') {
        let Some(inner) = inner.strip_suffix(']') else {
            return Err(format!("address {addr}: missing ']' in address"));
        };
        if inner.contains(['[', ']']) {
            return Err(format!("address {addr}: unexpected '[' in address"));
        }
        return Ok((inner, port));
    }
    if host.contains(':') {
        return Err(too_many());
    }
    if host.contains(['[', ']']) {
        return Err(format!("address {addr}: unexpected ']' in address"));
    }
    Ok((host, port))
}

/// Where to listen for `addr`, in Go's order of preference.
pub fn resolve(addr: &str) -> Result<SocketAddr, String> {
    let (host, port) = split_host_port(addr)?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("address {addr}: invalid port {port:?}"))?;
    if host.is_empty() {
        return Ok(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port));
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("lookup {host}: {e}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| format!("lookup {host}: no such host"))
}

/// Binds `addr` as Go does. The unspecified IPv6 address (an empty host) listens on IPv4 too; where the
/// host has no IPv6, on every IPv4 address.
pub async fn bind(addr: &str) -> Result<TcpListener, String> {
    let target = resolve(addr)?;
    let empty_host = split_host_port(addr)?.0.is_empty();
    match listen(target, empty_host) {
        Ok(l) => Ok(l),
        Err(e) if empty_host && e.raw_os_error() == Some(libc_eafnosupport()) => {
            let v4 = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), target.port());
            listen(v4, false).map_err(|e| format!("listen tcp {v4}: {e}"))
        }
        Err(e) => Err(format!("listen tcp {target}: {e}")),
    }
}

fn listen(addr: SocketAddr, dual_stack: bool) -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if dual_stack && addr.is_ipv6() {
        socket.set_only_v6(false)?;
    }
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    // Go's listen backlog is the kernel's somaxconn.
    socket.listen(4096)?;
    socket.set_nonblocking(true)?;
    TcpListener::from_std(socket.into())
}

/// `EAFNOSUPPORT` on Linux.
fn libc_eafnosupport() -> i32 {
    97
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_split_as_go_splits_them() {
        assert_eq!(split_host_port(":12345"), Ok(("", "12345")));
        assert_eq!(
            split_host_port("localhost:12345"),
            Ok(("localhost", "12345"))
        );
        assert_eq!(split_host_port("[::1]:12345"), Ok(("::1", "12345")));
        assert_eq!(split_host_port("0.0.0.0:12345"), Ok(("0.0.0.0", "12345")));
        assert_eq!(
            split_host_port("12345").unwrap_err(),
            "address 12345: missing port in address"
        );
        assert_eq!(
            split_host_port("::1:12345").unwrap_err(),
            "address ::1:12345: too many colons in address"
        );
        assert_eq!(
            split_host_port("[::1:12345").unwrap_err(),
            "address [::1:12345: missing ']' in address"
        );
    }

    #[test]
    fn names_resolve_to_one_address_ipv4_first() {
        assert_eq!(
            resolve("localhost:80").unwrap(),
            "127.0.0.1:80".parse().unwrap()
        );
        assert_eq!(resolve(":80").unwrap(), "[::]:80".parse().unwrap());
        assert!(resolve("localhost:http").is_err());
    }

    #[tokio::test]
    async fn an_empty_host_listens_on_both_families() {
        let listener = bind(":0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        for addr in [format!("127.0.0.1:{port}"), format!("[::1]:{port}")] {
            // Hosts without IPv6 loopback fail the second connect; IPv4 must always work.
            let connected = std::net::TcpStream::connect(&addr).is_ok();
            assert!(connected || addr.starts_with('['), "connecting to {addr}");
        }
    }
}
