//! Decoding the `http` block: Alloy's defaults for the auth filter, Alloy's checks of the tls block with
//! their positions, and secrets kept out of what the decoded block shows.

use std::sync::Arc;

use ingot_runtime::config_block::ConfigBlockRegistration;
use ingot_runtime::controller::{Controller, Options};
use ingot_runtime::source::from_text;
use ingot_server::http_block::{ClientAuthType, HttpConfig};
use ingot_testkit::components::registry;

fn load(text: &str) -> Result<HttpConfig, Vec<String>> {
    let registry = registry().with_config_blocks(vec![ConfigBlockRegistration::of::<HttpConfig>()]);
    let c = Controller::new(Arc::new(registry), Options::default());
    let (config, diags) = from_text("main.alloy", text);
    assert!(!diags.has_errors(), "{}", diags.render());
    c.apply(&config)
        .map_err(|d| d.iter().map(|d| d.short()).collect::<Vec<_>>())?;
    Ok(c.config_blocks().get::<HttpConfig>())
}

fn auth(filter: &str) -> String {
    format!("http {{\n  auth {{\n    basic {{\n      username = \"u\"\n      password = \"p\"\n    }}\n{filter}  }}\n}}\n")
}

fn needs_auth(http: &HttpConfig, path: &str) -> bool {
    http.auth
        .as_ref()
        .and_then(|a| a.required_for(path))
        .is_some()
}

#[test]
fn the_auth_filter_follows_alloys_defaults() {
    // No filter block: Alloy's zero-valued filter authenticates every path.
    let all = load(&auth("")).unwrap();
    assert!(needs_auth(&all, "/-/ready") && needs_auth(&all, "/metrics"));

    // An empty filter block takes the block's default (authenticate matching paths) with no paths: none.
    let none = load(&auth("    filter {}\n")).unwrap();
    assert!(!needs_auth(&none, "/-/ready"));

    let only = load(&auth(
        "    filter {\n      paths = [\"/api\", \"/metrics\"]\n    }\n",
    ))
    .unwrap();
    assert!(needs_auth(&only, "/api/v0/web/components"));
    assert!(needs_auth(&only, "/metrics"));
    assert!(!needs_auth(&only, "/-/ready"));

    let except = load(&auth(
        "    filter {\n      paths = [\"/-/\"]\n      authenticate_matching_paths = false\n    }\n",
    ))
    .unwrap();
    assert!(!needs_auth(&except, "/-/healthy"));
    assert!(needs_auth(&except, "/metrics"));

    // auth without basic: nothing to check.
    let no_basic = load("http {\n  auth {}\n}\n").unwrap();
    assert!(!needs_auth(&no_basic, "/metrics"));
    assert_eq!(load("").unwrap(), Default::default());
}

#[test]
fn basic_needs_both_credentials() {
    let err =
        load("http {\n  auth {\n    basic {\n      username = \"u\"\n    }\n  }\n}\n").unwrap_err();
    assert_eq!(
        err,
        ["main.alloy:3:5: missing required attribute \"password\""]
    );
}

fn tls(body: &str) -> Vec<String> {
    load(&format!("http {{\n  tls {{\n{body}  }}\n}}\n")).unwrap_err()
}

#[test]
fn tls_arguments_are_checked_as_alloy_checks_them() {
    let cases: &[(&str, &str)] = &[
        (
            "    cert_pem = \"a\"\n    cert_file = \"b\"\n    key_pem = \"c\"\n",
            "main.alloy:4:17: cannot specify both cert_pem and cert_file",
        ),
        (
            "    cert_file = \"a\"\n    key_pem = \"c\"\n    key_file = \"d\"\n",
            "main.alloy:5:16: cannot specify both key_pem and key_file",
        ),
        (
            "    cert_file = \"a\"\n    key_file = \"b\"\n    client_ca_pem = \"c\"\n    client_ca_file = \"d\"\n",
            "main.alloy:6:22: cannot specify both client_ca_pem and client_ca_file",
        ),
        ("    key_file = \"b\"\n", "main.alloy:2:3: must specify either cert_pem or cert_file"),
        ("    cert_file = \"a\"\n", "main.alloy:2:3: must specify either key_pem or key_file"),
        (
            "    cert_file = \"a\"\n    key_file = \"b\"\n    client_auth_type = \"Sometimes\"\n",
            "main.alloy:5:24: unknown client auth type \"Sometimes\"",
        ),
        (
            "    cert_file = \"a\"\n    key_file = \"b\"\n    client_ca_file = \"c\"\n",
            "main.alloy:5:22: cannot specify client_ca_pem or client_ca_file when client_auth_type is NoClientCert",
        ),
        (
            "    cert_file = \"a\"\n    key_file = \"b\"\n    client_auth_type = \"RequireAndVerifyClientCert\"\n",
            "main.alloy:5:24: client_auth_type RequireAndVerifyClientCert needs client_ca_pem or client_ca_file to verify client certificates against",
        ),
        (
            "    cert_file = \"a\"\n    key_file = \"b\"\n    min_version = \"TLS9\"\n",
            "main.alloy:5:19: unknown TLS version \"TLS9\"",
        ),
        (
            "    cert_file = \"a\"\n    key_file = \"b\"\n    max_version = \"TLS11\"\n",
            "main.alloy:5:19: ingot supports TLS12 and TLS13 only; max_version must be TLS12 or TLS13",
        ),
        (
            "    cert_file = \"a\"\n    key_file = \"b\"\n    min_version = \"TLS13\"\n    max_version = \"TLS12\"\n",
            "main.alloy:5:19: min_version TLS13 is newer than max_version TLS12",
        ),
        (
            "    cert_file = \"a\"\n    key_file = \"b\"\n    cipher_suites = [\"TLS_FAST\"]\n",
            "main.alloy:5:21: unknown cipher \"TLS_FAST\"",
        ),
        (
            "    cert_file = \"a\"\n    key_file = \"b\"\n    curve_preferences = [\"CurveP999\"]\n",
            "main.alloy:5:25: unknown curve \"CurveP999\"",
        ),
        (
            "    cert_file = \"a\"\n    key_file = \"b\"\n    curve_preferences = [\"CurveP521\"]\n",
            "main.alloy:5:25: none of the listed curves is implemented by ingot; list X25519, CurveP256 or CurveP384",
        ),
        (
            "    cert_file = \"/nonexistent/a.crt\"\n    key_file = \"b\"\n",
            "main.alloy:3:17: failed to read /nonexistent/a.crt: No such file or directory (os error 2)",
        ),
        (
            "    cert_pem = \"not a certificate\"\n    key_file = \"b\"\n",
            "main.alloy:3:16: no PEM-encoded certificate found",
        ),
        (
            "    windows_certificate_filter {}\n",
            "main.alloy:3:5: the windows_certificate_filter block is only available on Windows",
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(tls(body), [expected.to_string()], "{body}");
    }
}

struct Pair {
    cert: String,
    key: String,
}

fn pair() -> Pair {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    Pair {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

#[test]
fn keys_are_checked_against_the_certificate_and_never_shown() {
    let (a, b) = (pair(), pair());
    let err = tls(&format!(
        "    cert_pem = {:?}\n    key_pem = {:?}\n",
        a.cert, b.key
    ));
    assert_eq!(err.len(), 1);
    assert!(
        err[0].ends_with("the private key does not match the certificate's public key"),
        "{err:?}"
    );
    assert!(!err[0].contains("PRIVATE KEY"), "{err:?}");

    let err = tls(&format!(
        "    cert_pem = {:?}\n    key_pem = \"-----BEGIN PRIVATE KEY-----\\nsecretsecret\\n\"\n",
        a.cert
    ));
    assert_eq!(err.len(), 1);
    assert!(!err[0].contains("secretsecret"), "{err:?}");

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &b.cert).unwrap();
    let blocks = load(&format!(
        "http {{\n  tls {{\n    cert_pem = {:?}\n    key_pem = {:?}\n    client_ca_file = {:?}\n    client_auth_type = \"VerifyClientCertIfGiven\"\n  }}\n  auth {{\n    basic {{\n      username = \"u\"\n      password = \"hunter2-secret\"\n    }}\n  }}\n}}\n",
        a.cert,
        a.key,
        ca.display().to_string()
    ))
    .unwrap();
    let tls = blocks.tls.as_ref().unwrap();
    assert_eq!(tls.client_auth(), ClientAuthType::VerifyClientCertIfGiven);
    assert_eq!(tls.server_config().alpn_protocols, [b"http/1.1".to_vec()]);
    let shown = format!("{blocks:?}");
    assert!(!shown.contains("hunter2-secret"), "{shown}");
    assert!(!shown.contains(a.key.lines().nth(1).unwrap()), "{shown}");
}
