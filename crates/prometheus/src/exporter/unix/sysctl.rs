//! node_exporter's `sysctl` collector: the sysctls named in `include` as untyped numbers
//! (`node_sysctl_<name>`, one per value, or one per named field with `name:field1,field2`) and those
//! named in `include_info` as `node_sysctl_info{name,value,index}`.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, IntText, UnixConfig};

const INFO: Desc = Desc::new(
    "node_sysctl_info",
    "sysctl info",
    MetricType::Gauge,
    &["name", "value", "index"],
);

struct Sysctl {
    numeric: bool,
    name: String,
    /// Field names given after `:`.
    keys: Vec<String>,
    /// `node_sysctl_<sanitized name>`.
    family: String,
    path: std::path::PathBuf,
}

pub(super) struct SysctlCollector {
    sysctls: Vec<Sysctl>,
    name: String,
    help: String,
}

/// node_exporter's `SanitizeMetricName`: every run of characters other than `[0-9A-Za-z_]`, with the
/// underscores around it, becomes one `_`.
pub(super) fn sanitize(name: &str) -> String {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(name.len());
    let chars: Vec<char> = name.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // A match starts at a run of underscores followed by a bad character, or at a bad one.
        let mut j = i;
        while j < chars.len() && chars[j] == '_' {
            j += 1;
        }
        if j < chars.len() && !ok(chars[j]) {
            while j < chars.len() && !ok(chars[j]) {
                j += 1;
            }
            while j < chars.len() && chars[j] == '_' {
                j += 1;
            }
            out.push('_');
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

impl SysctlCollector {
    pub(super) fn new(config: &UnixConfig) -> SysctlCollector {
        let make = |include: &String, numeric: bool| {
            let (name, keys) = match include.split_once(':') {
                Some((name, keys)) => (name, keys.split(',').map(str::to_owned).collect()),
                None => (include.as_str(), Vec::new()),
            };
            Sysctl {
                numeric,
                name: name.to_owned(),
                keys,
                family: format!("node_sysctl_{}", sanitize(name)),
                path: config.procfs_path.join("sys").join(name.replace('.', "/")),
            }
        };
        let mut sysctls: Vec<Sysctl> = config
            .sysctl
            .include
            .iter()
            .map(|i| make(i, true))
            .collect();
        sysctls.extend(config.sysctl.include_info.iter().map(|i| make(i, false)));
        SysctlCollector {
            sysctls,
            name: String::new(),
            help: String::new(),
        }
    }
}

impl Collector for SysctlCollector {
    fn name(&self) -> &'static str {
        "sysctl"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        use std::fmt::Write;
        for s in &self.sysctls {
            // procfs's SysctlStrings: one read of at most 128 bytes, split on white space.
            let text = ingot_hostfs::read::read_sys_value(&s.path).map_err(|e| {
                format!(
                    "error obtaining sysctl info: {}",
                    super::open_error(&s.path, &e)
                )
            })?;
            let values: Vec<&str> = text.split_ascii_whitespace().collect();
            let numbers: Vec<i64> = if s.numeric {
                values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        go_int(v).ok_or_else(|| {
                            format!(
                                "error obtaining sysctl info: error parsing file: field {i} in sysctl {} is not a valid int",
                                s.name
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?
            } else {
                Vec::new()
            };
            match values.len() {
                0 => return Err(format!("sysctl {} has no values", s.name)),
                1 if !s.keys.is_empty() => {
                    return Err(format!(
                        "sysctl {} has only one value, but expected {:?}",
                        s.name, s.keys
                    ))
                }
                n if n > 1 && !s.keys.is_empty() && n != s.keys.len() => {
                    return Err(format!(
                        "sysctl {} has {n} keys but only {} defined in f lag",
                        s.name,
                        s.keys.len()
                    ))
                }
                n if n > 1 && !s.keys.is_empty() && !s.numeric => {
                    return Err("mapped sysctl string values not supported".to_owned())
                }
                _ => {}
            }
            self.help.clear();
            let _ = write!(self.help, "sysctl {}", s.name);
            if !s.numeric {
                for (i, v) in values.iter().enumerate() {
                    let index = IntText::new(i as i64);
                    out.push(&INFO, &[&s.name, v, index.as_str()], 1.0);
                }
            } else if values.len() == 1 {
                out.family_with(&s.family, &self.help, MetricType::Unknown, &[])
                    .push(&[], numbers[0] as f64);
            } else if s.keys.is_empty() {
                let family =
                    out.family_with(&s.family, &self.help, MetricType::Unknown, &["index"]);
                for (i, v) in numbers.iter().enumerate() {
                    family.push(&[IntText::new(i as i64).as_str()], *v as f64);
                }
            } else {
                for (i, (key, v)) in s.keys.iter().zip(&numbers).enumerate() {
                    self.name.clear();
                    let _ = write!(self.name, "{}_{key}", s.family);
                    self.help.clear();
                    let _ = write!(self.help, "sysctl {}, field {i}", s.name);
                    out.family_with(&self.name, &self.help, MetricType::Unknown, &[])
                        .push(&[], *v as f64);
                }
            }
        }
        Ok(())
    }
}

/// procfs's `ValueParser.Int`: `strconv.ParseInt(s, 0, 64)` that fits an int.
pub(super) fn go_int(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let m = ingot_hostfs::num::parse_uint_base0(digits, 64)?;
    if negative {
        (m <= i64::MAX as u64 + 1).then(|| (m as i64).wrapping_neg())
    } else {
        i64::try_from(m).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_like_node_exporter() {
        assert_eq!(sanitize("fs.file-nr"), "fs_file_nr");
        assert_eq!(sanitize("kernel.threads-max"), "kernel_threads_max");
        assert_eq!(sanitize("a__.b"), "a_b");
        assert_eq!(sanitize("a._.b"), "a__b");
        assert_eq!(sanitize("net.ipv4.tcp_rmem"), "net_ipv4_tcp_rmem");
        assert_eq!(sanitize("x_"), "x_");
    }

    #[test]
    fn go_ints() {
        assert_eq!(go_int("0x10"), Some(16));
        assert_eq!(go_int("-5"), Some(-5));
        assert_eq!(go_int("1.5"), None);
    }
}
