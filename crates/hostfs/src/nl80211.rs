//! nl80211 over generic netlink, for node_exporter's wifi collector (which uses mdlayher/wifi):
//! WiFi interfaces, the BSS each is associated with, and its stations.
//!
//! The socket code is small and synchronous: one request, then the kernel's replies until the
//! dump's end. The message parsing is separate and works on bytes, so tests can feed it messages
//! built by hand (this machine has no WiFi).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const NETLINK_GENERIC: libc::c_int = 16;
const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const CTRL_ATTR_VERSION: u16 = 3;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;

pub const NL80211_CMD_GET_INTERFACE: u8 = 5;
pub const NL80211_CMD_GET_STATION: u8 = 17;
pub const NL80211_CMD_GET_SCAN: u8 = 32;
pub const NL80211_ATTR_IFINDEX: u16 = 3;
pub const NL80211_ATTR_IFNAME: u16 = 4;
pub const NL80211_ATTR_MAC: u16 = 6;
pub const NL80211_ATTR_STA_INFO: u16 = 21;
pub const NL80211_ATTR_WIPHY_FREQ: u16 = 38;
pub const NL80211_ATTR_BSS: u16 = 47;
pub const NL80211_BSS_BSSID: u16 = 1;
pub const NL80211_BSS_INFORMATION_ELEMENTS: u16 = 6;
pub const NL80211_BSS_STATUS: u16 = 9;
pub const NL80211_STA_INFO_INACTIVE_TIME: u16 = 1;
pub const NL80211_STA_INFO_RX_BYTES: u16 = 2;
pub const NL80211_STA_INFO_TX_BYTES: u16 = 3;
pub const NL80211_STA_INFO_SIGNAL: u16 = 7;
pub const NL80211_STA_INFO_TX_BITRATE: u16 = 8;
pub const NL80211_STA_INFO_RX_PACKETS: u16 = 9;
pub const NL80211_STA_INFO_TX_PACKETS: u16 = 10;
pub const NL80211_STA_INFO_TX_RETRIES: u16 = 11;
pub const NL80211_STA_INFO_TX_FAILED: u16 = 12;
pub const NL80211_STA_INFO_RX_BITRATE: u16 = 14;
pub const NL80211_STA_INFO_CONNECTED_TIME: u16 = 16;
pub const NL80211_STA_INFO_BEACON_LOSS: u16 = 18;
pub const NL80211_STA_INFO_RX_BYTES64: u16 = 23;
pub const NL80211_STA_INFO_TX_BYTES64: u16 = 24;
pub const NL80211_RATE_INFO_BITRATE: u16 = 1;
pub const NL80211_RATE_INFO_BITRATE32: u16 = 5;

/// A WiFi interface (the fields node_exporter uses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interface {
    pub index: u32,
    pub name: String,
    pub mac: Vec<u8>,
    /// MHz.
    pub frequency: u32,
}

/// The BSS an interface is associated with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bss {
    pub bssid: Vec<u8>,
    pub ssid: String,
    /// 0 authenticated, 1 associated, 2 IBSS joined.
    pub status: u32,
}

/// One station's statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Station {
    pub mac: Vec<u8>,
    /// Seconds.
    pub connected: u32,
    /// Milliseconds.
    pub inactive: u32,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    /// dBm.
    pub signal: i8,
    pub rx_packets: u32,
    pub tx_packets: u32,
    pub tx_retries: u32,
    pub tx_failed: u32,
    pub beacon_loss: u32,
    /// Bits per second.
    pub rx_bitrate: u64,
    pub tx_bitrate: u64,
}

/// `aa:bb:cc:dd:ee:ff`, as Go's `net.HardwareAddr.String` ("" for no address).
pub fn mac_text(mac: &[u8]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Netlink attributes of a payload: `(type, data)`, the nested and byte-order flags masked off.
/// A truncated attribute is an error (as netlink's `UnmarshalAttributes`).
pub fn attributes(mut b: &[u8]) -> io::Result<Vec<(u16, &[u8])>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        if b.len() < 4 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "truncated netlink attribute",
            ));
        }
        let len = u16::from_ne_bytes([b[0], b[1]]) as usize;
        let kind = u16::from_ne_bytes([b[2], b[3]]) & 0x3fff;
        if len < 4 || len > b.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "invalid netlink attribute length",
            ));
        }
        out.push((kind, &b[4..len]));
        let padded = (len + 3) & !3;
        b = &b[padded.min(b.len())..];
    }
    Ok(out)
}

fn u32_of(data: &[u8]) -> u32 {
    let mut word = [0u8; 4];
    let n = data.len().min(4);
    word[..n].copy_from_slice(&data[..n]);
    u32::from_ne_bytes(word)
}

fn u64_of(data: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let n = data.len().min(8);
    word[..n].copy_from_slice(&data[..n]);
    u64::from_ne_bytes(word)
}

fn u16_of(data: &[u8]) -> u16 {
    let mut word = [0u8; 2];
    let n = data.len().min(2);
    word[..n].copy_from_slice(&data[..n]);
    u16::from_ne_bytes(word)
}

/// A NUL-terminated attribute string.
fn c_string(data: &[u8]) -> String {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    String::from_utf8_lossy(&data[..end]).into_owned()
}

/// mdlayher/wifi's `decodeSSID`: each byte that does not start a valid UTF-8 sequence becomes one
/// U+FFFD (Go's `utf8.DecodeRune`), unlike Rust's lossy conversion.
pub fn decode_ssid(mut b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    while !b.is_empty() {
        let take = match b[0] {
            0x00..=0x7f => 1,
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => 0,
        };
        match b.get(..take).and_then(|s| std::str::from_utf8(s).ok()) {
            Some(s) if take > 0 => {
                out.push_str(s);
                b = &b[take..];
            }
            _ => {
                out.push('\u{FFFD}');
                b = &b[1..];
            }
        }
    }
    out
}

/// The attributes of one `NL80211_CMD_GET_INTERFACE` reply.
pub fn parse_interface(payload: &[u8]) -> io::Result<Interface> {
    let mut ifi = Interface::default();
    for (kind, data) in attributes(payload)? {
        match kind {
            NL80211_ATTR_IFINDEX => ifi.index = u32_of(data),
            NL80211_ATTR_IFNAME => ifi.name = c_string(data),
            NL80211_ATTR_MAC => ifi.mac = data.to_vec(),
            NL80211_ATTR_WIPHY_FREQ => ifi.frequency = u32_of(data),
            _ => {}
        }
    }
    Ok(ifi)
}

/// The BSS carrying a status (the one the interface is associated with) among `GET_SCAN`
/// replies; `None` when there is none (mdlayher/wifi's `os.ErrNotExist`).
pub fn parse_bss(payloads: &[Vec<u8>]) -> io::Result<Option<Bss>> {
    for payload in payloads {
        for (kind, data) in attributes(payload)? {
            if kind != NL80211_ATTR_BSS {
                continue;
            }
            let nested = attributes(data)?;
            if !nested.iter().any(|(k, _)| *k == NL80211_BSS_STATUS) {
                continue;
            }
            let mut bss = Bss::default();
            for (k, d) in nested {
                match k {
                    NL80211_BSS_BSSID => bss.bssid = d.to_vec(),
                    NL80211_BSS_STATUS => bss.status = u32_of(d),
                    NL80211_BSS_INFORMATION_ELEMENTS => {
                        // Information elements: id, length, data.
                        let mut ies = d;
                        while !ies.is_empty() {
                            if ies.len() < 2 || ies.len() - 2 < ies[1] as usize {
                                return Err(io::Error::new(
                                    io::ErrorKind::InvalidData,
                                    "invalid IE",
                                ));
                            }
                            let (id, len) = (ies[0], ies[1] as usize);
                            if id == 0 {
                                bss.ssid = decode_ssid(&ies[2..2 + len]);
                            }
                            ies = &ies[2 + len..];
                        }
                    }
                    _ => {}
                }
            }
            return Ok(Some(bss));
        }
    }
    Ok(None)
}

fn bitrate(data: &[u8]) -> io::Result<u64> {
    let mut rate: u64 = 0;
    for (kind, d) in attributes(data)? {
        if kind == NL80211_RATE_INFO_BITRATE32 {
            rate = u64::from(u32_of(d));
        }
        // The 16-bit rate only when the 32-bit one is not (yet) known.
        if rate == 0 && kind == NL80211_RATE_INFO_BITRATE {
            rate = u64::from(u16_of(d));
        }
    }
    // 100 kbit/s units.
    Ok(rate * 100 * 1000)
}

/// One `GET_STATION` reply; `None` without station information.
pub fn parse_station(payload: &[u8]) -> io::Result<Option<Station>> {
    let mut station = Station::default();
    for (kind, data) in attributes(payload)? {
        match kind {
            NL80211_ATTR_MAC => station.mac = data.to_vec(),
            NL80211_ATTR_STA_INFO => {
                for (k, d) in attributes(data)? {
                    match k {
                        NL80211_STA_INFO_CONNECTED_TIME => station.connected = u32_of(d),
                        NL80211_STA_INFO_INACTIVE_TIME => station.inactive = u32_of(d),
                        NL80211_STA_INFO_RX_BYTES64 => station.rx_bytes = u64_of(d),
                        NL80211_STA_INFO_TX_BYTES64 => station.tx_bytes = u64_of(d),
                        NL80211_STA_INFO_SIGNAL => {
                            station.signal = d.first().map_or(0, |&b| b as i8)
                        }
                        NL80211_STA_INFO_RX_PACKETS => station.rx_packets = u32_of(d),
                        NL80211_STA_INFO_TX_PACKETS => station.tx_packets = u32_of(d),
                        NL80211_STA_INFO_TX_RETRIES => station.tx_retries = u32_of(d),
                        NL80211_STA_INFO_TX_FAILED => station.tx_failed = u32_of(d),
                        NL80211_STA_INFO_BEACON_LOSS => station.beacon_loss = u32_of(d),
                        NL80211_STA_INFO_RX_BITRATE => station.rx_bitrate = bitrate(d)?,
                        NL80211_STA_INFO_TX_BITRATE => station.tx_bitrate = bitrate(d)?,
                        _ => {}
                    }
                    // 32-bit byte counters only while no 64-bit one has been seen.
                    if station.rx_bytes == 0 && k == NL80211_STA_INFO_RX_BYTES {
                        station.rx_bytes = u64::from(u32_of(d));
                    }
                    if station.tx_bytes == 0 && k == NL80211_STA_INFO_TX_BYTES {
                        station.tx_bytes = u64::from(u32_of(d));
                    }
                }
                return Ok(Some(station));
            }
            _ => {}
        }
    }
    Ok(None)
}

/// Appends one attribute (padded to 4 bytes).
pub fn push_attribute(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    let len = 4 + data.len();
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(data);
    out.resize((out.len() + 3) & !3, 0);
}

/// A generic netlink socket with nl80211's family resolved.
#[derive(Debug)]
pub struct Nl80211 {
    socket: OwnedFd,
    family: u16,
    version: u8,
    seq: u32,
    buf: Vec<u8>,
}

impl Nl80211 {
    /// Opens a generic netlink socket and resolves the `nl80211` family. Without cfg80211 in the
    /// kernel the family does not exist: the error is ENOENT (node_exporter's "no data").
    pub fn open() -> io::Result<Nl80211> {
        // SAFETY: socket has no memory arguments; the result is checked before use.
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                NETLINK_GENERIC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut nl = Nl80211 {
            // SAFETY: a descriptor we just created and own.
            socket: unsafe { OwnedFd::from_raw_fd(fd) },
            family: 0,
            version: 0,
            seq: 0,
            buf: vec![0; 65536],
        };
        let mut attrs = Vec::new();
        push_attribute(&mut attrs, CTRL_ATTR_FAMILY_NAME, b"nl80211\0");
        let replies = nl.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_REQUEST, &attrs)?;
        let reply = replies
            .first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no reply to GETFAMILY"))?;
        for (kind, data) in attributes(reply)? {
            match kind {
                CTRL_ATTR_FAMILY_ID => nl.family = u16_of(data),
                CTRL_ATTR_VERSION => nl.version = u32_of(data) as u8,
                _ => {}
            }
        }
        Ok(nl)
    }

    /// Sends one generic netlink request and returns the payloads (after the genetlink header)
    /// of the replies, up to the end of a dump.
    fn request(
        &mut self,
        family: u16,
        cmd: u8,
        version: u8,
        flags: u16,
        attrs: &[u8],
    ) -> io::Result<Vec<Vec<u8>>> {
        self.seq = self.seq.wrapping_add(1);
        let len = 16 + 4 + attrs.len();
        let mut msg = Vec::with_capacity(len);
        msg.extend_from_slice(&(len as u32).to_ne_bytes());
        msg.extend_from_slice(&family.to_ne_bytes());
        msg.extend_from_slice(&flags.to_ne_bytes());
        msg.extend_from_slice(&self.seq.to_ne_bytes());
        msg.extend_from_slice(&0u32.to_ne_bytes());
        msg.extend_from_slice(&[cmd, version, 0, 0]);
        msg.extend_from_slice(attrs);
        // SAFETY: sockaddr_nl is plain old data; all-zero is the kernel as destination.
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: `msg` and `addr` are valid for the lengths given for the whole call.
        let sent = unsafe {
            libc::sendto(
                self.socket.as_raw_fd(),
                msg.as_ptr().cast(),
                msg.len(),
                0,
                (&addr as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
        let dump = flags & NLM_F_DUMP == NLM_F_DUMP;
        let mut out = Vec::new();
        loop {
            // SAFETY: reads at most `buf.len()` bytes into the buffer we own.
            let n = unsafe {
                libc::recv(
                    self.socket.as_raw_fd(),
                    self.buf.as_mut_ptr().cast(),
                    self.buf.len(),
                    0,
                )
            };
            if n < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(err);
            }
            let mut data = &self.buf[..n as usize];
            while data.len() >= 16 {
                let len = u32_of(&data[0..4]) as usize;
                let kind = u16_of(&data[4..6]);
                let seq = u32_of(&data[8..12]);
                if len < 16 || len > data.len() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "truncated netlink message",
                    ));
                }
                let body = &data[16..len];
                data = &data[((len + 3) & !3).min(data.len())..];
                if seq != self.seq {
                    continue;
                }
                match kind {
                    NLMSG_ERROR => {
                        let code = body.get(..4).map_or(0, |b| u32_of(b) as i32);
                        if code != 0 {
                            return Err(io::Error::from_raw_os_error(-code));
                        }
                        return Ok(out);
                    }
                    NLMSG_DONE => {
                        let code = body.get(..4).map_or(0, |b| u32_of(b) as i32);
                        if code < 0 {
                            return Err(io::Error::from_raw_os_error(-code));
                        }
                        return Ok(out);
                    }
                    _ => {
                        out.push(body.get(4..).unwrap_or_default().to_vec());
                        if !dump {
                            return Ok(out);
                        }
                    }
                }
            }
        }
    }

    fn dump(&mut self, cmd: u8, ifi: Option<&Interface>) -> io::Result<Vec<Vec<u8>>> {
        let mut attrs = Vec::new();
        if let Some(ifi) = ifi {
            push_attribute(&mut attrs, NL80211_ATTR_IFINDEX, &ifi.index.to_ne_bytes());
            if !ifi.mac.is_empty() {
                push_attribute(&mut attrs, NL80211_ATTR_MAC, &ifi.mac);
            }
        }
        let (family, version) = (self.family, self.version);
        self.request(family, cmd, version, NLM_F_REQUEST | NLM_F_DUMP, &attrs)
    }

    pub fn interfaces(&mut self) -> io::Result<Vec<Interface>> {
        self.dump(NL80211_CMD_GET_INTERFACE, None)?
            .iter()
            .map(|p| parse_interface(p))
            .collect()
    }

    /// The BSS `ifi` is associated with; `Ok(None)` when there is none.
    pub fn bss(&mut self, ifi: &Interface) -> io::Result<Option<Bss>> {
        let replies = self.dump(NL80211_CMD_GET_SCAN, Some(ifi))?;
        parse_bss(&replies)
    }

    /// The stations of `ifi`; a reply without station information is an ENOENT, as in
    /// mdlayher/wifi.
    pub fn stations(&mut self, ifi: &Interface) -> io::Result<Vec<Station>> {
        let replies = self.dump(NL80211_CMD_GET_STATION, Some(ifi))?;
        let mut out = Vec::with_capacity(replies.len());
        for reply in &replies {
            match parse_station(reply)? {
                Some(s) => out.push(s),
                None => return Err(io::Error::from_raw_os_error(libc::ENOENT)),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(kind: u16, f: impl FnOnce(&mut Vec<u8>)) -> (u16, Vec<u8>) {
        let mut inner = Vec::new();
        f(&mut inner);
        (kind, inner)
    }

    #[test]
    fn parses_interfaces_bss_and_stations() {
        let mut ifi = Vec::new();
        push_attribute(&mut ifi, NL80211_ATTR_IFINDEX, &3u32.to_ne_bytes());
        push_attribute(&mut ifi, NL80211_ATTR_IFNAME, b"wlan0\0");
        push_attribute(
            &mut ifi,
            NL80211_ATTR_MAC,
            &[0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01],
        );
        push_attribute(&mut ifi, NL80211_ATTR_WIPHY_FREQ, &2412u32.to_ne_bytes());
        let parsed = parse_interface(&ifi).unwrap();
        assert_eq!(parsed.name, "wlan0");
        assert_eq!(parsed.frequency, 2412);
        assert_eq!(mac_text(&parsed.mac), "aa:bb:cc:dd:ee:01");

        let (kind, bss) = nested(NL80211_ATTR_BSS, |b| {
            push_attribute(b, NL80211_BSS_BSSID, &[0, 0x11, 0x22, 0x33, 0x44, 0x55]);
            // SSID "Home\xff" and a BSS load element.
            push_attribute(
                b,
                NL80211_BSS_INFORMATION_ELEMENTS,
                &[0, 5, b'H', b'o', b'm', b'e', 0xff, 11, 5, 1, 0, 2, 3, 4],
            );
            push_attribute(b, NL80211_BSS_STATUS, &1u32.to_ne_bytes());
        });
        let (other_kind, other) = nested(NL80211_ATTR_BSS, |b| {
            push_attribute(b, NL80211_BSS_BSSID, &[9; 6]);
        });
        let mut scan_a = Vec::new();
        push_attribute(&mut scan_a, other_kind, &other);
        let mut scan_b = Vec::new();
        push_attribute(&mut scan_b, kind, &bss);
        let found = parse_bss(&[scan_a.clone(), scan_b]).unwrap().unwrap();
        assert_eq!(mac_text(&found.bssid), "00:11:22:33:44:55");
        assert_eq!(found.ssid, "Home\u{FFFD}");
        assert_eq!(found.status, 1);
        assert_eq!(parse_bss(&[scan_a]).unwrap(), None);

        let (kind, info) = nested(NL80211_ATTR_STA_INFO, |s| {
            push_attribute(s, NL80211_STA_INFO_CONNECTED_TIME, &30u32.to_ne_bytes());
            push_attribute(s, NL80211_STA_INFO_INACTIVE_TIME, &400u32.to_ne_bytes());
            push_attribute(s, NL80211_STA_INFO_RX_BYTES, &5u32.to_ne_bytes());
            push_attribute(s, NL80211_STA_INFO_TX_BYTES64, &(1u64 << 33).to_ne_bytes());
            push_attribute(s, NL80211_STA_INFO_TX_BYTES, &7u32.to_ne_bytes());
            push_attribute(s, NL80211_STA_INFO_SIGNAL, &[(-52i8) as u8]);
            let mut rate = Vec::new();
            push_attribute(&mut rate, NL80211_RATE_INFO_BITRATE, &540u16.to_ne_bytes());
            push_attribute(s, NL80211_STA_INFO_RX_BITRATE, &rate);
            let mut rate = Vec::new();
            push_attribute(&mut rate, NL80211_RATE_INFO_BITRATE, &1u16.to_ne_bytes());
            push_attribute(
                &mut rate,
                NL80211_RATE_INFO_BITRATE32,
                &8667u32.to_ne_bytes(),
            );
            push_attribute(s, NL80211_STA_INFO_TX_BITRATE, &rate);
        });
        let mut sta = Vec::new();
        push_attribute(&mut sta, NL80211_ATTR_MAC, &[1, 2, 3, 4, 5, 6]);
        push_attribute(&mut sta, kind, &info);
        let s = parse_station(&sta).unwrap().unwrap();
        assert_eq!((s.connected, s.inactive, s.signal), (30, 400, -52));
        assert_eq!(s.rx_bytes, 5);
        assert_eq!(s.tx_bytes, 1 << 33, "the 64-bit counter wins");
        assert_eq!(s.rx_bitrate, 54_000_000);
        assert_eq!(s.tx_bitrate, 866_700_000);
        let mut bare = Vec::new();
        push_attribute(&mut bare, NL80211_ATTR_MAC, &[1, 2, 3, 4, 5, 6]);
        assert_eq!(parse_station(&bare).unwrap(), None);
        assert!(attributes(&[8, 0, 1]).is_err());
    }

    #[test]
    fn ssids_decode_as_go() {
        assert_eq!(decode_ssid("café".as_bytes()), "café");
        // A truncated sequence: one replacement per byte, as Go's DecodeRune.
        assert_eq!(decode_ssid(&[b'a', 0xe2, 0x82, b'b']), "a\u{FFFD}\u{FFFD}b");
    }

    /// This kernel has no cfg80211 (or it does, and answers); either way the request round trip
    /// through the socket works and a missing family is ENOENT.
    #[test]
    fn resolves_the_family_or_says_it_is_missing() {
        match Nl80211::open() {
            Ok(mut nl) => {
                assert_ne!(nl.family, 0);
                nl.interfaces().unwrap();
            }
            Err(e) => assert_eq!(e.raw_os_error(), Some(libc::ENOENT), "{e}"),
        }
    }
}
