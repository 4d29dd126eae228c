//! Conformance with node_exporter's end-to-end test: run the exporter on upstream's fixture tree
//! (`shared/fixtures/node_exporter`) with the flags upstream's `end-to-end-test.sh` uses, and
//! compare our families with the same families of upstream's `e2e-output.txt`, byte for byte.
//!
//! Upstream's flags that concern our collectors: `--collector.arp.device-exclude=nope`,
//! `--no-collector.arp.netlink` (the `/proc/net/arp` reader, Alloy's default),
//! `--collector.stat.softirq`, `--collector.sysctl.include=fs.file-nr`,
//! `--collector.sysctl.include=fs.file-nr:total,current,max`, `--collector.sysctl.include=kernel.threads-max`,
//! `--collector.sysctl.include-info=kernel.seccomp.actions_avail`, `--collector.textfile.directory=collector/fixtures/textfile/two_metric_files/`
//! (relative to upstream's checkout), node_exporter 1.12's default `--collector.netstat.fields`
//! (Alloy's default drops `TCPOFOQueue` and `TCPRcvQDrop`) and, for the cpu collector,
//! `--collector.cpu.info` with its two include filters.
//!
//! Version note: the fixtures come from upstream's commit a7dcc3a, 25 commits after v1.12.1; for our
//! collectors the difference is the ksmd collector's (`node_ksmd_general_profit_bytes` added, help
//! texts reworded), which ingot follows.
//!
//! Two inputs of upstream's run are not in the shared tree: `usr/lib/os-release` (the os collector
//! reads it under `--path.rootfs`) and `collector/fixtures/textfile/two_metric_files/`. The test
//! rebuilds both from what `e2e-output.txt` shows of them (the os-release fields from `node_os_info`'s
//! labels, each `.prom` file from the `testmetric*` samples whose HELP names it) in a temporary
//! directory, which is also the working directory the textfile path is relative to. A third input
//! lost its shape in the copy: upstream's `proc/self` is a symbolic link to `10` (the mountstats
//! collector follows it), the shared tree's a plain file holding `10`. The test's procfs is a
//! directory of links to the shared `proc/` entries, with `self` a link to `10` again.
//!
//! A fourth: the shared `sys/` tree was unpacked with its symbolic links written as files and
//! without its empty directories; [`sysfs_view`] rebuilds it (see there).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ingot_prometheus::exporter::unix::{
    BcacheConfig, CpuConfig, DiskConfig, HwmonConfig, NetclassConfig, UnixConfig, UnixExporter,
    NODE_EXPORTER_DISK_DEVICE_EXCLUDE, NODE_EXPORTER_NETSTAT_FIELDS,
};
use pretty_assertions::assert_eq;

/// The collectors whose families `e2e-output.txt` pins (see the fixtures' README).
///
/// Version notes for the sysfs collectors:
/// - `wifi`'s families in `e2e-output.txt` come from JSON files upstream's run reads instead of
///   nl80211 (`--collector.wifi.fixtures=collector/fixtures/wifi`, a test-only flag Alloy does not
///   have); the shared fixtures do not include them, so wifi is not in this list. Its nl80211
///   parsing is tested on messages built in `ingot_hostfs::nl80211` and its "no data" case live.
/// - `drm`, `ethtool`, `logind` and `perf` are not in upstream's run (ethtool's fixtures are a
///   separate unit test upstream); see `unix_sysfs.rs` and `logind_dbusmock.rs`.
/// - `btrfs` reads device error counters through ioctls on mounted filesystems; the fixtures'
///   mountinfo has no btrfs mount, so, as upstream's run, this pins the sysfs fallback.
/// - `rapl`'s `path` label holds the configured sysfs path (normalized below).
const COLLECTORS: &[&str] = &[
    "arp",
    "bcache",
    "bonding",
    "btrfs",
    "buddyinfo",
    "cgroups",
    "conntrack",
    "cpu",
    "cpu_vulnerabilities",
    "cpufreq",
    "diskstats",
    "dmi",
    "drbd",
    "edac",
    "entropy",
    "fibrechannel",
    "filefd",
    "hwmon",
    "infiniband",
    "interrupts",
    "ipvs",
    "ksmd",
    "lnstat",
    "loadavg",
    "mdadm",
    "meminfo",
    "meminfo_numa",
    "mountstats",
    "netclass",
    "netstat",
    "nfs",
    "nfsd",
    "nvme",
    "os",
    "pcidevice",
    "powersupplyclass",
    "pressure",
    "processes",
    "rapl",
    "schedstat",
    "slabinfo",
    "sockstat",
    "softirqs",
    "softnet",
    "stat",
    "sysctl",
    "tapestats",
    "textfile",
    "thermal_zone",
    "time",
    "udp_queues",
    "vmstat",
    "watchdog",
    "xfrm",
    "xfs",
    "zfs",
    "zoneinfo",
];

fn fixtures() -> Option<PathBuf> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/node_exporter");
    if dir.join("e2e-output.txt").is_file() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "node_exporter fixtures not found at {} (CI must have shared/ beside the repo)",
            dir.display()
        );
    }
    eprintln!(
        "note: skipping node_exporter conformance: no fixtures at {}",
        dir.display()
    );
    None
}

/// The fixtures' `sys/` tree as upstream's `sys.ttar` unpacks it. The shared copy was unpacked with
/// every symlink written as a regular file holding the link's target (all 92 of them relative, such
/// as `class/hwmon/hwmon0` holding `../../devices/platform/applesmc.768/hwmon/hwmon0`, and none
/// ending in a newline, which every other file does); sysfs collectors tell devices from attributes
/// and name chips by following those links, so the test rebuilds the tree as `<root>/sys` (in its temporary
/// directory) with the links restored. The shared copy also lacks the ttar's empty directories (listed in
/// [`EMPTY_DIRS`]); of those, `class/watchdog/watchdog1` shows in upstream's output (a
/// `node_watchdog_info` with every label empty), so they are made again. Nothing is copied into the
/// project.
fn sysfs_view(fixtures: &Path, root: &Path) {
    fn copy(from: &Path, to: &Path, links: &mut usize) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let (src, dst) = (entry.path(), to.join(entry.file_name()));
            if entry.file_type().unwrap().is_dir() {
                copy(&src, &dst, links);
                continue;
            }
            let content = std::fs::read(&src).unwrap();
            if content.starts_with(b"../") && !content.contains(&b'\n') {
                let target = std::str::from_utf8(&content).unwrap();
                std::os::unix::fs::symlink(target, &dst).unwrap();
                *links += 1;
            } else if std::fs::hard_link(&src, &dst).is_err() {
                // Another filesystem: a copy (slower; the fixtures are 2,000 small files).
                std::fs::write(&dst, &content).unwrap();
            }
        }
    }
    let mut links = 0;
    copy(&fixtures.join("sys"), &root.join("sys"), &mut links);
    for dir in EMPTY_DIRS {
        std::fs::create_dir_all(root.join("sys").join(dir)).unwrap();
    }
    // Upstream's sys.ttar (1.12.1) has exactly 92 `SymlinkTo:` entries.
    assert_eq!(links, 92, "symlinks restored in the sys/ fixture");
}

/// The `Directory:` entries of upstream's sys.ttar (1.12.1) that hold nothing, relative to `sys/`.
const EMPTY_DIRS: &[&str] = &[
    "block/dm-5/slaves/sdi",
    "block/dm-5/slaves/sdj",
    "block/dm-5/slaves/sdk",
    "block/dm-5/slaves/sdl",
    "block/dm-6/slaves/sdm",
    "block/dm-6/slaves/sdn",
    "class/nvme-subsystem/nvme-subsys0/nvme0n1",
    "class/watchdog/watchdog1",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/link",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/holders",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/0/cpu0",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/0/cpu1",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/1/cpu2",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/1/cpu3",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/2/cpu4",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/2/cpu5",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/3/cpu6",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/3/cpu7",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/4/cpu8",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/4/cpu9",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/5/cpu10",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/5/cpu11",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/6/cpu12",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/6/cpu13",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/7/cpu14",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/mq/7/cpu15",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/nvme0n1p1/holders",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/nvme0n1p2/holders",
    "devices/pci0000:00/0000:00:02.1/0000:01:00.0/nvme/nvme0/nvme0n1/slaves",
    "devices/pci0000:00/0000:00:02.1/link",
    "devices/pci0000:40/0000:40:01.3/0000:45:00.0/link",
];

/// Families of an exposition by name, each as its full text (HELP, TYPE and sample lines).
fn families(text: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap().to_owned();
            current = Some(name.clone());
            out.entry(name).or_default();
        }
        let name = current.as_ref().expect("a sample line before any # HELP");
        let family = out.get_mut(name).unwrap();
        family.push_str(line);
        family.push('\n');
    }
    out
}

/// Families of `e2e-output.txt` that our collectors produce there. The skipped names belong to
/// collectors other than ours (netdev).
fn pinned(name: &str) -> bool {
    let ours = [
        "node_arp_",
        "node_bcache_",
        "node_bonding_",
        "node_boot_time_seconds",
        "node_btrfs_",
        "node_buddyinfo_",
        "node_cgroups_",
        "node_context_switches_total",
        "node_cooling_device_",
        "node_cpu_",
        "node_disk_",
        "node_dmi_",
        "node_drbd_",
        "node_edac_",
        "node_entropy_",
        "node_fibrechannel_",
        "node_filefd_",
        "node_forks_total",
        "node_hwmon_",
        "node_infiniband_",
        "node_interrupts_total",
        "node_intr_total",
        "node_ipvs_",
        "node_ksmd_",
        "node_lnstat_",
        "node_load",
        "node_md_",
        "node_memory_",
        "node_mountstats_",
        "node_netstat_",
        "node_network_",
        "node_nf_conntrack_",
        "node_nfs_",
        "node_nfsd_",
        "node_nvme_",
        "node_os_",
        "node_pcidevice_",
        "node_power_supply_",
        "node_pressure_",
        "node_processes_",
        "node_procs_",
        "node_rapl_",
        "node_schedstat_",
        "node_slabinfo_",
        "node_sockstat_",
        "node_softirqs_",
        "node_softnet_",
        "node_sysctl_",
        "node_tape_",
        "node_textfile_scrape_error",
        "node_thermal_zone_",
        "node_time_clocksource_",
        "node_udp_queues",
        "node_vmstat_",
        "node_watchdog_",
        "node_xfrm_",
        "node_xfs_",
        "node_zfs_",
        "node_zoneinfo_",
        "testmetric",
    ];
    let theirs = [
        // netdev's (host-specific in upstream's run).
        "node_network_receive_",
        "node_network_transmit_",
    ];
    // netclass's, despite the prefix above.
    let also_ours = ["node_network_transmit_queue_length"];
    also_ours.contains(&name)
        || ours.iter().any(|p| name.starts_with(p)) && !theirs.iter().any(|p| name.starts_with(p))
}

/// Where upstream's run had the inputs the shared tree lacks, rebuilt from `e2e-output.txt` (see the
/// module's doc): `<dir>/usr/lib/os-release` and `<dir>/collector/fixtures/textfile/two_metric_files/`.
/// `<dir>/sys` is the fixtures' sysfs with its links restored ([`sysfs_view`]). The process's
/// working directory becomes `<dir>`, once, so that the textfile directory is relative as
/// upstream's is; every other path the tests use is absolute.
fn rebuilt_inputs(expected: &str) -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // os-release from node_os_info's labels.
        let info = expected
            .lines()
            .find(|l| l.starts_with("node_os_info{"))
            .expect("e2e-output.txt has node_os_info");
        let labels = &info[info.find('{').unwrap() + 1..info.rfind('}').unwrap()];
        let mut os_release = String::new();
        for pair in labels.split("\",") {
            let (name, value) = pair.split_once("=\"").unwrap();
            let value = value.trim_end_matches('"');
            if !value.is_empty() {
                os_release.push_str(&format!("{}=\"{value}\"\n", name.to_uppercase()));
            }
        }
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        std::fs::write(root.join("usr/lib/os-release"), os_release).unwrap();
        // Each testmetric sample into the file its HELP names.
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in expected.lines() {
            if let Some(rest) = line.strip_prefix("# HELP testmetric") {
                current = rest
                    .split_once(" Metric read from ")
                    .map(|(_, file)| file.to_owned());
            } else if line.starts_with("testmetric") {
                let file = current.clone().expect("a HELP line names the file");
                files
                    .entry(file)
                    .or_default()
                    .push_str(&format!("{line}\n"));
            }
        }
        assert_eq!(files.len(), 2, "{files:?}");
        for (file, content) in files {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        // procfs: links to the shared tree's entries, `self` a link again (see the module's doc).
        let shared_proc = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/node_exporter/proc")
            .canonicalize()
            .unwrap();
        std::fs::create_dir(root.join("proc")).unwrap();
        for entry in std::fs::read_dir(&shared_proc).unwrap() {
            let name = entry.unwrap().file_name();
            let link = root.join("proc").join(&name);
            if name == "self" {
                let target = std::fs::read_to_string(shared_proc.join("self")).unwrap();
                std::os::unix::fs::symlink(target.trim(), link).unwrap();
            } else {
                std::os::unix::fs::symlink(shared_proc.join(&name), link).unwrap();
            }
        }
        sysfs_view(&shared_proc.join(".."), root);
        std::env::set_current_dir(root).unwrap();
        dir
    })
    .path()
}

fn exporter(dir: &Path) -> UnixExporter {
    let expected = std::fs::read_to_string(dir.join("e2e-output.txt")).unwrap();
    let rebuilt = rebuilt_inputs(&expected);
    let mut config = UnixConfig {
        procfs_path: rebuilt.join("proc"),
        sysfs_path: rebuilt.join("sys"),
        // The os collector's root; no other collector here reads it.
        rootfs_path: rebuilt.to_owned(),
        udev_data_path: dir.join("udev/data"),
        set_collectors: COLLECTORS.iter().map(|c| (*c).to_owned()).collect(),
        // Upstream's flags: guest on by default there, and cpu.info with these filters.
        cpu: CpuConfig {
            guest: true,
            info: true,
            flags_include: "^(aes|avx.?|constant_tsc)$".to_owned(),
            bugs_include: "^(cpu_meltdown|spectre_.*|mds)$".to_owned(),
        },
        disk: DiskConfig {
            device_exclude: NODE_EXPORTER_DISK_DEVICE_EXCLUDE.to_owned(),
            device_include: String::new(),
        },
        bcache: BcacheConfig {
            priority_stats: true,
        },
        hwmon: HwmonConfig {
            chip_include: "(applesmc|asus_nb_wmi|coretemp|hwmon4|ieee80211|nct6779)".to_owned(),
            chip_exclude: String::new(),
        },
        netclass: NetclassConfig {
            ignore_invalid_speed_device: true,
            ignored_devices: "(dmz|int)".to_owned(),
        },
        ..UnixConfig::default()
    };
    config.arp.device_exclude = "nope".to_owned();
    config.netstat.fields = NODE_EXPORTER_NETSTAT_FIELDS.to_owned();
    config.stat.softirq = true;
    config.sysctl.include = vec![
        "fs.file-nr".to_owned(),
        "fs.file-nr:total,current,max".to_owned(),
        "kernel.threads-max".to_owned(),
    ];
    config.sysctl.include_info = vec!["kernel.seccomp.actions_avail".to_owned()];
    config.textfile.directory = "collector/fixtures/textfile/two_metric_files/".to_owned();
    UnixExporter::new(&config).expect("exporter builds on the fixtures")
}

#[test]
fn families_match_upstream_e2e_output() {
    let Some(dir) = fixtures() else { return };
    let expected_text = std::fs::read_to_string(dir.join("e2e-output.txt")).unwrap();
    let expected = families(&expected_text);

    let mut exporter = exporter(&dir);
    let errors = exporter.gather().to_vec();
    assert!(errors.is_empty(), "collectors failed: {errors:?}");
    let mut out = Vec::new();
    exporter.encode(&mut out);
    // Version note: the rapl collector's `path` label is the zone's directory under the
    // configured sysfs path, which upstream's run passed as `collector/fixtures/sys`.
    let sys = rebuilt_inputs(&expected_text).join("sys");
    let text = String::from_utf8(out).unwrap().replace(
        &format!("path=\"{}/", sys.display()),
        "path=\"collector/fixtures/sys/",
    );
    let ours = families(&text);

    let expected_names: Vec<&String> = expected.keys().filter(|n| pinned(n)).collect();
    let our_names: Vec<&String> = ours.keys().filter(|n| pinned(n)).collect();
    assert_eq!(our_names, expected_names, "pinned family names");
    assert!(
        expected_names.len() > 300,
        "expected many families, found {}",
        expected_names.len()
    );
    eprintln!("{} pinned families", expected_names.len());
    for name in expected_names {
        assert_eq!(ours[name], expected[name], "family {name}");
    }

    // Our collectors' success samples, as upstream reports them.
    let success_lines = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| {
                COLLECTORS
                    .iter()
                    .any(|c| l.contains(&format!("{{collector=\"{c}\"}}")))
            })
            .map(str::to_owned)
            .collect()
    };
    let expected_success = success_lines(&expected["node_scrape_collector_success"]);
    assert_eq!(expected_success.len(), COLLECTORS.len());
    assert_eq!(
        success_lines(&ours["node_scrape_collector_success"]),
        expected_success
    );

    // e2e-output.txt keeps only the HELP and TYPE lines of these (their samples vary).
    for name in [
        "node_textfile_mtime_seconds",
        "node_time_seconds",
        "node_time_zone_offset_seconds",
        "node_scrape_collector_duration_seconds",
    ] {
        let head = |text: &str| text.lines().take(2).collect::<Vec<_>>().join("\n");
        assert_eq!(head(&ours[name]), head(&expected[name]), "family {name}");
    }
}

#[test]
fn second_gather_gives_the_same_output() {
    let Some(dir) = fixtures() else { return };
    let mut exporter = exporter(&dir);
    let strip_varying = |out: Vec<u8>| -> String {
        String::from_utf8(out)
            .unwrap()
            .lines()
            .filter(|l| {
                !l.starts_with("node_time_seconds ")
                    && !l.starts_with("node_scrape_collector_duration_seconds{")
            })
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let mut first = Vec::new();
    exporter.gather_into(&mut first);
    let mut second = Vec::new();
    exporter.gather_into(&mut second);
    assert_eq!(strip_varying(second), strip_varying(first));
}

/// The `swap` collector is not in upstream's e2e run; its unit test (`swap_linux_test.go`) reads the same
/// fixtures' `proc/swaps` and expects `/dev/zram0`, `partition`, 8,388,604 KiB, 76 KiB used, priority 100.
#[test]
fn swap_reads_the_fixtures_as_upstreams_unit_test_expects() {
    let Some(dir) = fixtures() else { return };
    let config = UnixConfig {
        procfs_path: dir.join("proc"),
        set_collectors: vec!["swap".into()],
        ..UnixConfig::default()
    };
    let mut exporter = UnixExporter::new(&config).unwrap();
    let mut out = Vec::new();
    assert!(exporter.gather_into(&mut out).is_empty());
    let body = String::from_utf8(out).unwrap();
    let labels = r#"{device="/dev/zram0",swap_type="partition"}"#;
    for line in [
        format!("node_swap_priority{labels} 100\n"),
        format!("node_swap_size_bytes{labels} 8.589930496e+09\n"),
        format!("node_swap_used_bytes{labels} 77824\n"),
    ] {
        assert!(body.contains(&line), "{line} in\n{body}");
    }
}
