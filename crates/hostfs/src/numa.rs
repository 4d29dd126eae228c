//! `/sys/devices/system/node/node<N>/{meminfo,numastat}`: per-NUMA-node memory, as node_exporter's
//! `meminfo_numa` collector reads it.

use crate::ParseError;

/// A `meminfo` line: its node, its key (`Active(anon)` becomes `Active_anon`) and its value in bytes
/// when the line is in kB.
#[derive(Debug, Clone, PartialEq)]
pub struct NumaMeminfo<'a> {
    pub node: &'a str,
    pub key: String,
    pub value: f64,
}

/// node_exporter's `parseMemInfoNuma`: lines `Node <n> <key>: <value> [kB]`.
pub fn meminfo(text: &str) -> Result<Vec<NumaMeminfo<'_>>, ParseError> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split_ascii_whitespace().collect();
        let raw = parts.get(3).copied().unwrap_or("");
        let mut value = crate::num::parse_f64(raw).ok_or_else(|| {
            ParseError::new(format!(
                "invalid value in meminfo: strconv.ParseFloat: parsing {raw:?}: invalid syntax"
            ))
        })?;
        match parts.len() {
            4 => {}
            5 if parts[4] == "kB" => value *= 1024.0,
            _ => return Err(ParseError::new(format!("invalid line in meminfo: {line}"))),
        }
        let key = parts[2].trim_end_matches(':');
        // The regex `\((.*)\)` replaced by `_$1`: from the first '(' to the last ')'.
        let key = match (key.find('('), key.rfind(')')) {
            (Some(open), Some(close)) if open < close => {
                format!(
                    "{}_{}{}",
                    &key[..open],
                    &key[open + 1..close],
                    &key[close + 1..]
                )
            }
            _ => key.to_owned(),
        };
        out.push(NumaMeminfo {
            node: parts[1],
            key,
            value,
        });
    }
    Ok(out)
}

/// node_exporter's `parseMemInfoNumaStat`: lines `<name> <value>`.
pub fn numastat(text: &str) -> Result<Vec<(&str, f64)>, ParseError> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split_ascii_whitespace().collect();
        if parts.len() != 2 {
            return Err(ParseError::new(format!(
                "line scan did not return 2 fields: {line}"
            )));
        }
        let v = crate::num::parse_f64(parts[1]).ok_or_else(|| {
            ParseError::new(format!(
                "invalid value in numastat: strconv.ParseFloat: parsing {:?}: invalid syntax",
                parts[1]
            ))
        })?;
        out.push((parts[0], v));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let m = meminfo("Node 0 MemTotal:       16 kB\nNode 0 Active(anon):   2 kB\nNode 0 HugePages_Total:     0\n").unwrap();
        assert_eq!(m[0].value, 16384.0);
        assert_eq!(m[1].key, "Active_anon");
        assert_eq!(m[2].value, 0.0);
        assert!(meminfo("Node 0 X: 1 MB\n").is_err());
        assert_eq!(
            numastat("numa_hit 193460335812\n").unwrap(),
            [("numa_hit", 193460335812.0)]
        );
        assert!(numastat("numa_hit 1 2\n").is_err());
    }
}
