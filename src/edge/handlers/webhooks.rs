//! Webhook subscriptions (workspace admins, browser session; changes step-up protected and
//! audited): create (secret shown once), list, get, update, enable (closes the circuit and
//! drains what was parked, in order), delete, rotate the secret with an overlap, a synchronous
//! signed test send, the delivery log, its health over the last 24 hours, and redelivery.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::audit::actions::Action;
use crate::edge::auth::Principal;
use crate::edge::config::{self, auth_secret};
use crate::edge::crypto::{new_id, random};
use crate::edge::handlers::stepup;
use crate::edge::http::{Ctx, Reply};
use crate::edge::queue;
use crate::edge::store::ledger::Event;
use crate::edge::store::webhooks::{self as store, Subscription};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::stepup::Purpose;
use crate::text_field;
use crate::webhooks::circuit::{validate_threshold, Transition, DEFAULT_THRESHOLD};
use crate::webhooks::event_filter::{self, FilterError};
use crate::webhooks::payload::{test_body, TEST_EVENT_TYPE};
use crate::webhooks::receiver_url::{self, UrlPolicy, UrlRefusal};
use crate::webhooks::retry::{classify, Outcome};
use crate::webhooks::sign::{self, Secret};

/// Most subscriptions per workspace.
pub const MAX_SUBSCRIPTIONS: usize = 50;
/// Longest name, in characters.
const MAX_NAME: usize = 100;
/// Default and largest rotation overlap.
const DEFAULT_OVERLAP_SECS: i64 = 24 * 3600;
const MAX_OVERLAP_SECS: i64 = 7 * 24 * 3600;

fn invalid(reason: impl Into<String>) -> ApiError {
    ApiError::with_reason(ErrorCode::ValidationError, reason.into())
}

async fn load(cx: &Ctx, who: &Principal, id: &str) -> ApiResult<Subscription> {
    store::get(&cx.db()?, who.workspace_id(), id).await?.ok_or_else(|| ErrorCode::WebhookNotFound.into())
}

fn url_policy(cx: &Ctx) -> UrlPolicy {
    UrlPolicy { production: cx.production, allow_http_localhost: config::webhook_allow_http_localhost(&cx.env) }
}

fn check_url(cx: &Ctx, raw: &str) -> ApiResult<String> {
    receiver_url::validate(raw, url_policy(cx)).map_err(|refusal| {
        let code = match refusal {
            UrlRefusal::NotHttps => ErrorCode::WebhookUrlInsecure,
            UrlRefusal::Credentials => ErrorCode::WebhookUrlCredentials,
            UrlRefusal::PrivateTarget { .. } => ErrorCode::WebhookUrlPrivate,
            _ => ErrorCode::WebhookUrlInvalid,
        };
        ApiError::with_reason(code, refusal.to_string())
    })
}

fn check_filters(patterns: &[String]) -> ApiResult<String> {
    let catalog: Vec<&str> = Action::ALL.iter().map(|a| a.code()).collect();
    let filters = event_filter::validate(patterns, &catalog).map_err(|e| {
        let code = match e {
            FilterError::MatchesNothing { .. } => ErrorCode::WebhookFilterUnmatched,
            _ => ErrorCode::WebhookFilterInvalid,
        };
        ApiError::with_reason(code, e.to_string())
    })?;
    Ok(serde_json::to_string(&filters).unwrap_or_else(|_| "[]".into()))
}

fn check_name(name: &str) -> ApiResult<String> {
    Ok(text_field::label("name", name, MAX_NAME)?.to_string())
}

fn check_threshold(n: u32) -> ApiResult<i64> {
    validate_threshold(n).map(i64::from).map_err(|e| invalid(format!("circuitThreshold: {e}")))
}

/// A fresh secret: a random nonce (stored) and the secret derived from it (shown once).
fn new_secret(cx: &Ctx) -> ApiResult<(String, Secret)> {
    use base64::Engine as _;
    let nonce = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random::<32>()?);
    let secret = sign::derive(auth_secret(&cx.env)?.as_bytes(), nonce.as_bytes());
    Ok((nonce, secret))
}

/// Every subscription with its backlog (how many deliveries are pending, parked, failed).
pub async fn list(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let db = cx.db()?;
    let subs = store::list(&db, who.workspace_id()).await?;
    let backlogs = store::backlogs(&db, who.workspace_id(), &subs).await?;
    let views: Vec<Value> = subs
        .iter()
        .zip(backlogs)
        .map(|(s, backlog)| {
            let mut view = s.to_json(cx.now_ms);
            view["backlog"] = backlog;
            view
        })
        .collect();
    Ok(Reply::json(json!({"webhooks": views})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Create {
    name: String,
    url: String,
    event_filters: Option<Vec<String>>,
    enabled: Option<bool>,
    circuit_threshold: Option<u32>,
}

pub async fn create(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let body: Create = cx.json().await?;
    let name = check_name(&body.name)?;
    let url = check_url(cx, &body.url)?;
    let filters = check_filters(&body.event_filters.unwrap_or_else(|| vec!["*".into()]))?;
    let threshold = check_threshold(body.circuit_threshold.unwrap_or(DEFAULT_THRESHOLD))?;
    stepup::require_if_enrolled(cx, who, Purpose::WebhookChange).await?;
    let db = cx.db()?;
    let existing = store::list(&db, who.workspace_id()).await?;
    if existing.len() >= MAX_SUBSCRIPTIONS {
        return Err(invalid(format!("a workspace has at most {MAX_SUBSCRIPTIONS} webhook subscriptions")));
    }
    if existing.iter().any(|s| s.name == name) {
        return Err(ApiError::with_reason(ErrorCode::WebhookNameTaken, format!("name {name:?} is taken")));
    }
    let (nonce, secret) = new_secret(cx)?;
    let sub = Subscription {
        id: new_id("wh_")?,
        workspace_id: who.workspace_id().to_string(),
        name,
        url,
        event_filters: filters,
        enabled: i64::from(body.enabled.unwrap_or(true)),
        disabled_reason: None,
        secret_nonce: nonce,
        secret_fingerprint: secret.fingerprint(),
        previous_nonce: None,
        previous_expires_at: None,
        circuit_threshold: threshold,
        consecutive_failures: 0,
        circuit_opened_at: None,
        created_at: cx.now_ms,
        updated_at: cx.now_ms,
    };
    let event = Event {
        action: Action::WebhookCreated,
        actor: who.actor(),
        resource_id: Some(sub.id.clone()),
        data: json!({"subscriptionId": sub.id, "name": sub.name, "url": sub.url, "eventFilters": sub.filters()}),
    };
    queue::record(cx, &who.origin(cx), &[event], vec![store::insert(&db, &sub)?]).await?;
    let mut view = sub.to_json(cx.now_ms);
    view["secret"] = json!(secret.encode());
    Ok(Reply::json(view))
}

pub async fn get(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let sub = load(cx, who, id).await?;
    let mut view = sub.to_json(cx.now_ms);
    view["backlog"] = store::backlog(&cx.db()?, who.workspace_id(), &sub.id).await?;
    Ok(Reply::json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Update {
    name: Option<String>,
    url: Option<String>,
    event_filters: Option<Vec<String>>,
    enabled: Option<bool>,
    circuit_threshold: Option<u32>,
}

/// The fields an update changed, before and after.
fn changes(before: &Subscription, after: &Subscription) -> (Value, Value) {
    let view = |s: &Subscription| {
        json!({"name": s.name, "url": s.url, "eventFilters": s.filters(), "enabled": s.enabled != 0,
               "circuitThreshold": s.circuit_threshold, "circuitOpen": s.circuit_open()})
    };
    let (b, a) = (view(before), view(after));
    let (mut old, mut new) = (json!({}), json!({}));
    if let (Some(bm), Some(am)) = (b.as_object(), a.as_object()) {
        for (k, v) in am {
            if bm.get(k) != Some(v) {
                old[k] = bm.get(k).cloned().unwrap_or(Value::Null);
                new[k] = v.clone();
            }
        }
    }
    (old, new)
}

/// Updates a subscription. `enabled: true` on a disabled endpoint or one whose circuit is
/// open resets the circuit and drains the parked deliveries, oldest first.
pub async fn update(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let body: Update = cx.json().await?;
    let before = load(cx, who, id).await?;
    let mut after = before.clone();
    if let Some(name) = &body.name {
        after.name = check_name(name)?;
    }
    if let Some(url) = &body.url {
        after.url = check_url(cx, url)?;
    }
    if let Some(filters) = &body.event_filters {
        after.event_filters = check_filters(filters)?;
    }
    if let Some(n) = body.circuit_threshold {
        after.circuit_threshold = check_threshold(n)?;
    }
    let reopen = body.enabled == Some(true) && (before.enabled == 0 || before.circuit_open());
    let mut closed = false;
    match body.enabled {
        Some(true) => {
            let (circuit, transition) = before.circuit().reset();
            closed = transition == Transition::Closed;
            after.enabled = 1;
            after.disabled_reason = None;
            after.consecutive_failures = i64::from(circuit.consecutive_failures);
            after.circuit_opened_at = circuit.opened_at_ms;
        }
        Some(false) => {
            after.enabled = 0;
            after.disabled_reason = Some("admin".into());
        }
        None => {}
    }
    stepup::require_if_enrolled(cx, who, Purpose::WebhookChange).await?;
    let db = cx.db()?;
    if after.name != before.name && store::list(&db, who.workspace_id()).await?.iter().any(|s| s.name == after.name) {
        return Err(ApiError::with_reason(ErrorCode::WebhookNameTaken, format!("name {:?} is taken", after.name)));
    }
    after.updated_at = cx.now_ms;
    let (old, new) = changes(&before, &after);
    let mut events = vec![Event {
        action: Action::WebhookUpdated,
        actor: who.actor(),
        resource_id: Some(after.id.clone()),
        data: json!({"subscriptionId": after.id, "name": after.name, "before": old, "after": new}),
    }];
    let mut batch = vec![store::update(&db, &after)?];
    if reopen {
        batch.push(store::unpark(&db, &after.id, cx.now_ms)?);
    }
    if closed {
        let parked = store::backlog(&db, who.workspace_id(), &after.id).await?["parked"].clone();
        events.push(Event {
            action: Action::WebhookCircuitClosed,
            actor: who.actor(),
            resource_id: Some(after.id.clone()),
            data: json!({"subscriptionId": after.id, "name": after.name, "drained": parked}),
        });
    }
    queue::record(cx, &who.origin(cx), &events, batch).await?;
    if reopen {
        queue::drain_later(&cx.env, cx.tenant()?, &after.id).await?;
    }
    Ok(Reply::json(after.to_json(cx.now_ms)))
}

pub async fn delete(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let sub = load(cx, who, id).await?;
    stepup::require_if_enrolled(cx, who, Purpose::WebhookChange).await?;
    let db = cx.db()?;
    let event = Event {
        action: Action::WebhookDeleted,
        actor: who.actor(),
        resource_id: Some(sub.id.clone()),
        data: json!({"subscriptionId": sub.id, "name": sub.name}),
    };
    queue::record(cx, &who.origin(cx), &[event], store::delete(&db, who.workspace_id(), &sub.id)?).await?;
    Ok(Reply::json(json!({"deleted": true, "id": sub.id})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Rotate {
    overlap_seconds: Option<i64>,
}

/// A new secret, shown once; the old one keeps signing (second signature) for the overlap.
pub async fn rotate(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let body: Option<Rotate> = cx.optional_json().await?;
    let overlap = body.and_then(|b| b.overlap_seconds).unwrap_or(DEFAULT_OVERLAP_SECS);
    if !(0..=MAX_OVERLAP_SECS).contains(&overlap) {
        return Err(invalid(format!("overlapSeconds: 0 to {MAX_OVERLAP_SECS}")));
    }
    let before = load(cx, who, id).await?;
    stepup::require_if_enrolled(cx, who, Purpose::WebhookChange).await?;
    let (nonce, secret) = new_secret(cx)?;
    let until = cx.now_ms + overlap * 1000;
    let after = Subscription {
        previous_nonce: Some(before.secret_nonce.clone()),
        previous_expires_at: Some(until),
        secret_nonce: nonce,
        secret_fingerprint: secret.fingerprint(),
        updated_at: cx.now_ms,
        ..before
    };
    let event = Event {
        action: Action::WebhookSecretRotated,
        actor: who.actor(),
        resource_id: Some(after.id.clone()),
        data: json!({"subscriptionId": after.id, "name": after.name,
                     "previousValidUntil": crate::time::format_ms(until)}),
    };
    let db = cx.db()?;
    queue::record(cx, &who.origin(cx), &[event], vec![store::update(&db, &after)?]).await?;
    let mut view = after.to_json(cx.now_ms);
    view["secret"] = json!(secret.encode());
    Ok(Reply::json(view))
}

fn circuit_open(sub: &Subscription) -> ApiError {
    ApiError::with_reason(
        ErrorCode::CircuitOpen,
        format!(
            "the endpoint failed {} times in a row; fix the receiver, then PATCH {{\"enabled\": true}} to close the circuit",
            sub.consecutive_failures
        ),
    )
    .field("subscriptionId", json!(sub.id))
}

/// Sends a signed `axissynapse.webhook.test` now and reports what the receiver said. Writes
/// no delivery row.
pub async fn test(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let sub = load(cx, who, id).await?;
    if sub.circuit_open() {
        return Err(circuit_open(&sub));
    }
    let msg_id = new_id("msg_test_")?;
    let body = test_body(&msg_id, cx.now_ms, &sub.workspace_id, &sub.id);
    let secrets = queue::secrets(&cx.env, &sub, cx.now_ms)?;
    let sent = queue::post(&sub.url, &secrets, &msg_id, body.as_bytes()).await;
    let Some(status) = sent.status else {
        return Err(ApiError::with_reason(ErrorCode::WebhookReceiverUnreachable, sent.error.unwrap_or_default())
            .field("elapsedMs", json!(sent.elapsed_ms)));
    };
    let report = json!({"type": TEST_EVENT_TYPE, "messageId": msg_id, "status": status, "body": sent.body,
                        "elapsedMs": sent.elapsed_ms});
    if matches!(status, 400 | 401 | 403) {
        let mut err = ApiError::with_reason(
            ErrorCode::SignatureFailed,
            format!("the receiver answered {status}: check that it verifies with this subscription's current secret"),
        );
        for (k, v) in report.as_object().into_iter().flatten() {
            err = err.field(k, v.clone());
        }
        return Err(err);
    }
    let mut report = report;
    report["delivered"] = json!(classify(Some(status)) == Outcome::Delivered);
    Ok(Reply::json(report))
}

pub async fn deliveries(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let sub = load(cx, who, id).await?;
    let rows = store::attempts(&cx.db()?, who.workspace_id(), &sub.id).await?;
    Ok(Reply::json(json!({"deliveries": rows})))
}

/// Attempts of the last 24 hours per hour by outcome, with p50/p95 latency.
pub async fn health(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let sub = load(cx, who, id).await?;
    let cells = store::health(&cx.db()?, who.workspace_id(), &sub.id, cx.now_ms).await?;
    Ok(Reply::json(crate::webhooks::health::summarise(&cells, cx.now_ms)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Redeliver {
    message_id: Option<String>,
    failed_since: Option<String>,
}

/// Sends one message again, or every failed one since a time, with a fresh retry budget.
pub async fn redeliver(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let body: Redeliver = cx.json().await?;
    let since = match (&body.message_id, &body.failed_since) {
        (Some(_), None) => None,
        (None, Some(t)) => Some(crate::time::parse(t).map_err(|e| invalid(format!("failedSince: {e}")))?),
        _ => return Err(invalid("give exactly one of messageId or failedSince")),
    };
    let sub = load(cx, who, id).await?;
    if sub.circuit_open() {
        return Err(circuit_open(&sub));
    }
    if sub.enabled == 0 {
        return Err(invalid("the endpoint is disabled: enable it first (its parked deliveries are then sent)"));
    }
    let db = cx.db()?;
    let jobs = store::redeliver(&db, &sub.id, body.message_id.as_deref(), since, cx.now_ms).await?;
    if jobs.is_empty() && body.message_id.is_some() {
        return Err(ErrorCode::WebhookMessageNotFound.into());
    }
    let event = Event {
        action: Action::WebhookRedeliveryRequested,
        actor: who.actor(),
        resource_id: Some(sub.id.clone()),
        data: json!({"subscriptionId": sub.id, "name": sub.name, "messages": jobs.len()}),
    };
    queue::record(cx, &who.origin(cx), &[event], vec![]).await?;
    let queued = jobs.len();
    queue::redeliver_now(&cx.env, cx.tenant()?, jobs).await?;
    Ok(Reply::json(json!({"queued": queued})).status(202))
}
