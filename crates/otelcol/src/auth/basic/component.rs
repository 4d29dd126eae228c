//! The running `otelcol.auth.basic` and its arguments (Alloy's `auth/basic/basic.go`). htpasswd entries
//! are read when the component is built or updated; ingot checks plain-text entries (`user:password`,
//! what the deprecated `username`/`password` pair becomes) and refuses hashed ones at load, naming the
//! user, rather than refusing every request at run time.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use base64::Engine;
use ingot_runtime::component::{ComponentType, Context, Stability};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::{Secret, Value};

use crate::auth::{same, Authenticator, Handler};
use crate::config::{debug_metrics, Warnings};

pub const NAME: &str = "otelcol.auth.basic";

#[derive(Clone, Debug, PartialEq)]
pub struct ClientAuth {
    pub username: String,
    pub username_file: String,
    pub password: Option<Secret>,
    pub password_file: String,
}

impl Decode for ClientAuth {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let c = ClientAuth {
            username: d.optional_or("username", String::new())?,
            username_file: d.optional_or("username_file", String::new())?,
            password: d
                .optional::<Secret>("password")?
                .filter(|p| !p.expose().is_empty()),
            password_file: d.optional_or("password_file", String::new())?,
        };
        if c.username.is_empty() && c.username_file.is_empty() {
            return Err(d.error("no username provided"));
        }
        if c.password.is_none() && c.password_file.is_empty() {
            return Err(d.error("no password provided"));
        }
        Ok(c)
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
struct Htpasswd {
    file: String,
    inline: String,
}

impl Decode for Htpasswd {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Htpasswd {
            file: d.optional_or("file", String::new())?,
            inline: d.optional_or("inline", String::new())?,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub client: Option<ClientAuth>,
    /// Users a server accepts (plain-text passwords), from `htpasswd` and the deprecated pair.
    users: BTreeMap<String, Secret>,
    htpasswd_file: String,
    pub server: bool,
    pub warnings: Warnings,
}

/// Plain-text htpasswd lines; a hashed entry is an error naming its user.
fn parse_htpasswd(text: &str, users: &mut BTreeMap<String, Secret>) -> Result<(), String> {
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((user, pass)) = line.split_once(':') else {
            return Err(format!(
                "htpasswd: malformed line (no colon) for an entry beginning {:?}",
                line.chars().take(8).collect::<String>()
            ));
        };
        if pass.starts_with("$2")
            || pass.starts_with("$apr1$")
            || pass.starts_with("{SHA}")
            || pass.starts_with("{SSHA}")
            || pass.starts_with("$5$")
            || pass.starts_with("$6$")
        {
            return Err(format!("htpasswd: the entry for user {user:?} is hashed, which ingot does not check yet: give a plain-text entry (user:password) or authenticate in front of ingot"));
        }
        users.insert(user.to_string(), Secret::new(pass));
    }
    Ok(())
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let username: String = d.optional_or("username", String::new())?;
        let password: Option<Secret> = d
            .optional::<Secret>("password")?
            .filter(|p| !p.expose().is_empty());
        let client: Option<ClientAuth> = d.block("client_auth")?;
        let htpasswd: Option<Htpasswd> = d.block("htpasswd")?;
        debug_metrics(d, &mut warnings)?;
        if username.is_empty() && password.is_none() && htpasswd.is_none() && client.is_none() {
            return Err(d.error("no credential source provided"));
        }
        if !username.is_empty() && password.is_none() {
            return Err(d.error("no password provided"));
        }
        let mut users = BTreeMap::new();
        let mut htpasswd_file = String::new();
        if let Some(h) = &htpasswd {
            parse_htpasswd(&h.inline, &mut users).map_err(|e| d.error(e))?;
            htpasswd_file = h.file.clone();
        }
        // The deprecated pair: client credentials (when no client_auth block) and a server entry.
        let client = match (client, &password) {
            (Some(c), _) => Some(c),
            (None, Some(p)) if !username.is_empty() => {
                warnings.push("username and password are deprecated: use the client_auth block (clients) and htpasswd (servers)".into());
                users.insert(username.clone(), p.clone());
                Some(ClientAuth {
                    username,
                    username_file: String::new(),
                    password: Some(p.clone()),
                    password_file: String::new(),
                })
            }
            _ => None,
        };
        let server = htpasswd.is_some() || !users.is_empty();
        Ok(Arguments {
            client,
            users,
            htpasswd_file,
            server,
            warnings,
        })
    }
}

struct Basic {
    args: RwLock<Arguments>,
    /// Users from the htpasswd file, read at build and update.
    file_users: RwLock<BTreeMap<String, Secret>>,
}

fn read_trimmed(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| format!("unable to read {path}: {e}"))
}

impl Authenticator for Basic {
    fn client_headers(&self) -> Result<Vec<(String, String)>, String> {
        let a = self.args.read().unwrap_or_else(|e| e.into_inner());
        let Some(c) = &a.client else {
            return Err("no client credentials configured (client_auth)".into());
        };
        let user = if c.username_file.is_empty() {
            c.username.clone()
        } else {
            read_trimmed(&c.username_file)?
        };
        let pass = match &c.password {
            Some(p) => p.expose().to_string(),
            None => read_trimmed(&c.password_file)?,
        };
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        Ok(vec![("Authorization".into(), format!("Basic {token}"))])
    }

    fn check(&self, headers: &http::HeaderMap) -> Result<(), String> {
        let Some(v) = headers.get(http::header::AUTHORIZATION) else {
            return Err("no basic auth provided".into());
        };
        let v = v.to_str().map_err(|_| "invalid authorization header")?;
        let Some(b64) = v.strip_prefix("Basic ") else {
            return Err("no basic auth provided".into());
        };
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| "invalid basic auth encoding")?;
        let raw = String::from_utf8(raw).map_err(|_| "invalid basic auth encoding")?;
        let (user, pass) = raw.split_once(':').ok_or("invalid basic auth format")?;
        let a = self.args.read().unwrap_or_else(|e| e.into_inner());
        let file_users = self.file_users.read().unwrap_or_else(|e| e.into_inner());
        match a.users.get(user).or_else(|| file_users.get(user)) {
            Some(p) if same(p.expose().as_bytes(), pass.as_bytes()) => Ok(()),
            _ => Err("invalid credentials".into()),
        }
    }
}

pub struct Component {
    state: Arc<Basic>,
}

fn file_users(args: &Arguments) -> Result<BTreeMap<String, Secret>, String> {
    let mut users = BTreeMap::new();
    if !args.htpasswd_file.is_empty() {
        let text = std::fs::read_to_string(&args.htpasswd_file)
            .map_err(|e| format!("reading htpasswd file {}: {e}", args.htpasswd_file))?;
        parse_htpasswd(&text, &mut users)?;
    }
    Ok(users)
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        let users = if ctx.validate_only {
            BTreeMap::new()
        } else {
            file_users(&args)?
        };
        for w in &args.warnings {
            tracing::warn!(component = %ctx.id, "{w}");
        }
        let (client, server) = (args.client.is_some(), args.server);
        let state = Arc::new(Basic {
            args: RwLock::new(args),
            file_users: RwLock::new(users),
        });
        let handler = Handler::new(&ctx.id, client, server, state.clone());
        ctx.exports
            .init(Value::object([("handler", Value::from(handler))]));
        ctx.health.healthy("started component");
        Ok(Component { state })
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        let users = file_users(&args)?;
        *self
            .state
            .file_users
            .write()
            .unwrap_or_else(|e| e.into_inner()) = users;
        *self.state.args.write().unwrap_or_else(|e| e.into_inner()) = args;
        Ok(())
    }
}
