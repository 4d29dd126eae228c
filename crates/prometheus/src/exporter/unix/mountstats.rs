//! node_exporter's `mountstats` collector: NFS client statistics per mount, from
//! `/proc/self/mountstats`, labelled with the export, the transport protocol and the server address
//! (the `addr` super option of the mount at the same position in `/proc/self/mountinfo`).

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, IntText, UnixConfig};

const LABELS: &[&str] = &["export", "protocol", "mountaddr"];
const INFO_LABELS: &[&str] = &["export", "protocol", "mountaddr", "mountpoint"];
const OP_LABELS: &[&str] = &["export", "protocol", "mountaddr", "operation"];
const TRANSPORT_LABELS: &[&str] = &["export", "protocol", "mountaddr", "transport"];

macro_rules! ms {
    ($name:literal, $help:literal, $kind:ident, $labels:ident) => {
        Desc::new(
            concat!("node_mountstats_nfs_", $name),
            $help,
            MetricType::$kind,
            $labels,
        )
    };
}

/// `events:` counters node_exporter reports, by position (18, congestion wait, is not).
const EVENTS: [(usize, Desc); 26] = [
    (
        0,
        ms!("event_inode_revalidate_total", "Number of times cached inode attributes are re-validated from the server.", Counter, LABELS),
    ),
    (
        1,
        ms!("event_dnode_revalidate_total", "Number of times cached dentry nodes are re-validated from the server.", Counter, LABELS),
    ),
    (
        2,
        ms!("event_data_invalidate_total", "Number of times an inode cache is cleared.", Counter, LABELS),
    ),
    (
        3,
        ms!("event_attribute_invalidate_total", "Number of times cached inode attributes are invalidated.", Counter, LABELS),
    ),
    (
        4,
        ms!("event_vfs_open_total", "Number of times cached inode attributes are invalidated.", Counter, LABELS),
    ),
    (
        5,
        ms!("event_vfs_lookup_total", "Number of times a directory lookup has occurred.", Counter, LABELS),
    ),
    (
        6,
        ms!("event_vfs_access_total", "Number of times permissions have been checked.", Counter, LABELS),
    ),
    (
        7,
        ms!("event_vfs_update_page_total", "Number of updates (and potential writes) to pages.", Counter, LABELS),
    ),
    (
        8,
        ms!("event_vfs_read_page_total", "Number of pages read directly via mmap()'d files.", Counter, LABELS),
    ),
    (
        9,
        ms!("event_vfs_read_pages_total", "Number of times a group of pages have been read.", Counter, LABELS),
    ),
    (
        10,
        ms!("event_vfs_write_page_total", "Number of pages written directly via mmap()'d files.", Counter, LABELS),
    ),
    (
        11,
        ms!("event_vfs_write_pages_total", "Number of times a group of pages have been written.", Counter, LABELS),
    ),
    (
        12,
        ms!("event_vfs_getdents_total", "Number of times directory entries have been read with getdents().", Counter, LABELS),
    ),
    (
        13,
        ms!("event_vfs_setattr_total", "Number of times directory entries have been read with getdents().", Counter, LABELS),
    ),
    (
        14,
        ms!("event_vfs_flush_total", "Number of pending writes that have been forcefully flushed to the server.", Counter, LABELS),
    ),
    (
        15,
        ms!("event_vfs_fsync_total", "Number of times fsync() has been called on directories and files.", Counter, LABELS),
    ),
    (
        16,
        ms!("event_vfs_lock_total", "Number of times locking has been attempted on a file.", Counter, LABELS),
    ),
    (
        17,
        ms!("event_vfs_file_release_total", "Number of times files have been closed and released.", Counter, LABELS),
    ),
    (
        19,
        ms!("event_truncation_total", "Number of times files have been truncated.", Counter, LABELS),
    ),
    (
        20,
        ms!("event_write_extension_total", "Number of times a file has been grown due to writes beyond its existing end.", Counter, LABELS),
    ),
    (
        21,
        ms!("event_silly_rename_total", "Number of times a file was removed while still open by another process.", Counter, LABELS),
    ),
    (
        22,
        ms!("event_short_read_total", "Number of times the NFS server gave less data than expected while reading.", Counter, LABELS),
    ),
    (
        23,
        ms!("event_short_write_total", "Number of times the NFS server wrote less data than expected while writing.", Counter, LABELS),
    ),
    (
        24,
        ms!("event_jukebox_delay_total", "Number of times the NFS server indicated EJUKEBOX; retrieving data from offline storage.", Counter, LABELS),
    ),
    (
        25,
        ms!("event_pnfs_read_total", "Number of NFS v4.1+ pNFS reads.", Counter, LABELS),
    ),
    (
        26,
        ms!("event_pnfs_write_total", "Number of NFS v4.1+ pNFS writes.", Counter, LABELS),
    ),
];
/// `bytes:` counters, in the line's order.
const BYTES: [Desc; 8] = [
    ms!(
        "read_bytes_total",
        "Number of bytes read using the read() syscall.",
        Counter,
        LABELS
    ),
    ms!(
        "write_bytes_total",
        "Number of bytes written using the write() syscall.",
        Counter,
        LABELS
    ),
    ms!(
        "direct_read_bytes_total",
        "Number of bytes read using the read() syscall in O_DIRECT mode.",
        Counter,
        LABELS
    ),
    ms!(
        "direct_write_bytes_total",
        "Number of bytes written using the write() syscall in O_DIRECT mode.",
        Counter,
        LABELS
    ),
    ms!(
        "total_read_bytes_total",
        "Number of bytes read from the NFS server, in total.",
        Counter,
        LABELS
    ),
    ms!(
        "total_write_bytes_total",
        "Number of bytes written to the NFS server, in total.",
        Counter,
        LABELS
    ),
    ms!(
        "read_pages_total",
        "Number of pages read directly via mmap()'d files.",
        Counter,
        LABELS
    ),
    ms!(
        "write_pages_total",
        "Number of pages written directly via mmap()'d files.",
        Counter,
        LABELS
    ),
];
const AGE_SECONDS_TOTAL: Desc = ms!(
    "age_seconds_total",
    "The age of the NFS mount in seconds.",
    Counter,
    LABELS
);
const MOUNTPOINT_INFO: Desc = ms!(
    "mountpoint_info",
    "Info metric for an NFS mountpoint.",
    Gauge,
    INFO_LABELS
);
const TRANSPORT_BIND_TOTAL: Desc = ms!(
    "transport_bind_total",
    "Number of times the client has had to establish a connection from scratch to the NFS server.",
    Counter,
    TRANSPORT_LABELS
);
const TRANSPORT_CONNECT_TOTAL: Desc = ms!(
    "transport_connect_total",
    "Number of times the client has made a TCP connection to the NFS server.",
    Counter,
    TRANSPORT_LABELS
);
const TRANSPORT_IDLE_TIME_SECONDS: Desc = ms!(
    "transport_idle_time_seconds",
    "Duration since the NFS mount last saw any RPC traffic, in seconds.",
    Gauge,
    TRANSPORT_LABELS
);
const TRANSPORT_SENDS_TOTAL: Desc = ms!(
    "transport_sends_total",
    "Number of RPC requests for this mount sent to the NFS server.",
    Counter,
    TRANSPORT_LABELS
);
const TRANSPORT_RECEIVES_TOTAL: Desc = ms!(
    "transport_receives_total",
    "Number of RPC responses for this mount received from the NFS server.",
    Counter,
    TRANSPORT_LABELS
);
const TRANSPORT_BAD_TRANSACTION_IDS: Desc = ms!(
    "transport_bad_transaction_ids_total",
    "Number of times the NFS server sent a response with a transaction ID unknown to this client.",
    Counter,
    TRANSPORT_LABELS
);
const TRANSPORT_BACKLOG_QUEUE_TOTAL: Desc = ms!(
    "transport_backlog_queue_total",
    "Total number of items added to the RPC backlog queue.",
    Counter,
    TRANSPORT_LABELS
);
const TRANSPORT_MAXIMUM_RPC_SLOTS: Desc = ms!(
    "transport_maximum_rpc_slots",
    "Maximum number of simultaneously active RPC requests ever used.",
    Gauge,
    TRANSPORT_LABELS
);
const TRANSPORT_SENDING_QUEUE_TOTAL: Desc = ms!(
    "transport_sending_queue_total",
    "Total number of items added to the RPC transmission sending queue.",
    Counter,
    TRANSPORT_LABELS
);
const TRANSPORT_PENDING_QUEUE_TOTAL: Desc = ms!(
    "transport_pending_queue_total",
    "Total number of items added to the RPC transmission pending queue.",
    Counter,
    TRANSPORT_LABELS
);
const OPERATIONS_REQUESTS_TOTAL: Desc = ms!(
    "operations_requests_total",
    "Number of requests performed for a given operation.",
    Counter,
    OP_LABELS
);
const OPERATIONS_TRANSMISSIONS_TOTAL: Desc = ms!(
    "operations_transmissions_total",
    "Number of times an actual RPC request has been transmitted for a given operation.",
    Counter,
    OP_LABELS
);
const OPERATIONS_MAJOR_TIMEOUTS_TOTAL: Desc = ms!(
    "operations_major_timeouts_total",
    "Number of times a request has had a major timeout for a given operation.",
    Counter,
    OP_LABELS
);
const OPERATIONS_SENT_BYTES_TOTAL: Desc = ms!(
    "operations_sent_bytes_total",
    "Number of bytes sent for a given operation, including RPC headers and payload.",
    Counter,
    OP_LABELS
);
const OPERATIONS_RECEIVED_BYTES_TOTAL: Desc = ms!(
    "operations_received_bytes_total",
    "Number of bytes received for a given operation, including RPC headers and payload.",
    Counter,
    OP_LABELS
);
const OPERATIONS_QUEUE_TIME_SECONDS_TOTAL: Desc = ms!("operations_queue_time_seconds_total", "Duration all requests spent queued for transmission for a given operation before they were sent, in seconds.", Counter, OP_LABELS);
const OPERATIONS_RESPONSE_TIME_SECONDS_TOTAL: Desc = ms!("operations_response_time_seconds_total", "Duration all requests took to get a reply back after a request for a given operation was transmitted, in seconds.", Counter, OP_LABELS);
const OPERATIONS_REQUEST_TIME_SECONDS_TOTAL: Desc = ms!("operations_request_time_seconds_total", "Duration all requests took from when a request was enqueued to when it was completely handled for a given operation, in seconds.", Counter, OP_LABELS);

/// Counters node_exporter reduces modulo 2^53 before converting them to floats.
const MANTISSA: u64 = 1 << 53;

pub(super) struct MountstatsCollector {
    procfs: std::path::PathBuf,
    buf: Vec<u8>,
}

impl MountstatsCollector {
    pub(super) fn new(config: &UnixConfig) -> MountstatsCollector {
        MountstatsCollector {
            procfs: config.procfs_path.clone(),
            buf: Vec::new(),
        }
    }
}

impl Collector for MountstatsCollector {
    fn name(&self) -> &'static str {
        "mountstats"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        // procfs's `Self()`: the process directory `self` links to. (node_exporter resolves it
        // once, at start; a failure there stops it from starting. Here it fails the scrape.)
        let link = self.procfs.join("self");
        let pid = std::fs::read_link(&link).map_err(|e| {
            format!(
                "failed to open /proc/self: readlink {}: {}",
                link.display(),
                ingot_hostfs::errno::go_error_text(&e)
            )
        })?;
        let dir = self.procfs.join(pid);
        let path = dir.join("mountstats");
        ingot_hostfs::read::read_into(&path, &mut self.buf).map_err(|e| {
            format!(
                "failed to parse mountstats: {}",
                super::open_error(&path, &e)
            )
        })?;
        let mounts = ingot_hostfs::mountstats::parse(&String::from_utf8_lossy(&self.buf))
            .map_err(|e| format!("failed to parse mountstats: error parsing file: {e}"))?;
        let path = dir.join("mountinfo");
        ingot_hostfs::read::read_into(&path, &mut self.buf).map_err(|e| {
            format!(
                "failed to parse mountinfo: {}",
                super::open_error(&path, &e)
            )
        })?;
        let text = String::from_utf8_lossy(&self.buf);
        // Each mountinfo entry's `addr` super option, by position.
        let mut addresses: Vec<String> = Vec::new();
        ingot_hostfs::mountinfo::for_each(&text, |m| {
            // The last `addr` option wins, as in procfs's map.
            let addr = m
                .super_options
                .split(',')
                .rev()
                .find_map(|o| {
                    let mut parts = o.split('=');
                    (parts.next() == Some("addr")).then(|| parts.next().unwrap_or(""))
                })
                .unwrap_or("");
            addresses.push(addr.to_owned());
        })
        .map_err(|e| format!("failed to parse mountinfo: {e}"))?;

        let mut devices: Vec<(String, String, String)> = Vec::new();
        let mut mountpoints: Vec<[String; 4]> = Vec::new();
        for (i, m) in mounts.iter().enumerate() {
            let Some(stats) = &m.nfs else { continue };
            let address = addresses.get(i).map_or("", String::as_str);
            for t in &stats.transports {
                let info = [
                    m.device.clone(),
                    t.protocol.clone(),
                    address.to_owned(),
                    m.mount_point.clone(),
                ];
                if !mountpoints.contains(&info) {
                    out.push(
                        &MOUNTPOINT_INFO,
                        &[&info[0], &info[1], &info[2], &info[3]],
                        1.0,
                    );
                    mountpoints.push(info);
                }
                let device = (m.device.clone(), t.protocol.clone(), address.to_owned());
                if devices.contains(&device) {
                    break;
                }
                devices.push(device);
                report(out, stats, &m.device, &t.protocol, address);
            }
        }
        Ok(())
    }
}

fn report(
    out: &mut FamilySet,
    s: &ingot_hostfs::mountstats::NfsStats,
    export: &str,
    protocol: &str,
    address: &str,
) {
    let labels = [export, protocol, address];
    out.push(&AGE_SECONDS_TOTAL, &labels, s.age_seconds);
    for (desc, v) in BYTES.iter().zip(s.bytes) {
        out.push(desc, &labels, v as f64);
    }
    for (i, t) in s.transports.iter().enumerate() {
        let index = IntText::new(i as i64);
        let l = [export, protocol, address, index.as_str()];
        out.push(&TRANSPORT_BIND_TOTAL, &l, t.bind as f64);
        out.push(&TRANSPORT_CONNECT_TOTAL, &l, t.connect as f64);
        out.push(
            &TRANSPORT_IDLE_TIME_SECONDS,
            &l,
            (t.idle_time_seconds % MANTISSA) as f64,
        );
        out.push(&TRANSPORT_SENDS_TOTAL, &l, t.sends as f64);
        out.push(&TRANSPORT_RECEIVES_TOTAL, &l, t.receives as f64);
        out.push(
            &TRANSPORT_BAD_TRANSACTION_IDS,
            &l,
            t.bad_transaction_ids as f64,
        );
        out.push(
            &TRANSPORT_BACKLOG_QUEUE_TOTAL,
            &l,
            t.cumulative_backlog as f64,
        );
        out.push(
            &TRANSPORT_MAXIMUM_RPC_SLOTS,
            &l,
            t.maximum_rpc_slots_used as f64,
        );
        out.push(
            &TRANSPORT_SENDING_QUEUE_TOTAL,
            &l,
            t.cumulative_sending_queue as f64,
        );
        out.push(
            &TRANSPORT_PENDING_QUEUE_TOTAL,
            &l,
            t.cumulative_pending_queue as f64,
        );
    }
    for op in &s.operations {
        let l = [export, protocol, address, op.name.as_str()];
        out.push(&OPERATIONS_REQUESTS_TOTAL, &l, op.requests as f64);
        out.push(&OPERATIONS_TRANSMISSIONS_TOTAL, &l, op.transmissions as f64);
        out.push(
            &OPERATIONS_MAJOR_TIMEOUTS_TOTAL,
            &l,
            op.major_timeouts as f64,
        );
        out.push(&OPERATIONS_SENT_BYTES_TOTAL, &l, op.bytes_sent as f64);
        out.push(
            &OPERATIONS_RECEIVED_BYTES_TOTAL,
            &l,
            op.bytes_received as f64,
        );
        let seconds = |ms: u64| (ms % MANTISSA) as f64 / 1000.0;
        out.push(
            &OPERATIONS_QUEUE_TIME_SECONDS_TOTAL,
            &l,
            seconds(op.queue_ms),
        );
        out.push(
            &OPERATIONS_RESPONSE_TIME_SECONDS_TOTAL,
            &l,
            seconds(op.response_ms),
        );
        out.push(
            &OPERATIONS_REQUEST_TIME_SECONDS_TOTAL,
            &l,
            seconds(op.request_ms),
        );
    }
    for (i, desc) in &EVENTS {
        out.push(desc, &labels, s.events[*i] as f64);
    }
}
