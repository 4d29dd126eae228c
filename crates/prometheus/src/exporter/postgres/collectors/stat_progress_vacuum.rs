//! The `stat_progress_vacuum` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, text, Error, Input};
use MetricType::Gauge;

const VACUUM_PHASES: [&str; 7] = [
    "initializing",
    "scanning heap",
    "vacuuming indexes",
    "vacuuming heap",
    "cleaning up indexes",
    "truncating heap",
    "performing final cleanup",
];
const DATNAME_RELNAME: &[&str] = &["datname", "relname"];
const VACUUM_PHASE: Desc = Desc::new(
    "pg_stat_progress_vacuum_phase",
    "Current vacuum phase (1 = active, 0 = inactive). Label 'phase' is human-readable.",
    Gauge,
    &["datname", "relname", "phase"],
);
const VACUUM: [Desc; 6] = [
    Desc::new(
        "pg_stat_progress_vacuum_heap_blks",
        "Total number of heap blocks in the table being vacuumed.",
        Gauge,
        DATNAME_RELNAME,
    ),
    Desc::new(
        "pg_stat_progress_vacuum_heap_blks_scanned",
        "Number of heap blocks scanned so far.",
        Gauge,
        DATNAME_RELNAME,
    ),
    Desc::new(
        "pg_stat_progress_vacuum_heap_blks_vacuumed",
        "Number of heap blocks vacuumed so far.",
        Gauge,
        DATNAME_RELNAME,
    ),
    Desc::new(
        "pg_stat_progress_vacuum_index_vacuums",
        "Number of completed index vacuum cycles.",
        Gauge,
        DATNAME_RELNAME,
    ),
    Desc::new(
        "pg_stat_progress_vacuum_max_dead_tuples",
        "Maximum number of dead tuples that can be stored before cleanup is performed.",
        Gauge,
        DATNAME_RELNAME,
    ),
    Desc::new(
        "pg_stat_progress_vacuum_num_dead_tuples",
        "Current number of dead tuples found so far.",
        Gauge,
        DATNAME_RELNAME,
    ),
];

const PROGRESS_VACUUM_QUERY: &str = "SELECT d.datname, \
COALESCE(CASE WHEN d.datname = current_database() THEN s.relid::regclass::text END, s.relid::text) AS relname, \
s.param1 AS phase, s.param2 AS heap_blks_total, s.param3 AS heap_blks_scanned, s.param4 AS heap_blks_vacuumed, \
s.param5 AS index_vacuum_count, s.param6 AS max_dead_tuples, s.param7 AS num_dead_tuples \
FROM pg_stat_get_progress_info('VACUUM'::text) s(pid, datid, relid, param1, param2, param3, param4, param5, \
param6, param7, param8, param9, param10, param11, param12, param13, param14, param15, param16, param17, param18, \
param19, param20) LEFT JOIN pg_database d ON s.datid = d.oid";

pub(super) async fn stat_progress_vacuum(
    input: &Input<'_>,
    out: &mut FamilySet,
) -> Result<(), Error> {
    for r in rows(input.client, PROGRESS_VACUUM_QUERY).await? {
        let datname = text(&r, 0).unwrap_or("unknown");
        let relname = text(&r, 1).unwrap_or("unknown");
        let phase = num(&r, 2);
        for (i, label) in VACUUM_PHASES.iter().enumerate() {
            let active = phase == Some(i as f64);
            out.push(
                &VACUUM_PHASE,
                &[datname, relname, label],
                if active { 1.0 } else { 0.0 },
            );
        }
        for (i, desc) in VACUUM.iter().enumerate() {
            out.push(desc, &[datname, relname], num(&r, 3 + i).unwrap_or(0.0));
        }
    }
    Ok(())
}
