//! Rate limits at the edge (numbers and bucket arithmetic in `netpolicy::rate_limit`).
//!
//! - Sign-in and second-factor proofs: one `RateBucket` Durable Object per (limit, subject),
//!   so counts are exact across isolates and locations. A bucket that would be full again is
//!   forgotten by an alarm. The trip (first refusal after an allowed attempt) is audited once
//!   in the user's workspace; further refusals are not, so a flood cannot flood the ledger.
//!   A failing bucket fails closed (these guard credentials).
//! - API calls: the Workers rate-limiting binding, per credential and per client address.
//!   A failing binding fails open with a log line (availability of the API wins).

use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use crate::audit::actions::Action;
use crate::edge::http::{fault, log_json, Ctx};
use crate::edge::objects;
use crate::edge::queue;
use crate::edge::store::ledger::{Actor, Event, Origin};
use crate::edge::store::users::UserRow;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::netpolicy::rate_limit::{Bucket, Limit, Outcome, RetryAfterSecs, WindowLimit};

/// The 429 a refused caller gets, naming the limit.
fn refused(limit: &str, RetryAfterSecs(secs): RetryAfterSecs) -> ApiError {
    ApiError::with_reason(ErrorCode::RateLimited, format!("{limit}: retry after {secs} s"))
        .retry_after(secs)
        .field("limit", json!(limit))
}

/// The address buckets are keyed by; requests with none share one bucket.
fn ip_subject(cx: &Ctx) -> String {
    cx.client_ip.clone().unwrap_or_else(|| "unknown".into())
}

/// Password sign-in: per client address and per named email (hashed: object names are not
/// secret). `user` is the account the email names, if any, to audit a trip against.
pub async fn sign_in(cx: &Ctx, email: &str, user: Option<&UserRow>) -> ApiResult<()> {
    let account = crate::session::sha256_hex(email.as_bytes());
    let checks = [(Limit::SignInPerIp, ip_subject(cx)), (Limit::SignInPerAccount, account)];
    admit_or_audit(cx, &checks, user).await
}

/// A second-factor proof (step-up verify, the sign-in MFA step) by `user`.
pub async fn factor(cx: &Ctx, user: &UserRow) -> ApiResult<()> {
    let subject = format!("{}:{}", user.workspace_id, user.id);
    let checks = [(Limit::FactorPerIp, ip_subject(cx)), (Limit::FactorPerUser, subject)];
    admit_or_audit(cx, &checks, Some(user)).await
}

/// Takes a token from every bucket at once; the longest wait wins. A trip is audited.
async fn admit_or_audit(cx: &Ctx, checks: &[(Limit, String)], user: Option<&UserRow>) -> ApiResult<()> {
    let calls = checks.iter().map(|(limit, subject)| admit(&cx.env, *limit, subject, cx.now_ms));
    let outcomes = futures_util::future::join_all(calls).await;
    let mut worst: Option<(Limit, RetryAfterSecs, bool)> = None;
    for ((limit, _), outcome) in checks.iter().zip(outcomes) {
        if let Outcome::Refused { retry_after, first } = outcome? {
            if worst.is_none_or(|(_, w, _)| retry_after.0 > w.0) {
                worst = Some((*limit, retry_after, first));
            }
        }
    }
    let Some((limit, retry_after, first)) = worst else { return Ok(()) };
    if let (true, Some(user)) = (first, user) {
        audit_trip(cx, user, limit, retry_after).await?;
    }
    Err(refused(limit.as_str(), retry_after))
}

async fn audit_trip(cx: &Ctx, user: &UserRow, limit: Limit, RetryAfterSecs(secs): RetryAfterSecs) -> ApiResult<()> {
    let event = Event {
        action: Action::RateLimitTripped,
        actor: Actor { kind: "user", id: Some(user.id.clone()) },
        resource_id: Some(user.id.clone()),
        data: json!({"limit": limit.as_str(), "retryAfterSeconds": secs, "capacity": limit.capacity(), "perMinute": limit.per_minute()}),
    };
    let origin = Origin { workspace_id: &user.workspace_id, ip: cx.client_ip.as_deref(), now_ms: cx.now_ms };
    queue::record(cx, &origin, &[event], vec![]).await
}

async fn admit(env: &Env, limit: Limit, subject: &str, now: i64) -> ApiResult<Outcome> {
    let namespace = env.durable_object("RATE_BUCKETS").map_err(|e| fault("DO binding", e))?;
    let stub = namespace.get_by_name(&limit.object_name(subject)).map_err(|e| fault("DO stub", e))?;
    objects::call(&stub, &Admit { limit, now }).await
}

/// Calls per client address, signed in or not (checked before any credential lookup); SCIM
/// routes have their own, larger window.
pub async fn address(cx: &Ctx, scim: bool) -> ApiResult<()> {
    let limit = if scim { WindowLimit::SCIM_PER_IP } else { WindowLimit::API_PER_IP };
    window(cx, limit, ip_subject(cx)).await
}

/// Calls per credential: a session id, a personal access token id or a SCIM token id.
pub async fn credential(cx: &Ctx, credential: &str, scim: bool) -> ApiResult<()> {
    let limit = if scim { WindowLimit::SCIM_PER_TOKEN } else { WindowLimit::API_PER_CREDENTIAL };
    window(cx, limit, credential.to_string()).await
}

async fn window(cx: &Ctx, window: WindowLimit, key: String) -> ApiResult<()> {
    if window_allows(cx, window, key).await {
        Ok(())
    } else {
        Err(refused(window.name, window.retry_after()))
    }
}

async fn window_allows(cx: &Ctx, window: WindowLimit, key: String) -> bool {
    let outcome = match cx.env.rate_limiter(window.binding) {
        Ok(binding) => binding.limit(key).await.map(|o| o.success),
        Err(e) => Err(e),
    };
    outcome.unwrap_or_else(|e| {
        log_json(
            json!({"level": "error", "requestId": cx.request_id, "rateLimit": window.binding, "error": e.to_string()}),
        );
        true
    })
}

#[derive(Debug, Serialize, Deserialize)]
struct Admit {
    limit: Limit,
    now: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    limit: Limit,
    bucket: Bucket,
}

const KEY: &str = "bucket";

/// One token bucket. Commands run one at a time (input gates), so read-take-write is atomic.
#[durable_object]
pub struct RateBucket {
    state: State,
}

impl DurableObject for RateBucket {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let Admit { limit, now } = match req.json().await {
            Ok(c) => c,
            Err(e) => return Response::error(format!("bad command: {e}"), 400),
        };
        let storage = self.state.storage();
        let stored: Option<Stored> = storage.get(KEY).await?;
        let new = stored.is_none();
        let (bucket, outcome) = limit.admit(stored.map(|s| s.bucket), now);
        storage.put(KEY, &Stored { limit, bucket }).await?;
        if new {
            storage.set_alarm(limit.full_at_ms(&bucket)).await?;
        }
        Response::from_json(&outcome)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let storage = self.state.storage();
        let now = js_sys::Date::now() as i64;
        match storage.get::<Stored>(KEY).await? {
            Some(Stored { limit, bucket }) if limit.full_at_ms(&bucket) > now => {
                storage.set_alarm(limit.full_at_ms(&bucket)).await?;
            }
            _ => storage.delete_all().await?,
        }
        Response::ok("")
    }
}
