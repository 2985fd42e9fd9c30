//! The thin edge: the only code that touches the `worker` crate. A request goes
//! request id → route → per-address limit → authenticate → network policy → per-credential
//! limit → handler → one error envelope → common headers.
//!
//! Module dependencies run one way, with no cycle: `http` → `config`, `db`, `crypto`, and the
//! Durable Object clients (`objects`, `sessions`, `saml_state`) → `store` → `queue` →
//! `netgate`, `limits`, `forwarding`, `auth` → `handlers`. The store neither queues nor reads configuration:
//! an audited change goes through `queue::record`, which queues what `store::ledger::record`
//! wrote.

pub mod auth;
pub mod checkpoints;
pub mod config;
pub mod crypto;
pub mod db;
pub mod forwarding;
pub mod handlers;
pub mod http;
pub mod limits;
pub mod netgate;
pub mod objects;
pub mod queue;
pub mod saml_state;
pub mod sessions;
pub mod store;

use serde_json::json;
use worker::{Context, Env, Request, Response};

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::netpolicy::policy::Surface;
use crate::routes::{resolve, Access, Resolution};
use http::{error_reply, log_json, Ctx, Reply};

/// Serves one request. Never returns `Err`: every failure becomes the error envelope.
pub async fn handle(req: Request, env: Env, wctx: Context) -> worker::Result<Response> {
    let request_id =
        req.headers().get("cf-ray").ok().flatten().or_else(|| crypto::new_id("req_").ok()).unwrap_or_default();
    let environment = config::environment(&env);
    let development = environment.as_deref() == Some("development");
    let access_log = config::access_log(&env);
    let mut trips = None;
    let reply = match Ctx::new(req, env, wctx, request_id.clone(), environment.as_deref()) {
        Ok(mut cx) => {
            trips = Some(cx.trips.clone());
            let scim = cx.is_scim();
            let outcome = match cx.query_problem() {
                Some(e) => Err(e),
                None => route(&mut cx).await,
            };
            let reply = outcome.unwrap_or_else(|e| {
                if scim {
                    http::scim_error_reply(&e, &request_id)
                } else {
                    error_reply(&e, &request_id)
                }
            });
            if access_log {
                log_request(&cx, reply.status);
            }
            match cx.bookmark() {
                Some(bookmark) => reply.header(http::BOOKMARK_HEADER, bookmark),
                None => reply,
            }
        }
        Err(e) => error_reply(&e, &request_id),
    };
    let reply = match development {
        true => reply
            .header("x-axissynapse-isolate", isolate_id())
            .header("x-axissynapse-d1-round-trips", trips.map_or(0, |t| t.count()).to_string()),
        false => reply,
    };
    let reply = reply
        .header("x-request-id", request_id.as_str())
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer");
    let reply = if reply.headers.iter().any(|(k, _)| k == "cache-control") {
        reply
    } else {
        reply.header("cache-control", "no-store")
    };
    match reply.into_response() {
        Ok(response) => Ok(response),
        Err(e) => error_reply(&http::fault("response", e), &request_id).into_response(),
    }
}

async fn route(cx: &mut Ctx) -> ApiResult<Reply> {
    let path = cx.path.clone();
    let (route, param) = match resolve(&cx.method, &path) {
        Resolution::Found(route, param) => (route, param.map(str::to_string)),
        Resolution::MethodNotAllowed(allowed) => {
            let allow = allowed.join(", ");
            return Err(ApiError::with_reason(ErrorCode::MethodNotAllowed, format!("allowed: {allow}"))
                .field("allow", json!(allow)));
        }
        Resolution::NotFound => return Err(ApiError::with_reason(ErrorCode::NotFound, "no such route")),
    };
    let scim = route.path.starts_with(handlers::scim::PREFIX);
    limits::address(cx, scim).await?;
    // The handler's first read, when known now, rides in the credential check's round trip.
    let planned = handlers::Prefetch::plan(cx, route.op, param.as_deref());
    if route.access == Access::Scim {
        let (client, read) =
            auth::authenticate_scim(cx, &|db, workspace| statements(planned.as_ref(), db, workspace)).await?;
        netgate::enforce(cx, client.gate(), Surface::Scim, client.actor()).await?;
        limits::credential(cx, &client.token_id, true).await?;
        let prefetched = planned.map(|p| (p, read));
        // Only a write's refusal is audited (scim::refusal), so only a write keeps the client.
        let writer = crate::scim::refusal::audited(route.op).then(|| client.clone());
        let outcome = handlers::scim::dispatch(cx, route.op, param, Some(client), prefetched).await;
        if let (Err(e), Some(writer)) = (&outcome, &writer) {
            handlers::scim::audit_refusal(cx, writer, e).await;
        }
        return outcome;
    }
    if route.access == Access::Operator {
        // Not a tenant's credential: the handler checks the operator token itself.
        return handlers::dispatch(cx, route.op, param, None, None).await;
    }
    // A request served from an isolate-cached principal runs again, once, on the principal read
    // afresh when its guard failed (the batch it led wrote nothing; the body is kept). One loop,
    // so the request's future holds one `serve`, not two.
    let mut planned = planned;
    let mut cached = true;
    loop {
        let outcome = serve(cx, route, param.clone(), planned, cached).await;
        if guard_held(cx).await? || !cached {
            return outcome;
        }
        auth::forget_principals();
        *cx.guard.borrow_mut() = db::Guard::Idle;
        planned = handlers::Prefetch::plan(cx, route.op, param.as_deref());
        cached = false;
    }
}

/// The planned read's statements (none without a plan).
fn statements(
    planned: Option<&handlers::Prefetch>,
    db: &db::Db,
    workspace: crate::tenancy::WorkspaceRef<'_>,
) -> ApiResult<Vec<worker::D1PreparedStatement>> {
    planned.map_or(Ok(Vec::new()), |p| p.statements(db, workspace))
}

/// Authenticates (one round trip, with the planned read), enforces the network policy and the
/// per-credential limit, and runs the handler.
async fn serve(
    cx: &mut Ctx,
    route: &crate::routes::Route,
    param: Option<String>,
    planned: Option<handlers::Prefetch>,
    cached: bool,
) -> ApiResult<Reply> {
    let plan: auth::Plan<'_> = &|db, workspace| statements(planned.as_ref(), db, workspace);
    let (principal, read) = auth::authenticate(cx, route, plan, cached).await?;
    if let Some(p) = &principal {
        let (surface, credential) = match &p.via {
            auth::Via::Cookie { sid } => (Surface::Dashboard, sid),
            auth::Via::Pat { token_id } => (Surface::Api, token_id),
        };
        netgate::enforce(cx, (&p.user).into(), surface, p.actor()).await?;
        limits::credential(cx, credential, false).await?;
    }
    let prefetched = planned.map(|p| (p, read));
    handlers::dispatch(cx, route.op, param, principal, prefetched).await
}

/// Whether the request's principal stands: no guard was armed, or it passed in the request's
/// first primary round trip, or it passes now, run alone, when the handler made none.
async fn guard_held(cx: &Ctx) -> ApiResult<bool> {
    if matches!(*cx.guard.borrow(), db::Guard::Pending(_)) {
        if let Err(e) = cx.db()?.batch(Vec::new()).await {
            if !matches!(*cx.guard.borrow(), db::Guard::Failed) {
                return Err(http::fault("principal check", e));
            }
        }
    }
    Ok(!matches!(*cx.guard.borrow(), db::Guard::Failed))
}

/// A random id per isolate, sent only in development as `X-AxisSynapse-Isolate`: a panic restarts
/// the isolate and so changes it, which the e2e suite checks after a barrage of malformed
/// requests.
fn isolate_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| crypto::new_id("iso_").unwrap_or_default())
}

fn log_request(cx: &Ctx, status: u16) {
    log_json(json!({
        "level": "info",
        "requestId": cx.request_id,
        "method": cx.method,
        "path": cx.path,
        "status": status,
        "ms": js_sys::Date::now() as i64 - cx.now_ms,
    }));
}
