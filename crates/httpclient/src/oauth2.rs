//! OAuth 2.0 client credentials, as `golang.org/x/oauth2/clientcredentials` behind Prometheus' oauth2 round
//! tripper: the token is fetched from `token_url` with the block's own TLS and proxy settings, cached until
//! 10 s before it expires, and fetched anew when the client secret (file) changes. The client is first
//! authenticated with HTTP Basic, then, if the server refuses that, with the credentials in the form (Go's
//! auto-detection), remembering what worked.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::{Client, CredentialSource, Error, Method, Settings};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuth2Settings {
    pub client_id: String,
    pub client_secret: Option<CredentialSource>,
    pub scopes: Vec<String>,
    pub token_url: String,
    pub endpoint_params: BTreeMap<String, String>,
    /// The token endpoint's own client: `tls_config` and proxy settings of the `oauth2` block.
    pub client: Box<Settings>,
}

#[derive(Clone)]
struct Token {
    access: String,
    kind: String,
    expiry: Option<Instant>,
}

/// x/oauth2's `expiryDelta`: a token is renewed this long before it expires.
const EXPIRY_DELTA: Duration = Duration::from_secs(10);

pub(crate) struct TokenSource {
    settings: OAuth2Settings,
    client: Client,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    token: Option<Token>,
    secret: Option<String>,
    /// `Some(true)` once the secret in the form worked where Basic did not.
    in_params: Option<bool>,
}

fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `Bearer` for any casing of it, as x/oauth2's `Token.Type`.
fn token_type(t: &str) -> String {
    if t.eq_ignore_ascii_case("bearer") || t.is_empty() {
        "Bearer".into()
    } else if t.eq_ignore_ascii_case("mac") {
        "MAC".into()
    } else if t.eq_ignore_ascii_case("basic") {
        "Basic".into()
    } else {
        t.into()
    }
}

fn query_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl TokenSource {
    pub(crate) fn new(settings: OAuth2Settings) -> Result<TokenSource, String> {
        let client = Client::new((*settings.client).clone())?;
        Ok(TokenSource {
            settings,
            client,
            state: Mutex::new(State::default()),
        })
    }

    /// `Authorization` for the next request.
    /// Boxed with its type named: the token endpoint's client is a [`Client`] too, whose requests lead
    /// back here in type (never at run time: it has no `oauth2`).
    pub(crate) fn authorization<'a>(
        &'a self,
        user_agent: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, Error>> + Send + 'a>>
    {
        Box::pin(self.authorization_inner(user_agent))
    }

    async fn authorization_inner(&self, user_agent: &str) -> Result<String, Error> {
        let secret = match &self.settings.client_secret {
            Some(s) => s
                .read()
                .map_err(|e| Error::auth(format!("unable to read oauth2 client secret: {e}")))?,
            None => String::new(),
        };
        {
            let st = lock(&self.state);
            if st.secret.as_deref() == Some(secret.as_str()) {
                if let Some(t) = &st.token {
                    if t.expiry.is_none_or(|e| Instant::now() + EXPIRY_DELTA < e) {
                        return Ok(format!("{} {}", t.kind, t.access));
                    }
                }
            }
        }
        let in_params = lock(&self.state).in_params;
        let token = match in_params {
            Some(p) => self.fetch(&secret, p, user_agent).await?,
            None => match self.fetch(&secret, false, user_agent).await {
                Ok(t) => {
                    lock(&self.state).in_params = Some(false);
                    t
                }
                Err(_) => {
                    let t = self.fetch(&secret, true, user_agent).await?;
                    lock(&self.state).in_params = Some(true);
                    t
                }
            },
        };
        let header = format!("{} {}", token.kind, token.access);
        let mut st = lock(&self.state);
        st.secret = Some(secret);
        st.token = Some(token);
        Ok(header)
    }

    async fn fetch(&self, secret: &str, in_params: bool, user_agent: &str) -> Result<Token, Error> {
        let s = &self.settings;
        let mut form: BTreeMap<String, String> = BTreeMap::new();
        form.insert("grant_type".into(), "client_credentials".into());
        if !s.scopes.is_empty() {
            form.insert("scope".into(), s.scopes.join(" "));
        }
        for (k, v) in &s.endpoint_params {
            if form.contains_key(k) && k != "grant_type" {
                return Err(Error::auth(format!(
                    "oauth2: cannot overwrite parameter {k:?}"
                )));
            }
            form.insert(k.clone(), v.clone());
        }
        let mut headers = vec![(
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        )];
        if !user_agent.is_empty() {
            headers.push(("User-Agent".into(), user_agent.into()));
        }
        if in_params {
            form.insert("client_id".into(), s.client_id.clone());
            if !secret.is_empty() {
                form.insert("client_secret".into(), secret.into());
            }
        } else {
            let basic = format!("{}:{}", query_escape(&s.client_id), query_escape(secret));
            headers.push((
                "Authorization".into(),
                format!(
                    "Basic {}",
                    ingot_gocompat::base64::Encoding::Std.encode_to_string(basic.as_bytes())
                ),
            ));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter())
            .finish();
        let resp = self
            .client
            .send(
                Method::POST,
                &s.token_url,
                headers,
                body.into_bytes().into(),
            )
            .await
            .map_err(|e| Error::auth(format!("oauth2: cannot fetch token: {e}")))?;
        let status = resp.status;
        let content_type = resp.header("content-type").unwrap_or_default().to_string();
        let body = resp
            .bytes(1 << 20)
            .await
            .map_err(|e| Error::auth(format!("oauth2: cannot fetch token: {e}")))?;
        let text = String::from_utf8_lossy(&body).into_owned();
        if !(200..300).contains(&status) {
            if let Ok(serde_json::Value::Object(o)) = serde_json::from_str(&text) {
                if let Some(code) = o.get("error").and_then(|v| v.as_str()) {
                    let mut msg = format!("oauth2: {code:?}");
                    if let Some(d) = o.get("error_description").and_then(|v| v.as_str()) {
                        msg.push_str(&format!(" {d:?}"));
                    }
                    return Err(Error::auth(msg));
                }
            }
            return Err(Error::auth(format!(
                "oauth2: cannot fetch token: {}\nResponse: {}",
                crate::status_text(status),
                text.chars().take(512).collect::<String>()
            )));
        }
        let (access, kind, expires_in) = if content_type
            .starts_with("application/x-www-form-urlencoded")
            || content_type.starts_with("text/plain")
        {
            let v: BTreeMap<String, String> = url::form_urlencoded::parse(text.as_bytes())
                .into_owned()
                .collect();
            (
                v.get("access_token").cloned().unwrap_or_default(),
                v.get("token_type").cloned().unwrap_or_default(),
                v.get("expires_in")
                    .and_then(|e| e.parse::<i64>().ok())
                    .unwrap_or(0),
            )
        } else {
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| Error::auth(format!("oauth2: cannot parse json: {e}")))?;
            let expires_in = match v.get("expires_in") {
                Some(serde_json::Value::Number(n)) => n.as_i64().unwrap_or(0),
                Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0),
                _ => 0,
            };
            (
                v.get("access_token")
                    .and_then(|a| a.as_str())
                    .unwrap_or_default()
                    .to_string(),
                v.get("token_type")
                    .and_then(|a| a.as_str())
                    .unwrap_or_default()
                    .to_string(),
                expires_in,
            )
        };
        if access.is_empty() {
            return Err(Error::auth(
                "oauth2: server response missing access_token".into(),
            ));
        }
        Ok(Token {
            access,
            kind: token_type(&kind),
            expiry: (expires_in > 0)
                .then(|| Instant::now() + Duration::from_secs(expires_in as u64)),
        })
    }
}
