//! `/proc/vmstat`: one `name value` per line.

use crate::num::parse_f64;
use crate::ParseError;

/// Calls `f(name, value)` for every line. As in node_exporter, a value that is not a number fails
/// the file, whether or not the field is wanted.
pub fn for_each<'a>(text: &'a str, mut f: impl FnMut(&'a str, f64)) -> Result<(), ParseError> {
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let Some(name) = fields.next() else {
            continue;
        };
        let raw = fields.next().unwrap_or("");
        let value = parse_f64(raw).ok_or_else(|| {
            ParseError::new(format!(
                "strconv.ParseFloat: parsing {raw:?}: invalid syntax"
            ))
        })?;
        f(name, value);
    }
    Ok(())
}

/// `/proc/sys/fs/file-nr`: allocated, unused and maximum file handles, separated by tabs. Returns
/// the first and third fields as written (node_exporter parses them afterwards).
pub fn file_nr(text: &str) -> Option<(&str, &str)> {
    let mut parts = text.trim().split('\t');
    let allocated = parts.next()?;
    let _unused = parts.next()?;
    let maximum = parts.next()?;
    Some((allocated, maximum))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_bad_values() {
        let mut got = Vec::new();
        for_each("nr_free_pages 12\npgfault 3\n\n", |k, v| got.push((k, v))).unwrap();
        assert_eq!(got, [("nr_free_pages", 12.0), ("pgfault", 3.0)]);
        assert!(for_each("pgfault x\n", |_, _| {}).is_err());
        assert!(for_each("pgfault\n", |_, _| {}).is_err());
    }

    #[test]
    fn file_nr_fields() {
        assert_eq!(file_nr("1024\t0\t1631329\n"), Some(("1024", "1631329")));
        assert_eq!(file_nr("1024 0 1631329\n"), None);
    }
}
