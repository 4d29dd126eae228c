//! The `stat_bgwriter` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, Error, Input};
use MetricType::Counter;

const BGW_CHECKPOINTS_TIMED: Desc = Desc::new(
    "pg_stat_bgwriter_checkpoints_timed_total",
    "Number of scheduled checkpoints that have been performed",
    Counter,
    &[],
);
const BGW_CHECKPOINTS_REQ: Desc = Desc::new(
    "pg_stat_bgwriter_checkpoints_req_total",
    "Number of requested checkpoints that have been performed",
    Counter,
    &[],
);
const BGW_CHECKPOINT_WRITE_TIME: Desc = Desc::new(
    "pg_stat_bgwriter_checkpoint_write_time_total",
    "Total amount of time that has been spent in the portion of checkpoint processing where files are written to disk, in milliseconds",
    Counter,
    &[],
);
const BGW_CHECKPOINT_SYNC_TIME: Desc = Desc::new(
    "pg_stat_bgwriter_checkpoint_sync_time_total",
    "Total amount of time that has been spent in the portion of checkpoint processing where files are synchronized to disk, in milliseconds",
    Counter,
    &[],
);
const BGW_BUFFERS_CHECKPOINT: Desc = Desc::new(
    "pg_stat_bgwriter_buffers_checkpoint_total",
    "Number of buffers written during checkpoints",
    Counter,
    &[],
);
const BGW_BUFFERS_CLEAN: Desc = Desc::new(
    "pg_stat_bgwriter_buffers_clean_total",
    "Number of buffers written by the background writer",
    Counter,
    &[],
);
const BGW_MAXWRITTEN_CLEAN: Desc = Desc::new(
    "pg_stat_bgwriter_maxwritten_clean_total",
    "Number of times the background writer stopped a cleaning scan because it had written too many buffers",
    Counter,
    &[],
);
const BGW_BUFFERS_BACKEND: Desc = Desc::new(
    "pg_stat_bgwriter_buffers_backend_total",
    "Number of buffers written directly by a backend",
    Counter,
    &[],
);
const BGW_BUFFERS_BACKEND_FSYNC: Desc = Desc::new(
    "pg_stat_bgwriter_buffers_backend_fsync_total",
    "Number of times a backend had to execute its own fsync call (normally the background writer handles those even when the backend does its own write)",
    Counter,
    &[],
);
const BGW_BUFFERS_ALLOC: Desc = Desc::new(
    "pg_stat_bgwriter_buffers_alloc_total",
    "Number of buffers allocated",
    Counter,
    &[],
);
const BGW_STATS_RESET: Desc = Desc::new(
    "pg_stat_bgwriter_stats_reset_total",
    "Time at which these statistics were last reset",
    Counter,
    &[],
);

pub(super) async fn stat_bgwriter(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    // PostgreSQL 17 moved the checkpoint and backend columns to pg_stat_checkpointer / pg_stat_io.
    let (sql, descs): (&str, &[&Desc]) = if input.version_num >= 170000 {
        (
            "SELECT buffers_clean, maxwritten_clean, buffers_alloc, floor(extract(epoch from stats_reset)) \
             FROM pg_stat_bgwriter",
            &[
                &BGW_BUFFERS_CLEAN,
                &BGW_MAXWRITTEN_CLEAN,
                &BGW_BUFFERS_ALLOC,
                &BGW_STATS_RESET,
            ],
        )
    } else {
        (
            "SELECT checkpoints_timed, checkpoints_req, checkpoint_write_time, checkpoint_sync_time, \
             buffers_checkpoint, buffers_clean, maxwritten_clean, buffers_backend, buffers_backend_fsync, \
             buffers_alloc, floor(extract(epoch from stats_reset)) FROM pg_stat_bgwriter",
            &[
                &BGW_CHECKPOINTS_TIMED,
                &BGW_CHECKPOINTS_REQ,
                &BGW_CHECKPOINT_WRITE_TIME,
                &BGW_CHECKPOINT_SYNC_TIME,
                &BGW_BUFFERS_CHECKPOINT,
                &BGW_BUFFERS_CLEAN,
                &BGW_MAXWRITTEN_CLEAN,
                &BGW_BUFFERS_BACKEND,
                &BGW_BUFFERS_BACKEND_FSYNC,
                &BGW_BUFFERS_ALLOC,
                &BGW_STATS_RESET,
            ],
        )
    };
    if let Some(r) = rows(input.client, sql).await?.first() {
        for (i, desc) in descs.iter().enumerate() {
            out.push(desc, &[], num(r, i).unwrap_or(0.0));
        }
    }
    Ok(())
}
