//! The `database` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, text, Error, Input};
use MetricType::Gauge;

const DATABASE_SIZE: Desc = Desc::new(
    "pg_database_size_bytes",
    "Disk space used by the database",
    Gauge,
    &["datname"],
);
const DATABASE_CONNECTION_LIMIT: Desc = Desc::new(
    "pg_database_connection_limit",
    "Connection limit set for the database",
    Gauge,
    &["datname"],
);

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(super) async fn database(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    let listed = rows(
        input.client,
        "SELECT pg_database.datname, pg_database.datconnlimit FROM pg_database",
    )
    .await?;
    let mut names = Vec::new();
    for r in &listed {
        let Some(datname) = text(r, 0) else { continue };
        if input.exclude_databases.iter().any(|d| d == datname) {
            continue;
        }
        out.push(
            &DATABASE_CONNECTION_LIMIT,
            &[datname],
            num(r, 1).unwrap_or(0.0),
        );
        names.push(datname.to_string());
    }
    if names.is_empty() {
        return Ok(());
    }
    // One round trip for every size instead of upstream's one query per database; same values.
    let sql = names
        .iter()
        .map(|n| {
            let lit = quote_literal(n);
            format!("SELECT {lit}, pg_database_size({lit})")
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    for r in rows(input.client, &sql).await? {
        if let Some(datname) = text(&r, 0) {
            out.push(&DATABASE_SIZE, &[datname], num(&r, 1).unwrap_or(0.0));
        }
    }
    Ok(())
}
