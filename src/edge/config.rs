//! Configuration: the worker's vars (wrangler.toml `[vars]`, `--var`) and secrets
//! (`wrangler secret put`), read in this one place. Bindings (D1, Durable Objects, the queue)
//! are opened by the modules that use them.
//!
//! Dependencies in the edge run one way: config and db → store → queue, netgate, auth →
//! handlers.

use worker::Env;

use crate::edge::http::fault;
use crate::error::ApiResult;

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string())
}

/// `AUTH_SECRET`, shared with the Auth.js dashboard (at least 32 characters): a secret, or a
/// var in local development.
pub fn auth_secret(env: &Env) -> ApiResult<String> {
    let secret = env.secret("AUTH_SECRET").or_else(|_| env.var("AUTH_SECRET")).map(|s| s.to_string()).ok();
    secret.filter(|s| s.len() >= 32).ok_or_else(|| fault("config", "AUTH_SECRET missing or shorter than 32 characters"))
}

/// `OPERATOR_TOKEN`: the operator API's bearer token (a secret, or a var in local
/// development). Unset or empty: the operator routes answer 404.
pub fn operator_token(env: &Env) -> Option<String> {
    let token = env.secret("OPERATOR_TOKEN").or_else(|_| env.var("OPERATOR_TOKEN")).map(|s| s.to_string()).ok();
    token.filter(|t| !t.is_empty())
}

/// `ENVIRONMENT`: `production` (also when unset) or `development`.
pub fn environment(env: &Env) -> Option<String> {
    var(env, "ENVIRONMENT")
}

/// `APP_ORIGIN`: the dashboard's origin, accepted besides the worker's own.
pub fn app_origin(env: &Env) -> Option<String> {
    var(env, "APP_ORIGIN")
}

/// `RP_ID`: the WebAuthn relying party ID (default: the request's host).
pub fn rp_id(env: &Env) -> Option<String> {
    var(env, "RP_ID")
}

/// `WEBHOOK_ALLOW_HTTP_LOCALHOST = "true"`: webhooks may target http://127.0.0.1 or
/// http://localhost receivers (development only).
pub fn webhook_allow_http_localhost(env: &Env) -> bool {
    var(env, "WEBHOOK_ALLOW_HTTP_LOCALHOST").as_deref() == Some("true")
}

/// `ACCESS_LOG = "on"`: one JSON line per request (`requestId`, method, path, status, ms).
/// Off by default: Workers Logs (`[observability]`) already records every invocation with its
/// Ray ID, which is the `X-Request-Id`, and `wrangler dev` prints each request; a second line
/// per request costs isolate CPU and doubles the billed log events. Faults and warnings are
/// logged whatever this says.
pub fn access_log(env: &Env) -> bool {
    var(env, "ACCESS_LOG").as_deref() == Some("on")
}

/// The audit signing keyring: `AUDIT_SIGNING_KEY` (a secret, or a var in local development:
/// private Ed25519 JWKs) and `AUDIT_PUBLIC_KEYS` (a var: retired public keys). Both may be
/// unset (nothing signs; the JWKS is empty); a malformed value is a fault, not an empty ring.
pub fn audit_keyring(env: &Env) -> ApiResult<crate::audit::signing_keys::Keyring> {
    let signing = env.secret("AUDIT_SIGNING_KEY").or_else(|_| env.var("AUDIT_SIGNING_KEY")).map(|s| s.to_string()).ok();
    crate::audit::signing_keys::Keyring::parse(signing.as_deref(), var(env, "AUDIT_PUBLIC_KEYS").as_deref())
        .map_err(|e| fault("config", e.to_string()))
}
