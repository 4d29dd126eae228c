//! `/proc/net/stat/*`: per-CPU network cache statistics, a header of names and one line of hex
//! counters per CPU.

use crate::ParseError;

/// procfs's `parseNetstat`: calls `f(name, cpu, value)` for every counter; a value that is not hex
/// fails the file, as does a line with more values than the header has names.
pub fn for_each<'a>(
    text: &'a str,
    mut f: impl FnMut(&'a str, usize, u64),
) -> Result<(), ParseError> {
    let mut lines = text.lines();
    let headers: Vec<&str> = lines
        .next()
        .map(|h| h.split_ascii_whitespace().collect())
        .unwrap_or_default();
    for (cpu, line) in lines.enumerate() {
        for (i, counter) in line.split_ascii_whitespace().enumerate() {
            let v = u64::from_str_radix(counter, 16)
                .ok()
                .filter(|_| !counter.starts_with('+'))
                .ok_or_else(|| {
                    ParseError::new(format!(
                        "strconv.ParseUint: parsing {counter:?}: invalid syntax"
                    ))
                })?;
            let name = headers.get(i).ok_or_else(|| {
                ParseError::new(format!("more values than names in line {}", cpu + 2))
            })?;
            f(name, cpu, v);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_per_cpu() {
        let mut got = Vec::new();
        for_each(
            "entries  allocs\n00000001 0000000a\n00000001 0000000b\n",
            |n, c, v| got.push((n, c, v)),
        )
        .unwrap();
        assert_eq!(
            got,
            [
                ("entries", 0, 1),
                ("allocs", 0, 10),
                ("entries", 1, 1),
                ("allocs", 1, 11)
            ]
        );
        assert!(for_each("a\n1 2\n", |_, _, _| {}).is_err());
        assert!(for_each("a\nzz\n", |_, _, _| {}).is_err());
    }
}
