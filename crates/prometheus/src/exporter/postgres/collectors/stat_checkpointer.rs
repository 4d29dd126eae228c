//! The `stat_checkpointer` collector (PostgreSQL 17+).

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, Error, Input};
use MetricType::Counter;

const CHECKPOINTER: [Desc; 9] = [
    Desc::new(
        "pg_stat_checkpointer_num_timed_total",
        "Number of scheduled checkpoints due to timeout",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_num_requested_total",
        "Number of requested checkpoints that have been performed",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_restartpoints_timed_total",
        "Number of scheduled restartpoints due to timeout or after a failed attempt to perform it",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_restartpoints_req_total",
        "Number of requested restartpoints",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_restartpoints_done_total",
        "Number of restartpoints that have been performed",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_write_time_total",
        "Total amount of time that has been spent in the portion of processing checkpoints and restartpoints where files are written to disk, in milliseconds",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_sync_time_total",
        "Total amount of time that has been spent in the portion of processing checkpoints and restartpoints where files are synchronized to disk, in milliseconds",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_buffers_written_total",
        "Number of buffers written during checkpoints and restartpoints",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_stats_reset_total",
        "Time at which these statistics were last reset",
        Counter,
        &[],
    ),
];

pub(super) async fn stat_checkpointer(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    // The view exists from PostgreSQL 17; upstream succeeds with nothing before that.
    if input.version_num < 170000 {
        return Ok(());
    }
    if let Some(r) = rows(
        input.client,
        "SELECT num_timed, num_requested, restartpoints_timed, restartpoints_req, restartpoints_done, \
         write_time, sync_time, buffers_written, floor(extract(epoch from stats_reset)) FROM pg_stat_checkpointer",
    )
    .await?
    .first()
    {
        for (i, desc) in CHECKPOINTER.iter().enumerate() {
            out.push(desc, &[], num(r, i).unwrap_or(0.0));
        }
    }
    Ok(())
}
