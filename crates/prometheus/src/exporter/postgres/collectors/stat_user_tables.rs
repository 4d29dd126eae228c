//! The `stat_user_tables` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, text, Error, Input};
use MetricType::{Counter, Gauge};

pub(super) const TABLE_LABELS: &[&str] = &["datname", "schemaname", "relname"];

const USER_TABLES: [Desc; 21] = [
    Desc::new(
        "pg_stat_user_tables_seq_scan",
        "Number of sequential scans initiated on this table",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_seq_tup_read",
        "Number of live rows fetched by sequential scans",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_idx_scan",
        "Number of index scans initiated on this table",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_idx_tup_fetch",
        "Number of live rows fetched by index scans",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_n_tup_ins",
        "Number of rows inserted",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_n_tup_upd",
        "Number of rows updated",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_n_tup_del",
        "Number of rows deleted",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_n_tup_hot_upd",
        "Number of rows HOT updated (i.e., with no separate index update required)",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_n_live_tup",
        "Estimated number of live rows",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_n_dead_tup",
        "Estimated number of dead rows",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_n_mod_since_analyze",
        "Estimated number of rows changed since last analyze",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_last_vacuum",
        "Last time at which this table was manually vacuumed (not counting VACUUM FULL)",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_last_autovacuum",
        "Last time at which this table was vacuumed by the autovacuum daemon",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_last_analyze",
        "Last time at which this table was manually analyzed",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_last_autoanalyze",
        "Last time at which this table was analyzed by the autovacuum daemon",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_vacuum_count",
        "Number of times this table has been manually vacuumed (not counting VACUUM FULL)",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_autovacuum_count",
        "Number of times this table has been vacuumed by the autovacuum daemon",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_analyze_count",
        "Number of times this table has been manually analyzed",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_autoanalyze_count",
        "Number of times this table has been analyzed by the autovacuum daemon",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_index_size_bytes",
        "Total disk space used by this index, in bytes",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_table_size_bytes",
        "Total disk space used by this table, in bytes",
        Gauge,
        TABLE_LABELS,
    ),
];

const USER_TABLES_QUERY: &str = "SELECT current_database() datname, schemaname, relname, seq_scan, seq_tup_read, \
idx_scan, idx_tup_fetch, n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd, n_live_tup, n_dead_tup, n_mod_since_analyze, \
floor(extract(epoch from COALESCE(last_vacuum, '1970-01-01Z'))), \
floor(extract(epoch from COALESCE(last_autovacuum, '1970-01-01Z'))), \
floor(extract(epoch from COALESCE(last_analyze, '1970-01-01Z'))), \
floor(extract(epoch from COALESCE(last_autoanalyze, '1970-01-01Z'))), \
vacuum_count, autovacuum_count, analyze_count, autoanalyze_count, pg_indexes_size(relid) AS indexes_size, \
pg_table_size(relid) AS table_size FROM pg_stat_user_tables";

pub(super) async fn stat_user_tables(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    for r in rows(input.client, USER_TABLES_QUERY).await? {
        let labels: [&str; 3] = std::array::from_fn(|i| text(&r, i).unwrap_or("unknown"));
        for (i, desc) in USER_TABLES.iter().enumerate() {
            out.push(desc, &labels, num(&r, 3 + i).unwrap_or(0.0));
        }
    }
    Ok(())
}
