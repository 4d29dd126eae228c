//! The /proc collectors and the textfile collector, on fixtures built here: what upstream's e2e
//! fixtures do not show (files that change between scrapes, sources that are absent on a normal host,
//! health when a source breaks).

use std::path::Path;

use ingot_prometheus::exporter::unix::{UnixConfig, UnixExporter};
use ingot_runtime::controller::{Controller, Options};

fn write(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
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

fn controller() -> std::sync::Arc<Controller> {
    Controller::new(
        std::sync::Arc::new(ingot_runtime::component::Registry::new(vec![
            ingot_runtime::component::Registration::of::<ingot_prometheus::exporter::unix::Component>(
            ),
        ])),
        Options::default(),
    )
}

fn apply(c: &Controller, text: &str) {
    let (parsed, diags) = ingot_runtime::source::from_text("main.alloy", text);
    assert!(!diags.has_errors(), "{}", diags.render());
    c.apply(&parsed).map_err(|d| d.render()).unwrap();
}

/// One scrape of the component: its body, and its health afterwards.
fn scrape(c: &Controller) -> (String, bool, String) {
    let response = ingot_testkit::components::get(c, "prometheus.exporter.unix.h/metrics")
        .expect("the component serves metrics");
    let body = String::from_utf8(response.body).unwrap();
    let health = c.component("prometheus.exporter.unix.h").unwrap().health;
    let healthy = health.state == ingot_runtime::health::HealthState::Healthy;
    (body, healthy, health.message)
}

#[test]
fn textfiles_appear_change_break_and_vanish_between_scrapes() {
    let dir = tempfile::tempdir().unwrap();
    let c = controller();
    apply(
        &c,
        &format!(
            "prometheus.exporter.unix \"h\" {{\n  set_collectors = [\"textfile\"]\n  textfile {{\n    directory = {:?}\n  }}\n}}\n",
            dir.path().display().to_string()
        ),
    );
    let (body, healthy, _) = scrape(&c);
    assert!(healthy);
    assert_eq!(
        samples(&body, "node_textfile_scrape_error"),
        ["node_textfile_scrape_error 0"]
    );
    assert!(
        samples(&body, "node_textfile_mtime_seconds").is_empty(),
        "{body}"
    );

    // A file appears; others without the suffix are ignored.
    write(dir.path(), "app.prom", "# HELP jobs_done Jobs done.\n# TYPE jobs_done counter\njobs_done{queue=\"a\"} 3\njobs_done 1\n");
    write(dir.path(), "notes.txt", "not metrics\n");
    let (body, healthy, _) = scrape(&c);
    assert!(healthy);
    assert!(
        body.contains("# HELP jobs_done Jobs done.\n# TYPE jobs_done counter\njobs_done{queue=\"\"} 1\njobs_done{queue=\"a\"} 3\n"),
        "{body}"
    );
    let path = dir.path().join("app.prom");
    let mtime = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(&path).unwrap().mtime()
    };
    let mtimes = samples(&body, "node_textfile_mtime_seconds");
    assert_eq!(mtimes.len(), 1, "{body}");
    let (series, value) = mtimes[0].rsplit_once(' ').unwrap();
    assert_eq!(
        series,
        format!("node_textfile_mtime_seconds{{file=\"{}\"}}", path.display())
    );
    assert_eq!(value.parse::<f64>().unwrap(), mtime as f64);
    assert!(body.contains("node_scrape_collector_success{collector=\"textfile\"} 1\n"));

    // It changes: a new label set and a file without HELP.
    write(
        dir.path(),
        "app.prom",
        "# TYPE jobs_done gauge\njobs_done{host=\"x\"} 7\n",
    );
    write(dir.path(), "b.prom", "other_metric 2\n");
    let (body, _, _) = scrape(&c);
    assert!(
        body.contains(&format!(
            "# HELP jobs_done Metric read from {}\n# TYPE jobs_done gauge\njobs_done{{host=\"x\"}} 7\n",
            path.display()
        )),
        "{body}"
    );
    assert!(
        body.contains("# TYPE other_metric untyped\nother_metric 2\n"),
        "{body}"
    );

    // A malformed file: skipped whole, the error metric set, the health naming file and line;
    // the good files are still exported and the collector still succeeds, as upstream's does.
    write(
        dir.path(),
        "broken.prom",
        "fine_metric 1\nbroken_metric{a=\"1\"} not-a-number\n",
    );
    let (body, healthy, message) = scrape(&c);
    assert_eq!(
        samples(&body, "node_textfile_scrape_error"),
        ["node_textfile_scrape_error 1"]
    );
    assert!(!body.contains("fine_metric"), "{body}");
    assert!(body.contains("jobs_done{host=\"x\"} 7\n"));
    assert!(body.contains("node_scrape_collector_success{collector=\"textfile\"} 1\n"));
    assert!(!healthy);
    assert!(message.contains("broken.prom"), "{message}");
    assert!(message.contains("line 2"), "{message}");
    assert_eq!(
        samples(&body, "node_textfile_mtime_seconds").len(),
        2,
        "{body}"
    );

    // Client-side timestamps: the file is skipped, as upstream skips it.
    write(dir.path(), "broken.prom", "stamped 1 1700000000000\n");
    let (body, healthy, message) = scrape(&c);
    assert!(!healthy);
    assert!(message.contains("client-side timestamps"), "{message}");
    assert!(!body.contains("stamped"), "{body}");

    // Fixed, then gone.
    std::fs::remove_file(dir.path().join("broken.prom")).unwrap();
    std::fs::remove_file(dir.path().join("b.prom")).unwrap();
    let (body, healthy, _) = scrape(&c);
    assert!(healthy);
    assert!(!body.contains("other_metric"), "{body}");
    assert_eq!(
        samples(&body, "node_textfile_scrape_error"),
        ["node_textfile_scrape_error 0"]
    );
    std::fs::remove_file(&path).unwrap();
    let (body, healthy, _) = scrape(&c);
    assert!(healthy);
    assert!(!body.contains("jobs_done"), "{body}");
    assert!(
        samples(&body, "node_textfile_mtime_seconds").is_empty(),
        "{body}"
    );

    // A directory that does not exist is an error too (Alloy's default, empty, is not).
    std::fs::remove_dir_all(dir.path()).unwrap();
    let (body, healthy, message) = scrape(&c);
    assert!(!healthy);
    assert!(message.contains("no such file or directory"), "{message}");
    assert_eq!(
        samples(&body, "node_textfile_scrape_error"),
        ["node_textfile_scrape_error 1"]
    );
}

#[test]
fn textfile_merges_files_as_node_exporter_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = &dir.path().join("prom-files");
    // Same family, same help: merged. Different help in a later file: that file's family dropped.
    write(d, "a.prom", "# HELP events_total The same help.\n# TYPE events_total counter\nevents_total{file=\"a\"} 10\n# HELP h Help.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3.5\nh_count 2\n");
    write(d, "b.prom", "# HELP events_total The same help.\n# TYPE events_total counter\nevents_total{file=\"b\"} 30\n# HELP s Summary.\n# TYPE s summary\ns{quantile=\"0.9\"} 4\ns{quantile=\"0.5\"} 2\ns_sum 9\ns_count 3\n");
    write(d, "c.prom", "# HELP events_total A different help.\n# TYPE events_total counter\nevents_total{file=\"c\"} 50\n");
    let config = UnixConfig {
        set_collectors: vec!["textfile".into()],
        // A glob, as node_exporter allows.
        textfile: ingot_prometheus::exporter::unix::TextfileConfig {
            directory: format!("{}/prom-[e-g]*", dir.path().display()),
        },
        ..UnixConfig::default()
    };
    let mut exporter = UnixExporter::new(&config).unwrap();
    let mut out = Vec::new();
    let problems = exporter.gather_into(&mut out).to_vec();
    let body = String::from_utf8(out).unwrap();
    assert!(
        body.contains("# HELP events_total The same help.\n# TYPE events_total counter\nevents_total{file=\"a\"} 10\nevents_total{file=\"b\"} 30\n"),
        "{body}"
    );
    assert!(
        body.contains("h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3.5\nh_count 2\n"),
        "{body}"
    );
    assert!(
        body.contains("s{quantile=\"0.5\"} 2\ns{quantile=\"0.9\"} 4\ns_sum 9\ns_count 3\n"),
        "{body}"
    );
    assert_eq!(
        samples(&body, "node_textfile_scrape_error"),
        ["node_textfile_scrape_error 1"]
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(!problems[0].failed);
    assert!(
        problems[0]
            .message
            .contains("inconsistent metric help text"),
        "{problems:?}"
    );
    assert!(problems[0].message.contains("c.prom"), "{problems:?}");
}

#[test]
fn absent_sources_are_no_data_and_no_failure() {
    let dir = tempfile::tempdir().unwrap();
    let collectors = [
        "conntrack",
        "drbd",
        "ipvs",
        "mdadm",
        "nfs",
        "nfsd",
        "os",
        "pressure",
        "schedstat",
        "udp_queues",
        "zfs",
    ];
    let config = UnixConfig {
        procfs_path: dir.path().join("proc"),
        sysfs_path: dir.path().join("sys"),
        rootfs_path: dir.path().to_owned(),
        set_collectors: collectors
            .iter()
            .chain(&["xfs"])
            .map(|c| (*c).to_owned())
            .collect(),
        ..UnixConfig::default()
    };
    let mut exporter = UnixExporter::new(&config).unwrap();
    let mut out = Vec::new();
    let errors = exporter.gather_into(&mut out).to_vec();
    // node_exporter returns ErrNoData for each: success 0, logged at debug level only.
    assert!(errors.is_empty(), "{errors:?}");
    let body = String::from_utf8(out).unwrap();
    for c in collectors {
        assert!(
            body.contains(&format!(
                "node_scrape_collector_success{{collector=\"{c}\"}} 0\n"
            )),
            "{c}: {body}"
        );
    }
}

#[test]
fn a_broken_source_fails_its_collector_only_and_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let proc = dir.path().join("proc");
    write(&proc, "loadavg", "0.5 0.25 0.125 1/100 42\n");
    write(&proc, "net/sockstat", "sockets: used 5\nTCP: inuse x\n");
    write(&proc, "sys/fs/file-nr", "1024\t0\t2048\n");
    let config = UnixConfig {
        procfs_path: proc.clone(),
        set_collectors: ["sockstat", "loadavg", "filefd", "vmstat", "entropy"]
            .iter()
            .map(|c| (*c).to_owned())
            .collect(),
        ..UnixConfig::default()
    };
    let mut exporter = UnixExporter::new(&config).unwrap();
    let mut out = Vec::new();
    let errors = exporter.gather_into(&mut out).to_vec();
    let body = String::from_utf8(out).unwrap();
    let failed: Vec<&str> = errors.iter().map(|e| e.collector).collect();
    assert_eq!(failed, ["entropy", "sockstat", "vmstat"], "{errors:?}");
    let message = |c: &str| {
        errors
            .iter()
            .find(|e| e.collector == c)
            .unwrap()
            .to_string()
    };
    assert!(
        message("sockstat").contains(&format!("{}", proc.join("net/sockstat").display())),
        "{}",
        message("sockstat")
    );
    assert!(
        message("vmstat").ends_with(&format!(
            "{}: no such file or directory",
            proc.join("vmstat").display()
        )),
        "{}",
        message("vmstat")
    );
    assert!(
        message("entropy").contains("couldn't get entropy_avail"),
        "{}",
        message("entropy")
    );
    // The others report.
    assert!(body.contains("node_load1 0.5\n"));
    assert!(
        body.contains("node_filefd_allocated 1024\nnode_filefd_maximum 2048\n")
            || body.contains("node_filefd_maximum 2048\n")
    );
    assert!(body.contains("node_scrape_collector_success{collector=\"filefd\"} 1\n"));
    assert!(body.contains("node_scrape_collector_success{collector=\"sockstat\"} 0\n"));
}

/// The collectors off by default that read only what every Linux host has, on this host: they succeed,
/// and every PCI device sysfs lists has its `node_pcidevice_info`.
#[test]
fn pcidevice_cpu_vulnerabilities_and_swap_read_this_host() {
    let config = UnixConfig {
        set_collectors: ["pcidevice", "cpu_vulnerabilities", "swap"]
            .iter()
            .map(|c| (*c).to_owned())
            .collect(),
        ..UnixConfig::default()
    };
    let mut exporter = UnixExporter::new(&config).unwrap();
    let mut out = Vec::new();
    let errors = exporter.gather_into(&mut out).to_vec();
    assert!(errors.is_empty(), "{errors:?}");
    let body = String::from_utf8(out).unwrap();
    let listed = std::fs::read_dir("/sys/bus/pci/devices");
    // Without a PCI bus in sysfs, no data (success 0), as node_exporter.
    let has_bus = listed.is_ok();
    let devices: Vec<String> = listed
        .map(|dir| {
            dir.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    for name in &devices {
        // 0000:00:1f.2 → segment="0000",bus="00",device="1f",function="2"
        let (seg, rest) = name.split_once(':').unwrap();
        let (bus, rest) = rest.split_once(':').unwrap();
        let (dev, func) = rest.split_once('.').unwrap();
        let labels = format!("bus=\"{bus}\",class_id=\"0x");
        let found = body.lines().any(|l| {
            l.starts_with("node_pcidevice_info{")
                && l.contains(&labels)
                && l.contains(&format!("segment=\"{seg}\""))
                && l.contains(&format!(",device=\"{dev}\",device_id="))
                && l.contains(&format!(
                    ",function=\"{}\",",
                    u32::from_str_radix(func, 16).unwrap()
                ))
        });
        assert!(found, "{name} has no node_pcidevice_info in\n{body}");
    }
    let success = |c: &str| {
        body.contains(&format!(
            "node_scrape_collector_success{{collector=\"{c}\"}} 1\n"
        ))
    };
    assert!(success("cpu_vulnerabilities") && success("swap"), "{body}");
    assert_eq!(success("pcidevice"), has_bus, "{body}");
}

/// The `qdisc` collector beside iproute2's `tc -s -j qdisc show` (the oracle nobody here wrote): the same
/// root qdiscs by interface and kind, and each counter between `tc`'s reading before and after.
#[test]
fn qdisc_agrees_with_tc() {
    let tc = ingot_testkit::require_binary("tc", "iproute2");
    let read_tc = || -> Vec<serde_json::Value> {
        let out = std::process::Command::new(&tc)
            .args(["-s", "-j", "qdisc", "show"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let all: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        all.into_iter()
            .filter(|q| q["root"].as_bool() == Some(true))
            .collect()
    };
    let before = read_tc();
    let config = UnixConfig {
        set_collectors: vec!["qdisc".into()],
        ..UnixConfig::default()
    };
    let mut exporter = UnixExporter::new(&config).unwrap();
    let mut out = Vec::new();
    let errors = exporter.gather_into(&mut out).to_vec();
    assert!(errors.is_empty(), "{errors:?}");
    let after = read_tc();
    let body = String::from_utf8(out).unwrap();
    assert!(!before.is_empty(), "tc shows no root qdisc");
    let value = |family: &str, dev: &str, kind: &str| -> Option<f64> {
        let prefix = format!("node_qdisc_{family}{{device=\"{dev}\",kind=\"{kind}\"}} ");
        body.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map(|v| v.parse().unwrap())
    };
    let ours = samples(&body, "node_qdisc_bytes_total").len();
    assert_eq!(ours, before.len(), "root qdiscs: tc {before:?}\n{body}");
    for (b, a) in before.iter().zip(&after) {
        let (dev, kind) = (b["dev"].as_str().unwrap(), b["kind"].as_str().unwrap());
        for (family, field) in [
            ("bytes_total", "bytes"),
            ("packets_total", "packets"),
            ("drops_total", "drops"),
            ("requeues_total", "requeues"),
            ("overlimits_total", "overlimits"),
        ] {
            let v = value(family, dev, kind)
                .unwrap_or_else(|| panic!("no node_qdisc_{family} for {dev} {kind}:\n{body}"));
            let (lo, hi) = (b[field].as_f64().unwrap(), a[field].as_f64().unwrap());
            assert!(
                lo <= v && v <= hi,
                "{dev} {field}: tc {lo}..{hi}, ingot {v}"
            );
        }
        for family in ["current_queue_length", "backlog"] {
            assert!(value(family, dev, kind).is_some(), "{family} {dev}\n{body}");
        }
    }
}
