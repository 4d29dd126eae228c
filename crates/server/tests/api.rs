//! The HTTP API on a real loopback port, exercised with a real HTTP client: readiness, health, reload
//! (good → bad → good without interrupting the running graph), component routing and the web API's JSON.

use std::sync::{Arc, Mutex};

use ingot_runtime::controller::{Controller, Options};
use ingot_runtime::source::from_text;
use ingot_server::{serve, ServerState};
use ingot_testkit::components::{counts_of, registry};
use tokio_util::sync::CancellationToken;

struct Server {
    base: String,
    controller: Arc<Controller>,
    config: Arc<Mutex<String>>,
    shutdown: CancellationToken,
    client: reqwest::Client,
}

impl Server {
    async fn start() -> Server {
        let controller = Controller::new(Arc::new(registry()), Options::default());
        let config = Arc::new(Mutex::new(String::new()));
        let reload = {
            let controller = controller.clone();
            let config = config.clone();
            Arc::new(move || {
                let text = config.lock().unwrap().clone();
                let (source, diags) = from_text("main.alloy", &text);
                if diags.has_errors() {
                    return Err(diags);
                }
                controller.apply(&source)
            })
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        tokio::spawn(serve(
            listener,
            ServerState {
                controller: controller.clone(),
                reload,
                options: Default::default(),
            },
            shutdown.clone(),
        ));
        Server {
            base,
            controller,
            config,
            shutdown,
            client: reqwest::Client::new(),
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn post(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    fn set_config(&self, text: &str) {
        *self.config.lock().unwrap() = text.to_string();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

#[tokio::test]
async fn not_ready_until_the_config_is_loaded() {
    let s = Server::start().await;
    assert_eq!(
        s.get("/-/ready").await,
        (503, "Alloy is not ready.\n".into())
    );
    s.set_config(r#"test.passthrough "ready" { input = 1 }"#);
    assert_eq!(s.post("/-/reload").await, (200, "config reloaded\n".into()));
    assert_eq!(s.get("/-/ready").await, (200, "Alloy is ready.\n".into()));
}

#[tokio::test]
async fn reload_good_bad_good_keeps_the_running_graph() {
    let s = Server::start().await;
    s.set_config(r#"test.passthrough "api_keep" { input = "v1" }"#);
    assert_eq!(s.get("/-/reload").await.0, 200);

    s.set_config(r#"test.passthrough "api_keep" { input = nope.nothing }"#);
    let (status, body) = s.post("/-/reload").await;
    assert_eq!(status, 400);
    assert!(
        body.starts_with("Error: main.alloy:1:39: component \"nope.nothing\" does not exist or is out of scope\n"),
        "{body}"
    );
    let (_, metrics) = s.get("/metrics").await;
    assert!(
        metrics.contains("\nalloy_config_last_load_successful 0\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("\nalloy_config_load_failures_total 1\n"),
        "{metrics}"
    );
    // Still the old component with its old exports, never rebuilt.
    let (_, json) = s
        .get("/api/v0/web/components/test.passthrough.api_keep")
        .await;
    assert!(
        json.contains(
            r#""exports":[{"name":"output","type":"attr","value":{"type":"string","value":"v1"}}]"#
        ),
        "{json}"
    );
    assert_eq!(counts_of("test.passthrough.api_keep").builds, 1);

    s.set_config(r#"test.passthrough "api_keep" { input = "v2" }"#);
    assert_eq!(s.post("/-/reload").await.0, 200);
    let (_, metrics) = s.get("/metrics").await;
    assert!(
        metrics.contains("\nalloy_config_last_load_successful 1\n"),
        "{metrics}"
    );
    assert_eq!(counts_of("test.passthrough.api_keep").builds, 1);
    assert_eq!(counts_of("test.passthrough.api_keep").updates, 1);
}

#[tokio::test]
async fn healthy_names_the_unhealthy_components() {
    let s = Server::start().await;
    s.set_config(
        "test.health \"api_ok\" { }\ntest.health \"api_sick\" { unhealthy = \"disk full\" }\n",
    );
    assert_eq!(s.post("/-/reload").await.0, 200);
    assert_eq!(
        s.get("/-/healthy").await,
        (500, "unhealthy components: test.health.api_sick\n".into())
    );
    let (_, metrics) = s.get("/metrics").await;
    assert!(metrics.contains("alloy_component_controller_running_components{controller_id=\"\",controller_path=\"/\",health_type=\"unhealthy\"} 1"));
    let (_, json) = s.get("/api/v0/web/components/test.health.api_sick").await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["health"]["state"], "unhealthy");
    assert_eq!(v["health"]["message"], "disk full");

    s.set_config("test.health \"api_ok\" { }\n");
    assert_eq!(s.post("/-/reload").await.0, 200);
    assert_eq!(
        s.get("/-/healthy").await,
        (200, "All Alloy components are healthy.\n".into())
    );
}

/// `/metrics` is one exposition: the controller's families and the components' (with `component_id`
/// and `component_path`) sorted together by name, each written once, that Prometheus' parser reads.
#[tokio::test]
async fn metrics_are_one_sorted_exposition() {
    let s = Server::start().await;
    s.set_config(
        "test.passthrough \"metrics_b\" { input = 1 }\ntest.passthrough \"metrics_a\" { input = 2 }\n",
    );
    assert_eq!(s.post("/-/reload").await.0, 200);
    let (status, body) = s.get("/metrics").await;
    assert_eq!(status, 200);
    let mut parser = ingot_prom::text_parse::PromParser::new(body.as_bytes());
    let mut families = Vec::new();
    while let Some(entry) = parser.next_entry().expect("/metrics parses") {
        if let ingot_prom::text_parse::Entry::Type { .. } = entry {
            families.push(entry.metadata_metric().unwrap().into_owned());
        }
    }
    let mut sorted = families.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(families, sorted, "families sorted by name, each once");
    assert!(families.len() >= 7, "{families:?}");
    let passthrough: Vec<&str> = body
        .lines()
        .filter(|l| l.starts_with("test_passthrough_updates_total{"))
        .collect();
    assert_eq!(
        passthrough,
        [
            "test_passthrough_updates_total{component_id=\"test.passthrough.metrics_a\",component_path=\"/\",kind=\"passthrough\"} 0",
            "test_passthrough_updates_total{component_id=\"test.passthrough.metrics_b\",component_path=\"/\",kind=\"passthrough\"} 0",
        ]
    );
    assert!(body.contains("# TYPE alloy_component_evaluation_seconds histogram\n"));
    assert!(body.contains(
        "alloy_component_evaluation_seconds_bucket{controller_id=\"\",controller_path=\"/\",le=\"+Inf\"} "
    ));
}

#[tokio::test]
async fn component_routes_go_to_the_longest_matching_id() {
    let s = Server::start().await;
    s.set_config(
        "test.passthrough \"route\" { input = 1 }\ntest.passthrough \"route_long\" { input = 2 }\n",
    );
    assert_eq!(s.post("/-/reload").await.0, 200);
    assert_eq!(
        s.get("/api/v0/component/test.passthrough.route/echo").await,
        (200, "GET test.passthrough.route".into())
    );
    assert_eq!(
        s.post("/api/v0/component/test.passthrough.route_long/echo")
            .await,
        (200, "POST test.passthrough.route_long".into())
    );
    assert_eq!(
        s.get("/api/v0/component/test.passthrough.route/other")
            .await
            .0,
        404
    );
    let (status, body) = s
        .get("/api/v0/component/test.passthrough.nothing/metrics")
        .await;
    assert_eq!(status, 400);
    assert!(body.starts_with("failed to parse URL path"), "{body}");
}

#[tokio::test]
async fn web_api_has_alloys_shape_and_hides_secrets() {
    let s = Server::start().await;
    s.set_config(
        r#"
test.passthrough "web_a" { input = {password = "hunter2"} }
test.passthrough "web_b" { input = test.passthrough.web_a.output }
"#,
    );
    assert_eq!(s.post("/-/reload").await.0, 200);
    let (status, list) = s.get("/api/v0/web/components").await;
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let a = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["localID"] == "test.passthrough.web_a")
        .unwrap();
    assert_eq!(a["name"], "test.passthrough");
    assert_eq!(a["label"], "web_a");
    assert_eq!(a["type"], "block");
    assert_eq!(a["moduleID"], "");
    assert_eq!(
        a["referencedBy"],
        serde_json::json!(["test.passthrough.web_b"])
    );
    assert_eq!(a["referencesTo"], serde_json::json!([]));
    assert_eq!(a["health"]["state"], "healthy");
    assert_eq!(a["arguments"], serde_json::json!([]));

    let (_, one) = s.get("/api/v0/web/components/test.passthrough.web_b").await;
    let one: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(
        one["referencesTo"],
        serde_json::json!(["test.passthrough.web_a"])
    );
    assert_eq!(one["arguments"][0]["name"], "input");
    assert_eq!(one["arguments"][0]["type"], "attr");
    assert_eq!(one["arguments"][0]["value"]["type"], "object");
    assert_eq!(
        s.get("/api/v0/web/components/test.passthrough.none")
            .await
            .0,
        404
    );

    // A value decoded as a secret is shown as "(secret)", even when written as a plain string.
    s.set_config("test.passthrough \"web_s\" {\n  input  = 1\n  secret = \"hunter2\"\n}\n");
    assert_eq!(s.post("/-/reload").await.0, 200);
    let (_, json) = s.get("/api/v0/web/components/test.passthrough.web_s").await;
    assert!(!json.contains("hunter2"), "{json}");
    let one: serde_json::Value = serde_json::from_str(&json).unwrap();
    let secret = one["arguments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "secret")
        .unwrap();
    assert_eq!(
        secret["value"],
        serde_json::json!({"type": "capsule", "value": "(secret)"})
    );
    assert!(s.controller.component("test.passthrough.web_s").is_some());
}

/// No request waits on a reload: while a reload spends seconds in one component's `update` and another's
/// `build`, `/-/ready`, `/metrics`, the web API and a component's own endpoint each answer at once (they
/// read the last published snapshot; component code runs under the load lock only).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_do_not_wait_on_a_slow_reload() {
    use std::time::{Duration, Instant};
    let s = Arc::new(Server::start().await);
    s.set_config("test.slow \"a\" {\n  value = 1\n}\n");
    assert_eq!(s.post("/-/reload").await.0, 200);
    assert_eq!(
        s.get("/api/v0/component/test.slow.a/metrics").await,
        (200, "test_slow_value 1\n".to_string())
    );

    // Two seconds in `update` of the running component, two in `build` of a new one.
    s.set_config(
        "test.slow \"a\" {\n  value = 2\n  update_delay = \"2s\"\n}\ntest.slow \"b\" {\n  build_delay = \"2s\"\n}\n",
    );
    let reload = {
        let s = s.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let status = s.post("/-/reload").await.0;
            (status, started.elapsed())
        })
    };
    // Let the reload take the load lock first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut slowest = Duration::ZERO;
    let mut asked = 0;
    while !reload.is_finished() {
        for path in [
            "/-/ready",
            "/metrics",
            "/api/v0/web/components",
            "/api/v0/component/test.slow.a/metrics",
        ] {
            let t = Instant::now();
            let (status, body) = s.get(path).await;
            let took = t.elapsed();
            assert_eq!(status, 200, "{path}: {body}");
            if path.ends_with("test.slow.a/metrics") && !reload.is_finished() {
                // The old arguments stay visible until the update has run.
                assert!(body.starts_with("test_slow_value"), "{body}");
            }
            slowest = slowest.max(took);
            asked += 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, reload_took) = reload.await.unwrap();
    assert_eq!(status, 200);
    assert!(
        reload_took >= Duration::from_secs(4),
        "the reload ran both slow steps: {reload_took:?}"
    );
    assert!(asked >= 40, "requests were made during the reload: {asked}");
    assert!(
        slowest < Duration::from_millis(100),
        "the slowest request during a {reload_took:?} reload took {slowest:?}"
    );
    assert_eq!(
        s.get("/api/v0/component/test.slow.a/metrics").await,
        (200, "test_slow_value 2\n".to_string())
    );
    assert_eq!(s.get("/api/v0/component/test.slow.b/metrics").await.0, 200);
}

/// A URL with a password anywhere in a block's arguments is shown with the password as `xxxxx`, as Go's
/// `URL.Redacted` shows it.
#[tokio::test]
async fn urls_in_arguments_hide_their_passwords() {
    let s = Server::start().await;
    s.set_config(
        "test.passthrough \"u\" {\n  input = [\"https://writer:hunter2@store.example/api/v1/write\"]\n}\n",
    );
    assert_eq!(s.post("/-/reload").await.0, 200);
    let (_, json) = s.get("/api/v0/web/components/test.passthrough.u").await;
    assert!(!json.contains("hunter2"), "{json}");
    assert!(
        json.contains("https://writer:xxxxx@store.example/api/v1/write"),
        "{json}"
    );
}
