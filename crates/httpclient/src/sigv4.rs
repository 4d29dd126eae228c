//! AWS Signature Version 4 for remote-write requests, as `github.com/prometheus/sigv4` signs them with the
//! AWS SDK's signer: every header present is signed except `Authorization`, `User-Agent`, `X-Amzn-Trace-Id`,
//! `Expect` and `Transfer-Encoding`, plus `host` and `content-length`; the path is cleaned first.
//! Credentials and region come from the block, the environment or the shared AWS files, resolved when the
//! client is built (as Prometheus does); assuming a role (STS) is not done by ingot.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

use ring::{digest, hmac};
use url::Url;

use crate::Credential;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key: String,
    pub secret_key: Credential,
    pub session_token: Option<Credential>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigV4 {
    pub region: String,
    pub service: String,
    pub credentials: AwsCredentials,
}

/// What the `sigv4` block gives, before resolution.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SigV4Config {
    pub region: String,
    pub access_key: String,
    pub secret_key: Option<Credential>,
    pub profile: String,
    pub service_name: String,
}

/// Where the shared AWS files are (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`, or under `~/.aws`).
fn aws_file(env: &dyn Fn(&str) -> Option<String>, var: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = env(var).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    env("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".aws").join(name))
}

/// The sections of an AWS INI file (`[default]`, `[profile x]` in the config file, `[x]` in credentials).
fn read_ini(path: &PathBuf) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let Ok(text) = std::fs::read_to_string(path) else {
        return out;
    };
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.trim().to_string();
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            out.entry(section.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out
}

/// Keys of a shared-config profile that get credentials in ways ingot does not implement.
const UNSUPPORTED_PROFILE_KEYS: &[&str] = &[
    "role_arn",
    "source_profile",
    "credential_process",
    "sso_start_url",
    "sso_session",
    "web_identity_token_file",
    "credential_source",
];

impl SigV4Config {
    /// Resolves credentials and region as the AWS SDK's default chain does for static keys, environment
    /// variables and the shared files. Fails, as Prometheus does at build time, when none are found.
    pub fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<SigV4, String> {
        let profile_set = !self.profile.is_empty();
        let profile_name = if profile_set {
            self.profile.clone()
        } else {
            env("AWS_PROFILE")
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "default".into())
        };
        let creds_file = aws_file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
        let config_file = aws_file(env, "AWS_CONFIG_FILE", "config");
        let creds_ini = creds_file.as_ref().map(read_ini).unwrap_or_default();
        let config_ini = config_file.as_ref().map(read_ini).unwrap_or_default();
        let config_section = if profile_name == "default" {
            config_ini.get("default")
        } else {
            config_ini.get(&format!("profile {profile_name}"))
        };
        let profile_value = |key: &str| {
            creds_ini
                .get(&profile_name)
                .and_then(|s| s.get(key))
                .or_else(|| config_section.and_then(|s| s.get(key)))
                .filter(|v| !v.is_empty())
                .cloned()
        };
        let from_profile = || -> Result<AwsCredentials, String> {
            for k in UNSUPPORTED_PROFILE_KEYS {
                if profile_value(k).is_some() {
                    return Err(format!(
                        "could not get SigV4 credentials: profile {profile_name:?} uses {k}, which ingot does not support (give access_key and secret_key, or a profile with aws_access_key_id and aws_secret_access_key)"
                    ));
                }
            }
            match (
                profile_value("aws_access_key_id"),
                profile_value("aws_secret_access_key"),
            ) {
                (Some(a), Some(s)) => Ok(AwsCredentials {
                    access_key: a,
                    secret_key: Credential(s),
                    session_token: profile_value("aws_session_token").map(Credential),
                }),
                _ => Err(format!(
                    "could not get SigV4 credentials: no access_key and secret_key in the sigv4 block, no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, and no keys for profile {profile_name:?} in {} (ingot does not query EC2 or ECS instance metadata, nor web identity)",
                    creds_file.as_ref().map_or("the shared credentials file".to_string(), |p| p.display().to_string())
                )),
            }
        };
        let env_keys = || {
            let a = env("AWS_ACCESS_KEY_ID")
                .or_else(|| env("AWS_ACCESS_KEY"))
                .filter(|v| !v.is_empty())?;
            let s = env("AWS_SECRET_ACCESS_KEY")
                .or_else(|| env("AWS_SECRET_KEY"))
                .filter(|v| !v.is_empty())?;
            Some(AwsCredentials {
                access_key: a,
                secret_key: Credential(s),
                session_token: env("AWS_SESSION_TOKEN")
                    .filter(|v| !v.is_empty())
                    .map(Credential),
            })
        };
        let credentials = match &self.secret_key {
            Some(secret) if !self.access_key.is_empty() && !secret.0.is_empty() => AwsCredentials {
                access_key: self.access_key.clone(),
                secret_key: secret.clone(),
                session_token: None,
            },
            _ if profile_set => from_profile()?,
            _ => match env_keys() {
                Some(c) => c,
                None => from_profile()?,
            },
        };
        let region = if !self.region.is_empty() {
            self.region.clone()
        } else if let Some(r) = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .filter(|r| !r.is_empty())
        {
            r
        } else if let Some(r) = config_section
            .and_then(|s| s.get("region"))
            .filter(|r| !r.is_empty())
        {
            r.clone()
        } else {
            return Err("region not configured in sigv4 or in default credentials chain".into());
        };
        Ok(SigV4 {
            region,
            service: if self.service_name.is_empty() {
                "aps".into()
            } else {
                self.service_name.clone()
            },
            credentials,
        })
    }
}

/// Headers the AWS signer leaves out.
const UNSIGNED: &[&str] = &[
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "expect",
    "transfer-encoding",
];

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn sha256_hex(b: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, b).as_ref())
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), msg)
        .as_ref()
        .to_vec()
}

/// AWS's URI encoding: everything but `A-Za-z0-9-_.~` (and `/` in paths) as `%XX`.
fn aws_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Go's `path.Clean` for an absolute URL path.
fn clean_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

impl SigV4 {
    /// Signs a request: adds `X-Amz-Date`, `X-Amz-Security-Token` (with a session token) and
    /// `Authorization` to `headers`, which must hold every header that will be sent (but `Host`,
    /// `Content-Length` and the ones the signer leaves out). Returns the URL with its path cleaned.
    pub fn sign(
        &self,
        method: &str,
        url: &Url,
        headers: &mut Vec<(String, String)>,
        body: &[u8],
        now: SystemTime,
    ) -> Url {
        let mut url = url.clone();
        let cleaned = clean_path(url.path());
        url.set_path(&cleaned);
        let secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let (y, mo, d, h, mi, s) = civil(secs);
        let date = format!("{y:04}{mo:02}{d:02}");
        let amz_date = format!("{date}T{h:02}{mi:02}{s:02}Z");
        headers.retain(|(n, _)| {
            !n.eq_ignore_ascii_case("x-amz-date")
                && !n.eq_ignore_ascii_case("x-amz-security-token")
                && !n.eq_ignore_ascii_case("authorization")
        });
        headers.push(("X-Amz-Date".into(), amz_date.clone()));
        if let Some(t) = &self.credentials.session_token {
            headers.push(("X-Amz-Security-Token".into(), t.0.clone()));
        }
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        let mut canon: BTreeMap<String, Vec<String>> = BTreeMap::new();
        canon.entry("host".into()).or_default().push(host);
        if !body.is_empty() {
            canon
                .entry("content-length".into())
                .or_default()
                .push(body.len().to_string());
        }
        for (n, v) in headers.iter() {
            let n = n.to_ascii_lowercase();
            if UNSIGNED.contains(&n.as_str()) || n == "host" || n == "content-length" {
                continue;
            }
            let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
            canon.entry(n).or_default().push(v);
        }
        let signed_headers = canon.keys().cloned().collect::<Vec<_>>().join(";");
        let canonical_headers: String = canon
            .iter()
            .map(|(n, v)| format!("{n}:{}\n", v.join(",")))
            .collect();
        let mut query: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (aws_encode(&k, false), aws_encode(&v, false)))
            .collect();
        query.sort();
        let canonical_query = query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let canonical_request = format!(
            "{method}\n{}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{}",
            aws_encode(url.path(), true),
            sha256_hex(body)
        );
        let scope = format!("{date}/{}/{}/aws4_request", self.region, self.service);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            sha256_hex(canonical_request.as_bytes())
        );
        let k_date = hmac_sha256(
            format!("AWS4{}", self.credentials.secret_key.0).as_bytes(),
            date.as_bytes(),
        );
        let k_region = hmac_sha256(&k_date, self.region.as_bytes());
        let k_service = hmac_sha256(&k_region, self.service.as_bytes());
        let k_signing = hmac_sha256(&k_service, b"aws4_request");
        let signature = hex(&hmac_sha256(&k_signing, string_to_sign.as_bytes()));
        headers.push((
            "Authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
                self.credentials.access_key
            ),
        ));
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_paths() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(1_440_938_160), (2015, 8, 30, 12, 36, 0));
        assert_eq!(clean_path("/a//b/./c/../d/"), "/a/b/d");
        assert_eq!(clean_path(""), "/");
    }

    // AWS's documented example (IAM ListUsers, GET, no body): the signature the documentation gives.
    #[test]
    fn the_documented_example_signs_alike() {
        let s = SigV4 {
            region: "us-east-1".into(),
            service: "iam".into(),
            credentials: AwsCredentials {
                access_key: "AKIDEXAMPLE".into(),
                secret_key: Credential("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()),
                session_token: None,
            },
        };
        let mut headers = vec![(
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        )];
        let url =
            Url::parse("https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08").unwrap();
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        s.sign("GET", &url, &mut headers, b"", now);
        let auth = &headers
            .iter()
            .find(|(n, _)| n == "Authorization")
            .unwrap()
            .1;
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn credentials_resolve_from_block_environment_and_profile() {
        let dir = std::env::temp_dir().join(format!("ingot-sigv4-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let creds = dir.join("credentials");
        std::fs::write(
            &creds,
            "[default]\naws_access_key_id = AKDEFAULT\naws_secret_access_key = sdefault\n[ops]\naws_access_key_id=AKOPS\naws_secret_access_key=sops\naws_session_token=tops\n",
        )
        .unwrap();
        let config = dir.join("config");
        std::fs::write(
            &config,
            "[profile ops]\nregion = eu-west-1\n[profile sso]\nsso_session = x\n",
        )
        .unwrap();
        let c = creds.display().to_string();
        let f = config.display().to_string();
        let env_with = |extra: Vec<(&'static str, &'static str)>| {
            let c = c.clone();
            let f = f.clone();
            move |k: &str| -> Option<String> {
                match k {
                    "AWS_SHARED_CREDENTIALS_FILE" => Some(c.clone()),
                    "AWS_CONFIG_FILE" => Some(f.clone()),
                    _ => extra
                        .iter()
                        .find(|(n, _)| *n == k)
                        .map(|(_, v)| v.to_string()),
                }
            }
        };
        let cfg = |profile: &str, region: &str| SigV4Config {
            profile: profile.into(),
            region: region.into(),
            ..SigV4Config::default()
        };
        let ops = cfg("ops", "")
            .resolve(&env_with(vec![
                ("AWS_ACCESS_KEY_ID", "AKENV"),
                ("AWS_SECRET_ACCESS_KEY", "senv"),
            ]))
            .unwrap();
        assert_eq!(
            ops.credentials.access_key, "AKOPS",
            "a profile named in the block wins over the environment"
        );
        assert_eq!(ops.region, "eu-west-1");
        assert_eq!(ops.service, "aps");
        let envd = cfg("", "us-east-1")
            .resolve(&env_with(vec![
                ("AWS_ACCESS_KEY_ID", "AKENV"),
                ("AWS_SECRET_ACCESS_KEY", "senv"),
            ]))
            .unwrap();
        assert_eq!(envd.credentials.access_key, "AKENV");
        let default = cfg("", "")
            .resolve(&env_with(vec![("AWS_REGION", "ap-south-1")]))
            .unwrap();
        assert_eq!(
            (
                default.credentials.access_key.as_str(),
                default.region.as_str()
            ),
            ("AKDEFAULT", "ap-south-1")
        );
        let e = cfg("", "").resolve(&env_with(vec![])).unwrap_err();
        assert_eq!(
            e,
            "region not configured in sigv4 or in default credentials chain"
        );
        let e = cfg("sso", "us-east-1")
            .resolve(&env_with(vec![]))
            .unwrap_err();
        assert!(e.contains("sso_session"), "{e}");
        assert!(!format!("{ops:?}").contains("sops"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
