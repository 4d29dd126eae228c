//! The `stat_archiver` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, Error, Input};
use MetricType::{Counter, Gauge};

const ARCHIVER_ARCHIVED: Desc = Desc::new(
    "pg_stat_archiver_archived_count",
    "Number of WAL files that have been successfully archived",
    Counter,
    &[],
);
const ARCHIVER_FAILED: Desc = Desc::new(
    "pg_stat_archiver_failed_count",
    "Number of failed attempts for archiving WAL files",
    Counter,
    &[],
);
const ARCHIVER_LAST_AGE: Desc = Desc::new(
    "pg_stat_archiver_last_archive_age",
    "Time in seconds since last WAL segment was successfully archived",
    Gauge,
    &[],
);

pub(super) async fn stat_archiver(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    if let Some(r) = rows(
        input.client,
        "SELECT archived_count, failed_count, extract(epoch from now() - last_archived_time) AS last_archive_age \
         FROM pg_stat_archiver",
    )
    .await?
    .first()
    {
        if let Some(v) = num(r, 0) {
            out.push(&ARCHIVER_ARCHIVED, &[], v);
        }
        if let Some(v) = num(r, 1) {
            out.push(&ARCHIVER_FAILED, &[], v);
        }
        if let Some(v) = num(r, 2) {
            out.push(&ARCHIVER_LAST_AGE, &[], v);
        }
    }
    Ok(())
}
