//! Debian's node_exporter and ingot, side by side on this host with the same collectors: the metric families,
//! their types and their label names match, except for the differences listed here, each with its reason
//! (Debian ships node_exporter 1.5.0; ingot follows upstream 1.12 as Alloy embeds it).

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
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
    ("node_exporter_build_info", "ingot does not pretend to be node_exporter (Alloy issue 4330)"),
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
