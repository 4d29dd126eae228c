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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ingot_prometheus::exporter::unix::{
    CpuConfig, DiskConfig, UnixConfig, UnixExporter, NODE_EXPORTER_DISK_DEVICE_EXCLUDE,
    NODE_EXPORTER_NETSTAT_FIELDS,
};
use pretty_assertions::assert_eq;

/// The collectors whose families `e2e-output.txt` pins (see the fixtures' README).
const COLLECTORS: &[&str] = &[
    "arp",
    "buddyinfo",
    "cgroups",
    "conntrack",
    "cpu",
    "diskstats",
    "entropy",
    "filefd",
    "interrupts",
    "ipvs",
    "ksmd",
    "lnstat",
    "loadavg",
    "mdadm",
    "meminfo",
    "meminfo_numa",
    "mountstats",
    "netstat",
    "nfs",
    "nfsd",
    "os",
    "pressure",
    "processes",
    "schedstat",
    "slabinfo",
    "sockstat",
    "softirqs",
    "softnet",
    "stat",
    "sysctl",
    "textfile",
    "time",
    "udp_queues",
    "vmstat",
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
/// collectors other than ours (cpufreq, cpu_vulnerabilities).
fn pinned(name: &str) -> bool {
    let ours = [
        "node_arp_",
        "node_boot_time_seconds",
        "node_buddyinfo_",
        "node_cgroups_",
        "node_context_switches_total",
        "node_cpu_",
        "node_disk_",
        "node_entropy_",
        "node_filefd_",
        "node_forks_total",
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
        "node_nf_conntrack_",
        "node_nfs_",
        "node_nfsd_",
        "node_os_",
        "node_pressure_",
        "node_processes_",
        "node_procs_",
        "node_schedstat_",
        "node_slabinfo_",
        "node_sockstat_",
        "node_softirqs_",
        "node_softnet_",
        "node_sysctl_",
        "node_textfile_scrape_error",
        "node_time_clocksource_",
        "node_udp_queues",
        "node_vmstat_",
        "node_xfs_",
        "node_zfs_",
        "node_zoneinfo_",
        "testmetric",
    ];
    let theirs = [
        "node_cpu_scaling_",
        "node_cpu_vulnerabilities_info",
        "node_cpu_frequency_hertz",
    ];
    ours.iter().any(|p| name.starts_with(p)) && !theirs.iter().any(|p| name.starts_with(p))
}

/// Where upstream's run had the inputs the shared tree lacks, rebuilt from `e2e-output.txt` (see the
/// module's doc): `<dir>/usr/lib/os-release` and `<dir>/collector/fixtures/textfile/two_metric_files/`.
/// The process's working directory becomes `<dir>`, once, so that the textfile directory is relative as
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
        std::env::set_current_dir(root).unwrap();
        dir
    })
    .path()
}

fn exporter(dir: &std::path::Path) -> UnixExporter {
    let expected = std::fs::read_to_string(dir.join("e2e-output.txt")).unwrap();
    let rebuilt = rebuilt_inputs(&expected);
    let mut config = UnixConfig {
        procfs_path: rebuilt.join("proc"),
        sysfs_path: dir.join("sys"),
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
    let ours = families(&String::from_utf8(out).unwrap());

    let expected_names: Vec<&String> = expected.keys().filter(|n| pinned(n)).collect();
    let our_names: Vec<&String> = ours.keys().filter(|n| pinned(n)).collect();
    assert_eq!(our_names, expected_names, "pinned family names");
    assert!(
        expected_names.len() > 80,
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
