//! `proxy_from_environment`: HTTP_PROXY, HTTPS_PROXY and NO_PROXY as Go's `http.ProxyFromEnvironment`
//! reads them, with squid as the proxy. A test binary of its own: it sets the process environment.

mod scrape_support;
mod support;

use std::sync::Arc;
use std::time::Duration;

use ingot_runtime::component::{Registration, Registry};
use ingot_runtime::controller::{Controller, Options};
use ingot_testkit::remote_write_sink::RemoteWriteSink;
use scrape_support::*;
use support::Squid;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxies_come_from_the_environment_with_go_semantics() {
    let squid = Squid::start(&["metrics.ingot.test"]);
    let target = Target::start(Response::text("env_metric 1\n"));
    let port = target.addr.port();
    let sink = RemoteWriteSink::start();
    let sink_port = sink.addr().port();
    // Read once, when the clients are built (as Go's httpproxy.FromEnvironment).
    std::env::set_var("HTTP_PROXY", squid.url());
    std::env::set_var("HTTPS_PROXY", squid.url());
    // A name excluded here would be looked up in DNS, off this machine: which names NO_PROXY excludes is
    // checked against Go's own cases in ingot-httpclient's unit tests; here it must not exclude the others.
    std::env::set_var("NO_PROXY", "excluded.ingot.test,10.0.0.0/8");
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(vec![
        Registration::of::<Sink>(),
        Registration::of::<ingot_prometheus::scrape::Component>(),
        Registration::of::<ingot_prometheus::remote_write::Component>(),
    ]);
    let c = Controller::new(
        Arc::new(registry),
        Options {
            storage_path: dir.path().to_path_buf(),
            ..Options::default()
        },
    );
    let env = "proxy_from_environment = true";
    let config = [
        scrape_config(
            "by_name",
            "by_name",
            &format!("metrics.ingot.test:{port}"),
            env,
        ),
        // Loopback is never proxied by Go's ProxyFromEnvironment.
        scrape_config("loopback", "loopback", &target.addr.to_string(), env),
        format!(
            r#"
prometheus.remote_write "env" {{
  endpoint {{
    url                    = "http://metrics.ingot.test:{sink_port}/api/v1/write"
    proxy_from_environment = true
    queue_config {{ batch_send_deadline = "100ms" }}
    metadata_config {{ send = false }}
  }}
}}
prometheus.scrape "feed" {{
  targets         = [{{ "__address__" = "{}" }}]
  forward_to      = [prometheus.remote_write.env.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "500ms"
}}
"#,
            target.addr
        ),
    ]
    .concat();
    apply(&c, &config);
    for name in ["by_name", "loopback"] {
        wait_for(WAIT, &format!("{name} up"), || {
            (latest(&format!("test.sink.{name}"), "up", &[]) == Some(1.0)).then_some(())
        })
        .await;
    }
    wait_for(WAIT, "a remote write through the proxy", || {
        (squid.log().contains(&format!(
            "POST http://metrics.ingot.test:{sink_port}/api/v1/write 204"
        )) || squid.log().contains(&format!(
            "POST http://metrics.ingot.test:{sink_port}/api/v1/write 200"
        )))
        .then_some(())
    })
    .await;
    let log = squid.log();
    assert!(
        log.contains(&format!("GET http://metrics.ingot.test:{port}/metrics 200")),
        "{log}"
    );
    assert!(!log.contains("127.0.0.1"), "loopback went direct: {log}");
    assert!(!sink.requests().is_empty());
}
