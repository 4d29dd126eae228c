//! The `stat_database` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, text, Error, Input};
use MetricType::{Counter, Gauge};

const DATID_DATNAME: &[&str] = &["datid", "datname"];

const STAT_DATABASE: [Desc; 17] = [
    Desc::new("pg_stat_database_numbackends", "Number of backends currently connected to this database. This is the only column in this view that returns a value reflecting current state; all other columns return the accumulated values since the last reset.", Gauge, DATID_DATNAME),
    Desc::new("pg_stat_database_xact_commit", "Number of transactions in this database that have been committed", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_xact_rollback", "Number of transactions in this database that have been rolled back", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_blks_read", "Number of disk blocks read in this database", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_blks_hit", "Number of times disk blocks were found already in the buffer cache, so that a read was not necessary (this only includes hits in the PostgreSQL buffer cache, not the operating system's file system cache)", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_tup_returned", "Number of rows returned by queries in this database", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_tup_fetched", "Number of rows fetched by queries in this database", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_tup_inserted", "Number of rows inserted by queries in this database", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_tup_updated", "Number of rows updated by queries in this database", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_tup_deleted", "Number of rows deleted by queries in this database", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_conflicts", "Number of queries canceled due to conflicts with recovery in this database. (Conflicts occur only on standby servers; see pg_stat_database_conflicts for details.)", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_temp_files", "Number of temporary files created by queries in this database. All temporary files are counted, regardless of why the temporary file was created (e.g., sorting or hashing), and regardless of the log_temp_files setting.", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_temp_bytes", "Total amount of data written to temporary files by queries in this database. All temporary files are counted, regardless of why the temporary file was created, and regardless of the log_temp_files setting.", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_deadlocks", "Number of deadlocks detected in this database", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_blk_read_time", "Time spent reading data file blocks by backends in this database, in milliseconds", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_blk_write_time", "Time spent writing data file blocks by backends in this database, in milliseconds", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_stats_reset", "Time at which these statistics were last reset", Counter, DATID_DATNAME),
];
const STAT_DATABASE_ACTIVE_TIME: Desc = Desc::new(
    "pg_stat_database_active_time_seconds_total",
    "Time spent executing SQL statements in this database, in seconds",
    Counter,
    DATID_DATNAME,
);

pub(super) async fn stat_database(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    // active_time exists since PostgreSQL 14.
    let active_time = input.version_num >= 140000;
    let sql = format!(
        "SELECT datid, datname, numbackends, xact_commit, xact_rollback, blks_read, blks_hit, tup_returned, \
         tup_fetched, tup_inserted, tup_updated, tup_deleted, conflicts, temp_files, temp_bytes, deadlocks, \
         blk_read_time, blk_write_time, floor(extract(epoch from stats_reset)){} FROM pg_stat_database",
        if active_time { ", active_time" } else { "" }
    );
    for r in rows(input.client, &sql).await? {
        // Upstream skips a row with any NULL among these (the row for shared objects has no datname).
        let (Some(datid), Some(datname)) = (text(&r, 0), text(&r, 1)) else {
            continue;
        };
        let mut values = [0.0; 16];
        let mut complete = true;
        for (i, v) in values.iter_mut().enumerate() {
            match num(&r, 2 + i) {
                Some(x) => *v = x,
                None => complete = false,
            }
        }
        let active = if active_time { num(&r, 19) } else { Some(0.0) };
        if !complete || active.is_none() {
            continue;
        }
        let labels = [datid, datname];
        for (desc, v) in STAT_DATABASE.iter().zip(values) {
            out.push(desc, &labels, v);
        }
        out.push(&STAT_DATABASE[16], &labels, num(&r, 18).unwrap_or(0.0));
        if let (true, Some(ms)) = (active_time, active) {
            out.push(&STAT_DATABASE_ACTIVE_TIME, &labels, ms / 1000.0);
        }
    }
    Ok(())
}
