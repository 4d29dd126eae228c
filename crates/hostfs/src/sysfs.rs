//! Reading sysfs class directories as prometheus/procfs' `sysfs` package does: directory
//! listings sorted by name (Go's `os.ReadDir`), `SysReadFile` (one `read` of at most 128 bytes,
//! whitespace trimmed), `ReadUintFromFile`, and `filepath.Glob` over one directory. Errors keep the
//! errno, because node_exporter decides between "no data" and "failed" on it, and print as Go
//! prints them (`open /sys/class/x: no such file or directory`).

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::errno::go_error_text;

/// A failed read of a sysfs file or directory, or a value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysError {
    errno: Option<i32>,
    /// Whether a context was put in front of the original error (Go's `fmt.Errorf("...: %w")`):
    /// Go's `os.IsNotExist` no longer sees through it, `errors.Is` still does.
    wrapped: bool,
    message: String,
}

impl SysError {
    /// `<op> <path>: <errno text>`, as Go's `*PathError` prints.
    pub fn io(op: &str, path: &Path, err: &io::Error) -> SysError {
        SysError {
            errno: err.raw_os_error(),
            wrapped: false,
            message: format!("{op} {}: {}", path.display(), go_error_text(err)),
        }
    }

    /// The bare errno text, as Go's `syscall.Read` returns it (no path).
    pub fn errno_only(err: &io::Error) -> SysError {
        SysError {
            errno: err.raw_os_error(),
            wrapped: false,
            message: go_error_text(err),
        }
    }

    /// An error that is not about I/O (a value that does not parse, a file of the wrong shape).
    pub fn msg(message: impl Into<String>) -> SysError {
        SysError {
            errno: None,
            wrapped: false,
            message: message.into(),
        }
    }

    /// `<context>: <self>`, keeping the errno for [`SysError::is_not_found`].
    pub fn context(self, context: impl fmt::Display) -> SysError {
        SysError {
            errno: self.errno,
            wrapped: true,
            message: format!("{context}: {}", self.message),
        }
    }

    /// The same error, classified by `errno` (for messages that do not name the errno).
    pub fn with_errno(mut self, errno: Option<i32>) -> SysError {
        self.errno = errno;
        self
    }

    pub fn errno(&self) -> Option<i32> {
        self.errno
    }

    /// Go's `errors.Is(err, fs.ErrNotExist)`: ENOENT anywhere in the chain.
    pub fn is_not_found(&self) -> bool {
        self.errno == Some(libc::ENOENT)
    }

    /// Go's `os.IsNotExist(err)`: ENOENT, unless a context was wrapped around it.
    pub fn is_not_found_unwrapped(&self) -> bool {
        !self.wrapped && self.is_not_found()
    }

    /// Go's `errors.Is(err, fs.ErrPermission)`: EACCES or EPERM.
    pub fn is_permission(&self) -> bool {
        matches!(self.errno, Some(libc::EACCES) | Some(libc::EPERM))
    }

    /// Go's `errors.Is(err, fs.ErrInvalid)` on an errno: EINVAL.
    pub fn is_invalid(&self) -> bool {
        self.errno == Some(libc::EINVAL)
    }

    /// The errors procfs' `canIgnoreError` skips an attribute for: not found, permission,
    /// "operation not supported", EINVAL.
    pub fn is_ignorable_attribute(&self) -> bool {
        self.is_not_found()
            || self.is_permission()
            || matches!(self.errno, Some(libc::EOPNOTSUPP) | Some(libc::EINVAL))
    }
}

impl fmt::Display for SysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SysError {}

/// What a directory entry is, from the directory listing itself (not following symlinks), as
/// Go's `DirEntry.Type()` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Dir,
    File,
    Symlink,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub kind: EntryKind,
    /// The entry's inode number, from the listing: in sysfs, a node replaced by another of the same
    /// name (an interface removed and created again) gets a new one.
    pub ino: u64,
}

/// Go's `os.ReadDir`: every entry but `.` and `..`, sorted by name. Names that are not UTF-8 are
/// skipped (no sysfs class names such).
pub fn read_dir(path: &Path) -> Result<Vec<Entry>, SysError> {
    let iter = std::fs::read_dir(path).map_err(|e| SysError::io("open", path, &e))?;
    let mut entries = Vec::new();
    for entry in iter {
        let entry = entry.map_err(|e| SysError::io("readdirent", path, &e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let kind = match entry.file_type() {
            Ok(t) if t.is_symlink() => EntryKind::Symlink,
            Ok(t) if t.is_dir() => EntryKind::Dir,
            Ok(t) if t.is_file() => EntryKind::File,
            _ => EntryKind::Other,
        };
        let ino = std::os::unix::fs::DirEntryExt::ino(&entry);
        entries.push(Entry { name, kind, ino });
    }
    entries.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// Names in `dir` that `matches` accepts, sorted: Go's `filepath.Glob` over one directory, which
/// treats an unreadable directory as matching nothing.
pub fn glob(dir: &Path, mut matches: impl FnMut(&str) -> bool) -> Vec<String> {
    let Ok(iter) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = iter
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| matches(n))
        .collect();
    names.sort_unstable();
    names
}

/// The glob `<prefix>[0-9]*`: `prefix`, then a digit, then anything.
pub fn prefix_then_digit(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .is_some_and(|rest| rest.as_bytes().first().is_some_and(u8::is_ascii_digit))
}

/// procfs' `util.SysReadFile`: one `read` of at most 128 bytes (some drivers answer EAGAIN forever
/// to a read loop), trimmed of white space. Bytes that are not UTF-8 are replaced as Go's
/// `strings.ToValidUTF8` does.
pub fn read_value(path: &Path, buf: &mut Vec<u8>) -> Result<String, SysError> {
    read_raw_value(path, buf)?;
    Ok(to_valid_utf8(trim_space(buf)))
}

/// [`read_value`] without the conversion to text: the trimmed bytes are in `buf` after the call.
pub fn read_raw_value<'b>(path: &Path, buf: &'b mut Vec<u8>) -> Result<&'b [u8], SysError> {
    let mut file = File::open(path).map_err(|e| SysError::io("open", path, &e))?;
    buf.clear();
    buf.resize(128, 0);
    let n = loop {
        match file.read(buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                buf.clear();
                return Err(SysError::errno_only(&e));
            }
        }
    };
    buf.truncate(n);
    Ok(trim_space(buf))
}

/// [`read_value`] for `rel` below an open directory: the kernel walks only `rel` (cheaper than a
/// full path for the many attributes of one device). `dir_path` names the directory in errors.
pub fn read_value_at(
    dir: &crate::read::Dir,
    dir_path: &Path,
    rel: &str,
    buf: &mut Vec<u8>,
) -> Result<String, SysError> {
    let mut file = dir
        .open_file(rel)
        .map_err(|e| SysError::io("open", &dir_path.join(rel), &e))?;
    buf.clear();
    buf.resize(128, 0);
    let n = loop {
        match file.read(buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                buf.clear();
                return Err(SysError::errno_only(&e));
            }
        }
    };
    buf.truncate(n);
    Ok(to_valid_utf8(trim_space(buf)))
}

/// Go's `os.ReadFile`: the whole file into `buf`.
pub fn read_file<'b>(path: &Path, buf: &'b mut Vec<u8>) -> Result<&'b [u8], SysError> {
    crate::read::read_into(path, buf).map_err(|e| {
        // A failed open and a failed read print alike for our purposes: Go's PathError.
        SysError::io("open", path, &e)
    })?;
    Ok(buf)
}

/// node_exporter's and procfs' `ReadUintFromFile`: the whole file, trimmed, as a decimal u64.
pub fn read_uint(path: &Path, buf: &mut Vec<u8>) -> Result<u64, SysError> {
    let text = trim_space(read_file(path, buf)?);
    parse_uint_text(text)
}

/// `strconv.ParseUint(s, 10, 64)` with Go's error text.
pub fn parse_uint_text(text: &[u8]) -> Result<u64, SysError> {
    let s = String::from_utf8_lossy(text);
    crate::num::parse_u64_dec(&s).ok_or_else(|| {
        SysError::msg(format!(
            "strconv.ParseUint: parsing {}: {}",
            ingot_quote(&s),
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "value out of range"
            } else {
                "invalid syntax"
            }
        ))
    })
}

/// `strconv.ParseInt(s, 10, 64)` with Go's error text.
pub fn parse_int_text(text: &[u8]) -> Result<i64, SysError> {
    let s = String::from_utf8_lossy(text);
    crate::num::parse_i64_dec(&s).ok_or_else(|| {
        SysError::msg(format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            ingot_quote(&s)
        ))
    })
}

/// Go's `%q` of short ASCII-ish text (enough for error messages).
fn ingot_quote(s: &str) -> String {
    format!("{s:?}")
}

/// Go's `bytes.TrimSpace` for the ASCII white space sysfs values end with.
pub fn trim_space(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| !is_space(*c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !is_space(*c))
        .map_or(start, |i| i + 1);
    &b[start..end]
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Go's `strings.ToValidUTF8(s, "\u{FFFD}")`: each run of bytes that are not UTF-8 becomes one
/// replacement character (Rust's lossy conversion would put one per invalid sequence).
pub fn to_valid_utf8(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    let mut in_invalid_run = false;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                if valid > 0 {
                    out.push_str(std::str::from_utf8(&rest[..valid]).unwrap_or(""));
                    in_invalid_run = false;
                }
                if !in_invalid_run {
                    out.push('\u{FFFD}');
                    in_invalid_run = true;
                }
                let bad = e.error_len().unwrap_or(rest.len() - valid);
                rest = &rest[valid + bad..];
            }
        }
    }
    out
}

/// Go's `filepath.EvalSymlinks`: the path with every symlink resolved.
pub fn eval_symlinks(path: &Path) -> Result<PathBuf, SysError> {
    std::fs::canonicalize(path).map_err(|e| SysError::io("lstat", path, &e))
}

/// The last element of a path as text (Go's `filepath.Base` for the paths used here).
pub fn base_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// procfs' `ValueParser.PInt64`: `strconv.ParseInt(s, 0, 64)` (base from the prefix).
pub fn parse_int_base0(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.starts_with(['-', '+']) {
        return None;
    }
    let magnitude = crate::num::parse_uint_base0(digits, 64)?;
    if negative {
        (magnitude <= i64::MAX as u64 + 1).then(|| (magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// procfs' `ValueParser.PUInt64`: `strconv.ParseUint(s, 0, 64)`.
pub fn parse_uint_base0(s: &str) -> Option<u64> {
    crate::num::parse_uint_base0(s, 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_valid_utf8_collapses_runs() {
        assert_eq!(to_valid_utf8(b"ok"), "ok");
        assert_eq!(to_valid_utf8(b"LNV-45N1\xb2\xb3"), "LNV-45N1\u{FFFD}");
        assert_eq!(to_valid_utf8(b"\xff\x1c[\xfe"), "\u{FFFD}\x1c[\u{FFFD}");
        assert_eq!(to_valid_utf8("é\u{FFFD}".as_bytes()), "é\u{FFFD}");
    }

    #[test]
    fn values_are_read_once_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let long: String = "x".repeat(300);
        std::fs::write(dir.path().join("long"), format!("{long}\n")).unwrap();
        std::fs::write(dir.path().join("v"), "  42 \n").unwrap();
        let mut buf = Vec::new();
        assert_eq!(read_value(&dir.path().join("v"), &mut buf).unwrap(), "42");
        assert_eq!(
            read_value(&dir.path().join("long"), &mut buf)
                .unwrap()
                .len(),
            128
        );
        assert_eq!(read_uint(&dir.path().join("v"), &mut buf).unwrap(), 42);
        let err = read_value(&dir.path().join("missing"), &mut buf).unwrap_err();
        assert!(err.is_not_found() && err.is_not_found_unwrapped());
        assert!(err.to_string().starts_with("open /"), "{err}");
        assert!(err
            .to_string()
            .ends_with("/missing: no such file or directory"));
        let wrapped = err.context("failed to read");
        assert!(wrapped.is_not_found() && !wrapped.is_not_found_unwrapped());
        let err = read_uint(&dir.path().join("long"), &mut buf).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("strconv.ParseUint: parsing \"xxx"),
            "{err}"
        );
    }

    #[test]
    fn listings_are_sorted_and_typed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("b")).unwrap();
        std::fs::write(dir.path().join("a"), "").unwrap();
        std::os::unix::fs::symlink("b", dir.path().join("c1")).unwrap();
        let entries = read_dir(dir.path()).unwrap();
        let kinds: Vec<_> = entries.iter().map(|e| (e.name.as_str(), e.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("a", EntryKind::File),
                ("b", EntryKind::Dir),
                ("c1", EntryKind::Symlink)
            ]
        );
        assert_eq!(glob(dir.path(), |n| prefix_then_digit(n, "c")), ["c1"]);
        assert!(glob(&dir.path().join("none"), |_| true).is_empty());
        assert!(read_dir(&dir.path().join("none"))
            .unwrap_err()
            .is_not_found());
    }

    #[test]
    fn base0_integers() {
        assert_eq!(parse_int_base0("-1"), Some(-1));
        assert_eq!(parse_int_base0("0x10"), Some(16));
        assert_eq!(parse_int_base0("010"), Some(8));
        assert_eq!(parse_int_base0("--1"), None);
        assert_eq!(parse_int_base0("abc"), None);
        assert_eq!(parse_uint_base0("0xffffffffffffffff"), Some(u64::MAX));
        assert_eq!(parse_uint_base0("-1"), None);
    }
}
