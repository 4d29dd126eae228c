//! `prometheus.scrape` over TLS against a real nginx: the CA given in `tls_config`, a server it does not
//! trust, `insecure_skip_verify`, and a client certificate for a server that asks for one.

mod scrape_support;
mod support;

use std::path::Path;
use std::time::Duration;

use ingot_testkit::free_port;
use ingot_testkit::pki::Pki;
use scrape_support::*;
use support::Nginx;

const WAIT: Duration = Duration::from_secs(20);

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A scrape over HTTPS of `127.0.0.1:port` with `tls` among its arguments.
fn scrape(name: &str, port: u16, tls: &str) -> String {
    scrape_config(
        name,
        name,
        &format!("127.0.0.1:{port}"),
        &format!("scheme = \"https\"\n  {tls}"),
    )
}

fn last_error(c: &ingot_runtime::controller::Controller, id: &str) -> String {
    field(&debug_target(c, id), "last_error")
}

async fn wait_up(name: &str, want: f64) {
    let sink = format!("test.sink.{name}");
    wait_for(WAIT, &format!("up={want} from {name}"), || {
        (latest(&sink, "up", &[]) == Some(want)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_targets_are_verified_against_the_given_ca_and_client_certificates_are_sent() {
    let servers = Pki::new("ingot test server CA");
    let clients = Pki::new("ingot test client CA");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = servers.server();
    let server_crt = write(d, "server.crt", &server.cert_pem);
    let server_key = write(d, "server.key", &server.key_pem);
    let ca = write(d, "ca.crt", &servers.ca_pem());
    let client_ca = write(d, "clients.crt", &clients.ca_pem());
    let client = clients.client();
    let client_crt = write(d, "client.crt", &client.cert_pem);
    let client_key = write(d, "client.key", &client.key_pem);
    let other = servers.server_for(&["other.example"]);
    let other_crt = write(d, "other.crt", &other.cert_pem);
    let other_key = write(d, "other.key", &other.key_pem);
    let expired = servers.expired_server();
    let expired_crt = write(d, "expired.crt", &expired.cert_pem);
    let expired_key = write(d, "expired.key", &expired.key_pem);
    let (tls_port, mtls_port) = (free_port(), free_port());
    let (other_port, expired_port) = (free_port(), free_port());
    let body = r#"location = /metrics { default_type text/plain; return 200 "tls_metric 1\n"; }"#;
    let _nginx = Nginx::start_with(&format!(
        "server {{ listen 127.0.0.1:{tls_port} ssl; ssl_certificate {server_crt}; \
         ssl_certificate_key {server_key}; {body} }}\n\
         server {{ listen 127.0.0.1:{mtls_port} ssl; ssl_certificate {server_crt}; \
         ssl_certificate_key {server_key}; ssl_verify_client on; \
         ssl_client_certificate {client_ca}; {body} }}\n\
         server {{ listen 127.0.0.1:{other_port} ssl; ssl_certificate {other_crt}; \
         ssl_certificate_key {other_key}; {body} }}\n\
         server {{ listen 127.0.0.1:{expired_port} ssl; ssl_certificate {expired_crt}; \
         ssl_certificate_key {expired_key}; {body} }}"
    ));

    let c = controller();
    let config = [
        scrape("trusted", tls_port, &format!("tls_config {{ ca_file = {ca:?} }}")),
        scrape("untrusted", tls_port, ""),
        scrape(
            "skip",
            tls_port,
            "tls_config { insecure_skip_verify = true }",
        ),
        scrape(
            "no_client_cert",
            mtls_port,
            &format!("tls_config {{ ca_file = {ca:?} }}"),
        ),
        scrape(
            "client_cert",
            mtls_port,
            &format!(
                "tls_config {{\n    ca_file   = {ca:?}\n    cert_file = {client_crt:?}\n    key_file  = {client_key:?}\n  }}"
            ),
        ),
        scrape(
            "other_name",
            other_port,
            &format!("tls_config {{ ca_file = {ca:?} }}"),
        ),
        scrape(
            "expired",
            expired_port,
            &format!("tls_config {{ ca_file = {ca:?} }}"),
        ),
    ]
    .concat();
    apply(&c, &config);

    for name in ["trusted", "skip", "client_cert"] {
        wait_up(name, 1.0).await;
        let sink = format!("test.sink.{name}");
        assert_eq!(latest(&sink, "tls_metric", &[]), Some(1.0), "{name}");
    }
    wait_up("untrusted", 0.0).await;
    let err = last_error(&c, "prometheus.scrape.untrusted");
    assert_eq!(
        err,
        format!(
            "Get \"https://127.0.0.1:{tls_port}/metrics\": tls: failed to verify certificate: \
             x509: certificate signed by unknown authority"
        )
    );
    // Go's words for the other two certificate failures.
    wait_up("other_name", 0.0).await;
    assert_eq!(
        last_error(&c, "prometheus.scrape.other_name"),
        format!(
            "Get \"https://127.0.0.1:{other_port}/metrics\": tls: failed to verify certificate: \
             x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"
        )
    );
    wait_up("expired", 0.0).await;
    let err = last_error(&c, "prometheus.scrape.expired");
    let prefix = format!(
        "Get \"https://127.0.0.1:{expired_port}/metrics\": tls: failed to verify certificate: \
         x509: certificate has expired or is not yet valid: current time 20"
    );
    assert!(err.starts_with(&prefix), "{err}");
    assert!(err.ends_with("Z is after 2021-01-01T00:00:00Z"), "{err}");
    wait_up("no_client_cert", 0.0).await;
    assert_eq!(
        last_error(&c, "prometheus.scrape.no_client_cert"),
        "server returned HTTP status 400 Bad Request"
    );
}
