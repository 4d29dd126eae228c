//! Reading pseudo-files into reusable buffers.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Replaces `buf`'s content with the file at `path`.
///
/// procfs files report a size of 0, so `read_to_end`'s size probe (an extra `statx` and seek)
/// buys nothing; this reads straight into the buffer's spare capacity instead.
pub fn read_into(path: &Path, buf: &mut Vec<u8>) -> io::Result<()> {
    read_file_into(File::open(path)?, buf)
}

fn read_file_into(mut file: File, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    loop {
        if buf.capacity() - buf.len() < 1024 {
            buf.reserve(4096.max(buf.capacity()));
        }
        let len = buf.len();
        let cap = buf.capacity();
        buf.resize(cap, 0);
        match file.read(&mut buf[len..]) {
            Ok(0) => {
                buf.truncate(len);
                return Ok(());
            }
            Ok(n) => buf.truncate(len + n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => buf.truncate(len),
            Err(e) => {
                buf.truncate(len);
                return Err(e);
            }
        }
    }
}

/// Like [`read_into`], and returns the content as text (invalid UTF-8 is an error).
pub fn read_str<'a>(path: &Path, buf: &'a mut Vec<u8>) -> io::Result<&'a str> {
    read_into(path, buf)?;
    std::str::from_utf8(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// procfs's `SysReadFile`: one `read` of at most 128 bytes, whitespace trimmed.
///
/// A single read, because some sysfs drivers answer EAGAIN forever to a read loop.
pub fn read_sys_value(path: &Path) -> io::Result<String> {
    read_sys_value_from(File::open(path)?)
}

fn read_sys_value_from(mut file: File) -> io::Result<String> {
    let mut b = [0u8; 128];
    let n = loop {
        match file.read(&mut b) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    Ok(String::from_utf8_lossy(&b[..n]).trim().to_owned())
}

/// node_exporter's `readUintFromFile`: the whole file, trimmed, as a decimal u64.
pub fn read_u64(path: &Path, buf: &mut Vec<u8>) -> io::Result<u64> {
    read_into(path, buf)?;
    parse_u64_content(buf)
}

fn parse_u64_content(buf: &[u8]) -> io::Result<u64> {
    let text = std::str::from_utf8(buf)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?
        .trim();
    crate::num::parse_u64_dec(text).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("strconv.ParseUint: parsing {text:?}: invalid syntax"),
        )
    })
}

/// A directory opened once, to read files below it with `openat`: the kernel then walks only
/// the relative part of each path, which is most of the cost of opening a deep sysfs file.
#[derive(Debug)]
pub struct Dir {
    fd: std::os::fd::OwnedFd,
}

impl Dir {
    pub fn open(path: &Path) -> io::Result<Dir> {
        use std::os::fd::FromRawFd;
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: a NUL-terminated path; the returned descriptor is owned by the OwnedFd.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Dir {
            fd: unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Opens `rel` (relative to this directory) for reading.
    pub fn open_file(&self, rel: &str) -> io::Result<File> {
        use std::os::fd::{AsRawFd, FromRawFd};
        let mut stack = [0u8; 256];
        let heap;
        let c_path: &[u8] = if rel.len() < stack.len() {
            stack[..rel.len()].copy_from_slice(rel.as_bytes());
            &stack[..=rel.len()]
        } else {
            heap = [rel.as_bytes(), b"\0"].concat();
            &heap
        };
        if c_path[..c_path.len() - 1].contains(&0) {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        loop {
            // SAFETY: `c_path` is NUL-terminated; the new descriptor is owned by the File.
            let fd = unsafe {
                libc::openat(
                    self.fd.as_raw_fd(),
                    c_path.as_ptr().cast(),
                    libc::O_RDONLY | libc::O_CLOEXEC,
                )
            };
            if fd >= 0 {
                return Ok(unsafe { File::from_raw_fd(fd) });
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }

    /// [`read_into`] for `rel` below this directory.
    pub fn read_into(&self, rel: &str, buf: &mut Vec<u8>) -> io::Result<()> {
        read_file_into(self.open_file(rel)?, buf)
    }

    /// [`read_u64`] for `rel` below this directory.
    pub fn read_u64(&self, rel: &str, buf: &mut Vec<u8>) -> io::Result<u64> {
        self.read_into(rel, buf)?;
        parse_u64_content(buf)
    }

    /// Reads a sysfs attribute with a single `read`: sysfs hands over an attribute (at most a
    /// page) whole on the first read, so the usual second read that sees end-of-file is
    /// skipped.
    pub fn read_attribute(&self, rel: &str, buf: &mut Vec<u8>) -> io::Result<()> {
        let mut file = self.open_file(rel)?;
        buf.clear();
        buf.resize(4096, 0);
        let n = loop {
            match file.read(buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    buf.clear();
                    return Err(e);
                }
            }
        };
        buf.truncate(n);
        Ok(())
    }

    /// [`read_sys_value`] for `rel` below this directory.
    pub fn read_sys_value(&self, rel: &str) -> io::Result<String> {
        read_sys_value_from(self.open_file(rel)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_files_larger_than_the_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let content: Vec<u8> = (0..20_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        File::create(&path).unwrap().write_all(&content).unwrap();
        let mut buf = Vec::new();
        read_into(&path, &mut buf).unwrap();
        assert_eq!(buf, content);
        // A second, shorter read replaces the content.
        File::create(&path).unwrap().write_all(b" 42\n").unwrap();
        read_into(&path, &mut buf).unwrap();
        assert_eq!(buf, b" 42\n");
        assert_eq!(read_u64(&path, &mut buf).unwrap(), 42);
        assert_eq!(read_sys_value(&path).unwrap(), "42");
    }

    #[test]
    fn dir_reads_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("cpu0/topology")).unwrap();
        std::fs::write(dir.path().join("cpu0/topology/core_id"), "3\n").unwrap();
        let d = Dir::open(dir.path()).unwrap();
        let mut buf = Vec::new();
        assert_eq!(d.read_u64("cpu0/topology/core_id", &mut buf).unwrap(), 3);
        assert_eq!(d.read_sys_value("cpu0/topology/core_id").unwrap(), "3");
        let err = d.read_into("cpu0/missing", &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(d.read_into(&"x/".repeat(200), &mut buf).is_err());
        assert!(Dir::open(&dir.path().join("cpu0/topology/core_id")).is_err());
    }

    #[test]
    fn missing_file_is_not_found() {
        let mut buf = Vec::new();
        let err = read_into(Path::new("/nonexistent/ingot/file"), &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
