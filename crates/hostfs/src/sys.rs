//! System calls node_exporter uses, and sysfs value formats.

use std::ffi::{CStr, CString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::ParseError;

/// `/sys/devices/system/cpu/isolated` and similar lists (`1,3-5,9`), as procfs's
/// `parseCPURange` reads them.
pub fn parse_cpu_range(text: &str) -> Result<Vec<u16>, ParseError> {
    let mut cpus = Vec::new();
    for part in text.strip_suffix('\n').unwrap_or(text).split(',') {
        if part.is_empty() {
            continue;
        }
        let num = |s: &str| {
            crate::num::parse_i64_dec(s)
                .ok_or_else(|| ParseError::new(format!("invalid cpu range: {part}")))
        };
        if part.contains('-') {
            let mut bounds = part.split('-');
            let (Some(start), Some(end), None) = (bounds.next(), bounds.next(), bounds.next())
            else {
                return Err(ParseError::new(format!("invalid cpu range: {part}")));
            };
            let (start, end) = (num(start)?, num(end)?);
            // A huge range would only come from a corrupt file; don't allocate for it.
            if end - start > 1 << 16 {
                return Err(ParseError::new(format!("invalid cpu range: {part}")));
            }
            cpus.extend((start..=end).map(|c| c as u16));
        } else {
            cpus.push(num(part)? as u16);
        }
    }
    Ok(cpus)
}

/// Whether this process runs with effective user id 0.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The size of a memory page in bytes (`sysconf(_SC_PAGESIZE)`, what Go's `os.Getpagesize` returns).
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions; it returns -1 for an unknown name, never for this one.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as u64
    } else {
        4096
    }
}

/// Asks glibc's allocator to return the free pages of its heap to the kernel (`malloc_trim(0)`): what
/// `otelcol.processor.memory_limiter` does above its hard limit, as the collector forces Go's GC. A no-op
/// elsewhere.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers and only returns free pages of the heap to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The soft limit on open file descriptors (`RLIMIT_NOFILE`), if there is one.
pub fn open_files_limit() -> Option<u64> {
    // SAFETY: rlimit is plain old data, for which all-zero bytes are a valid value.
    let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0
        || limit.rlim_cur == libc::RLIM_INFINITY
    {
        return None;
    }
    Some(limit.rlim_cur as u64)
}

/// Raises the soft limit on open file descriptors to the hard limit, as Go's runtime does at start-up
/// (since Go 1.19), so that an agent holding many connections does not run out at the default 1,024. Returns
/// the new soft limit; on failure the limit stays as it was.
pub fn raise_open_files_limit() -> io::Result<u64> {
    // SAFETY: rlimit is plain old data, for which all-zero bytes are a valid value.
    let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: setrlimit reads the struct we own.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(limit.rlim_cur as u64)
}

/// The fields of `uname(2)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uname {
    pub sysname: String,
    pub nodename: String,
    pub release: String,
    pub version: String,
    pub machine: String,
    pub domainname: String,
}

pub fn uname() -> io::Result<Uname> {
    // SAFETY: utsname is plain old data; uname fills it and we read NUL-terminated fields.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: uname writes into the struct we own.
    if unsafe { libc::uname(&mut u) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Ok(Uname {
        sysname: field(&u.sysname),
        nodename: field(&u.nodename),
        release: field(&u.release),
        version: field(&u.version),
        machine: field(&u.machine),
        domainname: field(&u.domainname),
    })
}

/// The `statfs(2)` fields the filesystem collector reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsStat {
    pub block_size: i64,
    pub blocks: u64,
    pub blocks_free: u64,
    pub blocks_available: u64,
    pub files: u64,
    pub files_free: u64,
}

/// `statfs(2)`; the error carries the raw errno.
pub fn statfs(path: &Path) -> io::Result<FsStat> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    statfs_c(&c)
}

pub fn statfs_c(path: &CStr) -> io::Result<FsStat> {
    // SAFETY: statfs64 writes into the zeroed struct we own; the path is NUL-terminated.
    let mut buf: libc::statfs64 = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: statfs64 writes into the struct we own; the path is NUL-terminated.
        if unsafe { libc::statfs64(path.as_ptr(), &mut buf) } == 0 {
            break;
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(err);
        }
    }
    Ok(FsStat {
        block_size: buf.f_bsize as i64,
        blocks: buf.f_blocks as u64,
        blocks_free: buf.f_bfree as u64,
        blocks_available: buf.f_bavail as u64,
        files: buf.f_files as u64,
        files_free: buf.f_ffree as u64,
    })
}

/// The local time zone's abbreviation and offset east of UTC at `unix_seconds`, from the C
/// library's reading of `TZ` and `/etc/localtime` (what Go's `time.Local` reads too).
pub fn local_zone(unix_seconds: i64) -> (String, i64) {
    extern "C" {
        fn tzset();
    }
    // SAFETY: tzset and localtime_r only read the environment and zone files; `tm` is ours.
    unsafe {
        tzset();
        let t: libc::time_t = unix_seconds as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return ("UTC".to_owned(), 0);
        }
        let name = if tm.tm_zone.is_null() {
            String::from("UTC")
        } else {
            CStr::from_ptr(tm.tm_zone).to_string_lossy().into_owned()
        };
        (name, tm.tm_gmtoff as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ranges() {
        assert_eq!(parse_cpu_range("1,3-5,9\n").unwrap(), [1, 3, 4, 5, 9]);
        assert_eq!(parse_cpu_range("\n").unwrap(), Vec::<u16>::new());
        assert!(parse_cpu_range("1-2-3").is_err());
        assert!(parse_cpu_range("a").is_err());
    }

    #[test]
    fn address_labels_name_their_interface() {
        assert_eq!(interface_of_label("eth0"), "eth0");
        assert_eq!(interface_of_label("eth0:vip"), "eth0");
        assert_eq!(interface_of_label("lo:0:x"), "lo");
    }

    #[test]
    fn syscalls_work_here() {
        let u = uname().unwrap();
        assert_eq!(u.sysname, "Linux");
        let st = statfs(Path::new("/")).unwrap();
        assert!(st.block_size > 0 && st.blocks > 0);
        let err = statfs(Path::new("/nonexistent/ingot")).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
        let (name, _) = local_zone(0);
        assert!(!name.is_empty());
    }
}

/// One IP address of a network interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceAddress {
    pub interface: String,
    pub address: std::net::IpAddr,
    pub prefix_len: u32,
}

/// The interface an address label belongs to. glibc's `getifaddrs` names an IPv4 address by its
/// label, which for an alias (`ip addr add ... label eth0:vip`) is the interface name, a colon and
/// a suffix; interface names cannot hold a colon, so the name ends at the first one. node_exporter
/// (Go's `net.Interfaces`) reports the interface itself.
fn interface_of_label(label: &str) -> &str {
    label
        .split_once(':')
        .map_or(label, |(interface, _)| interface)
}

/// The IPv4 and IPv6 addresses of every interface (`getifaddrs(3)`).
pub fn interface_addresses() -> io::Result<Vec<InterfaceAddress>> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs allocates a list we walk read-only and free exactly once below.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut out = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned; its pointers are valid or null.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_name was checked non-null above and points at a NUL-terminated name getifaddrs owns.
        let label = unsafe { CStr::from_ptr(ifa.ifa_name) }.to_string_lossy();
        let name = interface_of_label(&label).to_owned();
        // SAFETY: ifa_addr was checked non-null above and points at a sockaddr getifaddrs owns.
        let family = i32::from(unsafe { (*ifa.ifa_addr).sa_family });
        let (address, prefix_len) = match family {
            libc::AF_INET => {
                // SAFETY: the family is AF_INET, so ifa_addr points at a sockaddr_in.
                let sin = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in) };
                let mask = if ifa.ifa_netmask.is_null() {
                    0
                } else {
                    // SAFETY: non-null, and a netmask has the family of its address: a sockaddr_in.
                    let m = unsafe { &*(ifa.ifa_netmask as *const libc::sockaddr_in) };
                    u32::from_be(m.sin_addr.s_addr).count_ones()
                };
                (
                    IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr))),
                    mask,
                )
            }
            libc::AF_INET6 => {
                // SAFETY: the family is AF_INET6, so ifa_addr points at a sockaddr_in6.
                let sin6 = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in6) };
                let mask = if ifa.ifa_netmask.is_null() {
                    0
                } else {
                    // SAFETY: non-null, and a netmask has the family of its address: a sockaddr_in6.
                    let m = unsafe { &*(ifa.ifa_netmask as *const libc::sockaddr_in6) };
                    m.sin6_addr.s6_addr.iter().map(|b| b.count_ones()).sum()
                };
                (IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)), mask)
            }
            _ => continue,
        };
        out.push(InterfaceAddress {
            interface: name,
            address,
            prefix_len,
        });
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    Ok(out)
}

#[cfg(test)]
mod interface_tests {
    #[test]
    fn loopback_has_an_address() {
        let addrs = super::interface_addresses().unwrap();
        assert!(addrs.iter().any(|a| a.address.is_loopback()), "{addrs:?}");
    }
}

/// Caps glibc's malloc arenas. glibc gives each thread that allocates concurrently an arena of
/// its own (up to eight per core), each keeping freed memory for reuse; a small agent whose
/// threads mostly wait gains little from them. No effect with another C library.
pub fn limit_malloc_arenas(arenas: i32) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = arenas;
}

/// Lets go of the pages of this program's code and constants that are mapped so far; they come back
/// one fault (and the kernel's fault-around window) at a time as they are used again. Returns how
/// many bytes of mappings it applied to.
///
/// Why: a static binary's start-up runs code once (the config parser, every component's constructor,
/// the self-relocation that reads `.rela.dyn`) and Linux maps 64 KiB around every page it faults in,
/// so megabytes of file pages stay mapped, and counted in the RSS, that the running agent never uses
/// again. `MADV_DONTNEED` drops them from this process only: they stay in the page cache, shared and
/// reclaimable, and a later use costs a minor fault.
///
/// Only mappings of the program's own file that are never written are touched: the executable ones
/// (a position-independent binary relocates data, never text) and the read-only ones placed before
/// the code (ELF headers, relocation tables, `.rodata`, unwind tables). The read-only mapping after
/// the code is RELRO, written by the relocation before it was made read-only: dropping those pages
/// would bring back the file's unrelocated bytes, so it is left alone.
pub fn drop_startup_code_pages() -> io::Result<u64> {
    let exe = std::fs::read_link("/proc/self/exe")?;
    let maps = std::fs::read_to_string("/proc/self/maps")?;
    let mappings: Vec<Mapping> = maps.lines().filter_map(|l| Mapping::of(l, &exe)).collect();
    let Some(code_offset) = mappings.iter().filter(|m| m.exec).map(|m| m.offset).min() else {
        return Ok(0);
    };
    let mut bytes = 0u64;
    for m in mappings.iter().filter(|m| m.exec || m.offset < code_offset) {
        let len = (m.end - m.start) as usize;
        let addr = m.start as usize as *mut libc::c_void;
        // SAFETY: [start, end) is a whole mapping of this process, read from /proc/self/maps, private,
        // backed by the program's file and never written (code, or read-only data placed before the
        // code, never relocated): MADV_DONTNEED only makes the kernel refault its pages from the file,
        // which holds the very same bytes.
        if unsafe { libc::madvise(addr, len, libc::MADV_DONTNEED) } != 0 {
            return Err(io::Error::last_os_error());
        }
        bytes += m.end - m.start;
    }
    Ok(bytes)
}

/// A private, non-writable mapping of the program's file, from a `/proc/<pid>/maps` line.
#[derive(Debug, PartialEq)]
struct Mapping {
    start: u64,
    end: u64,
    offset: u64,
    exec: bool,
}

impl Mapping {
    fn of(line: &str, exe: &Path) -> Option<Mapping> {
        let mut fields = line.split_ascii_whitespace();
        let range = fields.next()?;
        let perms = fields.next()?.as_bytes();
        let offset = u64::from_str_radix(fields.next()?, 16).ok()?;
        let _dev = fields.next()?;
        let inode = fields.next()?;
        // The path is the rest of the line (it may hold spaces).
        let path = line
            .splitn(6, |c: char| c.is_ascii_whitespace())
            .nth(5)
            .map(str::trim_start)?;
        let private_read_only = perms.len() == 4 && perms[1] == b'-' && perms[3] == b'p';
        if !private_read_only || inode == "0" || Path::new(path) != exe {
            return None;
        }
        let (start, end) = range.split_once('-')?;
        let start = u64::from_str_radix(start, 16).ok()?;
        let end = u64::from_str_radix(end, 16).ok()?;
        (end > start).then_some(Mapping {
            start,
            end,
            offset,
            exec: perms[2] == b'x',
        })
    }
}

#[cfg(test)]
mod code_pages_tests {
    use super::*;

    fn resident_bytes() -> u64 {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
        let pages: u64 = statm.split(' ').nth(1).unwrap().parse().unwrap();
        pages * 4096
    }

    #[test]
    fn maps_lines_are_picked_by_permission_and_file() {
        let exe = Path::new("/usr/bin/ingot");
        let pick = |l: &str| Mapping::of(l, exe);
        let m = |start, end, offset, exec| {
            Some(Mapping {
                start,
                end,
                offset,
                exec,
            })
        };
        assert_eq!(
            pick("5555a000-5555f000 r-xp 00001000 fe:01 1234   /usr/bin/ingot"),
            m(0x5555a000, 0x5555f000, 0x1000, true)
        );
        assert_eq!(
            pick("5555a000-5555f000 r--p 00000000 fe:01 1234   /usr/bin/ingot"),
            m(0x5555a000, 0x5555f000, 0, false)
        );
        assert_eq!(
            pick("5555a000-5555f000 rw-p 00000000 fe:01 1234   /usr/bin/ingot"),
            None
        );
        assert_eq!(
            pick("5555a000-5555f000 r-xs 00000000 fe:01 1234   /usr/bin/ingot"),
            None
        );
        assert_eq!(
            pick("7f00a000-7f00f000 r-xp 00000000 fe:01 99   /usr/lib/libc.so.6"),
            None
        );
        assert_eq!(pick("7ffd000-7ffe000 r-xp 00000000 00:00 0   [vdso]"), None);
        assert_eq!(
            Mapping::of(
                "1000-2000 r-xp 00000000 fe:01 7 /opt/my agent/ingot",
                Path::new("/opt/my agent/ingot")
            ),
            m(0x1000, 0x2000, 0, true)
        );
    }

    /// Statics that the relocation wrote (pointers in RELRO) must survive: a table of `&str` is one.
    static RELOCATED: [&str; 3] = ["alpha", "beta", "gamma"];

    #[test]
    fn pages_are_let_go_and_the_program_runs_on() {
        let before = resident_bytes();
        let bytes = drop_startup_code_pages().expect("madvise on the test binary");
        assert!(bytes > 0, "no mapping of the test binary found");
        let after = resident_bytes();
        assert!(
            after < before,
            "resident {before} B before, {after} B after"
        );
        // Code and constants come back as they are used; relocated data is untouched.
        let v: Vec<u64> = (0..1000).map(|i| i * 3).collect();
        assert_eq!(v.iter().sum::<u64>(), 1_498_500);
        assert_eq!(
            std::hint::black_box(&RELOCATED).join(","),
            "alpha,beta,gamma"
        );
        assert_eq!(format!("{:?}", Some(1.5)), "Some(1.5)");
    }
}
