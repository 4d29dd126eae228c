//! Debian's node_exporter and ingot, side by side on this host with the same collectors: the metric families,
//! their types and their label names match, except for the differences listed here, each with its reason
//! (Debian ships node_exporter 1.5.0; ingot follows upstream 1.12 as Alloy embeds it).

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ingot_testkit::{free_port, http_get, require_binary, Peer};

const COLLECTORS: &[&str] = &[
    "cpu",
    "meminfo",
    "diskstats",
    "filesystem",
    "netdev",
    "loadavg",
    "uname",
    "time",
    "systemd",
    "processes",
    "arp",
    "conntrack",
    "entropy",
    "filefd",
    "interrupts",
    "netstat",
    "os",
    "pressure",
    "schedstat",
    "sockstat",
    "softirqs",
    "softnet",
    "stat",
    "tcpstat",
    "textfile",
    "timex",
    "udp_queues",
    "vmstat",
    "ipvs",
    "mdadm",
    "nfs",
    "nfsd",
    "selinux",
    "xfs",
    "zfs",
    "buddyinfo",
    "cgroups",
    "ksmd",
    "lnstat",
    "meminfo_numa",
    "mountstats",
    "network_route",
    "slabinfo",
    "sysctl",
    "zoneinfo",
];

/// Sysctls both exporters read: numbers (one value, several, named fields) and an info one.
const SYSCTL_INCLUDE: &[&str] = &[
    "fs.file-nr",
    "fs.file-nr:total,current,max",
    "kernel.threads-max",
];
const SYSCTL_INCLUDE_INFO: &[&str] = &["kernel.seccomp.actions_avail"];

/// Collectors Debian's node_exporter 1.5.0 does not have: ingot runs them, node_exporter cannot be
/// asked to (their families are listed in `ONLY_INGOT`).
const NOT_IN_NODE_EXPORTER_1_5: &[&str] = &["softirqs"];

/// Families only node_exporter 1.5.0 shows here, and why ingot has none.
const ONLY_NODE_EXPORTER: &[(&str, &str)] = &[
    ("node_cpu_guest_seconds_total", "Alloy's cpu block defaults to guest = false"),
    ("node_memory_Balloon_bytes", "node_exporter 1.9 exports a fixed list of meminfo keys; 1.5 exports every line"),
    ("node_memory_FileHugePages_bytes", "fixed meminfo key list since 1.9"),
    ("node_memory_FilePmdMapped_bytes", "fixed meminfo key list since 1.9"),
    ("node_memory_Hugetlb_bytes", "fixed meminfo key list since 1.9"),
    ("node_memory_KReclaimable_bytes", "fixed meminfo key list since 1.9"),
    ("node_memory_SecPageTables_bytes", "fixed meminfo key list since 1.9"),
    ("node_memory_Unaccepted_bytes", "fixed meminfo key list since 1.9"),
    ("node_network_receive_nohandler_total", "Debian's 1.5 reads netdev over netlink; Alloy reads /proc/net/dev, which has no such column on this kernel"),
];

/// Families only ingot shows, and why.
const ONLY_INGOT: &[(&str, &str)] = &[
    ("node_filesystem_mount_info", "added in node_exporter 1.9"),
    (
        "node_filesystem_purgeable_bytes",
        "added in node_exporter 1.10",
    ),
    (
        "node_softirqs_functions_total",
        "the softirqs collector was added in node_exporter 1.9",
    ),
    ("node_softnet_backlog_len", "added in node_exporter 1.6"),
    (
        "node_softnet_cpu_collision_total",
        "added in node_exporter 1.6",
    ),
    (
        "node_softnet_flow_limit_count_total",
        "added in node_exporter 1.6",
    ),
    (
        "node_softnet_received_rps_total",
        "added in node_exporter 1.6",
    ),
    (
        "node_ksmd_general_profit_bytes",
        "added after node_exporter 1.12.1 (commit 1771767c), in the commit upstream's e2e fixtures come from",
    ),
];

/// Label names that differ within a family both show.
const LABEL_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "node_exporter_build_info",
        "tags",
        "added to the version collector of prometheus/common after node_exporter 1.5; Alloy 1.18 serves it",
    ),
    ("node_disk_info", "rotational", "added in node_exporter 1.9"),
    (
        "node_filesystem_avail_bytes",
        "device_error",
        "added in node_exporter 1.8",
    ),
];

/// family name → (type, label names of its samples)
fn families(body: &str) -> BTreeMap<String, (String, BTreeSet<String>)> {
    let mut out: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            out.entry(name.to_string()).or_default().0 = kind.to_string();
        } else if !line.starts_with('#') && !line.is_empty() {
            let name_end = line.find(['{', ' ']).unwrap();
            let name = &line[..name_end];
            let family = out.entry(name.to_string()).or_default();
            if line.as_bytes()[name_end] == b'{' {
                let labels = &line[name_end + 1..line.rfind('}').unwrap()];
                for pair in labels.split("\",").filter(|p| !p.is_empty()) {
                    family.1.insert(pair.split_once('=').unwrap().0.to_string());
                }
            }
        }
    }
    // Go runtime and process metrics are the exporter's own, not host metrics.
    out.retain(|name, _| name.starts_with("node_") || name.starts_with("live_test_"));
    out
}

#[test]
fn families_types_and_label_names_match_node_exporter() {
    let node_exporter = require_binary("prometheus-node-exporter", "prometheus-node-exporter");
    let node_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    // A textfile both read, so that the textfile collector's families show on both sides.
    let textfiles = tempfile::tempdir().unwrap();
    std::fs::write(
        textfiles.path().join("live.prom"),
        "# HELP live_test_metric A metric both exporters read from a textfile.\n# TYPE live_test_metric gauge\nlive_test_metric{source=\"live\"} 1\n",
    )
    .unwrap();
    let mut cmd = Command::new(node_exporter);
    cmd.arg(format!("--web.listen-address={node_addr}"))
        .arg("--collector.disable-defaults");
    for c in COLLECTORS {
        if !NOT_IN_NODE_EXPORTER_1_5.contains(c) {
            cmd.arg(format!("--collector.{c}"));
        }
    }
    // Upstream's defaults rather than Debian's patched ones, as Alloy uses upstream's.
    cmd.arg("--collector.netdev.device-exclude=^$");
    cmd.arg(format!(
        "--collector.textfile.directory={}",
        textfiles.path().display()
    ));
    for s in SYSCTL_INCLUDE {
        cmd.arg(format!("--collector.sysctl.include={s}"));
    }
    for s in SYSCTL_INCLUDE_INFO {
        cmd.arg(format!("--collector.sysctl.include-info={s}"));
    }
    let mut node = Peer::spawn("node_exporter", cmd, tempfile::tempdir().unwrap());
    node.wait_for_port(node_addr, Duration::from_secs(10));

    let ingot_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let data = tempfile::tempdir().unwrap();
    // The seed's config (examples/host-pull.alloy) with the collectors listed here.
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/host-pull.alloy"
    ))
    .unwrap();
    let set_collectors = COLLECTORS
        .iter()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let start = example.find("set_collectors").unwrap();
    let end = start + example[start..].find(']').unwrap() + 1;
    let list = |v: &[&str]| {
        v.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let config = format!(
        "{}set_collectors = [{set_collectors}]\n\ttextfile {{\n\t\tdirectory = {:?}\n\t}}\n\tsysctl {{\n\t\tinclude = [{}]\n\t\tinclude_info = [{}]\n\t}}{}",
        &example[..start],
        textfiles.path().display().to_string(),
        list(SYSCTL_INCLUDE),
        list(SYSCTL_INCLUDE_INFO),
        &example[end..]
    );
    let config_path = data.path().join("config.alloy");
    std::fs::write(&config_path, config).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ingot"));
    cmd.args([
        "run",
        &format!("--server.http.listen-addr={ingot_addr}"),
        &format!("--storage.path={}", data.path().join("storage").display()),
        config_path.to_str().unwrap(),
    ]);
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(ingot_addr, Duration::from_secs(10));

    let (status, theirs) = http_get(node_addr, "/metrics").unwrap();
    assert_eq!(status, 200);
    let (status, ours) = http_get(
        ingot_addr,
        "/api/v0/component/prometheus.exporter.unix.localhost/metrics",
    )
    .unwrap();
    assert_eq!(status, 200);
    let (theirs, ours) = (families(&theirs), families(&ours));

    let mut problems = Vec::new();
    for (name, (kind, labels)) in &theirs {
        match ours.get(name) {
            None if ONLY_NODE_EXPORTER.iter().any(|(n, _)| n == name) => {}
            // A family whose source does not exist on this host is absent from both (e.g. systemd without a
            // system bus); one only node_exporter has is a gap.
            None => problems.push(format!("missing in ingot: {name}")),
            Some((our_kind, our_labels)) => {
                if our_kind != kind {
                    problems.push(format!(
                        "{name}: type {our_kind} in ingot, {kind} in node_exporter"
                    ));
                }
                let differing: Vec<&String> = labels.symmetric_difference(our_labels).collect();
                for label in differing {
                    let allowed = LABEL_DIFFERENCES.iter().any(|(f, l, _)| {
                        (*f == name || name.starts_with("node_filesystem_")) && *l == label
                    });
                    if !allowed {
                        problems.push(format!("{name}: label {label} differs"));
                    }
                }
            }
        }
    }
    for name in ours.keys().filter(|n| !theirs.contains_key(*n)) {
        let expected_gap = ONLY_INGOT.iter().any(|(n, _)| n == name)
            || ONLY_NODE_EXPORTER.iter().any(|(n, _)| n == name);
        if !expected_gap {
            problems.push(format!("only in ingot: {name}"));
        }
    }
    assert!(
        problems.is_empty(),
        "differences not explained:\n{}",
        problems.join("\n")
    );
    // The comparison is only meaningful if both sides produced the core host families, and one of
    // each /proc collector whose source every Linux host has.
    for core in [
        "node_cpu_seconds_total",
        "node_memory_MemTotal_bytes",
        "node_load1",
        "node_uname_info",
        "node_time_seconds",
        "node_boot_time_seconds",
        "node_vmstat_pgfault",
        "node_netstat_Tcp_CurrEstab",
        "node_sockstat_sockets_used",
        "node_filefd_maximum",
        "node_entropy_available_bits",
        "node_timex_sync_status",
        "node_os_info",
        "node_softnet_processed_total",
        "node_udp_queues",
        "node_interrupts_total",
        "node_tcp_connection_states",
        "node_textfile_scrape_error",
        "live_test_metric",
        "node_selinux_enabled",
        "node_buddyinfo_blocks",
        "node_cgroups_cgroups",
        "node_lnstat_entries_total",
        "node_network_route_info",
        "node_network_routes",
        "node_slabinfo_objects",
        "node_sysctl_fs_file_nr",
        "node_sysctl_fs_file_nr_total",
        "node_sysctl_kernel_threads_max",
        "node_sysctl_info",
        "node_zoneinfo_nr_free_pages",
    ] {
        assert!(
            ours.contains_key(core) && theirs.contains_key(core),
            "{core} missing"
        );
    }
}

/// The sysfs collectors (issue 17), compared on this host the same way. Debian's 1.5.0 has all of
/// them but `watchdog` (added in 1.9). Most of this machine's hardware is absent (a VM: no hwmon,
/// no thermal zones, no DMI, no cpufreq), so beside the families both show, the test compares each
/// collector's `node_scrape_collector_success`, which is where "absent hardware" shows.
const SYSFS_COLLECTORS: [&str; 20] = [
    "bcache",
    "bonding",
    "btrfs",
    "cpufreq",
    "dmi",
    "drm",
    "edac",
    "ethtool",
    "fibrechannel",
    "hwmon",
    "infiniband",
    "logind",
    "netclass",
    "nvme",
    "perf",
    "powersupplyclass",
    "rapl",
    "tapestats",
    "thermal_zone",
    "wifi",
];

/// Families of the sysfs collectors only one side shows here, and why.
const SYSFS_ONLY_NODE_EXPORTER: &[(&str, &str)] = &[];
const SYSFS_ONLY_INGOT: &[(&str, &str)] = &[
    (
        "node_btrfs_commits_total",
        "added in node_exporter 1.7 (on hosts with btrfs)",
    ),
    (
        "node_btrfs_commit_seconds_total",
        "added in node_exporter 1.7",
    ),
    (
        "node_btrfs_last_commit_seconds",
        "added in node_exporter 1.7",
    ),
    (
        "node_btrfs_max_commit_seconds",
        "added in node_exporter 1.7",
    ),
];

/// The sysfs and btrfs tests change or read what the host mounts: one at a time.
static HOST_SYSFS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Label names of the sysfs collectors' families that differ, and why.
const SYSFS_LABEL_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "node_network_info",
        "adminstate",
        "added in node_exporter 1.6",
    ),
    (
        "node_exporter_build_info",
        "tags",
        "added to the version collector after node_exporter 1.5",
    ),
];

/// Collectors whose success differs between 1.5.0 and 1.12 on this host, and why.
const SUCCESS_DIFFERENCES: &[(&str, &str)] = &[];

fn scrape_success(body: &str) -> BTreeMap<String, String> {
    body.lines()
        .filter_map(|l| l.strip_prefix("node_scrape_collector_success{collector=\""))
        .filter_map(|rest| rest.split_once("\"} "))
        .map(|(c, v)| (c.to_owned(), v.to_owned()))
        .collect()
}

#[test]
fn sysfs_collectors_match_node_exporter() {
    let _host = HOST_SYSFS.lock().unwrap_or_else(|e| e.into_inner());
    let node_exporter = require_binary("prometheus-node-exporter", "prometheus-node-exporter");
    let node_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(node_exporter);
    cmd.arg(format!("--web.listen-address={node_addr}"))
        .arg("--collector.disable-defaults");
    for c in SYSFS_COLLECTORS {
        cmd.arg(format!("--collector.{c}"));
    }
    let mut node = Peer::spawn("node_exporter", cmd, tempfile::tempdir().unwrap());
    node.wait_for_port(node_addr, Duration::from_secs(10));

    let ingot_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("sysfs.alloy");
    let list: Vec<String> = SYSFS_COLLECTORS
        .iter()
        .chain(&["watchdog"])
        .map(|c| format!("\"{c}\""))
        .collect();
    std::fs::write(
        &config,
        format!(
            "prometheus.exporter.unix \"localhost\" {{\n  set_collectors = [{}]\n}}\n",
            list.join(", ")
        ),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ingot"));
    cmd.args([
        "run",
        &format!("--server.http.listen-addr={ingot_addr}"),
        &format!("--storage.path={}", data.path().display()),
        config.to_str().unwrap(),
    ]);
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(ingot_addr, Duration::from_secs(10));

    let (status, theirs_body) = http_get(node_addr, "/metrics").unwrap();
    assert_eq!(status, 200);
    let (status, ours_body) = http_get(
        ingot_addr,
        "/api/v0/component/prometheus.exporter.unix.localhost/metrics",
    )
    .unwrap();
    assert_eq!(status, 200);
    let (theirs, ours) = (families(&theirs_body), families(&ours_body));

    let mut problems = Vec::new();
    for (name, (kind, labels)) in &theirs {
        match ours.get(name) {
            None if SYSFS_ONLY_NODE_EXPORTER.iter().any(|(n, _)| n == name) => {}
            None => problems.push(format!("missing in ingot: {name}")),
            Some((our_kind, our_labels)) => {
                if our_kind != kind {
                    problems.push(format!(
                        "{name}: type {our_kind} in ingot, {kind} in node_exporter"
                    ));
                }
                for label in labels.symmetric_difference(our_labels) {
                    let explained = SYSFS_LABEL_DIFFERENCES
                        .iter()
                        .any(|(f, l, _)| f == name && l == label);
                    if !explained {
                        problems.push(format!("{name}: label {label} differs"));
                    }
                }
            }
        }
    }
    for name in ours.keys().filter(|n| !theirs.contains_key(*n)) {
        if !SYSFS_ONLY_INGOT.iter().any(|(n, _)| n == name) {
            problems.push(format!("only in ingot: {name}"));
        }
    }
    let (their_success, our_success) = (scrape_success(&theirs_body), scrape_success(&ours_body));
    for c in SYSFS_COLLECTORS {
        let (t, o) = (their_success.get(c), our_success.get(c));
        if t != o && !SUCCESS_DIFFERENCES.iter().any(|(d, _)| *d == c) {
            problems.push(format!(
                "{c}: node_scrape_collector_success {o:?} in ingot, {t:?} in node_exporter"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "differences not explained:\n{}\n\ningot:\n{ours_body}",
        problems.join("\n")
    );
    // Only meaningful if this host gave both sides something to compare.
    for core in [
        "node_network_up",
        "node_network_info",
        "node_perf_context_switches_total",
    ] {
        assert!(
            ours.contains_key(core) && theirs.contains_key(core),
            "{core} missing"
        );
    }
    assert_eq!(
        our_success.get("watchdog").map(String::as_str),
        Some(if std::path::Path::new("/sys/class/watchdog").exists() {
            "1"
        } else {
            "0"
        })
    );
}

/// Runs a command that must succeed, returning its standard output.
fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A two-device btrfs (RAID1) on loop devices, mounted for the test and taken apart after.
struct LoopBtrfs {
    mount: std::path::PathBuf,
    loops: Vec<String>,
    _dir: tempfile::TempDir,
}

impl LoopBtrfs {
    fn create() -> LoopBtrfs {
        let mkfs = require_binary("mkfs.btrfs", "btrfs-progs");
        assert!(
            ingot_hostfs::sys::is_root(),
            "the btrfs test attaches loop devices and mounts them: run it as root (./scripts/test does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let mut loops = Vec::new();
        for name in ["a.img", "b.img"] {
            let image = dir.path().join(name);
            std::fs::File::create(&image)
                .unwrap()
                .set_len(160 << 20)
                .unwrap();
            loops.push(run("losetup", &["-f", "--show", image.to_str().unwrap()]));
        }
        let mount = dir.path().join("mnt");
        let fs = LoopBtrfs {
            mount: mount.clone(),
            loops,
            _dir: dir,
        };
        let mut args = vec!["-q", "-L", "ingot-live", "-d", "raid1", "-m", "raid1"];
        args.extend(fs.loops.iter().map(String::as_str));
        run(mkfs.to_str().unwrap(), &args);
        std::fs::create_dir(&mount).unwrap();
        run("mount", &[&fs.loops[0], mount.to_str().unwrap()]);
        std::fs::write(mount.join("data"), vec![7u8; 1 << 20]).unwrap();
        run("sync", &[]);
        fs
    }
}

impl Drop for LoopBtrfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount).status();
        for l in &self.loops {
            let _ = Command::new("losetup").args(["-d", l]).status();
        }
    }
}

/// btrfs with a mounted filesystem, which node_exporter (and ingot) also ask through ioctls for
/// each device's size and error counters: the families, their labels and the device samples
/// match Debian's node_exporter on the same filesystem.
#[test]
fn btrfs_with_a_mounted_filesystem_matches_node_exporter() {
    let _host = HOST_SYSFS.lock().unwrap_or_else(|e| e.into_inner());
    let fs = LoopBtrfs::create();
    let uuid = run("findmnt", &["-n", "-o", "UUID", fs.mount.to_str().unwrap()]);

    let node_exporter = require_binary("prometheus-node-exporter", "prometheus-node-exporter");
    let node_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(node_exporter);
    cmd.arg(format!("--web.listen-address={node_addr}"))
        .args(["--collector.disable-defaults", "--collector.btrfs"]);
    let mut node = Peer::spawn("node_exporter", cmd, tempfile::tempdir().unwrap());
    node.wait_for_port(node_addr, Duration::from_secs(10));

    let ingot_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("btrfs.alloy");
    std::fs::write(
        &config,
        "prometheus.exporter.unix \"localhost\" {\n  set_collectors = [\"btrfs\"]\n}\n",
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ingot"));
    cmd.args([
        "run",
        &format!("--server.http.listen-addr={ingot_addr}"),
        &format!("--storage.path={}", data.path().display()),
        config.to_str().unwrap(),
    ]);
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(ingot_addr, Duration::from_secs(10));

    let (_, theirs_body) = http_get(node_addr, "/metrics").unwrap();
    let (_, ours_body) = http_get(
        ingot_addr,
        "/api/v0/component/prometheus.exporter.unix.localhost/metrics",
    )
    .unwrap();
    // The commit statistics came in node_exporter 1.7 (after Debian's 1.5.0): ingot's, checked
    // against upstream's e2e fixtures, are only checked for being there.
    const SINCE_1_7: [&str; 4] = [
        "node_btrfs_commits_total",
        "node_btrfs_commit_seconds_total",
        "node_btrfs_last_commit_seconds",
        "node_btrfs_max_commit_seconds",
    ];
    let keep = |body: &str| -> BTreeMap<String, (String, BTreeSet<String>)> {
        families(body)
            .into_iter()
            .filter(|(n, _)| n.starts_with("node_btrfs_") && !SINCE_1_7.contains(&n.as_str()))
            .collect()
    };
    assert_eq!(
        keep(&ours_body),
        keep(&theirs_body),
        "btrfs families, types and label names"
    );
    for name in SINCE_1_7 {
        assert!(
            ours_body.contains(&format!("\n{name}{{uuid=\"{uuid}\"}} ")),
            "{name}"
        );
    }
    // The ioctl path: per-device samples of this filesystem, values included (sizes and error
    // counts do not move while the test runs).
    let device_lines = |body: &str| -> Vec<String> {
        let mut lines: Vec<String> = body
            .lines()
            .filter(|l| {
                (l.starts_with("node_btrfs_device_") || l.starts_with("node_btrfs_info{"))
                    && l.contains(&format!("uuid=\"{uuid}\""))
            })
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };
    let ours = device_lines(&ours_body);
    assert_eq!(ours, device_lines(&theirs_body));
    assert!(
        ours.iter()
            .any(|l| l.starts_with("node_btrfs_device_errors_total{btrfs_dev_uuid=")),
        "the ioctl families are there: {ours:?}"
    );
    assert!(
        ours.iter().any(|l| l.contains("label=\"ingot-live\"")),
        "{ours:?}"
    );
    assert_eq!(
        ours.iter()
            .filter(|l| l.starts_with("node_btrfs_device_size_bytes{"))
            .count(),
        2,
        "{ours:?}"
    );
}

/// chronyd serving this host's clock on 127.0.0.1:123 (the port Alloy's ntp collector always
/// queries), without touching the clock.
fn local_chronyd(dir: &Path) -> Peer {
    let chronyd = require_binary("chronyd", "chrony");
    assert!(
        ingot_hostfs::sys::is_root(),
        "the ntp test serves NTP on 127.0.0.1:123, a privileged port: run it as root (./scripts/test does)"
    );
    if std::net::UdpSocket::bind("127.0.0.1:123").is_err() {
        panic!("udp 127.0.0.1:123 is taken: the ntp test needs it for its own chronyd (stop the host's NTP server)");
    }
    let conf = dir.join("chrony.conf");
    std::fs::write(
        &conf,
        format!(
            "bindaddress 127.0.0.1\nport 123\nallow 127.0.0.1\nlocal stratum 8\ncmdport 0\npidfile {0}/chronyd.pid\ndriftfile {0}/drift\n",
            dir.display()
        ),
    )
    .unwrap();
    let mut cmd = Command::new(chronyd);
    // -d: foreground, logging to stderr; -x: never adjust the clock; -u root: no user switch.
    cmd.args(["-d", "-x", "-u", "root", "-f", conf.to_str().unwrap()]);
    let mut peer = Peer::spawn("chronyd", cmd, tempfile::tempdir().unwrap());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while ingot_hostfs::ntp::query("127.0.0.1", 123, 4, 1, Duration::from_millis(200)).is_err() {
        assert!(
            peer.is_running() && std::time::Instant::now() < deadline,
            "chronyd does not answer on 127.0.0.1:123:\n{}",
            peer.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    peer
}

fn sample(body: &str, name: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

/// The ntp collector (and Alloy's ntp block) against chronyd on this host, beside Debian's
/// node_exporter querying the same server: the same families and types, the same stratum, leap
/// indicator, root delay and dispersion and sanity, offsets and round trips of a loopback exchange.
#[test]
fn ntp_matches_node_exporter_against_a_local_chronyd() {
    let dir = tempfile::tempdir().unwrap();
    let _chronyd = local_chronyd(dir.path());

    let node_exporter = require_binary("prometheus-node-exporter", "prometheus-node-exporter");
    let node_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(node_exporter);
    cmd.arg(format!("--web.listen-address={node_addr}"))
        .args(["--collector.disable-defaults", "--collector.ntp"]);
    let mut node = Peer::spawn("node_exporter", cmd, tempfile::tempdir().unwrap());
    node.wait_for_port(node_addr, Duration::from_secs(10));

    let ingot_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let config = dir.path().join("ntp.alloy");
    // Alloy's defaults written out: server 127.0.0.1, version 4, TTL 1.
    std::fs::write(
        &config,
        "prometheus.exporter.unix \"localhost\" {\n  set_collectors = [\"ntp\"]\n  ntp {\n    server = \"127.0.0.1\"\n    protocol_version = 4\n    ip_ttl = 1\n    max_distance = \"3466080us\"\n    local_offset_tolerance = \"1ms\"\n  }\n}\n",
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ingot"));
    cmd.args([
        "run",
        &format!("--server.http.listen-addr={ingot_addr}"),
        &format!("--storage.path={}", dir.path().join("data").display()),
        config.to_str().unwrap(),
    ]);
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(ingot_addr, Duration::from_secs(10));

    let (status, theirs_body) = http_get(node_addr, "/metrics").unwrap();
    assert_eq!(status, 200);
    let (status, ours_body) = http_get(
        ingot_addr,
        "/api/v0/component/prometheus.exporter.unix.localhost/metrics",
    )
    .unwrap();
    assert_eq!(status, 200);
    let only_ntp = |f: &BTreeMap<String, (String, BTreeSet<String>)>| {
        f.iter()
            .filter(|(n, _)| n.starts_with("node_ntp_"))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let (theirs, ours) = (
        only_ntp(&families(&theirs_body)),
        only_ntp(&families(&ours_body)),
    );
    assert_eq!(ours, theirs, "ingot:\n{ours_body}");
    assert_eq!(ours.len(), 8);
    assert!(ours_body.contains("node_scrape_collector_success{collector=\"ntp\"} 1"));
    for name in [
        "node_ntp_stratum",
        "node_ntp_leap",
        "node_ntp_root_delay_seconds",
        "node_ntp_root_dispersion_seconds",
        "node_ntp_sanity",
    ] {
        assert_eq!(
            sample(&ours_body, name),
            sample(&theirs_body, name),
            "{name}\ningot:\n{ours_body}\nnode_exporter:\n{theirs_body}"
        );
    }
    assert_eq!(sample(&ours_body, "node_ntp_stratum"), Some(8.0));
    assert_eq!(sample(&ours_body, "node_ntp_sanity"), Some(1.0));
    for name in ["node_ntp_rtt_seconds", "node_ntp_offset_seconds"] {
        let v = sample(&ours_body, name).unwrap();
        assert!(v.abs() < 0.1, "{name} {v}");
    }
    // chronyd's reference time is when it last updated its (local) reference: within a minute.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let reftime = sample(&ours_body, "node_ntp_reference_timestamp_seconds").unwrap();
    assert!(
        (now - reftime).abs() < 120.0,
        "reference time {reftime}, now {now}"
    );
}

/// With nothing serving NTP, the collector fails with the cause and the others keep going.
#[test]
fn ntp_without_a_server_fails_with_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let ingot_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let config = dir.path().join("ntp.alloy");
    // ::1 rather than 127.0.0.1, where the other test's chronyd may be answering.
    std::fs::write(
        &config,
        "prometheus.exporter.unix \"localhost\" {\n  set_collectors = [\"ntp\", \"loadavg\"]\n  ntp {\n    server = \"::1\"\n  }\n}\n",
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ingot"));
    cmd.args([
        "run",
        &format!("--server.http.listen-addr={ingot_addr}"),
        &format!("--storage.path={}", dir.path().join("data").display()),
        config.to_str().unwrap(),
    ]);
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(ingot_addr, Duration::from_secs(10));
    let (status, body) = http_get(
        ingot_addr,
        "/api/v0/component/prometheus.exporter.unix.localhost/metrics",
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(
        body.contains("node_scrape_collector_success{collector=\"ntp\"} 0"),
        "{body}"
    );
    assert!(
        body.contains("node_scrape_collector_success{collector=\"loadavg\"} 1"),
        "{body}"
    );
    let (_, health) = http_get(
        ingot_addr,
        "/api/v0/web/components/prometheus.exporter.unix.localhost",
    )
    .unwrap();
    assert!(
        health.contains("collector ntp failed: couldn't get SNTP reply: "),
        "{health}"
    );
}

/// runsvdir supervising a service directory: one service running, one held down.
struct Runsvdir {
    peer: Peer,
    dir: tempfile::TempDir,
}

impl Runsvdir {
    fn start() -> Runsvdir {
        let runsvdir = require_binary("runsvdir", "runit");
        let dir = tempfile::tempdir().unwrap();
        for (name, down) in [("sleeper", false), ("held", true)] {
            let service = dir.path().join(name);
            std::fs::create_dir(&service).unwrap();
            let run = service.join("run");
            std::fs::write(&run, "#!/bin/sh\nexec sleep 60\n").unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
            if down {
                std::fs::write(service.join("down"), "").unwrap();
            }
        }
        // Not a service: a plain file beside them.
        std::fs::write(dir.path().join("README"), "not a service\n").unwrap();
        let mut cmd = Command::new(runsvdir);
        cmd.arg(dir.path());
        let mut peer = Peer::spawn("runsvdir", cmd, tempfile::tempdir().unwrap());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let running = |d: &Path| {
            std::fs::read(d.join("sleeper/supervise/status"))
                .is_ok_and(|s| s.len() == 20 && s[19] == 1)
                && std::fs::read(d.join("held/supervise/status")).is_ok_and(|s| s.len() == 20)
        };
        while !running(dir.path()) {
            assert!(
                peer.is_running() && std::time::Instant::now() < deadline,
                "runsv did not start the services:\n{}",
                peer.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Runsvdir { peer, dir }
    }
}

impl Drop for Runsvdir {
    fn drop(&mut self) {
        // SIGHUP: runsvdir tells every runsv to stop its service and exit, then exits.
        self.peer.signal(1);
        let _ = self.peer.wait_exit(Duration::from_secs(10));
    }
}

/// The runit collector (and Alloy's runit block) beside Debian's node_exporter on the same service
/// directory: the same samples, from runsv's status files.
#[test]
fn runit_matches_node_exporter() {
    let services = Runsvdir::start();
    let service_dir = services.dir.path().display().to_string();

    let node_exporter = require_binary("prometheus-node-exporter", "prometheus-node-exporter");
    let node_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(node_exporter);
    cmd.arg(format!("--web.listen-address={node_addr}"))
        .args(["--collector.disable-defaults", "--collector.runit"])
        .arg(format!("--collector.runit.servicedir={service_dir}"));
    let mut node = Peer::spawn("node_exporter", cmd, tempfile::tempdir().unwrap());
    node.wait_for_port(node_addr, Duration::from_secs(10));

    let dir = tempfile::tempdir().unwrap();
    let ingot_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let config = dir.path().join("runit.alloy");
    std::fs::write(
        &config,
        format!(
            "prometheus.exporter.unix \"localhost\" {{\n  set_collectors = [\"runit\"]\n  runit {{\n    service_dir = {service_dir:?}\n  }}\n}}\n"
        ),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ingot"));
    cmd.args([
        "run",
        &format!("--server.http.listen-addr={ingot_addr}"),
        &format!("--storage.path={}", dir.path().join("data").display()),
        config.to_str().unwrap(),
    ]);
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(ingot_addr, Duration::from_secs(10));

    let (_, theirs) = http_get(node_addr, "/metrics").unwrap();
    let (_, ours) = http_get(
        ingot_addr,
        "/api/v0/component/prometheus.exporter.unix.localhost/metrics",
    )
    .unwrap();
    let service_lines = |body: &str| -> Vec<String> {
        body.lines()
            .filter(|l| l.contains("node_service_"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        service_lines(&ours),
        service_lines(&theirs),
        "ingot:\n{ours}"
    );
    assert!(ours.contains("node_service_state{service=\"sleeper\",supervisor=\"runit\"} 1\n"));
    assert!(ours.contains("node_service_desired_state{service=\"held\",supervisor=\"runit\"} 0\n"));
    assert!(ours.contains("node_scrape_collector_success{collector=\"runit\"} 1"));
}

/// A supervisord stopped with SIGTERM (so that it stops its programs) when dropped.
struct Supervisord(Peer);

impl Drop for Supervisord {
    fn drop(&mut self) {
        if self.0.is_running() {
            self.0.signal(15);
            let _ = self.0.wait_exit(Duration::from_secs(20));
        }
    }
}

/// supervisord with its XML-RPC interface on a loopback port and a unix socket: one program
/// running, one that exited with status 3.
fn start_supervisord(dir: &Path, port: u16) -> Supervisord {
    let supervisord = require_binary("supervisord", "supervisor");
    let d = dir.display();
    std::fs::write(
        dir.join("supervisord.conf"),
        format!(
            "[supervisord]\nnodaemon=true\nuser=root\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\n\
             [inet_http_server]\nport=127.0.0.1:{port}\n\
             [unix_http_server]\nfile={d}/supervisor.sock\n\
             [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
             [program:sleeper]\ncommand=sleep 60\n\
             [program:quitter]\ncommand=/bin/sh -c \"exit 3\"\nautorestart=false\nstartsecs=0\n"
        ),
    )
    .unwrap();
    let mut cmd = Command::new(supervisord);
    cmd.arg("-c").arg(dir.join("supervisord.conf"));
    let mut supervisord = Supervisord(Peer::spawn(
        "supervisord",
        cmd,
        tempfile::tempdir().unwrap(),
    ));
    let peer = &mut supervisord.0;
    peer.wait_for_port(
        format!("127.0.0.1:{port}").parse().unwrap(),
        Duration::from_secs(20),
    );
    // Both programs settled: sleeper RUNNING, quitter EXITED (supervisord logs each change).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let log = peer.log();
        if log.contains("success: sleeper entered RUNNING state") && log.contains("exited: quitter")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "supervisord did not settle:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    supervisord
}

/// The supervisord collector (and Alloy's supervisord block) beside Debian's node_exporter on the same
/// supervisord: the same samples over HTTP, and the same over its unix socket.
#[test]
fn supervisord_matches_node_exporter() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut supervisord = start_supervisord(dir.path(), port);
    let url = format!("http://127.0.0.1:{port}/RPC2");
    let socket_url = format!("unix://{}/supervisor.sock", dir.path().display());

    let node_exporter = require_binary("prometheus-node-exporter", "prometheus-node-exporter");
    let node_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(node_exporter);
    cmd.arg(format!("--web.listen-address={node_addr}"))
        .args(["--collector.disable-defaults", "--collector.supervisord"])
        .arg(format!("--collector.supervisord.url={url}"));
    let mut node = Peer::spawn("node_exporter", cmd, tempfile::tempdir().unwrap());
    node.wait_for_port(node_addr, Duration::from_secs(10));

    let ingot_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let config = dir.path().join("supervisord.alloy");
    std::fs::write(
        &config,
        format!(
            "prometheus.exporter.unix \"http\" {{\n  set_collectors = [\"supervisord\"]\n  supervisord {{\n    url = {url:?}\n  }}\n}}\n\
             prometheus.exporter.unix \"socket\" {{\n  set_collectors = [\"supervisord\"]\n  supervisord {{\n    url = {socket_url:?}\n  }}\n}}\n"
        ),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ingot"));
    cmd.args([
        "run",
        &format!("--server.http.listen-addr={ingot_addr}"),
        &format!("--storage.path={}", dir.path().join("data").display()),
        config.to_str().unwrap(),
    ]);
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(ingot_addr, Duration::from_secs(10));

    let supervisord_lines = |body: &str| -> Vec<String> {
        body.lines()
            .filter(|l| l.contains("node_supervisord_"))
            .map(str::to_owned)
            .collect()
    };
    let (_, theirs) = http_get(node_addr, "/metrics").unwrap();
    for id in ["http", "socket"] {
        let (_, ours) = http_get(
            ingot_addr,
            &format!("/api/v0/component/prometheus.exporter.unix.{id}/metrics"),
        )
        .unwrap();
        assert_eq!(
            supervisord_lines(&ours),
            supervisord_lines(&theirs),
            "{id}: ingot:\n{ours}"
        );
        assert!(
            ours.contains("node_supervisord_exit_status{group=\"quitter\",name=\"quitter\"} 3\n"),
            "{ours}"
        );
        assert!(
            ours.contains("node_supervisord_up{group=\"sleeper\",name=\"sleeper\"} 1\n"),
            "{ours}"
        );
        assert!(ours.contains("node_scrape_collector_success{collector=\"supervisord\"} 1"));
    }

    // supervisord gone: the collector fails with the cause, in health.
    supervisord.0.signal(15);
    let _ = supervisord.0.wait_exit(Duration::from_secs(20));
    let (_, ours) = http_get(
        ingot_addr,
        "/api/v0/component/prometheus.exporter.unix.http/metrics",
    )
    .unwrap();
    assert!(
        ours.contains("node_scrape_collector_success{collector=\"supervisord\"} 0"),
        "{ours}"
    );
    let (_, health) = http_get(
        ingot_addr,
        "/api/v0/web/components/prometheus.exporter.unix.http",
    )
    .unwrap();
    assert!(
        health.contains(&format!(
            "collector supervisord failed: unable to call supervisord: Post \\\"{url}\\\": dial tcp 127.0.0.1:{port}: connect: connection refused"
        )),
        "{health}"
    );
}
