//! `/proc/<pid>/mountinfo`.

use crate::ParseError;

/// One mount, fields borrowed from the line. The mount point is still escaped as the kernel
/// prints it (`\040` for a space).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mount<'a> {
    pub mount_id: i64,
    pub parent_id: i64,
    pub major_minor: &'a str,
    pub root: &'a str,
    pub mount_point: &'a str,
    pub options: &'a str,
    pub fs_type: &'a str,
    pub source: &'a str,
    pub super_options: &'a str,
}

/// Calls `f` for every line. Fields are split on single spaces and the separator `-` must sit
/// fourth from the end, as in procfs; a malformed line fails the whole file.
pub fn for_each<'a>(text: &'a str, mut f: impl FnMut(&Mount<'a>)) -> Result<(), ParseError> {
    let mut fields: Vec<&str> = Vec::with_capacity(16);
    for line in text.lines() {
        fields.clear();
        fields.extend(line.split(' '));
        let n = fields.len();
        if n < 10 {
            return Err(ParseError::new(format!(
                "Too few fields in mount string: {line}"
            )));
        }
        if fields[n - 4] != "-" {
            return Err(ParseError::new(format!(
                "couldn't find separator in expected field: {}",
                fields[n - 4]
            )));
        }
        let id = |s: &str, what: &str| {
            crate::num::parse_i64_dec(s).ok_or_else(|| ParseError::new(format!("{what}: {s:?}")))
        };
        f(&Mount {
            mount_id: id(fields[0], "mount ID")?,
            parent_id: id(fields[1], "parent ID")?,
            major_minor: fields[2],
            root: fields[3],
            mount_point: fields[4],
            options: fields[5],
            fs_type: fields[n - 3],
            source: fields[n - 2],
            super_options: fields[n - 1],
        });
    }
    Ok(())
}

/// Whether a comma-separated option list holds `name` as a bare option. procfs rebuilds
/// options from a key/value map, so `ro=` (empty value) also reads as `ro`.
pub fn has_option(options: &str, name: &str) -> bool {
    options.split(',').any(|opt| {
        let mut parts = opt.split('=');
        let key = parts.next().unwrap_or("");
        let value = parts.next().unwrap_or("");
        key == name && value.is_empty()
    })
}

/// fstab(5)'s escapes as node_exporter decodes them: only `\040` (space) and `\011` (tab).
pub fn unescape_mount_point(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('\\') {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(s.replace("\\040", " ").replace("\\011", "\t"))
}

/// Go's `strings.ToValidUTF8(s, "\u{FFFD}")`: each run of invalid bytes becomes one U+FFFD.
pub fn go_to_valid_utf8(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    let mut rest = bytes;
    let mut in_invalid_run = false;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                if valid > 0 {
                    out.push_str(std::str::from_utf8(&rest[..valid]).unwrap_or_default());
                    in_invalid_run = false;
                }
                if !in_invalid_run {
                    out.push('\u{FFFD}');
                    in_invalid_run = true;
                }
                let skip = e.error_len().unwrap_or(rest.len() - valid);
                rest = &rest[valid + skip..];
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_and_without_optional_fields() {
        let text =
            "29 1 259:2 / / rw,relatime shared:1 - ext4 /dev/dm-2 errors=remount-ro,data=ordered\n\
                    27 1 254:0 / /mnt/my\\040disk ro,relatime - ext4 /dev/vda rw\n";
        let mut got = Vec::new();
        for_each(text, |m| got.push(*m)).unwrap();
        assert_eq!(got[0].major_minor, "259:2");
        assert_eq!(got[0].fs_type, "ext4");
        assert_eq!(got[0].source, "/dev/dm-2");
        assert_eq!(got[0].super_options, "errors=remount-ro,data=ordered");
        assert_eq!(unescape_mount_point(got[1].mount_point), "/mnt/my disk");
        assert!(has_option(got[1].options, "ro"));
        assert!(!has_option(got[0].super_options, "ro"));
        assert!(has_option("rw,ro=", "ro"));
        assert!(!has_option("rw,ro=x", "ro"));
    }

    #[test]
    fn invalid_utf8_runs_collapse() {
        assert_eq!(go_to_valid_utf8(b"abc"), "abc");
        assert_eq!(go_to_valid_utf8(b"a\xff\xfeb"), "a\u{FFFD}b");
        assert_eq!(go_to_valid_utf8(b"a\xe2\x82Ab\xff"), "a\u{FFFD}Ab\u{FFFD}");
        assert_eq!(
            go_to_valid_utf8("x\u{FFFD}\u{FFFD}".as_bytes()),
            "x\u{FFFD}\u{FFFD}"
        );
    }

    #[test]
    fn rejects_malformed_lines() {
        assert!(for_each("1 2 3\n", |_| {}).is_err());
        assert!(for_each(
            "29 1 259:2 / / rw,relatime shared:1 x ext4 /dev/dm-2 rw\n",
            |_| {}
        )
        .is_err());
        assert!(for_each("x 1 259:2 / / rw shared:1 - ext4 /dev/dm-2 rw\n", |_| {}).is_err());
    }
}
