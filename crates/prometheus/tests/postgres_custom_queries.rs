//! `custom_queries_config_path` (postgres_exporter's queries.yaml) and `disable_default_metrics` against a real
//! PostgreSQL started for the test: exact values of label, counter, gauge, duration, histogram and unknown
//! columns over a table the test fills; only the custom metrics and the exporter's own when the defaults are
//! off; a broken file refused at configuration time with its name and line; a failing query absent from the
//! metrics and named, with the server's message, in health.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use ingot_runtime::component::{Registration, Registry};
use ingot_runtime::controller::{Controller, Options};
use ingot_runtime::health::{Health, HealthState};
use ingot_runtime::source::from_text;
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

fn config(dsn: &str, queries: &Path, disable_default: bool) -> String {
    format!(
        "prometheus.exporter.postgres \"db\" {{\n  data_source_names = [{dsn:?}]\n  \
         custom_queries_config_path = {:?}\n  disable_default_metrics = {disable_default}\n}}\n",
        queries.display().to_string()
    )
}

fn scrape(c: &Controller) -> String {
    let r = ingot_testkit::components::get(c, &format!("{ID}/metrics"))
        .expect("the component serves /metrics");
    assert_eq!(r.status, 200);
    String::from_utf8(r.body).unwrap()
}

fn health(c: &Controller) -> Health {
    c.component(ID).expect("component").health
}

fn family<'a>(f: &'a BTreeMap<String, Family>, name: &str) -> &'a Family {
    f.get(name).unwrap_or_else(|| panic!("no family {name}"))
}

fn value(f: &BTreeMap<String, Family>, name: &str, labels: &[(&str, &str)]) -> f64 {
    family(f, name)
        .value(labels)
        .unwrap_or_else(|| panic!("no {name} sample with {labels:?}"))
}

fn sha256(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum runs");
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// A table with known content, readable by the monitoring role.
fn fill_orders(pg: &Postgres) {
    pg.psql(
        DATABASE,
        &format!(
            "CREATE TABLE orders (id int PRIMARY KEY, status text, amount numeric, shipped bool, created timestamptz); \
             INSERT INTO orders VALUES \
               (1, 'open', 10.50, false, '2024-01-02 03:04:05+00'), \
               (2, 'open', 2.25, false, '2024-01-03 00:00:00+00'), \
               (3, 'shipped', 100, true, '2024-02-01 12:00:00+01'), \
               (4, 'shipped', 0.75, true, NULL), \
               (5, 'shipped', 7, false, '2023-12-31 23:59:59+00'); \
             GRANT SELECT ON orders TO {USER};"
        ),
    );
}

const ORDERS_YAML: &str = r#"
pg_orders:
  query: "SELECT status, count(*) AS total, sum(amount) AS amount, bool_or(shipped) AS any_shipped, max(created) AS last_created, 'n/a' AS note FROM orders GROUP BY status"
  master: true
  cache_seconds: 0
  metrics:
    - status:
        usage: "LABEL"
        description: "Status of the order"
    - total:
        usage: "COUNTER"
        description: "Number of orders in this status"
    - amount:
        usage: "GAUGE"
        description: "Sum of the order amounts"
    - any_shipped:
        usage: "GAUGE"
        description: "Whether one of them shipped"
pg_waits:
  query: "SELECT 'db'::text AS kind, '1.5s'::text AS longest, NULL::text AS skipped, ARRAY[0.5, 1]::float8[] AS latency, ARRAY[1, 3]::int8[] AS latency_bucket, 2.5::float8 AS latency_sum, 4 AS latency_count"
  metrics:
    - kind:
        usage: "LABEL"
        description: "Kind"
    - longest:
        usage: "DURATION"
        description: "Longest wait"
    - skipped:
        usage: "DISCARD"
        description: "Not exported"
    - latency:
        usage: "HISTOGRAM"
        description: "Wait latency"
pg_cached:
  query: "SELECT count(*) AS orders FROM orders"
  cache_seconds: 600
  metrics:
    - orders:
        usage: "GAUGE"
        description: "Orders, counted at most every 10 minutes"
"#;

#[test]
fn custom_queries_give_exact_values_names_help_and_labels() {
    let pg = Postgres::start();
    fill_orders(&pg);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queries.yaml");
    std::fs::write(&path, ORDERS_YAML).unwrap();

    let c = controller();
    apply(&c, &config(&pg.dsn(USER, PASSWORD, DATABASE), &path, false)).unwrap();
    let body = scrape(&c);
    let h = health(&c);
    assert_eq!(h.state, HealthState::Healthy, "{}", h.message);
    assert!(!body.contains(PASSWORD));
    let f = parse_exposition(&body);
    let server = format!("127.0.0.1:{}", pg.port);
    let open = [("status", "open"), ("server", server.as_str())];
    let shipped = [("status", "shipped"), ("server", server.as_str())];

    // <prefix>_<column>, HELP = description, TYPE from usage, labels = LABEL columns + server.
    for (name, help, kind) in [
        (
            "pg_orders_total",
            "Number of orders in this status",
            "counter",
        ),
        ("pg_orders_amount", "Sum of the order amounts", "gauge"),
        (
            "pg_orders_any_shipped",
            "Whether one of them shipped",
            "gauge",
        ),
        (
            "pg_orders_last_created",
            "Unknown metric from pg_orders",
            "untyped",
        ),
    ] {
        let fam = family(&f, name);
        assert_eq!(
            (fam.help.as_str(), fam.kind.as_str()),
            (help, kind),
            "{name}"
        );
        assert_eq!(fam.label_names, ["server", "status"], "{name}");
        assert_eq!(fam.samples.len(), 2, "{name}");
    }
    assert_eq!(value(&f, "pg_orders_total", &open), 2.0);
    assert_eq!(value(&f, "pg_orders_total", &shipped), 3.0);
    assert_eq!(value(&f, "pg_orders_amount", &open), 12.75);
    assert_eq!(value(&f, "pg_orders_amount", &shipped), 107.75);
    assert_eq!(value(&f, "pg_orders_any_shipped", &open), 0.0);
    assert_eq!(value(&f, "pg_orders_any_shipped", &shipped), 1.0);
    // timestamptz as Unix seconds, as lib/pq's time.Time gives it.
    assert_eq!(value(&f, "pg_orders_last_created", &open), 1_704_240_000.0);
    assert_eq!(
        value(&f, "pg_orders_last_created", &shipped),
        1_706_785_200.0
    );
    // Text that is no number is left out; LABEL columns are no metrics.
    assert!(!f.contains_key("pg_orders_note"));
    assert!(!f.contains_key("pg_orders_status"));
    assert!(
        body.contains(&format!(
            "# HELP pg_orders_total Number of orders in this status\n# TYPE pg_orders_total counter\n\
             pg_orders_total{{server=\"{server}\",status=\"open\"}} 2\n\
             pg_orders_total{{server=\"{server}\",status=\"shipped\"}} 3\n"
        )),
        "{body}"
    );

    // DURATION: <prefix>_<column>_milliseconds; DISCARD: nothing; HISTOGRAM: buckets, sum and count.
    let db = [("kind", "db"), ("server", server.as_str())];
    let longest = family(&f, "pg_waits_longest_milliseconds");
    assert_eq!(
        (longest.help.as_str(), longest.kind.as_str()),
        ("Longest wait", "gauge")
    );
    assert_eq!(value(&f, "pg_waits_longest_milliseconds", &db), 1500.0);
    assert!(!f.keys().any(|k| k.starts_with("pg_waits_skipped")));
    assert!(
        body.contains(&format!(
            "# HELP pg_waits_latency Wait latency\n# TYPE pg_waits_latency histogram\n\
             pg_waits_latency_bucket{{kind=\"db\",server=\"{server}\",le=\"0.5\"}} 1\n\
             pg_waits_latency_bucket{{kind=\"db\",server=\"{server}\",le=\"1\"}} 3\n\
             pg_waits_latency_bucket{{kind=\"db\",server=\"{server}\",le=\"+Inf\"}} 4\n\
             pg_waits_latency_sum{{kind=\"db\",server=\"{server}\"}} 2.5\n\
             pg_waits_latency_count{{kind=\"db\",server=\"{server}\"}} 4\n"
        )),
        "{body}"
    );

    // The file's load status, and the default metrics still there.
    let path_s = path.display().to_string();
    let hash = sha256(&path);
    assert_eq!(
        value(
            &f,
            "pg_exporter_user_queries_load_error",
            &[("filename", path_s.as_str()), ("hashsum", hash.as_str())]
        ),
        0.0
    );
    assert_eq!(
        value(&f, "pg_cached_orders", &[("server", server.as_str())]),
        5.0
    );
    assert_eq!(value(&f, "pg_up", &[]), 1.0);
    assert_eq!(value(&f, "pg_exporter_last_scrape_error", &[]), 0.0);
    assert!(f.contains_key("pg_static"));
    assert!(f.contains_key("pg_stat_database_conflicts_confl_lock"));
    assert_eq!(
        value(
            &f,
            "pg_scrape_collector_success",
            &[("collector", "database")]
        ),
        1.0
    );

    // Values follow the table on the next scrape.
    pg.psql(
        DATABASE,
        "INSERT INTO orders VALUES (6, 'open', 1, true, NULL)",
    );
    let f = parse_exposition(&scrape(&c));
    assert_eq!(value(&f, "pg_orders_total", &open), 3.0);
    assert_eq!(value(&f, "pg_orders_amount", &open), 13.75);
    assert_eq!(value(&f, "pg_orders_any_shipped", &open), 1.0);
    // Except where cache_seconds keeps the earlier result.
    assert_eq!(
        value(&f, "pg_cached_orders", &[("server", server.as_str())]),
        5.0
    );
}

#[test]
fn disable_default_metrics_leaves_the_custom_queries_and_the_exporters_own() {
    let pg = Postgres::start();
    fill_orders(&pg);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queries.yaml");
    std::fs::write(
        &path,
        "pg_orders:\n  query: SELECT status, count(*) AS total FROM orders GROUP BY status\n  metrics:\n    \
         - status:\n        usage: LABEL\n        description: Status\n    \
         - total:\n        usage: GAUGE\n        description: Orders\n\
         pg:\n  query: SELECT 7 AS up\n  metrics:\n    - up:\n        usage: GAUGE\n        description: Clash\n",
    )
    .unwrap();
    let c = controller();
    apply(&c, &config(&pg.dsn(USER, PASSWORD, DATABASE), &path, true)).unwrap();
    let body = scrape(&c);
    let h = health(&c);
    assert_eq!(h.state, HealthState::Healthy, "{}", h.message);
    let f = parse_exposition(&body);
    let names: BTreeSet<&str> = f.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "pg_exporter_last_scrape_duration_seconds",
            "pg_exporter_last_scrape_error",
            "pg_exporter_scrapes_total",
            "pg_exporter_user_queries_load_error",
            "pg_orders_total",
            "pg_up",
        ])
    );
    let server = format!("127.0.0.1:{}", pg.port);
    assert_eq!(
        value(
            &f,
            "pg_orders_total",
            &[("status", "shipped"), ("server", &server)]
        ),
        3.0
    );
    // A custom metric named like one of the exporter's own is left out; the exporter's stays.
    assert_eq!(family(&f, "pg_up").samples.len(), 1);
    assert_eq!(value(&f, "pg_up", &[]), 1.0);
    assert_eq!(value(&f, "pg_exporter_last_scrape_error", &[]), 0.0);
    assert_eq!(value(&f, "pg_exporter_scrapes_total", &[]), 1.0);
}

#[test]
fn a_broken_file_is_a_configuration_error_that_names_it() {
    let c = controller();
    let dsn = "postgresql://u:p@127.0.0.1:1/db?sslmode=disable";
    let dir = tempfile::tempdir().unwrap();

    // A YAML syntax error: the file and the parser's line.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "pg_orders:\n  query: SELECT 1 AS n\n  metrics:\n    - n:\n        usage: GAUGE\n   description: bad indent\n",
    )
    .unwrap();
    let err = apply(&c, &config(dsn, &bad, true)).unwrap_err();
    let msg = err.join("\n");
    assert!(
        msg.ends_with(&format!(
            "building component {ID}: custom_queries_config_path: {}: line 6 column 15: \
             while parsing a block mapping, did not find expected key",
            bad.display()
        )),
        "{msg}"
    );

    // A usage postgres_exporter does not know.
    let usage = dir.path().join("usage.yaml");
    std::fs::write(
        &usage,
        "pg_orders:\n  query: SELECT 1 AS n\n  metrics:\n    - n:\n        usage: GAUGES\n",
    )
    .unwrap();
    let err = apply(&c, &config(dsn, &usage, false)).unwrap_err();
    assert!(
        err.join("\n").contains(&format!(
            "{}: pg_orders: metrics[0].n: unknown usage \"GAUGES\"",
            usage.display()
        )),
        "{err:?}"
    );

    // Discovered databases would each run the queries upstream; ingot discovers none, and says so.
    let text = config(dsn, &usage, false)
        .replace("}\n", "  autodiscovery {\n    enabled = true\n  }\n}\n");
    let err = apply(&c, &text).unwrap_err();
    assert!(
        err.join("\n").contains(
            "custom_queries_config_path together with autodiscovery { enabled = true } is not supported"
        ),
        "{err:?}"
    );

    // A file that is not there.
    let missing = dir.path().join("missing.yaml");
    let err = apply(&c, &config(dsn, &missing, false)).unwrap_err();
    assert!(
        err.join("\n")
            .contains(&format!("reading {}: No such file", missing.display())),
        "{err:?}"
    );

    // An update to a broken file is refused (the agent keeps running): the component keeps its queries and
    // says why in health.
    let pg = Postgres::start();
    fill_orders(&pg);
    let good = dir.path().join("good.yaml");
    std::fs::write(
        &good,
        "pg_orders:\n  query: SELECT count(*) AS total FROM orders\n  metrics:\n    - total:\n        usage: GAUGE\n        description: Orders\n",
    )
    .unwrap();
    let dsn = pg.dsn(USER, PASSWORD, DATABASE);
    apply(&c, &config(&dsn, &good, true)).unwrap();
    apply(&c, &config(&dsn, &bad, true)).unwrap();
    let h = health(&c);
    assert_eq!(h.state, HealthState::Unhealthy);
    assert!(
        h.message.starts_with(&format!(
            "updating component: custom_queries_config_path: {}: ",
            bad.display()
        )),
        "{}",
        h.message
    );
    let f = parse_exposition(&scrape(&c));
    let server = format!("127.0.0.1:{}", pg.port);
    assert_eq!(value(&f, "pg_orders_total", &[("server", &server)]), 5.0);
}

#[test]
fn a_failing_query_is_absent_and_named_in_health_with_the_servers_message() {
    let pg = Postgres::start();
    fill_orders(&pg);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queries.yaml");
    std::fs::write(
        &path,
        "pg_orders:\n  query: SELECT count(*) AS total FROM orders\n  metrics:\n    - total:\n        usage: GAUGE\n        description: Orders\n\
         pg_refunds:\n  query: SELECT count(*) AS total FROM refunds\n  metrics:\n    - total:\n        usage: GAUGE\n        description: Refunds\n",
    )
    .unwrap();
    let c = controller();
    apply(&c, &config(&pg.dsn(USER, PASSWORD, DATABASE), &path, true)).unwrap();
    let server = format!("127.0.0.1:{}", pg.port);
    for _ in 0..2 {
        let body = scrape(&c);
        assert!(!body.contains(PASSWORD));
        let f = parse_exposition(&body);
        assert_eq!(value(&f, "pg_orders_total", &[("server", &server)]), 5.0);
        assert!(!f.contains_key("pg_refunds_total"), "{body}");
        assert_eq!(value(&f, "pg_up", &[]), 1.0);
        assert_eq!(value(&f, "pg_exporter_last_scrape_error", &[]), 1.0);
        let h = health(&c);
        assert_eq!(h.state, HealthState::Unhealthy);
        assert_eq!(
            h.message,
            format!(
                "postgresql://{USER}@127.0.0.1:{}/{DATABASE}: custom query pg_refunds failed: \
                 relation \"refunds\" does not exist",
                pg.port
            )
        );
        assert!(!h.message.contains(PASSWORD));
    }

    // Once the table exists, the query's metrics appear and health recovers.
    pg.psql(
        DATABASE,
        &format!(
            "CREATE TABLE refunds (id int); INSERT INTO refunds VALUES (1), (2); GRANT SELECT ON refunds TO {USER};"
        ),
    );
    let f = parse_exposition(&scrape(&c));
    assert_eq!(value(&f, "pg_refunds_total", &[("server", &server)]), 2.0);
    assert_eq!(value(&f, "pg_exporter_last_scrape_error", &[]), 0.0);
    let h = health(&c);
    assert_eq!(h.state, HealthState::Healthy, "{}", h.message);
}
