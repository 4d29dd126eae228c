//! The `statio_user_tables` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::stat_user_tables::TABLE_LABELS;
use super::{num, rows, text, Error, Input};
use MetricType::Counter;

const STATIO_USER_TABLES: [Desc; 8] = [
    Desc::new(
        "pg_statio_user_tables_heap_blocks_read",
        "Number of disk blocks read from this table",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_statio_user_tables_heap_blocks_hit",
        "Number of buffer hits in this table",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_statio_user_tables_idx_blocks_read",
        "Number of disk blocks read from all indexes on this table",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_statio_user_tables_idx_blocks_hit",
        "Number of buffer hits in all indexes on this table",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_statio_user_tables_toast_blocks_read",
        "Number of disk blocks read from this table's TOAST table (if any)",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_statio_user_tables_toast_blocks_hit",
        "Number of buffer hits in this table's TOAST table (if any)",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_statio_user_tables_tidx_blocks_read",
        "Number of disk blocks read from this table's TOAST table indexes (if any)",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_statio_user_tables_tidx_blocks_hit",
        "Number of buffer hits in this table's TOAST table indexes (if any)",
        Counter,
        TABLE_LABELS,
    ),
];

pub(super) async fn statio_user_tables(
    input: &Input<'_>,
    out: &mut FamilySet,
) -> Result<(), Error> {
    for r in rows(
        input.client,
        "SELECT current_database() datname, schemaname, relname, heap_blks_read, heap_blks_hit, idx_blks_read, \
         idx_blks_hit, toast_blks_read, toast_blks_hit, tidx_blks_read, tidx_blks_hit FROM pg_statio_user_tables",
    )
    .await?
    {
        let labels: [&str; 3] = std::array::from_fn(|i| text(&r, i).unwrap_or("unknown"));
        for (i, desc) in STATIO_USER_TABLES.iter().enumerate() {
            out.push(desc, &labels, num(&r, 3 + i).unwrap_or(0.0));
        }
    }
    Ok(())
}
