//! The collectors upstream's e2e fixtures do not pin (filesystem, netdev, uname, the clock and
//! zone of time), checked against fixtures built here and against the host itself.

use std::path::Path;
use std::process::Command;

use ingot_prometheus::exporter::unix::{FilesystemConfig, NetdevConfig, UnixConfig, UnixExporter};
use pretty_assertions::assert_eq;

fn write(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

fn gather(config: &UnixConfig) -> String {
    let mut exporter = UnixExporter::new(config).unwrap();
    let mut out = Vec::new();
    let errors = exporter.gather_into(&mut out).to_vec();
    assert!(errors.is_empty(), "{errors:?}");
    String::from_utf8(out).unwrap()
}

/// The sample lines of family `name`.
fn samples<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .collect()
}

fn only(collector: &str) -> Vec<String> {
    vec![collector.to_owned()]
}

#[test]
fn filesystem_reads_mountinfo_and_statfs_under_rootfs() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let rootfs = root.join("rootfs");
    for dir in ["data", "ro", "with space", "data2"] {
        std::fs::create_dir_all(rootfs.join(dir)).unwrap();
    }
    let rootfs_text = rootfs.to_str().unwrap();
    write(
        root,
        "proc/1/mountinfo",
        &format!(
            "1 0 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n\
             2 1 0:40 / /data rw,nosuid shared:5 - tmpfs tmpfs rw,size=4k\n\
             3 1 8:17 / /ro ro,relatime - xfs /dev/sdb1 rw\n\
             4 1 8:33 / /missing rw - ext4 /dev/sdc1 rw\n\
             5 1 0:5 / /proc rw - proc proc rw\n\
             6 1 8:49 / /with\\040space rw - ext4 /dev/sdd1 rw\n\
             7 1 7:0 / /sq rw - squashfs /dev/loop0 ro\n\
             8 1 8:65 / {rootfs_text}/data2 rw - ext4 /dev/sde1 rw\n\
             9 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
        ),
    );
    let config = UnixConfig {
        procfs_path: root.join("proc"),
        rootfs_path: rootfs.clone(),
        set_collectors: only("filesystem"),
        ..UnixConfig::default()
    };
    let text = gather(&config);

    // Each reported mount, with what statfs says about the directory under the rootfs.
    let mounts = [
        ("/dev/vda", "/", "ext4", "", "254", "0"),
        ("tmpfs", "/data", "tmpfs", "data", "0", "40"),
        ("/dev/sdb1", "/ro", "xfs", "ro", "8", "17"),
        ("/dev/sdd1", "/with space", "ext4", "with space", "8", "49"),
        ("/dev/sde1", "/data2", "ext4", "data2", "8", "65"),
    ];
    let mut want_size = Vec::new();
    let mut want_files = Vec::new();
    let mut want_info = Vec::new();
    let mut want_error = Vec::new();
    let mut want_readonly = Vec::new();
    let mut want_purgeable = Vec::new();
    for (device, mount_point, fs_type, dir, major, minor) in mounts {
        let st = ingot_hostfs::sys::statfs(&rootfs.join(dir)).unwrap();
        let labels = format!("device=\"{device}\",device_error=\"\",fstype=\"{fs_type}\",mountpoint=\"{mount_point}\"");
        let mut size = Vec::new();
        ingot_prom::exposition::go_float::write_sample_value(
            &mut size,
            st.blocks as f64 * st.block_size as f64,
        );
        want_size.push(format!(
            "node_filesystem_size_bytes{{{labels}}} {}",
            String::from_utf8(size).unwrap()
        ));
        let mut files = Vec::new();
        ingot_prom::exposition::go_float::write_sample_value(&mut files, st.files as f64);
        want_files.push(format!(
            "node_filesystem_files{{{labels}}} {}",
            String::from_utf8(files).unwrap()
        ));
        want_info.push(format!(
            "node_filesystem_mount_info{{device=\"{device}\",major=\"{major}\",minor=\"{minor}\",mountpoint=\"{mount_point}\"}} 1"
        ));
        want_error.push(format!("node_filesystem_device_error{{{labels}}} 0"));
        want_purgeable.push(format!("node_filesystem_purgeable_bytes{{{labels}}} 0"));
        let ro = if mount_point == "/ro" { 1 } else { 0 };
        want_readonly.push(format!("node_filesystem_readonly{{{labels}}} {ro}"));
    }
    let missing = "device=\"/dev/sdc1\",device_error=\"no such file or directory\",fstype=\"ext4\",mountpoint=\"/missing\"";
    want_error.push(format!("node_filesystem_device_error{{{missing}}} 1"));
    want_readonly.push(format!("node_filesystem_readonly{{{missing}}} 0"));
    for want in [
        &mut want_size,
        &mut want_files,
        &mut want_info,
        &mut want_error,
        &mut want_readonly,
        &mut want_purgeable,
    ] {
        want.sort();
    }
    assert_eq!(samples(&text, "node_filesystem_size_bytes"), want_size);
    assert_eq!(samples(&text, "node_filesystem_files"), want_files);
    assert_eq!(samples(&text, "node_filesystem_mount_info"), want_info);
    assert_eq!(samples(&text, "node_filesystem_device_error"), want_error);
    assert_eq!(samples(&text, "node_filesystem_readonly"), want_readonly);
    // Only mounts that could be stat'ed, as node_exporter 1.12 does.
    assert_eq!(
        samples(&text, "node_filesystem_purgeable_bytes"),
        want_purgeable
    );
    // Free space moves while we look; the series must be the same ones as for size.
    for family in [
        "node_filesystem_free_bytes",
        "node_filesystem_avail_bytes",
        "node_filesystem_files_free",
    ] {
        let series: Vec<&str> = samples(&text, family)
            .iter()
            .map(|l| l.rsplit_once(' ').unwrap().0)
            .collect();
        let want: Vec<String> = want_size
            .iter()
            .map(|l| {
                l.rsplit_once(' ')
                    .unwrap()
                    .0
                    .replace("node_filesystem_size_bytes", family)
            })
            .collect();
        assert_eq!(series, want, "{family}");
    }
    assert!(text.contains(
        "# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.\n\
         # TYPE node_filesystem_avail_bytes gauge\n"
    ));
}

#[test]
fn filesystem_falls_back_to_self_mountinfo_and_honours_excludes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        root,
        "proc/self/mountinfo",
        "1 0 254:0 / / rw - ext4 /dev/vda rw\n2 1 0:9 / /keep rw - ext4 /dev/x rw\n",
    );
    let config = UnixConfig {
        procfs_path: root.join("proc"),
        rootfs_path: root.to_owned(),
        set_collectors: only("filesystem"),
        filesystem: FilesystemConfig {
            mount_points_exclude: "^/$".to_owned(),
            fs_types_exclude: String::new(),
            ..FilesystemConfig::default()
        },
        ..UnixConfig::default()
    };
    let text = gather(&config);
    let errors = samples(&text, "node_filesystem_device_error");
    assert_eq!(
        errors,
        ["node_filesystem_device_error{device=\"/dev/x\",device_error=\"no such file or directory\",fstype=\"ext4\",mountpoint=\"/keep\"} 1"]
    );
}

#[test]
fn filesystem_without_mountinfo_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let config = UnixConfig {
        procfs_path: tmp.path().join("proc"),
        set_collectors: only("filesystem"),
        ..UnixConfig::default()
    };
    let mut exporter = UnixExporter::new(&config).unwrap();
    let errors = exporter.gather().to_vec();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .to_string()
            .starts_with("collector filesystem failed: open "),
        "{}",
        errors[0]
    );
    assert!(
        errors[0]
            .message
            .ends_with("proc/self/mountinfo: no such file or directory"),
        "{}",
        errors[0]
    );
}

const NET_DEV: &str = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 1664039048 1566805    0    0    0     0          0         0 1664039048 1566805    0    0    0     0       0          0
  eth0:68210035552 520993275    1    2    3     4          5         6 9315587528 43451486    7    8    9    10      11         12
docker0:       0       0    0    0    0     0          0         0  1000000       9    0    0    0     0       0          0
";

fn netdev_config(root: &Path, netdev: NetdevConfig) -> UnixConfig {
    UnixConfig {
        procfs_path: root.join("proc"),
        set_collectors: only("netdev"),
        netdev,
        ..UnixConfig::default()
    }
}

#[test]
fn netdev_counters_with_include() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "proc/net/dev", NET_DEV);
    let text = gather(&netdev_config(
        tmp.path(),
        NetdevConfig {
            device_include: "^(lo|eth0)$".to_owned(),
            ..NetdevConfig::default()
        },
    ));
    let families: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE node_network_"))
        .map(|l| l.strip_suffix(" counter").unwrap())
        .collect();
    assert_eq!(
        families,
        [
            "receive_bytes_total",
            "receive_compressed_total",
            "receive_drop_total",
            "receive_errs_total",
            "receive_fifo_total",
            "receive_frame_total",
            "receive_multicast_total",
            "receive_packets_total",
            "transmit_bytes_total",
            "transmit_carrier_total",
            "transmit_colls_total",
            "transmit_compressed_total",
            "transmit_drop_total",
            "transmit_errs_total",
            "transmit_fifo_total",
            "transmit_packets_total",
        ]
    );
    let expected_eth0 = [
        ("receive_bytes", "6.8210035552e+10"),
        ("receive_packets", "5.20993275e+08"),
        ("receive_errs", "1"),
        ("receive_drop", "2"),
        ("receive_fifo", "3"),
        ("receive_frame", "4"),
        ("receive_compressed", "5"),
        ("receive_multicast", "6"),
        ("transmit_bytes", "9.315587528e+09"),
        ("transmit_packets", "4.3451486e+07"),
        ("transmit_errs", "7"),
        ("transmit_drop", "8"),
        ("transmit_fifo", "9"),
        ("transmit_colls", "10"),
        ("transmit_carrier", "11"),
        ("transmit_compressed", "12"),
    ];
    for (key, value) in expected_eth0 {
        let name = format!("node_network_{key}_total");
        let lines = samples(&text, &name);
        assert_eq!(lines.len(), 2, "{name}");
        assert_eq!(lines[0], format!("{name}{{device=\"eth0\"}} {value}"));
        assert!(lines[1].starts_with(&format!("{name}{{device=\"lo\"}} ")));
    }
    assert!(text.contains(
        "# HELP node_network_receive_drop_total Network device statistic receive_drop.\n\
         # TYPE node_network_receive_drop_total counter\n\
         node_network_receive_drop_total{device=\"eth0\"} 2\n\
         node_network_receive_drop_total{device=\"lo\"} 0\n"
    ));
    assert!(!text.contains("docker0"));
}

#[test]
fn netdev_exclude_and_parse_errors() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "proc/net/dev", NET_DEV);
    let text = gather(&netdev_config(
        tmp.path(),
        NetdevConfig {
            device_exclude: "^lo$".to_owned(),
            ..NetdevConfig::default()
        },
    ));
    assert_eq!(
        samples(&text, "node_network_transmit_bytes_total"),
        [
            "node_network_transmit_bytes_total{device=\"docker0\"} 1e+06",
            "node_network_transmit_bytes_total{device=\"eth0\"} 9.315587528e+09"
        ]
    );

    write(tmp.path(), "proc/net/dev", "h\nh\n  eth0: 1 2 3\n");
    let mut exporter =
        UnixExporter::new(&netdev_config(tmp.path(), NetdevConfig::default())).unwrap();
    let errors = exporter.gather().to_vec();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .message
            .starts_with("couldn't get netstats: failed to parse /proc/net/dev: "),
        "{}",
        errors[0]
    );
}

#[test]
fn netdev_address_info_lists_loopback() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "proc/net/dev", NET_DEV);
    let text = gather(&netdev_config(
        tmp.path(),
        NetdevConfig {
            address_info: true,
            device_include: "^lo$".to_owned(),
            ..NetdevConfig::default()
        },
    ));
    let lines = samples(&text, "node_network_address_info");
    assert!(
        lines.contains(&"node_network_address_info{address=\"127.0.0.1\",device=\"lo\",netmask=\"8\",scope=\"link-local\"} 1"),
        "{lines:?}"
    );
    assert!(
        lines.iter().all(|l| l.contains("device=\"lo\"")),
        "{lines:?}"
    );
}

fn command(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect("run uname");
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end_matches('\n')
        .to_owned()
}

#[test]
fn uname_matches_the_uname_command() {
    let text = gather(&UnixConfig {
        set_collectors: only("uname"),
        ..UnixConfig::default()
    });
    let domainname = std::fs::read_to_string("/proc/sys/kernel/domainname").unwrap();
    let expected = format!(
        "# HELP node_uname_info Labeled system information as provided by the uname system call.\n\
         # TYPE node_uname_info gauge\n\
         node_uname_info{{domainname=\"{}\",machine=\"{}\",nodename=\"{}\",release=\"{}\",sysname=\"{}\",version=\"{}\"}} 1\n",
        domainname.trim_end(),
        command(&["uname", "-m"]),
        command(&["uname", "-n"]),
        command(&["uname", "-r"]),
        command(&["uname", "-s"]),
        command(&["uname", "-v"]),
    );
    assert_eq!(samples(&text, "node_uname_info").len(), 1);
    assert!(text.contains(&expected), "{text}");
}

#[test]
fn time_reports_the_clock_and_clocksources_by_position() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    for (dir, available, current) in [
        ("clocksource0", "tsc hpet acpi_pm", "tsc"),
        ("clocksource1", "kvm-clock", "kvm-clock"),
        ("clocksource10", "jiffies", "jiffies"),
    ] {
        write(
            root,
            &format!("sys/devices/system/clocksource/{dir}/available_clocksource"),
            &format!("{available} \n"),
        );
        write(
            root,
            &format!("sys/devices/system/clocksource/{dir}/current_clocksource"),
            &format!("{current}\n"),
        );
    }
    let config = UnixConfig {
        sysfs_path: root.join("sys"),
        set_collectors: only("time"),
        ..UnixConfig::default()
    };
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let text = gather(&config);
    let after = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();

    let now_line = samples(&text, "node_time_seconds");
    assert_eq!(now_line.len(), 1);
    let now: f64 = now_line[0].rsplit_once(' ').unwrap().1.parse().unwrap();
    assert!(
        before - 0.001 <= now && now <= after + 0.001,
        "{before} <= {now} <= {after}"
    );
    assert!(
        now_line[0].contains("e+09"),
        "Go prints epoch seconds in exponent form: {}",
        now_line[0]
    );

    // The device label is the position in Go's glob order (clocksource0, clocksource1,
    // clocksource10), not the number in the directory name.
    assert_eq!(
        samples(&text, "node_time_clocksource_available_info"),
        [
            "node_time_clocksource_available_info{clocksource=\"acpi_pm\",device=\"0\"} 1",
            "node_time_clocksource_available_info{clocksource=\"hpet\",device=\"0\"} 1",
            "node_time_clocksource_available_info{clocksource=\"jiffies\",device=\"2\"} 1",
            "node_time_clocksource_available_info{clocksource=\"kvm-clock\",device=\"1\"} 1",
            "node_time_clocksource_available_info{clocksource=\"tsc\",device=\"0\"} 1",
        ]
    );
    assert_eq!(
        samples(&text, "node_time_clocksource_current_info"),
        [
            "node_time_clocksource_current_info{clocksource=\"jiffies\",device=\"2\"} 1",
            "node_time_clocksource_current_info{clocksource=\"kvm-clock\",device=\"1\"} 1",
            "node_time_clocksource_current_info{clocksource=\"tsc\",device=\"0\"} 1",
        ]
    );

    // The zone as `date` sees it (same TZ and /etc/localtime).
    let zone = command(&["date", "+%Z"]);
    let offset = command(&["date", "+%z"]);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let hours: i64 = offset[1..3].parse().unwrap();
    let minutes: i64 = offset[3..5].parse().unwrap();
    let seconds = sign * (hours * 3600 + minutes * 60);
    assert_eq!(
        samples(&text, "node_time_zone_offset_seconds"),
        [format!(
            "node_time_zone_offset_seconds{{time_zone=\"{zone}\"}} {seconds}"
        )]
    );
}

#[test]
fn include_exporter_metrics_adds_the_promhttp_handler_families_after_node_ones() {
    // Served whatever include_exporter_metrics says, as Alloy's handler does.
    const ERRORS: &str = "# HELP promhttp_metric_handler_errors_total Total number of internal errors encountered by the promhttp metric handler.\n\
        # TYPE promhttp_metric_handler_errors_total counter\n\
        promhttp_metric_handler_errors_total{cause=\"encoding\"} 0\n\
        promhttp_metric_handler_errors_total{cause=\"gathering\"} 0\n";
    use ingot_runtime::controller::{Controller, Options};
    let c = Controller::new(
        std::sync::Arc::new(ingot_runtime::component::Registry::new(vec![
            ingot_runtime::component::Registration::of::<ingot_prometheus::exporter::unix::Component>(
            ),
        ])),
        Options::default(),
    );
    let config = |include: bool| {
        format!(
            "prometheus.exporter.unix \"h\" {{\n  set_collectors = [\"loadavg\"]\n  include_exporter_metrics = {include}\n}}\n"
        )
    };
    let body = |c: &Controller| {
        let r = ingot_testkit::components::get(c, "prometheus.exporter.unix.h/metrics")
            .expect("metrics endpoint");
        String::from_utf8(r.body).unwrap()
    };
    let apply = |c: &Controller, text: &str| {
        let (parsed, diags) = ingot_runtime::source::from_text("main.alloy", text);
        assert!(!diags.has_errors(), "{}", diags.render());
        c.apply(&parsed).map_err(|d| d.render()).unwrap();
    };
    apply(&c, &config(true));
    let first = body(&c);
    let second = body(&c);
    // Alloy's handler instrumentation: this scrape is in flight, the earlier one counted.
    let tail = |n: u64| {
        format!(
            "{ERRORS}# HELP promhttp_metric_handler_requests_in_flight Current number of scrapes being served.\n\
             # TYPE promhttp_metric_handler_requests_in_flight gauge\n\
             promhttp_metric_handler_requests_in_flight 1\n\
             # HELP promhttp_metric_handler_requests_total Total number of scrapes by HTTP status code.\n\
             # TYPE promhttp_metric_handler_requests_total counter\n\
             promhttp_metric_handler_requests_total{{code=\"200\"}} {n}\n\
             promhttp_metric_handler_requests_total{{code=\"500\"}} 0\n\
             promhttp_metric_handler_requests_total{{code=\"503\"}} 0\n"
        )
    };
    assert!(first.ends_with(&tail(0)), "{first}");
    assert!(second.ends_with(&tail(1)), "{second}");
    assert!(first.starts_with("# HELP node_load1 "), "{first}");
    apply(&c, &config(false));
    let without = body(&c);
    assert!(without.ends_with(ERRORS), "{without}");
    assert!(!without.contains("promhttp_metric_handler_requests"));
}

/// A config that names collectors ingot lacks loads, and the component's health (and log) names
/// them. Blocks are checked against Alloy's schema, a block of a collector that does not run
/// configures it for when it does, and a name no collector has is an error at its place. (Alloy's
/// integration test config, with `textfile` and `arp { netlink = true }`, runs as configured.)
#[test]
fn collectors_and_blocks_ingot_lacks_are_named_not_refused() {
    use ingot_runtime::controller::{Controller, Options};
    let c = Controller::new(
        std::sync::Arc::new(ingot_runtime::component::Registry::new(vec![
            ingot_runtime::component::Registration::of::<ingot_prometheus::exporter::unix::Component>(
            ),
        ])),
        Options::default(),
    );
    let apply = |text: &str| {
        let (parsed, diags) = ingot_runtime::source::from_text("main.alloy", text);
        assert!(!diags.has_errors(), "{}", diags.render());
        c.apply(&parsed).map_err(|d| d.render())
    };
    let textfiles = tempfile::tempdir().unwrap();
    apply(&format!(
        "prometheus.exporter.unix \"h\" {{\n  set_collectors = [\"loadavg\", \"textfile\", \"devstat\"]\n  textfile {{\n    directory = {:?}\n  }}\n  arp {{\n    netlink = true\n  }}\n  ntp {{\n    server = \"10.0.0.1\"\n  }}\n}}\n",
        textfiles.path().display().to_string()
    ))
    .unwrap();
    let health = c.component("prometheus.exporter.unix.h").unwrap().health;
    let want = "collectors devstat do not exist on Linux";
    assert!(
        health.message.contains(want),
        "{want:?} missing: {}",
        health.message
    );
    // After a scrape the health still says so.
    let _ = ingot_testkit::components::get(&c, "prometheus.exporter.unix.h/metrics");
    let health = c.component("prometheus.exporter.unix.h").unwrap().health;
    assert!(health.message.contains(want), "{}", health.message);
    for implemented in [
        "arp block",
        "textfile block",
        "textfile are not",
        "ntp",
        "no effect",
    ] {
        assert!(
            !health.message.contains(implemented),
            "{implemented}: {}",
            health.message
        );
    }

    let err =
        apply("prometheus.exporter.unix \"h\" {\n  arp {\n    bogus = 1\n  }\n}\n").unwrap_err();
    assert!(
        err.contains("main.alloy:3:5") && err.contains("bogus"),
        "{err}"
    );
    let err = apply("prometheus.exporter.unix \"h\" {\n  ntp {\n    ip_ttl = \"one\"\n  }\n}\n")
        .unwrap_err();
    assert!(err.contains("main.alloy:3:14"), "{err}");
    // The ntp block's server, once the collector runs: node_exporter's refusal of a remote server.
    let err = apply(
        "prometheus.exporter.unix \"n\" {\n  set_collectors = [\"ntp\"]\n  ntp {\n    server = \"10.0.0.1\"\n  }\n}\n",
    )
    .unwrap_err();
    assert!(
        err.contains("only IP address of local NTP server is valid for --collector.ntp.server"),
        "{err}"
    );
    let err = apply("prometheus.exporter.unix \"h\" {\n  enable_collectors = [\"cpuu\"]\n}\n")
        .unwrap_err();
    assert!(err.contains("unknown collector \"cpuu\""), "{err}");
}
