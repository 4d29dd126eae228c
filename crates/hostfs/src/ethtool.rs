//! The `SIOCETHTOOL` ioctl, as node_exporter's ethtool collector uses it through safchain/ethtool:
//! driver information (`ETHTOOL_GDRVINFO`), the legacy link settings (`ETHTOOL_GSET`) and the
//! driver's statistics (`ETHTOOL_GSTRINGS` and `ETHTOOL_GSTATS` for the `ETH_SS_STATS` set).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const SIOCETHTOOL: libc::c_ulong = 0x8946;
const ETHTOOL_GSET: u32 = 0x1;
const ETHTOOL_GDRVINFO: u32 = 0x3;
const ETHTOOL_GSTRINGS: u32 = 0x1b;
const ETHTOOL_GSTATS: u32 = 0x1d;
const ETH_SS_STATS: u32 = 1;
const ETH_GSTRING_LEN: usize = 32;
/// safchain/ethtool refuses drivers announcing more statistics than this.
pub const MAX_GSTRINGS: u32 = 32768;

/// `struct ifreq` with its union holding `ifr_data` (40 bytes on 64-bit Linux).
#[repr(C)]
struct IfReq {
    name: [u8; libc::IFNAMSIZ],
    data: *mut libc::c_void,
    _pad: [u8; 16],
}

/// `struct ethtool_drvinfo`.
#[repr(C)]
#[derive(Clone, Copy)]
struct DrvInfoRaw {
    cmd: u32,
    driver: [u8; 32],
    version: [u8; 32],
    fw_version: [u8; 32],
    bus_info: [u8; 32],
    erom_version: [u8; 32],
    reserved2: [u8; 12],
    n_priv_flags: u32,
    n_stats: u32,
    testinfo_len: u32,
    eedump_len: u32,
    regdump_len: u32,
}

/// `struct ethtool_cmd` (the legacy `ETHTOOL_GSET` settings).
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CmdRaw {
    cmd: u32,
    supported: u32,
    advertising: u32,
    speed: u16,
    duplex: u8,
    port: u8,
    phy_address: u8,
    transceiver: u8,
    autoneg: u8,
    mdio_support: u8,
    maxtxpkt: u32,
    maxrxpkt: u32,
    speed_hi: u16,
    eth_tp_mdix: u8,
    eth_tp_mdix_ctrl: u8,
    lp_advertising: u32,
    reserved: [u32; 2],
}

const _: () = assert!(std::mem::size_of::<IfReq>() == 40);
const _: () = assert!(std::mem::size_of::<DrvInfoRaw>() == 196);
const _: () = assert!(std::mem::size_of::<CmdRaw>() == 44);

/// What `ETHTOOL_GDRVINFO` says about an interface's driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverInfo {
    pub driver: String,
    pub version: String,
    pub fw_version: String,
    pub bus_info: String,
    pub erom_version: String,
    pub n_stats: u32,
}

/// The legacy link settings: 32-bit link mode masks (bits of `ETHTOOL_LINK_MODE_*_BIT` below 32)
/// and whether autonegotiation is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkSettings {
    pub supported: u32,
    pub advertising: u32,
    pub autoneg: u8,
}

/// A socket to ask interfaces about, and the buffers of the last statistics read (kept between
/// scrapes).
#[derive(Debug)]
pub struct Ethtool {
    socket: OwnedFd,
    strings: Vec<u8>,
    stats: Vec<u64>,
}

/// The text of a fixed-size, NUL-padded field (Go's `goString`).
fn c_text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

impl Ethtool {
    /// An `AF_INET` datagram socket, the handle the ioctl is issued on.
    pub fn new() -> io::Result<Ethtool> {
        // SAFETY: socket has no memory arguments; the result is checked before use.
        let fd = unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                libc::IPPROTO_IP,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Ethtool {
            // SAFETY: a descriptor we just created and own.
            socket: unsafe { OwnedFd::from_raw_fd(fd) },
            strings: Vec::new(),
            stats: Vec::new(),
        })
    }

    /// Issues `SIOCETHTOOL` for `iface` with the command structure at `data`.
    ///
    /// # Safety
    ///
    /// `data` must point to a command structure that starts with its `u32` command and is large
    /// enough, and writable, for everything the kernel writes for that command.
    unsafe fn ioctl(&self, iface: &str, data: *mut libc::c_void) -> io::Result<()> {
        let mut req = IfReq {
            name: [0; libc::IFNAMSIZ],
            data,
            _pad: [0; 16],
        };
        // As safchain/ethtool: the name copied into the fixed field (at most 15 bytes and a NUL).
        let len = iface.len().min(libc::IFNAMSIZ - 1);
        req.name[..len].copy_from_slice(&iface.as_bytes()[..len]);
        // SAFETY: `req` is a valid `struct ifreq`; the caller vouches for `data`.
        let rc = unsafe { libc::ioctl(self.socket.as_raw_fd(), SIOCETHTOOL as _, &mut req) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    pub fn driver_info(&self, iface: &str) -> io::Result<DriverInfo> {
        // SAFETY: DrvInfoRaw is plain old data, for which all-zero bytes are a valid value.
        let mut raw: DrvInfoRaw = unsafe { std::mem::zeroed() };
        raw.cmd = ETHTOOL_GDRVINFO;
        // SAFETY: `raw` is a whole `struct ethtool_drvinfo`, the structure GDRVINFO fills.
        unsafe { self.ioctl(iface, (&mut raw as *mut DrvInfoRaw).cast())? };
        Ok(DriverInfo {
            driver: c_text(&raw.driver),
            version: c_text(&raw.version),
            fw_version: c_text(&raw.fw_version),
            bus_info: c_text(&raw.bus_info),
            erom_version: c_text(&raw.erom_version),
            n_stats: raw.n_stats,
        })
    }

    pub fn link_settings(&self, iface: &str) -> io::Result<LinkSettings> {
        let mut raw = CmdRaw {
            cmd: ETHTOOL_GSET,
            ..CmdRaw::default()
        };
        // SAFETY: `raw` is a whole `struct ethtool_cmd`, the structure GSET fills.
        unsafe { self.ioctl(iface, (&mut raw as *mut CmdRaw).cast())? };
        Ok(LinkSettings {
            supported: raw.supported,
            advertising: raw.advertising,
            autoneg: raw.autoneg,
        })
    }

    /// The driver's statistics, `(name, value)` in the driver's order; empty names are left out.
    /// Fails as safchain/ethtool does: when driver information cannot be read, a request fails, or
    /// the driver announces more than [`MAX_GSTRINGS`] statistics.
    pub fn stats(&mut self, iface: &str) -> io::Result<Vec<(String, u64)>> {
        let n = self.driver_info(iface)?.n_stats;
        if n > MAX_GSTRINGS {
            return Err(io::Error::other(format!(
                "ethtool currently doesn't support more than {MAX_GSTRINGS} entries, received {n}"
            )));
        }
        let n = n as usize;
        // struct ethtool_gstrings { u32 cmd; u32 string_set; u32 len; u8 data[]; }
        self.strings.clear();
        self.strings.resize(12 + n * ETH_GSTRING_LEN, 0);
        self.strings[0..4].copy_from_slice(&ETHTOOL_GSTRINGS.to_ne_bytes());
        self.strings[4..8].copy_from_slice(&ETH_SS_STATS.to_ne_bytes());
        self.strings[8..12].copy_from_slice(&(n as u32).to_ne_bytes());
        let strings = self.strings.as_mut_ptr().cast();
        // SAFETY: the buffer holds the header and room for the `n` strings it asks for, and is
        // not touched until the call returns.
        unsafe { self.ioctl(iface, strings)? };
        // struct ethtool_stats { u32 cmd; u32 n_stats; u64 data[]; }: the header is one u64.
        self.stats.clear();
        self.stats.resize(1 + n, 0);
        // The two u32 fields share the first u64, in memory order.
        let (cmd, count) = (u64::from(ETHTOOL_GSTATS), n as u64);
        self.stats[0] = if cfg!(target_endian = "little") {
            cmd | count << 32
        } else {
            cmd << 32 | count
        };
        let stats = self.stats.as_mut_ptr().cast();
        // SAFETY: the buffer holds the header and room for the `n` counters it asks for, and is
        // not touched until the call returns.
        unsafe { self.ioctl(iface, stats)? };
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let name = &self.strings[12 + i * ETH_GSTRING_LEN..12 + (i + 1) * ETH_GSTRING_LEN];
            let name = c_text(name);
            if !name.is_empty() {
                out.push((name, self.stats[1 + i]));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_has_a_driver_but_no_link_settings() {
        let mut e = Ethtool::new().unwrap();
        // `lo` answers GDRVINFO on current kernels; GSET is not supported on it.
        match e.driver_info("lo") {
            Ok(info) => assert!(info.n_stats < MAX_GSTRINGS),
            Err(err) => assert_eq!(err.raw_os_error(), Some(libc::EOPNOTSUPP), "{err}"),
        }
        assert!(e.link_settings("lo").is_err());
        let err = e.driver_info("no-such-iface0").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENODEV));
        assert!(e.stats("no-such-iface0").is_err());
    }

    #[test]
    fn names_end_at_nul() {
        assert_eq!(c_text(b"virtio_net\0\0\0"), "virtio_net");
        assert_eq!(c_text(b"full"), "full");
    }
}
