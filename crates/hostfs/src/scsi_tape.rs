//! `/sys/class/scsi_tape/st<N>/stats`: SCSI tape drive statistics, as prometheus/procfs 0.21
//! reads them.

use std::path::Path;

use crate::sysfs::{self, SysError};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tape {
    pub name: String,
    pub write_ns: u64,
    pub read_byte_cnt: u64,
    pub io_ns: u64,
    pub write_cnt: u64,
    pub resid_cnt: u64,
    pub read_ns: u64,
    pub in_flight: u64,
    pub other_cnt: u64,
    pub read_cnt: u64,
    pub write_byte_cnt: u64,
}

/// The `st<N>` drives of `<sysfs>/class/scsi_tape` (not the `nst`/`st<N>a` aliases), sorted.
/// Every file of a drive's `stats/` must read; the known ones must parse.
pub fn tapes(class_dir: &Path, buf: &mut Vec<u8>) -> Result<Vec<Tape>, SysError> {
    let mut tapes = Vec::new();
    for entry in sysfs::read_dir(class_dir)? {
        let name = entry.name;
        let is_st = name
            .strip_prefix("st")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !is_st {
            continue;
        }
        let stats = class_dir.join(&name).join("stats");
        let mut tape = Tape {
            name,
            ..Tape::default()
        };
        for file in sysfs::read_dir(&stats)? {
            let path = stats.join(&file.name);
            let value = sysfs::read_value(&path, buf).map_err(|e| {
                e.context(format!(
                    "failed to read file {:?}",
                    path.display().to_string()
                ))
            })?;
            let slot = match file.name.as_str() {
                "in_flight" => &mut tape.in_flight,
                "io_ns" => &mut tape.io_ns,
                "other_cnt" => &mut tape.other_cnt,
                "read_byte_cnt" => &mut tape.read_byte_cnt,
                "read_cnt" => &mut tape.read_cnt,
                "read_ns" => &mut tape.read_ns,
                "resid_cnt" => &mut tape.resid_cnt,
                "write_byte_cnt" => &mut tape.write_byte_cnt,
                "write_cnt" => &mut tape.write_cnt,
                "write_ns" => &mut tape.write_ns,
                _ => continue,
            };
            *slot = sysfs::parse_uint_base0(&value).ok_or_else(|| {
                SysError::msg(format!(
                    "strconv.ParseUint: parsing {value:?}: invalid syntax"
                ))
            })?;
        }
        tapes.push(tape);
    }
    Ok(tapes)
}
