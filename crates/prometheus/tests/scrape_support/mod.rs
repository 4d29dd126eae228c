//! Shared by the scrape tests: a `test.sink` component that records what it receives, a controller
//! with every ingot component plus the sink, and a tiny HTTP target serving hand-written bodies.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ingot_common::receiver::MetricsReceiver;
use ingot_prom::sample::{AppendError, Appender, Batch, Receiver, Sample};
use ingot_runtime::component::{ComponentType, Context, Registration, Registry, Stability};
use ingot_runtime::controller::{Controller, Options};
use ingot_runtime::source::from_text;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;

fn sinks() -> &'static Mutex<HashMap<String, Vec<Batch>>> {
    static S: OnceLock<Mutex<HashMap<String, Vec<Batch>>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

/// Every batch the sink `id` (`test.sink.<label>`) has received so far.
pub fn batches(id: &str) -> Vec<Batch> {
    sinks().lock().unwrap().get(id).cloned().unwrap_or_default()
}

pub fn samples(id: &str) -> Vec<Sample> {
    batches(id).into_iter().flat_map(|b| b.samples).collect()
}

struct Recorder(String);

impl Appender for Recorder {
    fn append(&self, batch: &Batch) -> Result<(), AppendError> {
        sinks()
            .lock()
            .unwrap()
            .entry(self.0.clone())
            .or_default()
            .push(batch.clone());
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SinkArgs;

impl Decode for SinkArgs {
    fn decode(_: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(SinkArgs)
    }
}

/// `test.sink "x" {}` exports `receiver`, recording every batch under its id.
pub struct Sink;

impl ComponentType for Sink {
    const NAME: &'static str = "test.sink";
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = SinkArgs;

    fn build(ctx: Context, _: SinkArgs) -> Result<Sink, String> {
        let r = Receiver::new(ctx.id.clone(), Arc::new(Recorder(ctx.id.clone())));
        ctx.exports.init(Value::object([(
            "receiver",
            Value::from(MetricsReceiver(r)),
        )]));
        Ok(Sink)
    }

    fn update(&self, _: SinkArgs) -> Result<(), String> {
        Ok(())
    }
}

pub fn controller() -> Arc<Controller> {
    controller_with(Options::default())
}

pub fn controller_with(options: Options) -> Arc<Controller> {
    let registry = Registry::new(vec![
        Registration::of::<Sink>(),
        Registration::of::<ingot_discovery::file::Component>(),
        Registration::of::<ingot_discovery::relabel::Component>(),
        Registration::of::<ingot_prometheus::exporter::unix::Component>(),
        Registration::of::<ingot_prometheus::relabel::Component>(),
        Registration::of::<ingot_prometheus::scrape::Component>(),
    ]);
    Controller::new(Arc::new(registry), options)
}

/// Applies a config; call inside a tokio runtime (components start tasks).
pub fn apply(c: &Controller, text: &str) {
    let (config, diags) = from_text("main.alloy", text);
    assert!(!diags.has_errors(), "{}", diags.render());
    if let Err(d) = c.apply(&config) {
        panic!("{}", d.render());
    }
}

/// Polls `f` every 50 ms until it gives `Some`, failing the test after `timeout`.
pub async fn wait_for<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The newest value of series `name` with labels containing `with`, in the sink.
pub fn latest(id: &str, name: &str, with: &[(&str, &str)]) -> Option<f64> {
    samples(id)
        .into_iter()
        .rev()
        .find(|s| {
            s.labels.metric_name() == name && with.iter().all(|(k, v)| s.labels.get(k) == Some(v))
        })
        .map(|s| s.value)
}

/// What the hand-written target answers.
#[derive(Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    pub gzip: bool,
    pub delay: Duration,
    /// A `Location` header, for redirects.
    pub location: Option<String>,
}

impl Response {
    pub fn text(body: &str) -> Response {
        Response {
            status: 200,
            content_type: "text/plain; version=0.0.4; charset=utf-8".into(),
            body: body.as_bytes().to_vec(),
            gzip: false,
            delay: Duration::ZERO,
            location: None,
        }
    }
}

/// A loopback HTTP/1.1 target answering every request with the current [`Response`] and recording
/// the request heads. Threads end with the process.
pub struct Target {
    pub addr: SocketAddr,
    pub response: Arc<Mutex<Response>>,
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl Target {
    pub fn start(response: Response) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let response = Arc::new(Mutex::new(response));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (r, q) = (response.clone(), requests.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let (r, q) = (r.clone(), q.clone());
                std::thread::spawn(move || {
                    conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    q.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&head).into_owned());
                    let resp = r.lock().unwrap().clone();
                    std::thread::sleep(resp.delay);
                    let mut body = resp.body.clone();
                    if resp.gzip {
                        use flate2::write::GzEncoder;
                        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
                        e.write_all(&body).unwrap();
                        body = e.finish().unwrap();
                    }
                    let mut out = format!(
                        "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                        resp.status,
                        resp.content_type,
                        body.len()
                    );
                    if resp.gzip {
                        out.push_str("Content-Encoding: gzip\r\n");
                    }
                    if let Some(location) = &resp.location {
                        out.push_str(&format!("Location: {location}\r\n"));
                    }
                    out.push_str("\r\n");
                    let _ = conn.write_all(out.as_bytes());
                    let _ = conn.write_all(&body);
                });
            }
        });
        Target {
            addr,
            response,
            requests,
        }
    }

    pub fn set(&self, response: Response) {
        *self.response.lock().unwrap() = response;
    }
}

/// The first target of a `prometheus.scrape` component's debug info.
pub fn debug_target(c: &ingot_runtime::controller::Controller, id: &str) -> Value {
    let info = c.component(id).expect("component");
    let targets = info.debug_info.expect("debug info");
    targets
        .get("target")
        .and_then(Value::as_array)
        .expect("targets")[0]
        .clone()
}

/// A string field of a debug-info object, empty when absent.
pub fn field(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A `test.sink` and a `prometheus.scrape` of one target into it, every second; `extra` adds arguments.
pub fn scrape_config(sink: &str, scrape: &str, addr: &str, extra: &str) -> String {
    format!(
        r#"
test.sink "{sink}" {{ }}
prometheus.scrape "{scrape}" {{
  targets         = [{{ "__address__" = "{addr}" }}]
  forward_to      = [test.sink.{sink}.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "500ms"
  {extra}
}}
"#
    )
}
