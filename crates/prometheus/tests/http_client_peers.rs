//! The HTTP client settings of `prometheus.scrape` and `prometheus.remote_write` against real peers on
//! loopback: squid as a forward proxy (plain requests, CONNECT with `proxy_connect_header`, `no_proxy`),
//! nginx with two names and certificates on one port (`tls_config.server_name` as SNI and verified name)
//! and with HTTP/2 (ALPN, seen in nginx's `$server_protocol`), a Python OAuth 2.0 token endpoint
//! (client credentials, tokens renewed after expiry), and a Python sink that checks SigV4 signatures
//! with botocore's signer.

mod scrape_support;
mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use ingot_runtime::component::{Registration, Registry};
use ingot_runtime::controller::{Controller, Options};
use ingot_testkit::pki::Pki;
use ingot_testkit::remote_write_sink::RemoteWriteSink;
use ingot_testkit::{free_port, require_binary, Peer};
use scrape_support::*;
use support::{Nginx, Squid};

const WAIT: Duration = Duration::from_secs(20);

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A controller with the test sink, `prometheus.scrape` and `prometheus.remote_write`, its storage in `dir`.
fn controller_in(dir: &Path) -> Arc<Controller> {
    let registry = Registry::new(vec![
        Registration::of::<Sink>(),
        Registration::of::<ingot_prometheus::scrape::Component>(),
        Registration::of::<ingot_prometheus::remote_write::Component>(),
    ]);
    Controller::new(
        Arc::new(registry),
        Options {
            storage_path: dir.to_path_buf(),
            ..Options::default()
        },
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn up(name: &str) -> Option<f64> {
    latest(&format!("test.sink.{name}"), "up", &[])
}

async fn wait_up(c: &Controller, name: &str, want: f64) {
    wait_for(WAIT, &format!("up={want} from {name}"), || {
        (up(name) == Some(want)).then_some(())
    })
    .await;
    let _ = c;
}

fn last_error(c: &Controller, name: &str) -> String {
    field(
        &debug_target(c, &format!("prometheus.scrape.{name}")),
        "last_error",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrapes_and_remote_writes_go_through_a_forward_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let squid = Squid::start(&["metrics.ingot.test"]);
    let target = Target::start(Response::text("proxied_metric 1\n"));
    let tport = target.addr.port();
    let sink = RemoteWriteSink::start();
    // An https target reached by name through a CONNECT tunnel; its certificate names that name.
    let pki = Pki::new("ingot proxy test CA");
    let cert = pki.server_for(&["metrics.ingot.test"]);
    let crt = write(d, "server.crt", &cert.cert_pem);
    let key = write(d, "server.key", &cert.key_pem);
    let ca = write(d, "ca.crt", &pki.ca_pem());
    let tls_port = free_port();
    let _nginx = Nginx::start_with(&format!(
        // No keep-alive: each tunnel closes after one request, and squid logs a CONNECT when it closes.
        "server {{ listen 127.0.0.1:{tls_port} ssl; ssl_certificate {crt}; ssl_certificate_key {key};\n\
           keepalive_timeout 0;\n\
           location = /metrics {{ default_type text/plain; return 200 \"tunneled_metric 1\\n\"; }}\n\
           location = /api/v1/write {{ return 204; }} }}"
    ));
    let proxy = squid.url();
    let c = controller_in(d);
    let config = [
        // proxy_url alone: every request goes through the proxy, loopback included (Go's http.ProxyURL).
        scrape_config("plain", "plain", &target.addr.to_string(), &format!("proxy_url = {proxy:?}")),
        // With no_proxy, Go's httpproxy never proxies loopback addresses...
        scrape_config(
            "loopback",
            "loopback",
            &target.addr.to_string(),
            &format!("proxy_url = {proxy:?}\n  no_proxy = \"elsewhere.example\""),
        ),
        // ...but does proxy a name it does not exclude; only the proxy can resolve this one.
        scrape_config(
            "by_name",
            "by_name",
            &format!("metrics.ingot.test:{tport}"),
            &format!("proxy_url = {proxy:?}\n  no_proxy = \"elsewhere.example,10.0.0.0/8\""),
        ),
        scrape_config(
            "tunnel",
            "tunnel",
            &format!("metrics.ingot.test:{tls_port}"),
            &format!(
                "scheme = \"https\"\n  proxy_url = {proxy:?}\n  proxy_connect_header = {{ \"X-Ingot-Proxy-Token\" = [\"connect-s3cret\"] }}\n  tls_config {{ ca_file = {ca:?} }}"
            ),
        ),
        format!(
            r#"
prometheus.remote_write "via_proxy" {{
  endpoint {{
    url       = "{}"
    proxy_url = {proxy:?}
    queue_config {{ batch_send_deadline = "100ms" }}
    metadata_config {{ send = false }}
  }}
  endpoint {{
    name                 = "tunneled"
    url                  = "https://metrics.ingot.test:{tls_port}/api/v1/write"
    proxy_url            = {proxy:?}
    proxy_connect_header = {{ "X-Ingot-Proxy-Token" = ["rw-connect-s3cret"] }}
    tls_config {{ ca_file = {ca:?} }}
    queue_config {{ batch_send_deadline = "100ms" }}
    metadata_config {{ send = false }}
  }}
}}
prometheus.scrape "feed" {{
  targets         = [{{ "__address__" = "{}" }}]
  forward_to      = [prometheus.remote_write.via_proxy.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "500ms"
}}
"#,
            sink.url(),
            target.addr
        ),
    ]
    .concat();
    apply(&c, &config);

    for name in ["plain", "loopback", "by_name", "tunnel"] {
        wait_up(&c, name, 1.0).await;
    }
    assert_eq!(
        latest("test.sink.tunnel", "tunneled_metric", &[]),
        Some(1.0)
    );
    let rw_health = || {
        c.component("prometheus.remote_write.via_proxy")
            .map(|i| i.health.message)
            .unwrap_or_default()
    };
    let mut tries = 0;
    wait_for(WAIT, "remote writes through the proxy", || {
        let log = squid.log();
        tries += 1;
        if tries % 100 == 0 {
            eprintln!("squid log:\n{log}\nremote_write health: {}", rw_health());
        }
        (log.contains(&format!("POST {}", sink.url()))
            && log.contains(&format!(
                "CONNECT metrics.ingot.test:{tls_port} 200 rw-connect-s3cret"
            ))
            && !sink.requests().is_empty())
        .then_some(())
    })
    .await;
    let log = squid.log();
    let gets = |url: &str| {
        log.lines()
            .filter(|l| l.starts_with(&format!("GET {url} 200")))
            .count()
    };
    assert!(
        gets(&format!("http://127.0.0.1:{tport}/metrics")) >= 1,
        "{log}"
    );
    assert!(
        gets(&format!("http://metrics.ingot.test:{tport}/metrics")) >= 1,
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "CONNECT metrics.ingot.test:{tls_port} 200 connect-s3cret"
        )),
        "the CONNECT carries proxy_connect_header: {log}"
    );
    // The loopback scrape with no_proxy went direct: the proxy saw only the "plain" and "feed" scrapes of
    // that URL, never more than they made.
    let direct = target.requests.lock().unwrap().len();
    assert!(
        direct > gets(&format!("http://127.0.0.1:{tport}/metrics")),
        "{log}"
    );
    // proxy_connect_header goes on CONNECT only, never to the target.
    assert!(target
        .requests
        .lock()
        .unwrap()
        .iter()
        .all(|r| !r.to_ascii_lowercase().contains("x-ingot-proxy-token")));
    let health = c
        .component("prometheus.remote_write.via_proxy")
        .unwrap()
        .health;
    assert!(!health.message.contains("s3cret"), "{}", health.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_name_is_the_sni_name_and_the_name_verified() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::new("ingot SNI test CA");
    let a = pki.server_for(&["a.ingot.test"]);
    let b = pki.server_for(&["b.ingot.test"]);
    let (a_crt, a_key) = (
        write(d, "a.crt", &a.cert_pem),
        write(d, "a.key", &a.key_pem),
    );
    let (b_crt, b_key) = (
        write(d, "b.crt", &b.cert_pem),
        write(d, "b.key", &b.key_pem),
    );
    let ca = write(d, "ca.crt", &pki.ca_pem());
    let port = free_port();
    // One port, two names: nginx picks the certificate by SNI; the body says which name it got.
    let body = r#"location = /metrics { default_type text/plain; return 200 "sni_metric{sni=\"$ssl_server_name\"} 1\n"; }"#;
    let _nginx = Nginx::start_with(&format!(
        "server {{ listen 127.0.0.1:{port} ssl default_server; server_name a.ingot.test; \
           ssl_certificate {a_crt}; ssl_certificate_key {a_key}; {body} }}\n\
         server {{ listen 127.0.0.1:{port} ssl; server_name b.ingot.test; \
           ssl_certificate {b_crt}; ssl_certificate_key {b_key}; {body} }}"
    ));
    let c = controller_in(d);
    let scrape = |name: &str, tls: &str| {
        scrape_config(
            name,
            name,
            &format!("127.0.0.1:{port}"),
            &format!("scheme = \"https\"\n  tls_config {{\n    ca_file = {ca:?}\n    {tls}\n  }}"),
        )
    };
    let config = [
        scrape("a", "server_name = \"a.ingot.test\""),
        scrape("b", "server_name = \"b.ingot.test\""),
        scrape("none", ""),
        scrape("unknown", "server_name = \"c.ingot.test\""),
    ]
    .concat();
    apply(&c, &config);
    for (name, sni) in [("a", "a.ingot.test"), ("b", "b.ingot.test")] {
        wait_up(&c, name, 1.0).await;
        assert_eq!(
            latest(&format!("test.sink.{name}"), "sni_metric", &[("sni", sni)]),
            Some(1.0),
            "{name}"
        );
    }
    // Without server_name there is no SNI for an IP, and the default certificate is checked against the IP.
    wait_up(&c, "none", 0.0).await;
    assert_eq!(
        last_error(&c, "none"),
        format!(
            "Get \"https://127.0.0.1:{port}/metrics\": tls: failed to verify certificate: \
             x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"
        )
    );
    // A name nginx does not serve gets the default certificate, which is not valid for it.
    wait_up(&c, "unknown", 0.0).await;
    assert_eq!(
        last_error(&c, "unknown"),
        format!(
            "Get \"https://127.0.0.1:{port}/metrics\": tls: failed to verify certificate: \
             x509: certificate is valid for a.ingot.test, not c.ingot.test"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_is_offered_over_tls_where_alloy_enables_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::new("ingot HTTP/2 test CA");
    let cert = pki.server();
    let crt = write(d, "server.crt", &cert.cert_pem);
    let key = write(d, "server.key", &cert.key_pem);
    let ca = write(d, "ca.crt", &pki.ca_pem());
    let port = free_port();
    let log_dir = tempfile::Builder::new()
        .prefix("ingot-h2-log-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(
        log_dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let access = log_dir.path().join("access.log");
    let _nginx = Nginx::start_with(&format!(
        "log_format protocol '$server_protocol $request_method $uri';\n\
         server {{ listen 127.0.0.1:{port} ssl http2; ssl_certificate {crt}; ssl_certificate_key {key};\n\
           access_log {} protocol;\n\
           location / {{ default_type text/plain; return 200 \"h2_metric 1\\n\"; }}\n\
           location /write/ {{ return 204; }} }}",
        access.display()
    ));
    let c = controller_in(d);
    let tls = format!("scheme = \"https\"\n  tls_config {{ ca_file = {ca:?} }}");
    let config = [
        scrape_config(
            "default",
            "default",
            &format!("127.0.0.1:{port}"),
            &format!("{tls}\n  metrics_path = \"/scrape/default\""),
        ),
        scrape_config(
            "http1",
            "http1",
            &format!("127.0.0.1:{port}"),
            &format!("{tls}\n  metrics_path = \"/scrape/http1\"\n  enable_http2 = false"),
        ),
        format!(
            r#"
test.sink "unused" {{ }}
prometheus.remote_write "rw" {{
  endpoint {{
    name = "default"
    url  = "https://127.0.0.1:{port}/write/default"
    tls_config {{ ca_file = {ca:?} }}
    queue_config {{ batch_send_deadline = "100ms" }}
    metadata_config {{ send = false }}
  }}
  endpoint {{
    name         = "http2"
    url          = "https://127.0.0.1:{port}/write/http2"
    enable_http2 = true
    tls_config {{ ca_file = {ca:?} }}
    queue_config {{ batch_send_deadline = "100ms" }}
    metadata_config {{ send = false }}
  }}
}}
prometheus.scrape "feed" {{
  targets         = [{{ "__address__" = "127.0.0.1:{port}" }}]
  forward_to      = [prometheus.remote_write.rw.receiver]
  metrics_path    = "/scrape/feed"
  scheme          = "https"
  tls_config {{ ca_file = {ca:?} }}
  scrape_interval = "1s"
  scrape_timeout  = "500ms"
}}
"#
        ),
    ]
    .concat();
    apply(&c, &config);
    wait_up(&c, "default", 1.0).await;
    wait_up(&c, "http1", 1.0).await;
    let log = wait_for(WAIT, "both remote-write endpoints in nginx's log", || {
        let log = read(&access);
        (log.contains("POST /write/default") && log.contains("POST /write/http2")).then_some(log)
    })
    .await;
    let lines = |suffix: &str| -> Vec<&str> {
        log.lines()
            .filter(|l| l.ends_with(suffix))
            .map(|l| l.split(' ').next().unwrap())
            .collect()
    };
    // Alloy: scrapes offer HTTP/2 by default, remote-write endpoints only with enable_http2 = true.
    assert!(
        lines("GET /scrape/default")
            .iter()
            .all(|p| *p == "HTTP/2.0"),
        "{log}"
    );
    assert!(
        lines("GET /scrape/http1").iter().all(|p| *p == "HTTP/1.1"),
        "{log}"
    );
    assert!(
        lines("POST /write/default")
            .iter()
            .all(|p| *p == "HTTP/1.1"),
        "{log}"
    );
    assert!(
        lines("POST /write/http2").iter().all(|p| *p == "HTTP/2.0"),
        "{log}"
    );
    for s in [
        "GET /scrape/default",
        "GET /scrape/http1",
        "POST /write/default",
        "POST /write/http2",
    ] {
        assert!(!lines(s).is_empty(), "{s}: {log}");
    }
}

fn python_peer(script: &str, args: &[String], port: u16, tmp: tempfile::TempDir) -> Peer {
    let python = require_binary("python3", "python3");
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(script);
    let mut cmd = Command::new(python);
    cmd.arg(script).args(args);
    let mut peer = Peer::spawn("python3", cmd, tmp);
    if !peer.is_running() {
        panic!("{}", peer.log());
    }
    peer.wait_for_port(SocketAddr::from(([127, 0, 0, 1], port)), WAIT);
    peer
}

fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    read(path)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_client_credentials_tokens_are_sent_and_renewed_after_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("oauth2.log");
    let port = free_port();
    // expires_in 12: x/oauth2 renews 10 s early, so each token serves about 2 s.
    let args: Vec<String> = [
        port.to_string(),
        log.display().to_string(),
        "ingot client".into(),
        "s3cret/+&=".into(),
        "12".into(),
        "metrics:read metrics:write".into(),
        "audience=ingot-tests".into(),
    ]
    .into();
    let _peer = python_peer("oauth2_server.py", &args, port, tmp);
    let secret_file = write(d, "client_secret", "s3cret/+&=\n");
    let oauth2 = |secret: &str| {
        format!(
            "oauth2 {{\n    client_id = \"ingot client\"\n    {secret}\n    token_url = \"http://127.0.0.1:{port}/token\"\n    scopes = [\"metrics:read\", \"metrics:write\"]\n    endpoint_params = {{ audience = \"ingot-tests\" }}\n  }}"
        )
    };
    let c = controller_in(d);
    let config = [
        scrape_config(
            "oauth2",
            "oauth2",
            &format!("127.0.0.1:{port}"),
            &oauth2("client_secret = \"s3cret/+&=\""),
        ),
        format!(
            r#"
prometheus.remote_write "oauth2" {{
  endpoint {{
    url = "http://127.0.0.1:{port}/api/v1/write"
    {}
    queue_config {{ batch_send_deadline = "100ms" }}
    metadata_config {{ send = false }}
  }}
}}
prometheus.scrape "feed" {{
  targets         = [{{ "__address__" = "127.0.0.1:{port}" }}]
  forward_to      = [prometheus.remote_write.oauth2.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "500ms"
  {}
}}
"#,
            oauth2(&format!("client_secret_file = {secret_file:?}")),
            oauth2("client_secret = \"s3cret/+&=\""),
        ),
    ]
    .concat();
    apply(&c, &config);
    wait_up(&c, "oauth2", 1.0).await;
    assert_eq!(latest("test.sink.oauth2", "oauth2_metric", &[]), Some(1.0));
    // Several tokens: the first ones expired and were renewed, scrapes and writes carried the current one.
    let entries = wait_for(
        Duration::from_secs(25),
        "renewed tokens used by scrapes and writes",
        || {
            let e = json_lines(&log);
            let used = |kind: &str| -> std::collections::BTreeSet<String> {
                e.iter()
                    .filter(|x| x["kind"] == kind && x["ok"] == true)
                    .map(|x| x["authorization"].as_str().unwrap().to_string())
                    .collect()
            };
            (used("metrics").len() >= 3 && used("write").len() >= 2).then_some(e)
        },
    )
    .await;
    for e in &entries {
        assert_eq!(e["ok"], true, "every request was accepted: {e}");
    }
    let tokens: Vec<&serde_json::Value> = entries.iter().filter(|e| e["kind"] == "token").collect();
    assert!(
        tokens.iter().all(|t| t["basic"] == true),
        "client authenticated with Basic"
    );
    // Cached: far fewer tokens than requests (three clients, each renewing about every 2 s).
    let requests = entries.iter().filter(|e| e["kind"] != "token").count();
    assert!(
        tokens.len() < requests,
        "{} tokens for {requests} requests",
        tokens.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigv4_signatures_are_the_ones_botocore_computes() {
    let python = require_binary("python3", "python3");
    let probe = Command::new(&python)
        .args(["-c", "import botocore"])
        .output()
        .unwrap();
    assert!(
        probe.status.success(),
        "botocore (the SigV4 oracle) is missing: install it with `python3 -m pip install botocore`"
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("sigv4.log");
    let port = free_port();
    let (ak, sk) = ("AKIDINGOTTEST", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYINGOTKEY");
    let args: Vec<String> = [
        port.to_string(),
        log.display().to_string(),
        ak.into(),
        sk.into(),
        "eu-west-1".into(),
        "aps".into(),
    ]
    .into();
    let _peer = python_peer("sigv4_sink.py", &args, port, tmp);
    let target = Target::start(Response::text("signed_metric 1\nother_metric 2\n"));
    let c = controller_in(d);
    apply(
        &c,
        &format!(
            r#"
prometheus.remote_write "aws" {{
  endpoint {{
    url     = "http://127.0.0.1:{port}/workspaces/ws-ingot/api/v1/remote_write"
    headers = {{ "X-Scope-OrgID" = "tenant 1" }}
    sigv4 {{
      region     = "eu-west-1"
      access_key = "{ak}"
      secret_key = "{sk}"
    }}
    queue_config {{ batch_send_deadline = "100ms" }}
  }}
}}
prometheus.scrape "feed" {{
  targets         = [{{ "__address__" = "{}" }}]
  forward_to      = [prometheus.remote_write.aws.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "500ms"
}}
"#,
            target.addr
        ),
    );
    let entries = wait_for(WAIT, "three signed remote-write requests", || {
        let e = json_lines(&log);
        (e.len() >= 3).then_some(e)
    })
    .await;
    for e in &entries {
        assert_eq!(e["ok"], true, "botocore computes the same signature: {e}");
        assert_eq!(e["region"], "eu-west-1");
        assert_eq!(e["service"], "aps");
        let signed = e["signed_headers"].as_str().unwrap();
        for h in [
            "content-encoding",
            "content-type",
            "host",
            "x-amz-date",
            "x-scope-orgid",
        ] {
            assert!(signed.split(';').any(|s| s == h), "{h} signed: {signed}");
        }
    }
    let health = c.component("prometheus.remote_write.aws").unwrap().health;
    assert!(!format!("{health:?}").contains(sk));
}
