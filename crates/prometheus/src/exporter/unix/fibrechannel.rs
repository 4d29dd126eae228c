//! node_exporter's `fibrechannel` collector: `/sys/class/fc_host/<host>` and its statistics.

use std::path::PathBuf;

use ingot_hostfs::fibrechannel;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::exporter::NO_DATA;
use super::{Collector, UnixConfig};

macro_rules! counter {
    ($name:literal, $help:literal) => {
        Desc::new(
            concat!("node_fibrechannel_", $name),
            $help,
            MetricType::Counter,
            &["fc_host"],
        )
    };
}

/// `statistics/` file → family.
const COUNTERS: &[(&str, Desc)] = &[
    (
        "dumped_frames",
        counter!("dumped_frames_total", "Number of dumped frames"),
    ),
    (
        "error_frames",
        counter!("error_frames_total", "Number of errors in frames"),
    ),
    (
        "invalid_crc_count",
        counter!("invalid_crc_total", "Invalid Cyclic Redundancy Check count"),
    ),
    (
        "rx_frames",
        counter!("rx_frames_total", "Number of frames received"),
    ),
    (
        "rx_words",
        counter!("rx_words_total", "Number of words received by host port"),
    ),
    (
        "tx_frames",
        counter!(
            "tx_frames_total",
            "Number of frames transmitted by host port"
        ),
    ),
    (
        "tx_words",
        counter!("tx_words_total", "Number of words transmitted by host port"),
    ),
    (
        "seconds_since_last_reset",
        counter!(
            "seconds_since_last_reset_total",
            "Number of seconds since last host port reset"
        ),
    ),
    (
        "invalid_tx_word_count",
        counter!(
            "invalid_tx_words_total",
            "Number of invalid words transmitted by host port"
        ),
    ),
    (
        "link_failure_count",
        counter!(
            "link_failure_total",
            "Number of times the host port link has failed"
        ),
    ),
    (
        "loss_of_sync_count",
        counter!(
            "loss_of_sync_total",
            "Number of failures on either bit or transmission word boundaries"
        ),
    ),
    (
        "loss_of_signal_count",
        counter!(
            "loss_of_signal_total",
            "Number of times signal has been lost"
        ),
    ),
    (
        "nos_count",
        counter!(
            "nos_total",
            "Number Not_Operational Primitive Sequence received by host port"
        ),
    ),
    (
        "fcp_packet_aborts",
        counter!("fcp_packet_aborts_total", "Number of aborted packets"),
    ),
];

const INFO: Desc = Desc::new(
    "node_fibrechannel_info",
    "Non-numeric data from /sys/class/fc_host/<host>, value is always 1.",
    MetricType::Gauge,
    &[
        "fc_host",
        "speed",
        "port_state",
        "port_type",
        "port_id",
        "port_name",
        "fabric_name",
        "symbolic_name",
        "supported_classes",
        "supported_speeds",
        "dev_loss_tmo",
    ],
);

pub(super) struct FibrechannelCollector {
    class_dir: PathBuf,
    buf: Vec<u8>,
}

impl FibrechannelCollector {
    pub(super) fn new(config: &UnixConfig) -> FibrechannelCollector {
        FibrechannelCollector {
            class_dir: config.sysfs_path.join("class/fc_host"),
            buf: Vec::new(),
        }
    }
}

impl Collector for FibrechannelCollector {
    fn name(&self) -> &'static str {
        "fibrechannel"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let hosts = match fibrechannel::fc_hosts(&self.class_dir, &mut self.buf) {
            Ok(h) => h,
            Err(e) if e.is_not_found_unwrapped() => return Err(NO_DATA.into()),
            Err(e) => return Err(format!("error obtaining FibreChannel class info: {e}")),
        };
        for h in &hosts {
            let text = |s: &Option<String>| s.as_deref().unwrap_or("").to_owned();
            out.push(
                &INFO,
                &[
                    &h.name,
                    &text(&h.speed),
                    &text(&h.port_state),
                    &text(&h.port_type),
                    &text(&h.port_id),
                    &text(&h.port_name),
                    &text(&h.fabric_name),
                    &text(&h.symbolic_name),
                    &text(&h.supported_classes),
                    &text(&h.supported_speeds),
                    &text(&h.dev_loss_tmo),
                ],
                1.0,
            );
            for (file, desc) in COUNTERS {
                // All ones: a counter the HBA's firmware does not implement. (A missing file
                // would make node_exporter dereference nil; it is left out here.)
                match h.counter(file) {
                    Some(v) if v != u64::MAX => out.push(desc, &[&h.name], v as f64),
                    _ => {}
                }
            }
        }
        Ok(())
    }
}
