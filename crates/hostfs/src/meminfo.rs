//! `/proc/meminfo`.

use crate::num::parse_uint_base0;
use crate::ParseError;

/// One line: `key` without its colon, the number as printed, and the number in bytes (×1024
/// when the line ends in `kB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeminfoLine<'a> {
    pub key: &'a str,
    pub value: u64,
    pub bytes: u64,
}

/// Calls `f` for every line. Like procfs, any malformed line fails the whole file, whatever
/// its key.
pub fn for_each<'a>(text: &'a str, mut f: impl FnMut(MeminfoLine<'a>)) -> Result<(), ParseError> {
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let (Some(key), Some(number)) = (fields.next(), fields.next()) else {
            return Err(ParseError::new(format!("Malformed line {line:?}")));
        };
        let unit = fields.next();
        if fields.next().is_some() {
            return Err(ParseError::new(format!("Malformed line {line:?}")));
        }
        let value = parse_uint_base0(number, 64).ok_or_else(|| {
            ParseError::new(format!(
                "strconv.ParseUint: parsing {number:?}: invalid syntax"
            ))
        })?;
        let bytes = match unit {
            None => value,
            Some("kB") => value.wrapping_mul(1024),
            Some(other) => {
                return Err(ParseError::new(format!(
                    "Unsupported unit in optional 3rd field {other:?}"
                )))
            }
        };
        f(MeminfoLine {
            key: key.strip_suffix(':').unwrap_or(key),
            value,
            bytes,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        let mut got = Vec::new();
        for_each(
            "MemTotal:  3742148 kB\nHugePages_Total:   0\nActive(anon):  2020004 kB\n",
            |l| got.push((l.key.to_owned(), l.value, l.bytes)),
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                ("MemTotal".to_owned(), 3742148, 3831959552),
                ("HugePages_Total".to_owned(), 0, 0),
                ("Active(anon)".to_owned(), 2020004, 2068484096),
            ]
        );
    }

    #[test]
    fn malformed_lines_fail() {
        assert!(for_each("MemTotal: 1 MB\n", |_| {}).is_err());
        assert!(for_each("MemTotal:\n", |_| {}).is_err());
        assert!(for_each("Foo: x kB\n", |_| {}).is_err());
    }
}
