//! Reading pseudo-files into reusable buffers.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Replaces `buf`'s content with the file at `path`.
///
/// procfs files report a size of 0, so `read_to_end`'s size probe (an extra `statx` and seek)
/// buys nothing; this reads straight into the buffer's spare capacity instead.
pub fn read_into(path: &Path, buf: &mut Vec<u8>) -> io::Result<()> {
    read_file_into(&mut File::open(path)?, buf)
}

fn read_file_into(file: &mut File, buf: &mut Vec<u8>) -> io::Result<()> {
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

/// Replaces `buf`'s content with `file`'s, read from offset 0 with `pread`, for a file the
/// kernel hands over whole on the first read when it fits: a procfs file made by one `show`
/// call (such as `/proc/<pid>/stat`, generated afresh by each read from offset 0) or a regular
/// file. A read that does not fill the buffer is taken as the end, which saves the second read
/// that would return 0; a read that fills it is followed by more, into a larger buffer.
pub fn read_whole_at(file: &File, buf: &mut Vec<u8>) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    buf.clear();
    if buf.capacity() < 4096 {
        buf.reserve(4096);
    }
    loop {
        let len = buf.len();
        let cap = buf.capacity();
        buf.resize(cap, 0);
        match file.read_at(&mut buf[len..], len as u64) {
            Ok(n) => {
                buf.truncate(len + n);
                if n == 0 || len + n < cap {
                    return Ok(());
                }
                buf.reserve(cap);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => buf.truncate(len),
            Err(e) => {
                buf.truncate(len);
                return Err(e);
            }
        }
    }
}

/// A procfs file kept open between reads: seeking a seq_file back to 0 makes the kernel
/// generate it afresh, which saves the open and close (and the path walk) of every gather.
/// If the kept descriptor fails, the file is opened again once.
#[derive(Debug)]
pub struct KeptFile {
    path: std::path::PathBuf,
    file: Option<File>,
}

impl KeptFile {
    pub fn new(path: std::path::PathBuf) -> KeptFile {
        KeptFile { path, file: None }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces `buf`'s content with the file's current content.
    pub fn read_into(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        use std::io::{Seek, SeekFrom};
        if let Some(file) = self.file.as_mut() {
            if file.seek(SeekFrom::Start(0)).is_ok() && read_file_into(file, buf).is_ok() {
                return Ok(());
            }
            self.file = None;
        }
        let mut file = File::open(&self.path)?;
        read_file_into(&mut file, buf)?;
        self.file = Some(file);
        Ok(())
    }

    /// [`read_u64`] for the kept file.
    pub fn read_u64(&mut self, buf: &mut Vec<u8>) -> io::Result<u64> {
        self.read_into(buf)?;
        parse_u64_content(buf)
    }
}

/// A directory opened once, to read files below it with `openat`: the kernel then walks only
/// the relative part of each path, which is most of the cost of opening a deep sysfs file.
#[derive(Debug)]
pub struct Dir {
    fd: std::os::fd::OwnedFd,
}

impl Dir {
    pub fn open(path: &Path) -> io::Result<Dir> {
        Dir::open_with(path, libc::O_PATH)
    }

    /// Opens `path` as a directory that can also be listed with [`Dir::list`].
    pub fn open_listable(path: &Path) -> io::Result<Dir> {
        Dir::open_with(path, libc::O_RDONLY)
    }

    fn open_with(path: &Path, flags: libc::c_int) -> io::Result<Dir> {
        use std::os::fd::FromRawFd;
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: a NUL-terminated path; the returned descriptor is owned by the OwnedFd.
        let fd = unsafe { libc::open(c.as_ptr(), flags | libc::O_DIRECTORY | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Dir {
            // SAFETY: a descriptor we just opened and own.
            fd: unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) },
        })
    }

    /// `openat` of `rel` (relative to this directory) with `flags`, retried on EINTR.
    fn open_at(&self, rel: &str, flags: libc::c_int) -> io::Result<std::os::fd::OwnedFd> {
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
            // SAFETY: `c_path` is NUL-terminated; the new descriptor is owned by the OwnedFd.
            let fd = unsafe {
                libc::openat(
                    self.fd.as_raw_fd(),
                    c_path.as_ptr().cast(),
                    flags | libc::O_CLOEXEC,
                )
            };
            if fd >= 0 {
                // SAFETY: openat returned a new descriptor that nothing else owns.
                return Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) });
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }

    /// Opens `rel` (relative to this directory) for reading.
    pub fn open_file(&self, rel: &str) -> io::Result<File> {
        Ok(File::from(self.open_at(rel, libc::O_RDONLY)?))
    }

    /// Opens the directory `rel` below this one, to list it with [`Dir::list`] and to open
    /// files below it.
    pub fn open_dir(&self, rel: &str) -> io::Result<Dir> {
        Ok(Dir {
            fd: self.open_at(rel, libc::O_RDONLY | libc::O_DIRECTORY)?,
        })
    }

    /// [`read_into`] for `rel` below this directory.
    pub fn read_into(&self, rel: &str, buf: &mut Vec<u8>) -> io::Result<()> {
        read_file_into(&mut self.open_file(rel)?, buf)
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

    /// Calls `f` with the name of every entry of this directory except `.` and `..`, in the
    /// kernel's order. `buf` is scratch space kept by the caller, so listing allocates nothing.
    pub fn for_each_entry(&self, buf: &mut Vec<u8>, f: impl FnMut(&[u8])) -> io::Result<()> {
        // The directory may be held as an O_PATH descriptor, which cannot be listed.
        let dir = Dir {
            fd: self.open_at(".", libc::O_RDONLY | libc::O_DIRECTORY)?,
        };
        dir.list(buf, f)
    }

    /// [`Dir::for_each_entry`] for a directory opened with [`Dir::open_listable`] or
    /// [`Dir::open_dir`], without opening it again. Lists from the descriptor's position: a
    /// directory listed before needs [`Dir::rewind`] first.
    pub fn list(&self, buf: &mut Vec<u8>, mut f: impl FnMut(&[u8])) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        // Scratch space: the kernel overwrites it, so it is zeroed only when first sized.
        if buf.len() != 16384 {
            buf.clear();
            buf.resize(16384, 0);
        }
        loop {
            // SAFETY: the kernel writes at most `buf.len()` bytes of dirent64 records into buf.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_getdents64,
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr(),
                    buf.len(),
                )
            };
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
            let records = &buf[..n as usize];
            let mut offset = 0;
            // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
            while offset + 19 <= records.len() {
                let reclen =
                    u16::from_ne_bytes([records[offset + 16], records[offset + 17]]) as usize;
                if reclen == 0 || offset + reclen > records.len() {
                    break;
                }
                let name = &records[offset + 19..offset + reclen];
                let name = &name[..name.iter().position(|&c| c == 0).unwrap_or(name.len())];
                if name != b"." && name != b".." {
                    f(name);
                }
                offset += reclen;
            }
        }
    }

    /// Whether the directory is in a mounted procfs (and not, say, a copy of one in a test
    /// fixture): only the kernel's procfs gives every `<pid>` directory its `task` directory.
    pub fn is_procfs(&self) -> io::Result<bool> {
        use std::os::fd::AsRawFd;
        // SAFETY: statfs is plain old data, for which all-zero bytes are a valid value.
        let mut st: libc::statfs = unsafe { std::mem::zeroed() };
        // SAFETY: fstatfs writes into the struct we own.
        if unsafe { libc::fstatfs(self.fd.as_raw_fd(), &mut st) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // Both have the type of the target's `f_type` field.
        Ok(st.f_type == libc::PROC_SUPER_MAGIC)
    }

    /// Moves a listable directory back to its first entry, for another [`Dir::list`].
    pub fn rewind(&self) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        // SAFETY: lseek on a descriptor we own.
        if unsafe { libc::lseek(self.fd.as_raw_fd(), 0, libc::SEEK_SET) } < 0 {
            return Err(io::Error::last_os_error());
        }
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
        std::fs::create_dir(dir.path().join("cpu1")).unwrap();
        let mut names = Vec::new();
        d.for_each_entry(&mut buf, |n| {
            names.push(String::from_utf8_lossy(n).into_owned())
        })
        .unwrap();
        names.sort();
        assert_eq!(names, ["cpu0", "cpu1"]);
    }

    #[test]
    fn listable_dirs_list_again_after_rewind() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("7/task/8")).unwrap();
        std::fs::write(dir.path().join("7/task/8/stat"), "8 (x) S\n").unwrap();
        let root = Dir::open_listable(dir.path()).unwrap();
        assert!(!root.is_procfs().unwrap());
        let mut buf = Vec::new();
        let mut names = Vec::new();
        root.list(&mut buf, |n| names.push(n.to_vec())).unwrap();
        assert_eq!(names, [b"7".to_vec()]);
        // At its end, a listed directory lists nothing until rewound.
        root.list(&mut buf, |n| names.push(n.to_vec())).unwrap();
        assert_eq!(names.len(), 1);
        root.rewind().unwrap();
        root.list(&mut buf, |n| names.push(n.to_vec())).unwrap();
        assert_eq!(names.len(), 2);

        let task = root.open_dir("7/task").unwrap();
        names.clear();
        task.list(&mut buf, |n| names.push(n.to_vec())).unwrap();
        assert_eq!(names, [b"8".to_vec()]);
        let file = task.open_file("8/stat").unwrap();
        read_whole_at(&file, &mut buf).unwrap();
        assert_eq!(buf, b"8 (x) S\n");
        // Read again from the start, without reopening.
        read_whole_at(&file, &mut buf).unwrap();
        assert_eq!(buf, b"8 (x) S\n");
        assert_eq!(
            root.open_dir("7/missing").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert!(Dir::open_listable(Path::new("/proc"))
            .unwrap()
            .is_procfs()
            .unwrap());
    }

    #[test]
    fn read_whole_at_reads_past_a_full_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let content: Vec<u8> = (0..10_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let mut buf = Vec::new();
        read_whole_at(&File::open(&path).unwrap(), &mut buf).unwrap();
        assert_eq!(buf, content);
        // Exactly the initial capacity: the full read is followed by one that sees the end.
        std::fs::write(&path, &content[..4096]).unwrap();
        let mut buf = Vec::with_capacity(4096);
        read_whole_at(&File::open(&path).unwrap(), &mut buf).unwrap();
        assert_eq!(buf, &content[..4096]);
    }

    #[test]
    fn kept_file_sees_new_content_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "one\n").unwrap();
        let mut kept = KeptFile::new(path.clone());
        let mut buf = Vec::new();
        kept.read_into(&mut buf).unwrap();
        assert_eq!(buf, b"one\n");
        // Rewritten in place: the kept descriptor reads the new bytes.
        std::fs::write(&path, "two\n").unwrap();
        kept.read_into(&mut buf).unwrap();
        assert_eq!(buf, b"two\n");
        // procfs regenerates on seek to 0.
        let mut loadavg = KeptFile::new("/proc/self/stat".into());
        loadavg.read_into(&mut buf).unwrap();
        assert!(buf.starts_with(std::process::id().to_string().as_bytes()));
        loadavg.read_into(&mut buf).unwrap();
        assert!(buf.starts_with(std::process::id().to_string().as_bytes()));
        let mut missing = KeptFile::new(dir.path().join("missing"));
        assert_eq!(
            missing.read_into(&mut buf).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn missing_file_is_not_found() {
        let mut buf = Vec::new();
        let err = read_into(Path::new("/nonexistent/ingot/file"), &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
