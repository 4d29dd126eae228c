//! node_exporter's `infiniband` collector: `/sys/class/infiniband/<device>/ports/<port>` state,
//! rate and counters (Alloy exposes no device filter; node_exporter's defaults to none).

use std::path::PathBuf;

use ingot_hostfs::infiniband;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::exporter::NO_DATA;
use super::{Collector, UnixConfig};

macro_rules! counter {
    ($name:literal, $help:literal) => {
        Desc::new(
            concat!("node_infiniband_", $name),
            $help,
            MetricType::Counter,
            &["device", "port"],
        )
    };
}

macro_rules! gauge {
    ($name:literal, $help:literal) => {
        Desc::new(
            concat!("node_infiniband_", $name),
            $help,
            MetricType::Gauge,
            &["device", "port"],
        )
    };
}

const INFO: Desc = Desc::new(
    "node_infiniband_info",
    "Non-numeric data from /sys/class/infiniband/<device>, value is always 1.",
    MetricType::Gauge,
    &["device", "board_id", "firmware_version", "hca_type"],
);
const STATE: Desc = gauge!(
    "state_id",
    "State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, 4: active, 5: act defer)"
);
const PHYSICAL_STATE: Desc = gauge!(
    "physical_state_id",
    "Physical state of the InfiniBand port (0: no change, 1: sleep, 2: polling, 3: disable, 4: shift, 5: link up, 6: link error recover, 7: phytest)"
);
const RATE: Desc = gauge!("rate_bytes_per_second", "Maximum signal transfer rate");
const LIFESPAN: Desc = gauge!(
    "lifespan_seconds",
    "The maximum period in ms which defines the aging of the counter reads. Two consecutive reads within this period might return the same values."
);

/// `counters/` file → family.
const COUNTERS: &[(&str, Desc)] = &[
    ("excessive_buffer_overrun_errors", counter!("excessive_buffer_overrun_errors_total", "Number of times that OverrunErrors consecutive flow control update periods occurred, each having at least one overrun error.")),
    ("link_downed", counter!("link_downed_total", "Number of times the link failed to recover from an error state and went down")),
    ("link_error_recovery", counter!("link_error_recovery_total", "Number of times the link successfully recovered from an error state")),
    ("local_link_integrity_errors", counter!("local_link_integrity_errors_total", "Number of times that the count of local physical errors exceeded the threshold specified by LocalPhyErrors.")),
    ("multicast_rcv_packets", counter!("multicast_packets_received_total", "Number of multicast packets received (including errors)")),
    ("multicast_xmit_packets", counter!("multicast_packets_transmitted_total", "Number of multicast packets transmitted (including errors)")),
    ("port_rcv_constraint_errors", counter!("port_constraint_errors_received_total", "Number of packets received on the switch physical port that are discarded")),
    ("port_xmit_constraint_errors", counter!("port_constraint_errors_transmitted_total", "Number of packets not transmitted from the switch physical port")),
    ("port_rcv_data", counter!("port_data_received_bytes_total", "Number of data octets received on all links")),
    ("port_xmit_data", counter!("port_data_transmitted_bytes_total", "Number of data octets transmitted on all links")),
    ("port_rcv_discards", counter!("port_discards_received_total", "Number of inbound packets discarded by the port because the port is down or congested")),
    ("port_xmit_discards", counter!("port_discards_transmitted_total", "Number of outbound packets discarded by the port because the port is down or congested")),
    ("port_rcv_errors", counter!("port_errors_received_total", "Number of packets containing an error that were received on this port")),
    ("port_rcv_packets", counter!("port_packets_received_total", "Number of packets received on all VLs by this port (including errors)")),
    ("port_xmit_packets", counter!("port_packets_transmitted_total", "Number of packets transmitted on all VLs from this port (including errors)")),
    ("port_xmit_wait", counter!("port_transmit_wait_total", "Number of ticks during which the port had data to transmit but no data was sent during the entire tick")),
    ("unicast_rcv_packets", counter!("unicast_packets_received_total", "Number of unicast packets received (including errors)")),
    ("unicast_xmit_packets", counter!("unicast_packets_transmitted_total", "Number of unicast packets transmitted (including errors)")),
    ("port_rcv_remote_physical_errors", counter!("port_receive_remote_physical_errors_total", "Number of packets marked with the EBP (End of Bad Packet) delimiter received on the port.")),
    ("port_rcv_switch_relay_errors", counter!("port_receive_switch_relay_errors_total", "Number of packets that could not be forwarded by the switch.")),
    ("symbol_error", counter!("symbol_error_total", "Number of minor link errors detected on one or more physical lanes.")),
    ("VL15_dropped", counter!("vl15_dropped_total", "Number of incoming VL15 packets dropped due to resource limitations.")),
];

/// `counters_ext/` file → family.
const COUNTERS_EXT: &[(&str, Desc)] = &[
    (
        "port_multicast_rcv_packets",
        counter!(
            "legacy_multicast_packets_received_total",
            "Number of multicast packets received"
        ),
    ),
    (
        "port_multicast_xmit_packets",
        counter!(
            "legacy_multicast_packets_transmitted_total",
            "Number of multicast packets transmitted"
        ),
    ),
    (
        "port_rcv_data_64",
        counter!(
            "legacy_data_received_bytes_total",
            "Number of data octets received on all links"
        ),
    ),
    (
        "port_rcv_packets_64",
        counter!(
            "legacy_packets_received_total",
            "Number of data packets received on all links"
        ),
    ),
    (
        "port_unicast_rcv_packets",
        counter!(
            "legacy_unicast_packets_received_total",
            "Number of unicast packets received"
        ),
    ),
    (
        "port_unicast_xmit_packets",
        counter!(
            "legacy_unicast_packets_transmitted_total",
            "Number of unicast packets transmitted"
        ),
    ),
    (
        "port_xmit_data_64",
        counter!(
            "legacy_data_transmitted_bytes_total",
            "Number of data octets transmitted on all links"
        ),
    ),
    (
        "port_xmit_packets_64",
        counter!(
            "legacy_packets_transmitted_total",
            "Number of data packets received on all links"
        ),
    ),
];

/// `hw_counters/` file → family (`lifespan` is a gauge of its own).
const HW_COUNTERS: &[(&str, Desc)] = &[
    ("duplicate_request", counter!("duplicate_requests_packets_total", "The number of received packets. A duplicate request is a request that had been previously executed.")),
    ("implied_nak_seq_err", counter!("implied_nak_seq_errors_total", "The number of time the requested decided an ACK. with a PSN larger than the expected PSN for an RDMA read or response.")),
    ("local_ack_timeout_err", counter!("local_ack_timeout_errors_total", "The number of times QP's ack timer expired for RC, XRC, DCT QPs at the sender side. The QP retry limit was not exceed, therefore it is still recoverable error.")),
    ("np_cnp_sent", counter!("np_cnp_packets_sent_total", "The number of CNP packets sent by the Notification Point when it noticed congestion experienced in the RoCEv2 IP header (ECN bits). The counters was added in MLNX_OFED 4.1")),
    ("np_ecn_marked_roce_packets", counter!("np_ecn_marked_roce_packets_received_total", "The number of RoCEv2 packets received by the notification point which were marked for experiencing the congestion (ECN bits where '11' on the ingress RoCE traffic) . The counters was added in MLNX_OFED 4.1")),
    ("out_of_buffer", counter!("out_of_buffer_drops_total", "The number of drops occurred due to lack of WQE for the associated QPs.")),
    ("out_of_sequence", counter!("out_of_sequence_packets_received_total", "The number of out of sequence packets received.")),
    ("packet_seq_err", counter!("packet_sequence_errors_total", "The number of received NAK sequence error packets. The QP retry limit was not exceeded.")),
    ("req_cqe_error", counter!("req_cqes_errors_total", "The number of times requester detected CQEs completed with errors. The counters was added in MLNX_OFED 4.1")),
    ("req_cqe_flush_error", counter!("req_cqes_flush_errors_total", "The number of times requester detected CQEs completed with flushed errors. The counters was added in MLNX_OFED 4.1")),
    ("req_remote_access_errors", counter!("req_remote_access_errors_total", "The number of times requester detected remote access errors. The counters was added in MLNX_OFED 4.1")),
    ("req_remote_invalid_request", counter!("req_remote_invalid_request_errors_total", "The number of times requester detected remote invalid request errors. The counters was added in MLNX_OFED 4.1")),
    ("resp_cqe_error", counter!("resp_cqes_errors_total", "The number of times responder detected CQEs completed with errors. The counters was added in MLNX_OFED 4.1")),
    ("resp_cqe_flush_error", counter!("resp_cqes_flush_errors_total", "The number of times responder detected CQEs completed with flushed errors. The counters was added in MLNX_OFED 4.1")),
    ("resp_local_length_error", counter!("resp_local_length_errors_total", "The number of times responder detected local length errors. The counters was added in MLNX_OFED 4.1")),
    ("resp_remote_access_errors", counter!("resp_remote_access_errors_total", "The number of times responder detected remote access errors. The counters was added in MLNX_OFED 4.1")),
    ("rnr_nak_retry_err", counter!("rnr_nak_retry_packets_received_total", "The number of received RNR NAK packets. The QP retry limit was not exceeded.")),
    ("roce_adp_retrans", counter!("roce_adp_retransmits_total", "The number of adaptive retransmissions for RoCE traffic. The counter was added in MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0")),
    ("roce_adp_retrans_to", counter!("roce_adp_retransmits_timeout_total", "The number of times RoCE traffic reached timeout due to adaptive retransmission. The counter was added in MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0")),
    ("roce_slow_restart", counter!("roce_slow_restart_used_total", "The number of times RoCE slow restart was used. The counter was added in MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0")),
    ("roce_slow_restart_cnps", counter!("roce_slow_restart_cnps_total", "The number of times RoCE slow restart generated CNP packets. The counter was added in MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0")),
    ("roce_slow_restart_trans", counter!("roce_slow_restart_total", "The number of times RoCE slow restart changed state to slow restart. The counter was added in MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0")),
    ("rp_cnp_handled", counter!("rp_cnp_packets_handled_total", "The number of CNP packets handled by the Reaction Point HCA to throttle the transmission rate. The counters was added in MLNX_OFED 4.1")),
    ("rp_cnp_ignored", counter!("rp_cnp_ignored_packets_received_total", "The number of CNP packets received and ignored by the Reaction Point HCA. This counter should not raise if RoCE Congestion Control was enabled in the network. If this counter raise, verify that ECN was enabled on the adapter.")),
    ("rx_atomic_requests", counter!("rx_atomic_requests_total", "The number of received ATOMIC request for the associated QPs.")),
    ("rx_dct_connect", counter!("rx_dct_connect_requests_total", "The number of received connection requests for the associated DCTs.")),
    ("rx_read_requests", counter!("rx_read_requests_total", "The number of received READ requests for the associated QPs.")),
    ("rx_write_requests", counter!("rx_write_requests_total", "The number of received WRITE requests for the associated QPs.")),
    ("rx_icrc_encapsulated", counter!("rx_icrc_encapsulated_errors_total", "The number of RoCE packets with ICRC errors. This counter was added in MLNX_OFED 4.4 and kernel 4.19")),
];

pub(super) struct InfinibandCollector {
    class_dir: PathBuf,
    buf: Vec<u8>,
}

impl InfinibandCollector {
    pub(super) fn new(config: &UnixConfig) -> InfinibandCollector {
        InfinibandCollector {
            class_dir: config.sysfs_path.join("class/infiniband"),
            buf: Vec::new(),
        }
    }
}

fn push_counters(
    out: &mut FamilySet,
    table: &[(&str, Desc)],
    values: &[(&'static str, u64)],
    labels: &[&str; 2],
) {
    for (file, desc) in table {
        if let Some((_, v)) = values.iter().find(|(f, _)| f == file) {
            out.push(desc, labels, *v as f64);
        }
    }
}

impl Collector for InfinibandCollector {
    fn name(&self) -> &'static str {
        "infiniband"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let devices = match infiniband::devices(&self.class_dir, &mut self.buf) {
            Ok(d) => d,
            Err(e) if e.is_not_found() => return Err(NO_DATA.into()),
            Err(e) => return Err(format!("error obtaining InfiniBand class info: {e}")),
        };
        for d in &devices {
            out.push(
                &INFO,
                &[&d.name, &d.board_id, &d.firmware_version, &d.hca_type],
                1.0,
            );
            for p in &d.ports {
                let port = p.port.to_string();
                let labels = [d.name.as_str(), port.as_str()];
                out.push(&STATE, &labels, f64::from(p.state_id));
                out.push(&PHYSICAL_STATE, &labels, f64::from(p.phys_state_id));
                out.push(&RATE, &labels, p.rate as f64);
                push_counters(out, COUNTERS_EXT, &p.counters_ext, &labels);
                push_counters(out, COUNTERS, &p.counters, &labels);
                if let Some((_, ms)) = p.hw_counters.iter().find(|(f, _)| *f == "lifespan") {
                    // Whole seconds: node_exporter divides the integer.
                    out.push(&LIFESPAN, &labels, (ms / 1000) as f64);
                }
                push_counters(out, HW_COUNTERS, &p.hw_counters, &labels);
            }
        }
        Ok(())
    }
}
