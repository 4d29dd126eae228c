//! Reading pseudo-files into reusable buffers.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Replaces `buf`'s content with the file at `path`.
///
/// procfs files report a size of 0, so `read_to_end`'s size probe (an extra `statx` and seek)
/// buys nothing; this reads straight into the buffer's spare capacity instead.
pub fn read_into(path: &Path, buf: &mut Vec<u8>) -> io::Result<()> {
    let mut file = File::open(path)?;
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
    let mut file = File::open(path)?;
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
    fn missing_file_is_not_found() {
        let mut buf = Vec::new();
        let err = read_into(Path::new("/nonexistent/ingot/file"), &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
