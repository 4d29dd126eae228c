//! ZFS's kstat files under `/proc/spl/kstat/zfs`, as node_exporter's `zfs` collector reads them.

use crate::ParseError;

/// A kstat file (`arcstats`, ...): calls `f(name, value)` for every `uint64` (type 4) or `int64`
/// (type 3) row after the `name type data` header. A file without the header, or a value that does
/// not parse, fails.
pub fn for_each_kstat<'a>(
    text: &'a str,
    file: &str,
    mut f: impl FnMut(&'a str, f64),
) -> Result<(), ParseError> {
    let mut header = false;
    for line in text.lines() {
        let mut parts = line.split_ascii_whitespace();
        let (Some(name), Some(kind), Some(data)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if !header {
            header = name == "name" && kind == "type" && data == "data" && parts.next().is_none();
            continue;
        }
        let value = match kind {
            "4" => crate::num::parse_u64_dec(data).map(|v| v as f64),
            "3" => crate::num::parse_i64_dec(data).map(|v| v as f64),
            _ => continue,
        };
        let value = value.ok_or_else(|| {
            ParseError::new(format!(
                "could not parse expected {} integer value for \"kstat.zfs.misc.{file}.{name}\"",
                if kind == "4" { "unsigned" } else { "signed" }
            ))
        })?;
        f(name, value);
    }
    if !header {
        return Err(ParseError::new(format!(
            "did not parse a single {file:?} metric"
        )));
    }
    Ok(())
}

/// A pool's `io` file: a header line starting with `nread` (12 names or more), then one line of
/// values, each reported under its header name.
pub fn for_each_pool_io<'a>(
    text: &'a str,
    mut f: impl FnMut(&'a str, f64),
) -> Result<(), ParseError> {
    let mut names: Vec<&str> = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        if names.is_empty() {
            if fields.len() >= 12 && fields[0] == "nread" {
                names = fields;
            }
            continue;
        }
        for (i, name) in names.iter().enumerate() {
            let raw = fields.get(i).copied().unwrap_or("");
            let v = crate::num::parse_u64_dec(raw).ok_or_else(|| {
                ParseError::new(format!(
                    "could not parse expected integer value for \"kstat.zfs.misc.io.{name}\""
                ))
            })?;
            f(name, v as f64);
        }
    }
    Ok(())
}

/// A pool's `objset-*` file: the dataset's name (`dataset_name` row, the rest of its line) and its
/// `uint64` rows.
pub fn for_each_objset<'a>(
    text: &'a str,
    mut f: impl FnMut(&str, &'a str, f64),
) -> Result<(), ParseError> {
    let mut header = false;
    let mut dataset = "";
    for line in text.lines() {
        let mut parts = line.split_ascii_whitespace();
        let (Some(name), Some(kind), Some(data)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if !header {
            header = name == "name" && kind == "type" && data == "data" && parts.next().is_none();
            continue;
        }
        if name == "dataset_name" {
            // The name may hold spaces: everything from the value's first occurrence on.
            dataset = line.find(data).map_or(data, |i| &line[i..]);
            continue;
        }
        if kind == "4" {
            let v = crate::num::parse_u64_dec(data).ok_or_else(|| {
                ParseError::new(format!(
                    "could not parse expected integer value for \"kstat.zfs.misc.objset.{name}\""
                ))
            })?;
            f(dataset, name, v as f64);
        }
    }
    if !header {
        return Err(ParseError::new(format!(
            "did not parse a single {dataset} metric"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kstat_rows() {
        let mut got = Vec::new();
        for_each_kstat(
            "6 1 0x01 91 4368 5266997922 97951858082072\nname                            type data\nhits                            4    8772612\nc_min 4 33554432\nneg 3 -5\nstr 7 x\n",
            "arcstats",
            |n, v| got.push((n, v)),
        )
        .unwrap();
        assert_eq!(
            got,
            [("hits", 8772612.0), ("c_min", 33554432.0), ("neg", -5.0)]
        );
        assert!(for_each_kstat("hits 4 1\n", "x", |_, _| {}).is_err());
        assert!(for_each_kstat("name type data\nhits 4 -1\n", "x", |_, _| {}).is_err());
    }

    #[test]
    fn pool_files() {
        let mut got = Vec::new();
        for_each_pool_io(
            "12 3 0x00 1 80 79205351707403 395818011156865\nnread    nwritten  reads    writes   wtime    wlentime wupdate  rtime    rlentime rupdate  wcnt     rcnt\n1884160  3206144   22       132      7155162  104112268 79210489694949 24168078 104112268 79210489849220 0        0\n",
            |n, v| got.push((n, v)),
        )
        .unwrap();
        assert_eq!(got.len(), 12);
        assert_eq!(got[0], ("nread", 1884160.0));
        let mut rows = Vec::new();
        for_each_objset(
            "23 1 0x01 7 2160 221578688875 6665999035587\nname                            type data\ndataset_name                    7    pool1/dataset 1\nwrites                          4    0\n",
            |d, n, v| rows.push((d.to_owned(), n, v)),
        )
        .unwrap();
        assert_eq!(rows, [("pool1/dataset 1".to_owned(), "writes", 0.0)]);
    }
}
