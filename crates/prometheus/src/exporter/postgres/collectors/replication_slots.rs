//! The `replication_slots` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, text, Error, Input};
use MetricType::Gauge;

const SLOTS_ACTIVE: Desc = Desc::new(
    "pg_replication_slots_active",
    "Flag indicating if the slot is active",
    Gauge,
    &["slot_name", "database"],
);
const SLOTS_WAL_LSN_DIFF: Desc = Desc::new(
    "pg_replication_slots_pg_wal_lsn_diff",
    "Replication lag in bytes",
    Gauge,
    &["slot_name", "database"],
);
const SLOTS_CURRENT_WAL_LSN: Desc = Desc::new(
    "pg_replication_slots_slot_current_wal_lsn",
    "current wal lsn value",
    Gauge,
    &["slot_name", "slot_type"],
);
const SLOTS_CONFIRMED_FLUSH_LSN: Desc = Desc::new(
    "pg_replication_slots_slot_confirmed_flush_lsn",
    "last lsn confirmed flushed to the replication slot",
    Gauge,
    &["slot_name", "slot_type"],
);
const SLOTS_IS_ACTIVE: Desc = Desc::new(
    "pg_replication_slots_slot_is_active",
    "whether the replication slot is active or not",
    Gauge,
    &["slot_name", "slot_type"],
);
const SLOTS_SAFE_WAL_SIZE: Desc = Desc::new(
    "pg_replication_slots_safe_wal_size_bytes",
    "number of bytes that can be written to WAL such that this slot is not in danger of getting in state lost",
    Gauge,
    &["slot_name", "slot_type"],
);
const SLOTS_WAL_STATUS: Desc = Desc::new(
    "pg_replication_slots_wal_status",
    "availability of WAL files claimed by this slot",
    Gauge,
    &["slot_name", "slot_type", "wal_status"],
);

pub(super) async fn replication_slots(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    let diff = rows(
        input.client,
        "SELECT slot_name, database, active, \
         (CASE pg_is_in_recovery() WHEN 't' THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), restart_lsn) \
         ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) END) AS pg_wal_lsn_diff \
         FROM pg_replication_slots",
    )
    .await?;
    for r in &diff {
        let labels = [text(r, 0).unwrap_or(""), text(r, 1).unwrap_or("")];
        if let Some(active) = num(r, 2) {
            out.push(&SLOTS_ACTIVE, &labels, active);
        }
        if let Some(d) = num(r, 3) {
            out.push(&SLOTS_WAL_LSN_DIFF, &labels, d);
        }
    }
    // safe_wal_size and wal_status exist since PostgreSQL 13.
    let pg13 = input.version_num >= 130000;
    let sql = format!(
        "SELECT slot_name, slot_type, \
         CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() - '0/0' ELSE pg_current_wal_lsn() - '0/0' END AS current_wal_lsn, \
         COALESCE(confirmed_flush_lsn, '0/0') - '0/0' AS confirmed_flush_lsn, active{} FROM pg_replication_slots",
        if pg13 { ", safe_wal_size, wal_status" } else { "" }
    );
    for r in rows(input.client, &sql).await? {
        let name = text(&r, 0).unwrap_or("unknown");
        let kind = text(&r, 1).unwrap_or("unknown");
        let labels = [name, kind];
        if let Some(v) = num(&r, 2) {
            out.push(&SLOTS_CURRENT_WAL_LSN, &labels, v);
        }
        let active = num(&r, 4);
        if let (Some(1.0), Some(flush)) = (active, num(&r, 3)) {
            out.push(&SLOTS_CONFIRMED_FLUSH_LSN, &labels, flush);
        }
        if let Some(a) = active {
            out.push(&SLOTS_IS_ACTIVE, &labels, a);
        }
        if pg13 {
            if let Some(v) = num(&r, 5) {
                out.push(&SLOTS_SAFE_WAL_SIZE, &labels, v);
            }
            if let Some(status) = text(&r, 6) {
                out.push(&SLOTS_WAL_STATUS, &[name, kind, status], 1.0);
            }
        }
    }
    Ok(())
}
