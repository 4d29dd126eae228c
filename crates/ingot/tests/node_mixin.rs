//! The host dashboards and alerts users run on node_exporter work unchanged on ingot: Debian's
//! Prometheus scrapes Debian's node_exporter (job `node`) and ingot's `prometheus.exporter.unix`
//! with Alloy's default collectors (job `ingot`) on this host, evaluates the recording rules of
//! node_exporter's mixin for both jobs, and every query of the mixin (`tests/data/node_mixin_queries.tsv`:
//! recording rules, alerts, dashboard panels and template variables) that returns data for node_exporter
//! must return data for ingot.
//!
//! Alerts and filters compare against thresholds (`> 0.75`, `!= 0`), so a query that returns nothing on
//! both sides says little. Each expression is therefore also cut at its top-level comparisons and set
//! operators (`and`, `or`, `unless`), and each side that is not a number is queried on its own: the
//! data an alert or a filter looks at must be there for ingot wherever it is for node_exporter. A whole
//! expression with such a cut is not compared (its result depends on the values at the instant of each
//! scrape, which differ between the two exporters); one without is.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ingot_prometheus::exporter::unix::{
    ALLOY_DEFAULT_COLLECTORS, DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE,
    DEFAULT_NETSTAT_FIELDS, DEFAULT_VMSTAT_FIELDS,
};
use ingot_testkit::{free_port, http_get, poll_until, require_binary, url_encode, Peer};
use serde_json::Value;

const QUERIES: &str = include_str!("data/node_mixin_queries.tsv");

/// Collectors of Alloy's default set that Debian's node_exporter 1.5.0 lacks (it cannot be asked to run
/// them; the mixin queries none of their families).
const NOT_IN_NODE_EXPORTER_1_5: &[&str] = &["watchdog"];

/// The value every dashboard variable takes: both jobs' targets are relabelled to this instance.
const INSTANCE: &str = "host";

struct Query {
    kind: String,
    source: String,
    expr: String,
}

fn queries() -> Vec<Query> {
    QUERIES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut f = l.splitn(3, '\t');
            let (kind, source, expr) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
            Query {
                kind: kind.to_owned(),
                source: source.to_owned(),
                expr: expr.to_owned(),
            }
        })
        .collect()
}

/// The expression as it runs for `job`: the mixin's `job="node"` selector names that job, and the
/// dashboards' variables take the values Grafana would give them here.
fn for_job(q: &Query, job: &str) -> String {
    let mut e = q
        .expr
        .replace("job=\"node\"", &format!("job=\"{job}\""))
        .replace("$instance", INSTANCE)
        .replace("$cluster", ".*")
        .replace("$__rate_interval", "1m");
    if q.kind == "variable" {
        // `label_values(<selector>, <label>)`: the values exist when the selector returns series. A
        // selector without the job's matcher would see both jobs, so it gets one.
        let inner = e
            .strip_prefix("label_values(")
            .and_then(|r| r.rsplit_once(','))
            .map(|(sel, _)| sel.trim().to_owned())
            .unwrap_or_else(|| panic!("unexpected variable query {e}"));
        e = if inner.contains("job=") {
            inner
        } else if let Some(open) = inner.find('{') {
            format!("{}{{job=\"{job}\", {}", &inner[..open], &inner[open + 1..])
        } else {
            format!("{inner}{{job=\"{job}\"}}")
        };
    }
    e
}

/// The parts of `expr` at its top level, cut at comparisons and set operators, with vector-matching
/// modifiers and enclosing parentheses taken off, recursively; numbers are left out. Returns the
/// expression itself when there is nothing to cut.
fn operands(expr: &str) -> Vec<String> {
    let e = strip_parens(expr.trim());
    let cuts = top_level_cuts(e);
    if cuts.is_empty() {
        return vec![e.to_owned()];
    }
    let mut out = Vec::new();
    let mut start = 0;
    for (at, len) in cuts.iter().copied().chain([(e.len(), 0)]) {
        let part = strip_modifiers(e[start..at].trim());
        start = at + len;
        if part.is_empty() || part.parse::<f64>().is_ok() {
            continue;
        }
        out.extend(operands(part));
    }
    out
}

/// Byte offsets and lengths of the comparison and set operators outside any (), {}, [] or string.
fn top_level_cuts(e: &str) -> Vec<(usize, usize)> {
    let b = e.as_bytes();
    let (mut depth, mut i, mut cuts) = (0i32, 0, Vec::new());
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' | b'`' => {
                let quote = b[i];
                i += 1;
                while i < b.len() && b[i] != quote {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' => depth -= 1,
            _ if depth == 0 => {
                let rest = &e[i..];
                let word_start = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
                let op = ["==", "!=", ">=", "<=", ">", "<"]
                    .into_iter()
                    .find(|op| rest.starts_with(op))
                    .map(str::len)
                    .or_else(|| {
                        ["and", "or", "unless"]
                            .into_iter()
                            .find(|w| {
                                word_start
                                    && rest.starts_with(w)
                                    && !rest[w.len()..].starts_with(|c: char| {
                                        c.is_ascii_alphanumeric() || c == '_'
                                    })
                            })
                            .map(str::len)
                    });
                if let Some(len) = op {
                    cuts.push((i, len));
                    i += len;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    cuts
}

/// `(x)` → `x` while the parentheses enclose the whole expression.
fn strip_parens(mut e: &str) -> &str {
    while e.starts_with('(') && e.ends_with(')') {
        let inner = &e[1..e.len() - 1];
        let mut depth = 0i32;
        let balanced = inner.bytes().all(|c| {
            match c {
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => {}
            }
            depth >= 0
        });
        if !balanced {
            break;
        }
        e = inner.trim();
    }
    e
}

/// Takes off what follows an operator before its right operand: `bool`, `on (...)`, `ignoring (...)`,
/// `group_left (...)`, `group_right (...)`.
fn strip_modifiers(mut e: &str) -> &str {
    loop {
        let before = e;
        for word in ["bool", "on", "ignoring", "group_left", "group_right"] {
            if let Some(rest) = e.strip_prefix(word) {
                if rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                let rest = rest.trim_start();
                e = match rest.strip_prefix('(') {
                    Some(r) if word != "bool" => {
                        r[r.find(')').map_or(r.len(), |p| p + 1)..].trim_start()
                    }
                    _ => rest,
                };
            }
        }
        if e == before {
            return e;
        }
    }
}

fn prom_query(prom: SocketAddr, q: &str) -> Result<Vec<Value>, String> {
    let (status, body) = http_get(prom, &format!("/api/v1/query?query={}", url_encode(q)))
        .map_err(|e| format!("query: {e}"))?;
    let v: Value =
        serde_json::from_str(&body).map_err(|e| format!("HTTP {status}: {e}: {body}"))?;
    if v["status"] != "success" {
        return Err(format!("HTTP {status}: {body}"));
    }
    match v["data"]["resultType"].as_str() {
        Some("scalar") => Ok(vec![v["data"]["result"].clone()]),
        _ => v["data"]["result"]
            .as_array()
            .cloned()
            .ok_or_else(|| format!("no result: {body}")),
    }
}

/// The mixin's recording rules, once per job.
fn rules_file(dir: &Path) -> std::path::PathBuf {
    let mut yaml = String::from("groups:\n");
    for job in ["node", "ingot"] {
        yaml.push_str(&format!("  - name: node-mixin-{job}\n    rules:\n"));
        for q in queries().iter().filter(|q| q.kind == "record") {
            let record = q.source.rsplit('/').next().unwrap();
            let expr = for_job(q, job);
            yaml.push_str(&format!(
                "      - record: {record}\n        expr: {}\n",
                serde_json::to_string(&expr).unwrap()
            ));
        }
    }
    let path = dir.join("rules.yml");
    std::fs::write(&path, yaml).unwrap();
    path
}

#[test]
fn node_mixin_queries_return_data_on_ingot_wherever_they_do_on_node_exporter() {
    let node_exporter = require_binary("prometheus-node-exporter", "prometheus-node-exporter");
    let prometheus = require_binary("prometheus", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    // A textfile both exporters read (Alloy's default directory is empty; Debian's is its own).
    let textfiles = dir.path().join("textfile");
    std::fs::create_dir(&textfiles).unwrap();
    std::fs::write(
        textfiles.join("mixin.prom"),
        "# HELP mixin_test A metric from a textfile.\n# TYPE mixin_test gauge\nmixin_test 1\n",
    )
    .unwrap();

    // node_exporter with Alloy's default collectors and Alloy's settings where Debian's defaults differ.
    let node_addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut cmd = Command::new(node_exporter);
    cmd.arg(format!("--web.listen-address={node_addr}"))
        .arg("--collector.disable-defaults");
    for c in ALLOY_DEFAULT_COLLECTORS {
        if !NOT_IN_NODE_EXPORTER_1_5.contains(c) {
            cmd.arg(format!("--collector.{c}"));
        }
    }
    cmd.arg("--collector.netdev.device-exclude=^$")
        .arg(format!(
            "--collector.filesystem.mount-points-exclude={DEFAULT_MOUNT_POINTS_EXCLUDE}"
        ))
        .arg(format!(
            "--collector.filesystem.fs-types-exclude={DEFAULT_FS_TYPES_EXCLUDE}"
        ))
        .arg(format!(
            "--collector.netstat.fields={DEFAULT_NETSTAT_FIELDS}"
        ))
        .arg(format!("--collector.vmstat.fields={DEFAULT_VMSTAT_FIELDS}"))
        .arg(format!(
            "--collector.textfile.directory={}",
            textfiles.display()
        ));
    let mut node = Peer::spawn("node_exporter", cmd, tempfile::tempdir().unwrap());
    node.wait_for_port(node_addr, Duration::from_secs(10));

    // ingot with the default set: no set_collectors.
    let ingot_addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let config = dir.path().join("config.alloy");
    std::fs::write(
        &config,
        format!(
            "prometheus.exporter.unix \"node\" {{\n\ttextfile {{\n\t\tdirectory = {:?}\n\t}}\n}}\n",
            textfiles.display().to_string()
        ),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ingot"));
    cmd.args([
        "run",
        &format!("--server.http.listen-addr={ingot_addr}"),
        &format!("--storage.path={}", dir.path().join("data").display()),
        config.to_str().unwrap(),
    ]);
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(ingot_addr, Duration::from_secs(10));

    // Prometheus scrapes both every second and evaluates the rules every second.
    let rules = rules_file(dir.path());
    let prom_addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let relabel = format!(
        "    relabel_configs:\n      - target_label: instance\n        replacement: {INSTANCE}\n"
    );
    std::fs::write(
        dir.path().join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             rule_files: ['{}']\n\
             scrape_configs:\n\
             \x20 - job_name: node\n    static_configs:\n      - targets: ['{node_addr}']\n{relabel}\
             \x20 - job_name: ingot\n    metrics_path: /api/v0/component/prometheus.exporter.unix.node/metrics\n    static_configs:\n      - targets: ['{ingot_addr}']\n{relabel}",
            rules.display()
        ),
    )
    .unwrap();
    let mut cmd = Command::new(prometheus);
    cmd.arg(format!(
        "--config.file={}",
        dir.path().join("prometheus.yml").display()
    ))
    .arg(format!(
        "--storage.tsdb.path={}",
        dir.path().join("prom-data").display()
    ))
    .arg(format!("--web.listen-address={prom_addr}"));
    let mut prom = Peer::spawn("prometheus", cmd, tempfile::tempdir().unwrap());
    prom.wait_for_ready(prom_addr, "/-/ready", Duration::from_secs(30));

    // Rates need two scrapes, rules over rates a third: wait until every recorded series exists for
    // node_exporter's job, then (for a bounded time) for ingot's; what ingot still lacks then shows in
    // the comparison below.
    let record_names: Vec<String> = queries()
        .iter()
        .filter(|q| q.kind == "record")
        .map(|q| q.source.rsplit('/').next().unwrap().to_owned())
        .collect();
    let missing = |job: &str| -> Result<(), String> {
        for record in &record_names {
            if prom_query(prom_addr, &format!("{record}{{job=\"{job}\"}}"))?.is_empty() {
                return Err(format!("{record} has no {job} series yet"));
            }
        }
        Ok(())
    };
    poll_until(
        "the recording rules to have results for node_exporter's job",
        Duration::from_secs(30),
        Duration::from_millis(500),
        &[&prom, &node],
        || missing("node"),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while missing("ingot").is_err() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
    }

    let (mut compared, mut with_data, mut problems) = (0, 0, Vec::new());
    let mut per_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for q in queries() {
        let node_expr = for_job(&q, "node");
        let ingot_expr = for_job(&q, "ingot");
        let (node_parts, ingot_parts) = (operands(&node_expr), operands(&ingot_expr));
        assert_eq!(node_parts.len(), ingot_parts.len(), "{}", q.expr);
        // An expression with nothing to cut is its own only operand.
        for (n, i) in node_parts.into_iter().zip(ingot_parts) {
            compared += 1;
            let theirs = prom_query(prom_addr, &n)
                .unwrap_or_else(|e| panic!("{} {}: {n}: {e}", q.kind, q.source));
            let ours = prom_query(prom_addr, &i)
                .unwrap_or_else(|e| panic!("{} {}: {i}: {e}", q.kind, q.source));
            let counts = per_kind.entry(q.kind.clone()).or_default();
            counts.0 += 1;
            if theirs.is_empty() {
                continue;
            }
            with_data += 1;
            counts.1 += 1;
            if ours.is_empty() {
                problems.push(format!(
                    "{} {}: {i}\n  returns nothing for ingot; node_exporter: {} series",
                    q.kind,
                    q.source,
                    theirs.len()
                ));
            }
        }
    }
    eprintln!(
        "{compared} queries, {with_data} with data for node_exporter; by kind (queries, with data): {per_kind:?}"
    );
    assert!(
        problems.is_empty(),
        "queries of the node mixin with data for node_exporter and none for ingot:\n{}",
        problems.join("\n")
    );
    // Only meaningful if the host gave node_exporter data for most of the mixin.
    assert!(
        with_data >= 100,
        "only {with_data} of {compared} queries returned data for node_exporter"
    );
}

#[test]
fn operands_cut_at_comparisons_and_set_operators() {
    assert_eq!(
        operands("( a{x=\"1\"} / b * 100 < 40 and predict_linear(a[6h], 4*60*60) < 0 and c == 0 )"),
        [
            "a{x=\"1\"} / b * 100",
            "predict_linear(a[6h], 4*60*60)",
            "c"
        ]
    );
    assert_eq!(
        operands("( t > 0.05 and deriv(t[5m]) >= 0 ) or ( t < -0.05 and deriv(t[5m]) <= 0 )"),
        ["t", "deriv(t[5m])", "t", "deriv(t[5m])"]
    );
    assert_eq!(
        operands("a - ignoring (state) (b{state=\"active\"}) > 0"),
        ["a - ignoring (state) (b{state=\"active\"})"]
    );
    assert_eq!(
        operands("x and on (instance) y unless ignoring(a) group_left z"),
        ["x", "y", "z"]
    );
    // Matchers, strings and words containing operator names are not cuts.
    assert_eq!(
        operands("sort_desc(1 - m{a!=\"<\", b=~\"x>y\"}) != 0"),
        ["sort_desc(1 - m{a!=\"<\", b=~\"x>y\"})"]
    );
    assert_eq!(
        operands("node_memory_MemAvailable_bytes or_x"),
        ["node_memory_MemAvailable_bytes or_x"]
    );
}
