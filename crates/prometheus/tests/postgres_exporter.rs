//! `prometheus.exporter.postgres` against a real PostgreSQL started for the test: values after known load,
//! the families and labels of Debian's `prometheus-postgres-exporter` run against the same server (with the
//! version differences listed), and failures that say what is wrong without ever showing the password.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use ingot_runtime::component::{Registration, Registry};
use ingot_runtime::controller::{Controller, Options};
use ingot_runtime::health::{Health, HealthState};
use ingot_runtime::source::from_text;
use ingot_syntax::value::Value;
use ingot_testkit::{free_port, require_binary};
use support::{parse_exposition, Family, Postgres, DATABASE, PASSWORD, USER};

const ID: &str = "prometheus.exporter.postgres.db";

fn controller() -> Arc<Controller> {
    Controller::new(
        Arc::new(Registry::new(vec![Registration::of::<
            ingot_prometheus::exporter::postgres::Component,
        >()])),
        Options::default(),
    )
}

fn apply(c: &Controller, text: &str) -> Result<(), Vec<String>> {
    let (config, diags) = from_text("main.alloy", text);
    assert!(!diags.has_errors(), "{}", diags.render());
    c.apply(&config)
        .map_err(|d| d.iter().map(|d| d.short()).collect())
}

fn config(dsns: &[String]) -> String {
    let list = dsns
        .iter()
        .map(|d| format!("{d:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("prometheus.exporter.postgres \"db\" {{\n  data_source_names = [{list}]\n}}\n")
}

fn scrape(c: &Controller, id: &str) -> String {
    let r = ingot_testkit::components::get(c, &format!("{id}/metrics"))
        .expect("the component serves /metrics");
    assert_eq!(r.status, 200);
    String::from_utf8(r.body).unwrap()
}

fn health(c: &Controller, id: &str) -> Health {
    c.component(id).expect("component").health
}

fn target(c: &Controller, id: &str, field: &str) -> String {
    let exports = c.component(id).unwrap().exports;
    let targets = exports.get("targets").and_then(Value::as_array).unwrap();
    assert_eq!(targets.len(), 1);
    targets[0]
        .get(field)
        .and_then(Value::as_str)
        .unwrap()
        .to_string()
}

/// The password is in no metric, health message, export, argument display or debug output.
fn assert_secret_kept(c: &Controller, id: &str, body: &str, password: &str) {
    assert!(!body.contains(password), "password in the metrics");
    let info = c.component(id).unwrap();
    assert!(
        !info.health.message.contains(password),
        "password in health: {}",
        info.health.message
    );
    let shown = format!("{info:?}");
    assert!(
        !shown.contains(password),
        "password in the component's API view: {shown}"
    );
}

fn family<'a>(families: &'a std::collections::BTreeMap<String, Family>, name: &str) -> &'a Family {
    families
        .get(name)
        .unwrap_or_else(|| panic!("no family {name}"))
}

fn value(
    families: &std::collections::BTreeMap<String, Family>,
    name: &str,
    labels: &[(&str, &str)],
) -> f64 {
    family(families, name)
        .value(labels)
        .unwrap_or_else(|| panic!("no {name} sample with {labels:?}"))
}

#[test]
fn default_collectors_report_the_load_driven_on_a_real_server() {
    let pg = Postgres::start();
    pg.psql(
        DATABASE,
        "CREATE TABLE items (id int PRIMARY KEY, name text); \
         INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g; \
         UPDATE items SET name = 'changed' WHERE id <= 10; \
         DELETE FROM items WHERE id > 95;",
    );
    for _ in 0..3 {
        pg.psql(DATABASE, "SELECT count(*) FROM items");
    }
    let stats =
        "SELECT n_tup_ins || ' ' || n_live_tup || ' ' || (seq_scan >= 3) FROM pg_stat_user_tables WHERE relname = 'items'";
    pg.wait_for(DATABASE, stats, "100 95 true");
    let c = controller();
    apply(&c, &config(&[pg.dsn(USER, PASSWORD, DATABASE)])).unwrap();
    assert_eq!(target(&c, ID, "job"), "integrations/postgres");
    assert_eq!(
        target(&c, ID, "instance"),
        format!("postgresql://127.0.0.1:{}/{DATABASE}", pg.port)
    );

    let body = scrape(&c, ID);
    let f = parse_exposition(&body);
    let h = health(&c, ID);
    assert_eq!(h.state, HealthState::Healthy, "{}", h.message);
    assert!(
        h.message.contains(&format!(
            "postgresql://{USER}@127.0.0.1:{}/{DATABASE} (PostgreSQL ",
            pg.port
        )),
        "{}",
        h.message
    );
    assert_secret_kept(&c, ID, &body, PASSWORD);

    assert_eq!(value(&f, "pg_up", &[]), 1.0);
    assert_eq!(value(&f, "pg_exporter_last_scrape_error", &[]), 0.0);
    let server = format!("127.0.0.1:{}", pg.port);
    let major: u32 = pg
        .psql("postgres", "SHOW server_version_num")
        .parse::<u32>()
        .unwrap()
        / 10000;
    let st = &family(&f, "pg_static").samples[0].0;
    assert_eq!(st["server"], server);
    assert!(
        st["short_version"].starts_with(&format!("{major}.")),
        "{st:?}"
    );
    assert!(st["version"].starts_with("PostgreSQL "), "{st:?}");

    for collector in [
        "database",
        "locks",
        "replication",
        "replication_slots",
        "roles",
        "settings",
        "stat_activity",
        "stat_archiver",
        "stat_bgwriter",
        "stat_database",
        "stat_progress_vacuum",
        "stat_replication",
        "stat_user_tables",
        "statio_user_tables",
        "wal",
    ] {
        assert_eq!(
            value(
                &f,
                "pg_scrape_collector_success",
                &[("collector", collector)]
            ),
            1.0,
            "collector {collector}"
        );
    }

    let table = [
        ("datname", DATABASE),
        ("schemaname", "public"),
        ("relname", "items"),
    ];
    assert_eq!(value(&f, "pg_stat_user_tables_n_tup_ins", &table), 100.0);
    assert_eq!(value(&f, "pg_stat_user_tables_n_tup_upd", &table), 10.0);
    assert_eq!(value(&f, "pg_stat_user_tables_n_tup_del", &table), 5.0);
    assert_eq!(value(&f, "pg_stat_user_tables_n_live_tup", &table), 95.0);
    assert!(value(&f, "pg_stat_user_tables_seq_scan", &table) >= 3.0);
    assert_eq!(
        value(&f, "pg_stat_user_tables_table_size_bytes", &table),
        pg.psql(DATABASE, "SELECT pg_table_size('items')")
            .parse::<f64>()
            .unwrap()
    );
    assert_eq!(
        value(&f, "pg_stat_user_tables_index_size_bytes", &table),
        pg.psql(DATABASE, "SELECT pg_indexes_size('items')")
            .parse::<f64>()
            .unwrap()
    );
    assert_eq!(value(&f, "pg_stat_user_tables_last_vacuum", &table), 0.0);
    assert!(value(&f, "pg_statio_user_tables_heap_blocks_hit", &table) > 0.0);
    assert_eq!(
        value(&f, "pg_database_size_bytes", &[("datname", DATABASE)]),
        pg.psql(
            "postgres",
            &format!("SELECT pg_database_size('{DATABASE}')")
        )
        .parse::<f64>()
        .unwrap()
    );
    assert_eq!(
        value(&f, "pg_database_connection_limit", &[("datname", DATABASE)]),
        -1.0
    );
    assert_eq!(
        value(&f, "pg_roles_connection_limit", &[("rolname", USER)]),
        -1.0
    );
    assert!(
        value(
            &f,
            "pg_stat_database_tup_inserted",
            &[("datname", DATABASE)]
        ) >= 100.0
    );
    let datid = pg.psql(
        "postgres",
        &format!("SELECT oid FROM pg_database WHERE datname = '{DATABASE}'"),
    );
    let commits = value(
        &f,
        "pg_stat_database_xact_commit",
        &[("datid", &datid), ("datname", DATABASE)],
    );
    assert!(commits > 0.0);

    // Settings: names, units converted to base units, HELP as v0.20 writes it.
    assert_eq!(value(&f, "pg_settings_max_connections", &[]), 40.0);
    assert_eq!(
        value(&f, "pg_settings_shared_buffers_bytes", &[]),
        16.0 * 1024.0 * 1024.0
    );
    assert_eq!(value(&f, "pg_settings_fsync", &[]), 0.0);
    assert_eq!(
        family(&f, "pg_settings_shared_buffers_bytes").help,
        "Server Parameter: shared_buffers [Units converted to bytes.]"
    );
    assert_eq!(
        value(&f, "pg_settings_checkpoint_timeout_seconds", &[]),
        pg.psql(
            "postgres",
            "SELECT setting FROM pg_settings WHERE name = 'checkpoint_timeout'"
        )
        .parse::<f64>()
        .unwrap()
    );

    // Locks: every mode for every database, zero-filled.
    let locks = family(&f, "pg_locks_count");
    let databases: usize = pg
        .psql("postgres", "SELECT count(*) FROM pg_database")
        .parse()
        .unwrap();
    assert_eq!(locks.samples.len(), 9 * databases);
    assert_eq!(locks.label_names, ["datname", "mode"]);
    assert_eq!(
        family(&f, "pg_stat_activity_count").label_names,
        [
            "application_name",
            "backend_type",
            "datname",
            "state",
            "usename",
            "wait_event",
            "wait_event_type"
        ]
    );
    assert_eq!(value(&f, "pg_replication_is_replica", &[]), 0.0);
    assert!(value(&f, "pg_wal_segments", &[]) >= 1.0);
    assert!(value(&f, "pg_wal_size_bytes", &[]) >= 16.0 * 1024.0 * 1024.0);

    // More load; the next scrape sees exactly it, over the same single connection.
    pg.psql(
        DATABASE,
        "INSERT INTO items SELECT g, 'more' FROM generate_series(1000, 1049) g",
    );
    pg.wait_for(DATABASE, stats, "150 145 true");
    let f = parse_exposition(&scrape(&c, ID));
    assert_eq!(value(&f, "pg_stat_user_tables_n_tup_ins", &table), 150.0);
    assert_eq!(value(&f, "pg_stat_user_tables_n_live_tup", &table), 145.0);
    assert_eq!(value(&f, "pg_exporter_scrapes_total", &[]), 2.0);
    assert!(
        value(
            &f,
            "pg_stat_database_xact_commit",
            &[("datid", &datid), ("datname", DATABASE)]
        ) > commits
    );
    assert_eq!(
        pg.psql(
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ingot'"
        ),
        "1",
        "the exporter keeps one connection per data source"
    );
}

/// Families Debian's 0.11.1 has and v0.20 (ingot's target) does not, for PostgreSQL 15: 0.11's legacy map
/// exported unknown pg_stat_database columns as untyped, and wrote last_archive_age as NaN when nothing was
/// ever archived, where v0.20 leaves the series out.
const ONLY_DEBIAN_0_11: &[&str] = &[
    "pg_stat_archiver_last_archive_age",
    "pg_stat_database_active_time",
    "pg_stat_database_checksum_failures",
    "pg_stat_database_checksum_last_failure",
    "pg_stat_database_idle_in_transaction_time",
    "pg_stat_database_session_time",
    "pg_stat_database_sessions",
    "pg_stat_database_sessions_abandoned",
    "pg_stat_database_sessions_fatal",
    "pg_stat_database_sessions_killed",
];

/// Families v0.20 has that Debian's 0.11.1 lacks: collectors added after 0.11, and the table statistics that
/// 0.11 offered only through its example queries.yaml (all 21 + 8 of them, by these prefixes).
const ONLY_V0_20_PREFIXES: &[(&str, usize)] =
    &[("pg_stat_user_tables_", 21), ("pg_statio_user_tables_", 8)];
const ONLY_V0_20: &[&str] = &[
    "pg_database_connection_limit",
    "pg_replication_is_replica",
    "pg_replication_lag_seconds",
    "pg_replication_last_replay_seconds",
    "pg_roles_connection_limit",
    "pg_stat_database_active_time_seconds_total",
    "pg_wal_segments",
    "pg_wal_size_bytes",
];

#[test]
fn same_families_and_labels_as_debians_postgres_exporter() {
    let binary = require_binary(
        "prometheus-postgres-exporter",
        "prometheus-postgres-exporter",
    );
    let pg = Postgres::start();
    pg.psql(
        DATABASE,
        "CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 10);",
    );
    let dsn = pg.dsn(USER, PASSWORD, DATABASE);
    let port = free_port();
    let mut theirs_peer = support::start_exporter(
        "postgres_exporter",
        &binary,
        &[format!("--web.listen-address=127.0.0.1:{port}")],
        &[("DATA_SOURCE_NAME", &dsn)],
        port,
    );
    let c = controller();
    apply(&c, &config(&[dsn])).unwrap();
    let ours = parse_exposition(&scrape(&c, ID));
    let theirs = parse_exposition(&support::scrape_peer(port));
    assert!(theirs_peer.is_running());
    assert_eq!(
        theirs.get("pg_up").and_then(|f| f.value(&[])),
        Some(1.0),
        "Debian's exporter could not connect:\n{}",
        theirs_peer.log()
    );

    let pg_names = |m: &std::collections::BTreeMap<String, Family>| -> BTreeSet<String> {
        m.keys().filter(|n| n.starts_with("pg_")).cloned().collect()
    };
    let (our_names, their_names) = (pg_names(&ours), pg_names(&theirs));
    let only_theirs: Vec<&String> = their_names.difference(&our_names).collect();
    let mut only_ours: Vec<&String> = our_names.difference(&their_names).collect();
    for (prefix, count) in ONLY_V0_20_PREFIXES {
        let n = only_ours.iter().filter(|n| n.starts_with(prefix)).count();
        assert_eq!(n, *count, "families {prefix}* only ingot has");
        only_ours.retain(|n| !n.starts_with(prefix));
    }
    assert_eq!(
        only_theirs, ONLY_DEBIAN_0_11,
        "families only Debian's 0.11.1 has"
    );
    assert_eq!(only_ours, ONLY_V0_20, "families only ingot (v0.20) has");

    // Label names of the shared families: 0.11 put `server` on everything but its two collectors' families
    // and grouped pg_stat_activity by fewer labels; v0.20 dropped `server` from collector families.
    let mut compared = 0;
    for name in our_names.intersection(&their_names) {
        let (o, t) = (&ours[name], &theirs[name]);
        let strip = |labels: &[String]| -> Vec<String> {
            labels.iter().filter(|l| *l != "server").cloned().collect()
        };
        let (mut ol, tl) = (strip(&o.label_names), strip(&t.label_names));
        if name.starts_with("pg_stat_activity_") {
            // v0.20 added these; 0.11.1 had datname and state only.
            ol.retain(|l| {
                ![
                    "usename",
                    "application_name",
                    "backend_type",
                    "wait_event_type",
                    "wait_event",
                ]
                .contains(&l.as_str())
            });
        }
        if o.samples.is_empty() || t.samples.is_empty() {
            continue;
        }
        assert_eq!(ol, tl, "label names of {name}");
        // TYPE differs only where 0.11's legacy map guessed it.
        let kind_differs_in_0_11 = name == "pg_stat_archiver_last_archive_age"
            || name.starts_with("pg_replication_slots_");
        if !kind_differs_in_0_11 {
            assert_eq!(o.kind, t.kind, "TYPE of {name}");
        }
        compared += 1;
    }
    assert!(compared > 250, "only {compared} families compared");

    // Values that do not move between two scrapes agree.
    for (name, labels) in [
        ("pg_settings_max_connections", vec![]),
        ("pg_settings_shared_buffers_bytes", vec![]),
        ("pg_database_size_bytes", vec![("datname", DATABASE)]),
        // The test's CREATE DATABASE requested a checkpoint before either scrape.
        ("pg_stat_bgwriter_checkpoints_req_total", vec![]),
        ("pg_stat_database_tup_inserted", vec![("datname", DATABASE)]),
    ] {
        assert_eq!(
            value(&ours, name, &labels),
            value(&theirs, name, &labels),
            "{name}{labels:?}"
        );
    }
}

#[test]
fn wrong_password_is_pg_up_0_with_the_servers_message() {
    let pg = Postgres::start();
    let wrong = "Wr0ng-Passw0rd-123";
    let c = controller();
    apply(&c, &config(&[pg.dsn(USER, wrong, DATABASE)])).unwrap();
    let body = scrape(&c, ID);
    let f = parse_exposition(&body);
    assert_eq!(value(&f, "pg_up", &[]), 0.0);
    assert_eq!(value(&f, "pg_exporter_last_scrape_error", &[]), 1.0);
    assert_eq!(
        value(
            &f,
            "pg_scrape_collector_success",
            &[("collector", "stat_database")]
        ),
        0.0
    );
    assert!(!f.contains_key("pg_static"));
    let h = health(&c, ID);
    assert_eq!(h.state, HealthState::Unhealthy);
    assert_eq!(
        h.message,
        format!(
            "cannot connect to postgresql://{USER}@127.0.0.1:{}/{DATABASE}: password authentication failed for user \"{USER}\"",
            pg.port
        )
    );
    assert_secret_kept(&c, ID, &body, wrong);
    assert_secret_kept(&c, ID, &body, PASSWORD);
}

/// Masking by structure, against a real server: wrong passwords that occur in the message's other words
/// (`1`, `postgres`, `authentication`, `x`) leave it exactly as the server worded it, and a password with
/// `@` (which Go's url.Parse, and so postgres_exporter, accepts) connects.
#[test]
fn passwords_are_masked_by_structure_and_may_hold_at_signs() {
    let pg = Postgres::start();
    for wrong in ["1", "postgres", "authentication", "x"] {
        let c = controller();
        apply(&c, &config(&[pg.dsn(USER, wrong, DATABASE)])).unwrap();
        let _ = scrape(&c, ID);
        assert_eq!(
            health(&c, ID).message,
            format!(
                "cannot connect to postgresql://{USER}@127.0.0.1:{}/{DATABASE}: password authentication failed for user \"{USER}\"",
                pg.port
            ),
            "password {wrong:?}"
        );
    }
    let at = "p@ss@w0rd";
    pg.psql(
        "postgres",
        &format!("CREATE ROLE at_user LOGIN PASSWORD '{at}'; GRANT pg_monitor TO at_user;"),
    );
    let c = controller();
    apply(&c, &config(&[pg.dsn("at_user", at, DATABASE)])).unwrap();
    let body = scrape(&c, ID);
    let f = parse_exposition(&body);
    assert_eq!(value(&f, "pg_up", &[]), 1.0, "{:?}", health(&c, ID));
    assert_secret_kept(&c, ID, &body, at);
}

#[test]
fn database_down_then_back_reconnects() {
    let mut pg = Postgres::start();
    let c = controller();
    apply(&c, &config(&[pg.dsn(USER, PASSWORD, DATABASE)])).unwrap();
    let f = parse_exposition(&scrape(&c, ID));
    assert_eq!(value(&f, "pg_up", &[]), 1.0);

    pg.stop();
    let body = scrape(&c, ID);
    let f = parse_exposition(&body);
    assert_eq!(value(&f, "pg_up", &[]), 0.0);
    assert_eq!(
        value(&f, "pg_scrape_collector_success", &[("collector", "locks")]),
        0.0
    );
    let h = health(&c, ID);
    assert_eq!(h.state, HealthState::Unhealthy);
    assert!(
        h.message.starts_with(&format!(
            "cannot connect to postgresql://{USER}@127.0.0.1:{}/{DATABASE}: connection refused: PostgreSQL is not listening there",
            pg.port
        )),
        "{}",
        h.message
    );
    assert_secret_kept(&c, ID, &body, PASSWORD);

    pg.restart();
    let f = parse_exposition(&scrape(&c, ID));
    assert_eq!(value(&f, "pg_up", &[]), 1.0);
    assert_eq!(health(&c, ID).state, HealthState::Healthy);
}

#[test]
fn several_data_sources_one_failing() {
    let pg = Postgres::start();
    let c = controller();
    let good = pg.dsn(USER, PASSWORD, DATABASE);
    let bad = pg.dsn(USER, PASSWORD, "nosuchdb");
    apply(&c, &config(&[good, bad])).unwrap();
    // Alloy: with more than one DSN, the instance is the component id.
    assert_eq!(target(&c, ID, "instance"), ID);
    let body = scrape(&c, ID);
    let f = parse_exposition(&body);
    // As upstream: pg_up is 1 while any server answers; health names the one that did not.
    assert_eq!(value(&f, "pg_up", &[]), 1.0);
    assert_eq!(value(&f, "pg_exporter_last_scrape_error", &[]), 1.0);
    assert_eq!(family(&f, "pg_static").samples.len(), 1);
    let h = health(&c, ID);
    assert_eq!(h.state, HealthState::Unhealthy);
    assert_eq!(
        h.message,
        format!(
            "cannot connect to postgresql://{USER}@127.0.0.1:{}/nosuchdb: database \"nosuchdb\" does not exist",
            pg.port
        )
    );
    assert_secret_kept(&c, ID, &body, PASSWORD);
}

#[test]
fn arguments_are_checked_with_alloys_messages() {
    let c = controller();
    let dsn = "postgresql://u:p@127.0.0.1:1/db?sslmode=disable";
    let err = apply(
        &c,
        &format!(
            "prometheus.exporter.postgres \"a\" {{\n  data_source_names = [{dsn:?}]\n  disable_default_metrics = true\n}}\n"
        ),
    )
    .unwrap_err();
    assert!(
        err[0].contains(
            "custom_queries_config_path must be set when disable_default_metrics is true"
        ),
        "{err:?}"
    );
    let err = apply(
        &c,
        &format!(
            "prometheus.exporter.postgres \"a\" {{\n  data_source_names = [{dsn:?}]\n  enabled_collectors = [\"locks\", \"nope\"]\n}}\n"
        ),
    )
    .unwrap_err();
    assert!(err[0].contains("missing collector: nope"), "{err:?}");
    let err = apply(
        &c,
        &format!(
            "prometheus.exporter.postgres \"a\" {{\n  data_source_names = [{dsn:?}]\n  enabled_collectors = [\"stat_statements\"]\n}}\n"
        ),
    )
    .unwrap_err();
    assert!(err[0].contains("not supported by ingot yet"), "{err:?}");

    // enabled_collectors picks exactly those collectors; Alloy's old name replication_slot is accepted.
    let pg = Postgres::start();
    apply(
        &c,
        &format!(
            "prometheus.exporter.postgres \"db\" {{\n  data_source_names = [{:?}]\n  enabled_collectors = [\"postmaster\", \"replication_slot\"]\n  disable_settings_metrics = true\n  autodiscovery {{\n    enabled = false\n  }}\n}}\n",
            pg.dsn(USER, PASSWORD, DATABASE)
        ),
    )
    .unwrap();
    let f = parse_exposition(&scrape(&c, ID));
    let collectors: BTreeSet<&str> = family(&f, "pg_scrape_collector_success")
        .samples
        .iter()
        .map(|(l, _)| l["collector"].as_str())
        .collect();
    assert_eq!(
        collectors,
        BTreeSet::from(["postmaster", "replication_slots"])
    );
    let started = value(&f, "pg_postmaster_start_time_seconds", &[]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        started > now - 600.0 && started <= now,
        "{started} vs {now}"
    );
    assert!(!f.keys().any(|n| n.starts_with("pg_settings_")));
}

#[test]
fn data_source_names_fall_back_to_the_environment() {
    let pg = Postgres::start();
    // Only this test sets the variable; the others always pass data_source_names.
    std::env::set_var(
        "POSTGRES_EXPORTER_DATA_SOURCE_NAME",
        // The second over the unix socket, so that the two have different `server` labels.
        format!(
            "{},host={} port={} user={USER} password={PASSWORD} dbname=postgres sslmode=disable",
            pg.dsn(USER, PASSWORD, DATABASE),
            pg.dir.display(),
            pg.port
        ),
    );
    let c = controller();
    let applied = apply(&c, "prometheus.exporter.postgres \"db\" { }\n");
    std::env::remove_var("POSTGRES_EXPORTER_DATA_SOURCE_NAME");
    applied.unwrap();
    assert_eq!(target(&c, ID, "instance"), ID);
    let body = scrape(&c, ID);
    let f = parse_exposition(&body);
    assert_eq!(value(&f, "pg_up", &[]), 1.0);
    assert_eq!(family(&f, "pg_static").samples.len(), 2);
    assert_eq!(health(&c, ID).state, HealthState::Healthy);
    assert_secret_kept(&c, ID, &body, PASSWORD);
}
