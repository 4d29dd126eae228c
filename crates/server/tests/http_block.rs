//! The `http` config block on a real loopback server with real clients: TLS from files and PEM (and what a
//! plain-HTTP or untrusting client gets), client certificates, basic auth with its path filter, reloads
//! that change all of these, and the password kept out of logs, the API and errors.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ingot_runtime::config_block::ConfigBlockRegistration;
use ingot_runtime::controller::{Controller, Options};
use ingot_runtime::source::from_text;
use ingot_server::http_block::HttpConfig;
use ingot_server::{serve, ServerState};
use ingot_testkit::components::registry;
use ingot_testkit::pki::{Issued, Pki};
use tokio_util::sync::CancellationToken;

const PASSWORD: &str = "s3cr3t-Pa55word-never-shown";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Every log line of this test binary, so that the password check covers what all the tests logged.
fn captured_logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || LogWriter(logs))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        logs
    })
}

struct LogWriter(&'static Mutex<Vec<u8>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    // A new file renamed into place, as certificate tools do, so a reader never sees half of it.
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::File::create(&tmp)
        .unwrap()
        .write_all(content.as_bytes())
        .unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    path
}

struct Server {
    addr: SocketAddr,
    controller: Arc<Controller>,
    config: Arc<Mutex<String>>,
    shutdown: CancellationToken,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Server {
    /// Applies `config` (which must load) and serves on a free loopback port.
    async fn start(config: &str) -> Server {
        captured_logs();
        let registry =
            registry().with_config_blocks(vec![ConfigBlockRegistration::of::<HttpConfig>()]);
        let controller = Controller::new(Arc::new(registry), Options::default());
        let config = Arc::new(Mutex::new(config.to_string()));
        let reload: ingot_server::ReloadFn = {
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
        reload().expect("the initial config loads");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
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
            addr,
            controller,
            config,
            shutdown,
        }
    }

    fn set_config(&self, text: &str) {
        *self.config.lock().unwrap() = text.to_string();
    }

    fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn https(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    /// A client for `https://localhost:<port>` trusting `ca` only, with an optional client certificate. A
    /// new client per call, so that no pooled connection outlives a reload.
    fn tls_client(&self, ca: &str, identity: Option<&Issued>) -> reqwest::Client {
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap())
            .resolve("localhost", self.addr)
            .timeout(REQUEST_TIMEOUT);
        if let Some(id) = identity {
            let pem = format!("{}{}", id.cert_pem, id.key_pem);
            b = b.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
        }
        b.build().unwrap()
    }

    fn plain_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap()
    }
}

async fn status(req: reqwest::RequestBuilder) -> Result<(u16, String), reqwest::Error> {
    let r = req.send().await?;
    let code = r.status().as_u16();
    Ok((code, r.text().await?))
}

fn tls_block(cert: &Path, key: &Path) -> String {
    format!(
        "http {{\n  tls {{\n    cert_file = {:?}\n    key_file  = {:?}\n  }}\n}}\n",
        cert.display().to_string(),
        key.display().to_string()
    )
}

#[tokio::test]
async fn tls_from_files_serves_https_only_to_clients_that_trust_the_ca() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("test CA");
    let server_cert = pki.server();
    let cert = write(dir.path(), "server.crt", &server_cert.cert_pem);
    let key = write(dir.path(), "server.key", &server_cert.key_pem);
    let server = Server::start(&tls_block(&cert, &key)).await;

    let client = server.tls_client(&pki.ca_pem(), None);
    let (code, body) = status(client.get(server.https("/-/ready"))).await.unwrap();
    assert_eq!((code, body.as_str()), (200, "Alloy is ready.\n"));

    // Plain HTTP to the TLS port gets Go's answer, not a page.
    let (code, body) = status(server.plain_client().get(server.http("/-/ready")))
        .await
        .unwrap();
    assert_eq!(code, 400);
    assert!(
        body.contains("Client sent an HTTP request to an HTTPS server"),
        "{body}"
    );

    // A client that does not trust the CA does not get through.
    let other = Pki::new("another CA");
    let err = status(
        server
            .tls_client(&other.ca_pem(), None)
            .get(server.https("/-/ready")),
    )
    .await;
    assert!(err.is_err(), "{err:?}");
}

#[tokio::test]
async fn a_slow_handshake_does_not_hold_up_other_clients() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("test CA");
    let server_cert = pki.server();
    let cert = write(dir.path(), "server.crt", &server_cert.cert_pem);
    let key = write(dir.path(), "server.key", &server_cert.key_pem);
    let server = Server::start(&tls_block(&cert, &key)).await;

    // Connections that never send a byte sit in their handshakes.
    let mut idle = Vec::new();
    for _ in 0..5 {
        idle.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    let client = server.tls_client(&pki.ca_pem(), None);
    let started = std::time::Instant::now();
    let (code, _) = tokio::time::timeout(
        Duration::from_secs(5),
        status(client.get(server.https("/-/ready"))),
    )
    .await
    .expect("answered while other handshakes are pending")
    .unwrap();
    assert_eq!(code, 200);
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(idle);
}

#[tokio::test]
async fn tls_from_inline_pem_with_versions_and_suites() {
    let pki = Pki::new("test CA");
    let server_cert = pki.server();
    let config = format!(
        "http {{\n  tls {{\n    cert_pem = {:?}\n    key_pem = {:?}\n    min_version = \"TLS13\"\n    cipher_suites = [\"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA\", \"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\"]\n    curve_preferences = [\"CurveP521\", \"X25519\", \"CurveP256\"]\n  }}\n}}\n",
        server_cert.cert_pem, server_cert.key_pem
    );
    let server = Server::start(&config).await;
    let (code, _) = status(
        server
            .tls_client(&pki.ca_pem(), None)
            .get(server.https("/-/healthy")),
    )
    .await
    .unwrap();
    assert_eq!(code, 200);

    // With TLS 1.3 as the minimum, a TLS 1.2-only client is refused.
    let tls12_only = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem().as_bytes()).unwrap())
        .resolve("localhost", server.addr)
        .max_tls_version(reqwest::tls::Version::TLS_1_2)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .unwrap();
    assert!(status(tls12_only.get(server.https("/-/ready")))
        .await
        .is_err());
}

#[tokio::test]
async fn client_certificates_are_required_and_verified_against_the_client_ca() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("server CA");
    let clients = Pki::new("client CA");
    let server_cert = pki.server();
    let cert = write(dir.path(), "server.crt", &server_cert.cert_pem);
    let key = write(dir.path(), "server.key", &server_cert.key_pem);
    let client_ca = write(dir.path(), "clients.crt", &clients.ca_pem());
    let config = format!(
        "http {{\n  tls {{\n    cert_file = {:?}\n    key_file = {:?}\n    client_ca_file = {:?}\n    client_auth_type = \"RequireAndVerifyClientCert\"\n  }}\n}}\n",
        cert.display().to_string(),
        key.display().to_string(),
        client_ca.display().to_string()
    );
    let server = Server::start(&config).await;

    let good = clients.client();
    let (code, _) = status(
        server
            .tls_client(&pki.ca_pem(), Some(&good))
            .get(server.https("/-/ready")),
    )
    .await
    .unwrap();
    assert_eq!(code, 200);

    assert!(
        status(
            server
                .tls_client(&pki.ca_pem(), None)
                .get(server.https("/-/ready"))
        )
        .await
        .is_err(),
        "no client certificate"
    );
    let stranger = Pki::new("unknown CA").client();
    assert!(
        status(
            server
                .tls_client(&pki.ca_pem(), Some(&stranger))
                .get(server.https("/-/ready"))
        )
        .await
        .is_err(),
        "a client certificate from another CA"
    );

    // RequireAnyClientCert asks for a certificate but does not check who signed it.
    server.set_config(&config.replace("RequireAndVerifyClientCert", "RequireAnyClientCert"));
    let (code, body) = status(
        server
            .tls_client(&pki.ca_pem(), Some(&good))
            .post(server.https("/-/reload")),
    )
    .await
    .unwrap();
    assert_eq!(code, 200, "{body}");
    let (code, _) = status(
        server
            .tls_client(&pki.ca_pem(), Some(&stranger))
            .get(server.https("/-/ready")),
    )
    .await
    .unwrap();
    assert_eq!(code, 200);
    assert!(status(
        server
            .tls_client(&pki.ca_pem(), None)
            .get(server.https("/-/ready"))
    )
    .await
    .is_err());
}

fn auth_config(filter: &str) -> String {
    format!(
        "http {{\n  auth {{\n    basic {{\n      username = \"admin\"\n      password = {PASSWORD:?}\n    }}\n{filter}  }}\n}}\n"
    )
}

#[tokio::test]
async fn basic_auth_guards_every_route_and_follows_the_filter_across_reloads() {
    let server = Server::start(&auth_config("")).await;
    let c = server.plain_client();
    let routes = [
        "/-/ready",
        "/-/healthy",
        "/metrics",
        "/api/v0/web/components",
        "/-/reload",
    ];

    for path in routes {
        let r = c.get(server.http(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path} without credentials");
        assert_eq!(
            r.headers().get("www-authenticate").unwrap(),
            "Basic realm=\"Restricted\""
        );
        let r = c
            .get(server.http(path))
            .basic_auth("admin", Some("wrong"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path} with a wrong password");
        let r = c
            .get(server.http(path))
            .basic_auth("Admin", Some(PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path} with a wrong user name");
    }
    for path in &routes[..4] {
        let (code, _) = status(c.get(server.http(path)).basic_auth("admin", Some(PASSWORD)))
            .await
            .unwrap();
        assert_eq!(code, 200, "{path} with credentials");
    }

    // Only paths starting with /metrics need credentials; a percent-encoded spelling does too.
    server.set_config(&auth_config(
        "    filter {\n      paths = [\"/metrics\"]\n    }\n",
    ));
    let (code, body) = status(
        c.post(server.http("/-/reload"))
            .basic_auth("admin", Some(PASSWORD)),
    )
    .await
    .unwrap();
    assert_eq!(code, 200, "{body}");
    assert_eq!(status(c.get(server.http("/-/ready"))).await.unwrap().0, 200);
    assert_eq!(status(c.get(server.http("/metrics"))).await.unwrap().0, 401);
    assert_eq!(
        status(c.get(server.http("/%6Detrics"))).await.unwrap().0,
        401
    );

    // Every path but /-/ready needs credentials.
    server.set_config(&auth_config(
        "    filter {\n      paths = [\"/-/ready\"]\n      authenticate_matching_paths = false\n    }\n",
    ));
    let (code, _) = status(c.get(server.http("/-/reload"))).await.unwrap();
    assert_eq!(code, 200, "/-/reload was open under the previous filter");
    assert_eq!(status(c.get(server.http("/-/ready"))).await.unwrap().0, 200);
    assert_eq!(status(c.get(server.http("/metrics"))).await.unwrap().0, 401);
    assert_eq!(
        status(c.get(server.http("/-/healthy"))).await.unwrap().0,
        401
    );

    // Without the block, nothing needs credentials.
    server.set_config("");
    let (code, _) = status(
        c.get(server.http("/-/reload"))
            .basic_auth("admin", Some(PASSWORD)),
    )
    .await
    .unwrap();
    assert_eq!(code, 200);
    assert_eq!(status(c.get(server.http("/metrics"))).await.unwrap().0, 200);
}

#[tokio::test]
async fn a_bad_http_block_is_rejected_on_reload_and_the_running_server_stays() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("test CA");
    let first = pki.server();
    let cert = write(dir.path(), "server.crt", &first.cert_pem);
    let key = write(dir.path(), "server.key", &first.key_pem);
    let good = format!(
        "{}  auth {{\n    basic {{\n      username = \"admin\"\n      password = {PASSWORD:?}\n    }}\n  }}\n}}\n",
        tls_block(&cert, &key).strip_suffix("}\n").unwrap(),
    );
    let server = Server::start(&good).await;
    let get_ready = |ca: String| {
        let client = server.tls_client(&ca, None);
        let url = server.https("/-/ready");
        async move { status(client.get(url).basic_auth("admin", Some(PASSWORD))).await }
    };
    assert_eq!(get_ready(pki.ca_pem()).await.unwrap().0, 200);

    // The key file is missing: a 400 naming the file and position, and nothing changes.
    let missing = dir.path().join("missing.key");
    server.set_config(&good.replace(&key.display().to_string(), &missing.display().to_string()));
    let (code, body) = status(
        server
            .tls_client(&pki.ca_pem(), None)
            .post(server.https("/-/reload"))
            .basic_auth("admin", Some(PASSWORD)),
    )
    .await
    .unwrap();
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("main.alloy:4:17: failed to read"), "{body}");
    assert!(body.contains("missing.key"), "{body}");
    assert!(!body.contains(PASSWORD), "{body}");
    assert_eq!(get_ready(pki.ca_pem()).await.unwrap().0, 200);
    assert!(server
        .controller
        .config_blocks()
        .get::<HttpConfig>()
        .tls
        .is_some());

    // Both of a pair is an error at the attribute.
    server.set_config(&good.replace("    key_file", "    key_pem = \"x\"\n    key_file"));
    let (code, body) = status(
        server
            .tls_client(&pki.ca_pem(), None)
            .post(server.https("/-/reload"))
            .basic_auth("admin", Some(PASSWORD)),
    )
    .await
    .unwrap();
    assert_eq!(code, 400, "{body}");
    assert!(
        body.contains("main.alloy:5:17: cannot specify both key_pem and key_file"),
        "{body}"
    );

    // A certificate renewed on disk is served to new connections, without and with a reload.
    let renewed_ca = Pki::new("renewed CA");
    let renewed = renewed_ca.server();
    write(dir.path(), "server.key", &renewed.key_pem);
    write(dir.path(), "server.crt", &renewed.cert_pem);
    assert_eq!(get_ready(renewed_ca.ca_pem()).await.unwrap().0, 200);
    assert!(get_ready(pki.ca_pem()).await.is_err());
    server.set_config(&good);
    let (code, body) = status(
        server
            .tls_client(&renewed_ca.ca_pem(), None)
            .post(server.https("/-/reload"))
            .basic_auth("admin", Some(PASSWORD)),
    )
    .await
    .unwrap();
    assert_eq!(code, 200, "{body}");
    assert_eq!(get_ready(renewed_ca.ca_pem()).await.unwrap().0, 200);

    // Dropping the tls block serves plain HTTP to new connections.
    server.set_config(&auth_config(""));
    let (code, _) = status(
        server
            .tls_client(&renewed_ca.ca_pem(), None)
            .post(server.https("/-/reload"))
            .basic_auth("admin", Some(PASSWORD)),
    )
    .await
    .unwrap();
    assert_eq!(code, 200);
    let (code, _) = status(
        server
            .plain_client()
            .get(server.http("/-/ready"))
            .basic_auth("admin", Some(PASSWORD)),
    )
    .await
    .unwrap();
    assert_eq!(code, 200);
}

#[tokio::test]
async fn the_password_is_shown_nowhere() {
    let server = Server::start(&format!(
        "{}test.passthrough \"p\" {{\n  input = 1\n}}\n",
        auth_config("")
    ))
    .await;
    let c = server.plain_client();
    // A failed attempt (logged), a successful one, and the component list.
    let _ = c
        .get(server.http("/metrics"))
        .basic_auth("admin", Some("nope"))
        .send()
        .await;
    let (code, components) = status(
        c.get(server.http("/api/v0/web/components"))
            .basic_auth("admin", Some(PASSWORD)),
    )
    .await
    .unwrap();
    assert_eq!(code, 200);
    assert!(components.contains("test.passthrough.p"), "{components}");
    assert!(!components.contains(PASSWORD), "{components}");
    let blocks = format!("{:?}", server.controller.config_blocks());
    assert!(blocks.contains("(secret)"), "{blocks}");
    assert!(!blocks.contains(PASSWORD), "{blocks}");

    // A rejected reload whose error is inside the auth block.
    server.set_config(&auth_config("    filter {\n      paths = 1\n    }\n"));
    let (code, body) = status(
        c.post(server.http("/-/reload"))
            .basic_auth("admin", Some(PASSWORD)),
    )
    .await
    .unwrap();
    assert_eq!(code, 400);
    assert!(!body.contains(PASSWORD), "{body}");

    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    assert!(logs.contains("failed to authenticate request"), "{logs}");
    assert!(!logs.contains(PASSWORD), "{logs}");
}
