//! `prometheus.exporter.nginx` against a real nginx started for the test: counters after known load, the
//! families of Debian's `prometheus-nginx-exporter` against the same stub_status, and failures that say what
//! is wrong (nginx down, a 403 from `allow`/`deny`, a page that is not stub_status).

mod support;

use std::sync::Arc;

use ingot_runtime::component::{Registration, Registry};
use ingot_runtime::controller::{Controller, Options};
use ingot_runtime::health::{Health, HealthState};
use ingot_runtime::source::from_text;
use ingot_syntax::value::Value;
use ingot_testkit::{free_port, require_binary};
use support::{parse_exposition, Nginx};

const ID: &str = "prometheus.exporter.nginx.web";

fn controller() -> Arc<Controller> {
    Controller::new(
        Arc::new(Registry::new(vec![Registration::of::<
            ingot_prometheus::exporter::nginx::Component,
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

fn start(uri: &str) -> Arc<Controller> {
    let c = controller();
    apply(
        &c,
        &format!("prometheus.exporter.nginx \"web\" {{\n  scrape_uri = {uri:?}\n  timeout = \"2s\"\n}}\n"),
    )
    .unwrap();
    c
}

fn scrape(c: &Controller) -> String {
    let r = ingot_testkit::components::get(c, &format!("{ID}/metrics"))
        .expect("the component serves /metrics");
    assert_eq!(r.status, 200);
    String::from_utf8(r.body).unwrap()
}

fn health(c: &Controller) -> Health {
    c.component(ID).unwrap().health
}

const ALL: [&str; 8] = [
    "nginx_connections_accepted",
    "nginx_connections_active",
    "nginx_connections_handled",
    "nginx_connections_reading",
    "nginx_connections_waiting",
    "nginx_connections_writing",
    "nginx_http_requests_total",
    "nginx_up",
];

#[test]
fn counters_follow_the_requests_sent() {
    let nginx = Nginx::start();
    let c = start(&nginx.url("/stub_status"));
    let exports = c.component(ID).unwrap().exports;
    let target = &exports.get("targets").and_then(Value::as_array).unwrap()[0];
    assert_eq!(
        target.get("job").and_then(Value::as_str),
        Some("integrations/nginx")
    );
    assert_eq!(
        target.get("instance").and_then(Value::as_str),
        Some(format!("127.0.0.1:{}", nginx.port).as_str())
    );
    assert_eq!(
        target.get("__metrics_path__").and_then(Value::as_str),
        Some(format!("/api/v0/component/{ID}/metrics").as_str())
    );

    let first = parse_exposition(&scrape(&c));
    assert_eq!(first.keys().collect::<Vec<_>>(), ALL);
    let v =
        |f: &std::collections::BTreeMap<String, support::Family>, n: &str| f[n].value(&[]).unwrap();
    assert_eq!(v(&first, "nginx_up"), 1.0);
    // Our own request is the one being written when nginx renders the page.
    assert_eq!(v(&first, "nginx_connections_active"), 1.0);
    assert_eq!(v(&first, "nginx_connections_writing"), 1.0);
    assert_eq!(health(&c).state, HealthState::Healthy);

    nginx.load(25);
    let second = parse_exposition(&scrape(&c));
    // 25 requests on 25 connections, plus the next scrape's own request and connection.
    assert_eq!(
        v(&second, "nginx_http_requests_total") - v(&first, "nginx_http_requests_total"),
        26.0
    );
    assert_eq!(
        v(&second, "nginx_connections_accepted") - v(&first, "nginx_connections_accepted"),
        26.0
    );
    assert_eq!(
        v(&second, "nginx_connections_handled"),
        v(&second, "nginx_connections_accepted")
    );
    assert_eq!(second["nginx_http_requests_total"].kind, "counter");
    assert_eq!(second["nginx_connections_active"].kind, "gauge");
}

#[test]
fn same_families_as_debians_nginx_exporter() {
    let binary = require_binary("prometheus-nginx-exporter", "prometheus-nginx-exporter");
    let nginx = Nginx::start();
    let uri = nginx.url("/stub_status");
    let port = free_port();
    let _theirs = support::start_exporter(
        "nginx_exporter",
        &binary,
        &[
            "-nginx.scrape-uri".into(),
            uri.clone(),
            "-web.listen-address".into(),
            format!("127.0.0.1:{port}"),
        ],
        &[],
        port,
    );
    let c = start(&uri);
    let theirs = parse_exposition(&support::scrape_peer(port));
    let ours = parse_exposition(&scrape(&c));
    // Version differences: Debian ships 0.11.0, whose build info is `nginxexporter_build_info`; v1.x has
    // `nginx_exporter_build_info` and Go's runtime families. ingot has neither: it is not that binary.
    let their_nginx: Vec<&String> = theirs
        .keys()
        .filter(|n| n.starts_with("nginx_") && *n != "nginx_exporter_build_info")
        .collect();
    assert_eq!(their_nginx, ALL);
    assert!(theirs.contains_key("nginxexporter_build_info"));
    for name in ALL {
        assert_eq!(ours[name].help, theirs[name].help, "HELP of {name}");
        assert_eq!(ours[name].kind, theirs[name].kind, "TYPE of {name}");
        assert_eq!(
            ours[name].label_names, theirs[name].label_names,
            "labels of {name}"
        );
    }
    // Theirs was scraped first; ours saw one more connection and request (its own).
    let v =
        |f: &std::collections::BTreeMap<String, support::Family>, n: &str| f[n].value(&[]).unwrap();
    assert_eq!(
        v(&ours, "nginx_http_requests_total"),
        v(&theirs, "nginx_http_requests_total") + 1.0
    );
    assert_eq!(
        v(&ours, "nginx_connections_accepted"),
        v(&theirs, "nginx_connections_accepted") + 1.0
    );
}

#[test]
fn nginx_down_says_nothing_listens_there() {
    let mut nginx = Nginx::start();
    let c = start(&nginx.url("/stub_status"));
    assert_eq!(
        parse_exposition(&scrape(&c))["nginx_up"].value(&[]),
        Some(1.0)
    );
    nginx.stop();
    let body = scrape(&c);
    let f = parse_exposition(&body);
    assert_eq!(f.keys().collect::<Vec<_>>(), ["nginx_up"]);
    assert_eq!(f["nginx_up"].value(&[]), Some(0.0));
    let h = health(&c);
    assert_eq!(h.state, HealthState::Unhealthy);
    assert_eq!(
        h.message,
        format!(
            "GET http://127.0.0.1:{p}/stub_status: connection to 127.0.0.1:{p} refused: nginx is not listening there; \
             check that nginx runs and that a server block listens on 127.0.0.1:{p} with the stub_status location",
            p = nginx.port
        )
    );
}

#[test]
fn a_403_names_the_address_ingot_came_from_and_the_allow_line() {
    let nginx = Nginx::start();
    let c = start(&nginx.url("/forbidden_status"));
    let f = parse_exposition(&scrape(&c));
    assert_eq!(f.keys().collect::<Vec<_>>(), ["nginx_up"]);
    assert_eq!(f["nginx_up"].value(&[]), Some(0.0));
    let h = health(&c);
    assert_eq!(h.state, HealthState::Unhealthy);
    let expected_start = format!(
        "GET http://127.0.0.1:{}/forbidden_status: HTTP 403 Forbidden: nginx refused this agent's address: \
         ingot connected from 127.0.0.1:",
        nginx.port
    );
    assert!(h.message.starts_with(&expected_start), "{}", h.message);
    assert!(
        h.message.ends_with(
            "; add \"allow 127.0.0.1;\" before \"deny all;\" in the location with stub_status and reload nginx"
        ),
        "{}",
        h.message
    );
}

#[test]
fn a_page_that_is_not_stub_status_says_so() {
    let nginx = Nginx::start();
    let c = start(&nginx.url("/hello"));
    let f = parse_exposition(&scrape(&c));
    assert_eq!(f["nginx_up"].value(&[]), Some(0.0));
    let h = health(&c);
    assert_eq!(h.state, HealthState::Unhealthy);
    assert_eq!(
        h.message,
        format!(
            "GET http://127.0.0.1:{}/hello: HTTP 200 but the page is not nginx stub_status output \
             (the first line has \"<html><body>hello</body></html>\" where \"Active\" belongs; it begins \
             \"<html><body>hello</body></html>\\n\"); point scrape_uri at the location that has \"stub_status;\"",
            nginx.port
        )
    );

    let c = start(&nginx.url("/missing"));
    scrape(&c);
    let h = health(&c);
    assert!(
        h.message
            .contains("HTTP 404 Not Found: no page at this path"),
        "{}",
        h.message
    );
}

#[test]
fn arguments_are_checked() {
    let c = controller();
    let err = apply(&c, "prometheus.exporter.nginx \"web\" { }\n").unwrap_err();
    assert!(
        err[0].contains("missing required attribute \"scrape_uri\""),
        "{err:?}"
    );
    let err = apply(
        &c,
        "prometheus.exporter.nginx \"web\" { scrape_uri = \"https://127.0.0.1/stub_status\" }\n",
    )
    .unwrap_err();
    assert!(err[0].contains("https is not supported"), "{err:?}");
    let err = apply(
        &c,
        "prometheus.exporter.nginx \"web\" { scrape_uri = \"http://127.0.0.1/s\"\n timeout = \"0s\" }\n",
    )
    .unwrap_err();
    assert!(err[0].contains("timeout must be greater than 0"), "{err:?}");
    // No port: the instance still has one (http's 80), as the target of a scrape would.
    apply(
        &c,
        "prometheus.exporter.nginx \"web\" { scrape_uri = \"http://localhost/nginx_status\" }\n",
    )
    .unwrap();
    let exports = c.component(ID).unwrap().exports;
    let target = &exports.get("targets").and_then(Value::as_array).unwrap()[0];
    assert_eq!(
        target.get("instance").and_then(Value::as_str),
        Some("localhost:80")
    );
}
