//! The `wal` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, Error, Input};
use MetricType::Gauge;

const WAL_SEGMENTS: Desc = Desc::new("pg_wal_segments", "Number of WAL segments", Gauge, &[]);
const WAL_SIZE: Desc = Desc::new(
    "pg_wal_size_bytes",
    "Total size of WAL segments",
    Gauge,
    &[],
);

pub(super) async fn wal(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    if let Some(r) = rows(
        input.client,
        "SELECT COUNT(*) AS segments, SUM(size) AS size FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'",
    )
    .await?
    .first()
    {
        out.push(&WAL_SEGMENTS, &[], num(r, 0).unwrap_or(0.0));
        if let Some(size) = num(r, 1) {
            out.push(&WAL_SIZE, &[], size);
        }
    }
    Ok(())
}
