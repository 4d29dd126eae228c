//! One SNTP query, as `github.com/beevik/ntp` v1.5 (node_exporter 1.10's `ntp` collector) sends it
//! and reads the answer: a client-mode packet whose transmit time is 8 random bytes, checked against
//! the reply's origin time, the four timestamps turned into offset, round trip and minimum error, and
//! RFC 5905's sanity checks (`Validate`).
//!
//! Times are nanoseconds since the Unix epoch (`i64`), durations nanoseconds (`i64`, Go's
//! `time.Duration`), so that every value converts to seconds as Go's `Duration.Seconds()` does.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const NANOS: u64 = 1_000_000_000;
/// 1900-01-01 (era 0) and 2036-02-07T06:28:16Z (era 1), in seconds from the Unix epoch.
const ERA0_UNIX: i64 = -2_208_988_800;
const ERA1_UNIX: i64 = 2_085_978_496;
/// beevik/ntp's limits for `Validate`.
const MAX_STRATUM: u8 = 16;
const MAX_POLL_INTERVAL_NS: i64 = (1 << 17) * NANOS as i64;
const MAX_DISPERSION_NS: i64 = 16 * NANOS as i64;

/// The leap indicator values that announce a leap second at the end of the day.
pub const LEAP_ADD_SECOND: u8 = 1;
pub const LEAP_DEL_SECOND: u8 = 2;
const LEAP_NOT_IN_SYNC: u8 = 3;

/// What beevik/ntp's `Response` holds that node_exporter reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    /// The server's transmit time (ns since the Unix epoch).
    pub time: i64,
    pub clock_offset: i64,
    pub rtt: i64,
    pub stratum: u8,
    pub leap: u8,
    /// The server's reference time (ns since the Unix epoch; a zero field reads as era 1's start,
    /// 2036, as beevik/ntp converts it).
    pub reference_time: i64,
    pub root_delay: i64,
    pub root_dispersion: i64,
    pub root_distance: i64,
    pub min_error: i64,
}

impl Response {
    /// beevik/ntp's `Validate`: `Ok` when the reply passes RFC 5905's checks, else its error text.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.stratum == 0 {
            return Err("kiss of death received");
        }
        if self.stratum >= MAX_STRATUM {
            return Err("invalid stratum in response");
        }
        if self.time.saturating_sub(self.reference_time) > MAX_POLL_INTERVAL_NS {
            return Err("server clock not fresh");
        }
        if self.root_delay / 2 + self.root_dispersion > MAX_DISPERSION_NS {
            return Err("invalid dispersion in response");
        }
        if self.time < self.reference_time {
            return Err("invalid time reported");
        }
        if self.leap == LEAP_NOT_IN_SYNC {
            return Err("invalid leap second in response");
        }
        Ok(())
    }
}

/// An NTP timestamp (32.32 fixed point seconds since the era's start) as a Go duration, rounded to
/// the nearest nanosecond as beevik/ntp rounds it.
fn ntp_duration(t: u64) -> i64 {
    let sec = (t >> 32).wrapping_mul(NANOS);
    let frac = (t & 0xffff_ffff).wrapping_mul(NANOS);
    let mut nsec = frac >> 32;
    if frac as u32 >= 0x8000_0000 {
        nsec += 1;
    }
    sec.wrapping_add(nsec) as i64
}

/// A 16.16 fixed point NTP short time as a Go duration.
fn ntp_short_duration(t: u32) -> i64 {
    let sec = u64::from(t >> 16) * NANOS;
    let frac = u64::from(t & 0xffff) * NANOS;
    let mut nsec = frac >> 16;
    if frac as u16 >= 0x8000 {
        nsec += 1;
    }
    (sec + nsec) as i64
}

/// An NTP timestamp as Unix nanoseconds: values before 1970 in era 0 belong to era 1.
fn ntp_to_unix(t: u64) -> i64 {
    const T1970: u64 = 0x83aa_7e80_0000_0000;
    let era = if t < T1970 { ERA1_UNIX } else { ERA0_UNIX };
    (era * NANOS as i64).wrapping_add(ntp_duration(t))
}

/// Unix nanoseconds as an NTP timestamp (era 0), rounded as beevik/ntp's `toNtpTime`.
fn unix_to_ntp(unix_ns: i64) -> u64 {
    let nsec = unix_ns.wrapping_sub(ERA0_UNIX * NANOS as i64) as u64;
    let sec = nsec / NANOS;
    let rem = (nsec - sec * NANOS) << 32;
    let mut frac = rem / NANOS;
    if rem % NANOS >= NANOS / 2 {
        frac += 1;
    }
    (sec << 32) | frac
}

/// The duration of a signed NTP-scale quantity, keeping its sign.
fn signed_duration(v: i64) -> i64 {
    if v < 0 {
        -ntp_duration(v.wrapping_neg() as u64)
    } else {
        ntp_duration(v as u64)
    }
}

/// The offset, round trip and minimum error of one exchange (org: our send, rec: the server's
/// receive, xmt: the server's send, dst: our receive), as beevik/ntp computes them.
fn exchange(org: u64, rec: u64, xmt: u64, dst: u64) -> (i64, i64, i64) {
    let a = dst.wrapping_sub(org) as i64;
    let b = xmt.wrapping_sub(rec) as i64;
    let rtt = a.wrapping_sub(b).max(0);
    let a = rec.wrapping_sub(org) as i64;
    let b = xmt.wrapping_sub(dst) as i64;
    let offset = a.wrapping_add(b.wrapping_sub(a) / 2);
    let error0 = org.saturating_sub(rec);
    let error1 = xmt.saturating_sub(dst);
    (
        signed_duration(offset),
        ntp_duration(rtt as u64),
        ntp_duration(error0.max(error1)),
    )
}

fn now_unix_ns() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i64,
        Err(e) => -(e.duration().as_nanos() as i64),
    }
}

/// The parsed reply to a request whose transmit field was `sent_xmt`, sent at `sent_at` and
/// received at `received_at` (Unix ns).
pub fn parse_reply(
    reply: &[u8],
    sent_xmt: u64,
    sent_at: i64,
    received_at: i64,
) -> Result<Response, String> {
    if reply.len() < 48 {
        return Err("unexpected EOF".into());
    }
    let u32_at = |i: usize| u32::from_be_bytes(reply[i..i + 4].try_into().unwrap());
    let u64_at = |i: usize| u64::from_be_bytes(reply[i..i + 8].try_into().unwrap());
    let li_vn_mode = reply[0];
    if li_vn_mode & 0x07 != 4 {
        return Err("invalid mode in response".into());
    }
    let (origin, receive, transmit) = (u64_at(24), u64_at(32), u64_at(40));
    if transmit == 0 {
        return Err("invalid transmit time in response".into());
    }
    if origin != sent_xmt {
        return Err("server response didn't match request".into());
    }
    if receive > transmit {
        return Err("server clock ticked backwards".into());
    }
    let org = unix_to_ntp(sent_at);
    let dst = unix_to_ntp(received_at);
    let (clock_offset, rtt, min_error) = exchange(org, receive, transmit, dst);
    let root_delay = ntp_short_duration(u32_at(4));
    let root_dispersion = ntp_short_duration(u32_at(8));
    Ok(Response {
        time: ntp_to_unix(transmit),
        clock_offset,
        rtt,
        stratum: reply[1],
        leap: li_vn_mode >> 6,
        reference_time: ntp_to_unix(u64_at(16)),
        root_delay,
        root_dispersion,
        root_distance: (rtt + root_delay) / 2 + root_dispersion,
        min_error,
    })
}

/// Queries `server` (a host or address, `port` unless it names one) once: protocol `version`,
/// outgoing IP TTL `ttl` (0 leaves the system's), waiting at most `timeout` for the reply. Errors
/// read as Go's net errors do.
pub fn query(
    server: &str,
    port: u16,
    version: u8,
    ttl: i64,
    timeout: Duration,
) -> Result<Response, String> {
    let remote: SocketAddr = (server, port)
        .to_socket_addrs()
        .map_err(|e| format!("lookup {server}: {e}"))?
        .next()
        .ok_or_else(|| format!("lookup {server}: no such host"))?;
    let local: SocketAddr = if remote.is_ipv4() {
        "0.0.0.0:0".parse().unwrap()
    } else {
        "[::]:0".parse().unwrap()
    };
    let dial = |e: io::Error| format!("dial udp {remote}: {}", crate::errno::go_error_text(&e));
    let socket = UdpSocket::bind(local).map_err(dial)?;
    socket.connect(remote).map_err(dial)?;
    let local = socket.local_addr().map_err(dial)?;
    let op = |what: &str, e: io::Error| {
        let text = if matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) {
            "i/o timeout".to_owned()
        } else {
            format!("{what}: {}", crate::errno::go_error_text(&e))
        };
        format!("{what} udp {local}->{remote}: {text}")
    };
    if ttl != 0 {
        let ttl = u32::try_from(ttl)
            .map_err(|_| format!("setsockopt: {}", crate::errno::go_errno_text(libc::EINVAL)))?;
        socket
            .set_ttl(ttl)
            .map_err(|e| format!("setsockopt: {}", crate::errno::go_error_text(&e)))?;
    }
    socket
        .set_read_timeout(Some(timeout))
        .map_err(|e| op("read", e))?;

    let mut request = [0u8; 48];
    // Leap 0, the version, mode 3 (client); precision 0x20 as beevik/ntp sends it.
    request[0] = (version & 0x07) << 3 | 3;
    request[3] = 0x20;
    let xmt = random_u64().map_err(|e| format!("read random: {e}"))?;
    request[40..48].copy_from_slice(&xmt.to_be_bytes());
    let sent_at = now_unix_ns();
    socket.send(&request).map_err(|e| op("write", e))?;
    let mut reply = [0u8; 8192];
    let n = loop {
        match socket.recv(&mut reply) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(op("read", e)),
        }
    };
    let received_at = now_unix_ns();
    parse_reply(&reply[..n], xmt, sent_at, received_at)
}

/// 8 random bytes from the kernel, for the request's transmit field (beevik/ntp uses `crypto/rand`).
fn random_u64() -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    let mut filled = 0;
    while filled < bytes.len() {
        let rest = &mut bytes[filled..];
        // SAFETY: the pointer and length describe `rest`, a live mutable slice we own; getrandom
        // writes at most that many bytes into it.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        filled += n as usize;
    }
    Ok(u64::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_as_beevik_ntp() {
        // 2026-01-01T00:00:00.5Z and back.
        let unix = 1_767_225_600_500_000_000i64;
        let ntp = unix_to_ntp(unix);
        assert_eq!(ntp >> 32, (1_767_225_600 - ERA0_UNIX) as u64);
        assert_eq!(ntp & 0xffff_ffff, 0x8000_0000);
        assert_eq!(ntp_to_unix(ntp), unix);
        // A zero reference time is era 1's start, as beevik/ntp reads it.
        assert_eq!(ntp_to_unix(0), ERA1_UNIX * NANOS as i64);
        assert_eq!(ntp_short_duration(0x0001_8000), 1_500_000_000);
        assert_eq!(ntp_duration(1), 0);
        assert_eq!(ntp_duration(0x8000_0000), 500_000_000);
    }

    #[test]
    fn offset_rtt_and_min_error() {
        let s = |secs: u64, frac: u64| (secs << 32) | frac;
        // Sent at 10.0, the server received at 10.5 and replied at 10.75, received back at 11.0:
        // delay 0.75, offset ((0.5) + (-0.25)) / 2 = 0.125.
        let (offset, rtt, min_error) =
            exchange(s(10, 0), s(10, 0x8000_0000), s(10, 0xc000_0000), s(11, 0));
        assert_eq!(offset, 125_000_000);
        assert_eq!(rtt, 750_000_000);
        assert_eq!(min_error, 0);
        // The server's clock is behind: a negative offset and a minimum error of the gap.
        let (offset, _, min_error) = exchange(s(20, 0), s(18, 0), s(18, 0), s(20, 0));
        assert_eq!(offset, -2_000_000_000);
        assert_eq!(min_error, 2_000_000_000);
    }

    #[test]
    fn replies_that_do_not_match_are_refused() {
        let mut reply = [0u8; 48];
        reply[0] = 4; // server mode
        reply[1] = 2;
        reply[24..32].copy_from_slice(&7u64.to_be_bytes());
        reply[32..40].copy_from_slice(&(5u64 << 32).to_be_bytes());
        reply[40..48].copy_from_slice(&(6u64 << 32).to_be_bytes());
        assert_eq!(
            parse_reply(&reply[..40], 7, 0, 0),
            Err("unexpected EOF".into())
        );
        assert_eq!(
            parse_reply(&reply, 8, 0, 0),
            Err("server response didn't match request".into())
        );
        let ok = parse_reply(&reply, 7, 0, 0).unwrap();
        assert_eq!(ok.stratum, 2);
        reply[0] = 3;
        assert_eq!(
            parse_reply(&reply, 7, 0, 0),
            Err("invalid mode in response".into())
        );
        reply[0] = 4;
        reply[32..40].copy_from_slice(&(9u64 << 32).to_be_bytes());
        assert_eq!(
            parse_reply(&reply, 7, 0, 0),
            Err("server clock ticked backwards".into())
        );
    }

    #[test]
    fn validate_applies_rfc5905_limits() {
        let good = Response {
            time: 100 * NANOS as i64,
            clock_offset: 0,
            rtt: 0,
            stratum: 2,
            leap: 0,
            reference_time: 90 * NANOS as i64,
            root_delay: 0,
            root_dispersion: 0,
            root_distance: 0,
            min_error: 0,
        };
        assert_eq!(good.validate(), Ok(()));
        for (r, err) in [
            (Response { stratum: 0, ..good }, "kiss of death received"),
            (
                Response {
                    stratum: 16,
                    ..good
                },
                "invalid stratum in response",
            ),
            (
                Response {
                    reference_time: 0,
                    time: MAX_POLL_INTERVAL_NS + 1,
                    ..good
                },
                "server clock not fresh",
            ),
            (
                Response {
                    root_dispersion: 17 * NANOS as i64,
                    ..good
                },
                "invalid dispersion in response",
            ),
            (
                Response {
                    reference_time: 101 * NANOS as i64,
                    ..good
                },
                "invalid time reported",
            ),
            (
                Response { leap: 3, ..good },
                "invalid leap second in response",
            ),
        ] {
            assert_eq!(r.validate(), Err(err));
        }
    }

    #[test]
    fn no_server_is_an_error_not_a_hang() {
        // A port nothing listens on: the kernel's refusal, or the timeout.
        let err = query("127.0.0.1", 9, 4, 1, Duration::from_millis(300)).unwrap_err();
        assert!(err.starts_with("read udp 127.0.0.1:"), "{err}");
    }
}
