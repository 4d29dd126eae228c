//! Reading `/proc` and `/sys` cheaply and reporting failures as Go words them: directories kept open,
//! integers as label text without allocating, and node_exporter's metric name sanitizing.

use std::io;
use std::path::Path;

/// Go's `open <path>: <errno text>` for a failed file read.
pub(super) fn open_error(path: &Path, err: &io::Error) -> String {
    format!(
        "open {}: {}",
        path.display(),
        ingot_hostfs::errno::go_error_text(err)
    )
}

/// A directory opened on first use and kept, so files below it open with a short `openat`.
/// If it cannot be opened, reads below it fail as "not found", and the next gather retries.
pub(super) struct LazyDir {
    path: std::path::PathBuf,
    dir: Option<ingot_hostfs::read::Dir>,
    rel: String,
}

impl LazyDir {
    pub(super) fn new(path: std::path::PathBuf) -> LazyDir {
        LazyDir {
            path,
            dir: None,
            rel: String::new(),
        }
    }

    pub(super) fn get(&mut self) -> io::Result<&ingot_hostfs::read::Dir> {
        if self.dir.is_none() {
            self.dir = Some(ingot_hostfs::read::Dir::open(&self.path)?);
        }
        Ok(self.dir.as_ref().expect("just opened"))
    }

    /// Go's `filepath.Glob("<dir>/<prefix>[0-9]*")`: names of the entries that start with
    /// `prefix` and a digit, in lexical order. Like Glob, an unreadable directory matches nothing.
    pub(super) fn glob_numbered(&mut self, prefix: &str, buf: &mut Vec<u8>) -> Vec<String> {
        let mut names = Vec::new();
        let Ok(dir) = self.get() else {
            return names;
        };
        let listed = dir.for_each_entry(buf, |name| {
            if name.starts_with(prefix.as_bytes())
                && name.get(prefix.len()).is_some_and(u8::is_ascii_digit)
            {
                if let Ok(name) = std::str::from_utf8(name) {
                    names.push(name.to_owned());
                }
            }
        });
        if listed.is_err() {
            // The directory may have been replaced; open it afresh next time.
            self.dir = None;
            names.clear();
        }
        names.sort_unstable();
        names
    }

    /// Reads the file `<a>/<b>` below the directory (`b` may be empty) into `buf`.
    pub(super) fn read_into(&mut self, a: &str, b: &str, buf: &mut Vec<u8>) -> io::Result<()> {
        self.read_with(a, b, buf, ingot_hostfs::read::Dir::read_into)
    }

    /// Reads the sysfs attribute `<a>/<b>` with a single `read`.
    pub(super) fn read_attribute(&mut self, a: &str, b: &str, buf: &mut Vec<u8>) -> io::Result<()> {
        self.read_with(a, b, buf, ingot_hostfs::read::Dir::read_attribute)
    }

    pub(super) fn read_with(
        &mut self,
        a: &str,
        b: &str,
        buf: &mut Vec<u8>,
        read: fn(&ingot_hostfs::read::Dir, &str, &mut Vec<u8>) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut rel = std::mem::take(&mut self.rel);
        rel.clear();
        rel.push_str(a);
        if !b.is_empty() {
            rel.push('/');
            rel.push_str(b);
        }
        let result = self.get().and_then(|d| read(d, &rel, buf));
        self.rel = rel;
        result
    }

    /// node_exporter's `readUintFromFile` on a sysfs attribute.
    pub(super) fn read_u64(&mut self, a: &str, b: &str, buf: &mut Vec<u8>) -> io::Result<u64> {
        self.read_attribute(a, b, buf)?;
        let text =
            std::str::from_utf8(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        ingot_hostfs::num::parse_u64_dec(text.trim())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an unsigned integer"))
    }

    /// procfs's `SysReadFile`: the attribute, whitespace-trimmed.
    pub(super) fn read_sys_value<'b>(
        &mut self,
        a: &str,
        b: &str,
        buf: &'b mut Vec<u8>,
    ) -> io::Result<&'b str> {
        self.read_attribute(a, b, buf)?;
        // SysReadFile reads at most 128 bytes.
        buf.truncate(128);
        let text = match std::str::from_utf8(buf) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&buf[..e.valid_up_to()]).unwrap_or(""),
        };
        Ok(text.trim())
    }
}

/// Decimal text of an integer in a stack buffer, for label values without allocating.
pub(super) struct IntText {
    buf: [u8; 24],
    len: usize,
}

impl IntText {
    pub(super) fn new(n: i64) -> IntText {
        let mut buf = [0u8; 24];
        let mut i = buf.len();
        let negative = n < 0;
        let mut m = n.unsigned_abs();
        loop {
            i -= 1;
            buf[i] = b'0' + (m % 10) as u8;
            m /= 10;
            if m == 0 {
                break;
            }
        }
        if negative {
            i -= 1;
            buf[i] = b'-';
        }
        buf.copy_within(i.., 0);
        IntText { buf, len: 24 - i }
    }

    pub(super) fn as_str(&self) -> &str {
        // Only ASCII digits and '-' were written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// node_exporter's `SanitizeMetricName`: every run of characters other than `[0-9A-Za-z_]`, with
/// the underscores around it, becomes one `_`.
pub(super) fn sanitize_metric_name(name: &str, out: &mut String) {
    let bytes = name.as_bytes();
    let valid = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < bytes.len() {
        // Find the next invalid run; underscores directly before it join it.
        let Some(bad) = bytes[i..].iter().position(|&c| !valid(c)).map(|p| p + i) else {
            out.push_str(&name[i..]);
            break;
        };
        let mut start = bad;
        while start > i && bytes[start - 1] == b'_' {
            start -= 1;
        }
        let mut end = bad;
        while end < bytes.len() && !valid(bytes[end]) {
            end += 1;
        }
        while end < bytes.len() && bytes[end] == b'_' {
            end += 1;
        }
        out.push_str(&name[i..start]);
        out.push('_');
        i = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_as_node_exporter() {
        let s = |n: &str| {
            let mut out = String::new();
            sanitize_metric_name(n, &mut out);
            out
        };
        assert_eq!(s("package"), "package");
        assert_eq!(s("dram-x"), "dram_x");
        assert_eq!(s("a__-__b"), "a_b");
        assert_eq!(s("a.b.c"), "a_b_c");
        assert_eq!(s("-a-"), "_a_");
        assert_eq!(s("a_b"), "a_b");
        assert_eq!(s("a-_-b"), "a__b");
        assert_eq!(s("tx_é_x"), "tx_x");
    }

    #[test]
    fn int_text() {
        assert_eq!(IntText::new(0).as_str(), "0");
        assert_eq!(IntText::new(1234).as_str(), "1234");
        assert_eq!(IntText::new(-7).as_str(), "-7");
        assert_eq!(IntText::new(i64::MIN).as_str(), "-9223372036854775808");
    }
}
