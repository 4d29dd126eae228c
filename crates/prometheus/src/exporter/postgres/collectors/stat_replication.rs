//! The `stat_replication` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, text, Error, Input};
use MetricType::Gauge;

const STAT_REPLICATION_LABELS: &[&str] = &["application_name", "client_addr", "state", "slot_name"];
const STAT_REPLICATION_CURRENT_WAL: Desc = Desc::new(
    "pg_stat_replication_pg_current_wal_lsn_bytes",
    "WAL position in bytes",
    Gauge,
    STAT_REPLICATION_LABELS,
);
const STAT_REPLICATION_WAL_DIFF: Desc = Desc::new(
    "pg_stat_replication_pg_wal_lsn_diff",
    "Lag in bytes between master and slave",
    Gauge,
    STAT_REPLICATION_LABELS,
);

const STAT_REPLICATION_QUERY: &str = "SELECT application_name, client_addr::text, state, s.slot_name, \
(CASE pg_is_in_recovery() WHEN 't' THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_lsn('0/0'))::float \
ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), pg_lsn('0/0'))::float END) AS pg_current_wal_lsn_bytes, \
(CASE pg_is_in_recovery() WHEN 't' THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), replay_lsn)::float \
ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float END) AS pg_wal_lsn_diff \
FROM pg_stat_replication LEFT JOIN pg_replication_slots s ON s.active_pid = pg_stat_replication.pid";

pub(super) async fn stat_replication(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    for r in rows(input.client, STAT_REPLICATION_QUERY).await? {
        let labels: [&str; 4] = std::array::from_fn(|i| text(&r, i).unwrap_or(""));
        if let Some(v) = num(&r, 4) {
            out.push(&STAT_REPLICATION_CURRENT_WAL, &labels, v);
        }
        if let Some(v) = num(&r, 5) {
            out.push(&STAT_REPLICATION_WAL_DIFF, &labels, v);
        }
    }
    Ok(())
}
