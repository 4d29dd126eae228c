//! The running `otelcol.auth.bearer` and its arguments (Alloy's `auth/bearer/bearer.go`: `token`
//! required, `scheme` "Bearer", `header` "Authorization").

use std::sync::{Arc, RwLock};

use ingot_runtime::component::{ComponentType, Context, Stability};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::{Secret, Value};

use crate::auth::{same, Authenticator, Handler};
use crate::config::{debug_metrics, Warnings};

pub const NAME: &str = "otelcol.auth.bearer";

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub scheme: String,
    pub token: Secret,
    pub header: String,
    pub warnings: Warnings,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let scheme = d.optional_or("scheme", "Bearer".to_string())?;
        let token: Secret = d.required("token")?;
        let header: String = d.optional_or("header", "Authorization".to_string())?;
        if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(d.error_at_attr("header", format!("invalid header name {header:?}")));
        }
        debug_metrics(d, &mut warnings)?;
        Ok(Arguments {
            scheme,
            token,
            header,
            warnings,
        })
    }
}

impl Arguments {
    fn value(&self) -> String {
        if self.scheme.is_empty() {
            self.token.expose().to_string()
        } else {
            format!("{} {}", self.scheme, self.token.expose())
        }
    }
}

struct Bearer(RwLock<Arguments>);

impl Authenticator for Bearer {
    fn client_headers(&self) -> Result<Vec<(String, String)>, String> {
        let a = self.0.read().unwrap_or_else(|e| e.into_inner());
        Ok(vec![(a.header.clone(), a.value())])
    }

    fn check(&self, headers: &http::HeaderMap) -> Result<(), String> {
        let a = self.0.read().unwrap_or_else(|e| e.into_inner());
        match headers.get(a.header.as_str()) {
            None => Err("missing or empty authorization header".into()),
            Some(v) if same(v.as_bytes(), a.value().as_bytes()) => Ok(()),
            Some(_) => Err("scheme or token does not match".into()),
        }
    }
}

pub struct Component {
    state: Arc<Bearer>,
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        for w in &args.warnings {
            tracing::warn!(component = %ctx.id, "{w}");
        }
        let state = Arc::new(Bearer(RwLock::new(args)));
        let handler = Handler::new(&ctx.id, true, true, state.clone());
        ctx.exports
            .init(Value::object([("handler", Value::from(handler))]));
        ctx.health.healthy("started component");
        Ok(Component { state })
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        *self.state.0.write().unwrap_or_else(|e| e.into_inner()) = args;
        Ok(())
    }
}
