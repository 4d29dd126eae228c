//! `/proc/mdstat` (software RAID arrays), as procfs's `parseMDStat` reads it, and the arrays'
//! `md/` directories in sysfs (procfs's `Mdraids`).

use crate::ParseError;

/// One array of `/proc/mdstat`, the fields node_exporter reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MdStat {
    pub name: String,
    /// `active`, `inactive`, or what the sync line says: `recovering`, `resyncing`, `checking`,
    /// `reshaping`.
    pub activity_state: String,
    pub disks_active: i64,
    pub disks_total: i64,
    pub disks_failed: i64,
    pub disks_spare: i64,
    pub blocks_total: i64,
    pub blocks_synced: i64,
}

fn parse_i64(s: &str, what: &str) -> Result<i64, ParseError> {
    crate::num::parse_i64_dec(s).ok_or_else(|| ParseError::new(format!("{what} {s:?}")))
}

/// The regex `(\d+) blocks .*\[(\d+)/(\d+)\] \[([U_]+)\]` on a status line: total, active and the
/// count of `_`.
fn status_counts(line: &str) -> Option<(i64, i64, i64)> {
    let blocks = line.find(" blocks ")?;
    // Some digits must end right before " blocks ".
    if !line[..blocks].ends_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let rest = &line[blocks + " blocks ".len()..];
    // The greedy `.*` takes the last `[n/m] [U_]` that fits.
    let mut found = None;
    let mut from = 0;
    while let Some(open) = rest[from..].find('[') {
        let at = from + open;
        from = at + 1;
        let tail = &rest[at + 1..];
        let Some(slash) = tail.find('/') else {
            continue;
        };
        let (total, after) = (&tail[..slash], &tail[slash + 1..]);
        if total.is_empty() || !total.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Some(close) = after.find("] [") else {
            continue;
        };
        let active = &after[..close];
        if active.is_empty() || !active.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let flags = &after[close + 3..];
        let len = flags
            .bytes()
            .take_while(|&b| b == b'U' || b == b'_')
            .count();
        if len == 0 || flags.as_bytes().get(len) != Some(&b']') {
            continue;
        }
        let down = flags[..len].bytes().filter(|&b| b == b'_').count() as i64;
        found = Some((total.parse().ok()?, active.parse().ok()?, down));
    }
    found
}

/// `(\d+/\d+)` then the synced and to-be-synced blocks of a recovery line; the percentage, finish
/// and speed must be there too (procfs fails the file otherwise).
fn recovery(line: &str) -> Result<i64, ParseError> {
    let bad = || ParseError::new(format!("Unexpected recoveryLine {line}"));
    let open = line.find('(').ok_or_else(bad)?;
    let close = open + line[open..].find(')').ok_or_else(bad)?;
    let (synced, _) = line[open + 1..close].split_once('/').ok_or_else(bad)?;
    let synced = parse_i64(synced, "Unable to parse recovery blocks synced")?;
    for (marker, end) in [("= ", "%"), ("finish=", "min"), ("speed=", "")] {
        let start = line.find(marker).ok_or_else(bad)? + marker.len();
        let value = if end.is_empty() {
            // `speed=(.+)[A-Z]`: up to the last capital letter.
            let rest = &line[start..];
            let cap = rest
                .rfind(|c: char| c.is_ascii_uppercase())
                .ok_or_else(bad)?;
            &rest[..cap]
        } else {
            let rest = &line[start..];
            &rest[..rest.rfind(end).ok_or_else(bad)?]
        };
        crate::num::parse_f64(value.trim()).ok_or_else(bad)?;
    }
    Ok(synced)
}

/// procfs's `parseMDStat`.
pub fn parse(text: &str) -> Result<Vec<MdStat>, ParseError> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let mut personalities: Vec<&str> = Vec::new();
    for (i, &line) in lines.iter().enumerate() {
        if line.trim().is_empty() || line.starts_with(' ') || line.starts_with("unused") {
            continue;
        }
        if personalities.is_empty() {
            if let Some(rest) = line.strip_prefix("Personalities : ") {
                for word in rest.split_ascii_whitespace() {
                    personalities.push(word.get(1..word.len().saturating_sub(1)).unwrap_or(""));
                }
                continue;
            }
        }
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        if fields.len() < 3 {
            return Err(ParseError::new(format!("Expected 3+ lines, got {line:?}")));
        }
        let name = fields[0];
        let mut state = fields[2].to_owned();
        if lines.len() <= i + 3 {
            return Err(ParseError::new(format!(
                "Too few lines for md device: {name:?}"
            )));
        }
        let failed = line.matches("(F)").count() as i64;
        let spare = line.matches("(S)").count() as i64;
        // evalStatusLine.
        let status = lines[i + 1];
        let size_text = status.split_ascii_whitespace().next().unwrap_or("");
        let size = parse_i64(size_text, "Unexpected statusline")?;
        let (active, total) = if line.contains("raid0") || line.contains("linear") {
            let n = line.matches('[').count() as i64;
            (n, n)
        } else if line.contains("inactive") {
            (0, 0)
        } else {
            let (total, active, _down) = status_counts(status).ok_or_else(|| {
                ParseError::new(format!(
                    "Cannot parse md device lines: Could not fild all substring matches {status}"
                ))
            })?;
            (active, total)
        };
        let mut sync_index = i + 2;
        if lines[i + 2].contains("bitmap") {
            sync_index += 1;
        }
        let sync = lines.get(sync_index).copied().unwrap_or("");
        let mut synced = size;
        let recovering = sync.contains("recovery");
        let reshaping = sync.contains("reshape");
        let resyncing = sync.contains("resync");
        let checking = sync.contains("check");
        if recovering || resyncing || checking || reshaping {
            state = if recovering {
                "recovering"
            } else if reshaping {
                "reshaping"
            } else if checking {
                "checking"
            } else {
                "resyncing"
            }
            .to_owned();
            if sync.contains("PENDING") || sync.contains("DELAYED") {
                synced = 0;
            } else {
                synced = recovery(sync).map_err(|e| {
                    ParseError::new(format!(
                        "Cannot parse sync line in md device: {name:?}: {e}"
                    ))
                })?;
            }
        }
        out.push(MdStat {
            name: name.to_owned(),
            activity_state: state,
            disks_active: active,
            disks_total: total,
            disks_failed: failed,
            disks_spare: spare,
            blocks_total: size,
            blocks_synced: synced,
        });
    }
    Ok(out)
}

/// One array's `md/` directory in sysfs: what node_exporter reports of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mdraid {
    pub device: String,
    /// `raid_disks`; `None` for containers (`container`, `imsm`, `ddf`), an empty level or an
    /// empty file.
    pub disks: Option<u64>,
    /// `degraded`, for the levels that have it.
    pub degraded: u64,
}

/// A read failure, naming the file.
fn sys_error(path: &std::path::Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(
        e.kind(),
        format!(
            "open {}: {}",
            path.display(),
            crate::errno::go_error_text(&e)
        ),
    )
}

/// procfs's `SysReadFile` of `dir/name`.
fn read_attr(dir: &std::path::Path, name: &str) -> std::io::Result<String> {
    let path = dir.join(name);
    crate::read::read_sys_value(&path).map_err(|e| sys_error(&path, e))
}

/// procfs's `Mdraids`: every `<sysfs>/block/md*/md` directory, in name order. Like procfs, an
/// attribute that cannot be read fails the whole list, even the ones node_exporter does not report
/// (`uuid`, the component states, `sync_completed`).
pub fn mdraids(sysfs: &std::path::Path) -> std::io::Result<Vec<Mdraid>> {
    let block = sysfs.join("block");
    let mut names: Vec<String> = match std::fs::read_dir(&block) {
        Ok(entries) => entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("md") && block.join(n).join("md").exists())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let dir = block.join(&name).join("md");
        let level = read_attr(&dir, "level")?;
        read_attr(&dir, "array_state")?;
        read_attr(&dir, "metadata_version")?;
        let mut md = Mdraid {
            device: name,
            ..Mdraid::default()
        };
        if !matches!(level.as_str(), "container" | "imsm" | "ddf" | "") {
            let path = dir.join("raid_disks");
            let text = std::fs::read_to_string(&path).map_err(|e| sys_error(&path, e))?;
            let text = text.trim();
            md.disks = crate::num::parse_u64_dec(text).or_else(|| {
                let space = text.find(' ').filter(|&i| i > 0)?;
                crate::num::parse_u64_dec(&text[..space])
            });
        }
        read_attr(&dir, "uuid")?;
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut components: Vec<String> = entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.starts_with("dev-"))
                .collect();
            components.sort();
            for c in components {
                read_attr(&dir.join(c), "state")?;
            }
        }
        let read_u64 = |name: &str| -> std::io::Result<u64> {
            let path = dir.join(name);
            let mut buf = Vec::new();
            crate::read::read_u64(&path, &mut buf).map_err(|e| sys_error(&path, e))
        };
        if matches!(
            level.as_str(),
            "raid0" | "raid4" | "raid5" | "raid6" | "raid10"
        ) {
            read_u64("chunk_size")?;
        }
        if matches!(
            level.as_str(),
            "raid1" | "raid4" | "raid5" | "raid6" | "raid10"
        ) {
            md.degraded = read_u64("degraded")?;
            read_attr(&dir, "sync_action")?;
            let completed = read_attr(&dir, "sync_completed")?;
            if completed != "none" {
                let parsed = completed.split_once(" / ").and_then(|(a, b)| {
                    Some((crate::num::parse_u64_dec(a)?, crate::num::parse_u64_dec(b)?))
                });
                if parsed.is_none() {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "unexpected sync_completed {completed:?} in {}",
                            dir.display()
                        ),
                    ));
                }
            }
        }
        out.push(md);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_and_sync_states() {
        let text = "Personalities : [raid1] [raid6] [raid0]\n\n\
md6 : active raid1 sdb2[2](F) sdc[1](S) sda2[0]\n      195310144 blocks [2/1] [U_]\n      [=>...................]  recovery =  8.5% (16775552/195310144) finish=17.0min speed=259783K/sec\n\n\
md7 : active raid6 sdb1[0] sde1[3] sdd1[2] sdc1[1](F)\n      7813735424 blocks super 1.2 level 6, 512k chunk, algorithm 2 [4/3] [U_UU]\n      bitmap: 0/30 pages [0KB], 65536KB chunk\n\n\
md10 : active raid0 sda1[0] sdb1[1]\n       314159265 blocks 64k chunks\n\n\
md9 : active raid1 sdc2[2] sdd2[3]\n      523968 blocks super 1.2 [4/4] [UUUU]\n      resync=DELAYED\n\nunused devices: <none>\n";
        let md = parse(text).unwrap();
        assert_eq!(md.len(), 4);
        assert_eq!(md[0].activity_state, "recovering");
        assert_eq!((md[0].disks_active, md[0].disks_total), (1, 2));
        assert_eq!((md[0].disks_failed, md[0].disks_spare), (1, 1));
        assert_eq!(md[0].blocks_synced, 16775552);
        assert_eq!(md[1].activity_state, "active");
        assert_eq!((md[1].disks_active, md[1].disks_total), (3, 4));
        assert_eq!(md[1].blocks_synced, 7813735424);
        assert_eq!((md[2].disks_active, md[2].disks_total), (2, 2));
        assert_eq!(md[3].activity_state, "resyncing");
        assert_eq!(md[3].blocks_synced, 0);
        assert!(parse("md0 : active raid1 sda[0]\n").is_err());
    }
}
