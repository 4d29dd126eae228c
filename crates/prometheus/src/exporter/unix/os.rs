//! node_exporter's `os` collector: `/etc/os-release` (or `/usr/lib/os-release`) under the root
//! file system, read on every scrape.

use std::io;
use std::path::PathBuf;

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig, NO_DATA};

const INFO: Desc = Desc::new(
    "node_os_info",
    "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
    MetricType::Gauge,
    &[
        "build_id",
        "id",
        "id_like",
        "image_id",
        "image_version",
        "name",
        "pretty_name",
        "variant",
        "variant_id",
        "version",
        "version_codename",
        "version_id",
    ],
);
const VERSION: Desc = Desc::new(
    "node_os_version",
    "Metric containing the major.minor part of the OS version.",
    MetricType::Gauge,
    &["id", "id_like", "name"],
);
const SUPPORT_END: Desc = Desc::new(
    "node_os_support_end_timestamp_seconds",
    "Metric containing the end-of-life date timestamp of the OS.",
    MetricType::Gauge,
    &[],
);

pub(super) struct OsCollector {
    /// The candidates in node_exporter's order (its third, macOS's SystemVersion.plist, never
    /// exists on Linux).
    paths: [PathBuf; 2],
    buf: Vec<u8>,
    /// The last file read and what it parsed to, reused while the file does not change (the file
    /// is still read on every scrape, as node_exporter reads it).
    parsed: Option<(PathBuf, Vec<u8>, Parsed)>,
}

/// What one os-release file gives.
struct Parsed {
    env: std::collections::HashMap<String, String>,
    support_end: Option<i64>,
}

impl OsCollector {
    pub(super) fn new(config: &UnixConfig) -> OsCollector {
        // node_exporter concatenates the root and the absolute path.
        let under_root = |p: &str| {
            let mut s = config.rootfs_path.clone().into_os_string();
            s.push(p);
            PathBuf::from(s)
        };
        OsCollector {
            paths: [
                under_root("/etc/os-release"),
                under_root("/usr/lib/os-release"),
            ],
            buf: Vec::new(),
            parsed: None,
        }
    }
}

/// Go's `time.Parse(time.DateOnly, s)` as Unix seconds (UTC).
fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        s.get(r.clone())
            .filter(|d| d.bytes().all(|c| c.is_ascii_digit()))?
            .parse()
            .ok()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > days_in[(m - 1) as usize] {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y2, m2) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400)
}

impl Collector for OsCollector {
    fn name(&self) -> &'static str {
        "os"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let mut found: Option<&PathBuf> = None;
        for path in &self.paths {
            match ingot_hostfs::read::read_into(path, &mut self.buf) {
                Ok(()) => {
                    found = Some(path);
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(open_error(path, &e)),
            }
        }
        let Some(path) = found else {
            return Err(NO_DATA.into());
        };
        let fresh = match &self.parsed {
            Some((p, content, _)) => p != path || *content != self.buf,
            None => true,
        };
        if fresh {
            self.parsed = None;
            let text = String::from_utf8_lossy(&self.buf);
            let env = ingot_hostfs::osrelease::parse(&text)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let support_end = match env.get("SUPPORT_END").map(String::as_str) {
                None | Some("") => None,
                Some(s) => Some(parse_date(s).ok_or_else(|| {
                    format!("parsing time {s:?} as \"2006-01-02\": cannot parse {s:?} as a date")
                })?),
            };
            self.parsed = Some((path.clone(), self.buf.clone(), Parsed { env, support_end }));
        }
        let Some((_, _, parsed)) = &self.parsed else {
            return Err(NO_DATA.into());
        };
        let get = |k: &str| parsed.env.get(k).map(String::as_str).unwrap_or("");
        let support_end = parsed.support_end;
        out.push(
            &INFO,
            &[
                get("BUILD_ID"),
                get("ID"),
                get("ID_LIKE"),
                get("IMAGE_ID"),
                get("IMAGE_VERSION"),
                get("NAME"),
                get("PRETTY_NAME"),
                get("VARIANT"),
                get("VARIANT_ID"),
                get("VERSION"),
                get("VERSION_CODENAME"),
                get("VERSION_ID"),
            ],
            1.0,
        );
        let version = ingot_hostfs::osrelease::major_minor(get("VERSION_ID"));
        if version > 0.0 {
            out.push(&VERSION, &[get("ID"), get("ID_LIKE"), get("NAME")], version);
        }
        if let Some(end) = support_end {
            out.push(&SUPPORT_END, &[], end as f64);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_go_parses_them() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2025-06-30"), Some(1_751_241_600));
        assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2025-6-30"), None);
    }

    #[test]
    fn prefers_etc_and_falls_back_to_usr_lib() {
        let dir = tempfile::tempdir().unwrap();
        let config = UnixConfig {
            rootfs_path: dir.path().to_owned(),
            ..UnixConfig::default()
        };
        let mut c = OsCollector::new(&config);
        assert_eq!(c.update(&mut FamilySet::new()).unwrap_err(), NO_DATA);
        std::fs::create_dir_all(dir.path().join("usr/lib")).unwrap();
        std::fs::write(
            dir.path().join("usr/lib/os-release"),
            "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\nSUPPORT_END=2028-06-30\n",
        )
        .unwrap();
        let mut set = FamilySet::new();
        c.update(&mut set).unwrap();
        let text = set.encode_to_string();
        assert!(
            text.contains(
                "node_os_version{id=\"debian\",id_like=\"\",name=\"Debian GNU/Linux\"} 12\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("node_os_support_end_timestamp_seconds 1.845936e+09\n"),
            "{text}"
        );
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/os-release"), "ID=other\n").unwrap();
        let mut set = FamilySet::new();
        c.update(&mut set).unwrap();
        let text = set.encode_to_string();
        assert!(text.contains("id=\"other\""), "{text}");
        assert!(!text.contains("node_os_version"), "{text}");
    }
}
