//! Debian's node_exporter and ingot, side by side on this host with the same collectors: the metric families,
//! their types and their label names match, except for the differences listed here, each with its reason
//! (Debian ships node_exporter 1.5.0; ingot follows upstream 1.12 as Alloy embeds it).

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use ingot_testkit::{free_port, http_get, require_binary, Peer};

const COLLECTORS: [&str; 10] = [
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
];

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
    out.retain(|name, _| name.starts_with("node_"));
    out
}

#[test]
fn families_types_and_label_names_match_node_exporter() {
    let node_exporter = require_binary("prometheus-node-exporter", "prometheus-node-exporter");
    let node_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(node_exporter);
    cmd.arg(format!("--web.listen-address={node_addr}"))
        .arg("--collector.disable-defaults");
    for c in COLLECTORS {
        cmd.arg(format!("--collector.{c}"));
    }
    // Upstream's defaults rather than Debian's patched ones, as Alloy uses upstream's.
    cmd.arg("--collector.netdev.device-exclude=^$");
    let mut node = Peer::spawn("node_exporter", cmd, tempfile::tempdir().unwrap());
    node.wait_for_port(node_addr, Duration::from_secs(10));

    let ingot_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ingot"));
    cmd.args([
        "run",
        &format!("--server.http.listen-addr={ingot_addr}"),
        &format!("--storage.path={}", data.path().display()),
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/host-pull.alloy"
        ),
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
    // The comparison is only meaningful if both sides produced the core host families.
    for core in [
        "node_cpu_seconds_total",
        "node_memory_MemTotal_bytes",
        "node_load1",
        "node_uname_info",
        "node_time_seconds",
    ] {
        assert!(
            ours.contains_key(core) && theirs.contains_key(core),
            "{core} missing"
        );
    }
}
